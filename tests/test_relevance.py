"""Relevance: the score, its reasons as stored and shown, the threshold, the keyword filter as
an input (pipelines/relevance). Texts are the corpus's real ones unless said otherwise."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from crawler.cli import cli
from crawler.items import Article, Entity, Mention
from crawler.sources import load_sources
from fixtures.texts import article_records
from pipelines.chain import ChainContext, run_chain
from pipelines.relevance import score_relevance
from pipelines.relevance.score import topic_terms

CORPUS = article_records()
SOURCES = {source.id: source for source in load_sources()}


def scored(key: str, source_id: str = "other", threshold: float = 0.5) -> Article:
    record = CORPUS[key]
    article = Article(url=record["url"], canonical_url=record["url"], title=record["title"],
                      body=record["text"], lang=record["language"], source_id=source_id)  # fmt: skip
    return run_chain(article, ChainContext(sources=SOURCES, relevance_threshold=threshold))


def reasons(article: Article) -> set[str]:
    return {r["reason"] for r in article.relevance_reasons}


def test_an_investment_report_from_the_region_is_relevant_with_its_reasons() -> None:
    article = scored("snd-125-key-projects-2020", "chinadaily_snd")
    assert article.relevant is True and article.relevance == 1.0
    assert {"region_lead", "region_source", "topic_term"} <= reasons(article)
    evidence = {r["evidence"] for r in article.relevance_reasons}
    assert "investment: investment" in evidence


def test_an_off_topic_report_from_the_region_is_kept_but_flagged() -> None:
    article = scored("sipac-jinji-lake-half-marathon-2021", "sipac_en")
    assert article.relevant is False and article.relevance < 0.5
    # it is in the region (a Suzhou source, Suzhou places), just not about industry
    assert {"region_places", "region_source"} <= reasons(article)
    assert sum(r["weight"] for r in article.relevance_reasons if r["part"] == "topic") < 0.5


def test_the_registry_keyword_filter_is_an_input_not_a_drop() -> None:
    ningbo = scored("ningbo-gov-manufacturing-70-years", "chinadaily_china")
    assert {"part": "region", "reason": "registry_keyword", "weight": 0.5,
            "evidence": "Ningbo"} in ningbo.relevance_reasons  # fmt: skip
    composed = Article(  # composed here: a national outlet's article from outside the region
        url="https://example.org/x",
        canonical_url="https://example.org/x",
        title="Factory opens",
        body="A car factory opened in Chongqing with a new investment. " * 3,
        source_id="chinadaily_china",
    )
    run_chain(composed, ChainContext(sources=SOURCES))
    assert "no_registry_keyword" in reasons(composed)
    assert composed.relevance == 0.0 and composed.relevant is False


def test_the_threshold_is_configurable() -> None:
    strict = scored("people-jiangsu-q1-gdp-2024", threshold=1.01)
    assert (
        strict.relevant is False
        and strict.relevance == scored("people-jiangsu-q1-gdp-2024").relevance
    )


def test_places_outside_the_region_do_not_count() -> None:
    chongqing = Entity(type="place", name="Chongqing", code="500000", province="Chongqing")
    body = "Chongqing signed 40 investment projects for its manufacturing industry. " * 3
    article = Article(
        url="u",
        canonical_url="u",
        title=None,
        body=body,
        mentions=[Mention(chongqing, "Chongqing", 0, 9)],
    )  # composed here
    relevance = score_relevance(article)
    assert relevance.region == 0.0 and relevance.topic == 1.0 and relevance.score == 0.0


def test_topic_terms_in_both_languages() -> None:
    assert set(topic_terms("蘇州工業園區新能源汽車項目簽約")) == {
        "industrial", "technology sectors", "projects", "signing", "zones"
    }  # fmt: skip
    assert topic_terms("The garden's plants bloom; tourists visit.") == {}


def test_extract_shows_the_relevance_and_its_reasons(tmp_path: Path) -> None:
    text = tmp_path / "text.txt"
    text.write_text(CORPUS["sip-85-projects-ahtit"]["text"], encoding="utf-8")
    result = CliRunner().invoke(cli, ["extract", "--text", str(text)])
    assert result.exit_code == 0, result.output
    relevance = json.loads(result.output)["relevance"]
    assert relevance["relevant"] is True and relevance["score"] == 1.0
    assert {r["reason"] for r in relevance["reasons"]} >= {"region_lead", "topic_term"}
