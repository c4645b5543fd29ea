"""Scrapy pipeline: fill `Article.figures` from the body; the store pipeline writes them."""

from __future__ import annotations

from typing import Any

from crawler.items import Article

from .extract import extract_figures


class FiguresPipeline:
    """Thin wrapper around `extract_figures`; counts figures in the stats under "yrd/figures"."""

    def __init__(self, stats: Any = None) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Any) -> FiguresPipeline:
        return cls(crawler.stats)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, Article):
            item.figures = extract_figures(item.body, item.lang)
            if self.stats is not None:
                self.stats.inc_value("yrd/figures", len(item.figures))
                self.stats.inc_value("yrd/figures/articles")
        return item
