"""A table's search box (`?_search=`) on the plan that stays fast in a big archive.

Datasette searches a table by adding `id in (select rowid from <fts> where <fts> match
escape_fts(:search))` to every query of the page: its rows, its count and its facets. SQLite
answers that by looking each match up by id. For a few matches nothing is faster; for a word
found in a third of a million articles it reads every one of them, body included, to keep the
newest hundred. With `+id` instead (the same test, no lookup by id), SQLite walks the index of
the sort column (published_at) and stops at the first page of matches, and counts and facets
read a narrow index instead of the table. But the walk may cross most of the index when the
matches are all old (a word of one year's news), so a few matches are still looked up: up to
a sixty-fourth of the table. Measured at a million articles, a lookup costs as much as walking
sixteen index entries while the table is in memory and several times more when its pages must
be read from disk, whereas the date index is small enough to stay in memory: so a walk, at
most the whole index (about 0.3 s), is the cost that stays predictable. How many match the
search index tells in a few milliseconds, so the clause is chosen per search, and what it
finds is the same either way.

A page's count needs no plan: when the search is its only filter, the search index counts its
matches, tens of times faster than either plan (`counted_by_index`).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from datasette.database import QueryInterrupted
from datasette.filters import FilterArguments
from datasette.utils import await_me_maybe

# Matches are looked up by id up to this share of the table's rows, and always up to
# LOOKUP_MATCHES (a few milliseconds for all of them; the floor when the table's size is not
# known, as in a database served mutable, which Datasette does not count ahead).
LOOKUP_SHARE = 1 / 64
LOOKUP_MATCHES = 2000
COUNT_TIME_LIMIT_MS = 200
# The clause Datasette's ?_search= adds (datasette/filters.py): pk, FTS table, FTS table.
_DATASETTE_SEARCH = re.compile(
    r"(?P<pk>\S+) in \(select rowid from (?P<fts>\S+) where (?P=fts) match escape_fts\(:search\)\)"
)
_SEARCH_ONLY_COUNT = re.compile(
    r"select count\(\*\) from (?P<table>\S+) where \+?" + _DATASETTE_SEARCH.pattern + r"\s*"
)


def lookup_limit(db: Any, table: str) -> int:
    """Up to how many matches the search's rows are best looked up by id."""
    rows = (db.cached_table_counts or {}).get(table) or 0
    return max(LOOKUP_MATCHES, int(rows * LOOKUP_SHARE))


async def _many_matches(db: Any, fts_table: str, search: str, limit: int) -> bool:
    """Whether the search matches more than `limit` rows (a timeout counts as many)."""
    sql = (
        f"select count(*) from (select rowid from {fts_table} where {fts_table}"
        f" match escape_fts(:search) limit {limit + 1})"
    )
    try:
        (count,) = (
            await db.execute(sql, {"search": search}, custom_time_limit=COUNT_TIME_LIMIT_MS)
        ).first()
    except QueryInterrupted:
        return True
    return count > limit


async def _replanned(found: Any, db: Any, table: str, search: str) -> Any:
    arguments = await await_me_maybe(found)
    if not isinstance(arguments, FilterArguments):
        return arguments
    for i, clause in enumerate(arguments.where_clauses):
        match = _DATASETTE_SEARCH.fullmatch(clause)
        if match and await _many_matches(db, match["fts"], search, lookup_limit(db, table)):
            arguments.where_clauses[i] = "+" + clause
    return arguments


def counted_by_index(sql: str) -> str | None:
    """The search index's count of a page's count query whose only filter is the search box
    (on either plan); None for any other query. The same number, as an index named after its
    table has that table as its content (crawler/db.py creates it so, as sqlite-utils'
    `enable_fts` does), kept in step by every write."""
    match = _SEARCH_ONLY_COUNT.fullmatch(sql)
    if match is None or match["fts"] != match["table"].strip("[]") + "_fts":
        return None
    fts = match["fts"]
    return f"select count(*) from {fts} where {fts} match escape_fts(:search)"


def replanned(
    results: list[Any], request: Any, database: str, table: str, datasette: Any
) -> list[Any]:
    """The filters of a table page, Datasette's search clause on the cheaper plan."""
    search = request.args.get("_search")
    if not search:
        return results
    db = datasette.get_database(database)

    def later(found: Any) -> Callable[[], Awaitable[Any]]:
        return lambda: _replanned(found, db, table, search)

    return [later(found) for found in results]
