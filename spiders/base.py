"""The base of every yrd-news spider: arguments, and turning an article response into an Article.

Discovery (feeds, sitemaps, listings) lives in the subclasses; what happens to an
article page is the same for all of them and is decided here, once.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from datetime import UTC, date, datetime
from typing import Any, Self

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response

from crawler.items import Article
from crawler.pages import NotAnArticle, extract_article
from crawler.sources import Source
from crawler.stats import DROPPED
from spiders.discovery import is_older, parse_max_pages, parse_since

DEFAULT_MAX_PAGES = 5


def read_article(
    body: bytes, url: str, headers: Mapping[Any, Any] | None, source: Source | None
) -> Article:
    """The page object run as its source asks (selectors, date format); NotAnArticle if not one.

    The crawl, `yrdnews extract` and `yrdnews reextract --from-archive` all read pages this way.
    """
    return extract_article(
        body,
        url,
        headers,
        selectors=source.selectors if source else None,
        date_format=source.date_format if source else None,
    )


def reason_slug(reason: object) -> str:
    """A stats-key-safe form of a rejection reason ("no body text found" -> "no_body_text_found")."""
    slug = re.sub(r"[^a-z0-9]+", "_", str(reason).lower()).strip("_")
    return slug[:40] or "unknown"


def rejection_reason(exc: NotAnArticle) -> str:
    """The drop reason of a page the page object rejected ("binary content: a PDF" -> "binary_content")."""
    return reason_slug(str(exc).split(":", 1)[0])


class RegistrySpider(scrapy.Spider):
    """Common arguments (`since`, `max_pages`) and `parse_article` for all spiders.

    Subclasses add discovery by extending `discovery_requests()`; a spider generated for a
    registry source combines the discovery classes its entry needs.
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

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.since = parse_since(spider.since_arg or settings.get("YRD_SINCE"))
        spider.max_pages = parse_max_pages(
            spider.max_pages_arg, settings.getint("YRD_MAX_PAGES", DEFAULT_MAX_PAGES)
        )
        return spider

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

    def article_request(self, url: str) -> scrapy.Request:
        return scrapy.Request(url, callback=self.parse_article)

    def follow_dated_links(self, links: Iterable[Any]) -> Iterator[scrapy.Request]:
        """Requests for the feed or sitemap entries that are this source's articles and
        not older than `since`; the others are counted."""
        for link in links:
            if not self.source.is_article_url(link.url):
                self.count("link_ignored")
            elif is_older(link.published, self.since):
                self.count("entry_before_since")
            else:
                yield self.article_request(link.url)

    def parse_article(self, response: Response) -> Iterator[Article]:
        """Extract the article, or count (under yrd/dropped/) why the page is not one.

        What is wanted of an article (keywords, `since`, a body) is the processing chain's
        business (pipelines/chain.py), which drops and counts under the same prefix.
        """
        source = self.source_for(response.url)
        try:
            article = read_article(response.body, response.url, response.headers, source)
        except NotAnArticle as exc:
            reason = rejection_reason(exc)
            self.logger.warning("Not an article (%s): %s", reason, response.url)
            self.crawler.stats.inc_value(DROPPED + reason)
            return
        article.source_id = source.id if source else "other"
        article.fetched_at = response.meta.get("yrd_fetched_at") or datetime.now(UTC).isoformat(
            timespec="seconds"
        )
        article.http_status = response.status
        article.warc = response.meta.get("yrd_warc")
        yield article
