"""How much an article is about manufacturing, industry and investment in the Yangtze River
Delta: a score in [0, 1] with the reasons behind it (docs/stories.md quotes these rules).

    score = region x topic

region (capped at 1):
- +1.0 a place in the region (Jiangsu, Zhejiang, Shanghai, Anhui, or the Delta itself, by
  its gazetteer code) in the dateline or the lead (the first `LEAD_CHARS` characters), or
  mentioned at least `MANY_MENTIONS` times; +0.5 when mentioned less often;
- +0.5 the registry source covers a part of the region (a source without a keyword filter);
- +0.5 a registry keyword of the source is in the text; -0.5 when the source has keywords
  and none is there (the filter that used to drop such articles is now this reason).
topic (capped at 1): +`TERM_WEIGHT` per topic term found (pipelines/relevance/terms.py),
+`TERM_WEIGHT` per industry the entity extractor found, at most `MAX_INDUSTRIES` of them.

An article is relevant when its score reaches the threshold (`YRD_RELEVANCE_THRESHOLD`,
default `DEFAULT_THRESHOLD`). Articles below it are stored all the same, flagged.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from functools import cache
from typing import Any

from crawler.chinese import to_simplified
from crawler.items import Article, Entity
from crawler.sources import Source
from crawler.text import ArticleText
from pipelines.relevance.terms import CHINESE_TERMS, ENGLISH_TERMS

DEFAULT_THRESHOLD = 0.5
REGION_PROVINCES = ("Jiangsu", "Zhejiang", "Shanghai", "Anhui")
REGION_CODES = ("yangtze-river-delta", "southern-jiangsu", "central-jiangsu", "northern-jiangsu")
LEAD_CHARS = 300
MANY_MENTIONS = 3
TERM_WEIGHT = 0.25
MAX_INDUSTRIES = 2


@dataclass(frozen=True)
class Reason:
    """One piece of evidence and what it added to the region or topic part."""

    part: str  # region | topic
    reason: str  # region_lead | region_places | region_source | registry_keyword | no_registry_keyword | topic_term | industry
    weight: float
    evidence: str


@dataclass(frozen=True)
class Relevance:
    score: float
    region: float
    topic: float
    reasons: tuple[Reason, ...]

    def reasons_json(self) -> list[dict[str, Any]]:
        return [asdict(r) for r in self.reasons]


def in_region(entity: Entity) -> bool:
    return entity.type == "place" and (
        entity.province in REGION_PROVINCES or entity.code in REGION_CODES
    )


@cache
def _english_patterns() -> dict[str, re.Pattern[str]]:
    return {name: re.compile(rf"\b(?:{p})\b", re.I) for name, p in ENGLISH_TERMS.items()}


def topic_terms(text: str, folded: str | None = None) -> dict[str, str]:
    """Topic term -> the first word that matched it, in English or Chinese (`folded`: the
    text with Traditional characters folded to Simplified, when already at hand)."""
    found: dict[str, str] = {}
    for name, pattern in _english_patterns().items():
        match = pattern.search(text)
        if match:
            found[name] = match.group(0)
    folded = folded if folded is not None else to_simplified(text)
    for name, words in CHINESE_TERMS.items():
        hit = next((w for w in words if w in folded), None)
        if hit and name not in found:
            found[name] = hit
    return found


def _region(article: Article, source: Source | None) -> list[Reason]:
    places = [m for m in article.mentions if in_region(m.entity)]
    reasons = []
    names = sorted({m.entity.name for m in places})
    dateline = (article.dateline or "").casefold()
    lead = [m for m in places if m.start < LEAD_CHARS] or [
        m for m in places if m.text.casefold() in dateline
    ]
    if lead:
        reasons.append(Reason("region", "region_lead", 1.0, lead[0].entity.name))
    elif len(places) >= MANY_MENTIONS:
        reasons.append(Reason("region", "region_places", 1.0, ", ".join(names)))
    elif places:
        reasons.append(Reason("region", "region_places", 0.5, ", ".join(names)))
    if source is not None:
        if not source.keywords:
            reasons.append(Reason("region", "region_source", 0.5, f"{source.id}: {source.region}"))
        else:
            keyword = registry_keyword(article, source.keywords)
            if keyword:
                reasons.append(Reason("region", "registry_keyword", 0.5, keyword))
            else:
                reasons.append(Reason("region", "no_registry_keyword", -0.5, source.id))
    return reasons


def registry_keyword(article: Article, keywords: tuple[str, ...]) -> str | None:
    """The first of a source's keywords in the title or body (any case), if any."""
    text = f"{article.title or ''}\n{article.body or ''}".casefold()
    return next((k for k in keywords if k.casefold() in text), None)


def _topic(article: Article, text: ArticleText) -> list[Reason]:
    title = article.title or ""
    terms = topic_terms(f"{title}\n{article.body}", f"{to_simplified(title)}\n{text.simplified}")
    reasons = [
        Reason("topic", "topic_term", TERM_WEIGHT, f"{name}: {word}")
        for name, word in terms.items()
    ]
    industries = sorted({m.entity.name for m in article.mentions if m.entity.type == "industry"})
    reasons += [
        Reason("topic", "industry", TERM_WEIGHT, name) for name in industries[:MAX_INDUSTRIES]
    ]
    return reasons


def _part(reasons: list[Reason]) -> float:
    return max(0.0, min(1.0, sum(r.weight for r in reasons)))


def score_relevance(
    article: Article, source: Source | None = None, text: ArticleText | None = None
) -> Relevance:
    """The article's relevance, from its text, places, industries and registry source
    (`text`: the body's shared analysis, when the processing chain has one)."""
    text = text or ArticleText(article.body, article.lang, article.published_at)
    region_reasons, topic_reasons = _region(article, source), _topic(article, text)
    region, topic = _part(region_reasons), _part(topic_reasons)
    return Relevance(
        score=round(region * topic, 3),
        region=region,
        topic=topic,
        reasons=tuple(region_reasons + topic_reasons),
    )
