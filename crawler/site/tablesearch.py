"""A table's search box (`?_search=`) on the plan that stays fast in a big archive.

Datasette searches a table by adding `id in (select rowid from <fts> where <fts> match
escape_fts(:search))` to every query of the page: its rows, its count and its facets. SQLite
answers that by looking each match up by id. For a few matches nothing is faster; for a word
found in a third of a million articles it reads every one of them, body included, to keep the
newest hundred. With `+id` instead (the same test, no lookup by id), SQLite walks the index of
the sort column (published_at) and stops at the first page of matches, and counts and facets
read a narrow index instead of the table. Which plan is cheaper depends on how many articles
match, which the search index tells in well under a millisecond: so the clause is chosen per
search, and what it finds is the same either way.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from datasette.database import QueryInterrupted
from datasette.filters import FilterArguments
from datasette.utils import await_me_maybe

# Up to this many matches each is looked up by id (a few milliseconds for all of them); beyond,
# walking an index costs less than reading every match.
LOOKUP_MATCHES = 2000
COUNT_TIME_LIMIT_MS = 200
# The clause Datasette's ?_search= adds (datasette/filters.py): pk, FTS table, FTS table.
_DATASETTE_SEARCH = re.compile(
    r"(?P<pk>\S+) in \(select rowid from (?P<fts>\S+) where (?P=fts) match escape_fts\(:search\)\)"
)


async def _many_matches(db: Any, fts_table: str, search: str) -> bool:
    """Whether the search matches more than `LOOKUP_MATCHES` rows (a timeout counts as many)."""
    sql = (
        f"select count(*) from (select rowid from {fts_table} where {fts_table}"
        f" match escape_fts(:search) limit {LOOKUP_MATCHES + 1})"
    )
    try:
        (count,) = (
            await db.execute(sql, {"search": search}, custom_time_limit=COUNT_TIME_LIMIT_MS)
        ).first()
    except QueryInterrupted:
        return True
    return count > LOOKUP_MATCHES


async def _replanned(found: Any, db: Any, search: str) -> Any:
    arguments = await await_me_maybe(found)
    if not isinstance(arguments, FilterArguments):
        return arguments
    for i, clause in enumerate(arguments.where_clauses):
        match = _DATASETTE_SEARCH.fullmatch(clause)
        if match and await _many_matches(db, match["fts"], search):
            arguments.where_clauses[i] = "+" + clause
    return arguments


def replanned(results: list[Any], request: Any, database: str, datasette: Any) -> list[Any]:
    """The filters of a table page, Datasette's search clause on the cheaper plan."""
    search = request.args.get("_search")
    if not search:
        return results
    db = datasette.get_database(database)

    def later(found: Any) -> Callable[[], Awaitable[Any]]:
        return lambda: _replanned(found, db, search)

    return [later(found) for found in results]
