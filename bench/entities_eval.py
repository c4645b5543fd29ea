"""Precision, recall and F1 of `extract_entities` per type, on the seed gold and on the
development gold, and its speed in characters per second.

    python bench/entities_eval.py [GOLD.json ...] [--check] [--verbose] [--repeat N]

Without arguments it scores the seeds (`tests/fixtures/seeds/entities-gold.json`) and, when
present, the development set (`tests/fixtures/articles/entities-gold.json`, the 40 texts of
`demo/corpus/articles.jsonl`), whose development part and held-out ids (listed in its `_meta`)
are reported separately. A gold key names a text file in the gold file's folder or an article
id of the corpus. Matching rule (entity level, per document, per type person / organization /
place, and industry where a document labels industries):
- a predicted mention matches a gold entity when its text equals one of the gold surface forms
  or the gold name (casefolded, curly quotes straightened, possessive 's and a leading "the"
  dropped), or when it overlaps an occurrence of a gold surface form in the text by at least
  half of their combined extent (so "... Innovation Zone" matches "... Innovation Zone in Suzhou
  (Xiangcheng)");
- a predicted entity (the mentions sharing an Entity.id) matches a gold entity when any of its
  mentions does;
- gold entities flagged boilerplate, embedded_only or optional are *neutral*: finding them is not
  rewarded, finding them is not an error; an entity with also_acts_as "organization" is neutral
  for predicted organisations; other_entities (events, brands, plans) are not neutral: an
  organisation predicted on an event name is an error;
- precision = predicted entities matching a required gold entity / predicted entities not
  neutral; recall = required gold entities matched / required gold entities. Several predicted
  entities matching one gold entity (variant names kept apart) are not penalised;
- person+title: a person counts only when the longest title among the predicted entity's mentions
  equals the gold title (or its title_clean / title_resolved), or both are absent.
Speed: every seed and corpus text, the best CPU time of `--repeat` runs, English and Chinese apart.
With --check the exit status is 1 unless, on the seeds, person+title F1 >= 0.95, organizations
>= 0.90 and places >= 0.95.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import defaultdict
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipelines.entities import extract_entities  # noqa: E402

DEFAULT_GOLD = ROOT / "tests" / "fixtures" / "seeds" / "entities-gold.json"
DEV_GOLD = ROOT / "tests" / "fixtures" / "articles" / "entities-gold.json"
ARTICLES = ROOT / "demo" / "corpus" / "articles.jsonl"
THRESHOLDS = {"person+title": 0.95, "organization": 0.90, "place": 0.95}
GOLD_KEYS = {
    "persons": "person",
    "organizations": "organization",
    "places": "place",
    "industries": "industry",
}
TYPES = ("person", "person+title", "organization", "place", "industry")


def norm(s: str | None) -> str:
    s = (s or "").replace("’", "'").replace("‘", "'").casefold()
    s = re.sub(r"'s$|s'$", "", " ".join(s.split()))
    return re.sub(r"^the ", "", s).strip(" \"'")


def occurrences(text: str, surfaces: list[str]) -> list[tuple[int, int]]:
    spans = []
    for sf in surfaces:
        for m in re.finditer(r"(?<!\w)" + re.escape(sf) + r"(?!\w)", text):
            spans.append((m.start(), m.end()))
    return spans


def overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    inter = min(a[1], b[1]) - max(a[0], b[0])
    union = max(a[1], b[1]) - min(a[0], b[0])
    return inter > 0 and inter / union >= 0.5


def mention_matches(m: dict, g: dict, text: str) -> bool:
    forms = [*g.get("surface_forms", []), g["name"]]
    if norm(m["text"]) in {norm(f) for f in forms}:
        return True
    return any(overlaps((m["start"], m["end"]), o) for o in occurrences(text, forms))


def neutral_for(g: dict, typ: str, gold_typ: str) -> bool:
    if gold_typ != typ:
        return g.get("also_acts_as") == typ
    return bool(g.get("boilerplate") or g.get("embedded_only") or g.get("optional"))


def load_gold(gold_path: Path) -> tuple[dict[str, Any], dict[str, str]]:
    """The gold labels and the text of every labelled document.

    A key names a file in the gold file's folder (the seeds) or, failing that, an article id of
    `demo/corpus/articles.jsonl` (the development set)."""
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    docs = {k: v for k, v in gold.items() if not k.startswith("_")}
    texts = {}
    for doc in docs:
        path = gold_path.parent / doc
        texts[doc] = path.read_text(encoding="utf-8") if path.is_file() else corpus_texts()[doc]
    return gold, texts


def held_out(gold: dict[str, Any]) -> set[str]:
    """Ids the gold file keeps aside as a check: never read them while writing patterns."""
    meta = gold.get("_meta", {})
    ids = meta.get("held_out") or meta.get("held_out_ids") or []
    return set(ids)


@cache
def corpus_texts() -> dict[str, str]:
    lines = ARTICLES.read_text(encoding="utf-8").splitlines()
    return {a["id"]: a["text"] for a in map(json.loads, lines)}


@cache
def corpus_langs() -> dict[str, str]:
    lines = ARTICLES.read_text(encoding="utf-8").splitlines()
    return {a["id"]: a["language"] for a in map(json.loads, lines)}


def evaluate(
    gold_path: Path, verbose: bool = False, only: set[str] | None = None
) -> dict[str, dict[str, float]]:
    """P/R/F1 per type over the documents of `gold_path` (those in `only`, when given)."""
    gold, texts = load_gold(gold_path)
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for doc, text in texts.items():
        if only is not None and doc not in only:
            continue
        labels = gold[doc]
        found = extract_entities(text, corpus_langs().get(doc, "en"))
        mentions = [m.to_dict() | {"id": m.entity.id} for m in found]
        golds = [(g, GOLD_KEYS[k]) for k in GOLD_KEYS for g in labels.get(k, [])]
        types = [t for t in TYPES if t != "industry" or "industries" in labels]
        for typ in types:
            _score_type(doc, text, typ, mentions, golds, counts, verbose)
    return {k: _scores(c) for k, c in counts.items()}


def _score_type(
    doc: str,
    text: str,
    typ: str,
    mentions: list[dict[str, Any]],
    golds: list[tuple[dict[str, Any], str]],
    counts: dict[str, dict[str, int]],
    verbose: bool,
) -> None:
    predicted: dict[str, list[dict]] = defaultdict(list)
    for m in mentions:
        if m["type"] == typ:
            predicted[m["id"]].append(m)
    required = [g for g, t in golds if t == typ and not neutral_for(g, typ, t)]
    found, titled = set(), set()
    for ms in predicted.values():
        hits = [(g, t) for g, t in golds if any(mention_matches(m, g, text) for m in ms)]
        req = [g for g, t in hits if t == typ and not neutral_for(g, typ, t)]
        if req:
            counts[typ]["tp_pred"] += 1
            found.update(id(g) for g in req)
            if typ == "person":
                title = max((m["title"] or "" for m in ms), key=len) or None
                ok = [g for g in req if _title_ok(title, g)]
                titled.update(id(g) for g in ok)
                counts["person+title"]["tp_pred"] += bool(ok)
                counts["person+title"]["pred"] += 1
                if verbose and not ok:
                    print(
                        f"  {doc} person title: {ms[0]['name']!r} predicted {title!r}, gold {req[0].get('title')!r}"
                    )
            counts[typ]["pred"] += 1
        elif any(neutral_for(g, typ, t) for g, t in hits):
            continue
        else:
            counts[typ]["pred"] += 1
            if typ == "person":
                counts["person+title"]["pred"] += 1
            if verbose:
                print(f"  {doc} false {typ}: {sorted({m['text'] for m in ms})}")
    for g in required:
        counts[typ]["gold"] += 1
        counts[typ]["tp_gold"] += id(g) in found
        if typ == "person":
            counts["person+title"]["gold"] += 1
            counts["person+title"]["tp_gold"] += id(g) in titled
        if verbose and id(g) not in found:
            print(f"  {doc} missed {typ}: {g['name']!r}")


def speed(repeat: int = 3) -> dict[str, tuple[int, float]]:
    """(characters, best CPU seconds of `repeat` runs) per language over the seeds and the corpus."""
    texts = [
        (p.read_text(encoding="utf-8"), "en") for p in sorted(DEFAULT_GOLD.parent.glob("*.txt"))
    ]
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


def _title_ok(title: str | None, g: dict) -> bool:
    wanted = {norm(g.get(k)) for k in ("title", "title_clean", "title_resolved") if g.get(k)}
    return norm(title) in wanted if wanted else title is None


def _scores(c: dict[str, int]) -> dict[str, float]:
    p = c["tp_pred"] / c["pred"] if c["pred"] else 1.0
    r = c["tp_gold"] / c["gold"] if c["gold"] else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": p, "recall": r, "f1": f, "predicted": c["pred"], "gold": c["gold"]}


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
    golds = args.gold or [p for p in (DEFAULT_GOLD, DEV_GOLD) if p.is_file()]
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
        if path == DEFAULT_GOLD:
            seed_scores = scores
    for lang, (chars, seconds) in speed(args.repeat).items():
        print(
            f"speed {lang}: {chars} characters in {seconds:.3f} s "
            f"({chars / max(seconds, 1e-9):,.0f} characters/s, best CPU time of {args.repeat})"
        )
    if args.check:
        if seed_scores is None:
            seed_scores = evaluate(DEFAULT_GOLD)
        failed = [t for t, th in THRESHOLDS.items() if seed_scores[t]["f1"] < th]
        for t in failed:
            print(f"FAIL {t}: F1 {seed_scores[t]['f1']:.3f} < {THRESHOLDS[t]}")
        return 1 if failed else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
