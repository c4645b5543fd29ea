"""Datasette plugin: lets SQL segment Chinese search words the way the index was built.

It loads only crawler.search: the hook marker comes from pluggy (it is what `datasette.hookimpl`
is), so importing the plugin pulls in neither Datasette nor the database code.
"""

from __future__ import annotations

import sqlite3

from pluggy import HookimplMarker

from crawler.search import fts_query

hookimpl = HookimplMarker("datasette")


@hookimpl
def prepare_connection(conn: sqlite3.Connection) -> None:
    conn.create_function("yrd_fts_query", 1, fts_query, deterministic=True)
