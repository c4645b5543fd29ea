"""`yrdnews reextract --from-archive`: a replay crawl of a small WARC built here, then the
page object run again on the very records the stored articles point to."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler import db as database
from crawler import storage
from crawler.archive import WarcRecorder
from crawler.cli import cli
from crawler.items import Article
from fixtures.compose import compose_article_html
from fixtures.texts import seed_articles
from tests.conftest import rows, yrdnews

HTML = [("Content-Type", "text/html; charset=utf-8")]
# Two seed texts published as composed pages (fixtures/compose.py), at their real URLs.
SEEDS = [seed_articles()[n] for n in (3, 4)]
COLUMNS = "url, title, body, published_at, content_hash, warc_record_id"


def page(n: int) -> bytes:
    seed = SEEDS[n]
    return compose_article_html(title=seed.title, text=seed.body, published=seed.published)


def reextract(db: Path, *args: str):
    return CliRunner().invoke(cli, ["reextract", "--db", str(db), *args])


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("reextract")
    recorder = WarcRecorder(folder / "small.warc.gz")
    for n, seed in enumerate(SEEDS):
        recorder.write(seed.url, 200, HTML, page(n))
    recorder.close()
    (folder / "urls.txt").write_text("".join(seed.url + "\n" for seed in SEEDS))
    yrdnews(
        "crawl", "--replay", str(folder / "small.warc.gz"), "--urls", str(folder / "urls.txt"),
        "--db", str(folder / "crawled.db"), "--data-dir", str(folder), timeout=300,
    )  # fmt: skip
    assert rows(folder / "crawled.db", "select count(*) from articles") == [(2,)]
    return folder


@pytest.fixture
def db(crawled: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "yrdnews.db"
    copy.write_bytes((crawled / "crawled.db").read_bytes())
    return copy


def test_a_page_extraction_fix_reaches_stored_articles(crawled: Path, db: Path) -> None:
    fresh = rows(db, f"select {COLUMNS} from articles order by url")
    figures = rows(db, "select * from figures order by 1, 2")
    # As an older page object might have left them: another title, a cut body, no figures.
    with sqlite3.connect(db) as conn:
        conn.executescript(
            "update articles set title = 'Home', body = substr(body, 1, 120), content_hash = 'old';"
            "delete from figures;"
        )
    plain = reextract(db)
    assert plain.exit_code == 0, plain.stderr
    assert rows(db, "select title from articles") == [("Home",), ("Home",)]  # text kept as stored

    result = reextract(db, "--from-archive")
    assert result.exit_code == 0, result.stderr
    assert "2 rewritten from the archive" in result.stderr
    assert rows(db, f"select {COLUMNS} from articles order by url") == fresh
    assert rows(db, "select * from figures order by 1, 2") == figures

    # Archived again later, with other text: the article keeps pointing at its own record.
    recorder = WarcRecorder(crawled / "small.warc.gz")
    recorder.write(SEEDS[0].url, 200, HTML, page(1))
    recorder.close()
    again = reextract(db, "--from-archive")
    assert "0 rewritten from the archive, 2 unchanged" in again.stderr
    assert rows(db, f"select {COLUMNS} from articles order by url") == fresh


def test_an_unreadable_record_keeps_the_stored_article(db: Path, tmp_path: Path) -> None:
    before = rows(db, f"select {COLUMNS} from articles order by url")
    with sqlite3.connect(db) as conn:
        conn.execute(
            "update articles set warc_file = ? where url = ?", ["gone.warc.gz", SEEDS[0].url]
        )
        conn.execute("update articles set warc_offset = 0 where url = ?", [SEEDS[1].url])
    result = reextract(db, "--from-archive")
    assert result.exit_code == 1
    assert "Traceback" not in result.stderr
    summary = result.stderr.strip().splitlines()[-1]
    assert "2 not read from the archive, kept as stored" in summary
    # the first failure (in id order) is named
    assert "gone.warc.gz" in summary or "no response record at offset 0" in summary
    assert rows(db, f"select {COLUMNS} from articles order by url") == before


def test_an_article_the_chain_now_drops_is_kept_as_stored(db: Path) -> None:
    short = Article(url="https://example.org/short", canonical_url="https://example.org/short",
                    title="Short", body="Suzhou signed 3 deals.")  # fmt: skip
    handle = database.open_db(db)
    storage.store_article(handle, short)  # stored before the chain's checks were what they are
    handle.close()
    result = reextract(db)
    assert result.exit_code == 0, result.stderr
    assert 'the chain drops them: {"short_body": 1}' in result.stderr
    assert rows(db, "select title, body from articles where url = 'https://example.org/short'") == [
        ("Short", "Suzhou signed 3 deals.")
    ]
    assert "3 articles: " in result.stderr


def test_worker_processes_give_what_one_process_gives(db: Path, tmp_path: Path) -> None:
    short = Article(url="https://example.org/short", canonical_url="https://example.org/short",
                    title="Short", body="Suzhou signed 3 deals.")  # fmt: skip
    handle = database.open_db(db)
    storage.store_article(handle, short)
    handle.close()
    extracted = "select * from figures order by 1, 2", "select * from mentions order by 1, 2"
    serial = reextract(db)
    expected = [rows(db, sql) for sql in extracted]
    fresh = rows(db, f"select {COLUMNS} from articles order by url")
    with sqlite3.connect(db) as conn:
        conn.executescript(
            "update articles set title = 'Home', body = substr(body, 1, 120), content_hash = 'old'"
            " where url != 'https://example.org/short'; delete from figures; delete from mentions;"
        )
    parallel = reextract(db, "--workers", "2", "--from-archive")
    assert parallel.exit_code == 1  # the short article was never archived
    assert "2 rewritten from the archive" in parallel.stderr
    assert "1 not read from the archive, kept as stored (no archived record)" in parallel.stderr
    assert rows(db, f"select {COLUMNS} from articles order by url") == fresh
    plain = reextract(db, "--workers", "2")
    assert 'the chain drops them: {"short_body": 1}' in plain.stderr  # counted by the workers
    assert plain.stderr.splitlines()[-1] == serial.stderr.splitlines()[-1]
    assert [rows(db, sql) for sql in extracted] == expected
