"""The base of every yrd-news spider: arguments, and turning an article response into an Article.

Discovery (feeds, sitemaps, listings) lives in the subclasses; what happens to an
article page is the same for all of them and is decided here, once.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Self

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.settings import BaseSettings
from twisted.python.failure import Failure

from crawler import db as database
from crawler.incremental import DISCOVERY, KnownPages, StoredPages, page_rejected
from crawler.items import Article
from crawler.pages import NotAnArticle
from crawler.sources import Source
from crawler.stats import DISCOVERY_FAILED, DROPPED, KNOWN, LINKED, READ, REQUESTED
from spiders.article import read_article
from spiders.discovery import Link, is_older, parse_max_pages, parse_since

DEFAULT_MAX_PAGES = 5


def reason_slug(reason: object) -> str:
    """A stats-key-safe form of a rejection reason ("no body text found" -> "no_body_text_found")."""
    slug = re.sub(r"[^a-z0-9]+", "_", str(reason).lower()).strip("_")
    return slug[:40] or "unknown"


def rejection_reason(exc: NotAnArticle) -> str:
    """The drop reason of a page the page object rejected ("binary content: a PDF" -> "binary_content")."""
    return reason_slug(str(exc).split(":", 1)[0])


class RegistrySpider(scrapy.Spider):
    """Common arguments (`since`, `max_pages`), incremental requests and `parse_article`
    for all spiders.

    Subclasses add discovery by extending `discovery_requests()`; a spider generated for a
    registry source combines the discovery classes its entry needs. Article links go
    through `article_request`, which skips the ones the database knows (crawler/incremental.py).
    """

    source: Source | None = None

    def __init__(
        self, *args: Any, since: str | None = None, max_pages: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.since_arg = since
        self.max_pages_arg = max_pages
        self.since: date | None = None
        self.max_pages = DEFAULT_MAX_PAGES
        self.known = KnownPages()

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.since = parse_since(spider.since_arg or settings.get("YRD_SINCE"))
        spider.max_pages = parse_max_pages(
            spider.max_pages_arg, settings.getint("YRD_MAX_PAGES", DEFAULT_MAX_PAGES)
        )
        spider.known = spider.load_known(settings)
        crawler.signals.connect(spider.known.close, signal=signals.spider_closed)
        return spider

    def load_known(self, settings: BaseSettings) -> KnownPages:
        """The article URLs the database (YRD_DB_PATH) has; none with YRD_REFRESH."""
        db_path = settings.get("YRD_DB_PATH")
        if settings.getbool("YRD_REFRESH") or not db_path or not Path(db_path).is_file():
            return KnownPages()
        source_id = self.source.id if self.source else None
        return StoredPages(database.open_db(db_path), source_id, self.this_run)

    def this_run(self) -> int | None:
        """The crawl run this spider reports to: `yrdnews crawl` names it in the settings; for
        a plain `scrapy crawl`, crawler/crawl.py's `RunRecorder` starts one as the spider opens."""
        if run_id := self.crawler.settings.getint("YRD_CRAWL_RUN_ID"):
            return run_id
        from crawler.crawl import RunRecorder  # crawler.crawl runs the spiders: imported late

        try:
            recorder = self.crawler.get_extension(RunRecorder)
        except RuntimeError:  # no extensions yet: a spider made outside a crawl (tests)
            return None
        return recorder.run_id if recorder else None

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for request in self.discovery_requests():
            yield request

    def discovery_requests(self) -> Iterator[scrapy.Request]:
        """The first requests of the crawl; each discovery class adds its own."""
        return iter(())

    def source_for(self, url: str) -> Source | None:
        """The registry source an article URL belongs to."""
        return self.source

    def count(self, key: str, n: int = 1) -> None:
        self.crawler.stats.inc_value(f"yrd/{key}", n)

    def discovery_request(
        self, url: str, callback: Callable[..., Any], **kwargs: Any
    ) -> scrapy.Request:
        """A feed, sitemap or listing request: fetched conditionally (the HTTP cache keeps
        these), and counted when it fails, so that the source's run is known to be incomplete."""
        return scrapy.Request(
            url, callback=callback, errback=self.discovery_failed, meta={DISCOVERY: True}, **kwargs
        )

    def discovery_failed(self, failure: Failure) -> None:
        # Already logged, in one line, by whoever failed it (crawler/outcomes.py, Scrapy's
        # HttpErrorMiddleware for an error status).
        self.crawler.stats.inc_value(DISCOVERY_FAILED)

    def article_request(self, url: str, dated: str | None = None) -> scrapy.Request | None:
        """A request for an article link, or None when the database has the page (counted)
        and no feed or sitemap date (`dated`) says it changed since it was fetched."""
        stats = self.crawler.stats
        if url in self.known and not self.known.changed_since_fetched(url, dated):
            stats.inc_value(KNOWN)
            return None
        stats.inc_value(REQUESTED)
        return scrapy.Request(url, callback=self.parse_article)

    def follow_dated_links(self, links: Iterable[Link]) -> Iterator[scrapy.Request]:
        """Requests for the feed or sitemap entries that are this source's articles, not
        older than `since` and not known; the others are counted."""
        for link in links:
            if not self.source.is_article_url(link.url):
                self.count("link_ignored")
                continue
            self.crawler.stats.inc_value(LINKED)
            if is_older(link.published, self.since):
                self.count("entry_before_since")
            elif request := self.article_request(link.url, link.published):
                yield request

    def parse_article(self, response: Response) -> Iterator[Article]:
        """Extract the article, or count (under yrd/dropped/) why the page is not one.

        What is wanted of an article (keywords, `since`, a body) is the processing chain's
        business (pipelines/chain.py), which drops and counts under the same prefix.
        """
        source = self.source_for(response.url)
        self.crawler.stats.inc_value(READ)
        try:
            article = read_article(response.body, response.url, response.headers, source)
        except NotAnArticle as exc:
            reason = rejection_reason(exc)
            self.logger.warning("Not an article (%s): %s", reason, response.url)
            self.crawler.stats.inc_value(DROPPED + reason)
            self.crawler.signals.send_catch_log(
                page_rejected,
                url=response.url,
                source_id=source.id if source else "other",
                reason=reason,
                response=response,
            )
            return
        article.source_id = source.id if source else "other"
        article.fetched_at = response.meta.get("yrd_fetched_at") or datetime.now(UTC).isoformat(
            timespec="seconds"
        )
        article.http_status = response.status
        article.warc = response.meta.get("yrd_warc")
        yield article
