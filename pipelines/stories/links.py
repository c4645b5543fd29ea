"""Cross-lingual links: an English and a Chinese story that report the same event.

Translations share no shingles, but they share their numbers and their places. A link needs
(docs/stories.md quotes these rules):
- at least `MIN_SHARED_FACTS` distinctive facts in common: the same kind, unit and value
  (within the facts' rounding tolerance) and no conflicting year. A fact is distinctive when
  it is an amount of money or its value has at least three significant digits (142 projects,
  15.2 %, 1,006 firms): round numbers such as 30 projects or 5 % recur in unrelated reports;
- when either story has no date, evidence worth at least `MIN_POINTS_UNDATED` points: a
  shared fact is worth 1, plus 1 when it is a precise amount of money (three significant
  digits or more: 91.6 billion yuan), plus 1 when both sides give it the same metric ("GDP");
- at least one coded place in common (the same GB/T 2260 code or park id);
- publication dates at most `MAX_DAYS_APART` days apart, when both are known.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pipelines.stories.facts import same_value

MIN_SHARED_FACTS = 2
MIN_POINTS_UNDATED = 3
MAX_DAYS_APART = 7.0


@dataclass(frozen=True)
class FactKey:
    """A fact as links compare it."""

    fact_id: int
    kind: str
    value: float | None
    unit: str | None
    text: str
    metric: str | None = None
    year: int | None = None


@dataclass(frozen=True)
class StorySide:
    """What one story brings to a comparison."""

    story_id: int
    published: datetime | None
    facts: tuple[FactKey, ...]
    places: dict[str, str]  # code -> name


@dataclass
class Evidence:
    facts: list[tuple[FactKey, FactKey]]
    places: dict[str, str]
    days_apart: float | None


def significant_digits(value: float) -> int:
    digits = f"{abs(value):.6g}".replace(".", "").lstrip("0")
    if "e" in digits:
        digits = digits.split("e")[0]
    return len(digits.rstrip("0")) or 1


def distinctive(fact: FactKey) -> bool:
    """Money, or a value precise enough (three significant digits) to identify an event."""
    if fact.value is None or fact.value == 0:
        return False
    return fact.kind == "money" or significant_digits(fact.value) >= 3


def points(en: FactKey, zh: FactKey) -> int:
    """What a shared fact is worth as evidence: more when it is a precise amount of money or
    both reports say what it measures alike."""
    precise = en.kind == "money" and en.value is not None and significant_digits(en.value) >= 3
    return 1 + precise + (en.metric is not None and en.metric == zh.metric)


def shared_facts(en: StorySide, zh: StorySide) -> list[tuple[FactKey, FactKey]]:
    """Pairs of distinctive facts with the same kind, unit and value, each fact used once."""
    pairs, used = [], set()
    for a in en.facts:
        if not distinctive(a):
            continue
        for b in zh.facts:
            if b.fact_id in used or (b.kind, b.unit) != (a.kind, a.unit):
                continue
            if a.year is not None and b.year is not None and a.year != b.year:
                continue
            if same_value(a.value, b.value):
                pairs.append((a, b))
                used.add(b.fact_id)
                break
    return pairs


def days_apart(a: datetime | None, b: datetime | None) -> float | None:
    if a is None or b is None:
        return None
    return round(abs((a - b).total_seconds()) / 86400, 2)


def link_evidence(en: StorySide, zh: StorySide) -> Evidence | None:
    """The evidence that two stories report one event, or None when it is not enough."""
    places = {code: name for code, name in en.places.items() if code in zh.places}
    if not places:
        return None
    gap = days_apart(en.published, zh.published)
    if gap is not None and gap > MAX_DAYS_APART:
        return None
    facts = shared_facts(en, zh)
    if len(facts) < MIN_SHARED_FACTS:
        return None
    if gap is None and sum(points(a, b) for a, b in facts) < MIN_POINTS_UNDATED:
        return None
    return Evidence(facts=facts, places=places, days_apart=gap)
