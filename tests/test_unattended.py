"""Unattended crawls with real processes: kill -9 at random moments then resume (or start
afresh), overlapping runs refused, incremental runs that request no known article, changed
pages kept as versions, a run that fetched nothing failing, and signals.

The archive is composed here (labelled so in every page): a paged listing of the
chinadaily_snd source, three pages of two articles each, whose texts are real corpus texts
(demo/corpus/articles.jsonl, read by fixtures/texts.py) at invented URLs of that source's form; enough for pagination,
the processing chain (figures, entities) and the store, and small enough to crawl in seconds.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from crawler.archive import WarcRecorder
from crawler.lock import DatabaseLock, DatabaseLocked
from fixtures.compose import COMPOSED_NOTE, compose_article_html
from fixtures.texts import corpus_articles

ROOT = Path(__file__).resolve().parent.parent
SOURCE = "chinadaily_snd"
SND = "http://regional.chinadaily.com.cn/SuzhouNewDistrict"
LISTINGS = [f"{SND}/latest.html", f"{SND}/latest_2.html", f"{SND}/latest_3.html"]
HTML = [("Content-Type", "text/html; charset=utf-8")]
TEXTS = [article.body for article in corpus_articles() if len(article.body) < 2000][:6]
ARTICLE_URLS = [f"{SND}/2024-0{3 - n // 2}/{20 - n:02d}/c_{900100 + n}.htm" for n in range(6)]


def listing_page(page: int) -> bytes:
    """Composed listing page `page` (0-based): its two articles and a link to the next page."""
    links = "".join(
        f'<li><a href="{escape(url)}">Article {n}</a></li>'
        for n, url in enumerate(ARTICLE_URLS)
        if n // 2 == page
    )
    more = f'<a href="{LISTINGS[page + 1]}">next</a>' if page + 1 < len(LISTINGS) else ""
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>Composed listing {page + 1}</title>'
        f'<meta name="generator" content="{escape(COMPOSED_NOTE)}"></head>'
        f"<body><ul>{links}</ul>{more}</body></html>"
    ).encode()


def build_archive(path: Path, texts: list[str] = TEXTS) -> Path:
    recorder = WarcRecorder(path)
    for page, url in enumerate(LISTINGS):
        recorder.write(url, 200, HTML, listing_page(page))
    for n, (url, text) in enumerate(zip(ARTICLE_URLS, texts, strict=True)):
        page = compose_article_html(title=f"Composed article {n}", text=text)
        recorder.write(url, 200, HTML, page)
    recorder.close()
    return path


def yrdnews(*args: str, **kwargs: object) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "crawler", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        **kwargs,
    )


def crawl_args(archive: Path, folder: Path, *more: str) -> list[str]:
    return ["crawl", "--replay", str(archive), "--source", SOURCE, "--db",
            str(folder / "yrdnews.db"), "--data-dir", str(folder), *more]  # fmt: skip


def rows(db: Path, sql: str, params: tuple = ()) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def one(db: Path, sql: str) -> object:
    return rows(db, sql)[0][0]


def content(db: Path) -> dict[str, object]:
    """What a crawl leaves: articles with their content, and how many figures and mentions."""
    return {
        "articles": sorted(rows(db, "select url, content_hash from articles")),
        "figures": one(db, "select count(*) from figures"),
        "mentions": one(db, "select count(*) from mentions"),
        "versions": one(db, "select count(*) from article_versions"),
    }


ORPHANS = """
select (select count(*) from figures where article_id not in (select id from articles))
     + (select count(*) from mentions where article_id not in (select id from articles))
     + (select count(*) from articles_fts where rowid not in (select id from articles))
     + (select count(*) from article_versions where article_id not in (select id from articles))
     + (select count(*) from articles where id not in (select rowid from articles_fts))
"""


def assert_consistent(db: Path) -> None:
    """integrity_check ok, nothing orphaned, nothing stored twice."""
    assert rows(db, "pragma integrity_check") == [("ok",)]
    assert one(db, ORPHANS) == 0
    assert one(db, "select count(*) - count(distinct canonical_url) from articles") == 0


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_archive(tmp_path_factory.mktemp("archive") / "composed.warc.gz")


@pytest.fixture(scope="module")
def reference(archive: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, float]:
    """What an uninterrupted crawl of the archive stores, and how long its run lasts (from its
    log file's creation, when the run has started, to the end of the process)."""
    folder = tmp_path_factory.mktemp("reference")
    process = start_crawl(crawl_args(archive, folder, "-q"))
    wait_for(lambda: (folder / "logs" / "run-1.log").exists())
    began = time.monotonic()
    assert process.wait(timeout=300) == 0
    took = time.monotonic() - began
    found = content(folder / "yrdnews.db")
    assert len(found["articles"]) == 6 and found["figures"] and found["mentions"]
    return found, took


def start_crawl(args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "crawler", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(condition, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def kill_chain(
    folder: Path, archive: Path, *, kills: int, resume: bool, chance: random.Random, run_time: float
) -> int:
    """Crawl, kill -9 at a random moment of the run, crawl again (`--resume`, or afresh) and
    kill that too, `kills` times; then crawl to the end. Checks the database after each kill;
    returns how many kills hit a run still running."""
    db, logs = folder / "yrdnews.db", folder / "logs"
    hits = 0
    for kill in range(kills + 1):
        more = ["-q", *(["--resume"] if resume and kill else [])]
        runs_before = len(list(logs.glob("run-*.log"))) if logs.exists() else 0
        process = start_crawl(crawl_args(archive, folder, *more))
        if kill == kills:
            assert process.wait(timeout=300) == 0, process.stderr.read()
            break
        # from the moment the run exists (its log file) to the end of a whole run
        wait_for(lambda n=runs_before: logs.exists() and len(list(logs.glob("run-*.log"))) > n)
        # Within three quarters of a whole run's length: every run after a kill has less left
        # to do than a whole run (a resumed one goes on; a fresh one skips the stored pages), so
        # kills drawn over a whole run's length mostly came after such a run had ended.
        time.sleep(chance.uniform(0, run_time * 0.75))
        process.send_signal(signal.SIGKILL)
        process.wait()
        process.stderr.close()
        assert_consistent(db)
        last = rows(db, "select status from crawl_runs order by id desc limit 1")[0][0]
        hits += last == "running"
        # nothing left running but the run just killed
        assert rows(db, "select count(*) from crawl_runs where status = 'running'")[0][0] <= 1
    return hits


def test_kill_9_at_random_moments_then_resume_or_start_afresh_loses_nothing(
    archive: Path, reference: tuple[dict, float], tmp_path: Path
) -> None:
    expected, run_time = reference
    seed = int(os.environ.get("YRD_KILL_SEED", time.time()))
    chains, kills = 4, 5  # per way of going on: 20 kills followed by --resume, 20 by a fresh run
    began = time.monotonic()

    def series(resume: bool) -> int:
        chance = random.Random(seed + resume)
        hits = 0
        for chain in range(chains):
            folder = tmp_path / f"{'resume' if resume else 'fresh'}{chain}"
            folder.mkdir()
            hits += kill_chain(
                folder, archive, kills=kills, resume=resume, chance=chance, run_time=run_time
            )
            db = folder / "yrdnews.db"
            assert_consistent(db)
            assert content(db) == expected, (chain, resume)  # nothing lost, nothing twice
            statuses = rows(db, "select id, status, resumed_from from crawl_runs order by id")
            assert statuses[-1][1] == "ok"
            # every run a kill cut short is marked so (a kill may come after a run ended)
            assert {status for _, status, _ in statuses[:-1]} <= {"interrupted", "ok"}
            resumed = [of for _, _, of in statuses if of is not None]
            if resume:  # each interrupted run was resumed by the next crawl, once
                interrupted = [i for i, status, _ in statuses if status == "interrupted"]
                assert resumed == interrupted
            else:
                assert resumed == []
        return hits

    with ThreadPoolExecutor(2) as pool:
        hits = list(pool.map(series, (True, False)))
    print(
        f"kill -9 (seed {seed}, a run lasts {run_time:.1f} s): {chains * kills} kills followed by "
        f"--resume, {chains * kills} by a fresh run; {sum(hits)} hit a running run; "
        f"{time.monotonic() - began:.0f} s"
    )
    # kill times are drawn from a run's measured length, which load changes: at least half
    # of the kills of each series must still land while a run is going
    assert min(hits) >= chains * kills // 2


def test_a_second_run_requests_no_known_article(archive: Path, tmp_path: Path) -> None:
    assert yrdnews(*crawl_args(archive, tmp_path)).returncode == 0
    again = yrdnews(*crawl_args(archive, tmp_path))
    assert again.returncode == 0, again.stderr
    (stats,) = json.loads(
        one(tmp_path / "yrdnews.db", "select stats from crawl_runs where id = 2")
    ).values()
    assert stats.get("yrd/articles/requested", 0) == 0
    assert stats["yrd/articles/known"] == 2
    # the first listing page holds only articles a complete run stored: paging stops there
    assert stats["downloader/request_count"] == 1
    assert "2 known and not requested" in again.stderr
    refresh = yrdnews(*crawl_args(archive, tmp_path, "--refresh"))
    (stats,) = json.loads(
        one(tmp_path / "yrdnews.db", "select stats from crawl_runs where id = 3")
    ).values()
    assert refresh.returncode == 0 and stats["yrd/articles/requested"] == 6
    assert stats["downloader/request_count"] == len(LISTINGS) + 6
    assert stats["yrd/articles/unchanged"] == 6
    health = rows(tmp_path / "yrdnews.db", "select source_id, last_status, recent_runs, "
                  "new_articles_per_run, stopped_yielding from source_health")  # fmt: skip
    assert health == [(SOURCE, "ok", 3, "[0,0,6]", 0)]


def test_a_changed_article_keeps_its_previous_version(archive: Path, tmp_path: Path) -> None:
    assert yrdnews(*crawl_args(archive, tmp_path)).returncode == 0
    db = tmp_path / "yrdnews.db"
    (old_body, old_record), = rows(db, "select body, warc_record_id from articles where url = ?", (ARTICLE_URLS[0],))  # fmt: skip
    corrected = [TEXTS[0].replace("Suzhou", "Suzhou (corrected)", 1), *TEXTS[1:]]
    changed = build_archive(tmp_path / "changed.warc.gz", corrected)
    result = yrdnews(*crawl_args(changed, tmp_path, "--refresh"))
    assert result.returncode == 0, result.stderr
    assert "1 updated, 5 unchanged" in result.stderr
    (body,) = rows(db, "select body from articles where url = ?", (ARTICLE_URLS[0],))[0]
    assert "Suzhou (corrected)" in body
    versions = rows(db, "select version, body, warc_record_id, superseded_by_run_id,"
                    " superseded_at is not null from article_versions")  # fmt: skip
    assert versions == [(1, old_body, old_record, 2, 1)]
    assert one(db, "select articles_updated from crawl_run_sources where run_id = 2") == 1
    assert_consistent(db)


def test_a_run_whose_archive_answers_nothing_fails(archive: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.warc.gz"
    recorder = WarcRecorder(other)
    recorder.write("https://elsewhere.example/", 200, HTML, b"<html><body>composed</body></html>")
    recorder.close()
    result = yrdnews(*crawl_args(other, tmp_path))
    assert result.returncode == 4, result.stderr
    assert rows(tmp_path / "yrdnews.db", "select status, requests, responses from crawl_runs") == [
        ("failed", 1, 0)
    ]
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("crawl run 1 failed:") and f"not ok: {SOURCE} failed" in line


# --- live crawls: a loopback stand-in for the source's site, reached as an HTTP proxy -----


class Site(BaseHTTPRequestHandler):
    """Answers for regional.chinadaily.com.cn with the composed pages above: listing pages
    with an ETag (304 when it matches), articles after `delay` seconds, nothing ever for
    /hang/ URLs, and no robots.txt."""

    requests: list[tuple[str, str | None]] = []
    delay = 0.0
    extra: list[str] = []  # article URLs added at the top of the first listing page

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        url = (
            self.path
            if self.path.startswith("http")
            else f"http://{self.headers['Host']}{self.path}"
        )
        Site.requests.append((url, self.headers.get("If-None-Match")))
        if url in LISTINGS:
            page = LISTINGS.index(url)
            body = listing_page(page)
            if page == 0 and Site.extra:
                body = body.replace(
                    b"<ul>",
                    b"".join(f'<ul><li><a href="{u}">new</a></li>'.encode() for u in Site.extra),
                    1,
                )
            etag = f'"{len(body)}-{page}"'
            if self.headers.get("If-None-Match") == etag:
                self.reply(304, b"", [("ETag", etag)])
            else:
                self.reply(200, body, [*HTML, ("ETag", etag)])
        elif url in ARTICLE_URLS or url in Site.extra:
            time.sleep(Site.delay)
            n = (ARTICLE_URLS + Site.extra).index(url) % len(TEXTS)
            self.reply(
                200, compose_article_html(title=f"Composed article {url}", text=TEXTS[n]), HTML
            )
        elif "/hang/" in url:
            time.sleep(120)
        else:
            self.reply(404, b"not here", [("Content-Type", "text/plain")])

    def reply(self, status: int, body: bytes, headers: list[tuple[str, str]]) -> None:
        try:
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the crawler went away (killed): that is the point of some tests

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def site() -> Iterator[dict[str, str]]:
    """The environment that sends the crawl's HTTP requests to the stand-in site."""
    Site.requests, Site.delay, Site.extra = [], 0.0, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    proxy = f"http://127.0.0.1:{server.server_address[1]}"
    yield os.environ | {"http_proxy": proxy, "HTTP_PROXY": proxy, "no_proxy": "", "NO_PROXY": ""}
    server.shutdown()
    server.server_close()


def live_args(folder: Path, *more: str) -> list[str]:
    return ["crawl", "--source", SOURCE, "--db", str(folder / "yrdnews.db"), "--data-dir",
            str(folder), "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False",
            "-s", "RETRY_TIMES=0", *more]  # fmt: skip


def stored(db: Path) -> int:
    try:
        return int(one(db, "select count(*) from articles")) if db.exists() else 0
    except sqlite3.OperationalError:
        return 0  # the schema is still being made


def test_discovery_pages_are_fetched_conditionally(site: dict[str, str], tmp_path: Path) -> None:
    assert yrdnews(*live_args(tmp_path), env=site).returncode == 0
    assert stored(tmp_path / "yrdnews.db") == 6
    Site.requests.clear()
    again = yrdnews(*live_args(tmp_path), env=site)
    assert again.returncode == 0, again.stderr
    # one conditional request for the first listing page, answered 304; no article asked for
    asked = [(url, bool(etag)) for url, etag in Site.requests if not url.endswith("robots.txt")]
    assert asked == [(LISTINGS[0], True)]
    assert one(tmp_path / "yrdnews.db", "select not_modified from crawl_runs where id = 2") == 1
    # a new article at the top of the first page: that page changed, the next one did not
    new = f"{SND}/2024-04/01/c_900200.htm"
    Site.extra, Site.requests = [new], []
    third = yrdnews(*live_args(tmp_path), env=site)
    assert third.returncode == 0, third.stderr
    asked = [
        (url, etag is not None) for url, etag in Site.requests if not url.endswith("robots.txt")
    ]
    assert asked[0] == (LISTINGS[0], True)  # then the new article and page 2, in any order
    assert sorted(asked[1:]) == sorted([(new, False), (LISTINGS[1], True)])
    assert "1 new, 0 updated, 0 unchanged, 4 known" in third.stderr


def test_the_lock_names_the_start_its_run_recorded_not_when_the_lock_was_taken(
    tmp_path: Path,
) -> None:
    db = tmp_path / "yrdnews.db"
    held = DatabaseLock(db)
    held.acquire()
    try:
        held.set_run(7, "2026-12-03T01:59:21+00:00")  # a second after the lock was taken
        with pytest.raises(DatabaseLocked) as refused:
            DatabaseLock(db).acquire()
        assert str(refused.value) == (
            f"another crawl is writing {db}: run 7, pid {os.getpid()} on "
            f"{os.uname().nodename}, started 2026-12-03T01:59:21+00:00"
        )
    finally:
        held.release()
    assert DatabaseLock(db).acquire() is None  # released: the file says nobody holds it


def test_an_overlapping_crawl_is_refused_naming_the_running_run(
    site: dict[str, str], tmp_path: Path
) -> None:
    Site.delay = 2.0
    db = tmp_path / "yrdnews.db"
    first = start_crawl(live_args(tmp_path, "-q", "-s", "CONCURRENT_REQUESTS=1"), site)
    try:
        wait_for(lambda: any(url in ARTICLE_URLS for url, _ in Site.requests))
        began = time.monotonic()
        second = yrdnews(*live_args(tmp_path), env=site)
        assert time.monotonic() - began < 30  # at once: it waits for nothing
        assert second.returncode == 75, second.stderr
        (line,) = second.stderr.strip().splitlines()
        (started_at,) = rows(db, "select started_at from crawl_runs where id = 1")[0]
        assert line == (f"yrdnews: error: another crawl is writing {db}: run 1, pid {first.pid} "
                        f"on {os.uname().nodename}, started {started_at}")  # fmt: skip
        assert rows(db, "select count(*) from crawl_runs") == [(1,)]
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    # the lock the killed crawl left is taken over, and its run marked interrupted
    Site.delay = 0.0
    after = yrdnews(*live_args(tmp_path), env=site)
    assert after.returncode == 0, after.stderr
    assert rows(db, "select id, status from crawl_runs") == [(1, "interrupted"), (2, "ok")]
    assert rows(db, "select status from crawl_run_sources where run_id = 1") == [("interrupted",)]
    assert stored(db) == 6


def test_sigterm_stops_gracefully_within_seconds_and_the_run_resumes(
    site: dict[str, str], tmp_path: Path
) -> None:
    Site.delay = 1.0
    db = tmp_path / "yrdnews.db"
    crawl = start_crawl(live_args(tmp_path, "-s", "CONCURRENT_REQUESTS=1"), site)
    wait_for(lambda: stored(db) >= 1)
    began = time.monotonic()
    crawl.send_signal(signal.SIGTERM)
    _, err = crawl.communicate(timeout=60)
    took = time.monotonic() - began
    assert crawl.returncode == 5, err
    assert took < 8, took  # the article in flight finishes (1 s), then the spider closes
    assert "SIGTERM received, stopping run 1" in err and "Traceback" not in err
    run = rows(db, "select status, requests, articles_new from crawl_runs")[0]
    assert run[0] == "interrupted" and run[1] >= 3 and run[2] == stored(db) < 6
    assert rows(db, "select status, finish_reason from crawl_run_sources") == [
        ("interrupted", "shutdown")
    ]
    Site.delay = 0.0
    resumed = yrdnews(*live_args(tmp_path, "--resume"), env=site)
    assert resumed.returncode == 0, resumed.stderr
    assert "crawl run 2 (resumes run 1) ok" in resumed.stderr
    assert stored(db) == 6
    assert_consistent(db)
    assert not (tmp_path / "jobs").exists() or not any((tmp_path / "jobs").iterdir())


@pytest.mark.parametrize("second_signal", [True, False], ids=["second signal", "stop timeout"])
def test_a_crawl_stuck_on_a_download_stops_at_once_or_after_the_timeout(
    site: dict[str, str], tmp_path: Path, second_signal: bool
) -> None:
    urls = tmp_path / "urls.txt"
    urls.write_text(f"{SND}/hang/1.htm\n{SND}/hang/2.htm\n")
    db = tmp_path / "yrdnews.db"
    args = ["crawl", "--urls", str(urls), "--db", str(db), "--data-dir", str(tmp_path),
            "-s", "DOWNLOAD_TIMEOUT=100", "-s", "YRD_STOP_TIMEOUT=3", "-s", "ROBOTSTXT_OBEY=False"]  # fmt: skip
    crawl = start_crawl(args, site)
    wait_for(lambda: len(Site.requests) >= 2)  # both downloads hang
    time.sleep(0.5)
    began = time.monotonic()
    crawl.send_signal(signal.SIGINT)
    if second_signal:
        time.sleep(0.5)
        crawl.send_signal(signal.SIGTERM)
    _, err = crawl.communicate(timeout=60)
    took = time.monotonic() - began
    assert crawl.returncode == 5, err
    assert took < (2.5 if second_signal else 6), took
    assert "stopping run 1 at once" in err and "Traceback" not in err
    run = rows(db, "select status, requests from crawl_runs")[0]
    assert run == ("interrupted", 2)  # the counters the crawl had are written
    assert rows(db, "select status from crawl_run_sources") == [("interrupted",)]


def test_a_live_crawl_killed_leaves_an_archive_that_replays(
    site: dict[str, str], tmp_path: Path
) -> None:
    Site.delay = 0.3
    db = tmp_path / "yrdnews.db"
    crawl = start_crawl(live_args(tmp_path, "-q", "-s", "CONCURRENT_REQUESTS=1"), site)
    wait_for(lambda: stored(db) >= 2)
    crawl.send_signal(signal.SIGKILL)
    crawl.wait()
    (warc,) = (tmp_path / "warc").glob("*.warc.gz")
    # the file being written when the process died, cut inside its last record for good measure
    with open(warc, "r+b") as handle:
        handle.truncate(warc.stat().st_size - 7)
    replay = tmp_path / "replay"
    replayed = yrdnews("crawl", "--replay", str(tmp_path / "warc"), "--source", SOURCE, "--db",
                       str(replay / "yrdnews.db"), "--data-dir", str(replay))  # fmt: skip
    # degraded when the listing page the crawl did not get to is missing from the archive
    assert replayed.returncode in (0, 3), replayed.stderr
    assert stored(replay / "yrdnews.db") >= stored(db)  # every stored article's record is whole
    errors = json.loads(one(replay / "yrdnews.db", "select errors_by_kind from crawl_runs"))
    assert errors["warc_damaged"] == 1
    assert "Traceback" not in replayed.stderr
