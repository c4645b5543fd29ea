"""Hostile responses never stall a crawl and are always counted: a huge page, a gzip bomb,
damaged archives, error statuses, redirect loops, off-site redirects, slow and refused
connections. Real processes on loopback; every hostile file is generated here.

The pages are composed (fixtures/compose.py: real seed text, markup that is not a site's).
"""

from __future__ import annotations

import contextlib
import gzip
import json
import sqlite3
import subprocess
import sys
import time
import zlib
from collections import Counter
from collections.abc import Iterator
from html import escape
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import brotli
import pytest
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
)
from twisted.internet import error as tx

from crawler.archive import WarcRecorder
from crawler.limits import RATIO_FLOOR, BodyLimits, BodyRejected, decode_body, split_encodings
from crawler.outcomes import is_offsite, network_error_kind, status_kind
from fixtures.compose import compose_article_html
from fixtures.texts import seed_articles
from tests.conftest import articles, crawl, free_port, loopback

if sys.version_info >= (3, 14):
    from compression import zstd
else:
    from backports import zstd

ROOT = Path(__file__).resolve().parent.parent
MiB = 1024 * 1024
DEFAULT_LIMITS = BodyLimits(max_size=16 * MiB, max_ratio=100)  # crawler/settings.py
GOOD, OTHER = seed_articles()[4], seed_articles()[0]


def good_page() -> bytes:
    return compose_article_html(title=GOOD.title, text=GOOD.body)


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """1.1 GB of zeros gzipped into about 1 MB, the bomb of the issue."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(MiB)
    parts = [compressor.compress(zeros) for _ in range(1100)]
    return b"".join(parts) + compressor.flush()


# Decoding within limits.


@pytest.mark.parametrize(
    ("coding", "compress"),
    [
        ("gzip", gzip.compress),
        ("x-gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data)[2:-4]),  # raw deflate, no zlib wrapper
        ("br", brotli.compress),
        ("zstd", zstd.compress),
    ],
)
def test_every_coding_decodes_and_stops_its_bomb(coding: str, compress) -> None:
    page = good_page()
    assert decode_body(compress(page), [coding], DEFAULT_LIMITS) == (page, [])
    with pytest.raises(BodyRejected) as rejected:
        decode_body(compress(bytes(64 * MiB)), [coding], DEFAULT_LIMITS)
    assert rejected.value.kind == "decompression_limit"


def test_the_ratio_limit_spares_small_pages_and_stops_small_bombs() -> None:
    small = gzip.compress(b" " * (RATIO_FLOOR - 1))  # 1000:1, but under the floor
    assert len(decode_body(small, ["gzip"], DEFAULT_LIMITS)[0]) == RATIO_FLOOR - 1
    tiny_bomb = gzip.compress(bytes(8 * MiB))  # 8 kB -> 8 MiB: under the size limit
    with pytest.raises(BodyRejected, match="YRD_MAX_DECOMPRESSION_RATIO") as rejected:
        decode_body(tiny_bomb, ["gzip"], DEFAULT_LIMITS)
    assert rejected.value.kind == "decompression_limit"
    assert len(decode_body(tiny_bomb, ["gzip"], BodyLimits(max_size=16 * MiB))[0]) == 8 * MiB


def test_the_size_limit_holds_after_decompression() -> None:
    text = (GOOD.body.encode() * 2000)[: 3 * MiB]  # real text: it compresses about 5:1
    with pytest.raises(BodyRejected, match="DOWNLOAD_MAXSIZE"):
        decode_body(gzip.compress(text), ["gzip"], BodyLimits(max_size=MiB, max_ratio=100))


def test_stacked_unknown_and_broken_codings() -> None:
    page = good_page()
    stacked = brotli.compress(gzip.compress(page))
    assert decode_body(stacked, split_encodings([b"gzip, br"]), DEFAULT_LIMITS) == (page, [])
    assert decode_body(page, split_encodings(["identity"]), DEFAULT_LIMITS) == (page, [])
    assert decode_body(page, ["compress"], DEFAULT_LIMITS) == (page, ["compress"])
    cut = gzip.compress(page)[:-200]
    partial, _ = decode_body(cut, ["gzip"], DEFAULT_LIMITS)
    assert partial and page.startswith(partial)  # a truncated download keeps what came
    with pytest.raises(BodyRejected) as rejected:
        decode_body(b"plain text, not gzip", ["gzip"], DEFAULT_LIMITS)
    assert rejected.value.kind == "bad_encoding"


def test_outcomes_are_classified_by_kind() -> None:
    assert [status_kind(s) for s in (200, 301, 403, 404, 410, 500, 503)] == [
        None, None, "http_403", "http_404", "http_410", "http_5xx", "http_5xx",
    ]  # fmt: skip
    assert [
        network_error_kind(e)
        for e in (
            DownloadTimeoutError("took longer than 1 seconds"),
            tx.TCPTimedOutError(),
            CannotResolveHostError("no such host"),
            tx.DNSLookupError("no such host"),
            DownloadConnectionRefusedError("refused"),
            tx.ConnectionLost(),
            DownloadCancelledError("larger than download max size"),
            KeyError("a bug"),
        )
    ] == ["timeout", "timeout", "dns", "dns", "connection", "connection", "size_limit", None]


def test_offsite_means_outside_allowed_domains_or_else_the_starting_host() -> None:
    assert not is_offsite("https://www.sipac.gov.cn/a", "https://x.org/", ["sipac.gov.cn"])
    assert is_offsite("https://evil.example/a", "https://www.sipac.gov.cn/", ["sipac.gov.cn"])
    assert not is_offsite("https://www.example.org/a", "http://example.org/b", [])
    assert not is_offsite("https://example.org/a", "http://www.example.org/b", [])
    assert is_offsite("http://localhost:8000/a", "http://127.0.0.1:8000/b", [])


# A replay archive with a 30 MB page, a gzip bomb and damaged files, crawled in a process.


# The crawl runs under a small launcher that reports its child's peak RSS: measured on
# the test process's own child, the peak would include this process's memory (Linux
# counts the parent's high-water mark until exec).
LAUNCHER = (
    "import resource, subprocess, sys; code = subprocess.call(sys.argv[1:]); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(code)"
)


def run_measured(args: list[str], timeout: float) -> tuple[int, float, int, str]:
    """Exit code, seconds, peak RSS in bytes and stderr of one crawl process."""
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-c", LAUNCHER, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    peak_kib = int(result.stdout.split()[-1])
    return result.returncode, time.monotonic() - started, peak_kib * 1024, result.stderr


def run_stats(db: Path) -> dict:
    with sqlite3.connect(db) as conn:
        (stats,) = conn.execute("select stats from crawl_runs").fetchone()
    (spider_stats,) = json.loads(stats).values()
    return spider_stats


def errors(stats: dict) -> dict[str, int]:
    return {k.removeprefix("yrd/errors/"): v for k, v in stats.items() if "yrd/errors/" in k}


def test_a_hostile_archive_replays_within_60_s_and_1_gb(tmp_path: Path, bomb: bytes) -> None:
    warc = tmp_path / "warc"
    site = "https://hostile.example"
    paragraph = f"<p>{escape(GOOD.body.splitlines()[0])}</p>\n".encode()
    huge = good_page().replace(b"</article>", paragraph * (30_000_000 // len(paragraph)), 1)
    assert len(huge) > 30_000_000
    recorder = WarcRecorder(warc / "hostile.warc.gz")
    html = [("Content-Type", "text/html; charset=utf-8")]
    recorder.write(f"{site}/good.html", 200, html, good_page())
    recorder.write(f"{site}/huge.html", 200, html, huge)
    recorder.write(f"{site}/bomb.html", 200, [*html, ("Content-Encoding", "gzip")], bomb)
    recorder.close()
    # A second file, as a killed crawl leaves it: one record hit by a flipped byte, the
    # last one cut short.
    killed = WarcRecorder(warc / "killed.warc.gz")
    other = compose_article_html(title=OTHER.title, text=OTHER.body)
    killed.write(f"{site}/other.html", 200, html, other)
    flipped_at = killed.write(f"{site}/flipped.html", 200, html, good_page()).offset + 100
    cut_at = killed.write(f"{site}/cut.html", 200, html, good_page()).offset + 150
    killed.close()
    data = bytearray((warc / "killed.warc.gz").read_bytes()[:cut_at])
    data[flipped_at] ^= 0xFF
    (warc / "killed.warc.gz").write_bytes(data)
    urls = tmp_path / "urls.txt"
    names = ("good", "huge", "bomb", "other", "flipped", "cut")
    urls.write_text("".join(f"{site}/{name}.html\n" for name in names))

    code, seconds, peak, stderr = run_measured(
        [sys.executable, "-m", "crawler", "crawl", "--replay", str(warc), "--urls", str(urls),
         "--db", str(tmp_path / "replay.db"), "--data-dir", str(tmp_path / "replayed")],
        timeout=120,
    )  # fmt: skip
    print(f"hostile replay: {seconds:.1f} s, peak RSS {peak / MiB:.0f} MiB")
    assert code == 0, stderr[-3000:]
    assert seconds < 60
    assert peak < 1024 * MiB
    assert set(articles(tmp_path / "replay.db")) == {f"{site}/good.html", f"{site}/other.html"}
    assert errors(run_stats(tmp_path / "replay.db")) == {
        "size_limit": 1,  # the 30 MB page, refused before it is read
        "decompression_limit": 1,  # the bomb, stopped at 16 MiB
        "warc_damaged": 2,  # the flipped record and the cut one
        "replay_miss": 2,  # their URLs
    }
    assert "Traceback" not in stderr


# A live crawl of a hostile loopback site, then a replay of what it archived.


class Hostile(BaseHTTPRequestHandler):
    requested: list[str] = []
    bomb = b""

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        Hostile.requested.append(self.path)
        port = self.server.server_address[1]
        routes = {
            "/robots.txt": lambda: self.reply(200, b"User-agent: *\nAllow: /\n"),
            "/good.html": lambda: self.reply(200, good_page()),
            "/loop.html": lambda: self.reply(302, b"", [("Location", "/loop.html")]),
            "/offsite.html": lambda: self.reply(
                302, b"", [("Location", f"http://localhost:{port}/elsewhere.html")]
            ),
            "/unavailable.html": lambda: self.reply(503, b"try later"),
            "/bomb.html": lambda: self.reply(200, Hostile.bomb, [("Content-Encoding", "gzip")]),
            "/slow.html": self.slow,
            **{  # a redirect chain that never ends
                f"/hop/{n}": lambda n=n: self.reply(302, b"", [("Location", f"/hop/{n + 1}")])
                for n in range(50)
            },
            "/huge.html": self.huge,
        }
        routes.get(self.path, lambda: self.reply(404, b"not found"))()

    def reply(self, status: int, body: bytes, extra: list[tuple[str, str]] = ()) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def slow(self) -> None:
        time.sleep(8)  # far past the crawl's DOWNLOAD_TIMEOUT of 1 s, even on a busy machine
        self.reply(200, good_page())

    def huge(self) -> None:
        """17 MiB with no Content-Length: Scrapy has to stop it while it streams."""
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        chunk = b"<p>" + b"x" * (MiB - 7) + b"</p>\n"
        for _ in range(17):
            self.wfile.write(chunk)

    def handle(self) -> None:
        # The crawler hangs up on a slow or huge response, as it should.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            super().handle()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def hostile_site(bomb: bytes) -> Iterator[str]:
    Hostile.bomb = bomb
    with loopback(Hostile) as base:
        yield base


LIVE_PAGES = {  # page: the kind it is counted as
    "missing.html": "http_404",
    "unavailable.html": "http_5xx",
    "loop.html": "redirect_loop",
    "hop/0": "redirect_loop",
    "offsite.html": "offsite_redirect",
    "slow.html": "timeout",
    "huge.html": "size_limit",
    "bomb.html": "decompression_limit",
}


def test_a_live_crawl_counts_every_hostile_response_by_kind(
    hostile_site: str, tmp_path: Path
) -> None:
    refused = f"http://127.0.0.1:{free_port()}/refused.html"  # nobody listens there
    urls = tmp_path / "urls.txt"
    urls.write_text(
        "".join(f"{hostile_site}/{page}\n" for page in ["good.html", *LIVE_PAGES]) + refused
    )
    started = time.monotonic()
    log = crawl(
        "-s", "DOWNLOAD_TIMEOUT=1", "-s", "REDIRECT_MAX_TIMES=3", "--urls", str(urls),
        "--db", str(tmp_path / "live.db"), "--data-dir", str(tmp_path),
    )  # fmt: skip
    print(f"hostile live crawl: {time.monotonic() - started:.1f} s")
    assert set(articles(tmp_path / "live.db")) == {f"{hostile_site}/good.html"}
    expected = Counter([*LIVE_PAGES.values(), "connection"])
    assert errors(run_stats(tmp_path / "live.db")) == expected
    assert "/elsewhere.html" not in Hostile.requested  # the off-site target is never fetched
    assert Hostile.requested.count("/loop.html") == 1
    assert [p for p in Hostile.requested if p.startswith("/hop/")] == [
        f"/hop/{n}" for n in range(4)
    ]
    assert Hostile.requested.count("/unavailable.html") == 3  # retried, then counted once
    assert "Traceback" not in log
    for page, kind in {**LIVE_PAGES, "refused.html": "connection"}.items():
        if kind not in {"http_404", "http_5xx"}:  # Scrapy's HttpError line says those
            lines = [line for line in log.splitlines() if f"WARNING: {kind}: " in line]
            assert sum(f"/{page} (" in line for line in lines) == 1, (page, lines)

    # The archive holds the bomb as sent; replaying it rejects it by the same limit.
    replayed = tmp_path / "replay.db"
    crawl(
        "-s", "REDIRECT_MAX_TIMES=3", "--replay", str(tmp_path / "warc"), "--urls", str(urls),
        "--db", str(replayed), "--data-dir", str(tmp_path / "replayed"),
    )  # fmt: skip
    assert set(articles(replayed)) == {f"{hostile_site}/good.html"}
    assert errors(run_stats(replayed)) == {
        "http_404": 1,
        "http_5xx": 1,
        "redirect_loop": 2,
        "offsite_redirect": 1,
        "decompression_limit": 1,
        "replay_miss": 3,  # the slow, huge and refused pages never reached the archive
    }
