"""The SQLite database: opening it, and its schema as sqlite-utils migrations.

The articles, figures, entities and mentions tables are declared in crawler/items.py; here is
only how SQLite creates, constrains and indexes them. Writing articles is crawler/storage.py,
search is crawler/search.py.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from sqlite_utils import Database, Migrations

from crawler import runs
from crawler.items import ARTICLE_VERSIONS, FIGURES, KNOWN_PAGES, STORED_TABLES, STORY_TABLES, Table
from crawler.search import FTS_TOKENIZER, segment
from crawler.sources import Source, describe_sources

migrations = Migrations("yrdnews")

# What SQLite enforces on the declared tables, beyond their columns and primary keys.
CONSTRAINTS: dict[str, dict[str, Any]] = {
    "articles": {
        "not_null": {"url", "canonical_url", "body"},
        "foreign_keys": [("source_id", "sources", "id"), ("crawl_run_id", "crawl_runs", "id")],
    },
    "figures": {"foreign_keys": [("article_id", "articles", "id")]},
    "article_versions": {"foreign_keys": [("article_id", "articles", "id")]},
    "mentions": {
        "foreign_keys": [("article_id", "articles", "id"), ("entity_id", "entities", "id")]
    },
}


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _create(db: Database, table: Table) -> None:
    pk = table.pk[0] if len(table.pk) == 1 else table.pk
    columns = {column.name: column.type for column in table.columns}
    db[table.name].create(columns, pk=pk, **CONSTRAINTS.get(table.name, {}))


@migrations()
def m001_initial(db: Database) -> None:
    """The schema as crawler/items.py declares it now, so a new database needs nothing more;
    every later migration upgrades an older database and leaves a new one as it is."""
    db["sources"].create(
        {
            "id": str,
            "name": str,
            "kind": str,
            "language": str,
            "region": str,
            "homepage": str,
            "discovery": str,
            "enabled": int,
            "verified": str,
        },
        pk="id",
    )
    db["crawl_runs"].create(
        {
            "id": int,
            "started_at": str,
            "finished_at": str,
            "status": str,
            "sources": str,
            "replay": str,
            "since": str,
            "requests": int,
            "responses": int,
            "articles": int,
            "articles_unchanged": int,
            "errors": int,
            "replay_misses": int,
            "drops": str,
            "stats": str,
        },
        pk="id",
    )
    for table in STORED_TABLES:
        _create(db, table)
    db["known_pages"].create_index(["source_id"])
    db["articles"].create_index(["url"], unique=True)
    db["articles"].create_index(["published_at"])
    db["articles"].create_index(["source_id"])
    _create_search_index(db)
    db["figures"].create_index(["kind", "currency"])
    db["figures"].create_index(["metric"])
    db["entities"].create_index(["type", "subtype"])
    db["mentions"].create_index(["entity_id"])
    _index_story_tables(db)
    _index_browsed_columns(db)
    db.create_view(
        "person_titles",
        """
        select entities.name as person, mentions.title, articles.published_at,
               articles.title as article_title, articles.id as article_id, mentions.sentence
        from mentions
        join entities on entities.id = mentions.entity_id
        join articles on articles.id = mentions.article_id
        where entities.type = 'person' and mentions.title is not null
        order by entities.name, articles.published_at
        """,
    )


@migrations()
def m002_figure_keys(db: Database) -> None:
    """Figures keyed by `Figure.key` (kind and offset) instead of their position in the list,
    so a re-extraction that lists them in another order keeps their keys; `equivalent_of`
    names the key of the figure converted instead of its position."""
    figures = db["figures"]
    if "idx" not in figures.columns_dict:
        return  # created by m001 with keys
    figures.add_column("key", str)
    db.execute("update figures set key = kind || '@' || start")
    db.execute(
        """
        update figures set equivalent_of = (
            select target.key from figures as target
            where target.article_id = figures.article_id and target.idx = figures.equivalent_of
        )
        where equivalent_of is not null
        """
    )
    figures.transform(
        types={"equivalent_of": str}, pk=FIGURES.pk, drop={"idx"}, column_order=FIGURES.names
    )


@migrations()
def m003_ingested_streams(db: Database) -> None:
    """How far `yrdnews ingest` got in each hand-off stream: the last entry whose transaction
    committed, so an entry read again after a crash is recognised (crawler/ingest.py)."""
    db["ingested_streams"].create(
        {"stream": str, "last_entry": str, "updated_at": str}, pk="stream", if_not_exists=True
    )


def _create_search_index(db: Database) -> None:
    """The FTS5 index of titles and bodies, as crawler.search.segment cuts them. Its content
    is the articles table (no second copy of every text), which is also how Datasette's
    search across tables finds it."""
    db.execute(
        "CREATE VIRTUAL TABLE articles_fts USING fts5(title, body, content=[articles],"
        f" content_rowid=[id], tokenize = '{FTS_TOKENIZER}')"
    )


def reindex(db: Database) -> None:
    """Index every article again, in one transaction, e.g. after `crawler.search.segment`
    changed: any change to it needs a migration that calls this, since taking an article out
    of the index re-segments its stored text."""
    articles = db.execute("select id, title, body from articles")
    with db.atomic():
        db.execute("insert into articles_fts (articles_fts) values ('delete-all')")
        db.conn.executemany(
            "insert into articles_fts (rowid, title, body) values (?, ?, ?)",
            ((i, segment(title), segment(body)) for i, title, body in articles),
        )


@migrations()
def m004_search_by_character_pairs(db: Database) -> None:
    """Chinese indexed as character pairs instead of jieba's words, in an index whose content
    is the articles table (m001 now creates it so)."""
    (sql,) = db.execute("select sql from sqlite_master where name = 'articles_fts'").fetchone()
    if "content=[articles]" not in sql:
        db.execute("drop table articles_fts")
        _create_search_index(db)
    reindex(db)


@migrations()
def m005_article_versions_and_known_pages(db: Database) -> None:
    """Earlier versions of changed pages, and the article URLs a crawl need not request again
    (crawler/items.py declares both; m001 creates them in a new database)."""
    for table in (ARTICLE_VERSIONS, KNOWN_PAGES):
        if table.name not in db.table_names():
            _create(db, table)
    db["known_pages"].create_index(["source_id"], if_not_exists=True)


# How stories, facts and links are looked up (pipelines/stories).
STORY_INDEXES: dict[str, list[list[str]]] = {
    "article_fingerprints": [["fingerprint"]],
    "story_articles": [["story_id"]],
    "facts": [["story_id"], ["kind", "unit", "value"]],
    "story_links": [["zh_story_id"]],
}


def _index_story_tables(db: Database) -> None:
    for table, indexes in STORY_INDEXES.items():
        for columns in indexes:
            db[table].create_index(columns, if_not_exists=True)


@migrations()
def m006_stories(db: Database) -> None:
    """The story, fact and link tables (pipelines/stories), for a database made before them."""
    for table in STORY_TABLES:
        if not db[table.name].exists():
            _create(db, table)
    _index_story_tables(db)


def _add_declared_column(db: Database, table: str, column: str) -> None:
    """Add a column declared in crawler/items.py to an older database (m001 made it in a new one)."""
    if column not in db[table].columns_dict:
        declared = {t.name: t for t in STORED_TABLES}[table]
        db[table].add_column(column, next(c.type for c in declared.columns if c.name == column))


# A field added to a stored dataclass after m002 needs one line here, oldest first:
# ("table", "column"). Tests fail while an older database would lack it.
ADDED_COLUMNS: tuple[tuple[str, str], ...] = (
    ("figures", "year_source"),  # where a figure's year comes from (stated, the article's date)
    ("figures", "restates"),  # the key of the earlier figure a figure repeats
    ("articles", "relevant"),
    ("articles", "relevance"),
    ("articles", "relevance_reasons"),
)
for _table, _column in ADDED_COLUMNS:
    migrations(name=f"add_{_table}_{_column}")(
        partial(_add_declared_column, table=_table, column=_column)
    )


# The columns datasette_metadata.yml facets or sorts a big table by, beside those m001 indexes
# (articles' source_id and published_at, figures' kind and metric, ...): without an index each
# facet or sort reads the whole table. The small bookkeeping tables (sources, crawl runs,
# entities) need none. A column mostly empty gets a partial index,
# which the facet's own `is not null` (or any comparison) lets SQLite use.
BROWSED_COLUMNS: dict[str, tuple[str, ...]] = {
    "articles": ("kind", "lang", "relevant", "published_month"),
    "figures": ("currency", "normalized_unit", "year"),
    "article_versions": ("superseded_at",),
    "known_pages": ("outcome", "reason"),
    "stories": ("articles", "lang", "outlets"),
    "story_articles": ("role", "match", "outlet"),
    "facts": ("unit", "metric", "year", "outlets"),
    "fact_figures": ("role",),
    "story_links": ("shared_facts",),
}
SPARSE_COLUMNS = {("figures", "currency"), ("figures", "year")}  # most figures have neither


def _index_browsed_columns(db: Database) -> list[str]:
    """Create the missing indexes of the browsed columns; their names."""
    made = []
    for table, columns in BROWSED_COLUMNS.items():
        for column in columns:
            name = f"idx_{table}_{column}"
            if db.execute("select 1 from sqlite_master where name = ?", [name]).fetchone():
                continue
            where = f" where [{column}] is not null" if (table, column) in SPARSE_COLUMNS else ""
            db.execute(f"create index [{name}] on [{table}] ([{column}]){where}")
            made.append(name)
    return made


@migrations()
def m007_browsed_column_indexes(db: Database) -> None:
    """Indexes for the columns the site facets and sorts by (m001 makes them in a new database;
    registered after the added columns, which some of them index). A database analysed before
    gets the new indexes' statistics too, so SQLite's planner weighs them with the rest."""
    made = _index_browsed_columns(db)
    if db["sqlite_stat1"].exists():
        for name in made:
            db.execute(f"analyze [{name}]")


@migrations()
def m008_article_content_hash_index(db: Database) -> None:
    """Each run of the stories step finds the clustered articles whose content changed by
    their content hashes; without this index that read every article row (at a million
    articles, 68 s from a cold page cache; with it 5 s, for 49 bytes an article)."""
    db["articles"].create_index(["content_hash"], if_not_exists=True)


PAGE_CACHE_KIB = 128 * 1024


def open_db(path: str | Path) -> Database:
    """Open (creating if needed) and migrate the database, in WAL mode so Datasette
    can read while a crawl writes."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = Database(path)
        db.enable_wal()
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("PRAGMA busy_timeout = 10000")
        # SQLite's default page cache (2 MB) holds little of the indexes of a big archive, which
        # a crawl's articles (random ids) touch all over: at 40,000 articles a bulk store read
        # 14 GB through the file system with it, 2 GB with this (a limit, not an allocation).
        db.execute(f"PRAGMA cache_size = -{PAGE_CACHE_KIB}")
        migrations.apply(db)
        runs.migrations.apply(db)  # crawl bookkeeping tables and columns (crawler/runs.py)
    except (OSError, sqlite3.DatabaseError) as exc:
        # "file is not a database" alone does not say which file.
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise DatabaseFileError(f"database {path}: {reason}") from exc
    return db


class DatabaseFileError(sqlite3.DatabaseError):
    """A database file that cannot be opened or migrated; the message names the file."""


OTHER_SOURCE = {
    "id": "other",
    "name": "Pages outside the registry (crawled from a URL list)",
    "kind": "other",
    "enabled": 1,
    "verified": "not a registry source",
}


def sync_sources(db: Database, sources: list[Source]) -> None:
    """Make the sources table mirror the registry (sources are never deleted, since
    stored articles keep pointing at them)."""
    rows = [
        {
            **row,
            "enabled": int(row["enabled"]),
            "homepage": source.homepage,
            "discovery": json.dumps(
                {
                    "feeds": list(source.feeds),
                    "sitemaps": list(source.sitemaps),
                    "listings": [asdict(listing) for listing in source.listings],
                }
            ),
        }
        for source, row in zip(sources, describe_sources(sources), strict=True)
    ]
    with db.atomic():
        db["sources"].upsert_all([*rows, OTHER_SOURCE], pk="id")
