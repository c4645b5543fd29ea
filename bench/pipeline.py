"""Whole-pipeline speed against trafilatura alone and news-please, on the same pages.

Builds a WARC of --pages records from the real captured pages (tests/fixtures/pages and the
article fixtures of tests/fixtures/sources) and the demo's composed article pages, each
page served under many URLs (its own with a `yrdbench=N` query added), then:

- replays it through the full pipeline (`yrdnews crawl --replay --urls`, a subprocess:
  page object, chain, store into SQLite), CPU from getrusage(RUSAGE_CHILDREN), peak RSS;
- runs the same pages through `trafilatura.extract` alone (in this process);
- runs them through news-please's `NewsPlease.from_html`, installed from PyPI into its own
  venv in a temporary folder (skipped with the reason printed if it does not install);
- times each stage (page, figures, entities, store) in this process on a sample, after one
  untimed pass over the distinct pages, and lists the functions where the entities stage
  spends its time.

    python bench/pipeline.py [--pages 10000] [--quick] [--no-newsplease] [--newsplease-venv DIR]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from io import StringIO
from itertools import cycle, islice
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.archive import WarcRecorder  # noqa: E402
from crawler.db import open_db  # noqa: E402
from crawler.sources import load_sources, source_for_url  # noqa: E402
from crawler.storage import Batch, store_article  # noqa: E402
from crawler.text import ArticleText  # noqa: E402
from fixtures.bench_pages import Page, base_pages, varied  # noqa: E402
from pipelines.entities import extract_entities  # noqa: E402
from pipelines.figures import extract_figures  # noqa: E402
from spiders.article import read_article  # noqa: E402


def bench_pages(count: int) -> list[Page]:
    """`count` pages cycling over the base pages, each under its own URL."""
    return [
        (varied(url, n), body, ctype)
        for n, (url, body, ctype) in enumerate(islice(cycle(base_pages()), count))
    ]


def write_archive(pages: list[Page], folder: Path) -> tuple[Path, Path]:
    warc = folder / "bench.warc.gz"
    recorder = WarcRecorder(warc)
    for url, body, ctype in pages:
        recorder.write(url, 200, [("Content-Type", ctype)], body)
    recorder.close()
    urls = folder / "urls.txt"
    urls.write_text("\n".join(url for url, _, _ in pages) + "\n", encoding="utf-8")
    return warc, urls


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_child(args: list[str]) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """(wall s, CPU s) of one child process run to its end."""
    cpu, wall = children_cpu(), time.perf_counter()
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True)
    return time.perf_counter() - wall, children_cpu() - cpu, done


def crawl(warc: Path, urls: Path, folder: Path) -> dict[str, float]:
    db = folder / "bench.db"
    wall, cpu, done = run_child(
        [
            sys.executable,
            "-m",
            "crawler",
            "crawl",
            "--replay",
            str(warc),
            "--urls",
            str(urls),
            "--db",
            str(db),
            "--data-dir",
            str(folder),
            "-s",
            "LOG_LEVEL=WARNING",
        ]  # fmt: skip
    )
    if done.returncode != 0:
        sys.exit(f"crawl failed ({done.returncode}): {done.stderr[-2000:]}")
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    stored = open_db(db).execute("select count(*) from articles").fetchone()[0]
    return {"wall": wall, "cpu": cpu, "peak_mb": peak_mb, "stored": stored}


def trafilatura_alone(pages: list[Page]) -> float:
    """CPU seconds of trafilatura.extract over the pages (import and warm-up excluded)."""
    import trafilatura

    trafilatura.extract(pages[0][1], url=pages[0][0])
    start = time.process_time()
    for url, body, _ in pages:
        trafilatura.extract(body, url=url, include_comments=False, include_tables=True)
    return time.process_time() - start


NEWSPLEASE_RUNNER = """
import sys, time
from newsplease import NewsPlease
files = open(sys.argv[1], encoding="utf-8").read().split("\\n")
pairs = [(files[i], files[i + 1]) for i in range(0, len(files) - 1, 2)]
NewsPlease.from_html(open(pairs[0][1], "rb").read().decode("utf-8", "replace"), url=pairs[0][0], fetch_images=False)
start = time.process_time()
for url, path in pairs:
    try:
        NewsPlease.from_html(open(path, "rb").read().decode("utf-8", "replace"), url=url, fetch_images=False)
    except Exception:
        pass
print(time.process_time() - start)
"""


def newsplease(pages: list[Page], folder: Path, venv: Path | None) -> tuple[float | None, str]:
    """CPU seconds of news-please's extractor over the pages, or None and why not."""
    venv = venv or folder / "newsplease-venv"
    if not (
        venv / "bin" / "python"
    ).exists():  # made here, and kept when --newsplease-venv names it
        made = subprocess.run([sys.executable, "-m", "venv", str(venv)], capture_output=True)
        if made.returncode != 0:
            return None, "cannot create a venv: " + made.stderr.decode()[-300:]
    python = venv / "bin" / "python"
    probe = subprocess.run([python, "-c", "import newsplease"], capture_output=True)
    if probe.returncode != 0:
        installed = subprocess.run(
            [python, "-m", "pip", "install", "-q", "news-please"], capture_output=True, text=True
        )
        if installed.returncode != 0:
            return None, "news-please does not install: " + installed.stderr.strip()[-300:]
    listing = folder / "newsplease-pages.txt"
    lines = []
    for n, (url, body, _) in enumerate(pages):
        path = folder / "np" / f"{n}.html"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(body)
        lines += [url, str(path)]
    listing.write_text("\n".join(lines) + "\n", encoding="utf-8")
    done = subprocess.run(
        [python, "-c", NEWSPLEASE_RUNNER, str(listing)], capture_output=True, text=True
    )
    if done.returncode != 0:
        return None, "news-please failed: " + done.stderr.strip()[-300:]
    return float(done.stdout.split()[-1]), "ok"


def stages(pages: list[Page], db_path: Path, profiled: bool) -> tuple[dict[str, float], int, str]:
    """CPU seconds per stage over the pages, run in this process as the crawl runs them, and
    with `profiled` the profile of the entities stage (top functions by own time; the
    profiler slows the stage, so its time is then not comparable)."""
    sources = load_sources()
    db = open_db(db_path)
    batch = Batch(db)  # the crawl's store commits in batches; so does this stage
    spent = dict.fromkeys(("page", "figures", "entities", "store"), 0.0)
    profile = cProfile.Profile()
    articles = 0

    def timed(stage: str, work: Callable[..., Any], *args: Any) -> Any:
        start = time.process_time()
        result = work(*args)
        spent[stage] += time.process_time() - start
        return result

    for url, body, ctype in pages:
        try:
            source = source_for_url(url, sources)
            article = timed("page", read_article, body, url, {"Content-Type": ctype}, source)
        except Exception:  # noqa: BLE001 - pages the crawl rejects count in the page stage only
            continue
        text = ArticleText(article.body, article.lang, article.published_at)
        article.figures = timed("figures", extract_figures, text)
        if profiled:
            profile.enable()
        article.mentions = timed("entities", extract_entities, text)
        if profiled:
            profile.disable()
        timed("store", batch.add, lambda db, article=article: store_article(db, article))
        articles += 1
    timed("store", batch.commit)
    if not profiled:
        return spent, articles, ""
    out = StringIO()
    pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(12)
    return spent, articles, out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=10_000)
    parser.add_argument("--sample", type=int, default=600, help="pages timed stage by stage")
    parser.add_argument("--quick", action="store_true", help="500 pages, 100 in the sample")
    parser.add_argument("--no-newsplease", action="store_true")
    parser.add_argument(
        "--newsplease-venv",
        type=Path,
        help="the venv of news-please, made there if missing and reused by later runs",
    )
    parser.add_argument("--profile", action="store_true", help="print the entities profile")
    args = parser.parse_args()
    if args.quick:
        args.pages, args.sample = 500, 100
    with tempfile.TemporaryDirectory(prefix="yrd-bench-") as tmp:
        folder = Path(tmp)
        pages = bench_pages(args.pages)
        distinct = len(base_pages())
        warc, urls = write_archive(pages, folder)
        print(f"archive: {len(pages)} pages ({distinct} distinct pages under varied URLs)")

        run = crawl(warc, urls, folder)
        n = len(pages)
        print(
            f"full pipeline (yrdnews crawl --replay): {run['wall']:.1f} s wall, {run['cpu']:.1f} s CPU "
            f"= {n / run['wall']:.1f} pages/s wall, {n / run['cpu']:.1f} pages/s CPU, "
            f"{1000 * run['cpu'] / n:.1f} ms CPU/page, peak RSS {run['peak_mb']:.0f} MB, "
            f"{run['stored']} articles stored"
        )
        traf = trafilatura_alone(pages)
        print(
            f"trafilatura alone: {traf:.1f} s CPU = {n / traf:.1f} pages/s, {1000 * traf / n:.1f} ms/page; "
            f"pipeline/trafilatura = {run['cpu'] / traf:.2f}x"
        )
        if args.no_newsplease:
            print("news-please: skipped (--no-newsplease)")
        else:
            np_cpu, why = newsplease(pages, folder, args.newsplease_venv)
            if np_cpu is None:
                print(f"news-please: skipped: {why}")
            else:
                print(
                    f"news-please from_html: {np_cpu:.1f} s CPU = {n / np_cpu:.1f} pages/s, "
                    f"{1000 * np_cpu / n:.1f} ms/page; news-please/pipeline = {np_cpu / run['cpu']:.2f}x"
                )
        # Each distinct page once, untimed: the crawl pays its first uses (dictionaries
        # unpacked, patterns compiled, dateparser's set-up) once in thousands of pages, which
        # a sample of a few hundred would count several times over.
        stages(pages[:distinct], folder / "warm-up.db", profiled=False)
        spent, stored, profile = stages(pages[: args.sample], folder / "stages.db", args.profile)
        total = sum(spent.values())
        print(
            f"stages on {args.sample} pages ({stored} articles), in process: "
            + ", ".join(
                f"{k} {1000 * v / args.sample:.1f} ms/page ({100 * v / total:.0f} %)"
                for k, v in spent.items()
            )
        )
        if args.profile:
            print("entities profile (own time):\n" + profile)


if __name__ == "__main__":
    main()
