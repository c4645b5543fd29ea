"""Writes articles (with their figures and mentions) to SQLite, one transaction per
article, and keeps the crawl run's record: when it started, ended and what it counted."""

from __future__ import annotations

import logging
from typing import Self

from scrapy import Spider, signals
from scrapy.crawler import Crawler

from crawler import db as database
from crawler import storage
from crawler.items import Article
from crawler.sources import load_sources

logger = logging.getLogger(__name__)


class StorePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        settings = crawler.settings
        self.db_path = settings.get("YRD_DB_PATH")
        self.run_id: int | None = settings.getint("YRD_CRAWL_RUN_ID") or None
        self.owns_run = self.run_id is None
        self.kinds: dict[str, str] = {}
        self.db = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        pipeline = cls(crawler)
        # spider_closed, unlike close_spider, knows why the crawl ended.
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self) -> None:
        self.db = database.open_db(self.db_path)
        sources = load_sources()
        self.kinds = {source.id: source.kind for source in sources}
        database.sync_sources(self.db, sources)
        if self.owns_run:  # a plain `scrapy crawl`, not `yrdnews crawl`
            self.run_id = database.start_run(
                self.db, sources=[self.crawler.spider.name], replay=[], since=None
            )

    def process_item(self, item: Article) -> Article:
        outcome = storage.store_article(
            self.db, item, crawl_run_id=self.run_id, kind=self.kinds.get(item.source_id or "")
        )
        self.stats.inc_value(
            "yrd/articles/unchanged" if outcome == "unchanged" else "yrd/articles/stored"
        )
        return item

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.db is None:
            return
        database.add_run_stats(self.db, self.run_id, spider.name, self.stats.get_stats())
        if self.owns_run:
            database.finish_run(self.db, self.run_id, reason)
        self.db.close()
        self.db = None
