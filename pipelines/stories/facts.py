"""Facts: the figures of one story, each counted once however many copies repeat it.

Rules (docs/stories.md quotes them):
- A currency conversion ("$4.65 billion" after "30 billion yuan", `equivalent_of`) belongs to
  the fact of the figure it converts.
- A figure marked as restating an earlier one of its article (`restates`) belongs to that
  figure's fact.
- Otherwise a figure joins the first fact of its story with the same kind, the same unit (for
  counts, the same counted noun), a value within `VALUE_TOLERANCE` and no conflicting metric or
  year (a figure without a metric or year conflicts with none): "RMB84.8bln" in a headline and
  "84.76 billion yuan" in the body are one fact, "grew 9.3 %" for two different metrics are
  two.
Figures are taken in the order of their articles (earliest published first) and of their
position, so the first report of a fact is the earliest.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Relative difference under which two values are one figure, rounded differently.
VALUE_TOLERANCE = 0.005


@dataclass(frozen=True)
class FigureRef:
    """The part of a stored figure that facts compare."""

    article_id: int
    key: str  # Figure.key
    kind: str
    value: float | None
    unit: str | None
    currency: str | None = None
    metric: str | None = None
    year: int | None = None
    counted: str | None = None
    equivalent_of: str | None = None  # the key of the figure it converts
    restates: str | None = None  # the key of the earlier figure it repeats
    text: str = ""
    sentence: str | None = None
    start: int = 0


@dataclass
class FactGroup:
    """A fact being assembled: its first figure and every figure with its role."""

    first: FigureRef
    metric: str | None
    year: int | None
    members: list[tuple[FigureRef, str]] = field(default_factory=list)
    # The reporting articles in joining order, kept as members join: asking whether an article
    # is one is then constant time (a story of 2,000 copies took 15 s when it was a list scan).
    _articles: dict[int, None] = field(default_factory=dict, repr=False)

    @property
    def articles(self) -> list[int]:
        return list(self._articles)

    def reports(self, article_id: int) -> bool:
        return article_id in self._articles

    def add(self, ref: FigureRef, role: str) -> None:
        self.members.append((ref, role))
        self._articles.setdefault(ref.article_id)


def _head(noun: str | None) -> str | None:
    return noun.split()[-1].casefold() if noun else None


def same_value(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) <= VALUE_TOLERANCE * max(abs(a), abs(b))


def _agrees(mine: object, theirs: object) -> bool:
    return mine is None or theirs is None or mine == theirs


def _fits(group: FactGroup, ref: FigureRef) -> bool:
    first = group.first
    return (
        first.kind == ref.kind
        and first.unit == ref.unit
        and (ref.kind != "count" or _head(first.counted) == _head(ref.counted))
        and same_value(first.value, ref.value)
        and _agrees(group.metric, ref.metric)
        and _agrees(group.year, ref.year)
    )


def group_facts(figures: list[FigureRef]) -> list[FactGroup]:
    """Group a story's figures (in article order, then text order) into facts."""
    groups: list[FactGroup] = []
    owner: dict[tuple[int, str], FactGroup] = {}
    for ref in figures:
        target = None
        if ref.equivalent_of is not None:
            target = owner.get((ref.article_id, ref.equivalent_of))
            role = "conversion"
        elif ref.restates is not None:
            target = owner.get((ref.article_id, ref.restates))
            role = "restatement"
        if target is None:
            target = next((g for g in groups if _fits(g, ref)), None)
        if target is None:
            target = FactGroup(first=ref, metric=ref.metric, year=ref.year)
            groups.append(target)
        if ref.equivalent_of is None:
            role = "restatement" if target.reports(ref.article_id) else "report"
            target.metric = target.metric or ref.metric
            target.year = target.year or ref.year
        target.add(ref, role)
        owner[(ref.article_id, ref.key)] = target
    return groups
