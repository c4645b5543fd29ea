"""The hand-off between workers and the single writer: a Redis stream.

SQLite has one writer, so workers never open the database: each article a worker's processing
chain keeps is added to the stream as `Article.to_json()` (with its WARC reference), and so
are the worker's own events (started, a spider closed with its stats, finished), in the order
they happened. `yrdnews ingest` reads the stream with a consumer group and acknowledges an
entry only once what it says is committed (crawler/ingest.py).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from redis import Redis

from crawler.items import Article

STREAM = "yrd:articles"
GROUP = "writers"

ARTICLE = "article"
WORKER_STARTED = "worker_started"
SPIDER_CLOSED = "spider_closed"
WORKER_FINISHED = "worker_finished"


@dataclass(frozen=True)
class Entry:
    """One stream entry: what kind of thing it is, which worker sent it, and its JSON."""

    id: str
    kind: str
    worker: str
    data: str

    @classmethod
    def from_fields(cls, entry_id: bytes | str, fields: Mapping[bytes | str, bytes | str]) -> Entry:
        def text(value: bytes | str | None) -> str:
            return value.decode("utf-8") if isinstance(value, bytes) else (value or "")

        values = {text(k): text(v) for k, v in fields.items()}
        return cls(
            text(entry_id), values.get("kind", ""), values.get("worker", ""), values.get("data", "")
        )

    def payload(self) -> Any:
        return json.loads(self.data)


def add(server: Redis, stream: str, kind: str, worker: str, data: str) -> str:
    entry_id = server.xadd(stream, {"kind": kind, "worker": worker, "data": data})
    return entry_id.decode() if isinstance(entry_id, bytes) else entry_id


def add_article(server: Redis, stream: str, worker: str, article: Article) -> str:
    return add(server, stream, ARTICLE, worker, article.to_json())


def add_event(
    server: Redis, stream: str, worker: str, kind: str, payload: Mapping[str, Any]
) -> str:
    return add(server, stream, kind, worker, json.dumps(payload, default=str, sort_keys=True))
