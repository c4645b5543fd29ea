"""Writing articles: an article with its search entry, figures, entities and mentions in one
transaction, idempotently (an unchanged extraction re-stored changes nothing).

Rows come from the tables declared in crawler/items.py, written with INSERT statements built
once from their columns (sqlite3 keeps them prepared), so a write never asks SQLite what the
tables look like.

A crawl, `yrdnews reextract` and `yrdnews ingest` write through a `Batch`: many articles per
commit (one commit costs as much as storing an article or two, and an fsync), each article
still whole in the database, and what a write did reported only once it is committed.
"""

from __future__ import annotations

import hashlib
import json
import marshal
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, Generic, NamedTuple, TypeVar

from sqlite_utils import Database

from crawler.db import utc_now
from crawler.items import (
    ARTICLE_VERSIONS,
    ARTICLES,
    ENTITIES,
    FIGURES,
    KNOWN_PAGES,
    MENTIONS,
    PAGE_CONTENT,
    Article,
    Entity,
    KnownPage,
    Table,
    WarcRef,
)
from crawler.search import segment
from crawler.urls import url_key


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _insert_sql(table: Table, *, upsert: bool = False) -> str:
    """INSERT of a whole row; with `upsert`, an existing row (same primary key) is updated."""
    columns = ", ".join(map(_quoted, table.names))
    sql = f"INSERT INTO {_quoted(table.name)} ({columns}) VALUES ({', '.join('?' * len(table.names))})"
    if upsert:
        updates = ", ".join(
            f"{_quoted(name)} = excluded.{_quoted(name)}"
            for name in table.names
            if name not in table.pk
        )
        sql += f" ON CONFLICT ({', '.join(map(_quoted, table.pk))}) DO UPDATE SET {updates}"
    return sql


def insert_rows(db: Database, table: Table, items: Iterable[Any], *, upsert: bool = False) -> None:
    """Write the rows of `items` (instances of `table.item`, all columns their own fields)."""
    db.conn.executemany(_insert_sql(table, upsert=upsert), [table.row(item) for item in items])


_UPSERT_ARTICLE = _insert_sql(ARTICLES, upsert=True)
_UPSERT_ENTITY = _insert_sql(ENTITIES, upsert=True)
_UPSERT_KNOWN_PAGE = _insert_sql(KNOWN_PAGES, upsert=True)
_KEEP_VERSION = (
    f"INSERT INTO {ARTICLE_VERSIONS.name} ({', '.join(map(_quoted, ARTICLE_VERSIONS.names))}) "
    "SELECT id, (SELECT coalesce(max(version), 0) + 1 FROM article_versions WHERE article_versions.article_id = articles.id), "
    + ", ".join(map(_quoted, ARTICLE_VERSIONS.names[2:-2]))
    + ", ?, ? FROM articles WHERE id = ?"
)
_SELECT_ENTITIES = (
    f"SELECT {', '.join(map(_quoted, ENTITIES.names))} FROM entities"
    " WHERE id IN (SELECT value FROM json_each(?))"
)
_ALIASES_AT = ENTITIES.names.index("aliases")
_SELECT_CONTENT = f"SELECT {', '.join(map(_quoted, PAGE_CONTENT))} FROM articles WHERE id = ?"
_CONTENT_AT = [ARTICLES.names.index(name) for name in PAGE_CONTENT]
_SELECT_TEXT = "SELECT title, body FROM articles WHERE id = ?"
_SELECT_REEXTRACTED = "SELECT content_hash, title, body FROM articles WHERE id = ?"
_TEXT_AT = (PAGE_CONTENT.index("title"), PAGE_CONTENT.index("body"))


class IdCollision(ValueError):
    """Two canonical URLs with the same article id."""


# The article's columns that say how and when it was fetched and stored, not what it holds.
_NOT_CONTENT = {
    "kind", "content_hash", "fetched_at", "warc_file", "warc_record_id", "warc_offset",
    "crawl_run_id", "stored_at",
}  # fmt: skip
_CONTENT_COLUMNS = [i for i, name in enumerate(ARTICLES.names) if name not in _NOT_CONTENT]
_HASH_AT = ARTICLES.names.index("content_hash")
# The fingerprint's form, so a stored one of an earlier form is recognised (`_digest`).
FINGERPRINT = "v2:"


class _Rows(NamedTuple):
    """Everything stored of an article, built once: its fingerprint hashes these values, and
    the store writes them."""

    article: list[Any]
    figures: list[tuple[Any, ...]]
    mentions: list[tuple[Any, ...]]
    entities: dict[str, tuple[tuple[Any, ...], set[str]]]  # id -> row (aliases None), surfaces


def _rows(article: Article, **context: Any) -> _Rows:
    """The article's rows; `context` as `ARTICLES.row` takes it (the content hash left out)."""
    article_id = article.id
    mentioned: dict[str, tuple[Entity, set[str]]] = {}
    for mention in article.mentions:
        entity_id = mention.entity.id
        surfaces = mentioned[entity_id][1] if entity_id in mentioned else set()
        surfaces.add(mention.text)
        mentioned[entity_id] = (mention.entity, surfaces)  # as stored: its last mention's
    return _Rows(
        list(ARTICLES.row(article, content_hash=None, **context)),
        [FIGURES.row(figure, article_id=article_id) for figure in article.figures],
        [
            MENTIONS.row(mention, article_id=article_id, idx=i)
            for i, mention in enumerate(article.mentions)
        ],
        {
            entity_id: (ENTITIES.row(entity, aliases=None), surfaces)
            for entity_id, (entity, surfaces) in mentioned.items()
        },
    )


def _fingerprint(rows: _Rows) -> str:
    """Fingerprint of everything stored from the page and extracted from it: the article's
    content columns, its figure and mention rows, the rows of the entities mentioned (but their
    aliases, which other articles add to), so it is equal exactly when the stored rows would be.

    The values are hashed in marshal's version 2 form: values only (version 3 on refers back
    to objects met before and flags interned strings, which depend on where a value came from,
    not what it is), 1, 1.0 and True apart, floats exact; four times faster than `repr`."""
    content = (
        [rows.article[i] for i in _CONTENT_COLUMNS],
        rows.figures,
        rows.mentions,
        [row for row, _ in rows.entities.values()],
    )
    return FINGERPRINT + hashlib.blake2b(marshal.dumps(content, 2), digest_size=16).hexdigest()


def _json_fingerprint(article: Article) -> str:
    """The fingerprint as it was stored before `FINGERPRINT`: the article's JSON form, less
    when and into which WARC record it was fetched (slower: a JSON dump of it all)."""
    payload = {k: v for k, v in article.to_dict().items() if k not in {"fetched_at", "warc"}}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _digest(rows: _Rows, article: Article, stored: str | None) -> str:
    """The fingerprint to store: the stored one when it is of the earlier form and the article
    still matches it, so a database written before keeps finding re-crawls unchanged, and its
    stories (which note the fingerprint they clustered) are not clustered again."""
    if stored and not stored.startswith(FINGERPRINT) and stored == _json_fingerprint(article):
        return stored
    return _fingerprint(rows)


def content_hash(article: Article) -> str:
    """Fingerprint of everything stored from the page and extracted from it (figures; mentions
    with every field of their entity), so a re-crawl is written exactly when one of them changed.

    When and into which WARC record the page was fetched is left out: a re-crawl finding the
    same content is "unchanged" and the row keeps pointing at the record it was extracted from.
    """
    return _fingerprint(_rows(article, kind=None, crawl_run_id=None, stored_at=None))


def article_from_row(row: dict[str, Any]) -> Article:
    """The stored article as the pipelines saw it, so extraction can run again."""
    article = Article(**ARTICLES.fields_from(row))
    if row.get("warc_file"):
        article.warc = WarcRef(row["warc_file"], row["warc_record_id"], row["warc_offset"])
    return article


Text = tuple[str | None, str]  # an article's title and body


class _SearchEntries:
    """The search-index changes of one transaction, written together at its end.

    FTS5 writes what it holds to a new segment of the index at every savepoint and at every
    statement that may need undoing, once the transaction has written to it; written between
    the other rows, each article's entry cost a segment (and the merges of them all). Held
    until the end, they are written with nothing in between: one segment a transaction.

    Each change says which text of a row was indexed before it (None: none) and which is after
    it; what is written is the net change of each row, so a row written twice, or changed and
    changed back, costs one entry or none.
    """

    def __init__(self) -> None:
        self.changes: list[tuple[int, Text | None, Text | None]] = []

    def change(self, rowid: int, before: Text | None, after: Text | None) -> None:
        self.changes.append((rowid, before, after))

    def write(self, db: Database) -> None:
        first: dict[int, Text | None] = {}
        last: dict[int, Text | None] = {}
        for rowid, before, after in self.changes:
            first.setdefault(rowid, before)
            last[rowid] = after
        self.changes.clear()
        changed = [(rowid, before, last[rowid]) for rowid, before in first.items()]
        changed = [(rowid, before, after) for rowid, before, after in changed if before != after]
        # The index keeps no copy of the text (its content is the articles table), so FTS5 is
        # told the tokens that were indexed: those of the text it had, segmented as then. A
        # text met twice (the body of a page whose title alone changed) is segmented once.
        cut = _Segmenter()
        db.conn.executemany(
            "insert into articles_fts (articles_fts, rowid, title, body) values ('delete', ?, ?, ?)",
            [(rowid, cut(b[0]), cut(b[1])) for rowid, b, _ in changed if b is not None],
        )
        db.conn.executemany(
            "insert into articles_fts (rowid, title, body) values (?, ?, ?)",
            [(rowid, cut(a[0]), cut(a[1])) for rowid, _, a in changed if a is not None],
        )


class _Segmenter(dict[str | None, str]):
    """`segment`, remembering each text's result for as long as it is kept."""

    def __call__(self, text: str | None) -> str:
        return self[text]

    def __missing__(self, text: str | None) -> str:
        self[text] = segmented = segment(text)
        return segmented


_OPEN: dict[sqlite3.Connection, _SearchEntries] = {}


@contextmanager
def transaction(db: Database) -> Iterator[_SearchEntries]:
    """A transaction of the store (a savepoint, in one already open): its search-index changes
    are written at the end of the outermost one (`_SearchEntries`); those of a savepoint rolled
    back are forgotten with it. Every write to the articles table goes through one."""
    entries = _OPEN.get(db.conn)
    if entries is None:
        entries = _OPEN[db.conn] = _SearchEntries()
        try:
            with db.atomic():
                yield entries
                entries.write(db)
        finally:
            del _OPEN[db.conn]
        return
    mark = len(entries.changes)
    try:
        with db.atomic():
            yield entries
    except BaseException:
        del entries.changes[mark:]
        raise


def _write_entities(db: Database, entities: dict[str, tuple[tuple[Any, ...], set[str]]]) -> None:
    """The article's entities, each with every surface form seen (`aliases`); an entity whose
    row would not change (the usual case: the same places and bodies in article after
    article) is not written again.

    A field the article does not know (None) keeps the stored value: an English article
    names a person without their characters, a Chinese one with them, and the row must not
    depend on which was stored last (a crawl and `yrdnews reextract` store in other orders)."""
    if not entities:
        return
    stored = {row[0]: row for row in db.execute(_SELECT_ENTITIES, [json.dumps(list(entities))])}
    for entity_id, (row, surfaces) in entities.items():
        before = stored.get(entity_id)
        if before is not None:
            row = tuple(old if new is None else new for new, old in zip(row, before, strict=True))
        known, known_text = _aliases(before[_ALIASES_AT] if before else None)
        if surfaces <= known:
            aliases = known_text
        else:
            aliases = json.dumps(sorted(known | surfaces), ensure_ascii=False)
        row = (*row[:_ALIASES_AT], aliases, *row[_ALIASES_AT + 1 :])
        if row != before:
            db.execute(_UPSERT_ENTITY, row)


@lru_cache(maxsize=4096)
def _aliases(stored: str | None) -> tuple[frozenset[str], str]:
    """An entity's stored aliases, and their JSON as the store writes it (the same few lists
    are read again and again)."""
    known = frozenset(json.loads(stored)) if stored else frozenset()
    return known, json.dumps(sorted(known), ensure_ascii=False)


class _Children(NamedTuple):
    """The statements that read and replace the rows an article owns in one table (keyed by
    the article and one column of its own: figures by key, mentions by position)."""

    select: str
    delete: str
    insert: str
    key_at: int

    @classmethod
    def of(cls, table: Table) -> _Children:
        article, key = table.pk
        columns = ", ".join(map(_quoted, table.names))
        return cls(
            f"SELECT {columns} FROM {table.name} WHERE {article} = ?",
            f"DELETE FROM {table.name} WHERE {article} = ? AND {key} = ?",
            _insert_sql(table),
            table.names.index(key),
        )

    def write(
        self, db: Database, article_id: int, rows: list[tuple[Any, ...]], *, new: bool
    ) -> None:
        """Make the article's rows `rows`, writing only those that differ from the stored ones
        (a re-stored article usually keeps most of them). A stored row equal to the new one in
        Python holds what writing it would store: SQLite gives each value its column's type
        (TEXT, INTEGER or REAL) both times, so 1, 1.0 and True are one value in a number column
        and can never be in a text one."""
        key_at = self.key_at
        stored = {} if new else {row[key_at]: row for row in db.execute(self.select, [article_id])}
        wanted = {row[key_at]: row for row in rows}
        gone = [(article_id, key) for key, row in stored.items() if wanted.get(key) != row]
        db.conn.executemany(self.delete, gone)
        db.conn.executemany(self.insert, [row for row in rows if stored.get(row[key_at]) != row])


_FIGURE_ROWS = _Children.of(FIGURES)
_MENTION_ROWS = _Children.of(MENTIONS)


def _replace_extractions(db: Database, article_id: int, rows: _Rows, *, new: bool) -> None:
    """Everything derived from the article's text except its search entry: figures, mentions
    (`new`: the article had none stored, nothing to read or delete)."""
    _FIGURE_ROWS.write(db, article_id, rows.figures, new=new)
    _write_entities(db, rows.entities)
    _MENTION_ROWS.write(db, article_id, rows.mentions, new=new)


def store_article(
    db: Database, article: Article, *, crawl_run_id: int | None = None, kind: str | None = None
) -> str:
    """Write one article, its search entry, figures and mentions atomically.

    Returns "inserted", "updated" or "unchanged". Re-storing an identical extraction
    changes nothing, so crawling the same archive twice leaves the same rows. When the page
    itself changed (its title, body, dates, ...: `PAGE_CONTENT`), the row as it was is kept
    in `article_versions`, with the WARC record it was read from.
    """
    with transaction(db) as search:
        return _store(db, search, article, crawl_run_id=crawl_run_id, kind=kind)


def store_articles(
    db: Database,
    articles: Iterable[Article],
    *,
    crawl_run_id: int | None = None,
    kind: str | None = None,
) -> Counter[str]:
    """Write many articles in one transaction, each exactly as `store_article` writes it
    (bulk loads such as bench/datasette.py: one commit instead of one per article).

    Returns how many were inserted, updated and unchanged."""
    with transaction(db) as search:
        return Counter(
            _store(db, search, a, crawl_run_id=crawl_run_id, kind=kind) for a in articles
        )


def _store(
    db: Database,
    search: _SearchEntries,
    article: Article,
    *,
    crawl_run_id: int | None,
    kind: str | None,
) -> str:
    """store_article's work, inside the caller's transaction."""
    article_id = article.id
    existing = db.execute(
        "select content_hash, canonical_url from articles where id = ?", [article_id]
    ).fetchone()
    if (
        existing
        and existing[1] != article.canonical_url
        and url_key(existing[1]) != url_key(article.canonical_url)
    ):
        # 52-bit ids make this vanishingly rare; never let it overwrite another article.
        # (The same key is the same page under another address, http or www: one article.)
        raise IdCollision(f"{article.canonical_url} has the id of {existing[1]} ({article_id})")
    now = utc_now()
    rows = _rows(article, kind=kind, crawl_run_id=crawl_run_id, stored_at=now)
    digest = _digest(rows, article, existing[0] if existing else None)
    if existing and existing[0] == digest:
        return "unchanged"
    rows.article[_HASH_AT] = digest
    # A page whose canonical URL changed gets a new id; drop the row under its old id.
    stale = db.execute(
        "select id from articles where url = ? and id != ?", [article.url, article_id]
    ).fetchall()
    for (stale_id,) in stale:
        delete_article(db, stale_id)
    text = (article.title, article.body)
    if existing:
        before = db.execute(_SELECT_CONTENT, [article_id]).fetchone()
        if tuple(before) != tuple(rows.article[i] for i in _CONTENT_AT):
            # The page itself changed (not only what was extracted from it): keep what it said.
            db.execute(_KEEP_VERSION, [now, crawl_run_id, article_id])
        search.change(article_id, (before[_TEXT_AT[0]], before[_TEXT_AT[1]]), text)
    else:
        search.change(article_id, None, text)
    db.execute(_UPSERT_ARTICLE, rows.article)
    _replace_extractions(db, article_id, rows, new=not existing)
    return "updated" if existing else "inserted"


# The article's own columns that the processing chain derives from its text.
_DERIVED = [
    c for c in ARTICLES.columns if c.field in {"relevance", "relevant", "relevance_reasons"}
]
_UPDATE_DERIVED = (
    f"update articles set content_hash = ?, {', '.join(f'{c.name} = ?' for c in _DERIVED)}"
    " where id = ?"
)


def replace_extractions(db: Database, article: Article) -> None:
    """Store new figures, mentions and relevance (and search entry, if its text is not the
    stored one) for an already stored article (`yrdnews reextract`, after the extractors
    improve). The search entry follows the text given, which is the stored one: a changed
    title or body is stored by `store_article`."""
    with transaction(db) as search:
        stored = db.execute(_SELECT_REEXTRACTED, [article.id]).fetchone()
        search.change(article.id, (stored[1], stored[2]), (article.title, article.body))
        rows = _rows(article, kind=None, crawl_run_id=None, stored_at=None)
        _replace_extractions(db, article.id, rows, new=False)
        derived = [column.get(article, {}) for column in _DERIVED]
        db.execute(_UPDATE_DERIVED, [_digest(rows, article, stored[0]), *derived, article.id])


# A batch is committed once it holds this many writes, or this many seconds after its first.
BATCH_WRITES = 100
BATCH_SECONDS = 1.0

T = TypeVar("T")


class Batch(Generic[T]):
    """Writes committed together: every `size` writes or `seconds` after the first, whichever
    comes first, and whenever `commit` is called (a caller with a timer calls it when nothing
    else comes). The writes are kept until then and run in one transaction (each one whole:
    `store_article` and the others nest as savepoints), so the database only ever holds whole
    articles, and no other connection waits on a transaction left open between writes. A write
    that was not committed is lost with the process, and the database does not know it: a
    resumed crawl requests its page again, an unacknowledged hand-off entry is read again, a
    re-extraction is run again.

    What a write did is handed to its `done` callback after the commit, so counts (a crawl's
    stats, a hand-off acknowledgement) never include what a kill lost.
    """

    def __init__(
        self,
        db: Database,
        *,
        size: int = BATCH_WRITES,
        seconds: float = BATCH_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.db, self.size, self.seconds, self.clock = db, size, seconds, clock
        self.pending: list[tuple[Callable[[Database], T], Callable[[T], None]]] = []
        self.opened_at = 0.0

    def add(
        self, write: Callable[[Database], T], done: Callable[[T], None] = lambda _: None
    ) -> None:
        """Queue `write(db)`, then commit if the batch is due."""
        if not self.pending:
            self.opened_at = self.clock()
        self.pending.append((write, done))
        if len(self.pending) >= self.size or self.clock() - self.opened_at >= self.seconds:
            self.commit()

    def commit(self) -> None:
        """Run the queued writes in one transaction, then their `done` callbacks. If a write
        raises, nothing of the batch is written and the error propagates."""
        pending, self.pending = self.pending, []
        if not pending:
            return
        with transaction(self.db):
            results = [write(self.db) for write, _ in pending]
        for (_, done), result in zip(pending, results, strict=True):
            done(result)


def record_known_page(db: Database, page: KnownPage, *, crawl_run_id: int | None = None) -> None:
    """Remember an article URL that holds no article of its own (a redirect, a page dropped for
    good), so that incremental crawls do not request it again; a stored article's own URL never
    needs this."""
    with db.atomic():
        db.execute(
            _UPSERT_KNOWN_PAGE, KNOWN_PAGES.row(page, crawl_run_id=crawl_run_id, seen_at=utc_now())
        )


def delete_article(db: Database, article_id: int) -> None:
    with transaction(db) as search:
        db.execute("delete from article_versions where article_id = ?", [article_id])
        db.execute("delete from figures where article_id = ?", [article_id])
        db.execute("delete from mentions where article_id = ?", [article_id])
        text = db.execute(_SELECT_TEXT, [article_id]).fetchone()
        if text is not None:
            search.change(article_id, tuple(text), None)
        db.execute("delete from articles where id = ?", [article_id])
