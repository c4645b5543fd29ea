"""Whole-table counts and facets of a served database, counted once instead of per request.

Each table page Datasette serves counts the table's rows and runs every facet its metadata
lists. At a million articles (twenty million figures) each of those scans an index of the
whole table, a tenth of a second to several seconds apiece, and the unfiltered pages are the
ones every visitor opens first. A database served immutable (`yrdnews serve` passes `-i`)
cannot change while it is served, so those answers are worked out once: in the background
after start-up, for every table's unfiltered page, without the facet time limit (bounded by
`COUNT_TIME_LIMIT_MS` instead). They are kept in a file of the cache folder named after the
database file (its path, size and modification time) and the metadata, so a server started
again on the same file has them at once. Until they are ready, pages are computed as Datasette
always does, within its time limits. `/-/summaries.json` tells how far the counting is.

Datasette counts every table of an immutable database before it answers at all (its start-up
`table_counts`, one hour allowed per table: more than a minute from a cold disk at a million
articles, FTS5's own tables included). Those counts are the counting task's first work, so the
start-up does not wait for them: until they are counted Datasette knows them as unknown ("Many
rows"), and they are handed to it when the task has them.

The counts and facets of filtered pages (a search, a selected facet value) are computed per
request within those limits, and all of them within `PAGE_TIME_LIMIT_MS` of the request's
start, so a search nobody made before still answers in well under a second. The last
`RECENT_ANSWERS` are remembered, so that a search opened again, or its next page, costs only
its rows; one that ran out of time is worked out in the background, one at a time, and shown
from the next request on.

Only those queries are answered from here, matched by their exact SQL and parameters (on a
database that cannot change, the same query gives the same answer); every other query goes to
SQLite.
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import json
import logging
import math
import os
import re
import sqlite3
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from datasette.database import Database, QueryInterrupted, Results
from datasette.utils import CustomRow, sqlite_timelimit
from datasette.utils.asgi import Response

from crawler.cache import cache_folder
from crawler.site.tablesearch import counted_by_index

logger = logging.getLogger(__name__)

FORMAT = 1  # of the cache file; a new format starts a new file
COUNT_TIME_LIMIT_MS = 600_000  # per query, while counting in the background
# Counts and facets of filtered pages remembered (each at most RECENT_ROWS rows), and those
# that ran out of time queued to be worked out in the background (each within a limit).
RECENT_ANSWERS = 2_000
RECENT_ROWS = 1_001
LATER_QUEUE = 50
LATER_TIME_LIMIT_MS = 30_000
# A page's counts and facets not answered this long after its request started are left to the
# background: the page shows them as timed out, as Datasette does past its own limits. (Its
# rows come first, and take up to a third of a second in a million articles: tablesearch.py.)
PAGE_TIME_LIMIT_MS = 300
# The queries of a table page that do not depend on the page's rows: its count and its facets
# (Datasette runs facets with a custom time limit).
_COUNT_SQL = re.compile(r"\s*select count\(\*\) from ", re.IGNORECASE)
_TABLE_COUNT = "select count(*) from [{}]"  # as Datasette counts a whole table
_WHOLE_TABLE_COUNT = re.compile(r"select count\(\*\) from \[[^\]]+\]")
_KEPT: weakref.WeakKeyDictionary[Any, dict[str, Summaries]] = weakref.WeakKeyDictionary()
_RUNNING: set[asyncio.Task[None]] = set()
_counting = contextvars.ContextVar("yrd_counting", default=False)  # set in the counting task
_starting = contextvars.ContextVar("yrd_starting", default=False)  # set outside HTTP requests
_page_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "yrd_page_deadline", default=None
)  # set per request, seen by the tasks it starts (Datasette runs facets side by side)


@dataclass
class Summaries:
    """The answers kept for one database, and how far counting them is."""

    file: Path | None
    answers: dict[str, Results] = field(default_factory=dict)  # of the unfiltered pages
    state: str = "counting"  # then "ready", or "failed"
    seconds: float | None = None
    started: bool = False
    recent: OrderedDict[str, Results] = field(default_factory=OrderedDict)  # filtered pages
    later: set[str] = field(default_factory=set)
    one_at_a_time: asyncio.Lock = field(default_factory=asyncio.Lock)

    def remember(self, key: str, answer: Results) -> None:
        self.recent[key] = answer
        self.recent.move_to_end(key)
        while len(self.recent) > RECENT_ANSWERS:
            self.recent.popitem(last=False)

    def status(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "queries": len(self.answers),
            "seconds": self.seconds,
            "recent": len(self.recent),
            "working_out": len(self.later),
        }


def _key(sql: str, params: Any) -> str:
    return json.dumps([sql, params or {}], sort_keys=True, default=str)


def _results(columns: list[str], rows: list[list[Any]]) -> Results:
    description = [(name, None, None, None, None, None, None) for name in columns]
    return Results(
        [CustomRow(columns, zip(columns, row, strict=True)) for row in rows], False, description
    )


def cache_file(db: Database, database_metadata: Any) -> Path | None:
    """Where the answers for this database file and metadata are kept: named after the file's
    path, then after what it holds (size, modification time) and everything else the answers
    depend on. None if the database has no file."""
    if not db.path:
        return None
    try:
        path = Path(db.path).resolve()
        stat = path.stat()
        folder = cache_folder() / "summaries"
    except (OSError, RuntimeError):
        return None
    stamp = json.dumps(
        [FORMAT, metadata.version("datasette"), stat.st_size, stat.st_mtime_ns, database_metadata],
        sort_keys=True, default=str,
    )  # fmt: skip
    return folder / f"{path.stem}-{_digest(str(path))}-{_digest(stamp)}.json"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _load(file: Path | None) -> dict[str, Results] | None:
    if file is None:
        return None
    try:
        saved = json.loads(file.read_text(encoding="utf-8"))
        return {key: _results(columns, rows) for key, columns, rows in saved["answers"]}
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _save(summaries: Summaries) -> None:
    """Written whole or not at all; a cache that cannot be written only costs time."""
    if summaries.file is None:
        return
    answers = [
        [key, found.columns, [list(row) for row in found.rows]]
        for key, found in summaries.answers.items()
    ]
    try:
        summaries.file.parent.mkdir(parents=True, exist_ok=True)
        partial = summaries.file.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps({"answers": answers}, default=str), encoding="utf-8")
        partial.replace(summaries.file)
        same_path = summaries.file.name.rsplit("-", 1)[0]
        for older in summaries.file.parent.glob(same_path + "-*.json"):
            if older != summaries.file:  # the same file's answers from before it changed
                older.unlink(missing_ok=True)
    except OSError as exc:
        logger.warning("Could not keep the table summaries in %s: %s", summaries.file, exc)


@contextmanager
def outside_requests() -> Iterator[None]:
    """Mark what the server runs outside HTTP requests (its start-up: see above)."""
    token = _starting.set(True)
    try:
        yield
    finally:
        _starting.reset(token)


@contextmanager
def page_time_limit() -> Iterator[None]:
    """Bound the counts and facets of the request handled within (`PAGE_TIME_LIMIT_MS`)."""
    token = _page_deadline.set(time.monotonic() + PAGE_TIME_LIMIT_MS / 1000)
    try:
        yield
    finally:
        _page_deadline.reset(token)


def _interrupted(sql: str, params: Any) -> QueryInterrupted:
    return QueryInterrupted(sqlite3.OperationalError("interrupted"), sql, params)


def _limited(
    sql: str, params: Any, limit_ms: float, deadline: float | None = None
) -> Callable[[Any], Results]:
    """The query as Datasette's thread runs it, within `limit_ms` and what is left before
    `deadline` when it starts (it may have waited for a free thread)."""

    def run(conn: Any) -> Results:
        budget_ms = limit_ms
        if deadline is not None:
            budget_ms = min(budget_ms, (deadline - time.monotonic()) * 1000)
        if budget_ms < 1:
            raise _interrupted(sql, params)
        try:
            with sqlite_timelimit(conn, budget_ms):
                cursor = conn.execute(sql, params or {})
                return Results(cursor.fetchall(), False, cursor.description)
        except sqlite3.OperationalError as exc:
            if exc.args == ("interrupted",):
                raise _interrupted(sql, params) from exc
            raise

    return run


def _answering(db: Database, summaries: Summaries) -> None:
    """Make `db.execute` answer the kept queries, keep those run while counting, and remember
    the counts and facets of filtered pages (`RECENT_ANSWERS` of them), working out in the
    background those that ran out of time."""
    execute = db.execute

    async def answered(sql: str, params: Any = None, **options: Any) -> Results:
        key = _key(sql, params)
        found = summaries.answers.get(key)
        if found is None:
            found = summaries.recent.get(key)  # (an answer of no rows is falsy)
        if found is not None:
            if _counting.get():  # asked while counting: kept, though a request found it first
                summaries.answers[key] = found
            return found  # never changed by its readers: they slice and copy its rows
        if options.get("truncate") or not (
            options.get("custom_time_limit") or _COUNT_SQL.match(sql)
        ):  # a query typed in or canned (run with truncate) is never remembered
            return await execute(sql, params, **options)
        if (
            _starting.get()
            and summaries.state == "counting"
            and not _counting.get()
            and _WHOLE_TABLE_COUNT.fullmatch(sql)
        ):
            raise _interrupted(sql, params)  # the counting task counts it first (see above)
        by_index = counted_by_index(sql)
        run = by_index or sql
        if _counting.get():
            summaries.answers[key] = await db.execute_fn(_limited(run, params, COUNT_TIME_LIMIT_MS))
            return summaries.answers[key]
        if key in summaries.later:  # being worked out: this page goes without it
            raise _interrupted(sql, params)
        limit = min(options.get("custom_time_limit") or math.inf, db.ds.sql_time_limit_ms)
        # A count the search index gives in milliseconds is worth waiting for on any page.
        deadline = None if by_index else _page_deadline.get()
        try:
            results = await db.execute_fn(_limited(run, params, limit, deadline))
        except QueryInterrupted:
            _later(db, summaries, key, run, params)
            raise
        if len(results.rows) <= RECENT_ROWS:
            summaries.remember(key, results)
        return results

    db.execute = answered  # type: ignore[method-assign]


def _later(db: Database, summaries: Summaries, key: str, sql: str, params: Any) -> None:
    """Work out a count or facet that ran out of time, one at a time, so that the page shows it
    from the next request on."""
    if key in summaries.later or len(summaries.later) >= LATER_QUEUE:
        return
    summaries.later.add(key)

    async def work() -> None:
        try:
            async with summaries.one_at_a_time:
                found = await db.execute_fn(_limited(sql, params, LATER_TIME_LIMIT_MS))
            summaries.remember(key, found)
        except Exception:  # too slow even so, or not a query that can run again: left live
            logger.info("Could not work out a timed-out query in the background", exc_info=True)
        finally:
            summaries.later.discard(key)

    _run_in_background(work())


def _run_in_background(work: Coroutine[Any, Any, None]) -> None:
    task = asyncio.get_running_loop().create_task(work)
    _RUNNING.add(task)  # a task nobody refers to may be collected before it ends
    task.add_done_callback(_RUNNING.discard)


async def _count(datasette: Any, name: str, summaries: Summaries) -> None:
    """Open every table's unfiltered page once, keeping its count and facets."""
    start = time.perf_counter()
    db = datasette.get_database(name)
    token = _counting.set(True)
    try:
        # A canned query of a table's name takes its page (it is not the table's).
        skipped = set(await db.hidden_table_names()) | set(
            await datasette.get_canned_queries(name, None)
        )
        tables = await db.table_names()
        for table in tables:  # Datasette's start-up counts, kept: a restart need not count
            await db.execute(_TABLE_COUNT.format(table))
        _hand_counts(db, summaries, tables)
        for table in tables:
            if table not in skipped:
                path = datasette.urls.table(name, table, format="json") + "?_size=1"
                response = await datasette.client.get(path)
                if response.status_code != 200:
                    raise RuntimeError(f"{path} answered HTTP {response.status_code}")
    except Exception:  # the pages are then computed live, as without summaries
        logger.exception("Could not count the tables of %s", name)
        summaries.state = "failed"
        return
    finally:
        _counting.reset(token)
    summaries.seconds = round(time.perf_counter() - start, 1)
    summaries.state = "ready"
    _save(summaries)


def _hand_counts(db: Database, summaries: Summaries, tables: list[str]) -> None:
    """Give Datasette the table counts its start-up left unknown (Datasette keeps them in
    `_cached_table_counts` and has no setter for them)."""
    answers = (summaries.answers.get(_key(_TABLE_COUNT.format(t), None)) for t in tables)
    db._cached_table_counts = {
        table: found.rows[0][0] if found else None
        for table, found in zip(tables, answers, strict=True)
    }


def start(datasette: Any) -> None:
    """Answer each immutable database's kept queries; those not kept yet are counted once the
    server runs (`count_in_background`)."""
    kept = _KEPT[datasette] = {}
    for name, db in datasette.databases.items():
        if db.is_mutable or db.is_memory:
            continue
        file = cache_file(db, datasette.metadata(database=name))
        summaries = kept[name] = Summaries(file)
        _answering(db, summaries)
        answers = _load(file)
        if answers is not None:
            summaries.answers, summaries.state = answers, "ready"


def count_in_background(datasette: Any) -> None:
    """Start counting what is not kept yet, in the loop that serves (Datasette's command line
    runs the start-up hooks in a loop of their own, which stops before serving)."""
    for name, summaries in _KEPT.get(datasette, {}).items():
        if summaries.state == "counting" and not summaries.started:
            summaries.started = True
            _run_in_background(_count(datasette, name, summaries))


async def status(datasette: Any) -> Response:
    """/-/summaries.json: per immutable database, whether its summaries are ready."""
    kept = _KEPT.get(datasette, {})
    return Response.json({name: summaries.status() for name, summaries in kept.items()})
