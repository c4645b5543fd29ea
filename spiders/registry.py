"""One spider class per enabled registry source, generated at import.

`scrapy list` and `scrapy crawl <source id>` find these like hand-written spiders. A
source's class combines the discovery classes its entry needs (feeds, sitemaps,
listings); selectors and date formats come from the registry, so most sites need no code.
"""

from __future__ import annotations

from collections.abc import Iterable

from crawler.sources import Source, load_sources
from spiders.base import RegistrySpider
from spiders.feed import FeedSpider
from spiders.listing import ListingSpider
from spiders.sitemap import SitemapSpider


def class_name(source_id: str) -> str:
    return "".join(part.capitalize() for part in source_id.split("_")) + "Spider"


def spider_class(source: Source) -> type[RegistrySpider]:
    """A spider class named after the source, with the discovery its entry declares."""
    bases = tuple(
        cls
        for cls, used in (
            (FeedSpider, source.feeds),
            (SitemapSpider, source.sitemaps),
            (ListingSpider, source.listings),
        )
        if used
    )
    return type(
        class_name(source.id),
        bases,
        {
            "name": source.id,
            "source": source,
            "allowed_domains": list(source.allowed_domains),
            "__module__": __name__,
            "__doc__": f"{source.name} ({source.kind}, {source.region}).",
        },
    )


def build_spiders(sources: Iterable[Source]) -> dict[str, type[RegistrySpider]]:
    """Spider classes by source id, for the enabled sources."""
    return {s.id: spider_class(s) for s in sources if s.enabled}


SPIDERS = build_spiders(load_sources())
globals().update({cls.__name__: cls for cls in SPIDERS.values()})
