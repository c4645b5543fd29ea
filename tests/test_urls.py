"""One page, one address (crawler/urls.py), and one article in the database."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.db import open_db
from crawler.items import Article
from crawler.storage import store_article
from crawler.urls import canonical_url, site_of, url_key


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("HTTPS://WWW.Example.com/a/b.html?utm_source=x&id=3#top", "https://www.example.com/a/b.html?id=3"),
        ("http://example.com", "http://example.com/"),
        ("http://example.com:80/a?b=2&a=1", "http://example.com/a?a=1&b=2"),
        ("https://www.prnewswire.com:443/news-releases/x.html", "https://www.prnewswire.com/news-releases/x.html"),
        ("https://m.thepaper.cn/newsDetail_forward_1?from=timeline&isappinstalled=0", "https://m.thepaper.cn/newsDetail_forward_1"),
        ("https://www.taobao.com/item?id=7&spm=a21bo.1&fbclid=x&gclid=y", "https://www.taobao.com/item?id=7"),
        ("http://news.caijingmobile.com/article/detail/476265?source_id=40", "http://news.caijingmobile.com/article/detail/476265"),
    ],
)  # fmt: skip
def test_canonical_url_drops_trackers_and_fragments(url: str, canonical: str) -> None:
    assert canonical_url(url) == canonical
    assert canonical_url(canonical) == canonical


@pytest.mark.parametrize(
    "addresses",
    [
        ["https://www.shine.cn/news/metro/2011079293/", "http://shine.cn/news/metro/2011079293",
         "https://m.shine.cn/news/metro/2011079293/?utm_medium=share#comments"],
        ["http://www.news.cn/politics/index.html", "https://news.cn/politics/", "http://wap.news.cn/politics"],
        ["https://a.example/x?b=2&a=1", "http://www.a.example/x?a=1&b=2&spm=1.2"],
    ],
)  # fmt: skip
def test_one_page_under_several_addresses_has_one_key(addresses: list[str]) -> None:
    assert len({url_key(url) for url in addresses}) == 1


def test_different_pages_keep_different_keys() -> None:
    keys = {url_key(u) for u in ("https://a.example/x?id=1", "https://a.example/x?id=2",
                                 "https://a.example/y", "https://b.a.example/x?id=1",
                                 "https://m.com/x")}  # fmt: skip
    assert len(keys) == 5
    assert url_key("https://m.com/x") == "m.com/x"  # a host that is only a prefix is kept
    assert site_of("https://www.Shine.cn/news/") == "shine.cn"


def test_the_http_and_https_addresses_of_one_page_are_one_article(tmp_path: Path) -> None:
    db = open_db(tmp_path / "x.db")
    body = "Suzhou Industrial Park signed 85 projects worth more than 30 billion yuan in 2020."
    first = Article(url="http://www.example.org/n/1.html", canonical_url=canonical_url("http://www.example.org/n/1.html"),
                    title="t", body=body)  # fmt: skip
    again = Article(url="https://example.org/n/1.html?utm_source=feed", canonical_url=canonical_url("https://example.org/n/1.html"),
                    title="t", body=body)  # fmt: skip
    assert first.id == again.id
    assert store_article(db, first) == "inserted"
    assert store_article(db, again) == "updated"  # the same article, under its newer address
    assert db.execute("select count(*), max(url) from articles").fetchone() == (
        1,
        "https://example.org/n/1.html?utm_source=feed",
    )
