"""`yrdnews worker`: the registry's spiders on a shared Redis frontier (crawler/frontier.py),
handing their articles to the writer's stream (crawler/handoff.py) instead of a database.

Any number of workers on any number of machines join one frontier by using the same Redis
server and frontier name; each writes its own WARC files (host and process in their names).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy_redis import connection

from crawler import handoff
from crawler.frontier import frontier_keys, worker_id


def worker_settings(redis_url: str, frontier: str, stream: str) -> dict[str, Any]:
    """What turns the project's settings into a worker's: the frontier's scheduler, duplicate
    filter and middlewares, and the hand-off in place of the store."""
    base = project_settings()
    pipelines = dict(base.getdict("ITEM_PIPELINES"))
    pipelines["pipelines.store.StorePipeline"] = None
    pipelines["pipelines.handoff.HandOffPipeline"] = 900
    extensions = dict(base.getdict("EXTENSIONS"))
    extensions["crawler.frontier.Frontier"] = 100
    downloader = dict(base.getdict("DOWNLOADER_MIDDLEWARES"))
    downloader["crawler.frontier.FrontierDownloaderMiddleware"] = 1
    spider_mws = dict(base.getdict("SPIDER_MIDDLEWARES"))
    spider_mws["crawler.frontier.FrontierSpiderMiddleware"] = 1
    return {
        "REDIS_URL": redis_url,
        "SCHEDULER": "crawler.frontier.FrontierScheduler",
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        # The frontier outlives any one worker: never flushed when a worker stops.
        "SCHEDULER_PERSIST": True,
        **frontier_keys(frontier),
        "YRD_FRONTIER": frontier,
        "YRD_STREAM": stream,
        "ITEM_PIPELINES": pipelines,
        "EXTENSIONS": extensions,
        "DOWNLOADER_MIDDLEWARES": downloader,
        "SPIDER_MIDDLEWARES": spider_mws,
    }


def project_settings() -> Any:
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    from scrapy.utils.project import get_project_settings

    return get_project_settings()


def spider_names(sources: Sequence[str], with_urls: bool) -> list[str]:
    from crawler.sources import load_sources

    registry = load_sources()
    enabled = [s.id for s in registry if s.enabled]
    unknown = [s for s in sources if s not in {r.id for r in registry}]
    if unknown:
        raise ValueError(f"unknown source {', '.join(unknown)}; `yrdnews sources` lists them")
    disabled = [s for s in sources if s not in enabled]
    if disabled:
        raise ValueError(f"source {', '.join(disabled)} is disabled in the registry")
    return list(sources) or ([] if with_urls else enabled)


def run_worker(
    *,
    redis_url: str,
    frontier: str,
    stream: str = handoff.STREAM,
    sources: Sequence[str] = (),
    replay: Sequence[str] = (),
    urls_file: str | None = None,
    since: str | None = None,
    max_pages: int | None = None,
    data_dir: str = "data",
    overrides: Mapping[str, Any] | None = None,
) -> str:
    """Crawl as one worker of `frontier` until the frontier is drained; returns the status
    ("finished", or the spiders' other finish reasons)."""
    from crawler.archive import open_replay, warc_files

    names = spider_names(sources, with_urls=urls_file is not None)
    replay_files = [str(path) for path in warc_files(replay)] if replay else []
    if replay_files:
        open_replay(tuple(replay_files))  # a bad archive fails here, in one line
    server = connection.get_redis(url=redis_url)
    server.ping()

    settings = project_settings()
    ours: dict[str, Any] = {
        **worker_settings(redis_url, frontier, stream),
        "YRD_DATA_DIR": data_dir,
        "YRD_SINCE": since,
        "YRD_MAX_PAGES": max_pages,
    }
    if replay_files:
        ours |= {
            "YRD_REPLAY": replay_files,
            "ROBOTSTXT_OBEY": False,
            "AUTOTHROTTLE_ENABLED": False,
            "DOWNLOAD_DELAY": 0,
            "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
        }
    for name, value in {**ours, **(overrides or {})}.items():
        if value is not None:
            settings.set(name, value, priority="cmdline")

    worker = worker_id()
    spiders = names + (["urls"] if urls_file else [])
    handoff.add_event(
        server,
        stream,
        worker,
        handoff.WORKER_STARTED,
        {
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "frontier": frontier,
            "sources": spiders,
            "replay": replay_files,
            "since": since,
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        },
    )
    process = CrawlerProcess(settings)
    crawlers = []
    for name in spiders:
        crawler = process.create_crawler(name)
        process.crawl(crawler, **({"urls_file": urls_file} if name == "urls" else {}))
        crawlers.append(crawler)
    process.start()
    reasons = {c.stats.get_value("finish_reason") or "failed" for c in crawlers}
    status = "finished" if reasons <= {"finished"} else ",".join(sorted(reasons))
    handoff.add_event(server, stream, worker, handoff.WORKER_FINISHED, {"status": status})
    return status
