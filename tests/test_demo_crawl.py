"""End to end: build the demo snapshot, crawl it offline into SQLite with the real
`yrdnews` command, crawl it again, and query the result through a real Datasette server."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from crawler import db as database
from crawler.archive import ReplayArchive, read_response
from crawler.chinese import to_simplified
from crawler.cli import cli
from crawler.items import STORY_TABLES, Entity
from fixtures.compose import COMPOSED_TEXT_NOTE
from fixtures.texts import article_records, composed_articles, corpus_articles, seed_articles
from tests.conftest import crawl_demo, rows, yrdnews

ROOT = Path(__file__).resolve().parent.parent

SEEDS = seed_articles()


def test_every_seed_and_corpus_article_is_stored(demo: Path) -> None:
    stored = {url for (url,) in rows(demo / "yrdnews.db", "select url from articles")}
    corpus = [article.url for article in corpus_articles()]
    assert {seed.url for seed in SEEDS} <= stored
    missing = [url for url in corpus if url not in stored]
    assert missing == []


def test_the_composed_texts_are_stored_from_pages_that_say_so_at_example_hosts(
    demo: Path,
) -> None:
    manifest = [json.loads(line) for line in (demo / "manifest.jsonl").read_text().splitlines()]
    composed = {row["url"] for row in manifest if row["origin"].startswith("composed text")}
    assert composed == {text.url for text in composed_articles()}
    assert all(urllib.parse.urlsplit(url).hostname.endswith(".example") for url in composed)
    stored = {url for (url,) in rows(demo / "yrdnews.db", "select url from articles")}
    assert composed <= stored
    archive = ReplayArchive([demo / "snapshot.warc.gz"])
    for url in composed:
        assert COMPOSED_TEXT_NOTE in archive.get(url).body.decode("utf-8"), url


def test_discovery_pages_lead_to_articles_of_registry_sources(demo: Path) -> None:
    by_source = dict(
        rows(demo / "yrdnews.db", "select source_id, count(*) from articles group by source_id")
    )
    registry_sources = {s for s in by_source if s != "other"}
    assert len(registry_sources) >= 3
    (stats,) = rows(demo / "yrdnews.db", "select stats from crawl_runs where id = 1")
    stats = json.loads(stats[0])
    for source in (demo / "sources.txt").read_text().split():
        # its discovery page and at least one article it linked were fetched
        assert stats[source]["downloader/response_count"] >= 2, source
        assert by_source.get(source, 0) >= 1, source  # nothing is dropped for its topic


CORPUS = list(article_records().values())


def test_each_syndicated_pair_of_the_corpus_is_one_story(demo: Path) -> None:
    story = dict(
        rows(
            demo / "yrdnews.db",
            "select a.url, s.story_id from articles a join story_articles s on s.article_id = a.id",
        )
    )
    url = {record["id"]: record["url"] for record in CORPUS}
    pairs = {frozenset((r["id"], r["syndicated_with"])) for r in CORPUS if r["syndicated_with"]}
    assert len(pairs) == 4
    for pair in pairs:
        a, b = sorted(pair)
        assert story[url[a]] == story[url[b]], pair
    # and nothing else of the corpus is merged into those stories
    members = rows(
        demo / "yrdnews.db",
        "select story_id, count(*) from story_articles group by story_id having count(*) > 1",
    )
    paired = {story[url[i]] for pair in pairs for i in pair}
    assert paired <= {story_id for story_id, _ in members}
    counts = dict(members)
    assert all(counts[story_id] == 2 for story_id in paired)


def test_a_story_stored_in_one_run_is_founded_by_its_earliest_copy(demo: Path) -> None:
    # The demo's first run has a dozen spiders; the Jiaxing story's copies come from two of
    # them. Clustered spider by spider, the copy whose spider closed first founded the story,
    # so its id depended on timing.
    founded = rows(
        demo / "yrdnews.db",
        """select s.id, s.original_article_id, count(distinct a.source_id) from stories s
           join story_articles m on m.story_id = s.id join articles a on a.id = m.article_id
           group by s.id having count(distinct a.crawl_run_id) = 1 and count(*) > 1""",
    )
    assert any(outlets > 1 for _, _, outlets in founded)
    assert [(story, original) for story, original, _ in founded if story != original] == []


def test_the_off_topic_controls_fall_below_the_relevance_threshold(demo: Path) -> None:
    scored = {
        url: (relevant, reasons)
        for url, relevant, reasons in rows(
            demo / "yrdnews.db", "select url, relevant, relevance_reasons from articles"
        )
    }
    controls = [r["url"] for r in CORPUS if not r["on_topic"]]
    assert len(controls) == 4
    assert [scored[url][0] for url in controls] == [0, 0, 0, 0]
    assert all(json.loads(scored[url][1]) for url in controls)  # with their reasons
    on_topic = [scored[r["url"]][0] for r in CORPUS if r["on_topic"]]
    assert on_topic == [1] * 36


def test_seed_dates_keep_their_offsets(demo: Path) -> None:
    published = dict(rows(demo / "yrdnews.db", "select url, published_at from articles"))
    assert published["https://www.shine.cn/news/metro/2011079293/"] == "2020-11-07T16:50:00+08:00"
    assert published[SEEDS[2].url].startswith("2019-07-04")
    assert published[SEEDS[3].url].startswith("2022-01-07")


def test_articles_point_to_their_warc_records(demo: Path) -> None:
    archive = ReplayArchive([demo / "snapshot.warc.gz"])
    for url, record_id in rows(demo / "yrdnews.db", "select url, warc_record_id from articles"):
        assert archive.get(url).ref.record_id == record_id


def test_crawl_runs_are_recorded(demo: Path) -> None:
    runs = rows(
        demo / "yrdnews.db", "select status, articles, replay_misses, finished_at from crawl_runs"
    )
    assert [r[0] for r in runs] == ["ok", "ok"]
    assert (
        sum(r[1] for r in runs) == rows(demo / "yrdnews.db", "select count(*) from articles")[0][0]
    )
    assert all(r[3] for r in runs)


def test_crawling_the_same_archive_twice_leaves_the_same_rows(demo: Path, tmp_path: Path) -> None:
    copy = tmp_path / "yrdnews.db"
    shutil.copy(demo / "yrdnews.db", copy)
    tables = ["articles", "articles_fts", "figures", "entities", "mentions", "sources"]
    tables += [table.name for table in STORY_TABLES]  # clustering again changes nothing
    before = {t: rows(copy, f"select * from {t} order by 1, 2") for t in tables}
    crawl_demo(demo, copy, "--refresh")  # known articles are requested and stored again
    after = {t: rows(copy, f"select * from {t} order by 1, 2") for t in tables}
    assert before == after
    unchanged = rows(
        copy, "select articles, articles_unchanged from crawl_runs order by id desc limit 2"
    )
    assert all(stored == 0 and same > 0 for stored, same in unchanged)


def test_a_request_missing_from_the_archive_is_a_counted_miss(demo: Path, tmp_path: Path) -> None:
    urls = tmp_path / "urls.txt"
    urls.write_text("https://www.shine.cn/news/metro/0000000000/\n")
    db = tmp_path / "miss.db"
    result = yrdnews(
        "crawl", "--replay", str(demo / "snapshot.warc.gz"), "--db", str(db), "--urls", str(urls),
        "--data-dir", str(tmp_path), check=False,
    )  # fmt: skip
    assert "1 missing from the archive" in result.stderr
    # the archive answered nothing this run asked for: the run failed, and says so
    assert result.returncode == 4
    assert rows(db, "select status, replay_misses, articles from crawl_runs") == [("failed", 1, 0)]


def stored_extractions(db: Path) -> dict[int, tuple[list, list]]:
    """Each article's figures (as `yrdnews extract` prints them) and mentions, as stored."""
    found: dict[int, tuple[list, list]] = {}
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        for (article_id,) in conn.execute("select id from articles"):
            figures = conn.execute(
                "select * from figures where article_id = ? order by start", [article_id]
            )
            mentions = conn.execute(
                "select entity_id, text, start, end, title, roles from mentions"
                " where article_id = ? order by idx",
                [article_id],
            )
            found[article_id] = (
                [{k: v for k, v in dict(row).items() if k != "article_id"} for row in figures],
                [(*row[:5], json.loads(row[5]) if row[5] else []) for row in mentions],
            )
    return found


def test_extract_the_crawl_and_reextract_give_the_same_figures_and_entities(
    demo: Path, tmp_path: Path
) -> None:
    stored = stored_extractions(demo / "yrdnews.db")
    assert sum(len(figures) for figures, _ in stored.values()) > 100
    relevance = dict(rows(demo / "yrdnews.db", "select id, relevance from articles"))

    # `yrdnews extract` on the archived page of every stored article
    page = tmp_path / "page.html"
    for article_id, url, warc_file, offset in rows(
        demo / "yrdnews.db", "select id, url, warc_file, warc_offset from articles"
    ):
        page.write_bytes(read_response(warc_file, offset).body)
        result = CliRunner().invoke(cli, ["extract", str(page), "--url", url])
        assert result.exit_code == 0, result.output
        extracted = json.loads(result.output)
        mentions = [
            (Entity(m["type"], m["name"], code=m["code"]).id, m["text"], m["start"], m["end"],
             m["title"], m["roles"])
            for m in extracted["entities"]
        ]  # fmt: skip
        assert (extracted["figures"], mentions) == stored[article_id], url
        assert extracted["relevance"]["score"] == relevance[article_id], url

    # `yrdnews reextract` over the stored articles, and (after a page object that went wrong)
    # over their archived pages
    no_extractions = "delete from figures; delete from mentions;"
    older_page_object = "update articles set title = 'x', body = 'x', content_hash = 'x';"
    for args, stale in (
        ([], no_extractions),
        (["--from-archive"], no_extractions + older_page_object),
    ):
        copy = tmp_path / f"reextract{len(args)}.db"
        shutil.copy(demo / "yrdnews.db", copy)
        with sqlite3.connect(copy) as conn:
            conn.executescript(stale)
        # as that older state would have been stored: its search entries match its text
        stale_db = database.open_db(copy)
        database.reindex(stale_db)
        stale_db.close()
        yrdnews("reextract", "--db", str(copy), *args)
        assert stored_extractions(copy) == stored
    article_columns = "id, title, body, url, canonical_url, published_at, content_hash, warc_offset"
    sql = f"select {article_columns} from articles"
    assert sorted(rows(copy, sql)) == sorted(rows(demo / "yrdnews.db", sql))
    assert search_index(copy) == search_index(demo / "yrdnews.db")


def search_index(db: Path) -> tuple[list[tuple], list[tuple]]:
    """What the search index holds (its content is the articles table): every term with the
    articles and times it occurs, and each article's indexed length."""
    with sqlite3.connect(db) as conn:
        conn.execute("create virtual table temp.terms using fts5vocab(main, articles_fts, 'row')")
        terms = conn.execute("select term, doc, cnt from temp.terms order by term").fetchall()
        sizes = conn.execute("select id, sz from articles_fts_docsize order by id").fetchall()
    return terms, sizes


def get(base: str, path: str, **params: str) -> bytes:
    query = ("?" + urllib.parse.urlencode(params)) if params else ""
    with urllib.request.urlopen(base + path + query, timeout=30) as response:
        return response.read()


def test_datasette_lists_articles_as_json(datasette: str) -> None:
    data = json.loads(get(datasette, "/yrdnews/articles.json", _shape="objects", _size="max"))
    titles = [row["title"] for row in data["rows"]]
    assert SEEDS[4].title in titles
    assert json.loads(get(datasette, "/yrdnews/figures.json"))["rows"]
    assert json.loads(get(datasette, "/yrdnews/entities.json"))["rows"]


@pytest.mark.parametrize("words", ["Suzhou", "苏州", "工业园区", "新能源"])
def test_datasette_search_finds_english_and_chinese(datasette: str, words: str) -> None:
    data = json.loads(get(datasette, "/yrdnews/articles.json", _search=words, _shape="objects"))
    assert data["rows"], words
    texts = [to_simplified((r["title"] or "") + r["body"]).casefold() for r in data["rows"]]
    assert [text[:80] for text in texts if words.casefold() not in text] == []


def test_datasette_exports_csv(datasette: str) -> None:
    csv_text = get(datasette, "/yrdnews/articles.csv", _search="Suzhou").decode("utf-8")
    header, *lines = csv_text.splitlines()
    assert header.startswith("id,title,published_at,")
    assert len(lines) >= 5


CANNED = yaml.safe_load((ROOT / "datasette_metadata.yml").read_text(encoding="utf-8"))["databases"][
    "yrdnews"
]["queries"]
PARAMS = {
    "q": "苏州",
    "currency": "CNY",
    "metric": "output",
    "person": "",
    "place": "Suzhou",
    "entity": "place:320500",
    "story": "",
    "copies": "",
    "kind": "",
}


@pytest.mark.parametrize("name", sorted(CANNED))
def test_every_canned_query_answers_json(datasette: str, name: str) -> None:
    needed = {p: v for p, v in PARAMS.items() if f":{p}" in CANNED[name]["sql"]}
    data = json.loads(get(datasette, f"/yrdnews/{name}.json", _shape="objects", **needed))
    assert data["rows"], f"{name} returned no rows"


def test_no_canned_query_hides_a_table_or_view_page(datasette: str, demo: Path) -> None:
    """Datasette answers /db/<name> with a canned query of that name before a table of it."""
    with sqlite3.connect(demo / "yrdnews.db") as conn:
        named = {
            n
            for (n,) in conn.execute(
                "select name from sqlite_master where type in ('table', 'view')"
            )
        }
    assert named & set(CANNED) == set()
    for table, facet in (("stories", "lang"), ("source_health", None)):
        data = json.loads(get(datasette, f"/yrdnews/{table}.json", _shape="objects"))
        assert data["table"] == table and data["rows"], table  # the table's page, not a query
        if facet:
            assert data["facet_results"][facet]["results"]  # its metadata's facets


def test_a_crawl_killed_midway_leaves_a_consistent_resumable_database(
    demo: Path, tmp_path: Path
) -> None:
    db = tmp_path / "killed.db"
    args = [
        "crawl",
        "--replay",
        str(demo / "snapshot.warc.gz"),
        "--db",
        str(db),
        "--data-dir",
        str(tmp_path),
        "--urls",
        str(demo / "urls.txt"),
    ]
    process = subprocess.Popen(
        [sys.executable, "-m", "crawler", *args], cwd=ROOT, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if db.exists() and rows(db, "select count(*) from articles")[0][0] >= 3:
                break
        except sqlite3.OperationalError:
            pass  # the schema is still being created
        time.sleep(0.05)
    process.kill()  # SIGKILL: no chance to clean up
    process.wait()
    assert rows(db, "pragma integrity_check") == [("ok",)]
    partial = rows(db, "select count(*) from articles")[0][0]
    # every stored article is whole: its search entry was written in the same transaction
    # (articles_fts_docsize holds one row per indexed article; the index's content is articles)
    assert rows(db, "select count(*) from articles_fts_docsize")[0][0] == partial
    yrdnews(*args)
    statuses = [s for (s,) in rows(db, "select status from crawl_runs order by id")]
    assert statuses[-1] == "ok"
    assert set(statuses[:-1]) <= {"interrupted"}
    expected = rows(demo / "yrdnews.db", "select count(*) from articles where crawl_run_id = 2")[0][
        0
    ]
    assert rows(db, "select count(*) from articles")[0][0] == expected
