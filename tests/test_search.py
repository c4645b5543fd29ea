"""The search functions Datasette loads: what importing the plugin pulls in, and the cap that
keeps `yrd_fts_query` within Datasette's SQL time limit."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler import site as datasette_plugin
from crawler.chinese import CJK
from crawler.search import MAX_QUERY_CHARS, _fold, fts_query, segment, snippet
from fixtures.pages import page_bytes, records
from fixtures.texts import corpus_articles, seed_articles

ROOT = Path(__file__).resolve().parent.parent


def test_the_datasette_plugin_loads_only_the_search_module() -> None:
    code = "import sys, crawler.site; print(' '.join(sorted(sys.modules)))"
    loaded = set(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                                text=True, cwd=ROOT).stdout.split())  # fmt: skip
    assert "crawler.search" in loaded
    # Datasette is the plugin's host (and imports yaml itself); the crawler's database, archive
    # and Scrapy code stay out.
    forbidden = {"sqlite_utils", "scrapy", "crawler.db", "crawler.storage", "crawler.archive"}
    assert loaded & forbidden == set()
    crawler_modules = {m for m in loaded if m.startswith("crawler.")}
    # crawler.cache: where the site keeps its table summaries.
    expected = {"crawler.cache", "crawler.chinese", "crawler.search"}
    assert {m for m in crawler_modules if not m.startswith("crawler.site")} == expected


def test_only_chinese_search_words_load_jieba_whose_cache_is_the_users(tmp_path: Path) -> None:
    code = (
        "import sys\nfrom crawler.search import fts_query, segment\n"
        "segment('苏州工业园区 Suzhou'), fts_query('Suzhou park')\nprint('jieba' in sys.modules)\n"
        "fts_query('苏州新能源汽车')\nprint('jieba' in sys.modules)"
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=ROOT, env=env
    )
    assert done.stdout.split() == ["False", "True"]
    assert (tmp_path / "yrdnews" / "jieba.cache").is_file()  # not a /tmp file another user owns
    assert not done.stderr  # jieba's progress lines stay quiet


@pytest.fixture
def plugin_connection() -> sqlite3.Connection:
    """A plain sqlite3 connection with the function registered as Datasette's hook does."""
    conn = sqlite3.connect(":memory:")
    datasette_plugin.prepare_connection(conn)
    conn.execute("create virtual table docs using fts5(body)")
    conn.execute("insert into docs (rowid, body) values (1, ?)", [segment("苏州工业园区 亿")])
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


# The query language over a real index built by the storage code.


@pytest.fixture
def indexed(tmp_path: Path):
    from crawler import db as database
    from crawler import storage
    from crawler.items import Article

    db = database.open_db(tmp_path / "search.db")
    texts = {
        "a": ("苏州工业园区签约85个项目", "苏州工业园区举行重点项目集中签约。总投资超500亿元。"),
        "b": ("蘇州市新能源汽車", "蘇州市新能源汽車產業創新集群建設推進大會在太倉舉行。"),
        "c": (
            "Wuxi invests",
            "Xishan District of Wuxi signed investment deals; the industrial park grew.",
        ),
        "d": (
            "Suzhou Industrial Park",
            "Suzhou Industrial Park (SIP) invested in 5G基站 and parks.",
        ),
    }
    ids = {}
    for key, (title, body) in texts.items():
        item = Article(url=f"https://example.org/{key}", canonical_url=f"https://example.org/{key}",
                       title=title, body=body, lang="zh" if key < "c" else "en")  # fmt: skip
        storage.store_article(db, item)
        ids[key] = item.id
    yield db, ids
    db.close()


def found(db, ids: dict[str, int], query: str) -> set[str]:
    names = {v: k for k, v in ids.items()}
    sql = "select rowid from articles_fts where articles_fts match ?"
    return {names[row[0]] for row in db.execute(sql, [fts_query(query)]).fetchall()}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("苏州", {"a", "b"}),  # Simplified finds Traditional
        ("蘇州", {"a", "b"}),  # and back
        ("工业园区", {"a"}),  # inside 苏州工业园区, which jieba never cuts out
        ("园区", {"a"}),
        ("新能源汽车", {"b"}),
        ("苏州新能源汽车", {"b"}),  # typed without spaces: cut into words, each required
        ('"苏州新能源汽车"', set()),  # quoted: one phrase, and 苏州市 stands between
        ('"蘇州市 新能源"', {"b"}),  # a quoted Chinese phrase ignores the spaces typed
        ("苏", {"a", "b"}),  # one character: a prefix of the pairs
        ("Suzhou OR Wuxi", {"c", "d"}),
        ('"industrial park"', {"c", "d"}),
        ('"park industrial"', set()),
        ("invest*", {"c", "d"}),
        ("investment", {"c", "d"}),  # porter: invests, invested, investment
        ("Suzhou -SIP", set()),
        ("park NOT Wuxi", {"d"}),
        ("5G基站", {"d"}),
        ('"; drop table articles; -- (', set()),
        ("OR AND NOT", set()),
    ],
)
def test_the_query_language(indexed, query: str, expected: set[str]) -> None:
    db, ids = indexed
    if not fts_query(query):
        assert expected == set()
        return
    assert found(db, ids, query) == expected


def vocabulary(db) -> set[str]:
    db.execute(
        "create virtual table if not exists temp.vocab using fts5vocab(main, articles_fts, 'row')"
    )
    return {row[0] for row in db.execute("select term from temp.vocab").fetchall()}


def test_the_index_forgets_the_old_text_of_an_updated_or_deleted_article(indexed) -> None:
    from crawler import storage
    from crawler.items import Article

    db, ids = indexed
    assert {"园区", "wuxi"} <= vocabulary(db)
    changed = Article(url="https://example.org/a", canonical_url="https://example.org/a",
                      title="Renamed", body="无锡新区")  # fmt: skip
    storage.store_article(db, changed)
    storage.delete_article(db, ids["c"])
    assert "园区" not in vocabulary(db) and "wuxi" not in vocabulary(db)
    assert {"无锡", "新区", "renam"} <= vocabulary(db)
    assert found(db, ids, "无锡") == {"a"}
    assert db.execute("select count(*) from articles_fts_docsize").fetchone()[0] == 3


def test_snippets_are_cut_from_the_original_text_with_matches_marked() -> None:
    body = "蘇州市新能源汽車產業創新集群建設推進大會在太倉舉行。" + "另一段文字。" * 60
    assert snippet(body, "苏州 新能源汽车").startswith("**蘇州**市**新能源汽車**產業")
    english = "Long opening words. " * 8 + "The park invested 3 billion yuan in Suzhou."
    cut = snippet(english, "investment suzhou")
    assert cut.startswith("…") and "**invested**" in cut and "**Suzhou**" in cut
    assert snippet("No match here.", "苏州") == "No match here."
    assert snippet("a ** b", "b") == "a * **b**"  # the text's own asterisks cannot fake a mark


def _segment_by_callback(text: str | None) -> str:
    """`segment` as it was first written (every run of Chinese through a callback), which the
    index of every database holds: the faster one must give the same text."""
    if not text:
        return ""
    return re.sub(
        f"(?:{CJK.pattern})+",
        lambda m: (
            " " + " ".join([*(m[0][i : i + 2] for i in range(len(m[0]) - 1)), m[0][-1]]) + " "
        ),
        _fold(text),
    )


# Chinese (Simplified, Traditional, compatibility ideographs that fold into the range), the
# characters around it that NFKC folds (full-width letters and punctuation), Latin with accents
# and combining marks, spaces and newlines.
_SEGMENT_CHARS = st.sampled_from(
    list("苏州工业园区蘇經濟亿万 元") + ["\uf900", "\ufa6d", "\u3400", "\u9fff", "\u33ff"]
    + list("，。：（）「」ＡＢ５Ｇ　") + list("Suzhou éè\u0301-_1.\n\t'\"")
)  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.none(), st.text(_SEGMENT_CHARS, max_size=40), st.text(max_size=40)))
def test_segment_gives_the_text_the_index_always_held(text: str | None) -> None:
    assert segment(text) == _segment_by_callback(text)


def test_segment_gives_the_text_the_index_always_held_for_every_corpus_text() -> None:
    texts = [t for a in seed_articles() + corpus_articles() for t in (a.title, a.body)]
    texts += [page_bytes(record).decode("utf-8", "replace") for record in records()]
    assert [segment(t) for t in texts] == [_segment_by_callback(t) for t in texts]
