"""Datasette latency on a big database: p50/p95 of the pages researchers open, against
`/-/versions.json` (a page that touches no table).

The database is built through the project's own write path (crawler/storage.py,
`store_articles`): the real pages of fixtures/bench_pages.py (real captures and the demo's
composed articles) are read and extracted once, then stored again and again under varied
URLs (so varied ids), each copy with its figures and mentions. A database given with --db
is built there once and reused later; reusing it first applies the migrations it lacks (timed),
so the same database can be measured before and after a schema change. Then `yrdnews serve`
runs on loopback; once it has counted its table summaries (the whole-table counts and facets
of crawler/site/summaries.py, timed) every page is fetched --rounds times (bounded by --budget
seconds), and the server is started again to time reading the summaries it kept; a page
that answers with an error is counted as such, not timed. Latencies are wall-clock: other load
on the machine shows in them.

    python bench/datasette.py [--articles 1000000] [--quick] [--db PATH]
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.db import open_db, sync_sources  # noqa: E402
from crawler.sources import load_sources  # noqa: E402
from crawler.storage import store_articles  # noqa: E402
from fixtures.bench_pages import extracted_articles, varied  # noqa: E402

BATCH = 2_000


def build(db_path: Path, count: int) -> None:
    pool = extracted_articles()
    db = open_db(db_path)
    sync_sources(db, load_sources())
    start, done, outcomes = time.perf_counter(), 0, Counter[str]()
    while done < count:
        batch = []
        for n in range(done, min(done + BATCH, count)):
            article = copy.copy(pool[n % len(pool)])
            article.url = varied(article.url, n)
            article.canonical_url = varied(article.canonical_url, n)
            batch.append(article)
        outcomes += store_articles(db, batch)
        done += len(batch)
        if done % 50_000 < BATCH:
            rate = done / (time.perf_counter() - start)
            print(f"  stored {done} articles ({rate:.0f}/s)", flush=True)
    db.execute("ANALYZE")
    db.close()
    elapsed = time.perf_counter() - start
    print(
        f"built {count} articles from {len(pool)} extracted pages in {elapsed:.0f} s "
        f"({count / elapsed:.0f} articles/s, {elapsed / count * 50_000:.0f} s per 50,000; "
        f"{dict(outcomes)})"
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def migrate(db_path: Path) -> None:
    """Apply what the database lacks, as a crawl opening it would."""
    start = time.perf_counter()
    open_db(db_path).close()
    print(f"migrations applied in {time.perf_counter() - start:.1f} s")


def report_size(db_path: Path) -> None:
    """The file's size per article, and what its indexes take (SQLite's dbstat)."""
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as conn:
        (articles,) = conn.execute("select count(*) from articles").fetchone()
        by_index = conn.execute(
            """select dbstat.name, sum(pgsize) from dbstat
               join sqlite_master on sqlite_master.name = dbstat.name
               where sqlite_master.type = 'index' group by dbstat.name order by 2 desc"""
        ).fetchall()
    size = db_path.stat().st_size
    indexes = sum(pages for _, pages in by_index)
    print(
        f"{articles} articles, {size / 2**30:.2f} GB, {size / articles / 1024:.1f} KB per "
        f"article, of which indexes {indexes / articles:.0f} bytes per article:"
    )
    for name, pages in by_index:
        print(f"  {name:45} {pages / articles:6.0f} bytes per article")


def fetch(url: str) -> tuple[float, int]:
    """Seconds until the whole answer was read, and its HTTP status."""
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 - loopback only
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        error.read()
        status = error.code
    return time.perf_counter() - start, status


def pages(db_path: Path) -> dict[str, str]:
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as conn:
        query = "select id from articles order by id limit 1 offset min(1000, (select count(*) - 1 from articles))"
        (row_id,) = conn.execute(query).fetchone()
    name = db_path.stem
    return {
        "versions (baseline)": "/-/versions.json",
        "search Suzhou": f"/{name}/articles.json?_search=Suzhou",
        "search 苏州": f"/{name}/articles.json?_search={quote('苏州')}",
        "canned search Suzhou": f"/{name}/search.json?q=Suzhou",
        "canned search 苏州": f"/{name}/search.json?q={quote('苏州')}",
        "articles facet page": f"/{name}/articles",
        "figures table": f"/{name}/figures",
        "mentions table": f"/{name}/mentions",
        "row page": f"/{name}/articles/{row_id}",
    }


def start_server(db_path: Path, cache: Path) -> tuple[subprocess.Popen[bytes], str]:
    """`yrdnews serve` on a free loopback port, once it answers; its table summaries are kept
    in `cache` (crawler/site/summaries.py)."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "crawler", "serve", "--db", str(db_path), "--port", str(port)],
        cwd=ROOT,
        env={**os.environ, "XDG_CACHE_HOME": str(cache)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    # Waits as long as a server that counts its tables before its first answer would need
    # (minutes for a million articles read from disk): it should not (summaries.py).
    started = time.perf_counter()
    deadline = started + 1800
    while time.perf_counter() < deadline and server.poll() is None:
        try:
            fetch(base + "/-/versions.json")
            print(f"first answer {time.perf_counter() - started:.1f} s after the server's start")
            return server, base
        except OSError:
            time.sleep(0.5)
    server.kill()
    sys.exit("datasette did not start: " + server.communicate()[1].decode()[-1000:])


def wait_for_summaries(base: str, started: float, limit: float = 7200) -> None:
    """Until the server has its whole-table counts and facets, counted or read from the cache."""
    while time.perf_counter() - started < limit:
        with urllib.request.urlopen(base + "/-/summaries.json", timeout=60) as response:  # noqa: S310
            states = json.load(response)
        if all(s["state"] != "counting" for s in states.values()):
            print(
                f"table summaries {states} after {time.perf_counter() - started:.1f} s "
                "from the server's start"
            )
            return
        time.sleep(0.5)
    print(f"table summaries still counting after {limit:.0f} s")


# Words each searched once, in a table search no page before asked for: what a visitor pays
# before the site remembers a search's count and facets (crawler/site/summaries.py).
FIRST_SEARCHES = [
    "investment", "semiconductor", "Wuxi", "Kunshan", "exports", "Shanghai", "battery",
    "投资", "半导体", "无锡", "昆山", "新能源", "上海", "出口",
]  # fmt: skip


def first_searches(base: str, name: str) -> list[float]:
    spent = []
    for word in FIRST_SEARCHES:
        seconds, status = fetch(f"{base}/{name}/articles.json?_search={quote(word)}")
        if status == 200:
            spent.append(seconds)
    return spent


def measure(db_path: Path, rounds: int, budget: float) -> None:
    cache = Path(tempfile.mkdtemp(prefix="yrd-bench-cache-"))
    started = time.perf_counter()
    server, base = start_server(db_path, cache)
    try:
        wait_for_summaries(base, started)
        targets = pages(db_path)
        for path in targets.values():
            fetch(base + path)  # warm the page cache once
        times: dict[str, list[float]] = {name: [] for name in targets}
        errors = Counter[tuple[str, int]]()
        deadline = time.perf_counter() + budget
        for _ in range(rounds):
            if time.perf_counter() > deadline:
                break
            for name, path in targets.items():  # interleaved, so load hits every page alike
                spent, status = fetch(base + path)
                if status == 200:
                    times[name].append(spent)
                else:
                    errors[name, status] += 1
        first_time = first_searches(base, db_path.stem)
        for name, spent in [*times.items(), ("search, first time", first_time)]:
            failed = ", ".join(
                f"{n} x HTTP {code}" for (page, code), n in errors.items() if page == name
            )
            if not spent:
                print(f"{name:22} no answer without an error ({failed})")
                continue
            spent.sort()
            p95 = spent[min(len(spent) - 1, round(0.95 * (len(spent) - 1)))]
            print(
                f"{name:22} p50 {1000 * statistics.median(spent):7.1f} ms   "
                f"p95 {1000 * p95:7.1f} ms   ({len(spent)} requests{'; ' + failed if failed else ''})"
            )
    finally:
        server.terminate()
        server.wait(timeout=30)
    print("started again on the same file:")
    started = time.perf_counter()
    server, base = start_server(db_path, cache)
    try:
        wait_for_summaries(base, started)
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(cache, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="50,000 articles")
    parser.add_argument("--db", type=Path, help="reuse (or build and keep) this database")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--budget", type=float, default=120, help="seconds of measuring at most")
    args = parser.parse_args()
    if args.quick:
        args.articles = 50_000
    with tempfile.TemporaryDirectory(prefix="yrd-bench-") as tmp:
        db_path = args.db or Path(tmp) / "yrdnews.db"
        if not db_path.exists():
            build(db_path, args.articles)
        else:
            print(f"reusing {db_path}")
            migrate(db_path)
        report_size(db_path)
        measure(db_path, args.rounds, args.budget)


if __name__ == "__main__":
    main()
