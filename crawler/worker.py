"""`yrdnews worker`: the registry's spiders on a shared Redis frontier (crawler/frontier.py),
handing their articles to the writer's stream (crawler/handoff.py) instead of a database.

Any number of workers on any number of machines join one frontier by using the same Redis
server and frontier name; each writes its own WARC files (host and process in their names).
The worker's run (what it fetched, dropped and failed at, by source) reaches `crawl_runs`
through the same stream, as events the writer folds in.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from redis import Redis
from scrapy.settings import Settings

from crawler import db as database
from crawler import handoff
from crawler.crawl import crawl_settings, plan_spiders, project_settings, run_spiders
from crawler.frontier import DEFAULT_HEARTBEAT, Frontier, frontier_keys, worker_id


def worker_settings(base: Settings, redis_url: str, frontier: str, stream: str) -> dict[str, Any]:
    """What turns the project's settings into a worker's: the frontier's scheduler, duplicate
    filter and middlewares, and the hand-off in place of the store and the run record."""
    pipelines = {**base.getdict("ITEM_PIPELINES")}
    pipelines |= {"pipelines.store.StorePipeline": None, "pipelines.handoff.HandOffPipeline": 900}
    extensions = {**base.getdict("EXTENSIONS")}
    extensions |= {"crawler.crawl.RunRecorder": None, "crawler.frontier.Frontier": 100}
    return {
        "REDIS_URL": redis_url,
        "SCHEDULER": "crawler.frontier.FrontierScheduler",
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        # The frontier outlives any one worker: never flushed when a worker stops.
        "SCHEDULER_PERSIST": True,
        **frontier_keys(frontier),
        "YRD_FRONTIER": frontier,
        # No database here: nothing is known to the spiders, the frontier filters duplicates.
        "YRD_DB_PATH": "",
        "YRD_STREAM": stream,
        "ITEM_PIPELINES": pipelines,
        "EXTENSIONS": extensions,
        # Closest to the engine, both: they see what every other middleware did.
        "DOWNLOADER_MIDDLEWARES": {
            **base.getdict("DOWNLOADER_MIDDLEWARES"),
            "crawler.frontier.FrontierDownloaderMiddleware": 1,
        },
        "SPIDER_MIDDLEWARES": {
            **base.getdict("SPIDER_MIDDLEWARES"),
            "crawler.frontier.FrontierSpiderMiddleware": 1,
        },
    }


def run_worker(
    *,
    redis_url: str,
    frontier: str,
    stream: str = handoff.STREAM,
    sources: Sequence[str] = (),
    replay: Sequence[str] = (),
    urls_file: str | None = None,
    since: date | None = None,
    max_pages: int | None = None,
    data_dir: str = "data",
    overrides: Mapping[str, Any] | None = None,
) -> str:
    """Crawl as one worker of `frontier` until the frontier is drained; returns the status
    (ok, failed or interrupted, from the spiders' finish reasons)."""
    spiders, replay_files = plan_spiders(sources, replay, urls_file)
    server = Redis.from_url(redis_url)
    server.ping()
    ours = {
        **worker_settings(project_settings(), redis_url, frontier, stream),
        "YRD_DATA_DIR": data_dir,
        "YRD_SINCE": since.isoformat() if since else None,
        "YRD_MAX_PAGES": max_pages,
    }
    settings = crawl_settings(overrides, ours, replay_files)
    worker = worker_id()
    # Alive from now on: the writer takes a worker without a heartbeat for a dead one.
    heartbeat = settings.getfloat("YRD_WORKER_HEARTBEAT", DEFAULT_HEARTBEAT)
    server.set(Frontier.alive_key(frontier, worker), "1", px=int(heartbeat * 1000))
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
            "since": since.isoformat() if since else None,
            "started_at": database.utc_now(),
        },
    )
    status = "failed"
    try:
        status = run_spiders(settings, spiders, urls_file)
    finally:
        handoff.add_event(server, stream, worker, handoff.WORKER_FINISHED, {"status": status})
    return status
