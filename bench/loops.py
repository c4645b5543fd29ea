"""Per-item loops that must stay linear in their number of items, timed at two sizes.

- `--urls`: reading a list of article URLs (`spiders.urls.read_urls`), 10,000 and 40,000
  URLs. The list is what a researcher hands the crawl: one URL a line, some comma-separated,
  a comment and a blank, and a tenth of the URLs given twice (a list merged from two exports).
- A story's facts: grouping the figures of a story's copies (`pipelines.stories.facts.
  group_facts`), 500 and 2,000 copies of an article with 20 figures (a release syndicated
  widely, or an archive that holds one page under many URLs).

Printed: CPU seconds (process_time), the best of --repeat runs, and the ratio of the larger
size's time to the smaller's (4 for a linear loop; 16 for a quadratic one).

    .venv/bin/python bench/loops.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipelines.stories.facts import FigureRef, group_facts  # noqa: E402
from spiders.urls import read_urls  # noqa: E402

FIGURES_PER_COPY = 20


def url_list(count: int) -> str:
    """`count` URLs as a list file's text, a tenth of them repeated further down."""
    urls = [
        f"https://www.example.com/news/2024/{n % 12 + 1:02d}/{n:07d}.html" for n in range(count)
    ]
    lines = ["# article URLs", ""]
    for n, url in enumerate(urls):
        lines.append(f"{url}, {urls[n // 2]}" if n % 10 == 9 else url)  # a repeat, comma-separated
    return "\n".join(lines) + "\n"


def story_figures(copies: int) -> list[FigureRef]:
    """The figures of `copies` copies of one article, in article order, then text order."""
    kinds = ("money", "percent", "count", "area")
    return [
        FigureRef(
            article_id=copy,
            key=f"f{n}",
            kind=kinds[n % len(kinds)],
            value=1e6 * (n + 1),
            unit=kinds[n % len(kinds)],
            counted="projects" if kinds[n % len(kinds)] == "count" else None,
        )
        for copy in range(copies)
        for n in range(FIGURES_PER_COPY)
    ]


def best_time(run: Callable[[Any], Any], data: Any, repeat: int) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.process_time()
        result = run(data)
        best = min(best, time.process_time() - started)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    cases = [
        ("read_urls", "URLs listed", (10_000, 40_000), url_list, read_urls, "URLs kept"),
        ("group_facts", "copies", (500, 2_000), story_figures, group_facts, "facts"),
    ]
    for name, items, sizes, make, run, kept in cases:
        times = []
        for size in sizes:
            data = make(size)
            seconds, result = best_time(run, data, args.repeat)
            times.append(seconds)
            print(f"{name:<12} {size:>7,} {items:<12} {seconds:8.3f} s CPU  {len(result):,} {kept}")
        print(
            f"{name:<12} {sizes[1] // sizes[0]}x the items: {times[1] / max(times[0], 1e-9):.1f}x the time"
        )


if __name__ == "__main__":
    main()
