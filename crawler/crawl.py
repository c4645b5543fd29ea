"""Running a crawl: `run_crawl(...)` runs the spiders of one invocation in one Scrapy process
and returns the run's record; `RunRecorder` is the Scrapy extension by which every crawler
reports to its run (crawler/runs.py keeps the record itself).

Spiders are found by name through Scrapy's spider loader (SPIDER_MODULES), so this module
does not import them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, Self

from scrapy import Spider, signals
from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings

from crawler import db as database
from crawler import runs
from crawler.archive import open_replay, warc_files
from crawler.sources import load_sources

URLS_SPIDER = "urls"


class CrawlError(ValueError):
    """Options that cannot make a crawl (unknown or disabled source, ...); one line."""


def project_settings() -> Settings:
    """The project's Scrapy settings (crawler/settings.py), as `scrapy` itself loads them."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    from scrapy.utils.project import get_project_settings

    return get_project_settings()


def _spider_names(sources: Sequence[str], with_urls: bool) -> list[str]:
    """The registry spiders to run: those asked for (checked), else every enabled one."""
    registry = load_sources()
    known = {source.id for source in registry}
    enabled = [source.id for source in registry if source.enabled]
    unknown = [s for s in sources if s not in known]
    if unknown:
        raise CrawlError(f"unknown source {', '.join(unknown)}; `yrdnews sources` lists them")
    disabled = [s for s in sources if s not in enabled]
    if disabled:
        raise CrawlError(
            f"source {', '.join(disabled)} is disabled in the registry (see its verified note)"
        )
    return list(sources) or ([] if with_urls else enabled)


# The archive was collected politely; replaying it touches no site.
REPLAY_SETTINGS = {
    "ROBOTSTXT_OBEY": False,
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
}


def plan_spiders(
    sources: Sequence[str], replay: Sequence[str], urls_file: str | None
) -> tuple[list[str], list[str]]:
    """The spiders to run (checked) and the replay archive's files; a bad archive fails here,
    in one line, not once per spider."""
    names = _spider_names(sources, with_urls=urls_file is not None)
    replay_files = [str(path) for path in warc_files(replay)] if replay else []
    if replay_files:
        open_replay(tuple(replay_files))
    return names + ([URLS_SPIDER] if urls_file else []), replay_files


def crawl_settings(
    overrides: Mapping[str, Any] | None, ours: Mapping[str, Any], replay_files: Sequence[str]
) -> Settings:
    """The project's settings with the user's `-s` overrides, then the invocation's own
    values (None: left as they are) and, when replaying, the replay's."""
    settings = project_settings()
    for name, value in (overrides or {}).items():
        settings.set(name, value, priority="cmdline")
    if replay_files:
        ours = {**ours, "YRD_REPLAY": list(replay_files), **REPLAY_SETTINGS}
    for name, value in ours.items():
        if value is not None:
            settings.set(name, value, priority="cmdline")
    return settings


def run_spiders(settings: Settings, spiders: Sequence[str], urls_file: str | None) -> str:
    """Run the spiders in one Scrapy process until all close; returns the run's status."""
    process = CrawlerProcess(settings)
    crawlers = []
    for name in spiders:
        crawler = process.create_crawler(name)
        process.crawl(crawler, **({"urls_file": urls_file} if name == URLS_SPIDER else {}))
        crawlers.append(crawler)
    process.start()
    return runs.run_status(c.stats.get_value("finish_reason") for c in crawlers)


def run_crawl(
    *,
    sources: Sequence[str] = (),
    replay: Sequence[str] = (),
    urls_file: str | None = None,
    since: date | None = None,
    max_pages: int | None = None,
    db_path: str = "data/yrdnews.db",
    data_dir: str = "data",
    overrides: Mapping[str, Any] | None = None,
) -> runs.CrawlRun:
    """Crawl the given sources (all enabled ones when none are given and no `urls_file`)
    into the database, every spider reporting to one run; returns the finished run.

    `replay` (WARC files or folders) answers every request from the archive instead of the
    network. `overrides` are Scrapy settings. Runs one Scrapy process, so call it once per
    Python process (Twisted's reactor cannot be restarted).
    """
    spiders, replay_files = plan_spiders(sources, replay, urls_file)
    db = database.open_db(db_path)
    try:
        run_id = runs.start_run(
            db, sources=spiders, replay=replay_files, since=since.isoformat() if since else None
        )
        ours = {
            "YRD_DB_PATH": db_path,
            "YRD_DATA_DIR": data_dir,
            "YRD_CRAWL_RUN_ID": run_id,
            "YRD_SINCE": since.isoformat() if since else None,
            "YRD_MAX_PAGES": max_pages,
        }
        settings = crawl_settings(overrides, ours, replay_files)
        status = "failed"
        try:
            status = run_spiders(settings, spiders, urls_file)
        finally:
            runs.finish_run(db, run_id, status)
        return runs.get_run(db, run_id)
    finally:
        db.close()


class RunRecorder:
    """Scrapy extension: the run a crawler reports to.

    Under `run_crawl` the run exists already (YRD_CRAWL_RUN_ID) and is shared by every
    spider of the invocation; a plain `scrapy crawl` starts a run of its own when the spider
    opens and finishes it when it closes. Either way the spider's stats are folded into the
    run when it closes.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.db_path = crawler.settings.get("YRD_DB_PATH")
        self.run_id: int | None = crawler.settings.getint("YRD_CRAWL_RUN_ID") or None
        self.owns_run = self.run_id is None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        recorder = cls(crawler)
        crawler.signals.connect(recorder.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(recorder.spider_closed, signal=signals.spider_closed)
        return recorder

    def spider_opened(self, spider: Spider) -> None:
        if not self.owns_run:
            return
        since = getattr(spider, "since", None)
        db = database.open_db(self.db_path)
        try:
            self.run_id = runs.start_run(
                db,
                sources=[spider.name],
                replay=self.crawler.settings.getlist("YRD_REPLAY"),
                since=since.isoformat() if since else None,
            )
        finally:
            db.close()

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.run_id is None:
            return
        db = database.open_db(self.db_path)
        try:
            runs.add_run_stats(db, self.run_id, spider.name, self.crawler.stats.get_stats())
            if self.owns_run:
                runs.finish_run(db, self.run_id, runs.run_status([reason]))
        finally:
            db.close()
