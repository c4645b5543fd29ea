"""The schema of everything yrd-news stores, declared once.

Spiders yield `Article`; pipelines fill `figures` and `mentions` on it; the store writes the
article and everything hanging off it in one transaction. The dataclasses are the fields; the
`Table` declarations at the end say how each is stored in SQLite (which columns, in which order,
which values are computed when a row is written). The migrations (crawler/db.py), the row
builders (crawler/storage.py), `yrdnews export` and the JSON forms (`to_dict`/`from_dict`, the
shape `yrdnews extract` prints and a worker hands to the writer) all read them.

Offsets (`start`, `end`) are Python string indices into `Article.body`.
"""

from __future__ import annotations

import hashlib
import json
import types
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, fields
from functools import cache, cached_property, lru_cache
from operator import attrgetter
from typing import Any, Union, get_args, get_origin, get_type_hints

from crawler.urls import url_key


def article_id(canonical_url: str) -> int:
    """Stable integer id from the canonical URL.

    52 bits, so the id survives JSON/JavaScript (2**53) and doubles as SQLite's rowid,
    which lets the full-text table share the article's id.
    """
    digest = hashlib.sha256(canonical_url.encode("utf-8")).hexdigest()
    return int(digest[:13], 16)


@lru_cache(maxsize=4096)
def _id_of_url(canonical_url: str) -> int:
    """`Article.id`, remembered: storing one article asks for its id once per row it writes."""
    return article_id(url_key(canonical_url))


@cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


def _values(item: Any, skip: str | None = None) -> dict[str, Any]:
    """A dataclass's fields by name, not copied (unlike `asdict`): for JSON, which only reads."""
    return {name: getattr(item, name) for name in _field_names(type(item)) if name != skip}


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
    equivalent_of: str | None = None  # `key` of the figure (same article) this one converts
    normalized_unit: str | None = None  # of `normalized`: ISO code, km2, %, pp, t, m3, kWh, kW
    currency_implied: bool = False  # "4 trillion" after "4 trillion yuan": currency from context
    sentence: str | None = None
    sentence_start: int | None = None
    year_source: str | None = None  # "stated", or "article_date": 今年, last year, 1-8月
    restates: str | None = None  # `key` of the earlier figure this one repeats ("4 trillion")

    @property
    def key(self) -> str:
        """Unique within its article (no two figures start at the same offset) and the same
        when a re-extraction lists the figures in another order: `equivalent_of` points at it."""
        return f"{self.kind}@{self.start}"

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: `key`, then every field."""
        return {"key": self.key, **_values(self)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Figure:
        return cls(**_init_args(cls, data, derived={"key"}))


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

    def to_dict(self) -> dict[str, Any]:
        return _values(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Entity:
        return cls(**_init_args(cls, data))


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
        """The flat JSON form `yrdnews extract` prints: the mention's fields, `entity_id`,
        then every field of its entity (so nothing of the entity is lost)."""
        return {
            **_values(self, skip="entity"),
            "entity_id": self.entity.id,
            **self.entity.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Mention:
        entity_keys = {f.name for f in fields(Entity)}
        own = {k: v for k, v in data.items() if k not in entity_keys}
        entity = Entity.from_dict({k: v for k, v in data.items() if k in entity_keys})
        return cls(entity=entity, **_init_args(cls, own, derived={"entity_id"}))


_shared = {f.name for f in fields(Mention)} & {f.name for f in fields(Entity)}
if _shared:  # the flat form could not tell them apart
    raise TypeError(f"Mention and Entity both have the field(s) {sorted(_shared)}")


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
    # How much the article is about the project's subject (pipelines/relevance, docs/stories.md):
    relevance: float | None = None  # region x topic, in [0, 1]
    relevant: bool | None = None  # relevance reached YRD_RELEVANCE_THRESHOLD when scored
    relevance_reasons: list[dict[str, Any]] = field(default_factory=list)

    @property
    def id(self) -> int:
        """From the canonical URL's identity (crawler/urls.py `url_key`), so the http and
        https, www and mobile addresses of one page are one article."""
        return _id_of_url(self.canonical_url)

    def to_dict(self) -> dict[str, Any]:
        """Every field as JSON values, lossless (`from_dict` rebuilds an equal article), plus
        the derived `id`: the form a worker hands to the single writer."""
        data = {"id": self.id, **_values(self)}
        data["warc"] = asdict(self.warc) if self.warc else None
        data["figures"] = [figure.to_dict() for figure in self.figures]
        data["mentions"] = [mention.to_dict() for mention in self.mentions]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Article:
        args = _init_args(cls, data, derived={"id"})
        args["warc"] = WarcRef(**args["warc"]) if args.get("warc") else None
        args["figures"] = [Figure.from_dict(f) for f in args.get("figures", ())]
        args["mentions"] = [Mention.from_dict(m) for m in args.get("mentions", ())]
        return cls(**args)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str | bytes) -> Article:
        return cls.from_dict(json.loads(text))


def _init_args(
    cls: type, data: Mapping[str, Any], derived: frozenset[str] | set[str] = frozenset()
) -> dict[str, Any]:
    """The constructor arguments in a JSON object; derived keys (ids, keys) are skipped, and an
    unknown key is an error, so a newer writer's field is never dropped silently."""
    names = {f.name for f in fields(cls)}
    unknown = set(data) - names - derived
    if unknown:
        raise ValueError(f"{cls.__name__}: unknown field(s) {', '.join(sorted(unknown))}")
    return {k: v for k, v in data.items() if k in names}


# --- Stories, facts and links (pipelines/stories, docs/stories.md) ---------------------------
# Rebuilt from the articles and figures by `update_stories`, never edited, so they point at
# articles and figures by id without foreign keys that would stop the store replacing a row.


@dataclass
class ArticleFingerprint:
    """What clustering keeps of an article, so a later run only looks at new articles."""

    article_id: int
    content_hash: str | None  # the article's when it was clustered: a change reclusters it
    fingerprint: str  # hash of the normalised token sequence: equal for exact duplicates
    tokens: int
    signature: bytes  # MinHash of the shingles (a serialised datasketch LeanMinHash)


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
    """One copy of a story, how it was matched and how long after the original it ran."""

    article_id: int
    story_id: int
    outlet: str  # the registry source, or the site's host for pages from outside the registry
    role: str  # original | copy
    matched_article_id: int | None  # the copy it was found to repeat
    match: str | None  # exact (same normalised text) | near (shingles and figures agree)
    containment: float | None
    figure_agreement: float | None
    lag_seconds: int | None  # published this long after the original


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
    """A stored figure and the fact it stands for."""

    article_id: int
    figure_key: str  # `Figure.key`
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


# --- How each dataclass is stored ------------------------------------------------------------

Compute = Callable[[Any, Mapping[str, Any]], Any]


def _same(value: Any) -> Any:
    return value


@dataclass(frozen=True)
class Column:
    """One SQLite column: a dataclass field, or a value computed when the row is written."""

    name: str
    type: type  # str, int or float: what SQLite stores (a bool as int, a list as JSON text)
    get: Compute  # (item, what the writer passes) -> the stored value
    field: str | None = None  # the dataclass field it stores; None when computed
    load: Callable[[Any], Any] = _same  # stored value -> field value
    exported: bool = True  # in `yrdnews export` (bookkeeping columns are not)
    as_is: bool = False  # the field's value itself (no JSON, nothing computed)


@dataclass(frozen=True)
class Table:
    """How one dataclass is stored: its SQLite table's columns, in order, and primary key."""

    name: str
    item: type
    columns: tuple[Column, ...]
    pk: tuple[str, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    @property
    def exported(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns if column.exported)

    def row(self, item: Any, **context: Any) -> tuple[Any, ...]:
        """The values of `item`'s row, in column order; `context` gives the computed columns'
        inputs (a missing one is a KeyError, never a silent NULL)."""
        read, others = self._reader
        values = list(read(item))
        for at, get in others:
            values[at] = get(item, context)
        return tuple(values)

    @cached_property
    def _reader(self) -> tuple[Callable[[Any], tuple[Any, ...]], list[tuple[int, Compute]]]:
        """How `row` reads an item: the fields stored as they are in one `attrgetter` call
        (a store writes tens of rows per article), then every other column by its own `get`,
        at a position the getter filled with a stand-in field."""
        stand_in = next(column.field for column in self.columns if column.as_is)
        read = attrgetter(*(c.field if c.as_is else stand_in for c in self.columns))
        others = [(at, c.get) for at, c in enumerate(self.columns) if not c.as_is]
        return read, others

    def fields_from(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """The dataclass fields a stored row holds (computed columns left out)."""
        return {c.field: c.load(row[c.name]) for c in self.columns if c.field is not None}


# json.dumps(value, ensure_ascii=False) builds an encoder at every call; a store dumps tens of
# lists (mention roles) per article. The same encoder, built once, writes the same text.
_json_text = json.JSONEncoder(ensure_ascii=False).encode


def _field_column(name: str, hint: Any) -> Column:
    """A field's column, its type read from the annotation (`X | None` stores as X)."""
    if get_origin(hint) in (Union, types.UnionType):
        hint = next(arg for arg in get_args(hint) if arg is not type(None))
    container = get_origin(hint)
    if container in (list, dict):  # JSON text; an empty one is NULL

        def dump(item: Any, _: Mapping[str, Any]) -> str | None:
            value = getattr(item, name)
            return _json_text(value) if value else None

        return Column(
            name, str, dump, name, lambda stored: json.loads(stored) if stored else container()
        )
    if hint is bool:  # NULL stays None: an article not scored yet is neither
        return Column(
            name,
            int,
            lambda item, _: getattr(item, name),
            name,
            lambda v: None if v is None else bool(v),
            as_is=True,
        )
    if hint in (str, int, float, bytes):
        return Column(name, hint, lambda item, _: getattr(item, name), name, as_is=True)
    raise TypeError(f"{name}: no SQLite column type for {hint!r}")


def _given(key: str) -> Compute:
    """A value the writer passes (the source's kind, the crawl run, ...), not the item's."""
    return lambda _item, context: context[key]


def _table(
    name: str,
    item: type,
    columns: str,
    *,
    pk: tuple[str, ...],
    computed: Mapping[str, tuple[type, Compute]] | None = None,
    stored_elsewhere: frozenset[str] = frozenset(),
    not_exported: frozenset[str] = frozenset(),
) -> Table:
    """`columns` names every column in order: a field of `item` or a key of `computed`. Every
    field of `item` must have one, unless it is stored elsewhere (a child table, or computed
    columns), so a new field cannot be forgotten."""
    order = columns.split()
    computed = computed or {}
    hints = get_type_hints(item)
    stored = [f.name for f in fields(item) if f.name not in stored_elsewhere]
    problems = [f"{item.__name__}.{f} has no column" for f in stored if f not in order]
    problems += [
        f"{c} is neither a field nor computed" for c in order if c not in {*stored, *computed}
    ]
    problems += [f"{c} is listed twice" for c in sorted({c for c in order if order.count(c) > 1})]
    if problems:
        raise TypeError(f"table {name} (crawler/items.py): {'; '.join(problems)}")
    built = []
    for column in order:
        if column in computed:
            sql_type, get = computed[column]
            built.append(Column(column, sql_type, get, exported=column not in not_exported))
        else:
            built.append(_field_column(column, hints[column]))
    return Table(name, item, tuple(built), pk)


def _warc(attribute: str) -> Compute:
    return lambda article, _: getattr(article.warc, attribute) if article.warc else None


ARTICLES = _table(
    "articles",
    Article,
    # Datasette shows the columns in this order: what a reader scans first, the long body last.
    """id title published_at source_id kind lang relevant relevance url dateline author section
    description site_name published_month updated_at canonical_url encoding content_hash
    fetched_at http_status warc_file warc_record_id warc_offset crawl_run_id stored_at
    relevance_reasons body""",
    pk=("id",),
    computed={
        "id": (int, lambda article, _: article.id),
        "kind": (str, _given("kind")),  # the source's kind, from the registry
        "published_month": (str, lambda a, _: a.published_at[:7] if a.published_at else None),
        "content_hash": (str, _given("content_hash")),
        "warc_file": (str, _warc("filename")),
        "warc_record_id": (str, _warc("record_id")),
        "warc_offset": (int, _warc("offset")),
        "crawl_run_id": (int, _given("crawl_run_id")),
        "stored_at": (str, _given("stored_at")),
    },
    stored_elsewhere=frozenset({"warc", "figures", "mentions"}),
    not_exported=frozenset({"content_hash", "crawl_run_id", "stored_at"}),
)
FIGURES = _table(
    "figures",
    Figure,
    """article_id key kind text value scale normalized currency unit qualifier bound metric
    counted change direction period year subject equivalent_of normalized_unit currency_implied
    start end sentence sentence_start year_source restates""",
    pk=("article_id", "key"),
    computed={
        "article_id": (int, _given("article_id")),
        "key": (str, lambda figure, _: figure.key),
    },
)
ENTITIES = _table(
    "entities",
    Entity,
    """id type subtype name name_zh code parent_code province city latitude longitude aliases""",
    pk=("id",),
    computed={
        "id": (str, lambda entity, _: entity.id),
        "aliases": (str, _given("aliases")),  # every surface form seen, as a JSON list
    },
)
MENTIONS = _table(
    "mentions",
    Mention,
    """article_id idx entity_id text title roles start end sentence sentence_start""",
    pk=("article_id", "idx"),
    computed={
        "article_id": (int, _given("article_id")),
        "idx": (int, _given("idx")),  # position in the article's list of mentions
        "entity_id": (str, lambda mention, _: mention.entity.id),
    },
    stored_elsewhere=frozenset({"entity"}),
)


def _versions_of(table: Table, columns: str) -> Table:
    """The table of an item's earlier versions: the named columns of `table`, as they were,
    keyed by the item and a version number, with when and by which run they were replaced.
    Rows are copied from `table` by SQL, never built from an item."""
    kept = {column.name: column for column in table.columns}
    return Table(
        f"{table.item.__name__.lower()}_versions",
        table.item,
        (
            Column("article_id", int, _given("article_id")),
            Column("version", int, _given("version")),  # 1 for the first page seen
            *(kept[name] for name in columns.split()),
            Column("superseded_at", str, _given("superseded_at")),
            Column("superseded_by_run_id", int, _given("superseded_by_run_id")),
        ),
        ("article_id", "version"),
    )


# What an article's page said before a re-crawl found it changed, and the WARC record it was
# read from: every column that comes from the page, with the bookkeeping of its fetch.
ARTICLE_VERSIONS = _versions_of(
    ARTICLES,
    """title published_at updated_at author dateline section description site_name lang url
    canonical_url encoding content_hash fetched_at http_status warc_file warc_record_id
    warc_offset crawl_run_id stored_at body""",
)
# The columns whose change makes a new version (not how or when the page was fetched).
PAGE_CONTENT = [
    "title",
    "published_at",
    "updated_at",
    "author",
    "dateline",
    "section",
    "description",
    "site_name",
    "lang",
    "body",
]


@dataclass
class KnownPage:
    """An article URL a crawl requested that is no article's own URL: a redirect to a stored
    article, or a page dropped for good. Incremental crawls do not request it again."""

    url: str
    source_id: str | None
    outcome: str  # redirected | dropped
    reason: str | None = None  # why it was dropped (a yrd/dropped/ reason)
    article_id: int | None = None  # the article a redirect led to


KNOWN_PAGES = _table(
    "known_pages",
    KnownPage,
    "url source_id outcome reason article_id crawl_run_id seen_at",
    pk=("url",),
    computed={"crawl_run_id": (int, _given("crawl_run_id")), "seen_at": (str, _given("seen_at"))},
)
ARTICLE_FINGERPRINTS = _table(
    "article_fingerprints",
    ArticleFingerprint,
    "article_id content_hash fingerprint tokens signature",
    pk=("article_id",),
)
STORIES = _table(
    "stories",
    Story,
    """id title first_published_at articles outlets facts lang original_article_id
    last_published_at""",
    pk=("id",),
)
STORY_ARTICLES = _table(
    "story_articles",
    StoryArticle,
    """article_id story_id outlet role lag_seconds match matched_article_id containment
    figure_agreement""",
    pk=("article_id",),
)
FACTS = _table(
    "facts",
    Fact,
    """id story_id kind value unit currency metric year text outlets articles mentions
    first_outlet first_published_at first_article_id sentence""",
    pk=("id",),
)
FACT_FIGURES = _table(
    "fact_figures",
    FactFigure,
    "article_id figure_key fact_id role",
    pk=("article_id", "figure_key"),
)
STORY_LINKS = _table(
    "story_links",
    StoryLink,
    "en_story_id zh_story_id shared_facts shared_places days_apart evidence",
    pk=("en_story_id", "zh_story_id"),
)
STORY_TABLES = (ARTICLE_FINGERPRINTS, STORIES, STORY_ARTICLES, FACTS, FACT_FIGURES, STORY_LINKS)
# In creation order: a table comes after the tables it refers to.
STORED_TABLES = (
    ARTICLES,
    FIGURES,
    ENTITIES,
    MENTIONS,
    ARTICLE_VERSIONS,
    KNOWN_PAGES,
    *STORY_TABLES,
)
