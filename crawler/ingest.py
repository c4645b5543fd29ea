"""`yrdnews ingest`: the single writer of a distributed crawl. It reads the hand-off stream
(crawler/handoff.py) with a consumer group and stores each article exactly as a local crawl's
store step does (`crawler.storage.store_article`), entries committed in batches
(`crawler.storage.Batch`: what one read returns, at most 100, or a second's worth).

An entry is acknowledged (and deleted from the stream) only after its batch commits. A
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
from crawler import handoff, runs
from crawler.frontier import Frontier, worker_id
from crawler.items import Article
from crawler.sources import load_sources
from crawler.storage import BATCH_WRITES, Batch, IdCollision, store_article

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
        self.renewed_at = 0.0

    def take(self) -> None:
        self.renewed_at = time.monotonic()
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
        self.renewed_at = time.monotonic()
        if not self._renew(keys=[self.key], args=[self.owner, self.ttl_ms]):
            raise WriterBusy(f"lost the writer lock {self.key} to another writer")

    def keep(self) -> None:
        """Renew the lock once a third of its time to live has passed since the last renewal:
        asked before every entry, so that no backlog or batch, however long, outlives it."""
        if time.monotonic() - self.renewed_at >= self.ttl_ms / 3000:
            self.renew()

    def release(self) -> None:
        self._release(keys=[self.key], args=[self.owner])


def _entry_order(entry_id: str) -> tuple[int, int]:
    milliseconds, _, sequence = entry_id.partition("-")
    return int(milliseconds), int(sequence or 0)


_MARK = (
    "insert into ingested_streams (stream, last_entry, updated_at) values (?, ?, ?)"
    " on conflict (stream) do update set"
    " last_entry = excluded.last_entry, updated_at = excluded.updated_at"
)


class Writer:
    """Stores the entries of one stream into one database, and keeps each worker's run."""

    def __init__(
        self,
        db: Database,
        server: Redis,
        *,
        stream: str = handoff.STREAM,
        group: str = handoff.GROUP,
        commit_every: int = BATCH_WRITES,
    ) -> None:
        self.db, self.server, self.stream, self.group = db, server, stream, group
        self.consumer = worker_id()
        self.counts: Counter[str] = Counter()
        self.batch: Batch[tuple[str, str]] = Batch(db, size=commit_every)
        self.committed: list[tuple[str, str]] = []  # (entry id, outcome), not acknowledged yet
        self.runs: dict[str, int] = {}  # worker -> its crawl run
        self.frontiers: dict[str, str] = {}  # worker -> its frontier
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
        """Entries a previous writer read and never acknowledged, claimed for this one (they
        come before every new entry, in stream order)."""
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

    def handle(self, entry_id: Any, fields: Any) -> None:
        """Queue one entry in the batch; it is acknowledged once its batch is committed.

        Its write also moves the stream's mark to the entry, so an entry committed but not
        acknowledged when a writer died is recognised and only acknowledged.
        """
        entry = handoff.Entry.from_fields(entry_id, fields)
        self.batch.add(lambda db: (entry.id, self._write(entry)), self.committed.append)
        self._acknowledge()

    def commit(self) -> None:
        """Write the queued entries now (before waiting for more), and acknowledge them."""
        self.batch.commit()
        self._acknowledge()

    def _acknowledge(self) -> None:
        """Acknowledge and delete the committed entries, in one round trip."""
        if not self.committed:
            return
        pipe = self.server.pipeline(transaction=True)
        ids = [entry_id for entry_id, _ in self.committed]
        pipe.xack(self.stream, self.group, *ids)
        pipe.xdel(self.stream, *ids)
        pipe.execute()
        self.counts.update(outcome for _, outcome in self.committed)
        self.committed.clear()

    def _write(self, entry: handoff.Entry) -> str:
        mark = self.db.execute(
            "select last_entry from ingested_streams where stream = ?", [self.stream]
        ).fetchone()
        if mark and _entry_order(entry.id) <= _entry_order(mark[0]):
            return "already stored"
        outcome = self._apply(entry)
        self.db.execute(_MARK, [self.stream, entry.id, database.utc_now()])
        return outcome

    def _apply(self, entry: handoff.Entry) -> str:
        try:
            payload = entry.payload() if entry.kind != handoff.ARTICLE else None
        except ValueError as exc:
            return self._reject(entry, f"not JSON: {exc}")
        if entry.kind == handoff.ARTICLE:
            return self._store(entry)
        if entry.kind == handoff.WORKER_STARTED:
            self.frontiers[entry.worker] = payload["frontier"]
            self.runs[entry.worker] = runs.start_run(
                self.db,
                sources=payload["sources"],
                replay=payload["replay"],
                since=payload["since"],
                owner=(payload["pid"], payload["host"]),
                started_at=payload["started_at"],
            )
        elif (run_id := self.run_of(entry.worker)) is None:
            return self._reject(entry, "no worker_started entry for this worker")
        elif entry.kind == handoff.SPIDER_CLOSED:
            runs.add_run_stats(self.db, run_id, payload["spider"], payload["stats"])
        elif entry.kind == handoff.WORKER_FINISHED:
            runs.finish_run(self.db, run_id, payload["status"])
            self.runs.pop(entry.worker, None)
        else:
            return self._reject(entry, f"unknown kind {entry.kind!r}")
        return "event"

    def _store(self, entry: handoff.Entry) -> str:
        try:
            article = Article.from_json(entry.data)
        except (ValueError, TypeError, KeyError) as exc:
            return self._reject(entry, f"not an article: {exc}")
        run_id = self.run_of(entry.worker)
        try:
            outcome = store_article(
                self.db, article, crawl_run_id=run_id, kind=self.kinds.get(article.source_id or "")
            )
        except IdCollision as exc:
            return self._reject(entry, str(exc))
        if run_id is not None:
            stored = outcome != "unchanged"
            runs.add_counts(
                self.db,
                run_id,
                runs.RunCounts(articles=int(stored), articles_unchanged=int(not stored)),
            )
        return outcome

    def run_of(self, worker: str) -> int | None:
        """The crawl run of a worker: known, or (after a restart) its latest in the database."""
        if worker not in self.runs:
            host, _, pid = worker.rpartition("-")
            row = self.db.execute(
                "select id from crawl_runs where host = ? and pid = ? order by id desc limit 1",
                [host, int(pid) if pid.isdigit() else None],
            ).fetchone()
            if row is None:
                return None
            self.runs[worker] = row[0]
        return self.runs[worker]

    def close_dead_runs(self) -> None:
        """Runs whose worker stopped beating without saying it finished: interrupted."""
        for worker, run_id in list(self.runs.items()):
            frontier = self.frontiers.get(worker)
            if frontier and not self.server.exists(Frontier.alive_key(frontier, worker)):
                if runs.get_run(self.db, run_id).status == "running":
                    runs.finish_run(self.db, run_id, "interrupted")
                del self.runs[worker]

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


def ingest(
    db: Database,
    server: Redis,
    *,
    stream: str = handoff.STREAM,
    idle_exit: float | None = None,
    batch: int = 100,
    commit_every: int = BATCH_WRITES,
    block_ms: int = 1000,
    stop: Callable[[], bool] = lambda: False,
    when_quiet: Callable[[Database], Any] = lambda db: None,
    lock_ttl_ms: int = LOCK_TTL_MS,
) -> Counter[str]:
    """Store the stream's entries until `stop()` says so, or, with `idle_exit`, until nothing
    new came for that many seconds; returns the outcomes counted. `when_quiet(db)` runs
    whenever the stream has nothing new and once at the end (the post-store step: stories).
    Entries are read `batch` at a time and committed `commit_every` at a time."""
    writer = Writer(db, server, stream=stream, commit_every=commit_every)
    writer.join_group()
    lock = WriterLock(server, stream, writer.consumer, lock_ttl_ms)
    lock.take()
    try:
        for entry_id, fields in writer.pending(batch):
            lock.keep()
            writer.handle(entry_id, fields)
            if stop():
                writer.commit()
                return writer.counts
        writer.commit()
        last_entry = time.monotonic()
        while not stop():
            lock.keep()
            entries = writer.new(batch, block_ms)
            for entry_id, fields in entries:
                lock.keep()
                writer.handle(entry_id, fields)
                if stop():
                    break
            writer.commit()  # before waiting on the stream again
            if entries:
                last_entry = time.monotonic()
                continue
            writer.close_dead_runs()
            when_quiet(db)
            if idle_exit is not None and time.monotonic() - last_entry >= idle_exit:
                break
        when_quiet(db)
        return writer.counts
    finally:
        lock.release()
