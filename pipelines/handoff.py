"""A worker's last pipeline: the article goes to the writer's Redis stream instead of SQLite."""

from __future__ import annotations

from typing import Self

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy_redis import connection

from crawler import handoff
from crawler.frontier import worker_id
from crawler.items import Article


class HandOffPipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.server = connection.from_settings(crawler.settings)
        self.stream = crawler.settings.get("YRD_STREAM", handoff.STREAM)
        self.worker = worker_id()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        pipeline = cls(crawler)
        # spider_closed, unlike close_spider, knows why the crawl ended.
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def process_item(self, item: Article) -> Article:
        handoff.add_article(self.server, self.stream, self.worker, item)
        self.crawler.stats.inc_value("yrd/handoff/articles")
        return item

    def spider_closed(self, spider: Spider, reason: str) -> None:
        stats = {
            k: v
            for k, v in self.crawler.stats.get_stats().items()
            if isinstance(v, int | float | str)
        }
        handoff.add_event(
            self.server,
            self.stream,
            self.worker,
            handoff.SPIDER_CLOSED,
            {"spider": spider.name, "reason": reason, "stats": stats},
        )
