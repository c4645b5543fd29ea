"""Precision, recall and F1 of `extract_entities` per type, on the seed gold and on the
development gold, and its speed in characters per second.

    python bench/entities_eval.py [GOLD.json ...] [--check] [--verbose] [--repeat N]

Without arguments it scores the seeds (`tests/fixtures/seeds/seed-gold.json`) and the
development set (`tests/fixtures/articles/entities-gold.json`, the 40 texts of
`demo/corpus/articles.jsonl`), whose development part and held-out ids (listed in its `_meta`)
are reported separately. A gold key names a text file in the gold file's folder or an article
id of the corpus. Matching rule: fixtures/entity_scores.py.
Speed: every seed and corpus text, the best CPU time of `--repeat` runs, English and Chinese apart.
With --check the exit status is 1 unless, on the seeds, person+title F1 >= 0.95, organizations
>= 0.90 and places >= 0.95.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fixtures.entity_scores import (  # noqa: E402
    THRESHOLDS,
    TYPES,
    corpus_langs,
    corpus_texts,
    evaluate,
    held_out,
    load_gold,
)
from fixtures.texts import ARTICLE_GOLD, SEED_GOLD, seed_articles  # noqa: E402
from pipelines.entities import extract_entities  # noqa: E402


def speed(repeat: int = 3) -> dict[str, tuple[int, float]]:
    """(characters, best CPU seconds of `repeat` runs) per language over the seeds and the corpus."""
    texts = [(seed.text, "en") for seed in seed_articles()]
    texts += [(t, corpus_langs()[k]) for k, t in corpus_texts().items()]
    out = {}
    for lang in ("en", "zh"):
        batch = [t for t, lg in texts if lg == lang]
        best = float("inf")
        for _ in range(repeat):
            started = time.process_time()  # CPU time: other processes on the machine do not count
            for t in batch:
                extract_entities(t, lang)
            best = min(best, time.process_time() - started)
        out[lang] = (sum(map(len, batch)), best)
    return out


def _table(label: str, scores: dict[str, dict[str, float]]) -> None:
    print(label)
    print(f"  {'type':14} {'precision':>9} {'recall':>7} {'F1':>6} {'pred':>5} {'gold':>5}")
    for typ in TYPES:
        if typ not in scores:
            continue
        s = scores[typ]
        print(
            f"  {typ:14} {s['precision']:9.3f} {s['recall']:7.3f} {s['f1']:6.3f} {s['predicted']:5d} {s['gold']:5d}"
        )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("gold", nargs="*", type=Path)
    ap.add_argument("--check", action="store_true", help="exit 1 below the seed thresholds")
    ap.add_argument("--verbose", action="store_true", help="print every miss and false hit")
    ap.add_argument("--repeat", type=int, default=3, help="timing runs (the best counts)")
    args = ap.parse_args()
    extract_entities("warm-up: load gazetteers and jieba once, outside the timing 苏州")
    golds = args.gold or [SEED_GOLD, ARTICLE_GOLD["entities"]]
    seed_scores = None
    for path in golds:
        gold, texts = load_gold(path)
        aside = held_out(gold)
        name = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        if not aside:
            scores = evaluate(path, args.verbose)
            _table(f"{name} ({len(texts)} documents)", scores)
        else:
            dev = set(texts) - aside
            scores = evaluate(path, args.verbose, dev)
            _table(f"{name}, development part ({len(dev)} documents)", scores)
            # the held-out part is scored, never listed miss by miss
            _table(
                f"{name}, held-out ids ({len(aside & set(texts))})", evaluate(path, False, aside)
            )
        if path == SEED_GOLD:
            seed_scores = scores
    for lang, (chars, seconds) in speed(args.repeat).items():
        print(
            f"speed {lang}: {chars} characters in {seconds:.3f} s "
            f"({chars / max(seconds, 1e-9):,.0f} characters/s, best CPU time of {args.repeat})"
        )
    if args.check:
        if seed_scores is None:
            seed_scores = evaluate(SEED_GOLD)
        failed = [t for t, th in THRESHOLDS.items() if seed_scores[t]["f1"] < th]
        for t in failed:
            print(f"FAIL {t}: F1 {seed_scores[t]['f1']:.3f} < {THRESHOLDS[t]}")
        return 1 if failed else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
