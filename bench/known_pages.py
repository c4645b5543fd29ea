"""What an incremental crawl pays to know which article links the database has, on a big
database (the one `bench/datasette.py` builds: --db): CPU and wall time of a spider's start
and of --links lookups (half of them stored URLs of the source, half not), per source.

Now a spider asks the database link by link (`crawler.incremental.StoredPages`); for
reference the same source's URLs are loaded all at once, as spiders did before (every
article row of the source read when the spider opened). The wall times include reading the
file, so the first source measured pays for a cold page cache.

    .venv/bin/python bench/known_pages.py --db /path/to/big.db [--sources ID ...] [--links 2000]
"""

from __future__ import annotations

import argparse
import resource
import sqlite3
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlite_utils import Database

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.incremental import StoredPages  # noqa: E402


def read_only(path: Path) -> Database:
    return Database(sqlite3.connect(f"file:{path}?mode=ro", uri=True))


def load_all(db: Database, source_id: str) -> dict[str, Any]:
    """Every known URL of the source with its rows, as spiders loaded them before."""
    rows = db.execute(
        """select url, fetched_at, stored_at from articles where source_id = :s
        union all select canonical_url, fetched_at, stored_at from articles where source_id = :s
        union all select url, seen_at, seen_at from known_pages where source_id = :s""",
        {"s": source_id},
    ).fetchall()
    known: dict[str, Any] = {}
    for url, fetched_at, stored_at in rows:
        known.setdefault(url, []).append((fetched_at, stored_at))
    return known


def no_run() -> None:
    """No crawl run is writing: every stored row counts."""


def count_known(known: Any, links: list[str]) -> int:
    return sum(link in known for link in links)


def timed(work: Callable[..., Any], *args: Any) -> tuple[Any, float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    result = work(*args)
    return result, time.process_time() - cpu, time.perf_counter() - wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--sources", nargs="+", default=["chinadaily_china", "other"])
    parser.add_argument("--links", type=int, default=2000)
    args = parser.parse_args()
    db = read_only(args.db)
    total = db.execute("select count(*) from articles").fetchone()[0]
    print(f"{args.db}: {total:,} articles")
    for source_id in args.sources:
        stored = [
            url
            for (url,) in db.execute(
                "select url from articles where source_id = ? limit ?",
                [source_id, args.links // 2],
            )
        ]
        links = stored + [f"{url}?unseen={n}" for n, url in enumerate(stored)]
        known, start_cpu, start_wall = timed(StoredPages, db, source_id, no_run)
        found, cpu, wall = timed(count_known, known, links)
        print(
            f"  {source_id}: spider start {start_cpu:.2f} s CPU ({start_wall:.2f} s wall);"
            f" {len(links)} links asked {cpu:.2f} s CPU ({wall:.2f} s wall), {found} known"
        )
        loaded, cpu, wall = timed(load_all, db, source_id)
        found = count_known(loaded, links)
        print(
            f"  {source_id}: as before, {len(loaded):,} URLs loaded at the start"
            f" {cpu:.2f} s CPU ({wall:.2f} s wall), {found} known;"
            f" peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
        )


if __name__ == "__main__":
    main()
