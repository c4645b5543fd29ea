"""What the tests share: the real `yrdnews` command in its own process, real servers on loopback
(HTTP, Redis, `yrdnews serve`), each on a free port and stopped afterwards, reads of the SQLite
file a crawl wrote, and the demo snapshot and database built as `make demo` builds them
(demo/build_snapshot.py, then two replay crawls)."""

from __future__ import annotations

import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import redis
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent

# Pieces of figure-shaped text (numbers, scales, currencies, qualifiers, counted words, dates, a
# telephone number) for hypothesis to join into hostile inputs of the figures and the schema.
TEXT_PIECES = st.sampled_from(
    [
        "1", "0", "30", "3.48", "1,100", ",", ".", " ", "-", "(", ")", "$", "US$", "RMB", "¥",
        "billion", "million", "yuan", "percent", "%", "亿", "万", "元", "个", "家", "多", "余",
        "逾", "近", "约", "第", "三", "十", "more than", "nearly", "up", "增长", "In 2020",
        "square kilometers", "平方公里", "亩", "companies", "projects", "\n", "。", "Fortune",
        "5G", "May 12", "0512-66681234", "an increase of", "from", "to", "have", "the",
    ]
)  # fmt: skip


def yrdnews(*args: str, check: bool = True, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run `yrdnews ARGS` from the project root; with ``check``, fail showing its stderr."""
    result = subprocess.run(
        [sys.executable, "-m", "crawler", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"yrdnews {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return result


def crawl(*args: str) -> str:
    """`yrdnews crawl ARGS` without politeness delays (for loopback sites); its log (-v)."""
    no_delays = ("-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False")
    return yrdnews("crawl", "-v", *no_delays, *args, timeout=300).stderr


def rows(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def articles(db: Path) -> dict[str, tuple]:
    """Stored articles by URL: (title, body, published_at, encoding, content_hash)."""
    sql = "select url, title, body, published_at, encoding, content_hash from articles"
    return {row[0]: row[1:] for row in rows(db, sql)}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def loopback(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """A threaded HTTP server on 127.0.0.1 (a free port) answering with ``handler``; its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def build_snapshot(folder: Path) -> Path:
    """The demo snapshot and its lists, built by the demo's own script into `folder`."""
    subprocess.run(
        [sys.executable, "demo/build_snapshot.py", "--out", str(folder)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=300,
    )
    return folder


def crawl_demo(folder: Path, db: Path, *more: str) -> None:
    """Crawl a built demo snapshot as `make demo` does: its sources, then its URL list."""
    sources = (folder / "sources.txt").read_text().split()
    common = [
        "crawl",
        *more,
        "--replay",
        str(folder / "snapshot.warc.gz"),
        "--db",
        str(db),
        "--data-dir",
        str(folder),
    ]
    yrdnews(*common, *[arg for source in sources for arg in ("--source", source)])
    yrdnews(*common, "--urls", str(folder / "urls.txt"))


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the demo snapshot, its lists and yrdnews.db crawled from it."""
    folder = build_snapshot(tmp_path_factory.mktemp("demo"))
    assert len((folder / "sources.txt").read_text().split()) >= 3  # sources discovered
    crawl_demo(folder, folder / "yrdnews.db")
    return folder


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """A Debian redis-server of its own (installed by `make install`), without persistence."""
    binary = shutil.which("redis-server")
    assert binary, (
        "redis-server is missing: `make install` installs it (apt-get install redis-server)"
    )
    port = free_port()
    server = subprocess.Popen(
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path), "--daemonize", "no", "--loglevel", "warning"],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    try:
        yield url
    finally:
        client.close()
        server.terminate()
        server.wait(timeout=10)


def start_server(args: list[str], cwd: Path = ROOT) -> tuple[subprocess.Popen, str]:
    """Start a Datasette server (`args` without the port) and wait until it answers."""
    port = free_port()
    # A file, not a pipe: a long test never fills it and blocks the server. Closed with the test run.
    log = tempfile.TemporaryFile()  # noqa: SIM115
    server = subprocess.Popen(
        [*args, "--port", str(port)], stdout=subprocess.DEVNULL, stderr=log, cwd=cwd
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            urllib.request.urlopen(base + "/-/versions.json", timeout=1)
            break
        except OSError:
            if server.poll() is not None:
                log.seek(0)
                raise AssertionError(log.read().decode(errors="replace")) from None
            time.sleep(0.2)
    else:
        server.kill()
        raise AssertionError("the server did not answer within 30 s")
    return server, base


def stop_server(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


@pytest.fixture(scope="session")
def datasette(demo: Path) -> Iterator[str]:
    """`yrdnews serve` over the demo database, on a free loopback port."""
    server, base = start_server(
        [sys.executable, "-m", "crawler", "serve", "--db", str(demo / "yrdnews.db")]
    )
    yield base
    stop_server(server)
