"""Datasette plugin: lets SQL segment Chinese search words the way the index was built."""

from __future__ import annotations

import sqlite3

from datasette import hookimpl

from crawler.db import fts_query


@hookimpl
def prepare_connection(conn: sqlite3.Connection) -> None:
    conn.create_function("yrd_fts_query", 1, fts_query, deterministic=True)
