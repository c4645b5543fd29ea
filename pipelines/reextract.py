"""`yrdnews reextract`: the processing chain run again over stored articles, without crawling.

By default the stored article is taken as it is and only what the chain derives from it
(figures, entities, the search entry) is rewritten: for when the extractors improve. With
`from_archive`, the page object first reads the article again from its archived WARC record,
so fixes to page extraction (title, body, dates) reach stored articles too.

An article the chain now drops, or whose record cannot be read, is left as it is stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from scrapy.exceptions import DropItem
from scrapy.http import Headers
from sqlite_utils import Database

from crawler.archive import ArchiveError, read_response
from crawler.items import Article
from crawler.pages import NotAnArticle
from crawler.stats import DROPPED
from crawler.storage import article_from_row, replace_extractions, store_article
from pipelines.chain import ChainContext, run_chain
from spiders.base import read_article, rejection_reason


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


def reextract(
    db: Database, ids: Iterable[int], ctx: ChainContext, *, from_archive: bool = False
) -> Iterator[Outcome]:
    """Re-extract each article, one transaction each; yields what happened to it."""
    for article_id in ids:
        row = db["articles"].get(article_id)
        try:
            article = article_from_archive(row, ctx) if from_archive else article_from_row(row)
            run_chain(article, ctx)
        except ArchiveError as exc:
            yield Outcome(article_id, "failed", reason=str(exc))
            continue
        except NotAnArticle as exc:  # counted as the crawl counts it
            ctx.count(DROPPED + rejection_reason(exc))
            yield Outcome(article_id, "dropped", reason=f"not an article: {exc}")
            continue
        except DropItem as exc:
            yield Outcome(article_id, "dropped", reason=str(exc))
            continue
        if from_archive:
            written = store_article(db, article, crawl_run_id=row["crawl_run_id"], kind=row["kind"])
        else:
            replace_extractions(db, article)
            written = "rewritten"
        yield Outcome(
            article_id,
            "unchanged" if written == "unchanged" else "rewritten",
            len(article.figures),
            len(article.mentions),
        )
