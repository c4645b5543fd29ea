"""The project deployed to a real Scrapyd on loopback with scrapyd-deploy (the `[deploy:remote]`
target of scrapy.cfg), a replay crawl scheduled through Scrapyd's HTTP API, and its articles
found in the database."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import build_snapshot, free_port

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def api(base: str, endpoint: str, data: list[tuple[str, str]] | None = None) -> dict:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    with urllib.request.urlopen(f"{base}/{endpoint}", data=body, timeout=30) as response:
        return json.loads(response.read())


@pytest.fixture
def scrapyd(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    (tmp_path / "scrapyd.conf").write_text(
        "[scrapyd]\n"
        f"bind_address = 127.0.0.1\nhttp_port = {port}\n"
        f"eggs_dir = {tmp_path / 'eggs'}\nlogs_dir = {tmp_path / 'logs'}\n"
        f"dbs_dir = {tmp_path / 'dbs'}\nitems_dir =\npoll_interval = 0.5\nmax_proc = 1\n",
        encoding="utf-8",
    )
    server = subprocess.Popen(
        [str(BIN / "scrapyd")],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                assert api(base, "daemonstatus.json")["status"] == "ok"
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, (
                    "scrapyd did not start"
                )
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_deploy_schedule_and_find_the_articles(scrapyd: str, tmp_path: Path) -> None:
    snapshot = build_snapshot(tmp_path / "snapshot")
    deploy = subprocess.run(
        [str(BIN / "scrapyd-deploy"), "remote", "--version", "test-1"],
        cwd=ROOT,
        env={**os.environ, "SCRAPYD_URL": f"{scrapyd}/", "PATH": f"{BIN}:{os.environ['PATH']}"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert deploy.returncode == 0, deploy.stderr[-3000:]
    assert json.loads(deploy.stdout.strip().splitlines()[-1])["status"] == "ok"
    source = (snapshot / "sources.txt").read_text().split()[0]
    assert source in api(scrapyd, "listspiders.json?project=yrdnews")["spiders"]

    db = tmp_path / "yrdnews.db"
    settings = {
        "YRD_DB_PATH": db,
        "YRD_DATA_DIR": tmp_path / "data",
        "YRD_REPLAY": snapshot / "snapshot.warc.gz",
        "ROBOTSTXT_OBEY": "False",
        "DOWNLOAD_DELAY": "0",
        "AUTOTHROTTLE_ENABLED": "False",
    }
    job = api(
        scrapyd,
        "schedule.json",
        [("project", "yrdnews"), ("spider", source)]
        + [("setting", f"{name}={value}") for name, value in settings.items()],
    )
    assert job["status"] == "ok", job
    deadline = time.monotonic() + 300
    while not any(
        j["id"] == job["jobid"] for j in api(scrapyd, "listjobs.json?project=yrdnews")["finished"]
    ):
        assert time.monotonic() < deadline, "the scheduled crawl did not finish"
        time.sleep(0.5)

    with sqlite3.connect(db) as conn:
        (articles,) = conn.execute(
            "select count(*) from articles where source_id = ?", [source]
        ).fetchone()
        runs = conn.execute("select sources, status, articles from crawl_runs").fetchall()
    assert articles >= 1
    assert runs == [(json.dumps([source]), "ok", articles)]
