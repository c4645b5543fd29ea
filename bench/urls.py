"""How long `--urls` takes to read a list of article URLs, for 10,000 and 40,000 URLs.

The list is what a researcher hands the crawl: one URL a line, some comma-separated, a few
comments and blanks, and a tenth of the URLs given twice (a list merged from two exports).
Reading it must stay linear in its length. Printed: CPU seconds (process_time) of
`spiders.urls.read_urls`, the best of --repeat runs, and the URLs kept.

    .venv/bin/python bench/urls.py [--repeat 3] [--sizes 10000,40000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from spiders.urls import read_urls  # noqa: E402


def url_list(count: int) -> str:
    """`count` URLs as a list file's text, a tenth of them repeated further down."""
    urls = [
        f"https://www.example.com/news/2024/{n % 12 + 1:02d}/{n:07d}.html" for n in range(count)
    ]
    lines = ["# article URLs", ""]
    for n, url in enumerate(urls):
        if n % 10 == 9:
            lines.append(f"{url}, {urls[n // 2]}")  # a repeat, comma-separated
        else:
            lines.append(url)
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sizes", default="10000,40000", help="URL counts, comma-separated")
    args = parser.parse_args()
    for count in map(int, args.sizes.split(",")):
        text = url_list(count)
        best, kept = float("inf"), 0
        for _ in range(args.repeat):
            started = time.process_time()
            kept = len(read_urls(text))
            best = min(best, time.process_time() - started)
        print(f"{count:>7,} URLs listed: read_urls {best:8.3f} s CPU, {kept:,} kept")


if __name__ == "__main__":
    main()
