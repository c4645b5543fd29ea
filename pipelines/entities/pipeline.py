"""Scrapy pipeline: fill `Article.mentions` from the body; the store pipeline writes them."""

from __future__ import annotations

from typing import Any

from crawler.items import Article

from .extract import extract_entities


class EntitiesPipeline:
    """Thin wrapper around `extract_entities`; counts mentions in the stats under "yrd/mentions"."""

    def __init__(self, stats: Any = None) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Any) -> EntitiesPipeline:
        return cls(crawler.stats)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, Article):
            item.mentions = extract_entities(item.body, item.lang)
            if self.stats is not None:
                self.stats.inc_value("yrd/mentions", len(item.mentions))
                self.stats.inc_value("yrd/mentions/articles")
        return item
