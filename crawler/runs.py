"""A crawl run's record, from start to status: the `crawl_runs` table.

One run is one `yrdnews crawl` (however many spiders it runs) or one plain `scrapy crawl`.
It is started before the first spider opens, every spider folds its Scrapy stats into it
when it closes (`crawler.crawl.RunRecorder`, the Scrapy side), and it is finished with a
status. The columns are declared once, by `CrawlRun`; columns added after the first schema
are this module's migrations, which `crawler.db.open_db` applies.

Each run records its owner (process id and host), so a run left "running" by a process that
died is marked interrupted by the next start on the same host, while a run whose process is
still alive (two crawls overlapping) is left alone.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterable, Mapping
from dataclasses import MISSING, asdict, dataclass, field, fields
from datetime import datetime
from types import UnionType
from typing import Any, Self, Union, get_args, get_origin, get_type_hints

import psutil
from sqlite_utils import Database, Migrations

from crawler import db as database  # db.py applies this module's migrations: call-time use only
from crawler import stats as keys

migrations = Migrations("yrdnews_runs")


@dataclass
class RunCounts:
    """What a run (or, later, one source of a run) fetched, stored, dropped and failed at."""

    requests: int = 0
    responses: int = 0
    articles: int = 0
    articles_unchanged: int = 0
    errors: int = 0
    replay_misses: int = 0
    drops: dict[str, int] = field(default_factory=dict)  # by reason
    errors_by_kind: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_stats(cls, stats: Mapping[str, Any]) -> RunCounts:
        """The counts in one spider's Scrapy stats (keys: crawler/stats.py)."""
        errors = keys.by_prefix(stats, keys.ERRORS)
        if stats.get(keys.LOGGED_ERRORS):
            errors["logged"] = stats[keys.LOGGED_ERRORS]
        return cls(
            requests=stats.get("downloader/request_count", 0),
            responses=stats.get("downloader/response_count", 0),
            articles=stats.get(keys.STORED, 0),
            articles_unchanged=stats.get(keys.UNCHANGED, 0),
            errors=sum(errors.values()),
            replay_misses=stats.get(keys.REPLAY_MISS, 0),
            drops=keys.by_prefix(stats, keys.DROPPED),
            errors_by_kind=errors,
        )

    def add(self, other: RunCounts) -> None:
        """Add another's counts to these (numbers summed, by-reason counts merged)."""
        for f in fields(RunCounts):
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            if isinstance(mine, dict):
                for key, n in theirs.items():
                    mine[key] = mine.get(key, 0) + n
            else:
                setattr(self, f.name, mine + theirs)


@dataclass
class CrawlRun(RunCounts):
    """One row of `crawl_runs`: the columns are these fields (dicts and lists as JSON)."""

    id: int | None = None
    started_at: str | None = None
    finished_at: str | None = None
    status: str = "running"  # running | finished | interrupted | Scrapy's finish reasons
    sources: list[str] = field(default_factory=list)
    replay: list[str] | None = None
    since: str | None = None
    stats: dict[str, dict[str, Any]] = field(default_factory=dict)  # Scrapy stats by spider
    pid: int | None = None
    host: str | None = None

    def to_row(self) -> dict[str, Any]:
        return {
            name: json.dumps(value, sort_keys=True, default=str)
            if isinstance(value, dict | list)
            else value
            for name, value in asdict(self).items()
        }

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Self:
        values = {name: row.get(name) for name in COLUMN_TYPES}
        for f in fields(cls):
            if f.name in JSON_FIELDS:
                raw = values[f.name]
                empty = f.default_factory() if f.default_factory is not MISSING else None
                values[f.name] = json.loads(raw) if raw else empty
        return cls(**values)


def _base_type(hint: Any) -> type:
    """`int` of `int | None`, `dict` of `dict[str, int]`."""
    if get_origin(hint) in (Union, UnionType):
        hint = next(arg for arg in get_args(hint) if arg is not type(None))
    return get_origin(hint) or hint


_HINTS = {name: _base_type(hint) for name, hint in get_type_hints(CrawlRun).items()}
# The columns of crawl_runs, declared once by CrawlRun: dicts and lists are stored as JSON text.
COLUMN_TYPES: dict[str, type] = {
    f.name: int if _HINTS[f.name] is int else str for f in fields(CrawlRun)
}
JSON_FIELDS = frozenset(name for name, kind in _HINTS.items() if kind in (dict, list))


@migrations()
def m001_owner_and_errors_by_kind(db: Database) -> None:
    """Who runs a run (so overlapping crawls are told apart) and errors by kind."""
    for name in ("pid", "host", "errors_by_kind"):
        db["crawl_runs"].add_column(name, COLUMN_TYPES[name])


# A process's start time is derived from the boot time, which may be off the wall clock by
# seconds; a pid is not reused so soon after its run began.
_CLOCK_SLACK = 60


def owner_alive(run: CrawlRun, host: str | None = None) -> bool:
    """Whether the process that started the run may still be running it.

    A run from another host cannot be checked and counts as alive; a run recorded before
    owners were kept (no pid) does not. A live process that started after the run did has
    only inherited the dead owner's pid.
    """
    if run.pid is None:
        return False
    if run.host != (host or socket.gethostname()):
        return True
    try:
        process = psutil.Process(run.pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return False
        started = process.create_time()
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True
    if not run.started_at:
        return True
    return started <= datetime.fromisoformat(run.started_at).timestamp() + _CLOCK_SLACK


def start_run(
    db: Database,
    *,
    sources: list[str],
    replay: list[str] | None,
    since: str | None,
    owner: tuple[int, str] | None = None,
    started_at: str | None = None,
) -> int:
    """Record a new run as running, owned by this process (or by `owner`, a pid and host: the
    writer records a distributed worker's run), and mark interrupted the runs whose process
    died without finishing them, so crawl health never shows a dead run as live."""
    with db.atomic():
        running = [
            CrawlRun.from_row(row) for row in db["crawl_runs"].rows_where("status = 'running'")
        ]
        for dead in (run for run in running if not owner_alive(run)):
            db["crawl_runs"].update(dead.id, {"status": "interrupted"})
        pid, host = owner or (os.getpid(), socket.gethostname())
        run = CrawlRun(
            started_at=started_at or database.utc_now(),
            sources=sources,
            replay=replay or None,
            since=since,
            pid=pid,
            host=host,
        )
        row = run.to_row()
        del row["id"]
        table = db["crawl_runs"]
        table.insert(row)
        return int(table.last_pk)


def get_run(db: Database, run_id: int) -> CrawlRun:
    return CrawlRun.from_row(db["crawl_runs"].get(run_id))


def add_run_stats(db: Database, run_id: int, spider_name: str, stats: Mapping[str, Any]) -> None:
    """Fold one spider's Scrapy stats into its run: counters added, raw stats kept by spider."""
    with db.atomic():
        run = get_run(db, run_id)
        run.add(RunCounts.from_stats(stats))
        run.stats[spider_name] = {
            k: v for k, v in stats.items() if isinstance(v, int | float | str)
        }
        _update(db, run, (*_COUNT_NAMES, "stats"))


def add_counts(db: Database, run_id: int, counts: RunCounts) -> None:
    """Add counts to a run: the writer of a distributed crawl, for each article it stores."""
    with db.atomic():
        run = get_run(db, run_id)
        run.add(counts)
        _update(db, run, _COUNT_NAMES)


def _update(db: Database, run: CrawlRun, names: Iterable[str]) -> None:
    row = run.to_row()
    db["crawl_runs"].update(run.id, {name: row[name] for name in names})


_COUNT_NAMES = tuple(f.name for f in fields(RunCounts))


def run_status(finish_reasons: Iterable[str | None]) -> str:
    """A run's status from its spiders' finish reasons: "finished" when every spider
    finished, else the reasons (a spider that never closed counts as "failed")."""
    reasons = {reason or "failed" for reason in finish_reasons}
    return "finished" if reasons <= {"finished"} else ",".join(sorted(reasons))


def finish_run(db: Database, run_id: int, status: str) -> None:
    with db.atomic():
        db["crawl_runs"].update(run_id, {"finished_at": database.utc_now(), "status": status})
