"""Storage: schema, idempotent writes, Chinese-aware full-text search (crawl runs: test_runs.py)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from crawler import db as database
from crawler import runs, storage
from crawler.items import Article, Entity, Figure, Mention, WarcRef
from crawler.search import fts_query


@pytest.fixture
def db(tmp_path: Path):
    handle = database.open_db(tmp_path / "yrdnews.db")
    yield handle
    handle.close()


def article(url: str = "https://example.org/a", **changes) -> Article:
    fields = {
        "url": url,
        "canonical_url": url,
        "title": "Suzhou Industrial Park signs 85 projects",
        "body": "苏州工业园区签约85个项目，总投资超过500亿元。\n\nSuzhou Industrial Park signed 85 projects.",
        "published_at": "2023-02-10T09:00:00+08:00",
        "lang": "zh",
        "warc": WarcRef("data/warc/x.warc.gz", "<urn:uuid:1>", 0),
    }
    fields.update(changes)
    return Article(**fields)


def search(db, words: str) -> list[int]:
    return [
        row[0]
        for row in db.execute(
            "select rowid from articles_fts where articles_fts match ?", [fts_query(words)]
        ).fetchall()
    ]


def test_schema_is_created_in_wal_mode(db) -> None:
    assert {
        "sources",
        "articles",
        "articles_fts",
        "figures",
        "entities",
        "mentions",
        "crawl_runs",
    } <= set(db.table_names())
    assert db.execute("pragma journal_mode").fetchone()[0] == "wal"
    assert "person_titles" in db.view_names()


def test_opening_twice_applies_migrations_once(tmp_path: Path) -> None:
    database.open_db(tmp_path / "x.db").close()
    again = database.open_db(tmp_path / "x.db")
    assert again["_sqlite_migrations"].count == len(database.migrations._migrations) + len(
        runs.migrations._migrations
    )


def test_storing_the_same_article_twice_changes_nothing(db) -> None:
    assert storage.store_article(db, article()) == "inserted"
    before = list(db["articles"].rows)
    assert storage.store_article(db, article()) == "unchanged"
    assert list(db["articles"].rows) == before
    assert storage.store_article(db, article(title="A new headline")) == "updated"
    assert db["articles"].count == 1
    assert db["articles"].get(article().id)["title"] == "A new headline"


def test_article_points_to_its_warc_record(db) -> None:
    storage.store_article(db, article())
    row = db["articles"].get(article().id)
    assert (row["warc_file"], row["warc_record_id"]) == ("data/warc/x.warc.gz", "<urn:uuid:1>")
    assert row["published_month"] == "2023-02"


def test_search_finds_english_and_two_character_chinese_words(db) -> None:
    storage.store_article(db, article())
    storage.store_article(
        db,
        article(
            "https://example.org/b", title="Hangzhou", body="杭州市的新闻。Hangzhou news " * 10
        ),
    )
    first = article().id
    assert search(db, "Suzhou") == [first]
    assert search(db, "苏州") == [first]
    assert search(db, "园区") == [first]
    assert search(db, "苏州工业园区") == [first]
    assert search(db, "蘇州") == [first]  # Traditional queries find Simplified text, and back
    assert search(db, "projects signed") == [first]  # porter stemming: "signs" / "signed"
    assert search(db, '"; drop table articles; --') == []  # punctuation is never FTS syntax


def test_a_changed_canonical_url_replaces_the_old_row(db) -> None:
    storage.store_article(db, article())
    moved = article(canonical_url="https://example.org/canonical")
    storage.store_article(db, moved)
    assert [row["id"] for row in db["articles"].rows] == [moved.id]
    assert search(db, "Suzhou") == [moved.id]


def test_figures_and_mentions_are_replaced_not_duplicated(db) -> None:
    place = Entity(
        type="place",
        name="Suzhou Industrial Park",
        subtype="park",
        code="SIP",
        parent_code="320500",
    )
    item = article(
        figures=[Figure(text="85个项目", start=8, end=14, kind="count", value=85, normalized=85)],
        mentions=[Mention(entity=place, text="苏州工业园区", start=0, end=6)],
    )
    storage.store_article(db, item)
    item.mentions.append(Mention(entity=place, text="Suzhou Industrial Park", start=30, end=52))
    storage.store_article(db, item)
    assert db["figures"].count == 1
    assert db["mentions"].count == 2
    entity = db["entities"].get("place:SIP")
    assert json.loads(entity["aliases"]) == ["Suzhou Industrial Park", "苏州工业园区"]


def test_a_re_stored_article_holds_the_rows_a_first_store_writes(db, tmp_path: Path) -> None:
    """The store rewrites only the figures and mentions that differ from the stored ones: what
    it leaves must be what storing the new extraction alone writes."""
    park = Entity(type="place", name="Suzhou Industrial Park", code="SIP")
    city = Entity(type="place", name="Suzhou", code="320500")
    kept = Figure(text="85个项目", start=8, end=14, kind="count", value=85, normalized=85)
    first = article(
        figures=[
            kept,
            Figure(text="500亿元", start=20, end=25, kind="money", value=500, scale="亿"),
            Figure(text="85 projects", start=50, end=61, kind="count", value=85),
        ],
        mentions=[
            Mention(entity=park, text="苏州工业园区", start=0, end=6),
            Mention(entity=city, text="苏州", start=0, end=2),
        ],
    )
    then = article(
        figures=[
            Figure(text="85 projects", start=50, end=61, kind="count", value=85.0),  # same row
            Figure(text="500亿元", start=20, end=25, kind="money", value=5e10, scale="亿"),
            kept,
            Figure(text="85", start=70, end=72, kind="count", value=85, currency_implied=True),
        ],
        mentions=[Mention(entity=city, text="苏州", start=0, end=2)],
        relevant=True,
    )
    storage.store_article(db, first)
    assert storage.store_article(db, then) == "updated"
    fresh = database.open_db(tmp_path / "fresh.db")
    storage.store_article(fresh, then)
    for table in ("figures", "mentions"):
        order = "article_id, key" if table == "figures" else "article_id, idx"
        rows = [list(h.query(f"select * from {table} order by {order}")) for h in (db, fresh)]
        assert rows[0] == rows[1]
    fresh.close()


def test_article_from_row_round_trips(db) -> None:
    storage.store_article(db, article())
    rebuilt = storage.article_from_row(db["articles"].get(article().id))
    assert storage.content_hash(rebuilt) == storage.content_hash(article())


def test_an_id_collision_never_overwrites_another_article(
    db, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage.store_article(db, article())
    taken = article().id
    monkeypatch.setattr(Article, "id", property(lambda self: taken))
    with pytest.raises(storage.IdCollision):
        storage.store_article(db, article("https://example.org/other"))
    assert [row["url"] for row in db["articles"].rows] == ["https://example.org/a"]


def test_a_changed_page_keeps_its_previous_version(db) -> None:
    first = article(warc=WarcRef("data/warc/a.warc.gz", "<urn:uuid:first>", 10))
    storage.store_article(db, first, crawl_run_id=None)
    changed = article(
        body=first.body + "\n\nCorrection: 86 projects.",
        warc=WarcRef("data/warc/b.warc.gz", "<urn:uuid:second>", 20),
    )
    assert storage.store_article(db, changed) == "updated"
    (version,) = db["article_versions"].rows
    assert (version["article_id"], version["version"], version["body"]) == (first.id, 1, first.body)
    assert (version["warc_record_id"], version["warc_offset"]) == ("<urn:uuid:first>", 10)
    assert version["superseded_at"] and version["stored_at"] <= version["superseded_at"]
    assert db["articles"].get(first.id)["warc_record_id"] == "<urn:uuid:second>"
    # a new extraction of the same page (figures, entities) is no new version of it
    figure = Figure(text="86", start=0, end=2, kind="count", value=86.0)
    assert storage.store_article(db, article(body=changed.body, figures=[figure],
                                             warc=changed.warc)) == "updated"  # fmt: skip
    third = article(title="Suzhou signs 86 projects", body=changed.body, warc=changed.warc)
    assert storage.store_article(db, third) == "updated"
    assert [r["version"] for r in db["article_versions"].rows] == [1, 2]
    assert db["article_versions"].get((first.id, 2))["title"] == first.title
    storage.delete_article(db, first.id)
    assert db["article_versions"].count == 0


def test_a_batch_write_stores_exactly_what_single_writes_store(tmp_path: Path) -> None:
    """`store_articles` (one transaction for many) leaves the rows `store_article` leaves."""
    batch = [article(f"https://example.org/{n}", title=f"Title {n}") for n in range(3)]
    one, many = database.open_db(tmp_path / "one.db"), database.open_db(tmp_path / "many.db")
    for item in batch:
        storage.store_article(one, item)
    counts = storage.store_articles(many, [*batch, batch[0]])
    assert counts == {"inserted": 3, "unchanged": 1}
    columns = "id, url, title, body, content_hash, published_at"
    for table, sql in (("articles", f"select {columns} from articles order by id"),
                       ("fts", "select rowid from articles_fts order by rowid")):  # fmt: skip
        assert list(one.execute(sql)) == list(many.execute(sql)), table


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def stored_urls(path: Path) -> list[str]:
    """What another connection sees: only what was committed."""
    other = database.open_db(path)
    try:
        return [url for (url,) in other.execute("select url from articles order by url")]
    finally:
        other.close()


def test_a_batch_commits_every_n_writes_or_after_its_seconds(tmp_path: Path) -> None:
    path = tmp_path / "yrdnews.db"
    db, clock, done = database.open_db(path), Clock(), []
    batch = storage.Batch(db, size=3, seconds=1.0, clock=clock)
    urls = [f"https://example.org/{n}" for n in range(5)]
    for url in urls[:2]:
        batch.add(lambda db, url=url: storage.store_article(db, article(url)), done.append)
    assert stored_urls(path) == [] and done == []  # nothing written, nothing reported
    batch.add(lambda db: storage.store_article(db, article(urls[2])), done.append)
    assert stored_urls(path) == urls[:3] and done == ["inserted"] * 3
    batch.add(lambda db: storage.store_article(db, article(urls[3])), done.append)
    clock.now += 1.0
    batch.add(lambda db: storage.store_article(db, article(urls[3])), done.append)
    assert stored_urls(path) == urls[:4] and done[3:] == ["inserted", "unchanged"]
    batch.add(lambda db: storage.store_article(db, article(urls[4])), done.append)
    batch.commit()  # what a caller's timer does when nothing else comes
    assert stored_urls(path) == urls and len(done) == 6


def test_a_batch_whose_write_fails_writes_nothing_of_it(db) -> None:
    done: list[str] = []
    batch = storage.Batch(db, size=10)
    batch.add(lambda db: storage.store_article(db, article()), done.append)
    batch.add(lambda db: 1 / 0, done.append)
    with pytest.raises(ZeroDivisionError):
        batch.commit()
    assert db["articles"].count == 0 and done == []
    assert db.execute("select count(*) from articles_fts_docsize").fetchone()[0] == 0


def test_a_changed_text_is_searched_by_its_new_words_only(db) -> None:
    storage.store_article(db, article())
    storage.replace_extractions(db, article())  # same text: the search entry stays
    assert search(db, "苏州") == [article().id]
    storage.store_article(db, article(body="Wuxi signed 12 projects.", lang="en"))
    assert search(db, "苏州") == [] and search(db, "Wuxi") == [article().id]
    storage.replace_extractions(db, article(body="Nantong signed 3 projects.", lang="en"))
    assert search(db, "Wuxi") == [] and search(db, "Nantong") == [article().id]
    assert db.execute("select count(*) from articles_fts_docsize").fetchone()[0] == 1


def test_an_entity_seen_again_keeps_every_surface_form(db) -> None:
    suzhou = Entity(type="place", name="Suzhou", code="320500")
    for n, text in enumerate(["Suzhou", "苏州", "Suzhou"]):
        mention = Mention(entity=suzhou, text=text, start=0, end=len(text))
        storage.store_article(db, article(f"https://example.org/{n}", mentions=[mention]))
    assert json.loads(db["entities"].get("place:320500")["aliases"]) == ["Suzhou", "苏州"]


def test_an_entity_row_does_not_depend_on_which_article_was_stored_last(tmp_path: Path) -> None:
    """An English article names a person without their characters, a Chinese one with them:
    in either order, the entity keeps the characters (a crawl and a re-extraction store
    articles in other orders)."""
    english = Entity(type="person", name="Cao Lubao")
    chinese = Entity(type="person", name="Cao Lubao", name_zh="曹路宝")
    rows = []
    for order in ([english, chinese], [chinese, english]):
        db = database.open_db(tmp_path / f"{len(rows)}.db")
        for n, person in enumerate(order):
            text = person.name_zh or person.name
            mention = Mention(entity=person, text=text, start=0, end=len(text))
            storage.store_article(db, article(f"https://example.org/{n}", mentions=[mention]))
        rows.append(db["entities"].get("person:cao lubao"))
    assert rows[0] == rows[1]
    assert rows[0]["name_zh"] == "曹路宝"


def search_index(db) -> list[tuple]:
    """Every token of the search index, with the row, column and offset it stands at."""
    db.execute(
        "create virtual table if not exists temp.fts_vocab using fts5vocab(main, articles_fts, 'instance')"
    )
    return list(db.execute("select term, doc, col, offset from temp.fts_vocab order by 1, 2, 3, 4"))


def test_a_fingerprint_of_the_earlier_form_still_finds_the_article_unchanged(db) -> None:
    """A database written before the v2 fingerprint holds the JSON one: an unchanged article
    stored or re-extracted again keeps it (so its story is not clustered again)."""
    item = article()
    payload = {k: v for k, v in item.to_dict().items() if k not in {"fetched_at", "warc"}}
    earlier = hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()
    storage.store_article(db, item)
    db.execute("update articles set content_hash = ?", [earlier])
    db.conn.commit()
    assert storage.store_article(db, article()) == "unchanged"
    storage.replace_extractions(db, article())
    assert db.execute("select content_hash from articles").fetchone()[0] == earlier
    assert storage.store_article(db, article(title="Another title")) == "updated"
    assert db.execute("select content_hash from articles").fetchone()[0] == storage.content_hash(
        article(title="Another title")
    )
    assert storage.content_hash(article()).startswith(storage.FINGERPRINT)


def writes() -> list:
    """Writes that touch one search entry several times: inserted, re-stored, changed and
    changed back, re-extracted, moved to another canonical URL (its old row deleted)."""
    suzhou, wuxi = article(), article(body="Wuxi signed 12 projects.", lang="en")
    moved = article(canonical_url="https://example.org/moved", title="Moved")
    other = article("https://example.org/b", title="Hangzhou", body="杭州市的新闻。")
    return [
        lambda db: storage.store_article(db, suzhou),
        lambda db: storage.store_article(db, other),
        lambda db: storage.store_article(db, suzhou),
        lambda db: storage.store_article(db, wuxi),
        lambda db: storage.replace_extractions(db, wuxi),
        lambda db: storage.store_article(db, suzhou),
        lambda db: storage.store_article(db, wuxi),
        lambda db: storage.store_article(db, moved),
        lambda db: storage.store_article(db, other),
    ]


def test_search_entries_written_in_one_batch_equal_those_written_one_by_one(
    tmp_path: Path,
) -> None:
    one, many = database.open_db(tmp_path / "one.db"), database.open_db(tmp_path / "many.db")
    outcomes: list[str] = []
    for write in writes():
        outcomes.append(write(one))
    batch, done = storage.Batch(many, size=100), []
    for write in writes():
        batch.add(write, done.append)
    batch.commit()
    assert done == outcomes
    assert outcomes.count("unchanged") == 2
    assert search_index(many) == search_index(one) != []
    for words in ("苏州", "Wuxi", "Moved", "杭州", "Suzhou"):
        assert search(many, words) == search(one, words), words
    assert search(many, "Wuxi") == [] and search(many, "Moved") == [
        article(canonical_url="https://example.org/moved").id
    ]
    sql = "select id, title, body, content_hash from articles order by id"
    assert list(many.execute(sql)) == list(one.execute(sql))
    many.execute("insert into articles_fts (articles_fts) values ('integrity-check')")


def test_the_same_article_twice_in_store_articles_is_indexed_once(db) -> None:
    counts = storage.store_articles(
        db, [article(), article(body="Wuxi signed 12 projects.", lang="en"), article()]
    )
    assert counts == {"inserted": 1, "updated": 2}
    assert search(db, "苏州") == [article().id] and search(db, "Wuxi") == []
    assert db.execute("select count(*) from articles_fts_docsize").fetchone()[0] == 1


def test_a_savepoint_rolled_back_takes_its_search_entries_with_it(db) -> None:
    def write_then_fail(db) -> None:
        try:
            with storage.transaction(db):
                storage.store_article(db, article("https://example.org/gone", title="Gone"))
                raise RuntimeError
        except RuntimeError:
            pass

    batch = storage.Batch(db)
    batch.add(lambda db: storage.store_article(db, article()))
    batch.add(write_then_fail)
    batch.commit()
    assert search(db, "Gone") == [] and search(db, "Suzhou") == [article().id]
    assert db.execute("select count(*) from articles_fts_docsize").fetchone()[0] == 1
    db.execute("insert into articles_fts (articles_fts) values ('integrity-check')")
