"""A crawl run's record, from start to status: the `crawl_runs` table, and one row per source
(spider) of each run in `crawl_run_sources`.

One run is one `yrdnews crawl` process (however many spiders it runs) or one plain
`scrapy crawl`. It is started before the first spider opens; each spider's Scrapy stats are
written to its source row while it runs (checkpoints, so a killed run keeps its counts up
to the last one) and when it closes, and the run's counters are the sum of its source rows.
It ends with a status: `ok`, `degraded` (some source failed, found no article link or could
not read a discovery page), `failed` (every source failed: nothing fetched, or the archive
answered nothing) or `interrupted` (stopped by a signal, or its process died). The columns
are declared once, by `CrawlRun` and `RunSource`; columns and tables added after the first
schema are this module's migrations, which `crawler.db.open_db` applies.

Each run records its owner (process id and host), so a run left "running" by a process that
died is marked interrupted by the next start on the same host, while a run whose process is
still alive is left alone. Which run may write a database at all is crawler/lock.py's
business. An interrupted run can be resumed: a new run with the same options
(`resumed_from`) and the same Scrapy job directory.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterable, Mapping
from dataclasses import MISSING, asdict, dataclass, field, fields
from datetime import UTC, datetime
from types import UnionType
from typing import Any, ClassVar, Self, Union, get_args, get_origin, get_type_hints

import psutil
from sqlite_utils import Database, Migrations

from crawler import db as database  # db.py applies this module's migrations: call-time use only
from crawler import stats as keys

migrations = Migrations("yrdnews_runs")

RUNNING, OK, DEGRADED, FAILED, INTERRUPTED = "running", "ok", "degraded", "failed", "interrupted"
# A source's status in a run: ok, failed, interrupted, running, or one of these.
EMPTY = "empty"  # its discovery found no article link: the usual sign of a layout change
INCOMPLETE = "incomplete"  # a feed, sitemap or listing page of it could not be read
# What `yrdnews crawl` exits with: 0 for ok, a documented code for each other end.
EXIT_CODES = {OK: 0, DEGRADED: 3, FAILED: 4, INTERRUPTED: 5}
EXIT_LOCKED = 75  # another crawl holds the database (EX_TEMPFAIL: try again later)


@dataclass
class RunCounts:
    """What a run, or one source of a run, fetched, stored, dropped and failed at."""

    requests: int = 0
    responses: int = 0
    fetched: int = 0  # 2xx responses, robots.txt aside
    not_modified: int = 0  # discovery pages the site answered 304 (read from the HTTP cache)
    articles_linked: int = 0  # article links discovery found
    articles_known: int = 0  # of those, not requested: the database has them
    articles: int = 0  # stored: new and updated
    articles_new: int = 0
    articles_updated: int = 0  # the page changed (its previous version kept) or its extraction
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
        return RunCounts(
            requests=stats.get("downloader/request_count", 0),
            responses=stats.get("downloader/response_count", 0),
            fetched=stats.get(keys.FETCHED, 0),
            not_modified=stats.get(keys.NOT_MODIFIED, 0),
            articles_linked=stats.get(keys.LINKED, 0),
            articles_known=stats.get(keys.KNOWN, 0),
            articles=stats.get(keys.STORED, 0),
            articles_new=stats.get(keys.NEW, 0),
            articles_updated=stats.get(keys.UPDATED, 0),
            articles_unchanged=stats.get(keys.UNCHANGED, 0),
            errors=sum(errors.values()),
            replay_misses=stats.get(keys.REPLAY_MISS, 0),
            drops=keys.by_prefix(stats, keys.DROPPED),
            errors_by_kind=errors,
        )

    def add(self, other: RunCounts, sign: int = 1) -> None:
        """Add another's counts to these (numbers summed, by-reason counts merged), or
        subtract them (`sign=-1`)."""
        for f in fields(RunCounts):
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            if isinstance(mine, dict):
                for key, n in theirs.items():
                    mine[key] = mine.get(key, 0) + sign * n
                    if not mine[key]:
                        del mine[key]
            else:
                setattr(self, f.name, mine + sign * theirs)

    def counts(self) -> RunCounts:
        return RunCounts(**{f.name: getattr(self, f.name) for f in fields(RunCounts)})


def _base_type(hint: Any) -> type:
    """`int` of `int | None`, `dict` of `dict[str, int]`."""
    if get_origin(hint) in (Union, UnionType):
        hint = next(arg for arg in get_args(hint) if arg is not type(None))
    return get_origin(hint) or hint


class _Row:
    """A dataclass stored as one row: dicts and lists as JSON text."""

    COLUMNS: ClassVar[dict[str, type]]  # column name -> SQLite type (int, float or str)
    JSON: ClassVar[frozenset[str]]

    @classmethod
    def declare(cls) -> None:
        """Read the columns off the dataclass fields (called once it is a dataclass)."""
        hints = {name: _base_type(hint) for name, hint in get_type_hints(cls).items()}
        cls.COLUMNS = {
            f.name: hints[f.name] if hints[f.name] in (int, float) else str for f in fields(cls)
        }
        cls.JSON = frozenset(name for name, kind in hints.items() if kind in (dict, list))

    def to_row(self) -> dict[str, Any]:
        return {
            name: json.dumps(value, sort_keys=True, default=str)
            if isinstance(value, dict | list)
            else value
            for name, value in asdict(self).items()
        }

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Self:
        values = {name: row.get(name) for name in cls.COLUMNS}
        for f in fields(cls):
            if f.name in cls.JSON:
                raw = values[f.name]
                empty = f.default_factory() if f.default_factory is not MISSING else None
                values[f.name] = json.loads(raw) if raw else empty
            elif values[f.name] is None and f.default is not MISSING:
                values[f.name] = f.default
        return cls(**values)


@dataclass
class CrawlRun(RunCounts, _Row):
    """One row of `crawl_runs`; its counts are the sums of its sources' rows."""

    id: int | None = None
    started_at: str | None = None
    finished_at: str | None = None
    status: str = RUNNING  # running | ok | degraded | failed | interrupted
    sources: list[str] = field(default_factory=list)  # spider names
    replay: list[str] | None = None
    since: str | None = None
    # What else a resumed run must repeat: urls_file, max_pages, refresh, Scrapy overrides.
    options: dict[str, Any] | None = None
    resumed_from: int | None = None  # the interrupted run this one continues
    job_dir: str | None = None  # Scrapy's JOBDIR of the run and of the runs resuming it
    log_file: str | None = None
    stats: dict[str, dict[str, Any]] = field(default_factory=dict)  # Scrapy stats by spider
    pid: int | None = None
    host: str | None = None


@dataclass
class RunSource(RunCounts, _Row):
    """One row of `crawl_run_sources`: one source (one spider) in one run."""

    run_id: int = 0
    source_id: str = ""  # the spider's name: a registry source id, or "urls"
    status: str = RUNNING  # running | ok | empty | incomplete | failed | interrupted
    finish_reason: str | None = None  # Scrapy's
    started_at: str | None = None
    finished_at: str | None = None
    duration_s: float | None = None


CrawlRun.declare()
RunSource.declare()
# The columns of crawl_runs, declared once by CrawlRun.
COLUMN_TYPES: dict[str, type] = CrawlRun.COLUMNS
_COUNT_NAMES = tuple(f.name for f in fields(RunCounts))


@migrations()
def m001_owner_and_errors_by_kind(db: Database) -> None:
    """Who runs a run (so overlapping crawls are told apart) and errors by kind."""
    for name in ("pid", "host", "errors_by_kind"):
        db["crawl_runs"].add_column(name, COLUMN_TYPES[name])


SOURCE_HEALTH = """
with finished as (
    select *, row_number() over (partition by source_id order by run_id desc) as n
    from crawl_run_sources where status != 'running'
), latest as (select * from finished where n <= 10)
select
    latest.source_id,
    max(case when n = 1 then run_id end) as last_run_id,
    max(case when n = 1 then started_at end) as last_run_at,
    max(case when n = 1 then status end) as last_status,
    (select max(ok.finished_at) from crawl_run_sources as ok
      where ok.source_id = latest.source_id and ok.status = 'ok') as last_success_at,
    count(*) as recent_runs,
    (select json_group_array(articles_new) from
       (select articles_new from latest as run where run.source_id = latest.source_id
        order by run.n)) as new_articles_per_run,
    round(cast(sum(errors) as real) / max(sum(requests), 1), 3) as error_rate,
    coalesce(max(case when n = 1 then fetched > 0 and articles_linked = 0 end), 0)
      and coalesce(max(case when n > 1 then articles_linked > 0 end), 0) as stopped_yielding
from latest
group by latest.source_id
order by stopped_yielding desc, latest.source_id
"""


@migrations()
def m002_sources_resume_and_health(db: Database) -> None:
    """Per-source rows, what a resumed run needs, the new counts, and the source-health view."""
    for name in COLUMN_TYPES.keys() - db["crawl_runs"].columns_dict.keys():
        db["crawl_runs"].add_column(name, COLUMN_TYPES[name])
    db["crawl_run_sources"].create(
        RunSource.COLUMNS,
        pk=("run_id", "source_id"),
        foreign_keys=[("run_id", "crawl_runs", "id")],
    )
    db["crawl_run_sources"].create_index(["source_id", "status"])
    db.create_view("source_health", SOURCE_HEALTH)


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


def mark_interrupted(db: Database, run_id: int) -> None:
    """A run whose process died: it, and its sources still running, are interrupted."""
    with db.atomic():
        db.execute(
            "update crawl_runs set status = ? where id = ? and status = ?",
            [INTERRUPTED, run_id, RUNNING],
        )
        db.execute(
            "update crawl_run_sources set status = ? where run_id = ? and status = ?",
            [INTERRUPTED, run_id, RUNNING],
        )


def start_run(
    db: Database,
    *,
    sources: list[str],
    replay: list[str] | None,
    since: str | None,
    options: Mapping[str, Any] | None = None,
    resumed_from: int | None = None,
    owner: tuple[int, str] | None = None,
    started_at: str | None = None,
) -> int:
    """Record a new run as running, owned by this process (or by `owner`, a pid and host: the
    writer records a distributed worker's run), and mark interrupted the runs whose process
    died without finishing them, so crawl health never shows a dead run as live."""
    with db.atomic():
        running = [
            CrawlRun.from_row(row) for row in db["crawl_runs"].rows_where("status = ?", [RUNNING])
        ]
        for dead in (run for run in running if not owner_alive(run)):
            mark_interrupted(db, dead.id)
        pid, host = owner or (os.getpid(), socket.gethostname())
        run = CrawlRun(
            started_at=started_at or database.utc_now(),
            sources=sources,
            replay=replay or None,
            since=since,
            options=dict(options) if options is not None else None,
            resumed_from=resumed_from,
            pid=pid,
            host=host,
        )
        row = run.to_row()
        del row["id"]
        table = db["crawl_runs"]
        table.insert(row)
        run_id = int(table.last_pk)
        # One row per source from the start: a spider that never opens still ends as failed.
        db["crawl_run_sources"].insert_all(
            (RunSource(run_id=run_id, source_id=name).to_row() for name in sources),
            pk=("run_id", "source_id"),
        )
        return run_id


def get_run(db: Database, run_id: int) -> CrawlRun:
    return CrawlRun.from_row(db["crawl_runs"].get(run_id))


def run_sources(db: Database, run_id: int) -> list[RunSource]:
    return [
        RunSource.from_row(row)
        for row in db["crawl_run_sources"].rows_where("run_id = ?", [run_id], order_by="source_id")
    ]


def set_run_files(db: Database, run_id: int, *, job_dir: str | None, log_file: str | None) -> None:
    db["crawl_runs"].update(run_id, {"job_dir": job_dir, "log_file": log_file})


def source_status(stats: Mapping[str, Any], finish_reason: str | None) -> str:
    """A source's status from its spider's stats and Scrapy's finish reason (None: still running)."""
    if finish_reason is None:
        return RUNNING
    if finish_reason == "shutdown":
        return INTERRUPTED
    if finish_reason != "finished" and not finish_reason.startswith("closespider_"):
        return FAILED  # Scrapy's "cancelled", an error while opening, ...
    asked = stats.get("downloader/request_count", 0)
    if (asked and not stats.get(keys.FETCHED)) or (
        stats.get(keys.REQUESTED) and not stats.get(keys.READ)
    ):
        return FAILED  # nothing fetched of what it asked for, or not one of its articles read
    if not stats.get(keys.LINKED):
        return EMPTY
    if stats.get(keys.DISCOVERY_FAILED):
        return INCOMPLETE
    return OK


def _iso(value: Any) -> str | None:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="seconds")
    return value


def record_source(
    db: Database,
    run_id: int,
    source_id: str,
    stats: Mapping[str, Any],
    finish_reason: str | None = None,
) -> RunSource:
    """Write one spider's stats to its source row (a checkpoint while it runs, its final row
    with its finish reason), and to the run's counters what changed since the row's last write."""
    started = stats.get("start_time")
    elapsed = stats.get("elapsed_time_seconds")
    if elapsed is None and isinstance(started, datetime):
        elapsed = (datetime.now(started.tzinfo) - started).total_seconds()
    source = RunSource(
        run_id=run_id,
        source_id=source_id,
        status=source_status(stats, finish_reason),
        finish_reason=finish_reason,
        started_at=_iso(started),
        finished_at=_iso(stats.get("finish_time"))
        or (database.utc_now() if finish_reason else None),
        duration_s=round(elapsed, 3) if elapsed is not None else None,
        **asdict(RunCounts.from_stats(stats)),
    )
    with db.atomic():
        before = db["crawl_run_sources"].rows_where(
            "run_id = ? and source_id = ?", [run_id, source_id]
        )
        previous = next((RunSource.from_row(row).counts() for row in before), RunCounts())
        db["crawl_run_sources"].upsert(source.to_row(), pk=("run_id", "source_id"))
        run = get_run(db, run_id)
        run.add(source.counts())
        run.add(previous, sign=-1)
        run.stats[source_id] = {k: v for k, v in stats.items() if isinstance(v, int | float | str)}
        _update(db, run, (*_COUNT_NAMES, "stats"))
    return source


def add_run_stats(db: Database, run_id: int, spider_name: str, stats: Mapping[str, Any]) -> None:
    """The final stats of a spider that closed (its finish reason in them): the writer of a
    distributed crawl, for each worker's spider."""
    record_source(db, run_id, spider_name, stats, stats.get("finish_reason") or "finished")


_NUMBERS = tuple(name for name, value in asdict(RunCounts()).items() if isinstance(value, int))
_ADD_NUMBERS = (
    f"update crawl_runs set {', '.join(f'{n} = coalesce({n}, 0) + ?' for n in _NUMBERS)}"
    " where id = ?"
)


def add_counts(db: Database, run_id: int, counts: RunCounts) -> None:
    """Add counts to a run: the writer of a distributed crawl, for each article it stores
    (numbers alone, the usual case, in one statement)."""
    with db.atomic():
        if counts.drops or counts.errors_by_kind:
            run = get_run(db, run_id)
            run.add(counts)
            _update(db, run, _COUNT_NAMES)
        else:
            db.execute(_ADD_NUMBERS, [*(getattr(counts, n) for n in _NUMBERS), run_id])


def _update(db: Database, run: CrawlRun, names: Iterable[str]) -> None:
    row = run.to_row()
    db["crawl_runs"].update(run.id, {name: row[name] for name in names})


def status_of_finish_reasons(reasons: Iterable[str | None]) -> str:
    """A run's status from its spiders' finish reasons alone (a distributed worker, which
    cannot judge its sources: another worker may fetch what it found)."""
    statuses = [
        INTERRUPTED if reason == "shutdown"
        else OK if reason == "finished" or (reason or "").startswith("closespider_")
        else FAILED
        for reason in reasons
    ]  # fmt: skip
    return run_status(RunSource(status=status) for status in statuses)


def run_status(sources: Iterable[RunSource], *, interrupted: bool = False) -> str:
    """ok when every source is; failed when every source failed (or there was none);
    interrupted when stopped; degraded otherwise."""
    statuses = [source.status for source in sources]
    if interrupted or INTERRUPTED in statuses:
        return INTERRUPTED
    if all(status == FAILED for status in statuses):
        return FAILED
    return OK if all(status == OK for status in statuses) else DEGRADED


def finish_run(
    db: Database, run_id: int, status: str | None = None, *, interrupted: bool = False
) -> str:
    """End the run with `status`, or the status its source rows give; sources that never
    closed (a spider that failed to open, or one stopped) end failed or interrupted."""
    with db.atomic():
        db.execute(
            "update crawl_run_sources set status = ? where run_id = ? and status = ?",
            [INTERRUPTED if interrupted else FAILED, run_id, RUNNING],
        )
        status = status or run_status(run_sources(db, run_id), interrupted=interrupted)
        db["crawl_runs"].update(run_id, {"finished_at": database.utc_now(), "status": status})
    return status


def resumable_run(db: Database) -> CrawlRun | None:
    """The latest interrupted run that no later run has resumed (and that recorded its
    options, as runs have since resuming exists)."""
    rows = db.query(
        """select * from crawl_runs as run
        where status = ? and options is not null
          and not exists (select 1 from crawl_runs as later where later.resumed_from = run.id)
        order by id desc limit 1""",
        [INTERRUPTED],
    )
    found = next(iter(rows), None)
    return CrawlRun.from_row(found) if found else None


def settled_before(db: Database, source_id: str) -> str | None:
    """When the source's last `ok` run finished: its articles stored by then were found by
    runs that read all of its discovery pages, so pagination may stop at a page of them."""
    row = db.execute(
        "select max(finished_at) from crawl_run_sources where source_id = ? and status = ?",
        [source_id, OK],
    ).fetchone()
    return row[0] if row else None
