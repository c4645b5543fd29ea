"""`yrdnews`: the command line. The only module that wires crawler/, spiders/ and
pipelines/ together; every user error ends as one line on stderr and a non-zero exit."""

from __future__ import annotations

import csv
import json
import os
import sqlite3
import sys
import traceback
import urllib.request
from collections.abc import Callable, Iterator
from functools import wraps
from pathlib import Path
from typing import Any, TextIO

import click

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = "data/yrdnews.db"


class UserError(click.ClickException):
    """A problem the user can fix; printed as one line."""

    def show(self, file: TextIO | None = None) -> None:
        click.echo(f"yrdnews: error: {self.message}", err=True)


def user_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the errors users cause (bad files, bad registry, bad archive) into one line."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from crawler.archive import ArchiveError
        from crawler.sources import RegistryError

        try:
            return func(*args, **kwargs)
        except (RegistryError, ArchiveError, OSError, sqlite3.DatabaseError, ValueError) as exc:
            if isinstance(exc, click.ClickException):
                raise
            raise UserError(str(exc) or exc.__class__.__name__) from exc

    return wrapper


def scrapy_settings() -> Any:
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    from scrapy.utils.project import get_project_settings

    return get_project_settings()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="yrd-news")
def cli() -> None:
    """Collect news and announcements about manufacturing and investment in Suzhou and
    the Yangtze River Delta into SQLite, and publish them with Datasette."""


@cli.command()
@click.option(
    "--source",
    "sources",
    multiple=True,
    metavar="ID",
    help="Crawl only these sources (repeatable).",
)
@click.option(
    "--replay",
    multiple=True,
    metavar="WARC",
    help="Answer every request from this WARC file or folder; no network.",
)
@click.option(
    "--urls",
    "urls_file",
    type=click.Path(exists=True, dir_okay=False),
    help="Crawl the article URLs listed in this file (only them, unless --source is given too).",
)
@click.option(
    "--since", metavar="DATE", help="Skip articles published before this date (YYYY-MM-DD)."
)
@click.option("--max-pages", type=int, help="Listing pages to follow per listing.")
@click.option(
    "--db", "db_path", default=DEFAULT_DB, show_default=True, help="SQLite database to write."
)
@click.option(
    "--data-dir", default="data", show_default=True, help="Where WARC archives of live crawls go."
)
@click.option(
    "-s",
    "--set",
    "overrides",
    multiple=True,
    metavar="NAME=VALUE",
    help="Override a Scrapy setting.",
)
@user_errors
def crawl(
    sources: tuple[str, ...],
    replay: tuple[str, ...],
    urls_file: str | None,
    since: str | None,
    max_pages: int | None,
    db_path: str,
    data_dir: str,
    overrides: tuple[str, ...],
) -> None:
    """Crawl the registry's sources (or a WARC archive of them) into the database."""
    from scrapy.crawler import CrawlerProcess

    from crawler import db as database
    from crawler.archive import open_replay, warc_files
    from crawler.dates import parse_date
    from crawler.sources import load_sources

    if since and not parse_date(since):
        raise UserError(f"--since: not a date: {since!r} (use YYYY-MM-DD)")
    since_day = parse_date(since)[:10] if since else None
    registry = load_sources()
    enabled = [s.id for s in registry if s.enabled]
    unknown = [s for s in sources if s not in {r.id for r in registry}]
    if unknown:
        raise UserError(f"unknown source {', '.join(unknown)}; `yrdnews sources` lists them")
    disabled = [s for s in sources if s not in enabled]
    if disabled:
        raise UserError(
            f"source {', '.join(disabled)} is disabled in the registry (see its verified note)"
        )
    selected = list(sources) or ([] if urls_file else enabled)
    replay_files = [str(p) for p in warc_files(replay)] if replay else []
    if replay_files:
        open_replay(tuple(replay_files))  # a bad archive fails here, in one line, not per spider

    settings = scrapy_settings()
    for override in overrides:
        name, sep, value = override.partition("=")
        if not sep:
            raise UserError(f"-s expects NAME=VALUE, got {override!r}")
        settings.set(name, value, priority="cmdline")
    db = database.open_db(db_path)
    run_id = database.start_run(
        db, sources=selected + (["urls"] if urls_file else []), replay=replay_files, since=since_day
    )
    settings.set("YRD_DB_PATH", db_path, priority="cmdline")
    settings.set("YRD_DATA_DIR", data_dir, priority="cmdline")
    settings.set("YRD_CRAWL_RUN_ID", run_id, priority="cmdline")
    if since_day:
        settings.set("YRD_SINCE", since_day, priority="cmdline")
    if max_pages is not None:
        settings.set("YRD_MAX_PAGES", max_pages, priority="cmdline")
    if replay_files:
        # The archive was collected politely; replaying it touches no site.
        settings.set("YRD_REPLAY", replay_files, priority="cmdline")
        settings.set("ROBOTSTXT_OBEY", False, priority="cmdline")
        settings.set("AUTOTHROTTLE_ENABLED", False, priority="cmdline")
        settings.set("DOWNLOAD_DELAY", 0, priority="cmdline")
        settings.set("CONCURRENT_REQUESTS_PER_DOMAIN", 16, priority="cmdline")

    process = CrawlerProcess(settings)
    crawlers = []
    for name in selected:
        crawler = process.create_crawler(name)
        process.crawl(crawler)
        crawlers.append(crawler)
    if urls_file:
        crawler = process.create_crawler("urls")
        process.crawl(crawler, urls_file=urls_file)
        crawlers.append(crawler)
    status = "failed"
    try:
        process.start()
        reasons = {c.stats.get_value("finish_reason") or "failed" for c in crawlers}
        status = "finished" if reasons <= {"finished"} else ",".join(sorted(reasons))
    finally:
        database.finish_run(db, run_id, status)
    run = db["crawl_runs"].get(run_id)
    click.echo(
        f"crawl run {run_id} {status}: {run['articles']} articles stored, "
        f"{run['articles_unchanged']} unchanged, {run['errors']} errors, "
        f"{run['replay_misses']} missing from the archive, dropped {run['drops']} -> {db_path}",
        err=True,
    )
    if status != "finished":
        sys.exit(1)


def _metadata_for(db_path: Path, metadata_path: Path) -> str:
    """The metadata file, re-keyed to the database's name: Datasette names a database
    after its file, and the metadata's tables and queries are written for "yrdnews"."""
    import tempfile

    import yaml

    metadata = yaml.safe_load(metadata_path.read_text(encoding="utf-8"))
    databases = metadata.get("databases", {})
    if db_path.stem in databases or "yrdnews" not in databases:
        return str(metadata_path)
    databases[db_path.stem] = databases.pop("yrdnews")
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False, encoding="utf-8") as handle:
        yaml.safe_dump(metadata, handle, allow_unicode=True, sort_keys=False)
    return handle.name


@cli.command()
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8001, show_default=True, type=int)
@click.option(
    "--metadata",
    type=click.Path(exists=True, dir_okay=False),
    help="Defaults to the project's datasette_metadata.yml.",
)
def serve(db_path: str, host: str, port: int, metadata: str | None) -> None:
    """Publish the database read-only with Datasette."""
    if not Path(db_path).is_file():
        raise UserError(f"no database at {db_path}: run `yrdnews crawl` first")
    metadata = _metadata_for(
        Path(db_path), Path(metadata or PROJECT_ROOT / "datasette_metadata.yml")
    )
    args = [sys.executable, "-m", "datasette", "serve", db_path, "--metadata", metadata,
            "--host", host, "--port", str(port), "--setting", "sql_time_limit_ms", "5000",
            "--setting", "truncate_cells_html", "400"]  # fmt: skip
    os.execv(sys.executable, args)


def _article_rows(
    db_path: str, since: str | None, sources: tuple[str, ...]
) -> Iterator[dict[str, Any]]:
    from crawler.db import open_db
    from crawler.items import ARTICLES

    if not Path(db_path).is_file():
        raise UserError(f"no database at {db_path}")
    db = open_db(db_path)
    where, params = ["1 = 1"], []
    if since:
        where.append("published_at >= ?")
        params.append(since)
    if sources:
        where.append(f"source_id in ({', '.join('?' for _ in sources)})")
        params.extend(sources)
    sql = f"select {', '.join(ARTICLES.exported)} from articles where {' and '.join(where)} order by published_at, id"
    yield from db.query(sql, params)


@cli.command()
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "json", "ndjson"]),
    default="ndjson",
    show_default=True,
)
@click.option(
    "-o",
    "--output",
    type=click.File("w", encoding="utf-8"),
    default="-",
    help="File to write; - for stdout.",
)
@click.option("--since", metavar="DATE", help="Only articles published on or after this date.")
@click.option("--source", "sources", multiple=True, metavar="ID")
@user_errors
def export(
    db_path: str, fmt: str, output: TextIO, since: str | None, sources: tuple[str, ...]
) -> None:
    """Export articles as CSV, JSON or newline-delimited JSON."""
    from crawler.items import ARTICLES

    rows = _article_rows(db_path, since, sources)
    if fmt == "csv":
        writer = csv.DictWriter(output, fieldnames=ARTICLES.exported)
        writer.writeheader()
        writer.writerows(rows)
    elif fmt == "ndjson":
        for row in rows:
            output.write(json.dumps(row, ensure_ascii=False) + "\n")
    else:
        output.write("[")
        for i, row in enumerate(rows):
            output.write(("," if i else "") + "\n" + json.dumps(row, ensure_ascii=False))
        output.write("\n]\n")


def _analyse(text: str, lang: str | None) -> dict[str, Any]:
    from pipelines.entities import extract_entities
    from pipelines.figures import extract_figures

    return {
        "figures": [f.to_dict() for f in extract_figures(text, lang)],
        "entities": [m.to_dict() for m in extract_entities(text, lang)],
    }


def _article_json(body: bytes, url: str, content_type: str | None) -> dict[str, Any]:
    from crawler.pages import extract_article

    headers = {"Content-Type": content_type} if content_type else None
    article = extract_article(body, url, headers)
    result = {
        k: v for k, v in article.to_dict().items() if k not in {"figures", "mentions", "warc"}
    }
    result.update(_analyse(article.body, article.lang))
    return result


def _fetch(url: str, user_agent: str) -> tuple[bytes, str | None]:
    request = urllib.request.Request(url, headers={"User-Agent": user_agent})
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - http(s) only, checked by caller
        return response.read(16 * 1024 * 1024), response.headers.get("Content-Type")


def _extract_input(item: str, url: str | None, user_agent: str) -> dict[str, Any]:
    """One HTML input (a URL to fetch or a saved file) as the article JSON."""
    if item.startswith(("http://", "https://")):
        body, content_type = _fetch(item, user_agent)
        return _article_json(body, item, content_type)
    path = Path(item)
    if not path.is_file():
        raise FileNotFoundError("no such file")
    return _article_json(path.read_bytes(), url or path.resolve().as_uri(), None)


@cli.command()
@click.argument("inputs", nargs=-1)
@click.option("--url", help="Where a saved HTML file came from (its address).")
@click.option(
    "--text",
    "text_file",
    type=click.Path(dir_okay=False),
    help="A plain-text file: figures and entities only.",
)
@click.option(
    "--jsonl",
    "jsonl_file",
    type=click.Path(dir_okay=False),
    help='One {"id", "text", "lang"?} object per line.',
)
@click.option(
    "--lang",
    type=click.Choice(["en", "zh"]),
    help="Language of --text input (detected if omitted).",
)
@user_errors
def extract(
    inputs: tuple[str, ...],
    url: str | None,
    text_file: str | None,
    jsonl_file: str | None,
    lang: str | None,
) -> None:
    """Extract the article (with figures and entities) from HTML files or URLs, as JSON."""
    from crawler.chinese import detect_lang
    from crawler.pages import NotAnArticle

    if sum(map(bool, (inputs, text_file, jsonl_file))) != 1:
        raise UserError("give HTML files or URLs, or --text FILE, or --jsonl FILE (one of them)")
    if url and len(inputs) != 1:
        raise UserError("--url goes with exactly one saved file")
    if text_file:
        text = Path(text_file).read_text(encoding="utf-8")
        result = {"file": text_file, "lang": lang or detect_lang(text), "text": text}
        result.update(_analyse(text, result["lang"]))
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    if jsonl_file:
        with open(jsonl_file, encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                    text = record["text"]
                except (json.JSONDecodeError, KeyError, TypeError) as exc:
                    raise UserError(
                        f"{jsonl_file}:{number}: expected a JSON object with a 'text' field ({exc})"
                    ) from exc
                record_lang = record.get("lang") or lang or detect_lang(text)
                click.echo(
                    json.dumps(
                        {
                            "id": record.get("id"),
                            "lang": record_lang,
                            **_analyse(text, record_lang),
                        },
                        ensure_ascii=False,
                    )
                )
        return
    user_agent = scrapy_settings().get("USER_AGENT")
    failed = 0
    for item in inputs:
        try:
            result = _extract_input(item, url, user_agent)
        except (NotAnArticle, OSError) as exc:
            message = f"not an article: {exc}" if isinstance(exc, NotAnArticle) else str(exc)
            if len(inputs) == 1:
                raise UserError(f"{item}: {message}") from exc
            result, failed = {"error": message}, failed + 1
        if len(inputs) == 1:
            click.echo(json.dumps(result, ensure_ascii=False, indent=2))
        else:
            click.echo(json.dumps({"file": item, **result}, ensure_ascii=False))
    if failed:
        sys.exit(1)


@cli.command()
@click.option(
    "--check", is_flag=True, help="Validate the registry against the spiders; exit 1 on a problem."
)
@user_errors
def sources(check: bool) -> None:
    """List the source registry."""
    from crawler.sources import describe_sources, load_sources

    registry = load_sources()
    if check:
        from scrapy.spiderloader import SpiderLoader

        spiders = set(SpiderLoader.from_settings(scrapy_settings()).list())
        missing = [s.id for s in registry if s.enabled and s.id not in spiders]
        if missing:
            raise UserError(f"sources without a spider: {', '.join(missing)}")
        click.echo(f"{len(registry)} sources OK ({sum(s.enabled for s in registry)} enabled)")
        return
    for row in describe_sources(registry):
        click.echo("\t".join("" if v is None else str(v) for v in row.values()))


@cli.command()
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True)
@click.option("--source", "sources", multiple=True, metavar="ID")
@user_errors
def reextract(db_path: str, sources: tuple[str, ...]) -> None:
    """Run figure and entity extraction (and search indexing) again over stored articles,
    without crawling."""
    from crawler.db import open_db
    from crawler.storage import article_from_row, replace_extractions
    from pipelines.entities import extract_entities
    from pipelines.figures import extract_figures

    if not Path(db_path).is_file():
        raise UserError(f"no database at {db_path}")
    db = open_db(db_path)
    where = f"where source_id in ({', '.join('?' for _ in sources)})" if sources else ""
    ids = [
        row[0] for row in db.execute(f"select id from articles {where}", list(sources)).fetchall()
    ]
    figures = mentions = 0
    with click.progressbar(ids, label="Re-extracting", file=sys.stderr) as bar:
        for article_id in bar:
            article = article_from_row(db["articles"].get(article_id))
            article.figures = extract_figures(article.body, article.lang)
            article.mentions = extract_entities(article.body, article.lang)
            replace_extractions(db, article)
            figures, mentions = figures + len(article.figures), mentions + len(article.mentions)
    click.echo(f"{len(ids)} articles: {figures} figures, {mentions} entity mentions", err=True)


def main() -> None:
    debug = "--debug" in sys.argv
    if debug:
        sys.argv.remove("--debug")
    try:
        cli.main(prog_name="yrdnews", standalone_mode=True)
    except SystemExit:
        raise
    except Exception as exc:  # a bug, not a user error: still one line unless asked
        if debug:
            traceback.print_exc()
        click.echo(
            f"yrdnews: unexpected error: {exc!r} (run with --debug for the traceback)", err=True
        )
        sys.exit(70)
