"""Writes articles (with their figures and mentions) to SQLite, each pointing at the crawl run
that stored it (`crawler.crawl.RunRecorder` keeps the run). Articles are committed in batches
(`crawler.storage.Batch`: every 100 articles or every second), and counted in the crawl's
stats only once committed, so a killed crawl's counts never include what it lost; the pages
it lost are not in the database, so a resumed crawl requests them again.

It also remembers the article URLs that hold no article of their own, so that incremental
crawls do not request them again (crawler/incremental.py): the URLs a stored article was
redirected from, and pages dropped for good (by the processing chain or the page object).
When the last spider of the process writing to a database closes, the post-store step
clusters what they stored into stories, all together: the earliest copy founds its story,
whichever spider finished first (clustering per spider made a story's id depend on timing).
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any, ClassVar, Self

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from sqlite_utils import Database

from crawler import db as database
from crawler import storage
from crawler.crawl import RunRecorder
from crawler.incremental import OPTION_DROPS, page_rejected
from crawler.items import Article, KnownPage
from crawler.sources import load_sources
from crawler.stats import NEW, STORED, STORIES, UNCHANGED, UPDATED
from pipelines.stories import update_stories

logger = logging.getLogger(__name__)

OUTCOME_KEYS = {"inserted": (NEW, STORED), "updated": (UPDATED, STORED), "unchanged": (UNCHANGED,)}


class StorePipeline:
    # Open pipelines of this process per database: the last to close clusters the stories.
    writing: ClassVar[Counter[str]] = Counter()

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.db_path = crawler.settings.get("YRD_DB_PATH")
        self.kinds: dict[str, str] = {}
        self.run: RunRecorder | None = None
        self.db = None
        self.batch: storage.Batch | None = None
        from twisted.internet import task  # the reactor is installed by now

        # A batch is committed when it is due or, when no article comes, by this timer.
        self.timer = task.LoopingCall(self.commit)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        pipeline = cls(crawler)
        crawler.signals.connect(pipeline.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(pipeline.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(pipeline.page_rejected, signal=page_rejected)
        return pipeline

    def open_spider(self) -> None:
        self.db = database.open_db(self.db_path)
        self.writing[self.db_path] += 1  # taken back in close_spider whenever a db was opened
        sources = load_sources()
        self.kinds = {source.id: source.kind for source in sources}
        database.sync_sources(self.db, sources)
        self.run = self.crawler.get_extension(RunRecorder)
        self.batch = storage.Batch(self.db)
        self.timer.start(self.batch.seconds, now=False)

    def commit(self) -> None:
        try:
            self.batch.commit()
        except Exception:  # the timer's: a failed commit must not stop later ones
            logger.exception("Could not store a batch of articles")

    @property
    def run_id(self) -> int | None:
        return self.run.run_id if self.run else None

    def process_item(self, item: Article) -> Article:
        run_id, kind = self.run_id, self.kinds.get(item.source_id or "")

        def write(db: Database) -> str | None:
            try:
                return storage.store_article(db, item, crawl_run_id=run_id, kind=kind)
            except storage.IdCollision as exc:
                logger.error("Not stored: %s", exc)  # counted as a logged error
                return None

        self.batch.add(write, self.count)
        return item

    def count(self, outcome: str | None) -> None:
        for key in OUTCOME_KEYS.get(outcome, ()):
            self.stats.inc_value(key)

    def remember(self, url: str, source_id: str | None, outcome: str, **details: Any) -> None:
        if self.batch is not None:
            page = KnownPage(url=url, source_id=source_id, outcome=outcome, **details)
            run_id = self.run_id
            self.batch.add(lambda db: storage.record_known_page(db, page, crawl_run_id=run_id))

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
        if self.timer.running:
            self.timer.stop()
        if self.db is not None:
            self.writing[self.db_path] -= 1
            self.batch.commit()
            if not self.writing[self.db_path]:
                report = update_stories(self.db)
                self.stats.inc_value(STORIES + "clustered", report.clustered)
                self.stats.inc_value(STORIES + "copies", report.exact + report.near)
            self.db.close()
            self.db = None
