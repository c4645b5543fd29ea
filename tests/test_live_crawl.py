"""A live crawl against a real HTTP server on loopback: robots.txt obeyed, redirects and
gzip followed, every response archived to WARC as received, and the archive replayed
offline into the same articles."""

from __future__ import annotations

import gzip
import json
import sqlite3
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from fixtures.compose import compose_article_html
from fixtures.pages import page_bytes, record
from fixtures.texts import seed_articles
from tests.conftest import articles, crawl, loopback

GB2312_PAGE = page_bytes(record("xinhuanet/he-xinhuanet-2012-content_25340717-zh-gb2312.html"))
SEED = seed_articles()[4]


class Site(BaseHTTPRequestHandler):
    requested: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        Site.requested.append(self.path)
        if self.path == "/robots.txt":
            self.reply(200, b"User-agent: *\nDisallow: /private/\n", "text/plain")
        elif self.path == "/news/a.html":
            page = compose_article_html(title=SEED.title, text=SEED.body)
            self.reply(
                200, gzip.compress(page), "text/html; charset=utf-8", [("Content-Encoding", "gzip")]
            )
        elif self.path == "/old":
            self.reply(301, b"", "text/html", [("Location", "/news/b.html")])
        elif self.path == "/news/b.html":
            self.reply(200, GB2312_PAGE, "text/html")
        else:
            self.reply(404, b"not found", "text/plain")

    def reply(
        self, status: int, body: bytes, content_type: str, extra: list[tuple[str, str]] = ()
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    with loopback(Site) as base:
        yield base


@pytest.fixture(scope="module")
def live(site: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("live")
    (folder / "urls.txt").write_text(f"{site}/news/a.html\n{site}/old\n{site}/private/c.html\n")
    crawl(
        "--urls",
        str(folder / "urls.txt"),
        "--db",
        str(folder / "live.db"),
        "--data-dir",
        str(folder),
    )
    return folder


def test_live_crawl_stores_articles_and_obeys_robots(live: Path, site: str) -> None:
    stored = articles(live / "live.db")
    assert set(stored) == {f"{site}/news/a.html", f"{site}/news/b.html"}  # the redirect's target
    assert stored[f"{site}/news/a.html"][0] == SEED.title
    title, _, published, encoding, _ = stored[f"{site}/news/b.html"]
    assert (title, encoding) == ("话剧《约定无期限》河北各市巡演结束", "gb18030")
    assert "/private/c.html" not in Site.requested


def test_every_response_is_archived_as_received(live: Path, site: str) -> None:
    (warc,) = (live / "warc").glob("*.warc.gz")
    responses = {}
    with open(warc, "rb") as handle:
        for record in ArchiveIterator(handle):
            if record.rec_type == "response":
                responses[record.rec_headers.get_header("WARC-Target-URI")] = record
                record.raw_stream.read()  # the raw body, before warcio decodes anything
    assert {
        f"{site}/robots.txt",
        f"{site}/news/a.html",
        f"{site}/old",
        f"{site}/news/b.html",
    } <= set(responses)
    assert responses[f"{site}/old"].http_headers.get_statuscode() == "301"
    assert responses[f"{site}/news/a.html"].http_headers.get_header("Content-Encoding") == "gzip"
    with sqlite3.connect(live / "live.db") as conn:
        refs = dict(conn.execute("select url, warc_record_id from articles"))
    assert refs[f"{site}/news/b.html"] == responses[f"{site}/news/b.html"].rec_headers.get_header(
        "WARC-Record-ID"
    )


def test_replaying_the_archive_gives_the_same_articles(live: Path) -> None:
    summary = crawl(
        "--replay",
        str(live / "warc"),
        "--urls",
        str(live / "urls.txt"),
        "--db",
        str(live / "replay.db"),
        "--data-dir",
        str(live / "replayed"),
    )
    assert articles(live / "replay.db") == articles(live / "live.db")
    # the page robots.txt kept out of the live crawl is not in the archive either
    assert "1 missing from the archive" in summary
    with sqlite3.connect(live / "replay.db") as conn:
        (drops,) = conn.execute("select drops from crawl_runs").fetchone()
    assert json.loads(drops) == {}
