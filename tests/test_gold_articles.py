"""Integrity of the hand-labelled figure gold for the 40 corpus articles (a test over data).

The gold is only worth scoring against if every label points at the text it claims to: offsets
that slice out the surface, kinds and units the scorer understands, links (repeat_of,
equivalent_of) that resolve, and a held-out split that names real on-topic articles.
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

import pytest

from fixtures.texts import article_gold, article_records

KINDS = {"money", "percent", "count", "area", "quantity", "duration", "ordinal", "rank"}
REQUIRED = ("surface", "start", "end", "kind", "value", "multiplier", "normalized_value", "unit")
REQUIRED += ("measures", "core")
QUANTITY_UNITS = {"t", "TEU", "km"}


@cache
def gold() -> dict[str, Any]:
    return article_gold("figures")


def labelled_ids() -> list[str]:
    return [key for key in gold() if key != "_meta"]


def test_keys_are_exactly_the_corpus_ids() -> None:
    assert set(labelled_ids()) == set(article_records())
    assert len(labelled_ids()) == 40


def test_held_out_split_names_real_on_topic_articles() -> None:
    meta = gold()["_meta"]
    assert meta["held_out_reason"].startswith("kept aside before any tuning")
    ids = meta["held_out"]
    assert len(ids) == len(set(ids)) == 8
    recs = [article_records()[i] for i in ids]  # KeyError = a held-out id that is not in the corpus
    assert sorted(r["language"] for r in recs) == ["en"] * 6 + ["zh"] * 2
    assert all(r["on_topic"] for r in recs)
    assert len({r["site"] for r in recs}) == 8
    assert not any(r["syndicated_with"] in ids for r in recs)


def test_held_out_split_is_the_one_the_entity_gold_uses() -> None:
    entities = article_gold("entities")
    assert gold()["_meta"]["held_out"] == entities["_meta"]["held_out"]


@pytest.mark.parametrize("doc_id", labelled_ids())
def test_document_fields_match_the_corpus(doc_id: str) -> None:
    doc, rec = gold()[doc_id], article_records()[doc_id]
    assert doc["language"] == rec["language"]
    assert doc["text_chars"] == len(rec["text"])
    assert doc["doc_date"] is None or len(doc["doc_date"]) == 10
    assert doc["doc_date_note"]
    for entry in doc["dates"] + doc["non_figures"]:
        assert entry["surface"] in rec["text"], entry


@pytest.mark.parametrize("doc_id", labelled_ids())
def test_every_figure_slices_its_surface_and_is_well_formed(doc_id: str) -> None:
    text = article_records()[doc_id]["text"]
    figures = gold()[doc_id]["figures"]
    previous_end = 0
    for f in figures:
        missing = [k for k in REQUIRED if k not in f]
        assert not missing, (f["surface"], missing)
        assert text[f["start"] : f["end"]] == f["surface"], f
        assert f["start"] >= previous_end, f"overlapping or out of order: {f}"
        previous_end = f["end"]
        assert f["kind"] in KINDS, f
        assert isinstance(f["core"], bool)
        _check_unit(f)
        _check_year(f)
        if "context" in f:
            assert _context_covers(text, f), f


def _check_unit(f: dict[str, Any]) -> None:
    kind, unit = f["kind"], f["unit"]
    if kind == "area":
        expected = f["normalized_m2"] / 1e6
        assert unit == "km2" and math.isclose(f["normalized_value"], expected, rel_tol=1e-6), f
        return
    assert math.isclose(f["normalized_value"], f["value"] * f["multiplier"], rel_tol=1e-9), f
    if kind == "money":
        assert unit == f["currency"] and len(unit) == 3 and unit.isupper(), f
    elif kind == "percent":
        assert unit in {"%", "pp"}, f
    elif kind == "quantity":
        assert unit in QUANTITY_UNITS, f
    elif kind in {"ordinal", "rank"}:
        assert unit is None, f
    else:
        assert isinstance(unit, str) and unit, f


def _check_year(f: dict[str, Any]) -> None:
    stated, implied = f.get("year_stated", False), f.get("year_implied", False)
    if f.get("year") is None:
        assert not (stated or implied or "year_relative" in f), f
        return
    assert isinstance(f["year"], int) and 1900 < f["year"] < 2100, f
    assert stated != implied, f
    assert "year_relative" not in f or implied, f


def _context_covers(text: str, f: dict[str, Any]) -> bool:
    ctx = f["context"]
    i = text.find(ctx)
    while i >= 0:
        if i <= f["start"] and f["end"] <= i + len(ctx):
            return True
        i = text.find(ctx, i + 1)
    return False


@pytest.mark.parametrize("doc_id", labelled_ids())
def test_links_point_at_earlier_figures_of_the_same_text(doc_id: str) -> None:
    seen: dict[str, dict[str, Any]] = {}
    for f in gold()[doc_id]["figures"]:
        for link in ("repeat_of", "equivalent_of"):
            if link in f:
                assert f[link] in seen, (f["surface"], link, f[link])
        if "repeat_of" in f:
            target = seen[f["repeat_of"]]
            assert f["repeat"] is True and target["kind"] == f["kind"], f
            assert math.isclose(target["normalized_value"], f["normalized_value"], rel_tol=5e-3)
        if "id" in f:
            assert f["id"] not in seen, f"duplicate id {f['id']}"
            seen[f["id"]] = f
