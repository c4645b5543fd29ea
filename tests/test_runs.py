"""Crawl runs: owners told apart (overlapping crawls), stats folded by the contract of
crawler/stats.py, the columns declared once, and a plain `scrapy crawl` recording its own run."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlite_utils import Database

from crawler import db as database
from crawler import runs
from crawler.archive import WarcRecorder
from fixtures.compose import compose_article_html
from fixtures.texts import seed_articles

ROOT = Path(__file__).resolve().parent.parent

# Starts a run in another process, prints its id, then exits or keeps running.
START_RUN = """
import sys, time
from crawler.db import open_db
from crawler.runs import start_run
print(start_run(open_db(sys.argv[1]), sources=["other"], replay=None, since=None), flush=True)
if sys.argv[2] == "stay":
    time.sleep(300)
"""


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "yrdnews.db"


@pytest.fixture
def db(db_path: Path) -> Iterator[Database]:
    handle = database.open_db(db_path)
    yield handle
    handle.close()


def run_elsewhere(db_path: Path, stay: bool) -> tuple[subprocess.Popen, int]:
    process = subprocess.Popen(
        [sys.executable, "-c", START_RUN, str(db_path), "stay" if stay else "exit"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    return process, int(process.stdout.readline())


def status(db: Database, run_id: int) -> str:
    return db["crawl_runs"].get(run_id)["status"]


def test_runs_left_running_by_a_dead_process_are_marked_interrupted(db, db_path: Path) -> None:
    process, first = run_elsewhere(db_path, stay=False)
    process.wait(timeout=60)
    second = runs.start_run(db, sources=["a"], replay=[], since=None)
    assert status(db, first) == "interrupted"
    runs.record_source(
        db,
        second,
        "a",
        {"downloader/request_count": 3, "yrd/articles/stored": 2, "yrd/dropped/short_body": 1},
    )
    runs.finish_run(db, second, "ok")
    row = db["crawl_runs"].get(second)
    assert (row["status"], row["requests"], row["articles"]) == ("ok", 3, 2)
    assert json.loads(row["drops"]) == {"short_body": 1}
    assert (row["pid"], row["host"]) == (os.getpid(), os.uname().nodename)


def test_an_overlapping_run_leaves_a_live_run_alone(db, db_path: Path) -> None:
    process, held = run_elsewhere(db_path, stay=True)
    try:
        mine = runs.start_run(db, sources=["a"], replay=None, since=None)
        assert status(db, held) == "running"
        runs.start_run(db, sources=["a"], replay=None, since=None)
        assert (status(db, held), status(db, mine)) == ("running", "running")  # both alive
    finally:
        process.kill()  # SIGKILL: the run is never finished
        process.wait(timeout=60)
    runs.start_run(db, sources=["a"], replay=None, since=None)
    assert (status(db, held), status(db, mine)) == ("interrupted", "running")


def test_owners_that_cannot_be_checked(db) -> None:
    def insert(**owner: object) -> int:
        row = runs.CrawlRun(started_at="2024-01-01T00:00:00+00:00", **owner).to_row()
        del row["id"]
        return int(db["crawl_runs"].insert(row).last_pk)

    other_host = insert(pid=1, host="another-host.invalid")
    no_owner = insert()  # recorded before runs had owners
    reused_pid = insert(pid=os.getpid(), host=os.uname().nodename)  # we started after it
    runs.start_run(db, sources=["a"], replay=None, since=None)
    assert status(db, other_host) == "running"
    assert status(db, no_owner) == "interrupted"
    assert status(db, reused_pid) == "interrupted"


def test_stats_fold_by_the_contract(db) -> None:
    run_id = runs.start_run(db, sources=["a", "b"], replay=None, since="2024-01-01")
    runs.record_source(
        db,
        run_id,
        "a",
        {
            "downloader/request_count": 5,
            "downloader/response_count": 4,
            "yrd/errors/http_404": 2,
            "yrd/errors/timeout": 1,
            "log_count/ERROR": 1,
            "yrd/dropped/keyword": 1,
            "yrd/replay/miss": 1,
            "yrd/articles/unchanged": 3,
        },
    )
    runs.record_source(
        db, run_id, "b", {"yrd/errors/http_404": 1, "yrd/dropped/keyword": 2, "yrd/figures": 7}
    )
    run = runs.get_run(db, run_id)
    assert (run.requests, run.responses, run.articles_unchanged, run.replay_misses) == (5, 4, 3, 1)
    assert run.errors == 5
    assert run.errors_by_kind == {"http_404": 3, "timeout": 1, "logged": 1}
    assert run.drops == {"keyword": 3}
    assert run.stats["b"] == {"yrd/errors/http_404": 1, "yrd/dropped/keyword": 2, "yrd/figures": 7}
    assert (run.sources, run.since, run.replay) == (["a", "b"], "2024-01-01", None)


def test_run_status() -> None:
    def sources(*statuses: str) -> list[runs.RunSource]:
        return [runs.RunSource(source_id=str(n), status=s) for n, s in enumerate(statuses)]

    assert runs.run_status(sources("ok", "ok")) == "ok"
    assert runs.run_status(sources("ok", "empty")) == "degraded"
    assert runs.run_status(sources("failed", "incomplete")) == "degraded"
    assert runs.run_status(sources("failed", "failed")) == "failed"
    assert runs.run_status(sources("ok", "interrupted")) == "interrupted"
    assert runs.run_status(sources("ok"), interrupted=True) == "interrupted"


def test_a_sources_status_says_what_went_wrong() -> None:
    fine = {"downloader/request_count": 4, "yrd/fetched": 4, "yrd/articles/linked": 3,
            "yrd/articles/requested": 3, "yrd/articles/read": 3}  # fmt: skip
    assert runs.source_status(fine, None) == "running"
    assert runs.source_status(fine, "finished") == "ok"
    assert runs.source_status(fine, "closespider_itemcount") == "ok"
    assert runs.source_status(fine, "shutdown") == "interrupted"
    assert runs.source_status(fine, "cancelled") == "failed"
    assert runs.source_status(fine | {"yrd/fetched": 0}, "finished") == "failed"
    assert runs.source_status(fine | {"yrd/articles/read": 0}, "finished") == "failed"
    assert runs.source_status(fine | {"yrd/articles/linked": 0}, "finished") == "empty"
    assert runs.source_status(fine | {"yrd/discovery/failed": 1}, "finished") == "incomplete"
    # a URL list whose every URL is known asks for nothing, and that is fine
    assert (
        runs.source_status({"yrd/articles/linked": 2, "yrd/articles/known": 2}, "finished") == "ok"
    )


def test_the_table_has_the_columns_crawl_run_declares(db) -> None:
    assert db["crawl_runs"].columns_dict == runs.COLUMN_TYPES


def test_a_database_from_before_run_owners_is_migrated(db_path: Path) -> None:
    old = Database(db_path)
    database.migrations.apply(old)  # the first schema only, as an older yrd-news left it
    old["crawl_runs"].insert({"started_at": "2024-01-01T00:00:00+00:00", "status": "running"})
    old.close()
    db = database.open_db(db_path)
    assert {"pid", "host", "errors_by_kind"} <= set(db["crawl_runs"].columns_dict)
    assert runs.get_run(db, 1).errors_by_kind == {}
    runs.start_run(db, sources=["a"], replay=None, since=None)
    assert status(db, 1) == "interrupted"


def test_scrapy_crawl_records_its_own_run(tmp_path: Path) -> None:
    seed = seed_articles()[4]
    warc = tmp_path / "composed.warc.gz"  # a page composed from a seed text (fixtures/compose.py)
    recorder = WarcRecorder(warc)
    recorder.write(
        seed.url,
        200,
        [("Content-Type", "text/html; charset=utf-8")],
        compose_article_html(title=seed.title, text=seed.body),
    )
    recorder.close()
    db_path = tmp_path / "scrapy.db"
    result = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "urls", "-a", f"urls={seed.url}",
         "-s", f"YRD_REPLAY={warc}", "-s", f"YRD_DB_PATH={db_path}", "-s", "LOG_LEVEL=WARNING",
         "-s", "ROBOTSTXT_OBEY=False"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    with sqlite3.connect(db_path) as conn:
        (run,) = conn.execute(
            "select id, status, sources, articles, pid, finished_at from crawl_runs"
        ).fetchall()
        stored = conn.execute("select url, crawl_run_id from articles").fetchall()
    assert run[1:4] == ("ok", '["urls"]', 1)
    assert run[4] and run[5]
    assert stored == [(seed.url, run[0])]
