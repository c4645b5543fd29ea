"""`yrdnews snapshot`: a dated, citable copy of the database.

A snapshot folder holds a consistent copy of the database (SQLite's VACUUM INTO, safe while a
crawl writes), a data dictionary of every table and column, the extraction method with the
accuracy measured when the snapshot was made, the crawl runs it contains, a suggested citation
(also as CITATION.cff) and the Datasette metadata to serve or publish it. A snapshot is never
overwritten: its checksum is what a citation points at."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from crawler.serve import DEFAULT_METADATA, METADATA_DATABASE, PROJECT_ROOT, load_metadata

REPOSITORY = "https://github.com/yrd-news/yrd-news"
ACCURACY_SCRIPTS = ("bench/figures_eval.py", "bench/entities_eval.py")
# Tables SQLite or a library keeps for itself, described once rather than column by column.
INTERNAL = {
    "_sqlite_migrations": "Schema migrations applied to this database (sqlite-utils).",
    "articles_fts": "Full-text index of articles.title and articles.body (FTS5; its content is "
    "the articles table, Chinese indexed as character pairs).",
}
INTERNAL_PREFIXES = {"articles_fts_": "FTS5's own storage for articles_fts."}


class SnapshotExists(FileExistsError):
    """A snapshot of that date is already there."""


@dataclass(frozen=True)
class Snapshot:
    folder: Path
    database: Path
    sha256: str
    articles: int
    sources: int
    first_published: str | None
    last_published: str | None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _relations(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    return conn.execute(
        "select name, type from sqlite_master where type in ('table', 'view')"
        " and name not like 'sqlite_%' order by type, name"
    ).fetchall()


def data_dictionary(conn: sqlite3.Connection, metadata: dict[str, Any]) -> str:
    """Every table and view with its row count, and every column with its type and meaning."""
    tables = metadata.get("databases", {}).get(METADATA_DATABASE, {}).get("tables", {})
    lines = ["# Data dictionary", ""]
    internals = []
    for name, kind in _relations(conn):
        count = conn.execute(f'select count(*) from "{name}"').fetchone()[0]
        prefix = next((p for p in INTERNAL_PREFIXES if name.startswith(p)), None)
        if name in INTERNAL or prefix:
            internals.append(
                f"- `{name}` ({count:,} rows): {INTERNAL.get(name) or INTERNAL_PREFIXES[prefix]}"
            )
            continue
        described = tables.get(name, {})
        lines += [f"## `{name}` ({kind}, {count:,} rows)", ""]
        if described.get("description"):
            lines += [" ".join(described["description"].split()), ""]
        lines += ["| column | type | meaning |", "|---|---|---|"]
        for column in conn.execute(f'pragma table_info("{name}")').fetchall():
            meaning = described.get("columns", {}).get(column[1], "(no description)")
            lines.append(f"| `{column[1]}` | {column[2] or 'any'} | {meaning} |")
        lines.append("")
    return "\n".join([*lines, "## Internal tables", "", *internals, ""])


def _crawl_runs(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute(
        "select id, started_at, finished_at, status, requests, articles, articles_unchanged,"
        " errors, replay_misses from crawl_runs order by id"
    ).fetchall()
    lines = ["| run | started | finished | status | requests | articles stored | unchanged | errors | archive misses |",
             "|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    lines += ["| " + " | ".join("" if v is None else str(v) for v in row) + " |" for row in rows]
    return lines


def measured_accuracy(root: Path = PROJECT_ROOT) -> str:
    """What the accuracy scripts print now, verbatim; they live in a checkout, not in an
    installed package, so without them the snapshot says how to measure instead."""
    outputs = []
    for script in ACCURACY_SCRIPTS:
        path = root / script
        if not path.is_file():
            return f"Not measured: {', '.join(ACCURACY_SCRIPTS)} are in a checkout of {REPOSITORY}."
        result = subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                                cwd=root, timeout=600, check=False)  # fmt: skip
        outputs += [f"`python {script}`:", "", "```", result.stdout.strip(), "```", ""]
    return "\n".join(outputs)


def _code_version(root: Path = PROJECT_ROOT) -> str:
    try:
        result = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                                cwd=root, timeout=10, check=True)  # fmt: skip
        return result.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        from importlib.metadata import version

        return f"yrd-news {version('yrd-news')}"


def citation(snapshot: Snapshot, day: date, code: str) -> str:
    span = f"{(snapshot.first_published or '?')[:10]} to {(snapshot.last_published or '?')[:10]}"
    return (
        f"yrd-news contributors ({day.year}). yrd-news: news and announcements on manufacturing and "
        f"investment in Suzhou and the Yangtze River Delta, snapshot of {day.isoformat()} "
        f"[data set; {snapshot.articles:,} articles from {snapshot.sources} sources, published {span}]. "
        f"{REPOSITORY} (code {code}). SQLite file yrdnews.db, SHA-256 {snapshot.sha256}."
    )


def _citation_cff(snapshot: Snapshot, day: date, code: str) -> str:
    return "\n".join([
        "cff-version: 1.2.0",
        "message: If you use this snapshot, please cite it as below.",
        "type: dataset",
        f'title: "yrd-news snapshot {day.isoformat()}"',
        "authors:",
        '  - name: "yrd-news contributors"',
        f"date-released: {day.isoformat()}",
        f"repository-code: {REPOSITORY}",
        f'version: "{day.isoformat()}"',
        f'commit: "{code}"',
        "identifiers:",
        "  - type: other",
        f'    value: "sha256:{snapshot.sha256}"',
        "    description: SHA-256 of yrdnews.db",
        "",
    ])  # fmt: skip


def _readme(snapshot: Snapshot, day: date, code: str, conn: sqlite3.Connection) -> str:
    cite = citation(snapshot, day, code)
    return "\n".join([
        f"# yrd-news snapshot {day.isoformat()}",
        "",
        f"{snapshot.articles:,} articles from {snapshot.sources} sources, published "
        f"{(snapshot.first_published or '?')[:10]} to {(snapshot.last_published or '?')[:10]}.",
        "",
        "| file | what it is |",
        "|---|---|",
        f"| `yrdnews.db` | the database (SQLite), SHA-256 `{snapshot.sha256}` |",
        "| `DATA_DICTIONARY.md` | every table and column |",
        "| `METHOD.md` | how articles, figures and entities were extracted, and the accuracy measured |",
        "| `CITATION.cff` | the citation below, for reference managers |",
        "| `metadata.json` | Datasette metadata: descriptions, facets, queries, dashboard |",
        "",
        "## Suggested citation",
        "",
        cite,
        "",
        "## Crawl runs in this snapshot",
        "",
        *_crawl_runs(conn),
        "",
        "## Reading and publishing it",
        "",
        "Locally, with yrd-news installed (`make install` in a checkout of the code version above):",
        "",
        "    yrdnews serve --db yrdnews.db --metadata metadata.json",
        "",
        "As a Docker image with Datasette's own packager (needs Docker; the plugin comes from the",
        "code version above), then run it or push it to any container host:",
        "",
        "    datasette package yrdnews.db --metadata metadata.json \\",
        f"        --install 'yrd-news @ git+{REPOSITORY}@{code}' --tag yrdnews:{day.isoformat()}",
        f"    docker run -p 8001:8001 yrdnews:{day.isoformat()}",
        "",
        "`datasette publish cloudrun` or `datasette publish fly` (plugin datasette-publish-fly)",
        "take the same arguments. The image serves the file immutable (`-i`), as `yrdnews serve` does.",
        "",
    ])  # fmt: skip


def _method(accuracy: str, code: str) -> str:
    return "\n".join([
        "# Method",
        "",
        f"Code version: {code}. Full descriptions: {REPOSITORY}/tree/main/docs.",
        "",
        "- **Collection.** Scrapy spiders over a registry of sources (feeds, sitemaps, listing pages),",
        "  robots.txt obeyed; every response archived to WARC (`articles.warc_file`, `warc_record_id`).",
        "- **Articles.** Title, body, dates, author and language extracted from the saved bytes",
        "  (JSON-LD, OpenGraph, trafilatura); times in ISO 8601 with their UTC offset.",
        "- **Figures.** Amounts, percentages, counts and other quantities found by rules in each",
        "  sentence, normalised to base units with currency, scale, qualifier, metric and year",
        "  (docs/figures.md). Offsets index into `articles.body`.",
        "- **Entities.** People with their titles, organisations, places coded with GB/T 2260 and",
        "  industries, from gazetteers and patterns (docs/entities.md).",
        "- **Search.** Chinese indexed as character pairs, Traditional folded to Simplified.",
        "",
        "## Accuracy measured when this snapshot was made",
        "",
        "Precision and recall against hand-labelled gold texts in the repository (tests/fixtures/).",
        "",
        accuracy,
        "",
    ])  # fmt: skip


def make_snapshot(
    db_path: Path,
    out_dir: Path,
    *,
    day: date,
    metadata_path: Path | None = None,
    accuracy: str | None = None,
) -> Snapshot:
    """Write the snapshot folder `out_dir/yrdnews-<day>` and return what it holds.
    `accuracy` is the measured accuracy as text (default: `measured_accuracy()`)."""
    folder = out_dir / f"yrdnews-{day.isoformat()}"
    if folder.exists():
        raise SnapshotExists(f"{folder} exists: a snapshot is never overwritten")
    folder.mkdir(parents=True)
    database = folder / "yrdnews.db"
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as source:
        source.execute("vacuum into ?", [str(database)])
    source.close()
    conn = sqlite3.connect(database)
    try:
        conn.execute("pragma journal_mode = delete")  # one self-contained file, no -wal beside it
        count, sources, first, last = conn.execute(
            "select count(*), count(distinct source_id), min(published_at), max(published_at)"
            " from articles"
        ).fetchone()
        metadata = load_metadata(metadata_path or DEFAULT_METADATA)
        dictionary = data_dictionary(conn, metadata)
        conn.close()  # the file is final now: its checksum is what a citation names
        snapshot = Snapshot(folder, database, _sha256(database), count, sources, first, last)
        conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
        code = _code_version()
        cite = citation(snapshot, day, code)
        metadata["title"] = f"yrd-news snapshot {day.isoformat()}"
        metadata["description_html"] = (
            metadata.get("description_html", "")
            + f"<p>Snapshot of {day.isoformat()}. Cite as: {cite}</p>"
        )
        files = {
            "DATA_DICTIONARY.md": dictionary,
            "METHOD.md": _method(accuracy if accuracy is not None else measured_accuracy(), code),
            "CITATION.cff": _citation_cff(snapshot, day, code),
            "README.md": _readme(snapshot, day, code, conn),
            "metadata.json": json.dumps(metadata, ensure_ascii=False, indent=2),
        }
    finally:
        conn.close()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return snapshot
