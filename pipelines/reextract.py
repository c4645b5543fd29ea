"""`yrdnews reextract`: the processing chain run again over stored articles, without crawling.

By default the stored article is taken as it is and only what the chain derives from it
(figures, entities, the search entry) is rewritten: for when the extractors improve. With
`from_archive`, the page object first reads the article again from its archived WARC record,
so fixes to page extraction (title, body, dates) reach stored articles too.

An article the chain now drops, or whose record cannot be read, is left as it is stored.
Re-extracted articles are committed in batches (`crawler.storage.Batch`); one stopped midway
leaves each article either as it was or re-extracted, and running it again finishes the work.
"""

from __future__ import annotations

import multiprocessing
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from scrapy.exceptions import DropItem
from scrapy.http import Headers
from sqlite_utils import Database

from crawler.archive import ArchiveError, read_response
from crawler.items import Article
from crawler.pages import NotAnArticle
from crawler.stats import DROPPED, Tally
from crawler.storage import Batch, article_from_row, replace_extractions, store_article
from pipelines.chain import ChainContext, run_chain
from spiders.article import read_article
from spiders.base import rejection_reason


@dataclass(frozen=True)
class Outcome:
    """What re-extraction did to one article."""

    article_id: int
    status: str  # rewritten | unchanged | dropped | failed
    figures: int = 0
    mentions: int = 0
    reason: str | None = None  # why dropped or failed


def article_ids(db: Database, sources: Iterable[str] = ()) -> list[int]:
    """The stored articles to re-extract: all, or those of the given sources."""
    sources = list(sources)
    where = f"where source_id in ({', '.join('?' for _ in sources)})" if sources else ""
    return [row[0] for row in db.execute(f"select id from articles {where} order by id", sources)]


def stored_row(db: Database, article_id: int) -> dict[str, Any]:
    """The article's stored row by column name (a plain query: no look at the table's schema)."""
    cursor = db.execute("select * from articles where id = ?", [article_id])
    return dict(zip((column[0] for column in cursor.description), cursor.fetchone(), strict=True))


def article_from_archive(row: Mapping[str, Any], ctx: ChainContext) -> Article:
    """The stored article read again by the page object from the WARC record it points to."""
    stored = article_from_row(row)
    if stored.warc is None or stored.warc.offset is None:
        raise ArchiveError("no archived record")
    archived = read_response(stored.warc.filename, stored.warc.offset)
    if archived.ref.record_id != stored.warc.record_id:
        raise ArchiveError(
            f"{stored.warc.filename}: the record at offset {stored.warc.offset} is "
            f"{archived.ref.record_id}, not {stored.warc.record_id}"
        )
    headers = Headers(archived.headers)  # as the crawl's response had them
    article = read_article(
        archived.body, stored.url, headers, ctx.sources.get(stored.source_id or "")
    )
    article.source_id = stored.source_id
    article.fetched_at = stored.fetched_at
    article.http_status = stored.http_status
    article.warc = stored.warc
    return article


def prepare(row: Mapping[str, Any], ctx: ChainContext, *, from_archive: bool) -> Article | Outcome:
    """The article re-extracted by the chain (nothing written), or why it is left as stored."""
    article_id = row["id"]
    try:
        article = article_from_archive(row, ctx) if from_archive else article_from_row(row)
        run_chain(article, ctx)
    except ArchiveError as exc:
        return Outcome(article_id, "failed", reason=str(exc))
    except NotAnArticle as exc:  # counted as the crawl counts it
        ctx.count(DROPPED + rejection_reason(exc))
        return Outcome(article_id, "dropped", reason=f"not an article: {exc}")
    except DropItem as exc:
        return Outcome(article_id, "dropped", reason=str(exc))
    return article


def write(db: Database, article: Article, row: Mapping[str, Any], *, from_archive: bool) -> Outcome:
    """Store a re-extracted article (whole: a transaction, or a savepoint of the caller's)."""
    if from_archive:
        written = store_article(db, article, crawl_run_id=row["crawl_run_id"], kind=row["kind"])
    else:
        replace_extractions(db, article)
        written = "rewritten"
    return Outcome(
        row["id"],
        "unchanged" if written == "unchanged" else "rewritten",
        len(article.figures),
        len(article.mentions),
    )


def reextract(
    db: Database,
    ids: Iterable[int],
    ctx: ChainContext,
    *,
    from_archive: bool = False,
    workers: int = 1,
) -> Iterator[Outcome]:
    """Re-extract each article; yields what happened to it, in order, once it is committed
    (articles are written in batches, `crawler.storage.Batch`).

    With several `workers`, that many processes read and re-extract (each on its own
    read-only connection) while this process stays the only writer.
    """
    batch: Batch[Outcome] = Batch(db)
    committed: list[Outcome] = []
    for row, prepared in _prepared(db, ids, ctx, from_archive=from_archive, workers=workers):
        if isinstance(prepared, Outcome):
            batch.add(lambda _db, outcome=prepared: outcome, committed.append)
        else:
            batch.add(
                lambda db, article=prepared, row=row: write(
                    db, article, row, from_archive=from_archive
                ),
                committed.append,
            )
        yield from committed
        committed.clear()
    batch.commit()
    yield from committed


def _prepared(
    db: Database, ids: Iterable[int], ctx: ChainContext, *, from_archive: bool, workers: int
) -> Iterator[tuple[dict[str, Any], Article | Outcome]]:
    """Each article's stored row and what `prepare` made of it, in order."""
    if workers <= 1:
        for article_id in ids:
            row = stored_row(db, article_id)
            yield row, prepare(row, ctx, from_archive=from_archive)
        return
    (_, _, path) = db.execute("pragma database_list").fetchone()
    # Forked: the workers start with every module loaded; each opens its own read-only
    # connection and never uses this process's.
    forked = multiprocessing.get_context("fork")
    shared = replace(ctx, stats=None)
    with forked.Pool(
        workers, initializer=_start_worker, initargs=(path, shared, from_archive)
    ) as pool:
        for article_id, prepared, counts in pool.imap(_prepare_in_worker, ids, chunksize=4):
            for key, n in counts.items():
                ctx.count(key, n)
            row = stored_row(db, article_id)
            yield row, prepared if isinstance(prepared, Outcome) else Article.from_json(prepared)


_worker: dict[str, Any] = {}


def _start_worker(path: str, ctx: ChainContext, from_archive: bool) -> None:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    _worker.update(db=Database(connection), ctx=ctx, from_archive=from_archive)


def _prepare_in_worker(article_id: int) -> tuple[int, str | Outcome, dict[str, int]]:
    """In a worker process: the article as lossless JSON (or its outcome), with the stats
    its chain counted, for the writer to store and add up."""
    tally = Tally()
    row = stored_row(_worker["db"], article_id)
    prepared = prepare(
        row, replace(_worker["ctx"], stats=tally), from_archive=_worker["from_archive"]
    )
    return (
        article_id,
        prepared if isinstance(prepared, Outcome) else prepared.to_json(),
        dict(tally),
    )
