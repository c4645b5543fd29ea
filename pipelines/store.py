"""Writes articles (with their figures and mentions) to SQLite, one transaction per article,
each pointing at the crawl run that stored it (`crawler.crawl.RunRecorder` keeps the run).

It also remembers the article URLs that hold no article of their own, so that incremental
crawls do not request them again (crawler/incremental.py): the URLs a stored article was
redirected from, and pages dropped for good (by the processing chain or the page object).
When the spider closes, the post-store step clusters what it stored into stories.
"""

from __future__ import annotations

from typing import Any, Self

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.http import Response

from crawler import db as database
from crawler import storage
from crawler.crawl import RunRecorder
from crawler.incremental import OPTION_DROPS, page_rejected
from crawler.items import Article, KnownPage
from crawler.sources import load_sources
from crawler.stats import NEW, STORED, STORIES, UNCHANGED, UPDATED
from pipelines.stories import update_stories

OUTCOME_KEYS = {"inserted": (NEW, STORED), "updated": (UPDATED, STORED), "unchanged": (UNCHANGED,)}


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
        pipeline = cls(crawler)
        crawler.signals.connect(pipeline.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(pipeline.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(pipeline.page_rejected, signal=page_rejected)
        return pipeline

    def open_spider(self) -> None:
        self.db = database.open_db(self.db_path)
        sources = load_sources()
        self.kinds = {source.id: source.kind for source in sources}
        database.sync_sources(self.db, sources)
        self.run = self.crawler.get_extension(RunRecorder)

    @property
    def run_id(self) -> int | None:
        return self.run.run_id if self.run else None

    def process_item(self, item: Article) -> Article:
        outcome = storage.store_article(
            self.db, item, crawl_run_id=self.run_id, kind=self.kinds.get(item.source_id or "")
        )
        for key in OUTCOME_KEYS[outcome]:
            self.stats.inc_value(key)
        return item

    def remember(self, url: str, source_id: str | None, outcome: str, **details: Any) -> None:
        if self.db is not None:
            page = KnownPage(url=url, source_id=source_id, outcome=outcome, **details)
            storage.record_known_page(self.db, page, crawl_run_id=self.run_id)

    def item_scraped(self, item: Any, response: Response) -> None:
        if isinstance(item, Article):
            for url in response.meta.get("redirect_urls", ()):
                self.remember(url, item.source_id, "redirected", article_id=item.id)

    def item_dropped(self, item: Any, response: Response | None, exception: Exception) -> None:
        reasons = list(getattr(exception, "reasons", ()))  # set by pipelines/chain.py
        if isinstance(item, Article) and reasons and not OPTION_DROPS.intersection(reasons):
            urls = [item.url, *(response.meta.get("redirect_urls", ()) if response else ())]
            for url in urls:
                self.remember(url, item.source_id, "dropped", reason=",".join(reasons))

    def page_rejected(
        self, url: str, source_id: str | None, reason: str, response: Response
    ) -> None:
        for each in (url, *response.meta.get("redirect_urls", ())):
            self.remember(each, source_id, "dropped", reason=reason)

    def close_spider(self) -> None:
        if self.db is not None:
            report = update_stories(self.db)
            self.stats.inc_value(STORIES + "clustered", report.clustered)
            self.stats.inc_value(STORIES + "copies", report.exact + report.near)
            self.db.close()
            self.db = None
