"""The `yrdnews` command line: outputs users script against, and one-line errors."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler import db as database
from crawler import storage
from crawler.cli import cli
from crawler.items import Article
from fixtures.compose import compose_article_html, paragraphs_of
from fixtures.pages import page_path, page_url, record
from fixtures.texts import seed_articles, seed_expected
from tests.conftest import ROOT

SHINE = seed_articles()[4]


def run(*args: str) -> object:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def one_line_error(result, fragment: str) -> None:
    assert result.exit_code != 0
    assert "Traceback" not in result.output + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("yrdnews: error:") and fragment in lines[0], lines[0]


@pytest.fixture
def seed_page(tmp_path: Path) -> Path:
    path = tmp_path / "shine.html"
    path.write_bytes(compose_article_html(title=SHINE.title, text=SHINE.body))
    return path


def test_extract_prints_the_article_with_figures_and_entities(seed_page: Path) -> None:
    result = run("extract", str(seed_page), "--url", SHINE.url)
    assert result.exit_code == 0, result.stderr
    article = json.loads(result.output)
    assert article["title"] == SHINE.title
    assert article["published_at"] == "2020-11-07T16:50:00+08:00"
    assert article["url"] == SHINE.url
    assert "Zhejiang" in article["body"]
    assert article["figures"] and {"text", "start", "end", "kind", "normalized"} <= set(
        article["figures"][0]
    )
    for figure in article["figures"]:
        assert article["body"][figure["start"] : figure["end"]] == figure["text"]
    assert any(
        e["type"] == "place" and e["name"].startswith("Zhejiang") for e in article["entities"]
    )


@pytest.mark.parametrize("seed", seed_articles(), ids=lambda seed: seed.id)
def test_extract_prints_each_seed_pages_title_date_and_full_body(seed, tmp_path: Path) -> None:
    expected = seed_expected()[seed.id]
    page = tmp_path / "seed.html"
    page.write_bytes(
        compose_article_html(title=seed.title, text=seed.body, published=seed.published)
    )
    result = json.loads(run("extract", str(page), "--url", seed.url).output)
    assert result["title"] == seed.title
    assert result["published_at"] == expected["published_at"]
    missing = [p for p in paragraphs_of(seed.body) if " ".join(p.split()) not in result["body"]]
    assert missing == [p for p in expected["furniture"] if p not in result["body"]]


def test_extract_several_files_prints_one_line_each(seed_page: Path, tmp_path: Path) -> None:
    binary = tmp_path / "logo.png"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 10)
    result = run("extract", str(seed_page), str(binary))
    assert result.exit_code == 1  # one input failed; the other is still printed
    first, second = (json.loads(line) for line in result.output.splitlines())
    assert first["file"] == str(seed_page) and first["title"] == SHINE.title
    assert second["file"] == str(binary) and "not an article" in second["error"]


def imported_by(tmp_path: Path, *args: str) -> tuple[set[str], str]:
    """The modules a `yrdnews ARGS` process imports, and what it prints."""
    listing = tmp_path / "modules.json"
    code = (
        "import json, sys\nfrom crawler.cli import main\ntry:\n    main()\nfinally:\n"
        f"    open({str(listing)!r}, 'w').write(json.dumps(sorted(sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return set(json.loads(listing.read_text())), done.stdout


CRAWL_ONLY = {"scrapy", "twisted", "sqlite_utils"}  # the crawl's and the database's


@pytest.mark.parametrize(
    ("page", "not_imported"),
    [
        # English text needs no Chinese segmenter
        ("chinadaily/chinadaily-WS664167f4-anlong-2024-en.html", CRAWL_ONLY | {"jieba"}),
        ("news.cn/news-cn-20240509-3dd6e33c-zh.html", CRAWL_ONLY),
    ],
)
def test_extract_loads_neither_the_crawl_nor_what_the_page_does_not_need(
    page: str, not_imported: set[str], tmp_path: Path
) -> None:
    rec = record(page)
    modules, printed = imported_by(tmp_path, "extract", str(page_path(rec)), "--url", page_url(rec))
    assert json.loads(printed)["title"] == rec["title"]
    assert not {name.split(".")[0] for name in modules} & not_imported


def test_extract_text_and_jsonl(tmp_path: Path) -> None:
    text = tmp_path / "a.txt"
    text.write_text("苏州工业园区签约85个项目，总投资超过500亿元。", encoding="utf-8")
    result = run("extract", "--text", str(text))
    data = json.loads(result.output)
    assert data["lang"] == "zh"
    assert any(f["currency"] == "CNY" and f["normalized"] == 5e10 for f in data["figures"])

    batch = tmp_path / "batch.jsonl"
    batch.write_text(
        json.dumps({"id": "a", "text": "Output rose 5.2 percent to 4 trillion yuan."}) + "\n"
        + json.dumps({"id": "b", "text": "苏州市GDP增长6%。", "lang": "zh"}) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    lines = [json.loads(line) for line in run("extract", "--jsonl", str(batch)).output.splitlines()]
    assert [line["id"] for line in lines] == ["a", "b"]
    assert lines[0]["lang"] == "en" and lines[0]["figures"]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["extract", "missing.html"], "missing.html: no such file"),
        (["extract"], "give HTML files or URLs"),
        (["crawl", "--source", "no_such_source"], "unknown source no_such_source"),
        (["crawl", "--source", "snd_en"], "source snd_en is disabled"),
        (["crawl", "--replay", "nowhere.warc.gz"], "archive not found"),
        (["crawl", "--replay", "README.md"], "README.md: not a readable WARC file"),
        (["crawl", "--since", "last tuesday-ish??"], "not a date"),
        (["crawl", "--since", "01/02/2024"], "--since: '01/02/2024' is not a date"),
        (["crawl", "--since", "2021-02-30"], "'2021-02-30' is not a date in the calendar"),
        (["crawl", "--since", "-7d"], "not a date"),
        (["crawl", "--max-pages", "0"], "--max-pages must be a positive whole number, not '0'"),
        (["crawl", "--max-pages", "two"], "--max-pages must be a positive whole number"),
        (["crawl", "--urls", "missing.txt"], "--urls: no such file: missing.txt"),
        (["export", "--source", "no_such_source"], "--source: unknown source no_such_source"),
        (["export", "--since", "yesterday"], "--since: 'yesterday' is not a date"),
        (["serve", "--db", "nowhere.db"], "no database at nowhere.db"),
        (["export", "--db", "nowhere.db"], "no database at nowhere.db"),
    ],
)
def test_user_errors_are_one_line(args: list[str], fragment: str) -> None:
    one_line_error(run(*args), fragment)


def test_a_bad_jsonl_line_names_its_line(tmp_path: Path) -> None:
    batch = tmp_path / "bad.jsonl"
    batch.write_text('{"id": 1, "text": "ok"}\nnot json\n', encoding="utf-8")
    one_line_error(run("extract", "--jsonl", str(batch)), "bad.jsonl:2")


def test_binary_input_is_a_clear_error(tmp_path: Path) -> None:
    binary = tmp_path / "report.pdf"
    binary.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 40)
    one_line_error(run("extract", str(binary)), "not an article")


def test_sources_lists_and_checks_the_registry() -> None:
    listing = run("sources")
    assert listing.exit_code == 0
    assert len(listing.output.splitlines()) >= 10
    check = run("sources", "--check")
    assert check.exit_code == 0 and "sources OK" in check.output


@pytest.fixture
def stored_db(tmp_path: Path) -> Path:
    path = tmp_path / "yrdnews.db"
    db = database.open_db(path)
    for n, day in enumerate(["2021-05-12", "2022-01-07"]):
        url = f"https://example.org/{n}"
        body = f'Suzhou, article {n}, with a comma and "quotes".\n\n苏州第二段。' * 5
        storage.store_article(
            db, Article(url=url, canonical_url=url, title=f"T{n}", body=body, published_at=day)
        )
    db.close()
    return path


def test_export_formats(stored_db: Path) -> None:
    as_csv = list(
        csv.DictReader(io.StringIO(run("export", "--db", str(stored_db), "--format", "csv").output))
    )
    assert [row["title"] for row in as_csv] == ["T0", "T1"]
    assert as_csv[0]["body"].startswith("Suzhou, article 0")
    as_json = json.loads(run("export", "--db", str(stored_db), "--format", "json").output)
    assert [row["published_at"] for row in as_json] == ["2021-05-12", "2022-01-07"]
    lines = run("export", "--db", str(stored_db), "--since", "2022-01-01").output.splitlines()
    assert [json.loads(line)["title"] for line in lines] == ["T1"]


def test_export_every_table_with_the_articles_filter(stored_db: Path) -> None:
    db = database.open_db(stored_db)
    db.execute("update articles set body = body || ' Suzhou signed deals worth 4 billion yuan.'")
    db.conn.commit()
    run("reextract", "--db", str(stored_db))  # figures and mentions for both articles
    for table in ("articles", "figures", "entities", "mentions"):
        lines = run("export", "--db", str(stored_db), "--table", table).output.splitlines()
        assert len(lines) == db[table].count > 0, table
    newer = db.execute("select id from articles where published_at >= '2022'").fetchone()[0]
    result = run("export", "--db", str(stored_db), "--table", "mentions", "--since", "2022-01-01")
    mentions = [json.loads(line) for line in result.output.splitlines()]
    assert mentions and {m["article_id"] for m in mentions} == {newer}
    as_csv = run("export", "--db", str(stored_db), "--table", "figures", "--format", "csv").output
    header = next(csv.reader(io.StringIO(as_csv)))
    assert header[:3] == ["article_id", "key", "kind"]


def test_export_of_a_table_this_database_lacks_is_one_line(stored_db: Path) -> None:
    with sqlite3.connect(stored_db) as conn:  # the migrations make every table: take one away
        conn.execute("drop table stories")
    one_line_error(run("export", "--db", str(stored_db), "--table", "stories"), "no stories table")
    one_line_error(
        run("export", "--db", str(stored_db), "--table", "sqlite_master"), "choose one of"
    )


def test_reextract_fills_figures_of_stored_articles(stored_db: Path) -> None:
    db = database.open_db(stored_db)
    db.execute("update articles set body = body || ' Output reached 4 trillion yuan.'")
    db.conn.commit()
    result = run("reextract", "--db", str(stored_db))
    assert result.exit_code == 0, result.stderr
    assert db.execute("select count(*) from figures where normalized = 4e12").fetchone()[0] == 2
    # The text did not change, so each search entry is kept as it was (built from the text
    # stored through the store; an edit behind its back, as here, is not indexed anew).
    found = db.execute("select count(*) from articles_fts where articles_fts match 'quotes'")
    assert found.fetchone()[0] == 2


@pytest.mark.parametrize("command", ["crawl", "export", "reextract"])
def test_a_database_that_is_not_one_is_named(command: str, tmp_path: Path) -> None:
    not_a_db = tmp_path / "notes.db"
    not_a_db.write_text("these are notes, not SQLite\n" * 100)
    one_line_error(
        run(command, "--db", str(not_a_db)), f"database {not_a_db}: file is not a database"
    )


def test_since_takes_a_date_or_a_number_of_days() -> None:
    from datetime import date

    from crawler.crawl import parse_since

    assert parse_since("2024-01-03") == date(2024, 1, 3)
    assert parse_since("7d", today=date(2024, 1, 10)) == date(2024, 1, 3)
    assert parse_since(" 0d ", today=date(2024, 1, 10)) == date(2024, 1, 10)
