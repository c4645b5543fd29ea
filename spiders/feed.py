"""Discovery from RSS and Atom feeds."""

from __future__ import annotations

from collections.abc import Iterator

import scrapy
from scrapy.http import Response

from spiders.base import RegistrySpider
from spiders.discovery import feed_links


class FeedSpider(RegistrySpider):
    """Follows the entries of the source's feeds that match its article pattern."""

    def discovery_requests(self) -> Iterator[scrapy.Request]:
        yield from super().discovery_requests()
        for url in self.source.feeds:
            yield self.discovery_request(url, self.parse_feed)

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request]:
        links = feed_links(response.body, response.url)
        if not links:
            self.logger.warning("Feed has no entries (format change?): %s", response.url)
            self.count("feed_empty")
        yield from self.follow_dated_links(links)
