"""The schema declared once (crawler/items.py): the databases it makes and migrates, the rows
and JSON it gives, and figure keys."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlite_utils import Database
from sqlite_utils.db import COLUMN_TYPE_MAPPING

from crawler import db as database
from crawler import storage
from crawler.items import (
    ARTICLES,
    FIGURES,
    STORED_TABLES,
    Article,
    Entity,
    Mention,
    WarcRef,
    _table,
)
from crawler.pages import extract_article
from fixtures import DATA
from fixtures.pages import page_bytes, page_url, records
from fixtures.sources import fixture_pages
from fixtures.texts import seed_articles
from pipelines.entities import extract_entities
from pipelines.figures import extract_figures
from tests.conftest import ROOT, TEXT_PIECES

V1_DUMP = DATA / "db" / "v1.sql"
README_SENTENCE = (
    "Suzhou Industrial Park signed 85 projects worth more than 30 billion yuan ($4.65 billion) "
    "in 2020, said Ding Lixin, Director of Suzhou Industrial Park Administrative Committee."
)


def declared_columns(table: Any) -> list[tuple[str, str]]:
    """The columns the schema asks for, as SQLite reports them."""
    return [(column.name, COLUMN_TYPE_MAPPING[column.type]) for column in table.columns]


def database_columns(db: Database, name: str) -> list[tuple[str, str]]:
    return [(column.name, column.type) for column in db[name].columns]


def differences(db: Database) -> list[str]:
    """Where the database and crawler/items.py disagree (columns and their types)."""
    found = []
    for table in STORED_TABLES:
        want, have = dict(declared_columns(table)), dict(database_columns(db, table.name))
        found += [f"{table.name}.{c}: missing" for c in want.keys() - have.keys()]
        found += [f"{table.name}.{c}: not declared" for c in have.keys() - want.keys()]
        found += [
            f"{table.name}.{c}: {have[c]} instead of {want[c]}"
            for c in want.keys() & have.keys()
            if want[c] != have[c]
        ]
        pk = sorted((c for c in db[table.name].columns if c.is_pk), key=lambda c: c.is_pk)
        if [c.name for c in pk] != list(table.pk):
            found.append(f"{table.name}: primary key is not {table.pk}")
    return sorted(found)


def v1_database(path: Path) -> Path:
    """A database as the first schema (m001 at commit f601afc) wrote it, rows included."""
    conn = sqlite3.connect(path)
    conn.executescript(V1_DUMP.read_text(encoding="utf-8"))
    conn.close()
    return path


def rows(db: Database, sql: str) -> list[tuple]:
    return [tuple(row) for row in db.execute(sql).fetchall()]


# --- the databases the schema makes -----------------------------------------------------------


def test_a_new_database_has_the_declared_columns_in_order(tmp_path: Path) -> None:
    db = database.open_db(tmp_path / "new.db")
    for table in STORED_TABLES:
        assert database_columns(db, table.name) == declared_columns(table), table.name
    assert differences(db) == []
    assert [c for c, _ in database_columns(db, "articles")][-1] == "body"  # Datasette: long last


def test_a_v1_database_migrates_to_the_declared_columns_keeping_every_row(
    tmp_path: Path,
) -> None:
    path = v1_database(tmp_path / "v1.db")
    old = Database(path)
    assert [m.name for m in database.migrations.applied(old)] == ["m001_initial"]
    assert differences(old)  # the old figures table: idx, integer equivalent_of
    kept = {  # the columns the old tables had (later migrations may add columns)
        t: (names := ", ".join(f'"{c}"' for c in old[t].columns_dict),
            rows(old, f"select {names} from {t} order by rowid"))
        for t in ("articles", "entities", "mentions")
    }  # fmt: skip
    old_figures = {
        (r["article_id"], r["idx"]): r for r in old.query("select * from figures order by rowid")
    }
    old.close()

    db = database.open_db(path)
    assert differences(db) == []
    for table, (names, before) in kept.items():
        assert rows(db, f"select {names} from {table} order by rowid") == before, table
    new_figures = {(r["article_id"], r["key"]): r for r in db.query("select * from figures")}
    assert len(new_figures) == len(old_figures) == 20
    for (article_id, _), old_row in old_figures.items():
        key = f"{old_row['kind']}@{old_row['start']}"
        new_row = new_figures[(article_id, key)]
        target = old_figures.get((article_id, old_row["equivalent_of"]))
        assert new_row["equivalent_of"] == (target and f"{target['kind']}@{target['start']}")
        same = set(old_row) - {"idx", "equivalent_of"}
        assert {k: new_row[k] for k in same} == {k: old_row[k] for k in same}
    converted = rows(db, "select text, equivalent_of from figures where equivalent_of is not null")
    assert ("$4.65 billion", "money@58") in converted
    assert (
        db.execute(  # the search index survived too
            "select count(*) from articles_fts where articles_fts match ?", ['"苏州"']
        ).fetchone()[0]
        == 1
    )


def test_a_migrated_database_takes_new_writes_like_a_new_one(tmp_path: Path) -> None:
    migrated = database.open_db(v1_database(tmp_path / "v1.db"))
    fresh = database.open_db(tmp_path / "new.db")
    item = analysed(Article(url="https://example.org/r", canonical_url="https://example.org/r",
                            title="t", body=README_SENTENCE, lang="en"))  # fmt: skip
    for db in (migrated, fresh):
        assert storage.store_article(db, item) == "inserted"
        assert storage.store_article(db, item) == "unchanged"
    query = "select * from figures where article_id = ? order by key"
    assert rows(migrated, query.replace("?", str(item.id))) == rows(
        fresh, query.replace("?", str(item.id))
    )


def test_the_check_finds_a_column_the_database_lacks_and_the_helper_adds_it(
    tmp_path: Path,
) -> None:
    db = database.open_db(tmp_path / "x.db")
    db.execute("alter table entities drop column longitude")
    assert differences(db) == ["entities.longitude: missing"]
    database._add_declared_column(db, "entities", "longitude")
    database._add_declared_column(db, "entities", "longitude")  # a new database: nothing to do
    assert differences(db) == []


def test_a_field_without_a_column_is_an_error_naming_it() -> None:
    @dataclass
    class Thing:
        name: str
        forgotten: int | None = None

    with pytest.raises(TypeError, match=r"Thing\.forgotten has no column"):
        _table("things", Thing, "id name", pk=("id",), computed={"id": (int, lambda t, _: 1)})


def test_every_field_of_the_dataclasses_is_stored() -> None:
    stored = {(t.item, c.field) for t in STORED_TABLES for c in t.columns if c.field}
    elsewhere = {
        (Article, "warc"),
        (Article, "figures"),
        (Article, "mentions"),
        (Mention, "entity"),
    }
    for table in STORED_TABLES:
        for f in fields(table.item):
            assert (table.item, f.name) in stored | elsewhere, f"{table.item.__name__}.{f.name}"


# --- rows ------------------------------------------------------------------------------------


def analysed(article: Article) -> Article:
    article.figures = extract_figures(article.body, article.lang)
    article.mentions = extract_entities(article.body, article.lang)
    return article


def place(**changes: Any) -> Entity:
    fields_ = {"type": "place", "name": "Suzhou", "subtype": "prefecture", "code": "320500",
               "name_zh": "苏州市", "parent_code": "320000", "province": "Jiangsu",
               "city": "Suzhou", "latitude": 31.3, "longitude": 120.6}  # fmt: skip
    return Entity(**(fields_ | changes))


def suzhou_article(entity: Entity) -> Article:
    body = "Suzhou grew fast."
    return Article(url="https://example.org/s", canonical_url="https://example.org/s",
                   title="Suzhou", body=body, lang="en",
                   mentions=[Mention(entity=entity, text="Suzhou", start=0, end=6)])  # fmt: skip


@pytest.mark.parametrize(
    "change",
    [{"name_zh": "蘇州市"}, {"parent_code": "320001"}, {"latitude": 31.29}, {"longitude": 120.62}],
)
def test_a_gazetteer_change_to_an_entity_is_written_on_a_recrawl(
    tmp_path: Path, change: dict[str, Any]
) -> None:
    db = database.open_db(tmp_path / "x.db")
    assert storage.store_article(db, suzhou_article(place())) == "inserted"
    assert storage.store_article(db, suzhou_article(place(**change))) == "updated"
    stored = db["entities"].get("place:320500")
    assert {k: stored[k] for k in change} == change


def test_figure_keys_survive_a_reextraction_in_another_order(tmp_path: Path) -> None:
    db = database.open_db(tmp_path / "x.db")
    item = analysed(Article(url="https://example.org/r", canonical_url="https://example.org/r",
                            title="t", body=README_SENTENCE, lang="en"))  # fmt: skip
    storage.store_article(db, item)
    query = f"select * from figures where article_id = {item.id} order by key"
    before = rows(db, query)
    storage.replace_extractions(db, replace(item, figures=item.figures[::-1]))
    assert rows(db, query) == before
    link = db.execute(
        "select f.text, target.text from figures f join figures target"
        " on target.article_id = f.article_id and target.key = f.equivalent_of"
    ).fetchall()
    assert link == [("$4.65 billion", "30 billion yuan")]


@settings(max_examples=200, deadline=1000)
@given(st.one_of(st.text(max_size=400), st.lists(TEXT_PIECES, max_size=120).map("".join)))
def test_figure_keys_are_unique_within_a_text(text: str) -> None:
    keys = [figure.key for figure in extract_figures(text)]
    assert len(keys) == len(set(keys))


def test_a_write_never_asks_sqlite_what_the_tables_look_like(tmp_path: Path) -> None:
    db = database.open_db(tmp_path / "x.db")
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    item = analysed(Article(url="https://example.org/r", canonical_url="https://example.org/r",
                            title="t", body=README_SENTENCE, lang="en"))  # fmt: skip
    storage.store_article(db, item)
    storage.store_article(db, replace(item, title="another"))
    db.conn.set_trace_callback(None)
    # "--": FTS5's own statements; FTS5 also checks `data_version` itself after a schema change
    ours = [s for s in statements if not s.startswith("--") and "data_version" not in s]
    assert len(ours) > 10
    assert [s for s in ours if "sqlite_master" in s or "PRAGMA" in s.upper()] == []
    assert db["figures"].count == 3 and db["mentions"].count == 3


# --- JSON ------------------------------------------------------------------------------------


def fixture_articles() -> list[tuple[str, Article]]:
    """Every fixture article: the real pages, the sources' article pages and the seed texts,
    with figures and entities extracted and a WARC reference, so every part is exercised."""
    found = [(r["file"], extract_article(page_bytes(r), page_url(r))) for r in records()]
    for source_id, page in fixture_pages("article"):
        body = page["path"].read_bytes()
        found.append((f"{source_id}/{page['path'].name}", extract_article(body, page["url"])))
    for seed in seed_articles():
        url = f"https://seed.invalid/{seed.id}"
        found.append((seed.id, Article(url=url, canonical_url=url, title=None, body=seed.text)))
    for n, (_, article) in enumerate(found):
        analysed(article)
        article.warc = WarcRef("data/warc/x.warc.gz", f"<urn:uuid:{n}>", 100 * n)
        article.fetched_at, article.http_status = "2026-11-21T09:00:00+00:00", 200
    return found


FIXTURE_ARTICLES = fixture_articles()


def test_the_fixtures_cover_every_part_of_an_article() -> None:
    articles = [a for _, a in FIXTURE_ARTICLES]
    assert len(articles) == len(records()) + len(fixture_pages("article")) + 5
    assert any(f.equivalent_of for a in articles for f in a.figures)
    assert any(m.entity.name_zh and m.entity.latitude for a in articles for m in a.mentions)
    assert any(m.roles for a in articles for m in a.mentions)


@pytest.mark.parametrize(
    ("name", "article"), FIXTURE_ARTICLES, ids=[n for n, _ in FIXTURE_ARTICLES]
)
def test_article_json_round_trips(name: str, article: Article) -> None:
    text = article.to_json()
    again = Article.from_json(text)
    assert again == article
    assert again.to_json() == text
    assert storage.content_hash(again) == storage.content_hash(article)
    figures = json.loads(text)["figures"]
    keys = {f["key"] for f in figures}
    assert len(keys) == len(figures)
    assert {f["equivalent_of"] for f in figures} - {None} <= keys


def test_a_json_field_this_version_does_not_know_is_an_error() -> None:
    data = FIXTURE_ARTICLES[0][1].to_dict()
    data["figures"][0]["confidence"] = 0.5
    with pytest.raises(ValueError, match="Figure: unknown field.*confidence"):
        Article.from_dict(data)


def test_mention_json_is_flat_and_carries_the_whole_entity() -> None:
    entity = place()
    flat = Mention(entity=entity, text="Suzhou", start=0, end=6).to_dict()
    assert flat["entity_id"] == "place:320500"
    assert {k: flat[k] for k in ("name_zh", "parent_code", "latitude", "longitude")} == {
        "name_zh": "苏州市", "parent_code": "320000", "latitude": 31.3, "longitude": 120.6,
    }  # fmt: skip
    assert Mention.from_dict(flat).entity == entity


def test_export_columns_are_the_articles_columns_without_bookkeeping() -> None:
    assert ARTICLES.exported[0] == "id" and ARTICLES.exported[-1] == "body"
    assert {"content_hash", "crawl_run_id", "stored_at"}.isdisjoint(ARTICLES.exported)
    assert {"warc_file", "warc_record_id", "warc_offset"} <= set(ARTICLES.exported)


def test_extract_json_links_a_conversion_by_key(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from crawler.cli import cli

    text = tmp_path / "a.txt"
    text.write_text(README_SENTENCE, encoding="utf-8")
    result = CliRunner().invoke(cli, ["extract", "--text", str(text)], catch_exceptions=False)
    figures = {f["text"]: f for f in json.loads(result.output)["figures"]}
    assert figures["$4.65 billion"]["equivalent_of"] == figures["30 billion yuan"]["key"]
    assert figures["30 billion yuan"]["key"] == "money@58"
    assert set(figures["30 billion yuan"]) == {"key", *(c.name for c in FIGURES.columns)} - {
        "article_id"
    }


def index_definitions(db: Database) -> set[tuple[str, str]]:
    """Each index as SQLite stores its definition (automatic indexes of keys left out)."""
    return {
        (table, " ".join(sql.split()))
        for table, sql in db.execute(
            "select tbl_name, sql from sqlite_master where type = 'index' and sql is not null"
        )
    }


def test_a_migrated_database_has_the_indexes_of_a_new_one(tmp_path: Path) -> None:
    migrated = database.open_db(v1_database(tmp_path / "v1.db"))
    fresh = database.open_db(tmp_path / "new.db")
    assert index_definitions(migrated) == index_definitions(fresh)


def test_every_column_the_site_facets_or_sorts_a_big_table_by_leads_an_index(
    tmp_path: Path,
) -> None:
    metadata = yaml.safe_load((ROOT / "datasette_metadata.yml").read_text(encoding="utf-8"))
    tables = metadata["databases"]["yrdnews"]["tables"]
    db = database.open_db(tmp_path / "new.db")
    small = {"sources", "crawl_runs", "crawl_run_sources", "entities", "ingested_streams"}
    leading = {
        (table, db.execute(f"select name from pragma_index_info('{name}') where seqno = 0")
         .fetchone()[0])
        for table, name in db.execute("select tbl_name, name from sqlite_master where type = 'index'")
    }  # fmt: skip
    leading |= {(t.name, t.pk[0]) for t in STORED_TABLES}  # a key is its own index
    wanted = {
        (table, column)
        for table, config in tables.items()
        if table not in small and table in db.table_names()  # views (person_titles) aside
        for column in [
            *(f for f in config.get("facets", []) if isinstance(f, str)),
            *(config[k] for k in ("sort", "sort_desc") if k in config),
            *(c.get("chronological") for c in config.get("facets", []) if isinstance(c, dict)),
        ]
        if column
    }
    assert wanted - leading == set()
