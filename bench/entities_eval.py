"""Precision, recall and F1 of `extract_entities` against a gold file in the seed-gold format.

    python bench/entities_eval.py [GOLD.json] [--check] [--verbose]

The texts are the files named by the gold file's keys, in the gold file's folder. Matching rule
(entity level, per document, per type person / organization / place):
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
With --check the exit status is 1 unless person+title F1 >= 0.95, organizations >= 0.90 and
places >= 0.95.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipelines.entities import extract_entities  # noqa: E402

DEFAULT_GOLD = (
    Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "seeds" / "entities-gold.json"
)
THRESHOLDS = {"person+title": 0.95, "organization": 0.90, "place": 0.95}
GOLD_KEYS = {"persons": "person", "organizations": "organization", "places": "place"}


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


def evaluate(gold_path: Path, verbose: bool = False) -> dict[str, dict[str, float]]:
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    extract_entities("warm-up: load gazetteers and jieba once, outside the timing 苏州")
    for doc, labels in gold.items():
        if doc.startswith("_"):
            continue
        text = (gold_path.parent / doc).read_text(encoding="utf-8")
        started = time.perf_counter()
        found = extract_entities(text, "en")
        counts["_speed"]["seconds_x1e6"] += int((time.perf_counter() - started) * 1e6)
        counts["_speed"]["chars"] += len(text)
        mentions = [m.to_dict() | {"id": m.entity.id} for m in found]
        golds = [(g, GOLD_KEYS[k]) for k in GOLD_KEYS for g in labels.get(k, [])]
        for typ in ("person", "organization", "place"):
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
    speed = counts.pop("_speed")
    scores = {k: _scores(c) for k, c in counts.items()}
    scores["_speed"] = {"seconds": speed["seconds_x1e6"] / 1e6, "chars": speed["chars"]}
    return scores


def _title_ok(title: str | None, g: dict) -> bool:
    wanted = {norm(g.get(k)) for k in ("title", "title_clean", "title_resolved") if g.get(k)}
    return norm(title) in wanted if wanted else title is None


def _scores(c: dict[str, int]) -> dict[str, float]:
    p = c["tp_pred"] / c["pred"] if c["pred"] else 1.0
    r = c["tp_gold"] / c["gold"] if c["gold"] else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": p, "recall": r, "f1": f, "predicted": c["pred"], "gold": c["gold"]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("gold", nargs="?", type=Path, default=DEFAULT_GOLD)
    ap.add_argument("--check", action="store_true", help="exit 1 below the thresholds")
    ap.add_argument("--verbose", action="store_true", help="print every miss and false hit")
    args = ap.parse_args()
    scores = evaluate(args.gold, args.verbose)
    print(f"{'type':14} {'precision':>9} {'recall':>7} {'F1':>6} {'pred':>5} {'gold':>5}")
    for typ in ("person", "person+title", "organization", "place"):
        s = scores.get(typ, _scores(defaultdict(int)))
        print(
            f"{typ:14} {s['precision']:9.3f} {s['recall']:7.3f} {s['f1']:6.3f} {s['predicted']:5d} {s['gold']:5d}"
        )
    speed = scores["_speed"]
    print(
        f"extraction time: {speed['seconds']:.3f} s for {speed['chars']} characters "
        f"({speed['chars'] / max(speed['seconds'], 1e-9):,.0f} characters/s)"
    )
    if args.check:
        failed = [t for t, th in THRESHOLDS.items() if scores.get(t, {"f1": 0.0})["f1"] < th]
        for t in failed:
            print(f"FAIL {t}: F1 {scores.get(t, {'f1': 0.0})['f1']:.3f} < {THRESHOLDS[t]}")
        return 1 if failed else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
