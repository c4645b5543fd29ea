"""SQL functions the canned queries and the search box call. Each is bounded in the length of
what it reads, so Datasette's SQL time limit holds even for a query built to be slow."""

from __future__ import annotations

import re
import sqlite3

from crawler.chinese import to_simplified
from crawler.search import fts_query, snippet

MAX_NAME_CHARS = 200
# Administrative words a reader may or may not type: 苏州 = 苏州市 = Suzhou = Suzhou City.
_ADMIN_SUFFIX = re.compile(
    r"(?:\s+(?:city|province|district|county|municipality)|(?<=\w\w)[市省区县])$"
)


def name_key(name: str | None) -> str | None:
    """A place or entity name folded for matching what a reader typed: case, spaces,
    Traditional characters and a trailing administrative word do not matter."""
    if not isinstance(name, str) or len(name) > MAX_NAME_CHARS:
        return None
    key = " ".join(to_simplified(name).casefold().split())
    return _ADMIN_SUFFIX.sub("", key) or key


def register(conn: sqlite3.Connection) -> None:
    conn.create_function("yrd_fts_query", 1, fts_query, deterministic=True)
    conn.create_function("yrd_snippet", 2, snippet, deterministic=True)
    conn.create_function("yrd_name_key", 1, name_key, deterministic=True)
    # Datasette's ?_search= passes the words through escape_fts(); this one is the project's
    # query language, so the table's search box finds what the "Search articles" query finds.
    conn.create_function("escape_fts", 1, fts_query, deterministic=True)
