"""Discovery from XML sitemaps: plain, Google News, gzipped, and sitemap indexes."""

from __future__ import annotations

from collections.abc import Iterator

import scrapy
from scrapy.http import Response

from spiders.base import RegistrySpider
from spiders.discovery import is_older, sitemap_links


class SitemapSpider(RegistrySpider):
    """Follows sitemap entries that match the article pattern and are not older than `since`.

    Of a sitemap index, at most `max_pages` child sitemaps are read (indexes list the
    newest first on the sites seen), skipping those whose lastmod is before `since`.
    """

    def discovery_requests(self) -> Iterator[scrapy.Request]:
        yield from super().discovery_requests()
        for url in self.source.sitemaps:
            yield self.discovery_request(url, self.parse_sitemap)

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        max_size = self.settings.getint("DOWNLOAD_MAXSIZE", 0)
        kind, links = sitemap_links(response.body, max_size=max_size)
        if not links:
            self.logger.warning("Sitemap has no entries (format change?): %s", response.url)
            self.count("sitemap_empty")
            return
        if kind == "sitemapindex":
            children = [link for link in links if self.source.allows(link.url)]
            self.count("link_ignored", len(links) - len(children))
            fresh = [link for link in children if not is_older(link.published, self.since)]
            for link in fresh[: self.max_pages]:
                yield self.discovery_request(link.url, self.parse_sitemap)
            return
        yield from self.follow_dated_links(links)
