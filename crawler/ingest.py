"""`yrdnews ingest`: the single writer of a distributed crawl. It reads the hand-off stream
(crawler/handoff.py) with a consumer group and stores each article exactly as a local crawl's
store step does (`crawler.storage.store_article`, one transaction per article).

An entry is acknowledged (and deleted from the stream) only after its transaction commits. A
writer killed at any moment leaves its unacknowledged entries pending in the group; the next
writer claims them before reading anything new, and storing is idempotent, so nothing is lost
and nothing is stored twice. One writer at a time holds the stream's lock (a Redis key with a
time to live, renewed while it works); a lock left by a dead process on the same host is taken
over at once.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from redis import Redis
from redis.exceptions import ResponseError
from sqlite_utils import Database

from crawler import db as database
from crawler import handoff
from crawler.frontier import worker_id
from crawler.items import Article
from crawler.sources import load_sources
from crawler.storage import IdCollision, store_article

logger = logging.getLogger(__name__)

LOCK_TTL_MS = 30_000
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class WriterBusy(RuntimeError):
    """Another writer is ingesting the stream."""


def _text(value: bytes | str | None) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else (value or "")


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class WriterLock:
    """`<stream>:writer` holds the current writer's host and pid while it works."""

    def __init__(self, server: Redis, stream: str, owner: str, ttl_ms: int = LOCK_TTL_MS) -> None:
        self.server, self.key, self.owner, self.ttl_ms = server, f"{stream}:writer", owner, ttl_ms
        self._renew = server.register_script(_RENEW)
        self._release = server.register_script(_RELEASE)

    def take(self) -> None:
        if self.server.set(self.key, self.owner, nx=True, px=self.ttl_ms):
            return
        holder = _text(self.server.get(self.key))
        host, _, pid = holder.rpartition("-")
        if (
            holder
            and host == socket.gethostname()
            and pid.isdigit()
            and not _process_alive(int(pid))
        ):
            logger.warning("Writer %s died; taking over its stream", holder)
            self.server.set(self.key, self.owner, px=self.ttl_ms)
            return
        raise WriterBusy(
            f"another writer ({holder or 'unknown'}) is ingesting {self.key.removesuffix(':writer')}"
            f" (its lock expires {self.ttl_ms // 1000}s after it stops)"
        )

    def renew(self) -> None:
        if not self._renew(keys=[self.key], args=[self.owner, self.ttl_ms]):
            raise WriterBusy(f"lost the writer lock {self.key} to another writer")

    def release(self) -> None:
        self._release(keys=[self.key], args=[self.owner])


class Writer:
    """Stores the entries of one stream into one database."""

    def __init__(
        self,
        db: Database,
        server: Redis,
        *,
        stream: str = handoff.STREAM,
        group: str = handoff.GROUP,
    ) -> None:
        self.db, self.server, self.stream, self.group = db, server, stream, group
        self.consumer = worker_id()
        self.counts: Counter[str] = Counter()
        sources = load_sources()
        self.kinds = {source.id: source.kind for source in sources}
        database.sync_sources(db, sources)

    def join_group(self) -> None:
        """The group reads from the stream's start, so entries added before the first writer
        ever ran are ingested too."""
        try:
            self.server.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def pending(self, batch: int) -> Iterable[tuple[Any, Any]]:
        """Entries a previous writer read and never acknowledged, claimed for this one."""
        cursor = "0-0"
        while True:
            reply = self.server.xautoclaim(
                self.stream,
                self.group,
                self.consumer,
                min_idle_time=0,
                start_id=cursor,
                count=batch,
            )
            cursor, claimed = _text(reply[0]), reply[1]
            deleted = reply[2] if len(reply) > 2 else []
            if deleted:  # trimmed away before it was acknowledged: nothing left to store
                self.server.xack(self.stream, self.group, *deleted)
            yield from claimed
            if cursor == "0-0":
                return

    def new(self, batch: int, block_ms: int) -> list[tuple[Any, Any]]:
        reply = self.server.xreadgroup(
            self.group, self.consumer, {self.stream: ">"}, count=batch, block=block_ms
        )
        return [entry for _, entries in reply or [] for entry in entries]

    def handle(self, entry_id: Any, fields: Any) -> str:
        """Store one entry, then acknowledge it; returns what was done."""
        entry = handoff.Entry.from_fields(entry_id, fields)
        outcome = self._apply(entry)
        pipe = self.server.pipeline(transaction=True)
        pipe.xack(self.stream, self.group, entry.id)
        pipe.xdel(self.stream, entry.id)
        pipe.execute()
        self.counts[outcome] += 1
        return outcome

    def _apply(self, entry: handoff.Entry) -> str:
        if entry.kind != handoff.ARTICLE:
            return "event" if entry.kind in _EVENTS else self._reject(entry, "unknown kind")
        try:
            article = Article.from_json(entry.data)
        except (ValueError, TypeError, KeyError) as exc:
            return self._reject(entry, f"not an article: {exc}")
        try:
            with self.db.atomic():
                return store_article(self.db, article, kind=self.kinds.get(article.source_id or ""))
        except IdCollision as exc:
            return self._reject(entry, str(exc))

    def _reject(self, entry: handoff.Entry, reason: str) -> str:
        """Keep what cannot be stored in `<stream>:rejected`, with why, so nothing is lost."""
        logger.warning("Entry %s from %s rejected: %s", entry.id, entry.worker, reason)
        self.server.xadd(
            f"{self.stream}:rejected",
            {
                "id": entry.id,
                "kind": entry.kind,
                "worker": entry.worker,
                "data": entry.data,
                "error": reason,
            },
        )
        return "rejected"


_EVENTS = {handoff.WORKER_STARTED, handoff.SPIDER_CLOSED, handoff.WORKER_FINISHED}


def ingest(
    db: Database,
    server: Redis,
    *,
    stream: str = handoff.STREAM,
    idle_exit: float | None = None,
    batch: int = 100,
    block_ms: int = 1000,
    stop: Callable[[], bool] = lambda: False,
) -> Counter[str]:
    """Store the stream's entries until `stop()` says so, or, with `idle_exit`, until nothing
    new came for that many seconds; returns the outcomes counted."""
    writer = Writer(db, server, stream=stream)
    writer.join_group()
    lock = WriterLock(server, stream, writer.consumer)
    lock.take()
    try:
        for entry_id, fields in writer.pending(batch):
            writer.handle(entry_id, fields)
            if stop():
                return writer.counts
        last_entry = time.monotonic()
        while not stop():
            lock.renew()
            entries = writer.new(batch, block_ms)
            for entry_id, fields in entries:
                writer.handle(entry_id, fields)
                if stop():
                    break
            if entries:
                last_entry = time.monotonic()
            elif idle_exit is not None and time.monotonic() - last_entry >= idle_exit:
                break
        return writer.counts
    finally:
        lock.release()
