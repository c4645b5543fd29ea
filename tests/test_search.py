"""The search function Datasette loads: what importing the plugin pulls in, and the cap that
keeps `yrd_fts_query` within Datasette's SQL time limit."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from crawler import datasette_plugin
from crawler.search import MAX_QUERY_CHARS

ROOT = Path(__file__).resolve().parent.parent


def test_the_datasette_plugin_loads_only_the_search_module() -> None:
    code = "import sys, crawler.datasette_plugin; print(' '.join(sorted(sys.modules)))"
    loaded = set(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                                text=True, cwd=ROOT).stdout.split())  # fmt: skip
    assert "crawler.search" in loaded
    forbidden = {"sqlite_utils", "yaml", "datasette", "scrapy", "crawler.db", "crawler.storage"}
    assert loaded & forbidden == set()
    assert {m for m in loaded if m.startswith("crawler.")} == {
        "crawler.chinese", "crawler.datasette_plugin", "crawler.search",
    }  # fmt: skip


@pytest.fixture
def plugin_connection() -> sqlite3.Connection:
    """A plain sqlite3 connection with the function registered as Datasette's hook does."""
    conn = sqlite3.connect(":memory:")
    datasette_plugin.prepare_connection(conn)
    conn.execute("create virtual table docs using fts5(body)")
    conn.execute("insert into docs (rowid, body) values (1, ?)", ["苏州 工业 园区 亿"])
    return conn


def test_yrd_fts_query_refuses_a_huge_input_instead_of_running_on(
    plugin_connection: sqlite3.Connection,
) -> None:
    huge = "select length(yrd_fts_query(replace(hex(zeroblob(40000)),'00','亿')))"
    with pytest.raises(sqlite3.OperationalError, match="user-defined function raised exception"):
        plugin_connection.execute(huge).fetchone()
    with pytest.raises(sqlite3.OperationalError):
        plugin_connection.execute("select yrd_fts_query(x'00ff')").fetchone()


def test_yrd_fts_query_answers_up_to_its_cap(plugin_connection: sqlite3.Connection) -> None:
    at_cap = f"select length(yrd_fts_query(replace(hex(zeroblob({MAX_QUERY_CHARS})),'00','亿')))"
    assert plugin_connection.execute(at_cap).fetchone()[0] > 0
    found = plugin_connection.execute(
        "select rowid from docs where docs match yrd_fts_query(?)", ["蘇州园区"]
    ).fetchall()
    assert found == [(1,)]
    assert plugin_connection.execute("select yrd_fts_query(null)").fetchone() == ("",)
