"""Discovery from listing pages: article links by URL pattern, pagination by next-page pattern."""

from __future__ import annotations

from collections.abc import Iterator

import scrapy
from scrapy.http import Response

from crawler.dates import date_from_url
from crawler.sources import Listing
from crawler.stats import LINKED
from spiders.base import RegistrySpider
from spiders.discovery import is_older, listing_links, next_page


class ListingSpider(RegistrySpider):
    """Reads each listing page and its next pages, at most `max_pages` per listing.

    A page without any article link means the site changed its layout (or moved the
    list into JavaScript): that is logged as a warning and counted as yrd/listing_empty.
    Pagination stops early at a page whose links are all older than `since` (dates in
    URLs) or settled (crawler/incremental.py).
    """

    def discovery_requests(self) -> Iterator[scrapy.Request]:
        yield from super().discovery_requests()
        for listing in self.source.listings:
            yield self.listing_request(listing.url, listing, 1)

    def listing_request(self, url: str, listing: Listing, page: int) -> scrapy.Request:
        return self.discovery_request(
            url, self.parse_listing, cb_kwargs={"listing": listing, "page": page}
        )

    def parse_listing(
        self, response: Response, listing: Listing, page: int
    ) -> Iterator[scrapy.Request]:
        if not hasattr(response, "css"):
            self.logger.warning("Listing is not HTML: %s", response.url)
            self.count("listing_empty")
            return
        articles, pages = listing_links(
            response.css("a::attr(href)").getall(),
            response.url,
            listing.article_pattern,
            listing.next_page_pattern,
            self.source.allowed_domains,
        )
        if not articles:
            self.logger.warning(
                "Listing yields no article links (layout change?): %s", response.url
            )
            self.count("listing_empty")
        self.crawler.stats.inc_value(LINKED, len(articles))
        fresh = [url for url in articles if not is_older(date_from_url(url), self.since)]
        self.count("entry_before_since", len(articles) - len(fresh))
        for url in fresh:
            if request := self.article_request(url):
                yield request
        if articles and all(self.known.is_settled(url) for url in fresh):
            # Everything here predates `since` or was found by a complete earlier walk of the
            # listing: later pages are older still, or were read by that walk.
            return
        following = next_page(response.url, pages, listing.next_page_pattern)
        if following and page < self.max_pages:
            yield self.listing_request(following, listing, page + 1)
