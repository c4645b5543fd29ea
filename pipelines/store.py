"""Writes articles (with their figures and mentions) to SQLite, one transaction per article,
each pointing at the crawl run that stored it (`crawler.crawl.RunRecorder` keeps the run)."""

from __future__ import annotations

from typing import Self

from scrapy.crawler import Crawler

from crawler import db as database
from crawler import storage
from crawler.crawl import RunRecorder
from crawler.items import Article
from crawler.sources import load_sources
from crawler.stats import STORED, UNCHANGED


class StorePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.db_path = crawler.settings.get("YRD_DB_PATH")
        self.kinds: dict[str, str] = {}
        self.run: RunRecorder | None = None
        self.db = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def open_spider(self) -> None:
        self.db = database.open_db(self.db_path)
        sources = load_sources()
        self.kinds = {source.id: source.kind for source in sources}
        database.sync_sources(self.db, sources)
        self.run = self.crawler.get_extension(RunRecorder)

    def process_item(self, item: Article) -> Article:
        outcome = storage.store_article(
            self.db,
            item,
            crawl_run_id=self.run.run_id if self.run else None,
            kind=self.kinds.get(item.source_id or ""),
        )
        self.stats.inc_value(UNCHANGED if outcome == "unchanged" else STORED)
        return item

    def close_spider(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None
