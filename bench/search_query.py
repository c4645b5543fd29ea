"""How long `yrd_fts_query` takes on hostile search words, called through SQLite as Datasette
calls it (the function registered by the plugin on a plain connection).

Prints the slowest of a few repetitions for inputs at the cap (`crawler.search.MAX_QUERY_CHARS`)
and for the 40,000-character input of issue 15, which is refused. A Python SQL function cannot be
interrupted while it runs, so these times are what Datasette's SQL time limit can overrun by.

    .venv/bin/python bench/search_query.py
"""

from __future__ import annotations

import random
import sqlite3
import time

from crawler import site as datasette_plugin
from crawler.search import MAX_QUERY_CHARS


def hostile_inputs(length: int) -> dict[str, str]:
    rare = random.Random(15)  # CJK Extension A and late Unified Ideographs: jieba's HMM path
    return {
        "亿 repeated": "亿" * length,
        "digits": "1" * length,
        "rare CJK": "".join(chr(rare.randint(0x8C00, 0x9FA5)) for _ in range(length)),
        "Chinese prose": ("苏州工业园区签约85个项目，" * length)[:length],
        "English words": ("Suzhou Industrial Park " * length)[:length],
        "punctuation": ('"*^:(' * length)[:length],
    }


def slowest(conn: sqlite3.Connection, words: str, repeat: int = 3) -> tuple[float, str]:
    worst, outcome = 0.0, ""
    for _ in range(repeat):
        started = time.perf_counter()
        try:
            (length,) = conn.execute("select length(yrd_fts_query(?))", [words]).fetchone()
            outcome = f"query of {length} characters"
        except sqlite3.OperationalError as error:
            outcome = f"refused ({error})"
        worst = max(worst, time.perf_counter() - started)
    return worst, outcome


def main() -> None:
    conn = sqlite3.connect(":memory:")
    datasette_plugin.prepare_connection(conn)
    slowest(conn, "预热 jieba 苏州")  # load the dictionary once, outside the timing
    for length in (MAX_QUERY_CHARS, 40_000):
        for name, words in hostile_inputs(length).items():
            seconds, outcome = slowest(conn, words)
            print(f"{length:>6} chars  {name:<14} {seconds * 1000:8.1f} ms  {outcome}")


if __name__ == "__main__":
    main()
