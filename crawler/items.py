"""The schema of everything yrd-news stores: one dataclass per kind of row.

Spiders yield `Article`; pipelines fill `figures` and `mentions` on it; the store
pipeline writes the article and everything hanging off it in one transaction.
Offsets (`start`, `end`) are Python string indices into `Article.body`.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any


def article_id(canonical_url: str) -> int:
    """Stable integer id from the canonical URL.

    52 bits, so the id survives JSON/JavaScript (2**53) and doubles as SQLite's rowid,
    which lets the full-text table share the article's id.
    """
    digest = hashlib.sha256(canonical_url.encode("utf-8")).hexdigest()
    return int(digest[:13], 16)


@dataclass
class WarcRef:
    """Where the raw HTTP response behind an article lives."""

    filename: str
    record_id: str
    offset: int | None = None


@dataclass
class Figure:
    """A number in an article with what it measures; fields documented in docs/figures.md."""

    text: str
    start: int
    end: int
    kind: str  # money | percent | percentage_points | count | area | weight | volume | energy | capacity | rank
    value: float
    scale: str | None = None  # the scale word as written: "billion", "万", "亿"
    normalized: float | None = None  # value in base units (currency units, km2, %, items)
    currency: str | None = None  # ISO 4217
    unit: str | None = None
    qualifier: str | None = None  # as written: "more than", "近"
    bound: str | None = None  # what the qualifier means: ">", ">=", "<", "<=", "~"
    metric: str | None = None
    counted: str | None = None
    change: str | None = None  # the growth/decline words as written: "surging", "同比增长"
    direction: str | None = None  # increase | decrease, when `change` is set
    period: str | None = None  # as written: "In 2020", "first half of 2023", "1-5月"
    year: int | None = None  # the year stated in `period`
    subject: str | None = None
    equivalent_of: int | None = None  # index into the same article's figure list
    normalized_unit: str | None = None  # of `normalized`: ISO code, km2, %, pp, t, m3, kWh, kW
    currency_implied: bool = False  # "4 trillion" after "4 trillion yuan": currency from context
    sentence: str | None = None
    sentence_start: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Entity:
    """A normalised thing mentioned in articles: person, organization, place or industry."""

    type: str  # person | organization | place | industry
    name: str  # canonical name
    subtype: str | None = None  # company, government, party, park, university, province, city, ...
    code: str | None = None  # GB/T 2260 for Chinese divisions, park ids for zones
    name_zh: str | None = None
    parent_code: str | None = None
    province: str | None = None  # for Chinese places and the bodies located in them
    city: str | None = None  # prefecture-level city (or municipality)
    latitude: float | None = None
    longitude: float | None = None

    @property
    def id(self) -> str:
        """Stable key: the official code where one exists, else type and folded name."""
        if self.code:
            return f"{self.type}:{self.code}"
        return f"{self.type}:{' '.join(self.name.casefold().split())}"


@dataclass
class Mention:
    """One occurrence of an entity in an article's body."""

    entity: Entity
    text: str
    start: int
    end: int
    title: str | None = None  # for people: the title stated in this mention
    roles: list[dict[str, str]] = field(
        default_factory=list
    )  # [{"role": ..., "organization": ...}]
    sentence: str | None = None
    sentence_start: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """The flat shape `yrdnews extract` prints."""
        return {
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "type": self.entity.type,
            "subtype": self.entity.subtype,
            "name": self.entity.name,
            "title": self.title,
            "roles": self.roles,
            "code": self.entity.code,
            "province": self.entity.province,
            "city": self.entity.city,
        }


@dataclass
class Article:
    """A cleaned news article or announcement, as the page object extracts it."""

    url: str
    canonical_url: str
    title: str | None
    body: str
    source_id: str | None = None
    published_at: str | None = None  # ISO 8601 with offset
    updated_at: str | None = None
    author: str | None = None
    dateline: str | None = None
    lang: str | None = None
    section: str | None = None
    description: str | None = None
    site_name: str | None = None
    encoding: str | None = None  # how the bytes were decoded
    fetched_at: str | None = None
    http_status: int | None = None
    warc: WarcRef | None = None
    figures: list[Figure] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)

    @property
    def id(self) -> int:
        return article_id(self.canonical_url)
