"""`yrdnews`: the command line. The only module that wires crawler/, spiders/ and
pipelines/ together; every user error ends as one line on stderr and a non-zero exit."""

from __future__ import annotations

import csv
import json
import sqlite3
import sys
import traceback
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import cache, wraps
from pathlib import Path
from typing import Any, TextIO

import click

DEFAULT_DB = "data/yrdnews.db"


class UserError(click.ClickException):
    """A problem the user can fix; printed as one line."""

    def show(self, file: TextIO | None = None) -> None:
        click.echo(f"yrdnews: error: {self.message}", err=True)


def user_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the errors users cause (bad files, bad registry, bad archive) into one line.

    The registry's, the archive's and the crawl options' errors are ValueErrors, so catching
    them imports none of their modules (the archive's would load Scrapy)."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (OSError, sqlite3.DatabaseError, ValueError) as exc:
            if isinstance(exc, click.ClickException):
                raise
            raise UserError(str(exc) or exc.__class__.__name__) from exc

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="yrd-news")
def cli() -> None:
    """Collect news and announcements about manufacturing and investment in Suzhou and
    the Yangtze River Delta into SQLite, and publish them with Datasette."""


def _name_values(overrides: tuple[str, ...]) -> dict[str, str]:
    """`-s NAME=VALUE` options as settings."""
    values = {}
    for override in overrides:
        name, sep, value = override.partition("=")
        if not sep:
            raise UserError(f"-s expects NAME=VALUE, got {override!r}")
        values[name] = value
    return values


def _spider_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The options `crawl` and `worker` share: what to crawl, and how."""
    options = [
        click.option(
            "--source", "sources", multiple=True, metavar="ID",
            help="Crawl only these sources (repeatable).",
        ),
        click.option(
            "--replay", multiple=True, metavar="WARC",
            help="Answer every request from this WARC file or folder; no network.",
        ),
        click.option(
            "--urls", "urls_file", metavar="FILE",
            help="Crawl the article URLs listed in this file (only them, unless --source is given too).",
        ),
        click.option(
            "--since", metavar="DATE",
            help="Skip articles published before this date: YYYY-MM-DD, or Nd for N days ago (7d).",
        ),
        click.option("--max-pages", metavar="N", help="Listing pages to follow per listing (default 5)."),
        click.option(
            "--data-dir", default="data", show_default=True,
            help="Where WARC archives, run logs, job state and the HTTP cache go.",
        ),
        click.option(
            "-s", "--set", "overrides", multiple=True, metavar="NAME=VALUE",
            help="Override a Scrapy setting.",
        ),
    ]  # fmt: skip
    for option in reversed(options):
        func = option(func)
    return func


def _since_date(since: str | None) -> date | None:
    """`--since` as a date: YYYY-MM-DD, or Nd for N days ago (a CrawlError, one line, if not)."""
    from crawler.crawl import parse_since

    return parse_since(since) if since else None


def _positive(value: str | None, option: str) -> int | None:
    if value is None:
        return None
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise UserError(f"{option} must be a positive whole number, not {value!r}")
    return number


@cli.command()
@_spider_options
@click.option(
    "--refresh", is_flag=True, help="Request known articles again (changes are kept as versions)."
)
@click.option(
    "--resume",
    is_flag=True,
    help="Continue the last interrupted run, with its own options; without one, start this run.",
)
@click.option(
    "--db", "db_path", default=DEFAULT_DB, show_default=True, help="SQLite database to write."
)
@click.option("-v", "--verbose", is_flag=True, help="Print the full Scrapy log as well.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing unless the run is not ok (cron).")
@user_errors
def crawl(
    sources: tuple[str, ...],
    replay: tuple[str, ...],
    urls_file: str | None,
    since: str | None,
    max_pages: str | None,
    refresh: bool,
    resume: bool,
    db_path: str,
    data_dir: str,
    overrides: tuple[str, ...],
    verbose: bool,
    quiet: bool,
) -> None:
    """Crawl the registry's sources (or a WARC archive of them) into the database.

    Exits 0 when the run is ok, 3 when degraded (a source failed, found no article or could
    not read a discovery page), 4 when failed (nothing fetched), 5 when interrupted, 75 when
    another crawl is writing the database, 1 on a bad option.
    """
    from crawler import crawllog
    from crawler.crawl import CrawlOptions, parse_since, run_crawl
    from crawler.lock import DatabaseLocked
    from crawler.runs import EXIT_CODES, EXIT_LOCKED, FAILED, OK, run_sources

    options = CrawlOptions(
        sources=list(sources),
        replay=list(replay),
        urls_file=urls_file,
        since=parse_since(since) if since else None,
        max_pages=_positive(max_pages, "--max-pages"),
        refresh=refresh,
        overrides=_name_values(overrides),
    )
    progress = None if quiet or verbose else crawllog.Progress()
    try:
        run = run_crawl(
            options,
            db_path=db_path,
            data_dir=data_dir,
            resume=resume,
            verbose=verbose,
            progress=progress.update if progress else None,
        )
    except DatabaseLocked as exc:
        click.echo(f"yrdnews: error: {exc}", err=True)
        sys.exit(EXIT_LOCKED)
    finally:
        if progress:
            progress.done()
    if not quiet or run.status != OK:
        from crawler.db import open_db

        db = open_db(db_path)
        click.echo(crawllog.summary(run, run_sources(db, run.id), db_path), err=True)
        db.close()
    sys.exit(EXIT_CODES.get(run.status, EXIT_CODES[FAILED]))


@cli.command()
@click.option("--print", "kind", type=click.Choice(["cron", "systemd"]), required=True)
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True)
@click.option("--data-dir", default="data", show_default=True)
@click.option(
    "--since",
    default="7d",
    show_default=True,
    help="What each run passes to --since ('' for none).",
)
@click.option(
    "--at", "at", default="06:00", show_default=True, metavar="HH:MM", help="Daily start time."
)
@click.option("--user", help="User= of the systemd service (default: the current user).")
@click.option(
    "--write",
    "write_dir",
    metavar="DIR",
    help="systemd: also write the two unit files into DIR (e.g. /etc/systemd/system).",
)
@user_errors
def schedule(
    kind: str,
    db_path: str,
    data_dir: str,
    since: str,
    at: str,
    user: str | None,
    write_dir: str | None,
) -> None:
    """Print a crontab line, or a systemd service and timer, that run `yrdnews crawl` daily."""
    import getpass
    import re

    from crawler.crawl import parse_since
    from crawler.schedule import Job, cron_lines, systemd_text, systemd_units

    if since:
        parse_since(since)  # the same check the crawl will make, now
    clock = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", at)
    if not clock:
        raise UserError(f"--at: {at!r} is not a time of day (HH:MM)")
    job = Job(
        project_dir=Path.cwd(),
        yrdnews=Path(sys.executable).parent / "yrdnews",
        db_path=Path(db_path).absolute(),
        data_dir=Path(data_dir).absolute(),
        since=since or None,
        hour=int(clock.group(1)),
        minute=int(clock.group(2)),
        user=user or getpass.getuser(),
    )
    if kind == "cron":
        click.echo(cron_lines(job), nl=False)
        return
    click.echo(systemd_text(job), nl=False)
    if write_dir:
        for name, text in systemd_units(job).items():
            (Path(write_dir) / name).write_text(text, encoding="utf-8")
        click.echo(
            f"# written to {write_dir}: systemctl daemon-reload && systemctl enable --now yrdnews-crawl.timer",
            err=True,
        )


def _redis(url: str) -> Any:
    """A client for the Redis server at `url`, checked to answer."""
    import redis

    try:
        server = redis.Redis.from_url(url)
        server.ping()
    except ValueError as exc:
        raise UserError(f"--redis: {exc}") from exc
    except redis.RedisError as exc:
        raise UserError(f"cannot reach Redis at {url}: {exc}") from exc
    return server


REDIS_HELP = "The Redis server of the frontier and the hand-off stream (redis://host:port/db)."


@cli.command()
@click.option("--redis", "redis_url", required=True, metavar="URL", help=REDIS_HELP)
@click.option(
    "--frontier",
    default=lambda: datetime.now(UTC).strftime("%Y-%m-%d"),
    show_default="today's UTC date",
    help="Name of the shared crawl; workers that give the same name share its queue.",
)
@click.option(
    "--stream", default="yrd:articles", show_default=True, help="Stream the writer reads."
)
@_spider_options
@user_errors
def worker(
    redis_url: str,
    frontier: str,
    stream: str,
    sources: tuple[str, ...],
    replay: tuple[str, ...],
    urls_file: str | None,
    since: str | None,
    max_pages: str | None,
    data_dir: str,
    overrides: tuple[str, ...],
) -> None:
    """Crawl as one of many workers sharing a Redis frontier; articles go to the writer."""
    from crawler.runs import EXIT_CODES, FAILED
    from crawler.worker import run_worker

    since_day = _since_date(since)
    _redis(redis_url)
    status = run_worker(
        redis_url=redis_url,
        frontier=frontier,
        stream=stream,
        sources=sources,
        replay=replay,
        urls_file=urls_file,
        since=since_day,
        max_pages=_positive(max_pages, "--max-pages"),
        data_dir=data_dir,
        overrides=_name_values(overrides),
    )
    click.echo(f"worker {status}: frontier {frontier}, articles handed to {stream}", err=True)
    sys.exit(EXIT_CODES.get(status, EXIT_CODES[FAILED]))


@cli.command()
@click.option("--redis", "redis_url", required=True, metavar="URL", help=REDIS_HELP)
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True)
@click.option("--stream", default="yrd:articles", show_default=True)
@click.option(
    "--exit-when-idle",
    "idle_exit",
    type=click.FloatRange(min=0),
    metavar="SECONDS",
    help="Stop once nothing new came for this long (default: run until stopped).",
)
@click.option(
    "--commit-every",
    type=click.IntRange(min=1),
    default=100,
    show_default=True,
    metavar="N",
    help="Entries written in one transaction (at most a second apart): more is faster.",
)
@user_errors
def ingest(
    redis_url: str, db_path: str, stream: str, idle_exit: float | None, commit_every: int
) -> None:
    """The single writer: store the articles workers hand off, each acknowledged only after
    its transaction commits."""
    import signal

    from crawler.db import open_db
    from crawler.ingest import WriterBusy
    from crawler.ingest import ingest as run_ingest
    from pipelines.stories import update_stories

    server = _redis(redis_url)
    stopping: list[int] = []
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda number, _frame: stopping.append(number))
    db = open_db(db_path)
    try:
        counts = run_ingest(
            db,
            server,
            stream=stream,
            idle_exit=idle_exit,
            commit_every=commit_every,
            stop=lambda: bool(stopping),
            when_quiet=update_stories,  # cluster what was stored while the stream was busy
        )
    except WriterBusy as exc:
        raise UserError(str(exc)) from exc
    finally:
        db.close()
    outcomes = ("inserted", "updated", "unchanged", "rejected", "already stored", "event")
    done = ", ".join(f"{counts[k]} {k}" for k in outcomes)
    click.echo(
        f"ingested {sum(counts.values())} entries from {stream}: {done} -> {db_path}", err=True
    )
    if counts["rejected"]:
        sys.exit(1)


@cli.command()
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True, help="Loopback unless --public.")
@click.option("--port", default=8001, show_default=True, type=int)
@click.option(
    "--public",
    is_flag=True,
    help="Listen on every interface (0.0.0.0) or the --host given: the site becomes reachable by others.",
)
@click.option(
    "--metadata",
    type=click.Path(exists=True, dir_okay=False),
    help="Defaults to the project's datasette_metadata.yml.",
)
@click.option(
    "--archive",
    "archives",
    multiple=True,
    type=click.Path(exists=True, file_okay=False),
    help="Folder whose WARC files the archived-capture pages may read (repeatable); "
    "default: the database's folder and the current one.",
)
@click.option("--allow-robots", is_flag=True, help="Let search engines index the pages.")
@user_errors
def serve(
    db_path: str,
    host: str,
    port: int,
    public: bool,
    metadata: str | None,
    archives: tuple[str, ...],
    allow_robots: bool,
) -> None:
    """Publish the database read-only (immutable) with Datasette, on localhost by default."""
    from crawler.serve import is_loopback, run_datasette

    if not Path(db_path).is_file():
        raise UserError(f"no database at {db_path}: run `yrdnews crawl` first")
    if public:
        host = host if not is_loopback(host) else "0.0.0.0"
        click.echo(
            f"yrdnews: warning: serving publicly on {host}:{port}; anyone who can reach this "
            "machine can read the database and run read-only SQL",
            err=True,
        )
    elif not is_loopback(host):
        raise UserError(
            f"--host {host} is not a loopback address: add --public to serve beyond this machine"
        )
    run_datasette(
        Path(db_path),
        host=host,
        port=port,
        metadata_path=Path(metadata) if metadata else None,
        archive_dirs=[Path(a) for a in archives] or [Path(db_path).parent, Path.cwd()],
        allow_robots=allow_robots,
    )


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
@click.option(
    "--table",
    default="articles",
    show_default=True,
    help="articles, figures, entities, mentions, stories or facts.",
)
@click.option(
    "--since",
    metavar="DATE",
    help="Only articles published on or after this date, YYYY-MM-DD or Nd (and their rows).",
)
@click.option(
    "--source", "sources", multiple=True, metavar="ID", help="Only this source's articles."
)
@user_errors
def export(
    db_path: str,
    fmt: str,
    output: TextIO,
    table: str,
    since: str | None,
    sources: tuple[str, ...],
) -> None:
    """Export a table as CSV, JSON or newline-delimited JSON."""
    from crawler.db import OTHER_SOURCE, open_db
    from crawler.export import NoSuchTable, export_rows
    from crawler.sources import load_sources

    known = {source.id for source in load_sources()} | {OTHER_SOURCE["id"]}
    unknown = [source for source in sources if source not in known]
    if unknown:
        raise UserError(
            f"--source: unknown source {', '.join(unknown)}; `yrdnews sources` lists them"
        )
    since_day = _since_date(since)
    if not Path(db_path).is_file():
        raise UserError(f"no database at {db_path}")
    try:
        columns, rows = export_rows(
            open_db(db_path),
            table,
            since=since_day.isoformat() if since_day else None,
            sources=sources,
        )
    except NoSuchTable as exc:
        raise UserError(str(exc)) from exc
    if fmt == "csv":
        writer = csv.DictWriter(output, fieldnames=columns)
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


@cli.command()
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True)
@click.option(
    "-o",
    "--output",
    "out_dir",
    default="snapshots",
    show_default=True,
    help="Folder for snapshots.",
)
@click.option("--date", "day", metavar="YYYY-MM-DD", help="Date of the snapshot (default: today).")
@click.option(
    "--metadata",
    type=click.Path(exists=True, dir_okay=False),
    help="Defaults to the project's datasette_metadata.yml.",
)
@click.option("--no-accuracy", is_flag=True, help="Skip running the accuracy scripts.")
@user_errors
def snapshot(
    db_path: str, out_dir: str, day: str | None, metadata: str | None, no_accuracy: bool
) -> None:
    """Write a dated, citable copy of the database with its data dictionary, method,
    measured accuracy, crawl runs and a suggested citation."""
    from crawler.snapshot import make_snapshot

    if not Path(db_path).is_file():
        raise UserError(f"no database at {db_path}")
    try:
        when = date.fromisoformat(day) if day else date.today()
    except ValueError as exc:
        raise UserError(f"--date: not a date: {day!r} (use YYYY-MM-DD)") from exc
    made = make_snapshot(
        Path(db_path),
        Path(out_dir),
        day=when,
        metadata_path=Path(metadata) if metadata else None,
        accuracy="Not measured (--no-accuracy)." if no_accuracy else None,
    )
    click.echo(
        f"snapshot {made.folder}: {made.articles:,} articles, sha256 {made.sha256}", err=True
    )


def _analyse(article: Any) -> dict[str, Any]:
    """What the processing chain's extractors find in the article: figures, entities and its
    relevance with the reasons behind it."""
    from crawler.sources import load_sources
    from pipelines.chain import ChainContext, run_chain

    run_chain(article, ChainContext(sources={s.id: s for s in load_sources()}), checks=False)
    return {
        "figures": [f.to_dict() for f in article.figures],
        "entities": [m.to_dict() for m in article.mentions],
        "relevance": {
            "score": article.relevance,
            "relevant": article.relevant,
            "reasons": article.relevance_reasons,
        },
    }


def _analyse_text(text: str, lang: str | None, published_at: str | None = None) -> dict[str, Any]:
    from crawler.items import Article

    return _analyse(
        Article(
            url="", canonical_url="", title=None, body=text, lang=lang, published_at=published_at
        )
    )


def _article_json(body: bytes, url: str, content_type: str | None) -> dict[str, Any]:
    """The article of a page, read as a crawl reads it (with its source's selectors), and
    what the extractors find in it."""
    from crawler.sources import load_sources, source_for_url
    from spiders.article import read_article

    headers = {"Content-Type": content_type} if content_type else None
    source = source_for_url(url, load_sources())
    article = read_article(body, url, headers, source)
    article.source_id = source.id if source else None
    analysis = _analyse(article)
    chained = {"figures", "mentions", "warc", "relevance", "relevant", "relevance_reasons"}
    return {k: v for k, v in article.to_dict().items() if k not in chained} | analysis


@cache
def _user_agent() -> str:
    """The crawl's User-Agent (its Scrapy settings load Scrapy: only when a URL is fetched)."""
    from crawler.crawl import project_settings

    return project_settings().get("USER_AGENT")


def _fetch(url: str) -> tuple[bytes, str | None]:
    import urllib.request

    request = urllib.request.Request(url, headers={"User-Agent": _user_agent()})
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - http(s) only, checked by caller
        return response.read(16 * 1024 * 1024), response.headers.get("Content-Type")


def _extract_input(item: str, url: str | None) -> dict[str, Any]:
    """One HTML input (a URL to fetch or a saved file) as the article JSON."""
    if item.startswith(("http://", "https://")):
        body, content_type = _fetch(item)
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

    if sum(map(bool, (inputs, text_file, jsonl_file))) != 1:
        raise UserError("give HTML files or URLs, or --text FILE, or --jsonl FILE (one of them)")
    if url and len(inputs) != 1:
        raise UserError("--url goes with exactly one saved file")
    if text_file:
        text = Path(text_file).read_text(encoding="utf-8")
        result = {"file": text_file, "lang": lang or detect_lang(text), "text": text}
        result.update(_analyse_text(text, result["lang"]))
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
                found = _analyse_text(text, record_lang, record.get("published_at"))
                click.echo(
                    json.dumps(
                        {"id": record.get("id"), "lang": record_lang, **found}, ensure_ascii=False
                    )
                )
        return
    from crawler.pages import NotAnArticle  # HTML only: the page object loads trafilatura

    failed = 0
    for item in inputs:
        try:
            result = _extract_input(item, url)
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

        from crawler.crawl import project_settings

        spiders = set(SpiderLoader.from_settings(project_settings()).list())
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
@click.option(
    "--from-archive",
    is_flag=True,
    help="Read each article again from its archived WARC record first (page-extraction fixes).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Processes re-extracting in parallel (this one writes); try the number of cores.",
)
@user_errors
def reextract(db_path: str, sources: tuple[str, ...], from_archive: bool, workers: int) -> None:
    """Run the processing chain (figures, entities, search indexing) again over stored
    articles, without crawling; with --from-archive, the page object too."""
    from collections import Counter

    from crawler.crawl import project_settings
    from crawler.db import open_db
    from crawler.stats import DROPPED, Tally, by_prefix
    from pipelines.chain import ChainContext
    from pipelines.reextract import article_ids, reextract
    from pipelines.stories import update_stories

    if not Path(db_path).is_file():
        raise UserError(f"no database at {db_path}")
    db = open_db(db_path)
    ctx = ChainContext.from_settings(project_settings(), stats=Tally())
    ids = article_ids(db, sources)
    statuses: Counter[str] = Counter()
    figures = mentions = 0
    failures = []
    with click.progressbar(length=len(ids), label="Re-extracting", file=sys.stderr) as bar:
        for outcome in reextract(db, ids, ctx, from_archive=from_archive, workers=workers):
            bar.update(1)
            statuses[outcome.status] += 1
            figures, mentions = figures + outcome.figures, mentions + outcome.mentions
            if outcome.status == "failed":
                failures.append(outcome.reason)
    summary = f"{len(ids)} articles: {figures} figures, {mentions} entity mentions"
    if from_archive:
        summary += f"; {statuses['rewritten']} rewritten from the archive, {statuses['unchanged']} unchanged"
    if statuses["dropped"]:
        drops = json.dumps(by_prefix(ctx.stats, DROPPED), sort_keys=True)
        summary += f"; {statuses['dropped']} kept as stored, the chain drops them: {drops}"
    if failures:
        summary += f"; {len(failures)} not read from the archive, kept as stored ({failures[0]})"
    _echo_stories(update_stories(db))  # what changed is clustered again
    click.echo(summary, err=True)
    if failures:
        sys.exit(1)


def _echo_stories(report: Any) -> None:
    click.echo(
        f"stories: {report.clustered} articles clustered ({report.exact} exact and "
        f"{report.near} near copies, {report.removed} changed or gone), {report.stories} "
        f"stories rebuilt, {report.links} English-Chinese links in all",
        err=True,
    )


@cli.command()
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True)
@click.option("--rebuild", is_flag=True, help="Forget every story and cluster all articles again.")
@user_errors
def stories(db_path: str, rebuild: bool) -> None:
    """Cluster the articles stored since the last run into stories (crawls and reextract do
    this themselves), rebuilding facts and English-Chinese links of the stories touched."""
    from crawler.db import open_db
    from pipelines.stories import update_stories

    if not Path(db_path).is_file():
        raise UserError(f"no database at {db_path}")
    _echo_stories(update_stories(open_db(db_path), rebuild=rebuild))


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
