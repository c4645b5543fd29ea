"""Integrity of the hand-labelled entity gold for the 40 real article texts (data, not the extractor).

A label that drifts from its text (a typo in a surface, an offset off by one after an edit, an
unknown type, a held-out id that no longer exists) would silently skew every score computed on it.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from fixtures.texts import article_gold, article_records

ARTICLES = article_records()
GOLD = article_gold("entities")
META = GOLD["_meta"]
DOCS = {k: v for k, v in GOLD.items() if not k.startswith("_")}
KINDS = ("persons", "organizations", "places", "other_entities")
FLAGS = ("optional", "boilerplate", "embedded_only")


def _entities(doc: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(kind, e) for kind in KINDS for e in doc.get(kind, [])]


def test_every_article_is_labelled_and_every_key_is_an_article() -> None:
    assert set(DOCS) == set(ARTICLES)


@pytest.mark.parametrize("aid", sorted(ARTICLES))
def test_mentions_are_slices_of_the_text(aid: str) -> None:
    text, doc = ARTICLES[aid]["text"], DOCS[aid]
    assert doc["language"] == ARTICLES[aid]["language"]
    assert doc["text_chars"] == len(text)
    for _, e in _entities(doc):
        assert e["mentions"], f"{aid}: {e['name']!r} has no mention"
        for m in e["mentions"]:
            assert 0 <= m["start"] < m["end"] <= len(text)
            assert text[m["start"] : m["end"]] == m["surface"], f"{aid}: {m}"
            assert m["surface"] in e["surface_forms"], (
                f"{aid}: {m['surface']!r} not a form of {e['name']!r}"
            )
        for form in e["surface_forms"]:
            assert form in text, f"{aid}: surface form {form!r} not in the text"
    for m in doc.get("non_entities", []):
        assert text[m["start"] : m["end"]] == m["surface"]


@pytest.mark.parametrize("aid", sorted(ARTICLES))
def test_top_level_mentions_do_not_overlap(aid: str) -> None:
    """A name inside a longer labelled name belongs to the longer one (embedded_only aside)."""
    spans = sorted(
        (m["start"], m["end"], e["name"])
        for _, e in _entities(DOCS[aid])
        if not e.get("embedded_only")
        for m in e["mentions"]
    )
    for (_, end, first), (start, _, second) in itertools.pairwise(spans):
        assert end <= start, f"{aid}: {first!r} and {second!r} overlap at {start}"
    outer = [(s, e) for s, e, _ in spans]
    for _, e in _entities(DOCS[aid]):
        if e.get("embedded_only"):
            for m in e["mentions"]:
                assert m.get("embedded") is True
                assert any(
                    s <= m["start"] and m["end"] <= end and (s, end) != (m["start"], m["end"])
                    for s, end in outer
                ), f"{aid}: {e['name']!r} is embedded_only but {m} lies inside no labelled name"


@pytest.mark.parametrize("aid", sorted(ARTICLES))
def test_types_and_fields_are_valid(aid: str) -> None:
    types = META["types"]
    for kind, e in _entities(DOCS[aid]):
        assert isinstance(e["name"], str) and e["name"].strip() == e["name"] and e["name"]
        if kind in ("organizations", "places"):
            assert e["type"] in types[kind], f"{aid}: {e['name']!r} has type {e['type']!r}"
        if kind == "other_entities":
            assert isinstance(e["type"], str) and e["type"]
        if kind == "places" and e["type"] == "park":
            assert e.get("also_acts_as") == "organization"
        for flag in FLAGS:
            assert e.get(flag, False) in (True, False)


@pytest.mark.parametrize("aid", sorted(ARTICLES))
def test_person_titles_are_stated_in_the_text(aid: str) -> None:
    text = ARTICLES[aid]["text"]
    for _, p in ((k, e) for k, e in _entities(DOCS[aid]) if k == "persons"):
        assert "title" in p, f"{aid}: {p['name']!r} has no title field (null when none is stated)"
        for title in [p["title"], *p.get("titles_stated", [])]:
            assert title is None or title in text, (
                f"{aid}: title {title!r} of {p['name']!r} not verbatim"
            )
        if p.get("titles_stated"):
            assert p["title"] in p["titles_stated"]
            assert len(p["title"]) == max(map(len, p["titles_stated"]))


def test_one_entity_per_name_and_type_in_each_article() -> None:
    for aid, doc in DOCS.items():
        keys = [(kind, e["name"]) for kind, e in _entities(doc)]
        assert len(keys) == len(set(keys)), aid


def test_held_out_ids_exist_and_follow_the_split() -> None:
    held = META["held_out"]
    assert "kept aside before any tuning" in META["held_out_reason"]
    assert len(held) == len(set(held)) == 8
    assert set(held) <= set(ARTICLES)
    langs = [ARTICLES[a]["language"] for a in held]
    assert langs.count("en") == 6 and langs.count("zh") == 2
    assert all(ARTICLES[a]["on_topic"] for a in held)
    assert len({ARTICLES[a]["site"] for a in held}) == 8
    for a in held:
        assert ARTICLES[a]["syndicated_with"] not in held


def test_meta_documents_how_the_labels_were_made() -> None:
    assert META["date"] == "2026-12-01"
    assert "No extractor output was consulted" in META["method"]
    assert set(META["types"]) == set(KINDS)
