"""`yrdnews serve`: Datasette over one database, safe to leave running.

Read-only and immutable (`-i`: Datasette never writes and may cache counts), a SQL time limit
and row cap, localhost unless `--public`, robots blocked unless allowed, and the database's
folder kept out of `/-/databases.json` (the file is opened by its bare name)."""

from __future__ import annotations

import copy
import ipaddress
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_METADATA = PROJECT_ROOT / "datasette_metadata.yml"
METADATA_DATABASE = "yrdnews"  # the name the metadata's tables, queries and charts are written for
SETTINGS = {
    "sql_time_limit_ms": 5000,
    "facet_time_limit_ms": 200,  # per facet; a page runs up to four in a row (ColumnFacet)
    "max_returned_rows": 1000,
    "truncate_cells_html": 400,
    "default_facet_size": 15,
    "suggest_facets": False,  # passed to the command line as "False", which it reads as off
}
ARCHIVE_DIRS_VARIABLE = "YRD_ARCHIVE_DIRS"
ROBOTS_ALLOWED = "User-agent: *\nDisallow: /-/\nDisallow: /{database}?\nDisallow: /{database}.json"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve_metadata(
    metadata: dict[str, Any], database: str, *, archive_dirs: list[Path], allow_robots: bool
) -> dict[str, Any]:
    """The project's metadata for a database of another name (Datasette names a database
    after its file), with the plugins' configuration for this server."""
    metadata = copy.deepcopy(metadata)
    databases = metadata.setdefault("databases", {})
    if database != METADATA_DATABASE and METADATA_DATABASE in databases:
        databases[database] = databases.pop(METADATA_DATABASE)
    plugins = metadata.setdefault("plugins", {})
    for dashboard in (plugins.get("datasette-dashboards") or {}).values():
        for chart in dashboard.get("charts", {}).values():
            if chart.get("db") == METADATA_DATABASE:
                chart["db"] = database
    if allow_robots:
        plugins["datasette-block-robots"] = {"literal": ROBOTS_ALLOWED.format(database=database)}
    # Read from the environment, so /-/metadata.json shows the variable's name, not the folders.
    os.environ[ARCHIVE_DIRS_VARIABLE] = os.pathsep.join(str(p) for p in archive_dirs)
    plugins.setdefault("yrd-news", {})["archive_dirs"] = {"$env": ARCHIVE_DIRS_VARIABLE}
    return metadata


def load_metadata(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    return json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)


def run_datasette(
    db_path: Path,
    *,
    host: str,
    port: int,
    metadata_path: Path | None,
    archive_dirs: list[Path],
    allow_robots: bool,
) -> None:
    """Run Datasette in this process until it is stopped."""
    from datasette.cli import cli as datasette_cli

    db_path = db_path.resolve()
    metadata = serve_metadata(
        load_metadata(metadata_path or DEFAULT_METADATA),
        db_path.stem,
        archive_dirs=[p.resolve() for p in archive_dirs],
        allow_robots=allow_robots,
    )
    with tempfile.TemporaryDirectory(prefix="yrdnews-serve-") as folder:
        metadata_file = Path(folder) / "metadata.json"
        metadata_file.write_text(json.dumps(metadata, ensure_ascii=False), encoding="utf-8")
        settings = [
            arg for name, value in SETTINGS.items() for arg in ("--setting", name, str(value))
        ]
        os.chdir(db_path.parent)  # so /-/databases.json shows the file's name, not its folder
        args = ["serve", "-i", db_path.name, "--metadata", str(metadata_file),
                "--host", host, "--port", str(port), *settings]  # fmt: skip
        datasette_cli.main(args, prog_name="yrdnews serve", standalone_mode=False)
