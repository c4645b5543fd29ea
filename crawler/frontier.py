"""A crawl frontier shared by any number of workers on any number of machines: scrapy-redis's
scheduler and duplicate filter on one Redis server, made safe against a worker that dies.

scrapy-redis pops a request from the shared queue and forgets it, so the requests a killed
worker had popped but not finished would be lost (their URLs are in the duplicate filter, so
nobody would ask for them again). Here a pop moves the request, atomically, into a set of
requests *claimed* by this worker, and the claim is released only when the request's work is
done: its response went through the spider and every article it gave was handed off (or
dropped), or its download failed for good, or it was re-queued (a retry or a redirect).
A new request is marked seen and queued in one step too (scrapy-redis asks the duplicate
filter first and queues after, so a worker killed in between loses that URL).
Each worker process keeps a heartbeat key alive; a worker that finds the queue empty puts back the
claims of workers whose heartbeat has expired, and does not finish while another worker
still holds claims, so the last worker standing drains the frontier.

Redis keys, for frontier F and spider S (one frontier is one distributed crawl):
``yrd:F:S:requests`` (the queue), ``yrd:F:S:dupefilter``, ``yrd:F:S:claimed:<worker>``,
``yrd:F:workers`` (every worker that joined) and ``yrd:F:alive:<worker>`` (the heartbeat).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Self

from redis import Redis
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.utils.misc import load_object
from scrapy_redis import connection
from scrapy_redis.scheduler import Scheduler

logger = logging.getLogger(__name__)

# Where a claimed request keeps the queue entry it was popped as (never serialised).
CLAIM = "yrd_frontier_claim"
DEFAULT_HEARTBEAT = 30.0  # seconds without a heartbeat before a worker counts as dead

# Pop the best request and claim it, in one step: no moment where it is in neither place.
_CLAIM = """
local popped = redis.call('ZPOPMIN', KEYS[1])
if popped[1] == nil then return false end
redis.call('ZADD', KEYS[2], popped[2], popped[1])
return popped[1]
"""
# Schedule a request: mark it seen (unless it is not to be filtered) and queue it if it was
# new, and release the claim of the request it replaces (a retry, a redirect), in one step, so
# that a worker killed in between cannot leave a URL seen but queued nowhere.
_SCHEDULE = """
local queued = 1
if ARGV[1] ~= '' and redis.call('SADD', KEYS[2], ARGV[1]) == 0 then
  queued = 0
else
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[2])
end
if ARGV[4] ~= '' then redis.call('ZREM', KEYS[3], ARGV[4]) end
return queued
"""
# Put a dead worker's claims back in the queue, with their priorities.
_RECLAIM = """
local claimed = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
for i = 1, #claimed, 2 do redis.call('ZADD', KEYS[2], claimed[i + 1], claimed[i]) end
redis.call('DEL', KEYS[1])
return #claimed / 2
"""


def worker_id() -> str:
    """Host and process, as in the names of the WARC files the worker writes."""
    return f"{socket.gethostname()}-{os.getpid()}"


def frontier_keys(frontier: str) -> dict[str, str]:
    """The scrapy-redis settings that put a spider's queue and duplicate filter in `frontier`."""
    return {
        "SCHEDULER_QUEUE_KEY": f"yrd:{frontier}:%(spider)s:requests",
        "SCHEDULER_DUPEFILTER_KEY": f"yrd:{frontier}:%(spider)s:dupefilter",
    }


@dataclass
class _Claim:
    key: str  # the claimed set it is in
    items: int = 0  # articles given by its response and still in the item pipelines
    output_done: bool = False  # the spider has finished with its response


class Frontier:
    """Scrapy extension: this worker's claims, their release, its heartbeat, and the
    reclaiming of dead workers' claims. The scheduler and the two middlewares report to it."""

    def __init__(self, crawler: Crawler, server: Redis) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.server = server
        self.frontier = settings.get("YRD_FRONTIER")
        self.worker = worker_id()
        self.heartbeat = settings.getfloat("YRD_WORKER_HEARTBEAT", DEFAULT_HEARTBEAT)
        self.claims: dict[bytes, _Claim] = {}
        self._claim = server.register_script(_CLAIM)
        self._schedule = server.register_script(_SCHEDULE)
        self._reclaim = server.register_script(_RECLAIM)
        self._stop_beating = threading.Event()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        frontier = cls(crawler, connection.from_settings(crawler.settings))
        for handler, signal in (
            (frontier.spider_opened, signals.spider_opened),
            (frontier.spider_closed, signals.spider_closed),
            (frontier.item_done, signals.item_scraped),
            (frontier.item_done, signals.item_dropped),
            (frontier.item_done, signals.item_error),
        ):
            crawler.signals.connect(handler, signal=signal)
        return frontier

    def key(self, *parts: str) -> str:
        return ":".join(("yrd", self.frontier, *parts))

    @staticmethod
    def alive_key(frontier: str, worker: str) -> str:
        return f"yrd:{frontier}:alive:{worker}"

    def claimed_key(self, spider: str, worker: str | None = None) -> str:
        return self.key(spider, "claimed", worker or self.worker)

    def _beat(self) -> None:
        """In a thread of its own, so a long parse holding up the reactor is not death."""
        key, ttl = self.alive_key(self.frontier, self.worker), int(self.heartbeat * 1000)
        while True:
            self.server.set(key, "1", px=ttl)
            if self._stop_beating.wait(self.heartbeat / 3):
                return

    def spider_opened(self, spider: Spider) -> None:
        self.server.sadd(self.key("workers"), self.worker)
        threading.Thread(target=self._beat, name="frontier-heartbeat", daemon=True).start()

    def spider_closed(self, spider: Spider, reason: str) -> None:
        self._stop_beating.set()
        left = self.server.zcard(self.claimed_key(spider.name))
        if reason == "finished" and left:
            # Finished means the engine had nothing in progress: these were done, not released.
            logger.warning("%d claims left at the end, released", left)
            self.crawler.stats.inc_value("yrd/frontier/unreleased", left)
            self.server.delete(self.claimed_key(spider.name))
        # An unfinished spider (shutdown, error) leaves its claims for the other workers.

    # --- claims -------------------------------------------------------------------------

    def pop(self, queue_key: str, spider: str) -> bytes | None:
        """The best queued request, now claimed by this worker."""
        key = self.claimed_key(spider)
        entry = self._claim(keys=[queue_key, key])
        if entry is not None:
            self.claims[entry] = _Claim(key)
        return entry

    def release(self, entry: bytes | None) -> None:
        claim = self.claims.pop(entry, None) if entry is not None else None
        if claim is not None:
            self.server.zrem(claim.key, entry)

    def schedule(
        self,
        replaced: bytes | None,
        request: tuple[bytes, float],
        queue_key: str,
        seen: tuple[str, str] | None,
    ) -> bool:
        """Queue `request` (its encoding and score) unless `seen`, the duplicate filter's key
        and the request's fingerprint, says it was seen before (None: never filtered), and
        release the claim of the request it replaces, all in one step; False if it was seen."""
        claim = self.claims.pop(replaced, None) if replaced is not None else None
        dupefilter, fingerprint = seen or (queue_key, "")
        data, score = request
        keys = [queue_key, dupefilter, claim.key if claim else queue_key]
        args = [fingerprint, data, score, replaced if claim else ""]
        return bool(self._schedule(keys=keys, args=args))

    def item_started(self, entry: bytes | None) -> None:
        if entry in self.claims:
            self.claims[entry].items += 1

    def item_done(self, item: Any, response: Response | None = None, **_: Any) -> None:
        entry = response.meta.get(CLAIM) if isinstance(response, Response) else None
        claim = self.claims.get(entry)
        if claim is not None:
            claim.items -= 1
            self._release_if_done(entry, claim)

    def output_done(self, entry: bytes | None) -> None:
        claim = self.claims.get(entry)
        if claim is not None:
            claim.output_done = True
            self._release_if_done(entry, claim)

    def _release_if_done(self, entry: bytes, claim: _Claim) -> None:
        if claim.output_done and claim.items <= 0:
            self.release(entry)

    # --- other workers --------------------------------------------------------------------

    def others_claimed(self, spider: str, queue_key: str) -> int:
        """Requests of `spider` other workers hold; the claims of dead workers are put back
        in the queue first (and so no longer count)."""
        held = 0
        for raw in self.server.smembers(self.key("workers")):
            other = raw.decode() if isinstance(raw, bytes) else raw
            if other == self.worker:
                continue
            key = self.claimed_key(spider, other)
            if not self.server.exists(self.alive_key(self.frontier, other)):
                moved = self._reclaim(keys=[key, queue_key])
                if moved:
                    logger.warning(
                        "Worker %s stopped: %d of its requests queued again", other, moved
                    )
                    self.crawler.stats.inc_value("yrd/frontier/reclaimed", moved)
                continue
            held += self.server.zcard(key)
        return held


class FrontierScheduler(Scheduler):
    """scrapy-redis's scheduler whose pops are claims (see the module's docstring)."""

    frontier: Frontier

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        scheduler = super().from_crawler(crawler)
        scheduler.frontier = crawler.get_extension(Frontier)
        return scheduler

    def open(self, spider: Spider) -> None:
        super().open(spider)
        if load_object(self.queue_cls).__name__ != "PriorityQueue":
            raise ValueError("the frontier claims from scrapy-redis's PriorityQueue only")

    def enqueue_request(self, request: Request) -> bool:
        replaced = request.meta.pop(CLAIM, None)  # a retry or redirect of a claimed request
        seen = None if request.dont_filter else (self.df.key, self.df.request_fingerprint(request))
        encoded = (self.queue._encode_request(request), -request.priority)
        if not self.frontier.schedule(replaced, encoded, self.queue.key, seen):
            self.df.log(request, self.spider)
            return False
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis", spider=self.spider)
        return True

    def next_request(self) -> Request | None:
        entry = self.frontier.pop(self.queue.key, self.spider.name)
        if entry is None:
            return None
        request = self.queue._decode_request(entry)
        request.meta[CLAIM] = entry
        if self.stats:
            self.stats.inc_value("scheduler/dequeued/redis", spider=self.spider)
        return request

    def has_pending_requests(self) -> bool:
        if len(self.queue):
            return True
        return self.frontier.others_claimed(self.spider.name, self.queue.key) > 0


class FrontierDownloaderMiddleware:
    """Closest to the engine: sees a download that failed for good (retries spent, ignored,
    not in the replay archive) and releases its claim."""

    def __init__(self, frontier: Frontier) -> None:
        self.frontier = frontier

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler.get_extension(Frontier))

    def process_exception(self, request: Request, exception: BaseException) -> None:
        self.frontier.release(request.meta.get(CLAIM))


class FrontierSpiderMiddleware:
    """Outermost spider middleware: counts the articles a response gives, so its claim is
    released once the spider is done with it and every article left the item pipelines."""

    def __init__(self, frontier: Frontier) -> None:
        self.frontier = frontier

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler.get_extension(Frontier))

    async def process_spider_output(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        entry = response.meta.get(CLAIM)
        try:
            async for output in result:
                if isinstance(output, Request):
                    output.meta.pop(CLAIM, None)  # a new request, not its parent's retry
                else:
                    self.frontier.item_started(entry)
                yield output
        finally:
            self.frontier.output_done(entry)

    def process_spider_exception(self, response: Response, exception: Exception) -> None:
        self.frontier.output_done(response.meta.get(CLAIM))
