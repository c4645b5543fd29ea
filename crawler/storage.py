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
import time
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

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
_INSERT_FIGURE = _insert_sql(FIGURES)
_INSERT_MENTION = _insert_sql(MENTIONS)
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
_TEXT_AT = (PAGE_CONTENT.index("title"), PAGE_CONTENT.index("body"))


class IdCollision(ValueError):
    """Two canonical URLs with the same article id."""


def content_hash(article: Article) -> str:
    """Fingerprint of everything stored from the page and extracted from it (figures; mentions
    with every field of their entity), so a re-crawl is written exactly when one of them changed.

    When and into which WARC record the page was fetched is left out: a re-crawl finding the
    same content is "unchanged" and the row keeps pointing at the record it was extracted from.
    """
    payload = {k: v for k, v in article.to_dict().items() if k not in {"fetched_at", "warc"}}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def article_from_row(row: dict[str, Any]) -> Article:
    """The stored article as the pipelines saw it, so extraction can run again."""
    article = Article(**ARTICLES.fields_from(row))
    if row.get("warc_file"):
        article.warc = WarcRef(row["warc_file"], row["warc_record_id"], row["warc_offset"])
    return article


def _unindex(db: Database, article_id: int) -> None:
    """Take a stored article out of the search index. The index keeps no copy of the text
    (its content is the articles table), so FTS5 is told the tokens that were indexed: those
    of the stored title and body, segmented as they were when indexed."""
    db.execute(
        "insert into articles_fts (articles_fts, rowid, title, body)"
        " select 'delete', id, yrd_segment(title), yrd_segment(body) from articles where id = ?",
        [article_id],
    )


def _index(db: Database, article: Article) -> None:
    db.execute(
        "insert into articles_fts (rowid, title, body) values (?, ?, ?)",
        [article.id, segment(article.title), segment(article.body)],
    )


def _reindex(db: Database, article: Article, stored_text: tuple[str | None, str]) -> None:
    """The search entry of a stored article whose row is about to be replaced, rewritten when
    its title or body changed. The entry is `segment` of the stored text (a change to
    `segment` reindexes everything: crawler/db.py `reindex`), so an unchanged text keeps its
    entry, and costs no segmenting at all."""
    if stored_text != (article.title, article.body):
        _unindex(db, article.id)  # before the row changes: the old text says what was indexed
        _index(db, article)


def _write_entities(db: Database, article: Article) -> None:
    """The article's entities, each with every surface form seen (`aliases`); an entity whose
    row would not change (the usual case: the same places and bodies in article after
    article) is not written again."""
    surfaces: dict[str, set[str]] = {}
    entities: dict[str, Entity] = {}
    for mention in article.mentions:
        entities[mention.entity.id] = mention.entity
        surfaces.setdefault(mention.entity.id, set()).add(mention.text)
    if not entities:
        return
    stored = {row[0]: row for row in db.execute(_SELECT_ENTITIES, [json.dumps(list(entities))])}
    for entity_id, entity in entities.items():
        before = stored.get(entity_id)
        known = set(json.loads(before[_ALIASES_AT])) if before and before[_ALIASES_AT] else set()
        aliases = json.dumps(sorted(known | surfaces[entity_id]), ensure_ascii=False)
        row = ENTITIES.row(entity, aliases=aliases)
        if row != before:
            db.execute(_UPSERT_ENTITY, row)


def _replace_extractions(db: Database, article: Article) -> None:
    """Everything derived from the article's text except its search entry: figures, mentions."""
    article_id = article.id
    db.execute("delete from figures where article_id = ?", [article_id])
    db.execute("delete from mentions where article_id = ?", [article_id])
    db.conn.executemany(
        _INSERT_FIGURE, [FIGURES.row(figure, article_id=article_id) for figure in article.figures]
    )
    _write_entities(db, article)
    db.conn.executemany(
        _INSERT_MENTION,
        [
            MENTIONS.row(mention, article_id=article_id, idx=i)
            for i, mention in enumerate(article.mentions)
        ],
    )


def store_article(
    db: Database, article: Article, *, crawl_run_id: int | None = None, kind: str | None = None
) -> str:
    """Write one article, its search entry, figures and mentions atomically.

    Returns "inserted", "updated" or "unchanged". Re-storing an identical extraction
    changes nothing, so crawling the same archive twice leaves the same rows. When the page
    itself changed (its title, body, dates, ...: `PAGE_CONTENT`), the row as it was is kept
    in `article_versions`, with the WARC record it was read from.
    """
    with db.atomic():
        return _store(db, article, crawl_run_id=crawl_run_id, kind=kind)


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
    with db.atomic():
        return Counter(_store(db, a, crawl_run_id=crawl_run_id, kind=kind) for a in articles)


def _store(db: Database, article: Article, *, crawl_run_id: int | None, kind: str | None) -> str:
    """store_article's work, inside the caller's transaction."""
    article_id = article.id
    digest = content_hash(article)
    existing = db.execute(
        "select content_hash, canonical_url from articles where id = ?", [article_id]
    ).fetchone()
    if existing and url_key(existing[1]) != url_key(article.canonical_url):
        # 52-bit ids make this vanishingly rare; never let it overwrite another article.
        # (The same key is the same page under another address, http or www: one article.)
        raise IdCollision(f"{article.canonical_url} has the id of {existing[1]} ({article_id})")
    if existing and existing[0] == digest:
        return "unchanged"
    now = utc_now()
    row = ARTICLES.row(
        article, kind=kind, content_hash=digest, crawl_run_id=crawl_run_id, stored_at=now
    )
    # A page whose canonical URL changed gets a new id; drop the row under its old id.
    stale = db.execute(
        "select id from articles where url = ? and id != ?", [article.url, article_id]
    ).fetchall()
    for (stale_id,) in stale:
        delete_article(db, stale_id)
    if existing:
        before = db.execute(_SELECT_CONTENT, [article_id]).fetchone()
        if tuple(before) != tuple(row[i] for i in _CONTENT_AT):
            # The page itself changed (not only what was extracted from it): keep what it said.
            db.execute(_KEEP_VERSION, [now, crawl_run_id, article_id])
        _reindex(db, article, (before[_TEXT_AT[0]], before[_TEXT_AT[1]]))
    else:
        _index(db, article)
    db.execute(_UPSERT_ARTICLE, row)
    _replace_extractions(db, article)
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
    improve)."""
    with db.atomic():
        _reindex(db, article, db.execute(_SELECT_TEXT, [article.id]).fetchone())
        _replace_extractions(db, article)
        derived = [column.get(article, {}) for column in _DERIVED]
        db.execute(_UPDATE_DERIVED, [content_hash(article), *derived, article.id])


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
        with self.db.atomic():
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
    db.execute("delete from article_versions where article_id = ?", [article_id])
    db.execute("delete from figures where article_id = ?", [article_id])
    db.execute("delete from mentions where article_id = ?", [article_id])
    _unindex(db, article_id)
    db.execute("delete from articles where id = ?", [article_id])
