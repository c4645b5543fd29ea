"""`yrdnews export`: the rows of one table, in a stable order, filtered by the articles they
come from. The stored tables' columns are the ones crawler/items.py marks as exported; a table
added later (stories, facts) is exported whole once the database has it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlite_utils import Database

from crawler.items import STORED_TABLES

DECLARED = {table.name: table for table in STORED_TABLES}
# Tables of the stories issue: exported once a database has them.
LATER_TABLES = ("stories", "facts")
EXPORTABLE = (*DECLARED, *LATER_TABLES)
ORDER = {"articles": "published_at, id", "figures": "article_id, start", "entities": "id",
         "mentions": "article_id, idx"}  # fmt: skip


class NoSuchTable(LookupError):
    """The table is not in this database (yet)."""


def _article_filter(since: str | None, sources: tuple[str, ...]) -> tuple[str, list[Any]]:
    where, params = ["1 = 1"], []
    if since:
        where.append("published_at >= ?")
        params.append(since)
    if sources:
        where.append(f"source_id in ({', '.join('?' for _ in sources)})")
        params.extend(sources)
    return " and ".join(where), params


def export_rows(
    db: Database, table: str, *, since: str | None = None, sources: tuple[str, ...] = ()
) -> tuple[list[str], Iterator[dict[str, Any]]]:
    """The columns and rows of `table`; `since` and `sources` select articles, and the
    figures, mentions and entities of those articles."""
    if table not in EXPORTABLE:
        raise NoSuchTable(f"cannot export {table!r}: choose one of {', '.join(EXPORTABLE)}")
    if not db[table].exists():
        raise NoSuchTable(f"this database has no {table} table yet")
    columns = list(DECLARED[table].exported if table in DECLARED else db[table].columns_dict)
    where, params = "1 = 1", []
    if since or sources:
        articles, params = _article_filter(since, sources)
        chosen = f"select id from articles where {articles}"
        if table == "articles":
            where = articles
        elif "article_id" in db[table].columns_dict:
            where = f"article_id in ({chosen})"
        elif table == "entities":
            where = f"id in (select entity_id from mentions where article_id in ({chosen}))"
        else:
            raise NoSuchTable(f"--since and --source select articles; {table} has none")
    order = ORDER.get(table, "rowid")
    quoted = ", ".join(f'"{c}"' for c in columns)
    sql = f'select {quoted} from "{table}" where {where} order by {order}'
    return columns, db.query(sql, params)
