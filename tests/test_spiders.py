"""Registry-driven spiders on recorded fixtures: no engine, no network.

Responses are built from each source's fixtures (tests/fixtures/sources/<source id>/, read by
fixtures/sources.py): fixtures.json says which URL each page stands for, where its bytes are and
what discovery or extraction must find there.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import inspect
import logging
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scrapy import Request
from scrapy.exceptions import DropItem
from scrapy.http import HtmlResponse, Response, XmlResponse
from scrapy.settings import Settings
from scrapy.spiderloader import SpiderLoader
from scrapy.utils.test import get_crawler

from crawler.incremental import KnownPages, StoredPages
from crawler.items import Article, WarcRef
from crawler.sources import load_sources
from fixtures.sources import SOURCE_FIXTURES, fixture_pages, manifest, source_ids
from pipelines.chain import ChainPipeline
from pipelines.relevance import registry_keyword
from spiders.base import RegistrySpider, reason_slug
from spiders.discovery import (
    absolute_links,
    feed_links,
    is_older,
    listing_links,
    next_page,
    parse_max_pages,
    parse_since,
    sitemap_links,
)
from spiders.registry import SPIDERS, class_name
from spiders.urls import UrlListSpider, read_urls

SOURCES = {s.id: s for s in load_sources()}
ENABLED = sorted(s.id for s in SOURCES.values() if s.enabled)
DISCOVERY_ROLES = ("feed", "sitemap", "listing")


def response_for(source_id: str, page: dict[str, Any], request: Request | None = None) -> Response:
    body = page["path"].read_bytes()
    cls = HtmlResponse if page["role"] in ("listing", "article") else XmlResponse
    return cls(url=page["url"], body=body, request=request or Request(page["url"]))


def make_spider(cls: type[RegistrySpider], settings: dict | None = None, **kwargs: Any):
    crawler = get_crawler(cls, settings_dict=settings or {})
    crawler.spider = cls.from_crawler(crawler, **kwargs)
    return crawler.spider


def through_chain(spider: RegistrySpider, items: Iterable[Any]) -> list[Any]:
    """What a crawl keeps of a callback's items: the processing chain runs on each."""
    pipeline = ChainPipeline.from_crawler(spider.crawler)
    pipeline.open_spider()
    kept = []
    for item in items:
        with contextlib.suppress(DropItem):
            kept.append(pipeline.process_item(item))
    return kept


def stat(spider: RegistrySpider, key: str) -> int:
    return spider.crawler.stats.get_value(f"yrd/{key}", 0)


def start_requests(spider: RegistrySpider) -> list[Request]:
    async def collect() -> list[Request]:
        return [request async for request in spider.start()]

    return asyncio.run(collect())


def crawl(
    spider: RegistrySpider, pages: dict[str, tuple[str, dict]]
) -> tuple[list[str], list[str]]:
    """A tiny engine: follow discovery requests through fixture pages.

    Returns (discovery URLs fetched, article URLs requested); requests for discovery
    pages without a fixture are recorded as fetched but yield nothing.
    """
    queue = start_requests(spider)
    fetched: list[str] = []
    articles: list[str] = []
    while queue:
        request = queue.pop(0)
        if request.callback == spider.parse_article:
            articles.append(request.url)
            continue
        fetched.append(request.url)
        if request.url not in pages:
            continue
        response = response_for(*pages[request.url], request=request)
        queue.extend(request.callback(response, **request.cb_kwargs))
    return fetched, articles


def pages_by_url(*source_ids: str) -> dict[str, tuple[str, dict]]:
    return {page["url"]: (sid, page) for sid in source_ids for page in manifest(sid)}


# --- registry, spiders and fixture folders agree ---------------------------------------


def test_one_spider_per_enabled_source_and_scrapy_lists_them() -> None:
    assert sorted(SPIDERS) == ENABLED
    loader = SpiderLoader.from_settings(Settings({"SPIDER_MODULES": ["spiders"]}))
    assert sorted(loader.list()) == sorted([*ENABLED, "urls"])
    for source_id in ENABLED:
        cls = loader.load(source_id)
        assert cls.__name__ == class_name(source_id)
        assert cls.source is SOURCES[source_id] or cls.source == SOURCES[source_id]
        assert inspect.isasyncgenfunction(cls.start)  # Scrapy 2.19 ignores start_requests()
        assert cls.allowed_domains == list(SOURCES[source_id].allowed_domains)


def test_fixture_folders_match_enabled_sources() -> None:
    assert source_ids() == ENABLED


@pytest.mark.parametrize("source_id", ENABLED)
def test_fixture_folder_is_complete_and_covers_each_discovery(source_id: str) -> None:
    folder = SOURCE_FIXTURES / source_id
    readme = (folder / "README.md").read_text(encoding="utf-8")
    pages = manifest(source_id)
    listed = {page["file"] for page in pages if "file" in page}
    present = {p.name for p in folder.iterdir()} - {"README.md", "fixtures.json"}
    assert listed == present
    for page in pages:
        assert page["path"].is_file()
        assert f"`{page.get('file') or page['page']}`" in readme
        if page["composed"]:
            assert "Composed" in readme
        else:
            assert page["origin"]["commit"] in readme and page["origin"]["repo"] in readme
    source = SOURCES[source_id]
    roles_urls = {(page["role"], page["url"]) for page in pages}
    if source.feeds:
        assert any(("feed", url) in roles_urls for url in source.feeds)
    if source.sitemaps:
        assert any(("sitemap", url) in roles_urls for url in source.sitemaps)
    if source.listings:
        assert any(("listing", listing.url) in roles_urls for listing in source.listings)


def test_composed_html_says_so() -> None:
    for _, page in fixture_pages("listing"):
        if page["composed"]:
            head = page["path"].read_text(encoding="utf-8")[:300]
            assert "Composed for yrd-news tests" in head, page["file"]


# --- each spider type on its fixtures -------------------------------------------------


def run_discovery(source_id: str, page: dict[str, Any]) -> tuple[RegistrySpider, list[Request]]:
    spider = make_spider(SPIDERS[source_id])
    source = SOURCES[source_id]
    response = response_for(source_id, page)
    if page["role"] == "feed":
        return spider, list(spider.parse_feed(response))
    if page["role"] == "sitemap":
        return spider, list(spider.parse_sitemap(response))
    listing = next(
        (listing for listing in source.listings if listing.url == page["url"]), None
    ) or next(listing for listing in source.listings if listing.next_page_pattern)
    return spider, list(spider.parse_listing(response, listing=listing, page=1))


@pytest.mark.parametrize(
    ("source_id", "page"),
    fixture_pages(*DISCOVERY_ROLES),
    ids=[f"{sid}/{page['path'].name}" for sid, page in fixture_pages(*DISCOVERY_ROLES)],
)
def test_discovery_finds_the_articles_and_ignores_the_rest(source_id: str, page: dict) -> None:
    spider, requests = run_discovery(source_id, page)
    articles = [r.url for r in requests if r.callback == spider.parse_article]
    assert articles == page.get("articles", [])
    for url in articles:
        assert SOURCES[source_id].allows(url)
    if page["role"] == "listing":
        following = [r.url for r in requests if r.callback == spider.parse_listing]
        assert following == ([page["next"]] if page.get("next") else [])
        body = page["path"].read_bytes()
        # The fixture holds distractors (navigation, other sites) that were ignored.
        assert body.count(b"<a ") > len(articles) + len(following)
    else:
        children = [r.url for r in requests if r.callback != spider.parse_article]
        assert children == page.get("children", [])
        entries = (feed_links if page["role"] == "feed" else lambda b: sitemap_links(b)[1])(
            page["path"].read_bytes()
        )
        assert len(entries) > len(articles) + len(children)
        assert stat(spider, "link_ignored") == len(entries) - len(articles) - len(children)


def test_listing_pagination_is_followed_and_bounded() -> None:
    pages = pages_by_url("chinadaily_snd")
    for max_pages, expected in ((1, 1), (2, 2), (3, 3), (10, 3)):
        spider = make_spider(SPIDERS["chinadaily_snd"], max_pages=str(max_pages))
        fetched, articles = crawl(spider, pages)
        assert len(fetched) == expected
        assert fetched[0].endswith("/latest.html")
        assert len(articles) == expected  # one article per fixture page


def test_max_pages_from_setting_when_no_argument() -> None:
    spider = make_spider(SPIDERS["chinadaily_snd"], settings={"YRD_MAX_PAGES": 2})
    fetched, _ = crawl(spider, pages_by_url("chinadaily_snd"))
    assert len(fetched) == 2
    assert (
        make_spider(
            SPIDERS["chinadaily_snd"], settings={"YRD_MAX_PAGES": 2}, max_pages="4"
        ).max_pages
        == 4
    )


def test_listing_since_skips_old_links_and_stops_paging() -> None:
    spider = make_spider(SPIDERS["chinadaily_snd"], since="2021-06-01")
    fetched, articles = crawl(spider, pages_by_url("chinadaily_snd"))
    assert articles == [
        "http://regional.chinadaily.com.cn/SuzhouNewDistrict/2022-03/24/c_687498.htm"
    ]
    assert len(fetched) == 2  # page 2 is all older than `since`: page 3 is not read
    assert stat(spider, "entry_before_since") == 1


def test_since_from_setting_yrd_since() -> None:
    spider = make_spider(SPIDERS["chinadaily_snd"], settings={"YRD_SINCE": "2021-06-01"})
    assert spider.since == date(2021, 6, 1)
    _, articles = crawl(spider, pages_by_url("chinadaily_snd"))
    assert len(articles) == 1


def test_chinese_listing_pagination_follows_next_page_only() -> None:
    spider = make_spider(SPIDERS["suzhou_gov_zh"])
    fetched, articles = crawl(spider, pages_by_url("suzhou_gov_zh"))
    assert [url.rsplit("/", 1)[1] for url in fetched] == ["nav_list.shtml", "nav_list_2.shtml"]
    assert len(articles) == 3


def test_feed_since_respected() -> None:
    spider = make_spider(SPIDERS["chinadaily_china"], since="2024-05-15")
    _, articles = crawl(spider, pages_by_url("chinadaily_china"))
    assert articles == ["https://www.chinadaily.com.cn/a/202405/20/WS664af0b2a31082fc043c814d.html"]
    assert stat(spider, "entry_before_since") == 1
    # The Chinese edition (off pattern) and a Global Times link (off domain).
    assert stat(spider, "link_ignored") == 2


def test_sitemap_since_respected() -> None:
    spider = make_spider(SPIDERS["shine"], since="2021-01-01")
    _, articles = crawl(spider, {k: v for k, v in pages_by_url("shine").items() if "sitemap" in k})
    assert "https://www.shine.cn/news/metro/2109034538/" in articles
    assert "https://www.shine.cn/news/metro/2011079293/" not in articles
    assert stat(spider, "entry_before_since") == 1


def test_sitemap_index_children_filtered_by_since_domain_and_bounded() -> None:
    source_id = "globaltimes"
    index = next(p for p in manifest(source_id) if p.get("file") == "sitemap-index.xml")
    spider = make_spider(SPIDERS[source_id], since="2020-01-01")
    children = [r.url for r in spider.parse_sitemap(response_for(source_id, index))]
    assert children == ["https://www.globaltimes.cn/sitemap.xml"]
    spider = make_spider(SPIDERS[source_id], max_pages="1")
    children = [r.url for r in spider.parse_sitemap(response_for(source_id, index))]
    assert children == ["https://www.globaltimes.cn/sitemap.xml"]


# --- incremental crawls: known articles are not requested, settled pages end paging -------

SND_ARTICLES = [
    "http://regional.chinadaily.com.cn/SuzhouNewDistrict/2022-03/24/c_687498.htm",
    "http://regional.chinadaily.com.cn/SuzhouNewDistrict/2021-05/12/c_622037.htm",
    "http://regional.chinadaily.com.cn/SuzhouNewDistrict/2021-01/19/c_583874.htm",
]
FETCHED = "2026-11-21T09:00:00+00:00"


def test_known_articles_are_not_requested_and_settled_pages_end_paging() -> None:
    pages = pages_by_url("chinadaily_snd")
    spider = make_spider(SPIDERS["chinadaily_snd"])
    # page 2's article is known (an interrupted run stored it): skipped, but paging goes on
    spider.known = KnownPages({SND_ARTICLES[1]: FETCHED})
    fetched, articles = crawl(spider, pages)
    assert (len(fetched), articles) == (3, [SND_ARTICLES[0], SND_ARTICLES[2]])
    assert (stat(spider, "articles/linked"), stat(spider, "articles/known")) == (3, 1)
    # known since a complete run: the walk stops at the page that holds only such articles
    spider = make_spider(SPIDERS["chinadaily_snd"])
    spider.known = KnownPages(dict.fromkeys(SND_ARTICLES[1:], FETCHED), frozenset(SND_ARTICLES[1:]))
    fetched, articles = crawl(spider, pages)
    assert (len(fetched), articles) == (2, [SND_ARTICLES[0]])


def test_a_feed_entry_dated_after_its_fetch_is_requested_again() -> None:
    spider = make_spider(SPIDERS["chinadaily_china"])
    _, everything = crawl(spider, pages_by_url("chinadaily_china"))
    spider = make_spider(SPIDERS["chinadaily_china"])
    spider.known = KnownPages({everything[0]: "2024-05-01T00:00:00+00:00", everything[1]: FETCHED})
    _, articles = crawl(spider, pages_by_url("chinadaily_china"))
    assert articles == [everything[0]]  # its entry's date is after the stored fetch
    assert stat(spider, "articles/known") == 1


def test_known_pages_come_from_the_database(tmp_path: Path) -> None:
    from crawler import db as database
    from crawler import runs, storage
    from crawler.items import KnownPage

    db = database.open_db(tmp_path / "y.db")
    database.sync_sources(db, load_sources())
    storage.store_article(db, Article(url=SND_ARTICLES[0], canonical_url=SND_ARTICLES[0],
                                      title="t", body="b", source_id="chinadaily_snd",
                                      fetched_at=FETCHED))  # fmt: skip
    storage.record_known_page(
        db, KnownPage(SND_ARTICLES[1], "chinadaily_snd", "dropped", "keyword")
    )
    unknown = "http://regional.chinadaily.com.cn/SuzhouNewDistrict/2021-01/01/c_1.htm"
    no_run = lambda: None  # noqa: E731
    known = StoredPages(db, "chinadaily_snd", no_run)
    assert [url in known for url in (*SND_ARTICLES[:2], unknown)] == [True, True, False]
    assert known.known(SND_ARTICLES[0]) == (FETCHED, False)
    run = runs.start_run(db, sources=["chinadaily_snd"], replay=None, since=None)
    runs.record_source(db, run, "chinadaily_snd", {"downloader/request_count": 1,
                       "yrd/fetched": 1, "yrd/articles/linked": 1}, "finished")  # fmt: skip
    settled = StoredPages(db, "chinadaily_snd", no_run)
    assert [settled.is_settled(url) for url in (*SND_ARTICLES[:2], unknown)] == [True, True, False]
    assert SND_ARTICLES[0] not in StoredPages(db, "shine", no_run)
    # an article under another address whose canonical URL is the link (found by its id)
    moved = "https://regional.chinadaily.com.cn/m/c_1.htm"
    storage.store_article(db, Article(url=moved, canonical_url=unknown, title="t", body="b",
                                      source_id="chinadaily_snd"))  # fmt: skip
    assert unknown in StoredPages(db, "chinadaily_snd", no_run)
    # what the run a spider serves stored itself is not known to it
    later = runs.start_run(db, sources=["chinadaily_snd"], replay=None, since=None)
    storage.store_article(db, Article(url=SND_ARTICLES[2], canonical_url=SND_ARTICLES[2],
                                      title="t", body="b", source_id="chinadaily_snd"),
                          crawl_run_id=later)  # fmt: skip
    assert SND_ARTICLES[2] not in StoredPages(db, "chinadaily_snd", lambda: later)
    assert SND_ARTICLES[2] in StoredPages(db, "chinadaily_snd", no_run)
    spider = make_spider(
        SPIDERS["chinadaily_snd"], settings={"YRD_DB_PATH": str(tmp_path / "y.db")}
    )
    assert SND_ARTICLES[0] in spider.known and unknown in spider.known
    refresh = {"YRD_DB_PATH": str(tmp_path / "y.db"), "YRD_REFRESH": True}
    assert SND_ARTICLES[0] not in make_spider(SPIDERS["chinadaily_snd"], settings=refresh).known


def test_gzipped_sitemap_is_read() -> None:
    page = next(p for p in manifest("shine") if p["role"] == "sitemap")
    body = gzip.compress(page["path"].read_bytes())
    spider = make_spider(SPIDERS["shine"])
    response = Response(url=page["url"] + ".gz", body=body)
    assert [r.url for r in spider.parse_sitemap(response)] == page["articles"]


def test_empty_listing_warns_and_counts(caplog: pytest.LogCaptureFixture) -> None:
    spider = make_spider(SPIDERS["chinadaily_snd"])
    listing = SOURCES["chinadaily_snd"].listings[0]
    response = HtmlResponse(
        url=listing.url,
        body=b"<html><body><div id='app'></div><a href='/about.html'>About</a></body></html>",
    )
    with caplog.at_level(logging.WARNING):
        requests = list(spider.parse_listing(response, listing=listing, page=1))
    assert requests == []
    assert stat(spider, "listing_empty") == 1
    assert "no article links" in caplog.text


def test_empty_feed_and_sitemap_are_counted() -> None:
    spider = make_spider(SPIDERS["chinadaily_china"])
    assert (
        list(
            spider.parse_feed(
                XmlResponse(
                    url="https://www.chinadaily.com.cn/rss/x.xml", body=b"<html>gone</html>"
                )
            )
        )
        == []
    )
    assert stat(spider, "feed_empty") == 1
    spider = make_spider(SPIDERS["globaltimes"])
    assert (
        list(
            spider.parse_sitemap(
                Response(url="https://www.globaltimes.cn/sitemap.xml", body=b"not xml")
            )
        )
        == []
    )
    assert stat(spider, "sitemap_empty") == 1


# --- parse_article --------------------------------------------------------------------


def article_request(url: str) -> Request:
    return Request(
        url,
        meta={
            "yrd_warc": WarcRef("crawl.warc.gz", "<urn:uuid:1234>", 42),
            "yrd_fetched_at": "2026-11-21T09:00:00+00:00",
        },
    )


@pytest.mark.parametrize(
    ("source_id", "page"),
    fixture_pages("article"),
    ids=[f"{sid}/{page['path'].name}" for sid, page in fixture_pages("article")],
)
def test_article_fixtures(source_id: str, page: dict) -> None:
    spider = make_spider(SPIDERS[source_id])
    response = response_for(source_id, page, request=article_request(page["url"]))
    items = through_chain(spider, spider.parse_article(response))
    expect = page["expect"]
    if not expect["kept"]:
        assert items == []
        assert stat(spider, f"dropped/{expect['dropped']}") == 1
        return
    (article,) = items
    assert isinstance(article, Article)
    assert article.source_id == source_id
    assert article.fetched_at == "2026-11-21T09:00:00+00:00"
    assert article.http_status == 200
    assert article.warc == WarcRef("crawl.warc.gz", "<urn:uuid:1234>", 42)
    for field in ("title", "published_at", "lang"):
        assert getattr(article, field) == expect[field]
    if "relevant" in expect:  # national outlets' pages outside the region: kept, flagged
        assert article.relevant is expect["relevant"]


def test_article_older_than_since_is_dropped() -> None:
    page = next(p for p in manifest("zhejiang_fgw_zh") if p["role"] == "article")
    spider = make_spider(SPIDERS["zhejiang_fgw_zh"], since="2020-01-01")
    assert through_chain(spider, spider.parse_article(response_for("zhejiang_fgw_zh", page))) == []
    assert stat(spider, "dropped/before_since") == 1


def test_fetched_at_defaults_to_now_utc() -> None:
    page = next(p for p in manifest("zhejiang_fgw_zh") if p["role"] == "article")
    spider = make_spider(SPIDERS["zhejiang_fgw_zh"])
    (article,) = spider.parse_article(response_for("zhejiang_fgw_zh", page))
    assert article.fetched_at.endswith("+00:00")
    assert article.warc is None


@pytest.mark.parametrize(
    ("body", "headers", "reason"),
    [
        (b"", {}, "empty_body"),
        (b"%PDF-1.4 binary", {}, "pdf"),
        (b"<html></html>", {"Content-Type": "image/png"}, "not_html"),
        (b'{"data": [1, 2]}', {"Content-Type": "text/html"}, "json"),
    ],
)
def test_not_an_article_is_counted_by_reason(
    body: bytes, headers: dict, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    spider = make_spider(SPIDERS["shine"])
    url = "https://www.shine.cn/news/metro/2109034538/"
    with caplog.at_level(logging.WARNING):
        items = list(spider.parse_article(HtmlResponse(url=url, body=body, headers=headers)))
    assert items == []
    assert stat(spider, f"dropped/{reason}") == 1
    assert url in caplog.text


def test_registry_keyword() -> None:
    article = Article(url="u", canonical_url="u", title="Plant opens", body="In KUNSHAN today.")
    assert registry_keyword(article, ("Kunshan",)) == "Kunshan"
    assert registry_keyword(article, ()) is None
    assert registry_keyword(article, ("Ningbo", "苏州")) is None
    assert (
        registry_keyword(
            Article(url="u", canonical_url="u", title=None, body="苏州工业园区"), ("苏州",)
        )
        == "苏州"
    )


def test_reason_slug() -> None:
    assert reason_slug("no body text found") == "no_body_text_found"
    assert reason_slug("  ") == "unknown"


# --- the URL-list spider ----------------------------------------------------------------


def test_read_urls() -> None:
    text = "# demo\nhttps://a.example/1.html\n\n  https://b.example/2.html , http://c.example/3\nnot a url\nhttps://a.example/1.html\n"
    assert read_urls(text) == [
        "https://a.example/1.html",
        "https://b.example/2.html",
        "http://c.example/3",
    ]


@given(st.lists(st.integers(0, 30), max_size=80), st.integers(1, 4))
def test_read_urls_keeps_each_url_once_in_first_seen_order(picks: list[int], per_line: int) -> None:
    listed = [f"https://news.example/{n}.html" for n in picks]
    lines = [", ".join(listed[i : i + per_line]) for i in range(0, len(listed), per_line)]
    first_seen: list[str] = []
    for url in listed:
        if url not in first_seen:
            first_seen.append(url)
    assert read_urls("\n".join(lines)) == first_seen


def test_url_list_spider_assigns_registry_source_or_other(tmp_path: Path) -> None:
    page = next(p for p in manifest("zhejiang_fgw_zh") if p["role"] == "article")
    listed = tmp_path / "urls.txt"
    listed.write_text(f"{page['url']}\nhttps://www.example.com/news/1.html\n", encoding="utf-8")
    spider = make_spider(
        UrlListSpider, urls_file=str(listed), urls="https://www.example.com/news/2.html"
    )
    assert [r.url for r in start_requests(spider)] == [
        "https://www.example.com/news/2.html",
        page["url"],
        "https://www.example.com/news/1.html",
    ]
    body = page["path"].read_bytes()
    for url, source_id in (
        (page["url"], "zhejiang_fgw_zh"),
        ("https://www.example.com/news/1.html", "other"),
    ):
        response = HtmlResponse(url=url, body=body, request=Request(url))
        (article,) = spider.parse_article(response)
        assert article.source_id == source_id


def test_url_list_spider_applies_the_matched_sources_keyword_filter() -> None:
    """The filter no longer drops: its miss is a reason of the relevance score."""
    page = next(p for p in manifest("chinadaily_china") if p["role"] == "article")
    spider = make_spider(UrlListSpider, urls=page["url"])
    items = spider.parse_article(response_for("chinadaily_china", page))
    (article,) = through_chain(spider, items)
    assert article.relevant is False
    assert {"part": "region", "reason": "no_registry_keyword", "weight": -0.5,
            "evidence": "chinadaily_china"} in article.relevance_reasons  # fmt: skip
    assert stat(spider, "relevance/below_threshold") == 1


def test_url_list_spider_needs_urls(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="urls"):
        make_spider(UrlListSpider)
    with pytest.raises(ValueError, match="cannot read"):
        make_spider(UrlListSpider, urls_file=str(tmp_path / "missing.txt"))


# --- pure discovery functions ----------------------------------------------------------

# Composed here to cover the feed formats no registry source uses (Atom, RSS 1.0).
ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
<entry><title>A</title><link rel="alternate" href="https://x.example/a.html"/>
<link rel="enclosure" href="https://x.example/a.jpg"/><published>2024-05-20T10:00:00+08:00</published></entry>
<entry><title>B</title><link href="/b.html"/><updated>2020-01-01T00:00:00Z</updated></entry>
</feed>"""
RDF = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
 xmlns:dc="http://purl.org/dc/elements/1.1/">
<item rdf:about="https://x.example/c.html"><title>C</title><link>https://x.example/c.html</link>
<dc:date>2023-11-20</dc:date></item></rdf:RDF>"""


def test_feed_links_atom_and_rdf() -> None:
    atom = feed_links(ATOM, "https://x.example/feed")
    assert [(link.url, link.title) for link in atom] == [
        ("https://x.example/a.html", "A"),
        ("https://x.example/b.html", "B"),
    ]
    assert atom[0].published == "2024-05-20T10:00:00+08:00"
    (rdf,) = feed_links(RDF)
    assert (rdf.url, rdf.published) == ("https://x.example/c.html", "2023-11-20")


def test_feed_link_from_permalink_guid_only() -> None:
    body = b"<rss><channel><item><guid>https://x.example/g.html</guid></item><item><guid isPermaLink='false'>id-1</guid></item></channel></rss>"
    assert [link.url for link in feed_links(body)] == ["https://x.example/g.html"]


def test_listing_links_and_next_page() -> None:
    hrefs = [
        "/a/1.html",
        "/a/1.html#top",
        "mailto:x@y",
        "javascript:go()",
        "https://other.example/a/2.html",
        "list_2.html",
        "list_3.html",
        "list_10.html",
        "#",
        "",
    ]
    articles, pages = listing_links(
        hrefs, "https://x.example/list.html", r"/a/\d+\.html$", r"list_\d+\.html$", ["x.example"]
    )
    assert articles == ["https://x.example/a/1.html"]
    assert pages == [f"https://x.example/list_{n}.html" for n in (2, 3, 10)]
    assert next_page("https://x.example/list.html", pages, r"list_\d+\.html$").endswith(
        "list_2.html"
    )
    assert next_page("https://x.example/list_3.html", pages, r"list_\d+\.html$").endswith(
        "list_10.html"
    )
    assert next_page("https://x.example/list_10.html", pages, r"list_\d+\.html$") is None
    assert absolute_links(["../b.html", "c.html"], "https://x.example/a/") == [
        "https://x.example/b.html",
        "https://x.example/a/c.html",
    ]


def test_since_and_max_pages_arguments() -> None:
    assert parse_since("2024-05-01") == date(2024, 5, 1)
    assert parse_since("2024-05-01T08:00:00+08:00") == date(2024, 5, 1)
    assert parse_since(None) is None and parse_since("") is None
    with pytest.raises(ValueError, match="since: 'last week'"):
        parse_since("last week")
    assert parse_max_pages(None, 5) == 5 and parse_max_pages("3", 5) == 3
    for bad in ("0", "-1", "many"):
        with pytest.raises(ValueError, match="max_pages"):
            parse_max_pages(bad, 5)
    with pytest.raises(ValueError, match="since"):
        make_spider(SPIDERS["shine"], since="yesterday")


def test_is_older() -> None:
    since = date(2024, 5, 15)
    assert is_older("Mon, 13 May 2024 10:00:00 +0800", since)
    assert not is_older("2024-05-15", since)  # the same day is kept
    assert not is_older("2024-05-20T00:00:00+08:00", since)
    assert not is_older(None, since) and not is_older("soon", since)
    assert not is_older("2001-01-01", None)


@settings(max_examples=200, deadline=1000)
@given(st.binary(max_size=2000))
def test_feed_and_sitemap_parsers_never_raise(body: bytes) -> None:
    assert isinstance(feed_links(body), list)
    kind, links = sitemap_links(body)
    assert kind in ("", "urlset", "sitemapindex") and isinstance(links, list)


@settings(max_examples=200, deadline=1000)
@given(st.lists(st.text(max_size=60), max_size=20), st.text(max_size=40))
def test_listing_links_never_raise(hrefs: Iterable[str], base: str) -> None:
    articles, pages = listing_links(
        hrefs, "https://x.example/" + base, r"\d", r"list", ["x.example"]
    )
    assert all(url.startswith("http") for url in [*articles, *pages])


def test_corrupt_gzip_sitemap_gives_no_links() -> None:
    body = gzip.compress(b"<urlset><url><loc>https://x.example/a</loc></url></urlset>" * 50)
    kind, links = sitemap_links(body[:-30])  # truncated: what could be read, or nothing
    assert kind in ("urlset", "") and all(link.url.startswith("https://x.") for link in links)
    assert sitemap_links(body[:12] + b"\x00" * 40) == ("", [])
    assert sitemap_links(body, max_size=100) == ("", [])  # over the size limit
