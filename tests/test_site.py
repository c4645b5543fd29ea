"""The Datasette site over the demo database, through a real `yrdnews serve`: what it shows,
what it refuses to disclose or run, and the citable snapshot served as a published copy would be."""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import date
from pathlib import Path

import pytest
import yaml
from datasette.app import Datasette
from datasette.database import QueryInterrupted
from markupsafe import Markup

from crawler.chinese import to_simplified
from crawler.serve import DEFAULT_METADATA, SETTINGS, load_metadata, serve_metadata
from crawler.site import summaries, tablesearch
from crawler.site.article import Span, choose_spans, marked_paragraphs
from crawler.site.capture import CaptureNotFound, resolve_archive
from crawler.site.cells import format_quantity
from crawler.site.functions import name_key
from crawler.snapshot import SnapshotExists, make_snapshot
from tests.conftest import ROOT, rows, start_server, stop_server, yrdnews

CANNED = yaml.safe_load((ROOT / "datasette_metadata.yml").read_text(encoding="utf-8"))["databases"][
    "yrdnews"
]["queries"]


def fetch(base: str, path: str, **params: str) -> tuple[int, dict[str, str], bytes]:
    query = ("?" + urllib.parse.urlencode(params)) if params else ""
    try:
        with urllib.request.urlopen(base + path + query, timeout=30) as response:
            return (
                response.status,
                {k.lower(): v for k, v in response.headers.items()},
                response.read(),
            )
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def as_json(base: str, path: str, **params: str) -> object:
    status, _, body = fetch(base, path, **params)
    assert status == 200, body[:300]
    return json.loads(body)


# --- pure parts -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (4e12, "CNY", "4 trillion CNY"),
        (4.65e9, "USD", "4.65 billion USD"),
        (30e9, "CNY", "30 billion CNY"),
        (12.5, "km2", "12.5 km²"),
        (6.2, "%", "6.2%"),
        (85.0, "items", "85"),
        (None, "CNY", None),
    ],
)
def test_amounts_read_as_words(value, unit, expected) -> None:
    assert format_quantity(value, unit) == expected


@pytest.mark.parametrize("typed", ["苏州", "苏州市", "蘇州", "Suzhou", "SUZHOU", "suzhou city"])
def test_place_names_match_by_alias(typed: str) -> None:
    assert name_key(typed) in {name_key("Suzhou"), name_key("苏州市")}
    assert name_key("x" * 201) is None  # bounded: the SQL time limit holds


def test_the_body_is_escaped_and_spans_never_overlap() -> None:
    body = "Invest <script>alert(1)</script> 4 trillion yuan in Suzhou.\n\nSecond paragraph."
    figure = Span(body.index("4 trillion"), body.index(" in Suzhou"), "yrd-figure", "/f", "money")
    place = Span(body.index("Suzhou"), body.index("Suzhou") + 6, "yrd-entity", "/e", "place")
    clash = Span(body.index("trillion"), body.index("trillion") + 8, "yrd-entity", "/x", "no")
    spans = choose_spans(len(body), [figure], [place, clash])
    assert spans == [figure, place]
    paragraphs = marked_paragraphs(body, spans)
    assert len(paragraphs) == 2 and all(isinstance(p, Markup) for p in paragraphs)
    assert "<script>" not in paragraphs[0] and "&lt;script&gt;" in paragraphs[0]
    assert '<a class="yrd-figure" href="/f" title="money">4 trillion yuan</a>' in paragraphs[0]


def test_an_archive_outside_the_served_folders_is_never_read(tmp_path: Path) -> None:
    served = tmp_path / "served"
    served.mkdir()
    (served / "a.warc.gz").write_bytes(b"")
    (tmp_path / "secret.warc.gz").write_bytes(b"")
    assert resolve_archive("data/warc/a.warc.gz", [served]) == served / "a.warc.gz"
    for stored in (str(tmp_path / "secret.warc.gz"), "../secret.warc.gz", "/etc/passwd"):
        with pytest.raises(CaptureNotFound):
            resolve_archive(stored, [served])


# --- the running site -----------------------------------------------------------------------


def test_served_immutable_without_disclosing_folders(datasette: str, demo: Path) -> None:
    (database,) = as_json(datasette, "/-/databases.json")
    assert database["is_mutable"] is False
    assert database["path"] == "yrdnews.db"
    settings = as_json(datasette, "/-/settings.json")
    assert settings["sql_time_limit_ms"] == 5000 and settings["max_returned_rows"] == 1000
    everything = b"".join(
        fetch(datasette, path)[2]
        for path in ("/-/databases.json", "/-/metadata.json", "/-/settings.json", "/-/plugins.json")
    )
    assert str(demo).encode() not in everything
    assert fetch(datasette, "/robots.txt")[2].decode().splitlines() == [
        "User-agent: *",
        "Disallow: /",
    ]


def test_the_sql_time_limit_holds_against_the_search_function(datasette: str) -> None:
    huge = "select length(yrd_fts_query(replace(hex(zeroblob(40000)),'00','亿')))"
    status, _, body = fetch(datasette, "/yrdnews.json", sql=huge)
    assert status == 400 and b"user-defined function raised exception" in body


def test_serving_beyond_localhost_needs_public(demo: Path) -> None:
    refused = yrdnews("serve", "--db", str(demo / "yrdnews.db"), "--host", "0.0.0.0", check=False)
    assert refused.returncode != 0
    assert refused.stderr.strip().splitlines() == [
        "yrdnews: error: --host 0.0.0.0 is not a loopback address: add --public to serve beyond this machine"
    ]


def article_link_target(row: dict) -> object:
    return row.get("article_id") or row.get("latest_article_id") or row.get("crawl_run_id")


@pytest.mark.parametrize("name", sorted(CANNED))
def test_every_canned_query_answers_with_its_defaults_and_links_rows(
    datasette: str, name: str
) -> None:
    params = {
        p: ""
        for p in ("q", "currency", "metric", "person", "place", "entity")
        if f":{p}" in CANNED[name]["sql"]
    }
    data = as_json(datasette, f"/yrdnews/{name}.json", _shape="objects", **params)
    assert data["rows"], f"{name} returned no rows with empty parameters"
    linked = [row for row in data["rows"] if row.get("articles", 1)]  # sources with no article yet
    assert all(article_link_target(row) for row in linked), name
    _, _, html = fetch(datasette, f"/yrdnews/{name}", **params)
    assert html.count(b'href="/yrdnews/articles') >= len(linked)


def test_table_search_and_the_canned_query_find_the_same_articles(
    datasette: str, demo: Path
) -> None:
    for words in [
        "Suzhou",
        "苏州",
        "蘇州",
        "工业园区",
        "新能源汽车",
        "Suzhou OR Wuxi",
        '"industrial park"',
        "invest*",
    ]:
        table = as_json(
            datasette,
            "/yrdnews/articles.json",
            _search=words,
            _col="id",
            _size="max",
            _shape="objects",
        )
        canned = as_json(datasette, "/yrdnews/search.json", q=words, _shape="objects")
        assert {r["id"] for r in table["rows"]} == {r["article_id"] for r in canned["rows"]}, words
        assert table["rows"], words
    texts = rows(demo / "yrdnews.db", "select id, coalesce(title, '') || ' ' || body from articles")
    contains = {i for i, text in texts if "工业园区" in to_simplified(text)}
    found = as_json(
        datasette, "/yrdnews/articles.json", _search="工业园区", _col="id", _shape="objects"
    )
    assert {
        r["id"] for r in found["rows"]
    } == contains  # jieba never cuts 工业园区 out of 苏州工业园区
    assert len(contains) == 5  # 3 real texts, 2 of demo/corpus/composed-stories.jsonl


def test_a_search_on_either_plan_shows_the_same_page(demo: Path, monkeypatch) -> None:
    """Many matches walk the date index instead of looking each match up (tablesearch.py):
    the rows, their count and the facets stay the same."""
    metadata = serve_metadata(
        load_metadata(DEFAULT_METADATA), "yrdnews", archive_dirs=[], allow_robots=False
    )
    site = Datasette([str(demo / "yrdnews.db")], immutables=[], metadata=metadata)

    async def page(words: str) -> dict:
        query = urllib.parse.urlencode(
            [("_search", words), ("_col", "published_at"), ("_col", "title"), ("_size", "max")]
        )
        response = await site.client.get(f"/yrdnews/articles.json?{query}")
        assert response.status_code == 200, response.text[:300]
        return response.json()

    for words in ["Suzhou", "苏州", "Suzhou OR Wuxi", "invest*"]:
        looked_up = asyncio.run(page(words))
        monkeypatch.setattr(tablesearch, "LOOKUP_MATCHES", 0)
        walked = asyncio.run(page(words))
        monkeypatch.undo()
        assert "+id in" in walked["query"]["sql"] and "+" not in looked_up["query"]["sql"]
        assert looked_up["rows"], words
        for part in ("filtered_table_rows_count", "facet_results"):
            assert walked[part] == looked_up[part], (words, part)
        # The same rows in the same date order (articles of the same date in either order).
        assert sorted(walked["rows"], key=str) == sorted(looked_up["rows"], key=str), words
        dates = [[row[1] for row in found["rows"]] for found in (walked, looked_up)]
        assert dates[0] == dates[1], words


WHOLE_TABLES = ["articles", "figures", "mentions", "entities", "facts"]


def _site(db: Path, *, immutable: bool, **settings: int) -> Datasette:
    """The site `yrdnews serve` runs, in this process."""
    metadata = serve_metadata(
        load_metadata(DEFAULT_METADATA), "yrdnews", archive_dirs=[], allow_robots=False
    )
    files = {"immutables": [str(db)]} if immutable else {"files": [str(db)]}
    return Datasette(**files, metadata=metadata, settings={**SETTINGS, **settings})


async def _summaries_ready(site: Datasette) -> dict:
    for _ in range(600):
        states = (await site.client.get("/-/summaries.json")).json()
        if states and all(s["state"] != "counting" for s in states.values()):
            return states["yrdnews"]
        await asyncio.sleep(0.05)
    raise AssertionError(f"still counting: {states}")


async def _worked_out(site: Datasette) -> None:
    """Until no timed-out count or facet is left to work out in the background."""
    for _ in range(600):
        if not (await site.client.get("/-/summaries.json")).json()["yrdnews"]["working_out"]:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("still working out")


async def _whole_tables(site: Datasette, query: str = "") -> dict:
    found = {}
    for table in WHOLE_TABLES:
        response = await site.client.get(f"/yrdnews/{table}.json?_size=1{query}")
        assert response.status_code == 200, response.text[:300]
        page = response.json()
        assert "filtered_table_rows_count" in page, (table, list(page))
        found[table] = {k: page[k] for k in ("filtered_table_rows_count", "facet_results")}
    return found


def test_whole_table_counts_and_facets_are_counted_once_and_kept(
    demo: Path, tmp_path: Path, monkeypatch
) -> None:
    """Served immutable, each table's unfiltered count and facets are counted in the background
    and kept in the cache folder (summaries.py): the pages show what Datasette counts live, a
    server started again on the same file reads them back, a changed file is counted anew, and
    a filtered page is never answered from them."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    db = tmp_path / "yrdnews.db"
    db.write_bytes((demo / "yrdnews.db").read_bytes())
    kept = tmp_path / "cache" / "yrdnews" / "summaries"

    async def first_start() -> tuple[dict, dict, dict]:
        site = _site(db, immutable=True)
        await site.client.get("/-/versions.json")  # the server's first event starts counting
        return (
            await _summaries_ready(site),
            await _whole_tables(site),
            await _whole_tables(_site(db, immutable=False)),
        )

    status, counted, live = asyncio.run(first_start())
    assert status["state"] == "ready" and status["queries"] > len(WHOLE_TABLES)
    assert counted == live
    assert counted["articles"]["filtered_table_rows_count"] == 102
    assert {"relevant", "source_id", "place"} <= set(counted["articles"]["facet_results"])
    (file,) = kept.iterdir()

    # What the kept file says is what a new server shows (so the pages do come from it).
    saved = json.loads(file.read_text())
    # Every table's count Datasette takes on its first request, FTS5's own tables too.
    with sqlite3.connect(db) as conn:
        tables = [
            name for (name,) in conn.execute("select name from sqlite_master where type = 'table'")
        ]
    kept_sql = {json.loads(answer[0])[0] for answer in saved["answers"]}
    assert "articles_fts_data" in tables
    assert {f"select count(*) from [{table}]" for table in tables} <= kept_sql
    for answer in saved["answers"]:
        if json.loads(answer[0])[0].strip() == "select count(*) from articles":
            answer[2] = [[999]]
    file.write_text(json.dumps(saved))

    async def again() -> tuple[dict, dict, dict]:
        site = _site(db, immutable=True)
        first = (await site.client.get("/-/summaries.json")).json()["yrdnews"]
        filtered = await _whole_tables(site, "&lang=en")
        return first, await _whole_tables(site), filtered

    status, reread, filtered = asyncio.run(again())
    assert status["state"] == "ready" and status["seconds"] is None  # read, not counted
    assert reread["articles"]["filtered_table_rows_count"] == 999
    assert 0 < filtered["articles"]["filtered_table_rows_count"] < 102

    db.touch()  # another crawl wrote to it: counted again, and the old answers dropped
    status, recounted, _ = asyncio.run(first_start())
    assert status["seconds"] is not None and recounted == live
    assert [f.name for f in kept.iterdir()] != [file.name] and len(list(kept.iterdir())) == 1


def test_a_first_start_answers_before_the_tables_are_counted(
    demo: Path, tmp_path: Path, monkeypatch
) -> None:
    """Started as `datasette serve` starts it (the start-up hooks, then the ASGI lifespan, as
    uvicorn runs it), Datasette's start-up counts of every table are left to the counting task:
    the start completes with the counts unknown, and once they are counted Datasette has them,
    each what SQLite counts."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    db = tmp_path / "yrdnews.db"
    db.write_bytes((demo / "yrdnews.db").read_bytes())
    held = asyncio.Event()
    counting = summaries._count

    async def held_count(*args: object) -> None:
        await held.wait()
        await counting(*args)

    monkeypatch.setattr(summaries, "_count", held_count)

    async def serve() -> tuple[dict, dict, str]:
        site = _site(db, immutable=True)
        await site.invoke_startup()
        app, sent, events = site.app(), asyncio.Queue(), iter([{"type": "lifespan.startup"}])

        async def receive() -> dict:
            return next(events, None) or await asyncio.Event().wait()

        lifespan = asyncio.create_task(app({"type": "lifespan"}, receive, sent.put))
        started = await asyncio.wait_for(sent.get(), 10)
        assert started["type"] == "lifespan.startup.complete"
        database = site.get_database("yrdnews")
        unknown = dict(database.cached_table_counts)
        page = (await site.client.get("/yrdnews")).text
        held.set()
        await _summaries_ready(site)
        lifespan.cancel()
        return unknown, dict(database.cached_table_counts), page

    unknown, counted, page = asyncio.run(serve())
    with sqlite3.connect(db) as conn:
        found = conn.execute("select name from sqlite_master where type = 'table'")
        tables = [name for (name,) in found]
        live = {t: conn.execute(f"select count(*) from [{t}]").fetchone()[0] for t in tables}
    assert set(unknown) == set(live) and set(unknown.values()) == {None}
    assert "Many rows" in page
    assert counted == live and counted["articles"] == 102


def test_a_count_that_ran_out_of_time_is_worked_out_for_the_next_request(demo: Path) -> None:
    """A count or facet query past its time limit fails as Datasette's do (the page lists the
    facet as timed out), is worked out in the background, and answers the next request."""
    slow = (
        "select count(*) from (with recursive n(i) as"
        " (select 1 union all select i + 1 from n where i < 2000000) select i from n)"
    )

    async def twice() -> tuple[str, int, int]:
        site = _site(demo / "yrdnews.db", immutable=True)
        await site.client.get("/-/versions.json")
        db = site.get_database("yrdnews")
        try:
            await db.execute(slow, custom_time_limit=1)
            first = "answered"
        except QueryInterrupted:
            first = "timed out"
        await _worked_out(site)
        started = time.perf_counter()
        (count,) = (await db.execute(slow, custom_time_limit=1)).first()
        return first, count, time.perf_counter() - started

    first, count, seconds = asyncio.run(twice())
    assert first == "timed out" and count == 2_000_000 and seconds < 0.5


def test_filtered_pages_show_what_datasette_counts_live(demo: Path) -> None:
    """Counts and facets of filtered pages remembered, or worked out after a time-out, are
    those of a database served without summaries."""
    paths = [
        "/yrdnews/articles.json?_size=1&relevant=1",
        "/yrdnews/articles.json?_size=1&_search=Suzhou",
        f"/yrdnews/articles.json?_size=1&_search={urllib.parse.quote('苏州 OR Wuxi')}",
        "/yrdnews/articles.json?_size=1&_search=Suzhou&lang=en",
        "/yrdnews/figures.json?_size=1&kind=money",
    ]

    async def pages() -> tuple[list, list]:
        hurried = _site(demo / "yrdnews.db", immutable=True, facet_time_limit_ms=1)
        for path in paths:
            await hurried.client.get(path)
        await _worked_out(hurried)
        live = _site(demo / "yrdnews.db", immutable=False)
        return (
            [(await hurried.client.get(path)).json() for path in paths],
            [(await live.client.get(path)).json() for path in paths],
        )

    remembered, live = asyncio.run(pages())
    for path, again, counted in zip(paths, remembered, live, strict=True):
        assert again["facet_results"] and again["facet_results"] == counted["facet_results"], path
        assert again["filtered_table_rows_count"] == counted["filtered_table_rows_count"], path


def test_a_page_past_its_time_limit_answers_its_rows_and_the_rest_next_time(
    demo: Path, monkeypatch
) -> None:
    """With no time left for a page's counts and facets, its rows come at once without them
    (the HTML page lists the facets as timed out), but with the count the search index gives;
    worked out in the background, they are what Datasette counts live from the next request on."""
    monkeypatch.setattr(summaries, "PAGE_TIME_LIMIT_MS", 0)
    path = "/yrdnews/articles.json?_size=3&_search=Suzhou"

    async def pages() -> tuple[dict, str, dict, dict]:
        hurried = _site(demo / "yrdnews.db", immutable=True)
        await _summaries_ready(hurried)  # the unfiltered pages, counted without a page limit
        first = (await hurried.client.get(path)).json()
        html = (await hurried.client.get(path.replace(".json", ""))).text
        await _worked_out(hurried)
        live = _site(demo / "yrdnews.db", immutable=False)
        return (
            first,
            html,
            (await hurried.client.get(path)).json(),
            (await live.client.get(path)).json(),
        )

    first, html, again, live = asyncio.run(pages())
    assert first["rows"] == live["rows"] and len(live["rows"]) == 3
    assert first["facet_results"] == {}
    assert first["filtered_table_rows_count"] == live["filtered_table_rows_count"] > 3
    timed_out = re.search(r"These facets timed out: ([^<]*)", html)
    assert timed_out and {"source_id", "published_month", "place"} <= set(
        timed_out[1].replace(",", " ").split()
    )
    assert again["filtered_table_rows_count"] == live["filtered_table_rows_count"] > 3
    assert again["facet_results"] == live["facet_results"] and len(live["facet_results"]) >= 5


def test_a_search_only_count_is_the_search_index_count() -> None:
    """The count query of a page filtered by its search box alone, on either plan, is asked of
    the search index; with any other filter it is left as it is."""
    search = "id in (select rowid from articles_fts where articles_fts match escape_fts(:search))"
    by_index = "select count(*) from articles_fts where articles_fts match escape_fts(:search)"
    assert tablesearch.counted_by_index(f"select count(*) from articles where {search}") == by_index
    assert tablesearch.counted_by_index(f"select count(*) from articles where +{search} ") == (
        by_index
    )
    for other in [
        f"select count(*) from articles where {search} and kind = :p0",
        f"select count(*) from articles where kind = :p0 and {search}",
        f"select count(*) from figures where {search}",  # an index of another table
        f"select id from articles where {search}",
    ]:
        assert tablesearch.counted_by_index(other) is None, other


def test_search_snippets_come_from_the_articles_own_text(datasette: str) -> None:
    canned = as_json(datasette, "/yrdnews/search.json", q="蘇州", _shape="objects")
    for row in canned["rows"]:
        assert "**苏州**" in row["snippet"] or "**蘇州**" in row["snippet"], row["snippet"][:80]
        assert " 州 " not in row["snippet"]  # no index tokens


def test_the_archived_capture_is_served_sandboxed(datasette: str, demo: Path) -> None:
    ((article_id, url),) = rows(
        demo / "yrdnews.db", "select id, url from articles where url like '%shine.cn%' limit 1"
    )
    status, headers, body = fetch(datasette, f"/-/capture/yrdnews/{article_id}")
    assert status == 200 and len(body) > 1000
    policy = headers["content-security-policy"]
    assert policy.startswith("sandbox;") and "default-src 'none'" in policy
    assert headers["x-content-type-options"] == "nosniff"
    assert fetch(datasette, "/-/capture/yrdnews/1")[0] == 404


def test_dates_facet_newest_first_and_places_filter_articles(datasette: str) -> None:
    data = as_json(datasette, "/yrdnews/articles.json", _extra="facet_results", _size="0")
    facets = (
        data["facet_results"]["results"]
        if "results" in data["facet_results"]
        else data["facet_results"]
    )
    months = [r["value"] for r in facets["published_month"]["results"]]
    assert months == sorted(months, reverse=True)
    place = facets["place"]["results"][0]
    filtered = as_json(
        datasette, "/yrdnews/articles.json", _mentions=place["value"], _col="id", _size="max"
    )
    assert len(filtered["rows"]) == place["count"]


# --- the citable snapshot ---------------------------------------------------------------------


def test_a_snapshot_is_complete_citable_and_served_as_published(demo: Path, tmp_path: Path) -> None:
    made = make_snapshot(demo / "yrdnews.db", tmp_path, day=date(2025, 6, 1))
    folder = tmp_path / "yrdnews-2025-06-01"
    assert made.folder == folder
    assert {p.name for p in folder.iterdir()} == {
        "yrdnews.db", "DATA_DICTIONARY.md", "METHOD.md", "CITATION.cff", "README.md", "metadata.json",
    }  # fmt: skip
    copy, original = folder / "yrdnews.db", demo / "yrdnews.db"
    assert rows(copy, "select id, content_hash from articles order by id") == rows(
        original, "select id, content_hash from articles order by id"
    )
    dictionary = (folder / "DATA_DICTIONARY.md").read_text(encoding="utf-8")
    with sqlite3.connect(copy) as conn:
        for table in (
            "articles",
            "figures",
            "entities",
            "mentions",
            "sources",
            "crawl_runs",
            "person_titles",
        ):
            for column in conn.execute(f"pragma table_info({table})").fetchall():
                assert f"| `{column[1]}` |" in dictionary, (table, column[1])
    assert "(no description)" not in dictionary
    readme = (folder / "README.md").read_text(encoding="utf-8")
    assert made.sha256 in readme and "## Suggested citation" in readme
    run_lines = [line for line in readme.splitlines() if re.match(r"\| \d+ \| .* \| ok \|", line)]
    assert len(run_lines) == len(rows(copy, "select id from crawl_runs")) == 2
    method = (folder / "METHOD.md").read_text(encoding="utf-8")
    assert "bench/figures_eval.py" in method and "precision" in method.lower()
    assert "R core" in method  # the figures script's own table, as it printed it
    with pytest.raises(SnapshotExists):
        make_snapshot(demo / "yrdnews.db", tmp_path, day=date(2025, 6, 1), accuracy="")
    # What the image `datasette package` builds runs: datasette serve -i FILE -m metadata.json.
    server, base = start_server(
        [
            sys.executable,
            "-m",
            "datasette",
            "serve",
            "-i",
            "yrdnews.db",
            "--metadata",
            "metadata.json",
        ],
        cwd=folder,
    )
    try:
        metadata = as_json(base, "/-/metadata.json")
        assert metadata["title"] == "yrd-news snapshot 2025-06-01"
        assert as_json(base, "/yrdnews/search.json", q="苏州", _shape="objects")["rows"]
        status, _, page = fetch(
            base, f"/yrdnews/articles/{rows(copy, 'select id from articles limit 1')[0][0]}"
        )
        assert status == 200 and b'class="yrd-body"' in page
    finally:
        stop_server(server)
