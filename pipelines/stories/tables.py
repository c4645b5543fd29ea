"""The rows stories, facts and links are stored as: one dataclass per table.

The tables are created from these dataclasses (`ensure_tables`), so each column is written
once. Rows point at articles and figures by id and are rebuilt, never edited, when an article
changes, so they carry no foreign keys that would stop the article store from replacing a row.
"""

from __future__ import annotations

import types
import typing
from dataclasses import asdict, dataclass, fields
from typing import Any

from sqlite_utils import Database


@dataclass
class ArticleFingerprint:
    """What clustering keeps of an article, so a later run only looks at new articles."""

    article_id: int
    content_hash: str | None  # the article's when it was clustered: a change reclusters it
    fingerprint: str  # hash of the normalised token sequence (exact duplicates)
    tokens: int
    signature: bytes  # MinHash of the shingles (datasketch LeanMinHash, serialised)


@dataclass
class Story:
    """Articles that are copies of one text: the original and its republications."""

    id: int  # the id of the article that started the story
    original_article_id: int  # the earliest published copy
    title: str | None
    lang: str | None
    first_published_at: str | None
    last_published_at: str | None
    articles: int
    outlets: int
    facts: int


@dataclass
class StoryArticle:
    """One copy of a story, with how it was matched and how long after the original it ran."""

    article_id: int
    story_id: int
    outlet: str  # the registry source, or the site's host for pages from outside the registry
    role: str  # original | copy
    matched_article_id: int | None  # the copy it was found to repeat
    match: str | None  # exact (same normalised text) | near (shingles and figures agree)
    containment: float | None
    figure_agreement: float | None
    lag_seconds: int | None  # publication time after the original's


@dataclass
class Fact:
    """One figure of a story, however many of its copies report it and however often."""

    id: int
    story_id: int
    kind: str
    value: float | None  # normalised, in `unit`
    unit: str | None
    currency: str | None
    metric: str | None
    year: int | None
    text: str  # as first reported
    sentence: str | None
    outlets: int
    articles: int
    mentions: int
    first_article_id: int
    first_outlet: str
    first_published_at: str | None


@dataclass
class FactFigure:
    """A figure row and the fact it stands for."""

    article_id: int
    figure_idx: int
    fact_id: int
    role: str  # report | restatement (again in the same article) | conversion (equivalent_of)


@dataclass
class StoryLink:
    """An English and a Chinese story that report one event, with the evidence."""

    en_story_id: int
    zh_story_id: int
    shared_facts: int
    shared_places: int
    days_apart: float | None
    evidence: str  # JSON: the matched facts (both texts) and places


_SQL_TYPES = {int: int, str: str, float: float, bytes: bytes}
TABLES: dict[str, tuple[type, tuple[str, ...]]] = {
    "article_fingerprints": (ArticleFingerprint, ("article_id",)),
    "stories": (Story, ("id",)),
    "story_articles": (StoryArticle, ("article_id",)),
    "facts": (Fact, ("id",)),
    "fact_figures": (FactFigure, ("article_id", "figure_idx")),
    "story_links": (StoryLink, ("en_story_id", "zh_story_id")),
}
INDEXES = {
    "article_fingerprints": [["fingerprint"]],
    "story_articles": [["story_id"]],
    "facts": [["story_id"], ["kind", "unit", "value"]],
    "fact_figures": [["fact_id"]],
    "story_links": [["zh_story_id"]],
}


def _column_type(hint: Any) -> type:
    if isinstance(hint, types.UnionType):
        hint = next(arg for arg in typing.get_args(hint) if arg is not type(None))
    return _SQL_TYPES[hint]


def ensure_tables(db: Database) -> None:
    """Create the story tables (and their indexes) that do not exist yet."""
    for name, (row_type, pk) in TABLES.items():
        if db[name].exists():
            continue
        hints = typing.get_type_hints(row_type)
        columns = {f.name: _column_type(hints[f.name]) for f in fields(row_type)}
        db[name].create(columns, pk=pk if len(pk) > 1 else pk[0])
        for index in INDEXES.get(name, []):
            db[name].create_index(index)


def row(record: Any) -> dict[str, Any]:
    return asdict(record)
