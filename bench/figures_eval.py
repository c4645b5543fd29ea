"""Score figure extraction against a hand-labelled gold file, side by side with quantulum3.

    python bench/figures_eval.py [GOLD.json] [--check] [--repeat N]

The gold format is that of tests/fixtures/seeds/figures-gold.json: one key per text file (next to
the gold file), each with a `figures` list (surface, start, end, kind, normalized_value, unit,
currency, qualifier, year/year_stated, core, id, equivalent_of).

Matching rule (one-to-one, greedy in text order): a prediction matches a gold figure when their
character spans overlap and the normalised values agree within 0.5 % (level a, "value"); level b
("value+unit") also needs the same currency for money, the same base unit for percent and
measures ("%", "km2", ...), the same counted head noun for counts ("projects"), and rank for
ranks/ordinals; level c ("full") also needs a bound exactly when gold has a qualifier, and the
stated year when gold states one (implied years are not scored). Every gold figure counts for
precision (a prediction of an incidental gold figure is not a false positive); recall is given
for all gold figures and for `core` ones.

--check exits 1 unless every core figure matches at level b, every labelled conversion is linked
(`equivalent_of` of the prediction points at the prediction of the gold target), and precision
at level b is >= 0.95. quantulum3 is optional: without it only our scores are printed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crawler.sentences import sentences  # noqa: E402
from pipelines.figures import extract_figures  # noqa: E402

DEFAULT_GOLD = Path(__file__).resolve().parent.parent / "tests/fixtures/seeds/figures-gold.json"
LEVELS = ("value", "value+unit", "full")


@dataclass
class Pred:
    """A prediction reduced to what the matching rule compares."""

    start: int
    end: int
    normalized: float | None
    unit_key: str | None
    bound: str | None
    year: int | None
    equivalent_of: int | None = None


def gold_unit_key(g: dict[str, Any]) -> str | None:
    kind = g.get("kind")
    if kind == "money":
        return g.get("currency") or g.get("unit")
    if kind in ("rank", "ordinal"):
        return "rank"
    if kind == "count":
        return _head(g.get("unit"))
    return g.get("unit")


def _head(noun: str | None) -> str | None:
    return noun.split()[-1].lower() if noun else None


def ours(text: str) -> list[Pred]:
    preds = []
    figures = extract_figures(text)
    position = {f.key: i for i, f in enumerate(figures)}
    for f in figures:
        if f.kind == "money":
            key = f.currency
        elif f.kind == "count":
            key = _head(f.counted)
        else:
            key = f.normalized_unit
        preds.append(
            Pred(f.start, f.end, f.normalized, key, f.bound, f.year, position.get(f.equivalent_of))
        )
    return preds


_Q_AREA = {"square kilometre": 1.0, "square metre": 1e-6, "hectare": 1e-2, "acre": 4.0468564224e-3}


def quantulum(text: str) -> list[Pred]:
    """quantulum3 mapped onto the same keys; its dimensionless numbers get the next word as noun."""
    from quantulum3 import parser

    preds = []
    for q in parser.parse(text):
        start, end = q.span
        unit, entity = q.unit.name, q.unit.entity.name
        value = q.value
        if entity == "currency":
            key = getattr(q.unit, "currency_code", None) or unit
        elif unit == "percentage":
            key = "%"
        elif unit in _Q_AREA:
            key, value = "km2", value * _Q_AREA[unit]
        elif entity == "dimensionless":
            nxt = text[end:].split(None, 1)
            key = nxt[0].strip(".,;:").lower() if nxt else None
        else:
            key = unit
        preds.append(Pred(start, end, value, key, None, None))
    return preds


def close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return False
    return abs(a - b) <= 0.005 * max(abs(a), abs(b)) or abs(a - b) < 1e-9


def level(p: Pred, g: dict[str, Any]) -> int:
    """0 = no match, 1 = value, 2 = value+unit, 3 = full."""
    if not (p.start < g["end"] and g["start"] < p.end) or not close(
        p.normalized, g.get("normalized_value")
    ):
        return 0
    if p.unit_key is None or str(p.unit_key).lower() != str(gold_unit_key(g)).lower():
        return 1
    gold_q = g.get("qualifier") or g.get("inherited_qualifier")
    if bool(gold_q) != bool(p.bound):
        return 2
    if g.get("year_stated") and p.year != g.get("year"):
        return 2
    return 3


def match(preds: list[Pred], golds: list[dict[str, Any]]) -> dict[int, tuple[int, int]]:
    """gold index -> (prediction index, level), one-to-one, best level first."""
    pairs = sorted(
        ((level(p, g), -i, -j, i, j) for i, p in enumerate(preds) for j, g in enumerate(golds)),
        reverse=True,
    )
    used_p: set[int] = set()
    out: dict[int, tuple[int, int]] = {}
    for lv, _, _, i, j in pairs:
        if lv == 0 or i in used_p or j in out:
            continue
        used_p.add(i)
        out[j] = (i, lv)
    return out


def evaluate(gold: dict[str, Any], base: Path, system: Callable[[str], list[Pred]], repeat: int):
    texts = {k: (base / k).read_text(encoding="utf-8") for k in gold if not k.startswith("_")}
    n_sent = sum(len(sentences(t)) for t in texts.values())
    best = float("inf")
    results: dict[str, list[Pred]] = {}
    for _ in range(repeat):
        t0 = time.perf_counter()
        results = {k: system(t) for k, t in texts.items()}
        best = min(best, time.perf_counter() - t0)
    tp = [0, 0, 0]
    n_pred = n_gold = n_core = 0
    core_tp = [0, 0, 0]
    failures: list[str] = []
    for key, preds in results.items():
        golds = gold[key]["figures"]
        m = match(preds, golds)
        n_pred += len(preds)
        n_gold += len(golds)
        ids = {g.get("id"): j for j, g in enumerate(golds) if g.get("id")}
        for j, g in enumerate(golds):
            lv = m.get(j, (None, 0))[1]
            for k in range(3):
                tp[k] += lv > k
                if g.get("core"):
                    core_tp[k] += lv > k
            if g.get("core"):
                n_core += 1
                if lv < 2:
                    failures.append(
                        f"{key}: core figure {g['surface']!r} at {g['start']} level {lv}"
                    )
            target = g.get("equivalent_of")
            if target and j in m and ids.get(target) in m:
                want = m[ids[target]][0]
                if preds[m[j][0]].equivalent_of != want:
                    failures.append(f"{key}: conversion {g['surface']!r} not linked")
            elif target:
                failures.append(f"{key}: conversion {g['surface']!r} not found")
    rows = {}
    for k, name in enumerate(LEVELS):
        p = tp[k] / n_pred if n_pred else 0.0
        r = tp[k] / n_gold if n_gold else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        rows[name] = (p, r, f, core_tp[k] / n_core if n_core else 0.0)
    return rows, n_sent / best if best else 0.0, failures, n_pred, n_sent


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("gold", nargs="?", type=Path, default=DEFAULT_GOLD)
    ap.add_argument(
        "--check", action="store_true", help="exit 1 unless the done-when criteria hold"
    )
    ap.add_argument("--repeat", type=int, default=5, help="timing runs (best is kept)")
    args = ap.parse_args(argv)
    gold = json.loads(args.gold.read_text(encoding="utf-8"))
    base = args.gold.parent
    systems: dict[str, Callable[[str], list[Pred]]] = {"yrd-news": ours}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import quantulum3.parser  # noqa: F401
        systems["quantulum3"] = quantulum
    except ImportError:
        print("quantulum3 not installed: scoring yrd-news only")
    speed: dict[str, float] = {}
    checked: tuple[Any, ...] = ()
    print(f"gold: {args.gold}")
    print(f"{'system':<11} {'level':<11} {'P':>6} {'R':>6} {'F1':>6} {'R core':>7}")
    for name, system in systems.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rows, sps, failures, n_pred, n_sent = evaluate(gold, base, system, args.repeat)
        speed[name] = sps
        for lv, (p, r, f, rc) in rows.items():
            print(f"{name:<11} {lv:<11} {p:6.3f} {r:6.3f} {f:6.3f} {rc:7.3f}")
        print(f"{name:<11} {n_pred} figures, {n_sent} sentences, {sps:,.0f} sentences/s")
        if name == "yrd-news":
            checked = (rows, failures)
    if "quantulum3" in speed and speed["quantulum3"]:
        print(f"speed ratio yrd-news / quantulum3: {speed['yrd-news'] / speed['quantulum3']:.1f}x")
    rows, failures = checked
    for line in failures:
        print("FAIL", line)
    if args.check:
        precision = rows["value+unit"][0]
        ok = not failures and precision >= 0.95
        print(f"check: {'passed' if ok else 'FAILED'} (precision value+unit {precision:.3f})")
        return 0 if ok else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
