"""Re-extraction speed: articles per second with 1 and 2 worker processes on the same database.

Without --db, the demo snapshot is built and crawled into a temporary database first. Each
run works on its own copy of that database, and re-extracts every article --rounds times.

    python bench/reextract.py [--db PATH] [--from-archive] [--workers 1 2] [--rounds 3]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.crawl import project_settings  # noqa: E402
from crawler.db import open_db  # noqa: E402
from crawler.stats import Tally  # noqa: E402
from pipelines.chain import ChainContext  # noqa: E402
from pipelines.reextract import article_ids, reextract  # noqa: E402


def demo_database(folder: Path) -> Path:
    """The demo snapshot crawled into a database, as `make demo` does."""
    subprocess.run([sys.executable, "demo/build_snapshot.py", "--out", str(folder)], cwd=ROOT, check=True, capture_output=True)  # fmt: skip
    db = folder / "yrdnews.db"
    common = [sys.executable, "-m", "crawler", "crawl", "--replay", str(folder / "snapshot.warc.gz"),
              "--db", str(db), "--data-dir", str(folder), "-s", "LOG_LEVEL=WARNING"]  # fmt: skip
    sources = (folder / "sources.txt").read_text().split()
    for args in (
        [a for s in sources for a in ("--source", s)],
        ["--urls", str(folder / "urls.txt")],
    ):
        subprocess.run([*common, *args], cwd=ROOT, check=True, capture_output=True)
    return db


def measure(db_path: Path, workers: int, rounds: int, from_archive: bool) -> tuple[int, float]:
    db = open_db(db_path)
    ctx = ChainContext.from_settings(project_settings(), stats=Tally())
    ids = article_ids(db) * rounds
    start = time.perf_counter()
    done = sum(1 for _ in reextract(db, ids, ctx, from_archive=from_archive, workers=workers))
    elapsed = time.perf_counter() - start
    db.close()
    return done, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", type=Path, help="database to re-extract (default: the demo's)")
    parser.add_argument("--from-archive", action="store_true")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        source = args.db or demo_database(Path(tmp))
        for workers in args.workers:
            copy = Path(tmp) / f"copy-{workers}.db"
            shutil.copy(source, copy)
            done, elapsed = measure(copy, workers, args.rounds, args.from_archive)
            mode = " --from-archive" if args.from_archive else ""
            print(
                f"reextract{mode} --workers {workers}: {done} articles in {elapsed:.1f} s = {done / elapsed:.1f} articles/s"
            )


if __name__ == "__main__":
    main()
