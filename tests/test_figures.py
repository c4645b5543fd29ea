"""Figures: table-driven cases, the seed gold, the processing chain's step, and robustness."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.items import Article, Figure
from crawler.sentences import sentences
from crawler.text import ArticleText
from pipelines.chain import ChainContext, add_figures
from pipelines.figures import extract_figures
from pipelines.figures.extract import zh_numeral

ROOT = Path(__file__).resolve().parent.parent
CASES = yaml.safe_load((ROOT / "tests/fixtures/text/figures.yml").read_text(encoding="utf-8"))[
    "cases"
]
GOLD_PATH = ROOT / "tests/fixtures/seeds/figures-gold.json"
GOLD = json.loads(GOLD_PATH.read_text(encoding="utf-8"))


def _check(fig: Figure, want: dict[str, Any]) -> None:
    for key, expected in want.items():
        got = getattr(fig, key)
        if isinstance(expected, float | int) and not isinstance(expected, bool) and got is not None:
            assert math.isclose(got, expected, rel_tol=1e-6), (fig.text, key, got, expected)
        else:
            assert got == expected, (fig.text, key, got, expected)


def _keyed(want: dict[str, Any], figures: list[Figure]) -> dict[str, Any]:
    """The cases name a conversion's target by its position in their list; figures by its key."""
    if want.get("equivalent_of") is None:
        return want
    return {**want, "equivalent_of": figures[want["equivalent_of"]].key}


@pytest.mark.parametrize("case", CASES, ids=[c["text"][:40] for c in CASES])
def test_case(case: dict[str, Any]) -> None:
    text = case["text"]
    figures = extract_figures(text, case.get("lang"))
    for fig in figures:
        assert text[fig.start : fig.end] == fig.text
        assert fig.sentence is not None and fig.sentence_start is not None
        assert text[fig.sentence_start : fig.sentence_start + len(fig.sentence)] == fig.sentence
    if case.get("complete", True):
        assert [f.text for f in figures] == [w["text"] for w in case["figures"]]
        for fig, want in zip(figures, case["figures"], strict=True):
            _check(fig, _keyed(want, figures))
    else:
        by_text = {f.text: f for f in figures}
        for want in case["figures"]:
            assert want["text"] in by_text, want["text"]
            _check(by_text[want["text"]], want)


def test_cases_cover_every_kind_and_both_languages() -> None:
    kinds = {w["kind"] for c in CASES for w in c["figures"]}
    assert kinds >= {
        "money", "percent", "percentage_points", "count", "area", "weight", "volume", "energy",
        "capacity", "rank",
    }  # fmt: skip
    assert len(CASES) >= 150
    assert {c["lang"] for c in CASES} == {"en", "zh"}
    assert sum(1 for c in CASES if not c["figures"]) >= 30  # negatives


@pytest.mark.parametrize("name", [k for k in GOLD if not k.startswith("_")])
def test_seed_gold_core_figures(name: str) -> None:
    """Every core figure of the hand-labelled seeds is found with its value and currency/unit."""
    text = (GOLD_PATH.parent / name).read_text(encoding="utf-8")
    figures = extract_figures(text, "en")
    for gold in GOLD[name]["figures"]:
        if not gold.get("core"):
            continue
        hits = [f for f in figures if f.start < gold["end"] and gold["start"] < f.end]
        assert hits, gold["surface"]
        fig = hits[0]
        assert math.isclose(fig.normalized or 0, gold["normalized_value"], rel_tol=5e-3)
        if gold["kind"] == "money":
            assert fig.currency == gold["currency"]
        elif gold["kind"] == "count":
            assert fig.counted and fig.counted.split()[-1] == gold["unit"].split()[-1]
        else:
            assert fig.normalized_unit == gold["unit"]
    for trap in GOLD[name].get("non_figures", []):
        for surface in trap["surface"].split(" / "):
            at = text.find(surface)
            if at >= 0:
                assert not [f for f in figures if f.start < at + len(surface) and at < f.end], (
                    surface
                )


def test_seed_conversion_is_linked() -> None:
    name = next(k for k in GOLD if not k.startswith("_") and "4.65" in json.dumps(GOLD[k]))
    figures = extract_figures((GOLD_PATH.parent / name).read_text(encoding="utf-8"))
    usd = next(f for f in figures if f.text == "$4.65 billion")
    assert usd.equivalent_of is not None
    assert {f.key: f for f in figures}[usd.equivalent_of].text == "30 billion yuan"
    assert usd.bound == ">"  # inherited from "more than 30 billion yuan"


def test_eval_script_check_passes() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench/figures_eval.py"), "--check", "--repeat", "1"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    assert "check: passed" in out.stdout


def test_offsets_hold_for_traditional_chinese() -> None:
    text = "總投資156.8億元，項目共66個。"
    figures = extract_figures(text, "zh")
    assert [f.text for f in figures] == ["156.8億元", "66個"]
    assert figures[0].normalized == pytest.approx(1.568e10)
    assert all(text[f.start : f.end] == f.text for f in figures)


@pytest.mark.parametrize(
    ("token", "value"),
    [("三", 3), ("十", 10), ("二十", 20), ("十五", 15), ("一千二百", 1200), ("两百", 200)],
)
def test_zh_numeral(token: str, value: int) -> None:
    assert zh_numeral(token) == value


def test_zh_numeral_rejects_malformed() -> None:
    assert zh_numeral("三三") is None


def test_sentences_keep_abbreviations() -> None:
    text = "SUZHOU, Jan. 7, 2022 -- Output rose. It hit 4 trillion yuan in the U.S. market!"
    spans = sentences(text)
    assert [text[s:e] for s, e in spans] == [
        "SUZHOU, Jan. 7, 2022 -- Output rose.",
        "It hit 4 trillion yuan in the U.S. market!",
    ]


def test_empty_and_figureless_text() -> None:
    assert extract_figures("") == []
    assert extract_figures("No numbers here.") == []


def test_the_chain_step_sets_figures_and_counts_stats() -> None:
    class Stats:
        def __init__(self) -> None:
            self.values: dict[str, int] = {}

        def inc_value(self, key: str, count: int = 1) -> None:
            self.values[key] = self.values.get(key, 0) + count

    stats = Stats()
    article = Article(
        url="https://example.com/a", canonical_url="https://example.com/a", title="t",
        body="Deals worth 30 billion yuan ($4.65 billion) were signed.", lang="en",
    )  # fmt: skip
    add_figures(article, ArticleText(article.body, article.lang), ChainContext(stats=stats))
    assert [f.text for f in article.figures] == ["30 billion yuan", "$4.65 billion"]
    assert stats.values == {"yrd/figures": 2, "yrd/figures/articles": 1}


def test_figure_to_dict_has_the_documented_keys() -> None:
    fig = extract_figures("Investment reached 5 billion yuan.")[0]
    keys = set(fig.to_dict())
    assert keys >= {
        "text", "start", "end", "kind", "value", "scale", "normalized", "currency", "unit",
        "qualifier", "metric", "counted", "change", "period", "subject", "equivalent_of",
    }  # fmt: skip


_PIECES = st.sampled_from(
    [
        "1", "0", "30", "3.48", "1,100", ",", ".", " ", "-", "(", ")", "$", "US$", "RMB", "¥",
        "billion", "million", "yuan", "percent", "%", "亿", "万", "元", "个", "家", "多", "余",
        "逾", "近", "约", "第", "三", "十", "more than", "nearly", "up", "增长", "In 2020",
        "square kilometers", "平方公里", "亩", "companies", "projects", "\n", "。", "Fortune",
        "5G", "May 12", "0512-66681234", "an increase of", "from", "to", "have", "the",
    ]
)  # fmt: skip


@settings(max_examples=200, deadline=1000)
@given(st.one_of(st.text(max_size=400), st.lists(_PIECES, max_size=120).map("".join)))
def test_never_raises_and_offsets_are_consistent(text: str) -> None:
    figures = extract_figures(text)
    earlier: set[str] = set()
    for fig in figures:
        assert 0 <= fig.start < fig.end <= len(text)
        assert text[fig.start : fig.end] == fig.text
        assert fig.equivalent_of is None or fig.equivalent_of in earlier
        earlier.add(fig.key)


@settings(max_examples=20, deadline=1000)
@given(st.sampled_from(["1" * 5000, "亿" * 5000, "1," * 3000, "$ " * 3000, "more than " * 800]))
def test_long_pathological_inputs_stay_fast(text: str) -> None:
    extract_figures(text)
