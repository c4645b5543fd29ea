"""Score figure extraction against hand-labelled gold files, side by side with quantulum3.

    python bench/figures_eval.py [GOLD.json ...] [--check] [--repeat N] [--corpus JSONL]

Without a GOLD argument it scores the seed gold (tests/fixtures/seeds/seed-gold.json) and the
gold of the 40 development articles (tests/fixtures/articles/figures-gold.json), the latter in two
parts: the development texts and the held-out ids listed in its `_meta.held_out` (never tuned on).

The gold format is that of the seed gold: one key per text, each with a `figures` list (surface,
start, end, kind, normalized_value, unit, currency, qualifier, year/year_stated, core, id,
equivalent_of). A key is a text file next to the gold file (the seeds) or an article id of the
corpus (`--corpus`, default demo/corpus/articles.jsonl). The article's date (the corpus'
`published`, else the date printed in the text, the gold's `doc_date`) is given to the extractor,
as the processing chain gives it the page's date.

Matching rule (one-to-one, greedy, best level first): a prediction matches a gold figure when
their character spans overlap and the normalised values agree within 0.5 % (level a, "value");
level b ("value+unit") also needs the same currency for money, the same base unit for percent,
percentage points and measures ("%", "pp", "km2", "t" ...), the same counted head noun for counts
("projects", or the head of the gold's `counted`; a Chinese count compares its Chinese noun), and rank for ranks/ordinals; level c
("full") also needs a bound exactly when gold has a qualifier, and the stated year when gold
states one. Every gold figure counts for precision (a prediction of an incidental gold figure is
not a false positive); recall is given for all gold figures and for `core` ones.

Also printed: P/R/F1 per kind at value+unit and full; "zh money" = money written with Chinese
numerals or Chinese scales (三千万元, 1.5亿元), value+unit; "year (relative)" = of the matched
gold figures whose year was resolved from a relative expression (last year, 今年, 1~3季度), the
share whose year is right; restatements found / labelled.

--check exits 1 unless, on the seeds, every core figure matches at level b, every labelled
conversion is linked (`equivalent_of` of the prediction points at the prediction of the gold
target), and precision at level b is >= 0.95. quantulum3 is optional: without it only our scores
are printed.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.chinese import to_simplified  # noqa: E402
from crawler.dates import parse_date  # noqa: E402
from crawler.sentences import sentences  # noqa: E402
from crawler.text import ArticleText  # noqa: E402
from fixtures.texts import ARTICLE_GOLD, ARTICLES, SEED_GOLD, article_records  # noqa: E402
from pipelines.figures import extract_figures  # noqa: E402

LEVELS = ("value", "value+unit", "full")
# our kinds as the gold names them
GOLD_KIND = {
    "percentage_points": "percent", "weight": "quantity", "volume": "quantity",
    "energy": "quantity", "capacity": "quantity",
}  # fmt: skip
_ZH_NUMERAL = re.compile("[零〇一二两三四五六七八九十百千万亿壹贰叁肆伍陆柒捌玖拾佰仟]")


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
    kind: str = ""
    text: str = ""
    restates: str | None = None


@dataclass
class Doc:
    key: str
    text: str
    date: str | None
    figures: list[dict[str, Any]]


@dataclass
class Tally:
    """Counts for P/R/F1 per level: matched predictions, matched gold figures, matched core ones.

    Kept apart because within a subset (one kind, Chinese money) a matched prediction and its
    matched gold figure need not both fall in the subset."""

    n_pred: int = 0
    n_gold: int = 0
    n_core: int = 0
    tp_pred: list[int] = field(default_factory=lambda: [0, 0, 0])
    tp_gold: list[int] = field(default_factory=lambda: [0, 0, 0])
    tp_core: list[int] = field(default_factory=lambda: [0, 0, 0])

    def predicted(self, lv: int) -> None:
        self.n_pred += 1
        for k in range(3):
            self.tp_pred[k] += lv > k

    def labelled(self, lv: int, core: bool) -> None:
        self.n_gold += 1
        self.n_core += core
        for k in range(3):
            self.tp_gold[k] += lv > k
            self.tp_core[k] += core and lv > k

    def rows(self) -> dict[str, tuple[float, float, float, float, float]]:
        """level -> (P, R, F1, R core, F1 core)."""
        out = {}
        for k, name in enumerate(LEVELS):
            p, r = _ratio(self.tp_pred[k], self.n_pred), _ratio(self.tp_gold[k], self.n_gold)
            rc = _ratio(self.tp_core[k], self.n_core)
            out[name] = (p, r, _f1(p, r), rc, _f1(p, rc))
        return out


def _ratio(a: int, b: int) -> float:
    return a / b if b else 0.0


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


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


def _zh_noun(g: dict[str, Any]) -> str | None:
    """The Chinese counted noun of a gold count ("项目 (projects)" -> "项目"), folded."""
    counted = g.get("counted") or ""
    noun = to_simplified(counted.split(" (")[0].strip())
    return noun if noun and not noun.isascii() else None


def ours(text: str, date: str | None = None) -> list[Pred]:
    preds = []
    figures = extract_figures(ArticleText(text, None, date))
    position = {f.key: i for i, f in enumerate(figures)}  # conversions name their target's key
    for f in figures:
        if f.kind == "money":
            key = f.currency
        elif f.kind == "count":
            key = f.counted if f.counted and not f.counted.isascii() else _head(f.counted)
        else:
            key = f.normalized_unit
        preds.append(
            Pred(
                f.start,
                f.end,
                f.normalized,
                key,
                f.bound,
                f.year,
                position.get(f.equivalent_of or ""),
                GOLD_KIND.get(f.kind, f.kind),
                f.text,
                f.restates,
            )  # fmt: skip
        )
    return preds


_Q_AREA = {"square kilometre": 1.0, "square metre": 1e-6, "hectare": 1e-2, "acre": 4.0468564224e-3}


def quantulum(text: str, date: str | None = None) -> list[Pred]:
    """quantulum3 mapped onto the same keys; its dimensionless numbers get the next word as noun."""
    from quantulum3 import parser

    preds = []
    for q in parser.parse(text):
        start, end = q.span
        unit, entity = q.unit.name, q.unit.entity.name
        value = q.value
        kind = "count"
        if entity == "currency":
            key, kind = getattr(q.unit, "currency_code", None) or unit, "money"
        elif unit == "percentage":
            key, kind = "%", "percent"
        elif unit in _Q_AREA:
            key, value, kind = "km2", value * _Q_AREA[unit], "area"
        elif entity == "dimensionless":
            nxt = text[end:].split(None, 1)
            key = nxt[0].strip(".,;:").lower() if nxt else None
        else:
            key, kind = unit, "quantity"
        preds.append(Pred(start, end, value, key, None, None, kind=kind, text=text[start:end]))
    return preds


def close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return False
    return abs(a - b) <= 0.005 * max(abs(a), abs(b)) or abs(a - b) < 1e-9


def _same_unit(p: Pred, g: dict[str, Any]) -> bool:
    if p.unit_key is None:
        return False
    if g.get("kind") == "count" and not str(p.unit_key).isascii():
        noun = _zh_noun(g)  # Chinese counts: one noun ends with the other (企业 / 百强企业)
        return bool(noun) and (noun.endswith(p.unit_key) or p.unit_key.endswith(noun))
    key = str(p.unit_key).lower()
    if g.get("kind") == "count" and key == _head((g.get("counted") or "").split(" (")[0]):
        return True  # the text's own noun: "180,000 NEVs" counted NEVs, unit vehicles
    return key == str(gold_unit_key(g)).lower()


def level(p: Pred, g: dict[str, Any]) -> int:
    """0 = no match, 1 = value, 2 = value+unit, 3 = full."""
    if not (p.start < g["end"] and g["start"] < p.end) or not close(
        p.normalized, g.get("normalized_value")
    ):
        return 0
    if not _same_unit(p, g):
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
        (
            (lv, -i, -j, i, j)
            for i, p in enumerate(preds)
            for j, g in enumerate(golds)
            if (lv := level(p, g))
        ),
        reverse=True,
    )
    used_p: set[int] = set()
    out: dict[int, tuple[int, int]] = {}
    for lv, _, _, i, j in pairs:
        if i in used_p or j in out:
            continue
        used_p.add(i)
        out[j] = (i, lv)
    return out


def load(gold_path: Path, corpus: Path) -> tuple[list[Doc], set[str]]:
    """The gold's documents with their texts and dates, and its held-out ids."""
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    held_out = set(gold.get("_meta", {}).get("held_out", []))
    docs = []
    for key, entry in gold.items():
        if key.startswith("_"):
            continue
        path = gold_path.parent / key
        if path.is_file():
            text, date = path.read_text(encoding="utf-8"), entry.get("doc_date")
        else:
            records = article_records(corpus)
            published = records[key].get("published")  # as printed: ISO as the page object has it
            text = records[key]["text"]
            date = (parse_date(published) if published else None) or entry.get("doc_date")
        docs.append(Doc(key, text, date, entry["figures"]))
    return docs, held_out


@dataclass
class Result:
    tally: Tally
    by_kind: dict[str, Tally]
    zh_money: Tally
    relative_years: tuple[int, int]  # right, matched
    restatements: tuple[int, int, int]  # right, predicted, labelled
    failures: list[str]
    sentences_per_s: float
    n_sentences: int


def evaluate(docs: list[Doc], system: Callable[..., list[Pred]], repeat: int) -> Result:
    n_sent = sum(len(sentences(d.text)) for d in docs)
    best = float("inf")
    results: dict[str, list[Pred]] = {}
    for _ in range(repeat):
        t0 = time.perf_counter()
        results = {d.key: system(d.text, d.date) for d in docs}
        best = min(best, time.perf_counter() - t0)
    tally, zh_money = Tally(), Tally()
    by_kind: dict[str, Tally] = {}
    rel_right = rel_n = rest_right = rest_pred = rest_gold = 0
    failures: list[str] = []
    for doc in docs:
        preds, golds = results[doc.key], doc.figures
        m = match(preds, golds)
        by_pred = {i: (j, lv) for j, (i, lv) in m.items()}
        ids = {g.get("id"): j for j, g in enumerate(golds) if g.get("id")}
        for i, p in enumerate(preds):
            j, lv = by_pred.get(i, (None, 0))
            tally.predicted(lv)
            by_kind.setdefault(p.kind, Tally()).predicted(lv)
            if p.kind == "money" and _ZH_NUMERAL.search(to_simplified(p.text)):
                zh_money.predicted(lv)
            if p.restates is not None:
                rest_pred += 1
                rest_right += j is not None and bool(golds[j].get("repeat"))
        for j, g in enumerate(golds):
            i, lv = m.get(j, (None, 0))
            core = bool(g.get("core"))
            tally.labelled(lv, core)
            by_kind.setdefault(g["kind"], Tally()).labelled(lv, core)
            if g["kind"] == "money" and _ZH_NUMERAL.search(to_simplified(g["surface"])):
                zh_money.labelled(lv, core)
            rest_gold += bool(g.get("repeat"))
            if g.get("year_relative") and g.get("year") and lv >= 2 and i is not None:
                rel_n += 1
                rel_right += preds[i].year == g["year"]
            if core and lv < 2:
                failures.append(
                    f"{doc.key}: core figure {g['surface']!r} at {g['start']} level {lv}"
                )
            target = g.get("equivalent_of")
            if target and j in m and ids.get(target) in m:
                want = m[ids[target]][0]
                if preds[m[j][0]].equivalent_of != want:
                    failures.append(f"{doc.key}: conversion {g['surface']!r} not linked")
            elif target:
                failures.append(f"{doc.key}: conversion {g['surface']!r} not found")
    return Result(
        tally, by_kind, zh_money, (rel_right, rel_n), (rest_right, rest_pred, rest_gold),
        failures, n_sent / best if best else 0.0, n_sent,
    )  # fmt: skip


def report(title: str, docs: list[Doc], systems: dict[str, Callable[..., list[Pred]]], repeat: int):
    print(f"\n== {title}: {len(docs)} texts, {sum(len(d.figures) for d in docs)} gold figures")
    print(f"{'system':<11} {'level':<11} {'P':>6} {'R':>6} {'F1':>6} {'R core':>7} {'F1 core':>8}")
    out: dict[str, Result] = {}
    for name, system in systems.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = evaluate(docs, system, repeat)
        out[name] = res
        for lv, (p, r, f, rc, fc) in res.tally.rows().items():
            print(f"{name:<11} {lv:<11} {p:6.3f} {r:6.3f} {f:6.3f} {rc:7.3f} {fc:8.3f}")
        zp, zr, zf, zrc, zfc = res.zh_money.rows()["value+unit"]
        print(f"{name:<11} {'zh money':<11} {zp:6.3f} {zr:6.3f} {zf:6.3f} {zrc:7.3f} {zfc:8.3f}"
              f"  (value+unit; {res.zh_money.n_gold} gold, {res.zh_money.n_pred} predicted)")  # fmt: skip
        print(f"{name:<11} {res.tally.n_pred} figures, {res.n_sentences} sentences, "
              f"{res.sentences_per_s:,.0f} sentences/s")  # fmt: skip
    mine = out["yrd-news"]
    print(f"{'kind':<10} {'gold':>5} {'core':>5} {'pred':>5}  {'P b':>6} {'R b':>6} {'F1 b':>6}"
          f" {'Rcore b':>7}  {'P c':>6} {'R c':>6} {'F1 c':>6} {'Rcore c':>7}")  # fmt: skip
    for kind, t in sorted(mine.by_kind.items()):
        rows = t.rows()
        (pb, rb, fb, rcb, _), (pc, rc, fc, rcc, _) = rows["value+unit"], rows["full"]
        print(f"{kind:<10} {t.n_gold:5d} {t.n_core:5d} {t.n_pred:5d}  {pb:6.3f} {rb:6.3f} {fb:6.3f}"
              f" {rcb:7.3f}  {pc:6.3f} {rc:6.3f} {fc:6.3f} {rcc:7.3f}")  # fmt: skip
    right, n = mine.relative_years
    print(f"year (relative): {right}/{n} right" + (f" ({right / n:.3f})" if n else ""))
    rr, rp, rg = mine.restatements
    print(f"restatements: {rp} predicted, {rr} of them labelled repeats; {rg} labelled")
    if "quantulum3" in out and out["quantulum3"].sentences_per_s:
        ratio = mine.sentences_per_s / out["quantulum3"].sentences_per_s
        print(f"speed ratio yrd-news / quantulum3: {ratio:.1f}x")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("gold", nargs="*", type=Path)
    ap.add_argument("--check", action="store_true", help="exit 1 unless the seed criteria hold")
    ap.add_argument("--repeat", type=int, default=5, help="timing runs (best is kept)")
    ap.add_argument("--corpus", type=Path, default=ARTICLES, help="articles.jsonl of gold keys")
    args = ap.parse_args(argv)
    golds = args.gold or [SEED_GOLD, ARTICLE_GOLD["figures"]]
    systems: dict[str, Callable[..., list[Pred]]] = {"yrd-news": ours}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import quantulum3.parser  # noqa: F401
        systems["quantulum3"] = quantulum
    except ImportError:
        print("quantulum3 not installed: scoring yrd-news only")
    checked: Result | None = None
    for path in golds:
        docs, held_out = load(path, args.corpus)
        print(f"gold: {path}")
        if held_out:
            report("development texts", [d for d in docs if d.key not in held_out], systems,
                   args.repeat)  # fmt: skip
            report("held-out texts", [d for d in docs if d.key in held_out], systems, args.repeat)
        else:
            res = report("all texts", docs, systems, args.repeat)["yrd-news"]
            checked = checked or res
    if args.check:
        if checked is None:
            print("check: FAILED (no gold without a held-out split to check)")
            return 1
        for line in checked.failures:
            print("FAIL", line)
        precision = checked.tally.rows()["value+unit"][0]
        ok = not checked.failures and precision >= 0.95
        print(f"check: {'passed' if ok else 'FAILED'} (precision value+unit {precision:.3f})")
        return 0 if ok else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
