"""Writing articles: an article with its search entry, figures, entities and mentions in one
transaction, idempotently (an unchanged extraction re-stored changes nothing).

Rows come from the tables declared in crawler/items.py, written with INSERT statements built
once from their columns (sqlite3 keeps them prepared), so a write never asks SQLite what the
tables look like.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable
from typing import Any

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
_SELECT_CONTENT = f"SELECT {', '.join(map(_quoted, PAGE_CONTENT))} FROM articles WHERE id = ?"
_CONTENT_AT = [ARTICLES.names.index(name) for name in PAGE_CONTENT]


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


def _merge_aliases(db: Database, entity_id: str, surfaces: set[str]) -> str:
    existing = db.execute("select aliases from entities where id = ?", [entity_id]).fetchone()
    aliases = set(json.loads(existing[0])) if existing and existing[0] else set()
    return json.dumps(sorted(aliases | surfaces), ensure_ascii=False)


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


def _replace_extractions(db: Database, article: Article) -> None:
    """Everything derived from the article's text except its search entry: figures, mentions."""
    db.execute("delete from figures where article_id = ?", [article.id])
    db.execute("delete from mentions where article_id = ?", [article.id])
    db.conn.executemany(
        _INSERT_FIGURE, [FIGURES.row(figure, article_id=article.id) for figure in article.figures]
    )
    surfaces: dict[str, set[str]] = {}
    entities: dict[str, Entity] = {}
    for mention in article.mentions:
        entities[mention.entity.id] = mention.entity
        surfaces.setdefault(mention.entity.id, set()).add(mention.text)
    for entity_id, entity in entities.items():
        aliases = _merge_aliases(db, entity_id, surfaces[entity_id])
        db.execute(_UPSERT_ENTITY, ENTITIES.row(entity, aliases=aliases))
    db.conn.executemany(
        _INSERT_MENTION,
        [
            MENTIONS.row(mention, article_id=article.id, idx=i)
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
    digest = content_hash(article)
    existing = db.execute(
        "select content_hash, canonical_url from articles where id = ?", [article.id]
    ).fetchone()
    if existing and url_key(existing[1]) != url_key(article.canonical_url):
        # 52-bit ids make this vanishingly rare; never let it overwrite another article.
        # (The same key is the same page under another address, http or www: one article.)
        raise IdCollision(f"{article.canonical_url} has the id of {existing[1]} ({article.id})")
    if existing and existing[0] == digest:
        return "unchanged"
    now = utc_now()
    row = ARTICLES.row(
        article, kind=kind, content_hash=digest, crawl_run_id=crawl_run_id, stored_at=now
    )
    # A page whose canonical URL changed gets a new id; drop the row under its old id.
    stale = db.execute(
        "select id from articles where url = ? and id != ?", [article.url, article.id]
    ).fetchall()
    for (stale_id,) in stale:
        delete_article(db, stale_id)
    if existing:
        before = db.execute(_SELECT_CONTENT, [article.id]).fetchone()
        if tuple(before) != tuple(row[i] for i in _CONTENT_AT):
            # The page itself changed (not only what was extracted from it): keep what it said.
            db.execute(_KEEP_VERSION, [now, crawl_run_id, article.id])
    _unindex(db, article.id)  # before the row changes: the old text says what was indexed
    db.execute(_UPSERT_ARTICLE, row)
    _index(db, article)
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
    """Store a new search entry, figures, mentions and relevance for an already stored article
    (`yrdnews reextract`, after the extractors or the segmentation improve)."""
    with db.atomic():
        _unindex(db, article.id)
        _index(db, article)
        _replace_extractions(db, article)
        derived = [column.get(article, {}) for column in _DERIVED]
        db.execute(_UPDATE_DERIVED, [content_hash(article), *derived, article.id])


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
