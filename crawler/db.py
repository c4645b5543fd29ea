"""The SQLite database: schema (as sqlite-utils migrations) and the one function that
writes an article with everything extracted from it in a single transaction (search
segmentation is crawler/search.py)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database, Migrations

from crawler.items import Article, Entity, Figure, WarcRef
from crawler.search import FTS_TOKENIZER, segment
from crawler.sources import Source, describe_sources

migrations = Migrations("yrdnews")


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@migrations()
def m001_initial(db: Database) -> None:
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
    # Column order is what Datasette shows: what a reader scans first, the long body last.
    db["articles"].create(
        {
            "id": int,
            "title": str,
            "published_at": str,
            "source_id": str,
            "kind": str,
            "lang": str,
            "url": str,
            "dateline": str,
            "author": str,
            "section": str,
            "description": str,
            "site_name": str,
            "published_month": str,
            "updated_at": str,
            "canonical_url": str,
            "encoding": str,
            "content_hash": str,
            "fetched_at": str,
            "http_status": int,
            "warc_file": str,
            "warc_record_id": str,
            "warc_offset": int,
            "crawl_run_id": int,
            "stored_at": str,
            "body": str,
        },
        pk="id",
        not_null={"url", "canonical_url", "body"},
        foreign_keys=[("source_id", "sources", "id"), ("crawl_run_id", "crawl_runs", "id")],
    )
    db["articles"].create_index(["url"], unique=True)
    db["articles"].create_index(["published_at"])
    db["articles"].create_index(["source_id"])
    db.execute(
        f"CREATE VIRTUAL TABLE articles_fts USING fts5(title, body, tokenize = '{FTS_TOKENIZER}')"
    )
    db["figures"].create(
        {
            "article_id": int,
            "idx": int,
            "kind": str,
            "text": str,
            "value": float,
            "scale": str,
            "normalized": float,
            "currency": str,
            "unit": str,
            "qualifier": str,
            "bound": str,
            "metric": str,
            "counted": str,
            "change": str,
            "direction": str,
            "period": str,
            "year": int,
            "subject": str,
            "equivalent_of": int,
            "normalized_unit": str,
            "currency_implied": int,
            "start": int,
            "end": int,
            "sentence": str,
            "sentence_start": int,
        },
        pk=("article_id", "idx"),
        foreign_keys=[("article_id", "articles", "id")],
    )
    db["figures"].create_index(["kind", "currency"])
    db["figures"].create_index(["metric"])
    db["entities"].create(
        {
            "id": str,
            "type": str,
            "subtype": str,
            "name": str,
            "name_zh": str,
            "code": str,
            "parent_code": str,
            "province": str,
            "city": str,
            "latitude": float,
            "longitude": float,
            "aliases": str,
        },
        pk="id",
    )
    db["entities"].create_index(["type", "subtype"])
    db["mentions"].create(
        {
            "article_id": int,
            "idx": int,
            "entity_id": str,
            "text": str,
            "title": str,
            "roles": str,
            "start": int,
            "end": int,
            "sentence": str,
            "sentence_start": int,
        },
        pk=("article_id", "idx"),
        foreign_keys=[("article_id", "articles", "id"), ("entity_id", "entities", "id")],
    )
    db["mentions"].create_index(["entity_id"])
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


def open_db(path: str | Path) -> Database:
    """Open (creating if needed) and migrate the database, in WAL mode so Datasette
    can read while a crawl writes."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    db = Database(path)
    db.enable_wal()
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA busy_timeout = 10000")
    migrations.apply(db)
    return db


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


def content_hash(article: Article) -> str:
    """Fingerprint of what was extracted; an unchanged page re-crawled is not rewritten."""
    payload = {
        "article": {
            k: v
            for k, v in asdict(article).items()
            if k not in {"fetched_at", "warc", "figures", "mentions"}
        },
        "figures": [f.to_dict() for f in article.figures],
        "mentions": [m.to_dict() for m in article.mentions],
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _article_row(
    article: Article, digest: str, crawl_run_id: int | None, kind: str | None
) -> dict[str, Any]:
    return {
        "id": article.id,
        "url": article.url,
        "canonical_url": article.canonical_url,
        "source_id": article.source_id,
        "title": article.title,
        "body": article.body,
        "published_at": article.published_at,
        "published_month": article.published_at[:7] if article.published_at else None,
        "updated_at": article.updated_at,
        "author": article.author,
        "dateline": article.dateline,
        "lang": article.lang,
        "section": article.section,
        "description": article.description,
        "site_name": article.site_name,
        "kind": kind,
        "encoding": article.encoding,
        "content_hash": digest,
        "fetched_at": article.fetched_at,
        "http_status": article.http_status,
        "warc_file": article.warc.filename if article.warc else None,
        "warc_record_id": article.warc.record_id if article.warc else None,
        "warc_offset": article.warc.offset if article.warc else None,
        "crawl_run_id": crawl_run_id,
        "stored_at": utc_now(),
    }


def article_from_row(row: dict[str, Any]) -> Article:
    """The stored article as the pipelines saw it, so extraction can run again."""
    fields = {f for f in Article.__dataclass_fields__} - {"warc", "figures", "mentions"}
    article = Article(**{k: row[k] for k in fields if k in row})
    if row.get("warc_file"):
        article.warc = WarcRef(row["warc_file"], row["warc_record_id"], row["warc_offset"])
    return article


def _figure_row(article_id: int, idx: int, figure: Figure) -> dict[str, Any]:
    return {"article_id": article_id, "idx": idx, **figure.to_dict()}


def _entity_row(entity: Entity) -> dict[str, Any]:
    return {"id": entity.id, **asdict(entity)}


def _merge_aliases(db: Database, entity_id: str, surfaces: set[str]) -> str:
    existing = db.execute("select aliases from entities where id = ?", [entity_id]).fetchone()
    aliases = set(json.loads(existing[0])) if existing and existing[0] else set()
    return json.dumps(sorted(aliases | surfaces), ensure_ascii=False)


def _replace_extractions(db: Database, article: Article) -> None:
    """Everything derived from the article's text: search entry, figures, mentions."""
    db.execute("delete from articles_fts where rowid = ?", [article.id])
    db.execute(
        "insert into articles_fts (rowid, title, body) values (?, ?, ?)",
        [article.id, segment(article.title), segment(article.body)],
    )
    db.execute("delete from figures where article_id = ?", [article.id])
    db.execute("delete from mentions where article_id = ?", [article.id])
    db["figures"].insert_all(
        (_figure_row(article.id, i, f) for i, f in enumerate(article.figures)),
        pk=("article_id", "idx"),
    )
    surfaces: dict[str, set[str]] = {}
    entities: dict[str, Entity] = {}
    for mention in article.mentions:
        entities[mention.entity.id] = mention.entity
        surfaces.setdefault(mention.entity.id, set()).add(mention.text)
    for entity_id, entity in entities.items():
        row = _entity_row(entity)
        row["aliases"] = _merge_aliases(db, entity_id, surfaces[entity_id])
        db["entities"].upsert(row, pk="id")
    db["mentions"].insert_all(
        (
            {
                "article_id": article.id,
                "idx": i,
                "entity_id": m.entity.id,
                "text": m.text,
                "title": m.title,
                "roles": json.dumps(m.roles, ensure_ascii=False) if m.roles else None,
                "start": m.start,
                "end": m.end,
                "sentence": m.sentence,
                "sentence_start": m.sentence_start,
            }
            for i, m in enumerate(article.mentions)
        ),
        pk=("article_id", "idx"),
    )


class IdCollision(ValueError):
    """Two canonical URLs with the same article id."""


def store_article(
    db: Database, article: Article, *, crawl_run_id: int | None = None, kind: str | None = None
) -> str:
    """Write one article, its search entry, figures and mentions atomically.

    Returns "inserted", "updated" or "unchanged". Re-storing an identical extraction
    changes nothing, so crawling the same archive twice leaves the same rows.
    """
    digest = content_hash(article)
    existing = db.execute(
        "select content_hash, canonical_url from articles where id = ?", [article.id]
    ).fetchone()
    if existing and existing[1] != article.canonical_url:
        # 52-bit ids make this vanishingly rare; never let it overwrite another article.
        raise IdCollision(f"{article.canonical_url} has the id of {existing[1]} ({article.id})")
    if existing and existing[0] == digest:
        return "unchanged"
    with db.atomic():
        # A page whose canonical URL changed gets a new id; drop the row under its old id.
        stale = db.execute(
            "select id from articles where url = ? and id != ?", [article.url, article.id]
        ).fetchall()
        for (stale_id,) in stale:
            delete_article(db, stale_id)
        db["articles"].upsert(_article_row(article, digest, crawl_run_id, kind), pk="id")
        _replace_extractions(db, article)
    return "updated" if existing else "inserted"


def replace_extractions(db: Database, article: Article) -> None:
    """Store a new search entry, figures and mentions for an already stored article
    (`yrdnews reextract`, after the extractors or the segmentation improve)."""
    with db.atomic():
        _replace_extractions(db, article)
        db.execute(
            "update articles set content_hash = ? where id = ?", [content_hash(article), article.id]
        )


def delete_article(db: Database, article_id: int) -> None:
    db.execute("delete from figures where article_id = ?", [article_id])
    db.execute("delete from mentions where article_id = ?", [article_id])
    db.execute("delete from articles_fts where rowid = ?", [article_id])
    db.execute("delete from articles where id = ?", [article_id])


def start_run(db: Database, *, sources: list[str], replay: list[str], since: str | None) -> int:
    """Record a crawl run as running; runs left running by a killed process are marked
    interrupted first, so crawl health never shows a dead run as live."""
    with db.atomic():
        db.execute("update crawl_runs set status = 'interrupted' where status = 'running'")
        table = db["crawl_runs"]
        table.insert(
            {
                "started_at": utc_now(),
                "status": "running",
                "sources": json.dumps(sources),
                "replay": json.dumps(replay) if replay else None,
                "since": since,
                "requests": 0,
                "responses": 0,
                "articles": 0,
                "articles_unchanged": 0,
                "errors": 0,
                "replay_misses": 0,
                "drops": "{}",
                "stats": "{}",
            }
        )
        return int(table.last_pk)


def add_run_stats(db: Database, run_id: int, spider_name: str, stats: dict[str, Any]) -> None:
    """Fold one spider's Scrapy stats into its crawl run's counters."""
    drops = {
        key.removeprefix("yrd/"): value
        for key, value in stats.items()
        if key.startswith(("yrd/dropped/", "yrd/article_dropped/", "yrd/article_rejected/"))
    }
    increments = {
        "requests": stats.get("downloader/request_count", 0),
        "responses": stats.get("downloader/response_count", 0),
        "articles": stats.get("yrd/articles/stored", 0),
        "articles_unchanged": stats.get("yrd/articles/unchanged", 0),
        "errors": stats.get("log_count/ERROR", 0) + stats.get("spider_exceptions/count", 0),
        "replay_misses": stats.get("yrd/replay/miss", 0),
    }
    with db.atomic():
        row = db["crawl_runs"].get(run_id)
        merged_drops = json.loads(row["drops"] or "{}")
        for key, value in drops.items():
            merged_drops[key] = merged_drops.get(key, 0) + value
        all_stats = json.loads(row["stats"] or "{}")
        all_stats[spider_name] = {
            k: v for k, v in stats.items() if isinstance(v, (int, float, str))
        }
        updates = {key: (row[key] or 0) + value for key, value in increments.items()}
        updates["drops"] = json.dumps(merged_drops, sort_keys=True)
        updates["stats"] = json.dumps(all_stats, default=str, sort_keys=True)
        db["crawl_runs"].update(run_id, updates)


def finish_run(db: Database, run_id: int, status: str) -> None:
    with db.atomic():
        db["crawl_runs"].update(run_id, {"finished_at": utc_now(), "status": status})
