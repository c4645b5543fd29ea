"""The article write path: CPU milliseconds per article of `store_articles`, for the three
things a store does: insert new articles, find re-crawled ones unchanged, and update changed
ones (the page changed: a new title, so a version is kept and the search entry rewritten; or
only what was extracted changed: the other relevance verdict).

The articles are those of bench/datasette.py: the project's real and composed pages read and
extracted once, then stored again and again under varied URLs, --batch articles a transaction
(a crawl commits every 100). CPU time (process_time) is what is printed: other load on the
machine barely moves it, unlike wall time.

    .venv/bin/python bench/store.py [--articles 3000] [--batch 100] [--profile]
"""

from __future__ import annotations

import argparse
import copy
import cProfile
import pstats
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.db import open_db, sync_sources  # noqa: E402
from crawler.items import Article  # noqa: E402
from crawler.sources import load_sources  # noqa: E402
from crawler.storage import store_articles  # noqa: E402
from fixtures.bench_pages import extracted_articles, varied  # noqa: E402


def copies(pool: list[Article], count: int) -> list[Article]:
    """`count` articles of the pool under varied URLs, as bench/datasette.py builds them."""
    made = []
    for n in range(count):
        article = copy.copy(pool[n % len(pool)])
        article.url = varied(article.url, n)
        article.canonical_url = varied(article.canonical_url, n)
        made.append(article)
    return made


def retitled(article: Article) -> Article:
    changed = copy.copy(article)
    changed.title = (article.title or "") + " (updated)"
    return changed


def rejudged(article: Article) -> Article:
    changed = copy.copy(article)
    changed.relevant = not article.relevant
    return changed


def timed_store(
    db_path: Path, articles: list[Article], batch: int, profile: cProfile.Profile | None
) -> tuple[float, Counter[str]]:
    """CPU seconds of storing `articles`, `batch` a transaction, and what the store did."""
    db = open_db(db_path)
    outcomes: Counter[str] = Counter()
    start = time.process_time()
    if profile:
        profile.enable()
    for at in range(0, len(articles), batch):
        outcomes += store_articles(db, articles[at : at + batch])
    if profile:
        profile.disable()
    spent = time.process_time() - start
    db.close()
    return spent, outcomes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=3_000)
    parser.add_argument("--batch", type=int, default=100, help="articles a transaction")
    parser.add_argument("--profile", action="store_true", help="print where the time goes")
    args = parser.parse_args()
    pool = extracted_articles()
    articles = copies(pool, args.articles)
    steps: list[tuple[str, Callable[[Article], Article]]] = [
        ("insert new articles", lambda a: a),
        ("re-store unchanged articles", lambda a: a),
        ("update: page changed (title)", retitled),
        ("update: extraction changed", lambda a: rejudged(retitled(a))),
    ]
    with tempfile.TemporaryDirectory(prefix="yrd-bench-") as tmp:
        db_path = Path(tmp) / "yrdnews.db"
        db = open_db(db_path)
        sync_sources(db, load_sources())
        db.close()
        print(f"{args.articles} articles ({len(pool)} extracted pages), {args.batch} a transaction")
        for name, change in steps:
            profile = cProfile.Profile() if args.profile else None
            spent, outcomes = timed_store(
                db_path, [change(a) for a in articles], args.batch, profile
            )
            print(
                f"  {name:30} {1000 * spent / len(articles):6.2f} ms CPU per article"
                f"   {dict(outcomes)}"
            )
            if profile:
                pstats.Stats(profile).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main()
