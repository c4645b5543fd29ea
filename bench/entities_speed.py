"""CPU time of `extract_entities` per article, English and Chinese apart, and its first calls.

    python bench/entities_speed.py [--repeat N]

The articles: every seed, corpus and composed text (fixtures.texts), and the body of every real captured page
(tests/fixtures/pages and the sources' article fixtures, read through the page object). The
language is the body's own (`detect_lang`). Each article is a fresh `ArticleText`, so the
folding and sentence split entities need are counted; figures are not run. Printed:
- the first English and the first Chinese call in a fresh process (lexicon load, jieba start);
- ms per article and characters per second, the best CPU time of `--repeat` warm passes.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.chinese import detect_lang  # noqa: E402
from crawler.sources import load_sources, source_for_url  # noqa: E402
from crawler.text import ArticleText  # noqa: E402
from fixtures.pages import known_url, page_bytes, records  # noqa: E402
from fixtures.sources import fixture_pages  # noqa: E402
from fixtures.texts import composed_articles, corpus_articles, seed_articles  # noqa: E402
from spiders.base import read_article  # noqa: E402

_FIRST_CALLS = """
import sys, time
sys.path.insert(0, {root!r})
started = time.process_time()
from pipelines.entities import extract_entities
imported = time.process_time()
extract_entities("Vice Mayor Wang Wei of Suzhou met Siemens.", "en")
english = time.process_time()
extract_entities("苏州市委书记曹路宝会见了西门子公司代表。", "zh")
chinese = time.process_time()
print(imported - started, english - imported, chinese - english)
"""


def articles() -> list[tuple[str, str]]:
    """(body, language) of every text and real page."""
    bodies = [t.body for t in seed_articles() + corpus_articles() + composed_articles()]
    sources = load_sources()
    pages = [(url, page_bytes(rec)) for rec in records() if (url := known_url(rec))]
    pages += [(e["url"], e["path"].read_bytes()) for _, e in fixture_pages("article")]
    for url, body in pages:
        try:
            article = read_article(
                body, url, {"Content-Type": "text/html"}, source_for_url(url, sources)
            )
        except Exception:  # noqa: BLE001 - pages the crawl rejects have no body to read
            continue
        bodies.append(article.body)
    return [(b, detect_lang(b) or "en") for b in bodies if b.strip()]


def first_calls() -> tuple[float, float, float]:
    """CPU seconds of the import, the first English call and the first Chinese call after it,
    in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", _FIRST_CALLS.format(root=str(ROOT))],
        capture_output=True,
        text=True,
        check=True,
    )
    imported, english, chinese = map(float, done.stdout.split())
    return imported, english, chinese


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    imported, english, chinese = first_calls()
    print(
        f"fresh process: import {1000 * imported:.0f} ms, first English call {1000 * english:.0f} ms, "
        f"first Chinese call after it {1000 * chinese:.0f} ms (CPU)"
    )
    from pipelines.entities import extract_entities

    batch = articles()
    for body, lang in batch:  # warm: lexicons, jieba and caches loaded before timing
        extract_entities(ArticleText(body, lang))
    for lang in ("en", "zh"):
        texts = [body for body, lg in batch if lg == lang]
        best = float("inf")
        for _ in range(args.repeat):
            started = time.process_time()  # CPU time: other processes on the machine do not count
            for body in texts:
                extract_entities(ArticleText(body, lang))
            best = min(best, time.process_time() - started)
        chars = sum(map(len, texts))
        print(
            f"{lang}: {len(texts)} articles, {chars} characters: {1000 * best / len(texts):.2f} ms "
            f"CPU per article, {chars / best:,.0f} characters/s (best of {args.repeat})"
        )


if __name__ == "__main__":
    main()
