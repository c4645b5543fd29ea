"""Workers on one Redis frontier and one writer, as real processes on loopback: a real
redis-server (tests/conftest.py), `yrdnews worker` replaying the demo snapshot, `yrdnews
ingest` writing SQLite, and kill -9 of a worker or of the writer in the middle."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from crawler import handoff
from crawler import ingest as writing
from crawler.archive import ReplayArchive
from crawler.db import open_db
from crawler.ingest import WriterBusy, WriterLock
from crawler.items import Article
from fixtures.texts import corpus_articles, seed_articles
from tests.conftest import build_snapshot

ROOT = Path(__file__).resolve().parent.parent
STREAM = "yrd:articles"
CRAWLED = re.compile(r"Crawled \(\d+\) <GET (\S+)>")


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_snapshot(tmp_path_factory.mktemp("snapshot"))


STARTED: list[subprocess.Popen] = []


@pytest.fixture(autouse=True)
def stop_leftovers() -> Iterator[None]:
    """A failing test still leaves no process behind."""
    yield
    while STARTED:
        process = STARTED.pop()
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=30)


def yrdnews(*args: str) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "crawler", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    STARTED.append(process)
    return process


def start_worker(
    redis_url: str, snapshot: Path, folder: Path, name: str, *settings: str
) -> subprocess.Popen:
    sources = (snapshot / "sources.txt").read_text().split()
    return yrdnews(
        "worker",
        "--redis",
        redis_url,
        "--frontier",
        "test",
        "--replay",
        str(snapshot / "snapshot.warc.gz"),
        "--urls",
        str(snapshot / "urls.txt"),
        *[arg for source in sources for arg in ("--source", source)],
        "--data-dir",
        str(folder / name),
        "-s",
        "LOG_LEVEL=DEBUG",
        "-s",
        f"LOG_FILE={folder / f'{name}.log'}",
        "-s",
        "YRD_WORKER_HEARTBEAT=3",
        *[arg for setting in settings for arg in ("-s", setting)],
    )


def finish(process: subprocess.Popen, timeout: float = 300) -> str:
    _, stderr = process.communicate(timeout=timeout)
    assert process.returncode == 0, stderr[-3000:]
    return stderr


def ingest(redis_url: str, db: Path) -> subprocess.Popen:
    return yrdnews("ingest", "--redis", redis_url, "--db", str(db), "--exit-when-idle", "1")


def crawled(log: Path) -> list[str]:
    return CRAWLED.findall(log.read_text(encoding="utf-8")) if log.exists() else []


def stored(db: Path) -> Counter[str]:
    if not db.exists():
        return Counter()
    with sqlite3.connect(db) as conn:
        try:
            return Counter(url for (url,) in conn.execute("select url from articles"))
        except sqlite3.OperationalError:  # the writer is still creating the tables
            return Counter()


def crawl_runs(db: Path) -> list[sqlite3.Row]:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        return conn.execute("select * from crawl_runs order by id").fetchall()


def entries(client: redis.Redis, kind: str = "article") -> list[dict[str, str]]:
    found = []
    for _, fields in client.xrange(STREAM):
        fields = {k.decode(): v.decode() for k, v in fields.items()}
        if fields["kind"] == kind:
            found.append(fields)
    return found


def wait_for(condition: Callable[[], bool], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def frontier_left(client: redis.Redis) -> dict[str, int]:
    """Requests still queued or claimed anywhere in the frontier."""
    left = {}
    for key in client.scan_iter("yrd:test:*"):
        name = key.decode()
        if name.endswith(":requests") or ":claimed:" in name:
            left[name] = client.zcard(key)
    return {k: v for k, v in left.items() if v}


def expected_articles() -> set[str]:
    return {a.url for a in seed_articles()} | {a.url for a in corpus_articles()}


def test_two_workers_request_every_url_once_and_every_article_is_stored_once(
    redis_url: str, snapshot: Path, tmp_path: Path
) -> None:
    workers = [start_worker(redis_url, snapshot, tmp_path, name) for name in ("w1", "w2")]
    for process in workers:
        finish(process)
    requested = {name: crawled(tmp_path / f"{name}.log") for name in ("w1", "w2")}
    total = Counter(requested["w1"] + requested["w2"])
    assert [url for url, n in total.items() if n > 1] == []  # once in total
    assert requested["w1"] and requested["w2"]  # and shared between them
    archive = ReplayArchive([snapshot / "snapshot.warc.gz"])
    assert len(total) == len(archive)  # every archived page was reached

    client = redis.Redis.from_url(redis_url)
    handed = entries(client)
    assert {e["worker"] for e in handed} == {f"{socket.gethostname()}-{p.pid}" for p in workers}
    assert frontier_left(client) == {}
    summary = finish(ingest(redis_url, tmp_path / "yrdnews.db"))
    rows = stored(tmp_path / "yrdnews.db")
    assert expected_articles() <= set(rows)
    assert max(rows.values()) == 1 and len(rows) == len(handed)
    assert f"{len(rows)} inserted, 0 updated, 0 unchanged, 0 rejected, 0 already stored" in summary
    # one crawl run per worker, with what it fetched by source and what the writer stored
    runs = crawl_runs(tmp_path / "yrdnews.db")
    assert sorted((r["host"], r["pid"], r["status"]) for r in runs) == sorted(
        (socket.gethostname(), p.pid, "ok") for p in workers
    )
    assert sum(r["articles"] for r in runs) == len(rows)
    assert sum(r["requests"] for r in runs) == len(total)
    for run in runs:
        assert set(json.loads(run["stats"])) == set(json.loads(run["sources"]))
    assert client.xlen(STREAM) == 0  # every entry acknowledged and deleted
    for article in (Article.from_json(e["data"]) for e in handed):  # pointing at its record
        assert archive.get(article.url).ref.record_id == article.warc.record_id
    # the writer clustered what it stored into stories (the post-store step)
    with sqlite3.connect(tmp_path / "yrdnews.db") as conn:
        clustered = conn.execute("select count(*) from story_articles").fetchone()[0]
        copies = conn.execute("select count(*) from story_articles where role = 'copy'").fetchone()
    assert clustered == len(rows) and copies[0] >= 4  # the corpus's syndicated pairs at least


def test_a_killed_worker_loses_nothing(redis_url: str, snapshot: Path, tmp_path: Path) -> None:
    client = redis.Redis.from_url(redis_url)
    # Slowed down, so that it cannot crawl the whole frontier before the survivor has started
    # (a replay takes a few seconds, about what a worker's start-up takes).
    victim = start_worker(redis_url, snapshot, tmp_path, "victim", "DOWNLOAD_DELAY=0.2")
    victim_id = f"{socket.gethostname()}-{victim.pid}"
    wait_for(lambda: sum(e["worker"] == victim_id for e in entries(client)) >= 3)
    survivor = start_worker(redis_url, snapshot, tmp_path, "survivor")
    wait_for(lambda: crawled(tmp_path / "survivor.log") != [])

    def victim_claims() -> int:
        return sum(client.zcard(key) for key in client.scan_iter(f"yrd:test:*:claimed:{victim_id}"))

    wait_for(
        lambda: victim_claims() > 0
    )  # kill it while it holds requests (it takes them in turns)
    os.kill(victim.pid, signal.SIGKILL)
    victim.communicate(timeout=30)
    assert victim_claims() > 0  # it died holding requests

    stderr = finish(survivor)
    assert frontier_left(client) == {}
    survivor_log = (tmp_path / "survivor.log").read_text(encoding="utf-8")
    assert "'yrd/frontier/reclaimed':" in survivor_log, stderr[-2000:]
    finish(ingest(redis_url, tmp_path / "yrdnews.db"))
    rows = stored(tmp_path / "yrdnews.db")
    assert expected_articles() <= set(rows)
    assert max(rows.values()) == 1
    archive = ReplayArchive([snapshot / "snapshot.warc.gz"])
    reached = set(crawled(tmp_path / "victim.log")) | set(crawled(tmp_path / "survivor.log"))
    assert len(reached) == len(archive)
    statuses = {r["pid"]: r["status"] for r in crawl_runs(tmp_path / "yrdnews.db")}
    assert statuses == {victim.pid: "interrupted", survivor.pid: "ok"}


class KillAfterFirstMarkSeen:
    """A loopback proxy in front of Redis that SIGKILLs the worker behind it as soon as Redis
    confirms the worker's first change to a duplicate filter, before the worker hears back:
    the worker dies at the one moment where a URL is marked seen and nothing more is known."""

    MARK = re.compile(rb"(SADD|EVALSHA)\r\n.*?:dupefilter\r\n", re.DOTALL)

    def __init__(self, upstream: str) -> None:
        self.upstream = redis.connection.parse_url(upstream)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"redis://127.0.0.1:{self.listener.getsockname()[1]}/0"
        self.victim: subprocess.Popen | None = None
        self.killed = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            client, _ = self.listener.accept()
            server = socket.create_connection((self.upstream["host"], self.upstream["port"]))
            marking = threading.Event()
            threading.Thread(
                target=self._requests, args=(client, server, marking), daemon=True
            ).start()
            threading.Thread(
                target=self._replies, args=(server, client, marking), daemon=True
            ).start()

    def _requests(
        self, client: socket.socket, server: socket.socket, marking: threading.Event
    ) -> None:
        while chunk := client.recv(65536):
            if not self.killed.is_set() and self.MARK.search(chunk):
                marking.set()
            server.sendall(chunk)
        server.close()

    def _replies(
        self, server: socket.socket, client: socket.socket, marking: threading.Event
    ) -> None:
        while chunk := server.recv(65536):
            if marking.is_set():
                marking.clear()
                if not chunk.startswith(b"-") and self.victim is not None:  # done, not NOSCRIPT
                    self.victim.send_signal(signal.SIGKILL)
                    self.killed.set()
                    return
            client.sendall(chunk)
        client.close()


def test_a_worker_killed_right_after_marking_a_url_seen_loses_nothing(
    redis_url: str, snapshot: Path, tmp_path: Path
) -> None:
    proxy = KillAfterFirstMarkSeen(redis_url)
    proxy.victim = start_worker(proxy.url, snapshot, tmp_path, "victim")
    assert proxy.killed.wait(120)
    proxy.victim.communicate(timeout=30)
    assert proxy.victim.returncode == -signal.SIGKILL
    client = redis.Redis.from_url(redis_url)
    assert any(client.scard(key) for key in client.scan_iter("yrd:test:*:dupefilter"))

    finish(start_worker(redis_url, snapshot, tmp_path, "survivor"))
    assert frontier_left(client) == {}
    reached = set(crawled(tmp_path / "victim.log")) | set(crawled(tmp_path / "survivor.log"))
    assert len(reached) == len(ReplayArchive([snapshot / "snapshot.warc.gz"]))


def test_a_killed_writer_restarted_stores_every_pending_article_once(
    redis_url: str, snapshot: Path, tmp_path: Path
) -> None:
    client = redis.Redis.from_url(redis_url)
    finish(start_worker(redis_url, snapshot, tmp_path, "w"))
    handed = {Article.from_json(e["data"]).url for e in entries(client)}
    db = tmp_path / "yrdnews.db"

    # It commits each entry alone, so it dies with most of what it read not yet acknowledged.
    writer = yrdnews("ingest", "--redis", redis_url, "--db", str(db), "--commit-every", "1")
    wait_for(lambda: sum(stored(db).values()) >= 5)
    os.kill(writer.pid, signal.SIGKILL)
    writer.communicate(timeout=30)
    pending = client.xpending(STREAM, "writers")["pending"]
    assert pending > 0  # read by the dead writer, never acknowledged
    before = sum(stored(db).values())
    assert before < len(handed)

    summary = finish(ingest(redis_url, db))
    rows = stored(db)
    assert set(rows) == handed and max(rows.values()) == 1
    assert client.xlen(STREAM) == 0
    assert client.xpending(STREAM, "writers")["pending"] == 0
    inserted = int(re.search(r"(\d+) inserted", summary).group(1))
    unchanged = int(re.search(r"(\d+) unchanged", summary).group(1))
    # What the dead writer committed is not stored again: the entry it may have committed
    # but not yet acknowledged is recognised by the stream's mark.
    assert inserted == len(handed) - before and unchanged == 0
    assert int(re.search(r"(\d+) already stored", summary).group(1)) <= 1


def test_one_writer_at_a_time_and_a_clean_stop(redis_url: str, tmp_path: Path) -> None:
    client = redis.Redis.from_url(redis_url)
    writer = yrdnews("ingest", "--redis", redis_url, "--db", str(tmp_path / "a.db"))
    wait_for(lambda: client.exists(f"{STREAM}:writer") == 1)
    second = ingest(redis_url, tmp_path / "b.db")
    _, refused = second.communicate(timeout=60)
    assert second.returncode == 1
    assert refused.startswith(
        f"yrdnews: error: another writer ({socket.gethostname()}-{writer.pid})"
    )
    writer.send_signal(signal.SIGTERM)
    assert "ingested 0 entries" in finish(writer, timeout=30)
    assert client.exists(f"{STREAM}:writer") == 0  # released for the next writer


def test_an_entry_that_is_not_an_article_is_kept_aside_not_lost(
    redis_url: str, tmp_path: Path
) -> None:
    client = redis.Redis.from_url(redis_url)
    client.xadd(STREAM, {"kind": "article", "worker": "w", "data": '{"url": "x", "color": 1}'})
    process = ingest(redis_url, tmp_path / "yrdnews.db")
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 1
    assert "1 rejected" in stderr
    ((_, fields),) = client.xrange(f"{STREAM}:rejected")
    assert b"unknown field(s) color" in fields[b"error"]
    assert fields[b"data"] == b'{"url": "x", "color": 1}'
    assert client.xlen(STREAM) == 0


def test_worker_and_ingest_errors_are_one_line(tmp_path: Path) -> None:
    for args in (
        ["worker", "--redis", "redis://127.0.0.1:1/0"],
        ["ingest", "--redis", "redis://127.0.0.1:1/0", "--db", str(tmp_path / "x.db")],
        ["ingest", "--redis", "ftp://nowhere", "--db", str(tmp_path / "x.db")],
    ):
        process = yrdnews(*args)
        _, stderr = process.communicate(timeout=60)
        assert process.returncode == 1, args
        assert stderr.startswith("yrdnews: error: ") and stderr.count("\n") == 1, stderr


def test_the_writer_lock_outlives_a_backlog_longer_than_its_time_to_live(
    redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Entries a dead writer left pending, then new ones, each written slower than half the
    lock's time to live: the lock is renewed as the writer goes, so no rival takes the stream."""
    client = redis.Redis.from_url(redis_url)
    texts = (seed_articles() + corpus_articles())[:8]
    articles = [Article(url=t.url, canonical_url=t.url, title=t.title, body=t.body) for t in texts]
    for article in articles[:4]:
        handoff.add_article(client, STREAM, "w", article)
    client.xgroup_create(STREAM, handoff.GROUP, id="0")
    client.xreadgroup(handoff.GROUP, "dead-1", {STREAM: ">"})  # read, never acknowledged
    for article in articles[4:]:
        handoff.add_article(client, STREAM, "w", article)
    ttl_ms, rivals = 300, Counter[str]()
    write = writing.Writer._write

    def slow_write(self: writing.Writer, entry: handoff.Entry) -> str:
        time.sleep(ttl_ms / 2000)  # a slow disk: eight entries take four times the lock's life
        return write(self, entry)

    def rival_tries() -> bool:  # asked after each entry (and before each read of the stream)
        try:
            WriterLock(client, STREAM, "rival-1", ttl_ms).take()
            rivals["took the lock"] += 1
        except WriterBusy:
            rivals["refused"] += 1
        return rivals.total() > len(articles)

    monkeypatch.setattr(writing.Writer, "_write", slow_write)
    db = open_db(tmp_path / "yrdnews.db")
    counts = writing.ingest(
        db, client, stop=rival_tries, commit_every=1, lock_ttl_ms=ttl_ms, block_ms=10
    )
    assert counts["inserted"] == len(articles)
    assert rivals["refused"] > len(articles) and not rivals["took the lock"]
