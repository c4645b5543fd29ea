"""How long `yrdnews` takes to start, and what it imports to get there.

Researchers run `yrdnews extract` once per file, in scripts, so its start-up is most of its
cost. Each command below runs as its own process (`python -m crawler`, as the `yrdnews` script
does) --runs times after one warm-up run; printed are the median wall time, the median CPU
time (user + system, from getrusage(RUSAGE_CHILDREN)) and the heavy modules the command
imported (read from one more run under `-X importtime`). Then each heavy module alone, timed
inside a fresh interpreter (what `import X` costs when nothing is loaded yet; jieba.posseg
and jieba's dictionary after `import jieba`).

Python's bytecode cache goes to a temporary folder (PYTHONPYCACHEPREFIX), also where
PYTHONDONTWRITEBYTECODE is set, so the runs see compiled modules as an installed yrd-news
does; the warm-up run fills it (and jieba's dictionary cache, if it is missing). CPU time is
the robust figure on a shared machine; wall time grows with the load average, printed first.

    .venv/bin/python bench/startup.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fixtures.pages import page_path, page_url, record  # noqa: E402
from fixtures.texts import corpus_articles  # noqa: E402

ENGLISH_PAGE = "chinadaily/chinadaily-WS664167f4-anlong-2024-en.html"
CHINESE_PAGE = "news.cn/news-cn-20240509-3dd6e33c-zh.html"
SHORT_TEXT_CHARS = 300

# The modules that cost most to import, and whether a command loaded them.
HEAVY = ("scrapy", "twisted", "sqlite_utils", "pandas", "jieba", "jieba.posseg", "trafilatura")

# (label, code run first, code timed), each in a fresh interpreter.
MODULE_PROBES = (
    ("import scrapy (with twisted)", "", "import scrapy"),
    ("import sqlite_utils (imports pandas)", "", "import sqlite_utils"),
    ("import trafilatura", "", "import trafilatura"),
    ("import jieba", "", "import jieba"),
    ("import jieba.posseg", "import jieba", "import jieba.posseg"),
    ("jieba's dictionary (initialize)", "import jieba", "jieba.initialize()"),
    ("import crawler.cli", "", "import crawler.cli"),
    ("import crawler.pages", "", "import crawler.pages"),
    ("import pipelines.chain", "import crawler.pages", "import pipelines.chain"),
)

_PROBE = """
import logging, time
logging.disable(logging.CRITICAL)
{setup}
wall, cpu = time.perf_counter(), time.process_time()
{timed}
print(time.perf_counter() - wall, time.process_time() - cpu)
"""


def child_env(pycache: str) -> dict[str, str]:
    env = dict(os.environ, PYTHONPYCACHEPREFIX=pycache)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def run_timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run of `argv`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)}: exit {done.returncode}: {done.stderr.decode()[-500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def imported(argv: list[str], env: dict[str, str]) -> set[str]:
    """Every module the command imports (`-X importtime` names each on stderr)."""
    done = subprocess.run(
        [argv[0], "-X", "importtime", *argv[1:]], env=env, capture_output=True, check=False
    )
    names = set()
    for line in done.stderr.decode(errors="replace").splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            names.add(line.rsplit("|", 1)[1].strip())
    return names


def commands(folder: Path) -> list[tuple[str, list[str]]]:
    """The measured command lines: help, an English and a Chinese real page, short texts."""
    english, chinese = record(ENGLISH_PAGE), record(CHINESE_PAGE)
    yrdnews = [sys.executable, "-m", "crawler"]
    found = [
        ("yrdnews --help", [*yrdnews, "--help"]),
        (
            f"extract {ENGLISH_PAGE}",
            [*yrdnews, "extract", str(page_path(english)), "--url", page_url(english)],
        ),
        (
            f"extract {CHINESE_PAGE}",
            [*yrdnews, "extract", str(page_path(chinese)), "--url", page_url(chinese)],
        ),
    ]
    for lang in ("en", "zh"):
        article = next(a for a in corpus_articles() if a.lang == lang)
        path = folder / f"short-{lang}.txt"
        path.write_text(article.body[:SHORT_TEXT_CHARS], encoding="utf-8")
        found.append(
            (
                f"extract --text ({SHORT_TEXT_CHARS} chars of {article.id}, {lang})",
                [*yrdnews, "extract", "--text", str(path)],
            )
        )
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per command (median)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="yrd-startup-") as tmp:
        env = child_env(str(Path(tmp) / "pycache"))
        load = ", ".join(f"{n:.2f}" for n in os.getloadavg())
        print(f"python {sys.version.split()[0]}, load average {load}; median of {args.runs} runs")
        print(f"\n{'command':<66} {'wall s':>7} {'CPU s':>7}  heavy modules imported")
        measured = commands(Path(tmp))
        for label, argv in measured:
            run_timed(argv, env)  # warm-up: bytecode and jieba caches
            runs = [run_timed(argv, env) for _ in range(args.runs)]
            wall = statistics.median(r[0] for r in runs)
            cpu = statistics.median(r[1] for r in runs)
            loaded = imported(argv, env)
            heavy = ", ".join(m for m in HEAVY if m in loaded) or "none"
            print(f"{label:<66} {wall:7.2f} {cpu:7.2f}  {heavy}")
        print(f"\n{'alone, in a fresh interpreter':<66} {'wall s':>7} {'CPU s':>7}")
        for label, setup, timed in MODULE_PROBES:
            argv = [sys.executable, "-c", _PROBE.format(setup=setup, timed=timed)]
            subprocess.run(argv, env=env, capture_output=True, check=True)  # warm-up
            runs = [
                tuple(map(float, subprocess.check_output(argv, env=env).split()))
                for _ in range(args.runs)
            ]
            wall = statistics.median(r[0] for r in runs)
            cpu = statistics.median(r[1] for r in runs)
            print(f"{label:<66} {wall:7.2f} {cpu:7.2f}")
        print("\ncommands ($TMP: a temporary folder):")
        for _, argv in measured:
            line = " ".join(["python", *argv[1:]]).replace(tmp, "$TMP")
            print("  " + line.replace(str(ROOT) + "/", ""))


if __name__ == "__main__":
    main()
