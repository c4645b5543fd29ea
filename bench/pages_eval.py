"""Score the page object on the real pages: bodies, titles, dates, and speed.

    python bench/pages_eval.py [--check] [--repeat N] [--no-baselines] [--hostile]

Bodies: on the 24 pages of tests/fixtures/pages with upstream expected text, token precision,
recall and F1 (fixtures/scores.py: CJK characters and Latin words, expected paragraphs
de-duplicated), per page and as means over all 24, over the development pages and over the
check pages kept aside while tuning (CHECK_SET in fixtures/pages.py). Side by side, when
installed (the `bench` extra): readability-lxml's `Document.summary()` and trafilatura alone
(`trafilatura.extract`, tables on, comments off), both given the text as our decoder reads
it, so that only main-text extraction is compared.

Titles and dates: on all 38 pages, the title against the page's headline (title_problem in
fixtures/scores.py) and `published_at` against the hand-checked values of checked.yml.

Speed: pages/s of `extract_article` over the 38 pages, from the fastest of N runs of each
page (CPU time of this process, so other processes on the machine matter less). With
--hostile, also the CPU time and peak memory of generated pathological pages just inside and
beyond the limits of crawler/sniff.py (the issue saw a 30 MB page keep trafilatura busy for
more than ten minutes).

--check exits 1 unless the mean body F1 over the 24 pages is >= 0.985, every checked date
matches and every headline is found.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crawler.encoding import decode_html  # noqa: E402
from crawler.pages import NotAnArticle, extract_article  # noqa: E402
from crawler.sniff import MAX_DEPTH, MAX_ELEMENTS, MAX_HTML_BYTES  # noqa: E402
from fixtures.pages import (  # noqa: E402
    CHECK_SET,
    checked,
    expected_text,
    page_bytes,
    page_url,
    records,
)
from fixtures.scores import f1, overlap, title_problem  # noqa: E402

MIN_MEAN_F1 = 0.985


def _readability() -> Callable[[str], str] | None:
    try:
        import lxml.html
        from readability import Document
    except ImportError:
        return None

    def body(text: str) -> str:
        summary = Document(text).summary(html_partial=True)
        return "\n".join(lxml.html.fromstring(summary).itertext())

    return body


def _trafilatura() -> Callable[[str], str]:
    import trafilatura

    def body(text: str) -> str:
        return trafilatura.extract(text, include_comments=False, include_tables=True) or ""

    return body


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else float("nan")


def score_bodies(baselines: bool) -> tuple[dict[str, list[float]], list[str]]:
    """Per-page lines and the F1 lists by (extractor, page set)."""
    others: dict[str, Callable[[str], str]] = {}
    if baselines:
        readability = _readability()
        if readability:
            others["readability"] = readability
        others["trafilatura"] = _trafilatura()
    scores: dict[str, list[float]] = {}
    lines = [
        f"{'page':58} {'set':5} {'P':>6} {'R':>6} {'F1':>6}"
        + "".join(f" {name[:11]:>11}" for name in others)
    ]
    for rec in records():
        expected = expected_text(rec)
        if expected is None:
            continue
        raw = page_bytes(rec)
        which = "check" if rec["file"] in CHECK_SET else "dev"
        recall, precision = overlap(expected, extract_article(raw, page_url(rec)).body, dedup=False)
        ours = f1(recall, precision)
        row = f"{rec['file'][:58]:58} {which:5} {precision:6.3f} {recall:6.3f} {ours:6.3f}"
        for key in ("ours", f"ours/{which}"):
            scores.setdefault(key, []).append(ours)
        text = decode_html(raw)[0]
        for name, extractor in others.items():
            other = f1(*overlap(expected, extractor(text), dedup=False))
            row += f" {other:11.3f}"
            for key in (name, f"{name}/{which}"):
                scores.setdefault(key, []).append(other)
        lines.append(row)
    return scores, lines


def score_metadata() -> tuple[int, int, int, int, list[str]]:
    """(titles right, titles scored, dates right, dates scored, problems)."""
    problems: list[str] = []
    titles = titles_ok = dates = dates_ok = 0
    for rec in records():
        raw = page_bytes(rec)
        article = extract_article(raw, page_url(rec))
        head = raw[:20000].lower()
        if b"<head" in head or b"<h1" in raw.lower():
            titles += 1
            problem = title_problem(rec, article.title)
            titles_ok += problem is None
            if problem:
                problems.append(f"title {rec['file']}: {problem}")
        want = checked().get(rec["file"], {}).get("published_at")
        if want is not None:
            dates += 1
            dates_ok += article.published_at == want
            if article.published_at != want:
                problems.append(f"date {rec['file']}: {article.published_at} != {want}")
    return titles_ok, titles, dates_ok, dates, problems


def pages_per_second(repeat: int) -> tuple[float, int]:
    pages = [(page_bytes(rec), page_url(rec)) for rec in records()]
    total = 0.0
    for raw, url in pages:
        best = float("inf")
        for _ in range(repeat):
            start = time.process_time()
            extract_article(raw, url)
            best = min(best, time.process_time() - start)
        total += best
    return len(pages) / total, len(pages)


def hostile_pages() -> dict[str, str]:
    """Generated pages at and beyond the limits, named by what they are."""
    sentence = "Suzhou Industrial Park signed 85 projects worth 30 billion yuan. "
    just_in = MAX_ELEMENTS - 100
    deep = MAX_DEPTH - 10
    return {
        f"{just_in:,} paragraphs": "".join(f"<p>{i} {sentence}</p>" for i in range(just_in)),
        f"{just_in // 2:,} list links": "".join(
            f"<li><a href='/{i}'>link {i}</a></li>" for i in range(just_in // 2)
        ),
        "one paragraph, 4.8 MB": "<p>" + "word " * (MAX_HTML_BYTES // 5 - 40_000) + "</p>",
        f"divs {deep} deep x 140": ("<div>" * deep + sentence + "</div>" * deep) * 140,
        "30 MB page": "<p>" + sentence * (30 * 2**20 // len(sentence)) + "</p>",
        f"{MAX_ELEMENTS * 10:,} elements": "<span>x</span>" * (MAX_ELEMENTS * 10),
        "5,000 levels deep": "<span>" * 5000 + sentence + "</span>" * 5000,
    }


def run_hostile() -> list[str]:
    lines = []
    for name, body in hostile_pages().items():
        page = f"<html><head><title>t</title></head><body>{body}</body></html>".encode()
        start = time.process_time()
        try:
            outcome = (
                f"article, body {len(extract_article(page, 'https://a.example/x').body):,} chars"
            )
        except NotAnArticle as error:
            outcome = f"rejected: {error.reason}"
        seconds = time.process_time() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        lines.append(
            f"  {name:26} {len(page) / 2**20:6.1f} MiB {seconds:6.2f} s  peak {peak} MiB  {outcome}"
        )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 below the targets")
    parser.add_argument(
        "--repeat", type=int, default=3, help="timing runs per page (fastest counts)"
    )
    parser.add_argument(
        "--no-baselines", action="store_true", help="skip readability-lxml and trafilatura alone"
    )
    parser.add_argument(
        "--hostile", action="store_true", help="also time generated pathological pages"
    )
    args = parser.parse_args()

    scores, lines = score_bodies(baselines=not args.no_baselines)
    print("\n".join(lines))
    print()
    print(f"{'mean body F1':24} {'all':>8} {'dev':>8} {'check':>8}")
    for name in ("ours", "readability", "trafilatura"):
        if name in scores:
            print(
                f"{name:24} {_mean(scores[name]):8.3f} {_mean(scores.get(name + '/dev', [])):8.3f}"
                f" {_mean(scores.get(name + '/check', [])):8.3f}   ({len(scores[name])} pages)"
            )
    titles_ok, titles, dates_ok, dates, problems = score_metadata()
    print()
    print(f"titles: {titles_ok}/{titles} headlines found; dates: {dates_ok}/{dates} checked dates")
    for problem in problems:
        print("  " + problem)
    speed, count = pages_per_second(max(1, args.repeat))
    print(f"speed: {speed:.1f} pages/s (page object, {count} pages, fastest of {args.repeat} runs)")
    if args.hostile:
        print("hostile pages (CPU time, peak memory of this process so far):")
        print("\n".join(run_hostile()))

    if args.check:
        failures = []
        if _mean(scores["ours"]) < MIN_MEAN_F1:
            failures.append(f"mean body F1 {_mean(scores['ours']):.3f} < {MIN_MEAN_F1}")
        if problems:
            failures.append(f"{len(problems)} title/date problems")
        for failure in failures:
            print("CHECK FAILED: " + failure)
        return 1 if failures else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
