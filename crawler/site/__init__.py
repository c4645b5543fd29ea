"""The Datasette plugin that makes the yrd-news database read like a news archive: SQL
functions for search and name matching, article and figure pages, readable cells, facets by
date and by what articles mention, and the archived capture of each article.

Registered through the `datasette` entry point in pyproject.toml; its templates/ and static/
folders are found by Datasette next to this module."""

from __future__ import annotations

import os
import re
import sqlite3
from pathlib import Path
from typing import Any

from datasette import hookimpl
from datasette.utils import urlsafe_components
from datasette.utils.asgi import Response
from jinja2 import BaseLoader, ChoiceLoader, Environment, TemplateNotFound

from crawler import search
from crawler.site import cells, facets, functions, rows, summaries, tablesearch
from crawler.site.capture import CaptureNotFound, capture_headers, load_capture

PLUGIN = "yrd-news"
# Datasette looks for row-<database>-<table>.html; the database is named after its file, so
# any database's articles and figures get the project's pages.
ROW_TEMPLATES = {
    re.compile(r"row-.+-articles\.html"): "yrd_article.html",
    re.compile(r"row-.+-figures\.html"): "yrd_figure.html",
}


class _RowTemplates(BaseLoader):
    def __init__(self, loader: BaseLoader) -> None:
        self.loader = loader

    def get_source(self, environment: Environment, template: str) -> Any:
        for pattern, name in ROW_TEMPLATES.items():
            if pattern.fullmatch(template):
                return self.loader.get_source(environment, name)
        raise TemplateNotFound(template)

    def list_templates(self) -> list[str]:
        return []  # the names are patterns, not files


@hookimpl
def prepare_jinja2_environment(env: Environment, datasette: Any) -> None:
    env.loader = ChoiceLoader([env.loader, _RowTemplates(env.loader)])


@hookimpl
def startup(datasette: Any) -> None:
    search.prepare()
    summaries.start(datasette)


@hookimpl
def asgi_wrapper(datasette: Any) -> Any:
    """Table summaries are counted in the serving loop, from its first event, and each
    request's counts and facets are bounded together (summaries.py)."""

    def wrap(app: Any) -> Any:
        async def counting(scope: Any, receive: Any, send: Any) -> None:
            summaries.count_in_background(datasette)
            if scope["type"] != "http":  # the server's start-up counts are not a page's
                with summaries.outside_requests():
                    await app(scope, receive, send)
                return
            with summaries.page_time_limit():
                await app(scope, receive, send)

        return counting

    return wrap


@hookimpl(trylast=True)  # after Datasette's own functions, whose escape_fts it replaces
def prepare_connection(conn: sqlite3.Connection) -> None:
    functions.register(conn)


@hookimpl
def extra_css_urls(datasette: Any) -> list[str]:
    return [datasette.urls.static_plugins(PLUGIN, "yrd.css")]


def _record(row: Any) -> dict[str, Any]:
    """The cell's row by column name; made only for the cells that need it (a table page
    renders thousands of cells)."""
    return dict(zip(row.keys(), row, strict=False)) if hasattr(row, "keys") else {}


@hookimpl
def render_cell(
    row: Any, value: Any, column: str, table: str | None, database: str, datasette: Any
) -> Any:
    if column == "normalized":
        return cells.amount_cell(value, _record(row))
    if column == "snippet":
        return cells.snippet_cell(value)
    if table is not None or value is None:
        return None  # tables already link their foreign keys
    if column.endswith("article_id"):
        return cells.link_cell(datasette.urls.row(database, "articles", value), value)
    if column == "title" and (article_id := _record(row).get("article_id")) is not None:
        return cells.link_cell(datasette.urls.row(database, "articles", article_id), value)
    if column == "crawl_run_id":
        href = datasette.urls.table(database, "articles") + f"?crawl_run_id={int(value)}"
        return cells.link_cell(href, f"articles of run {value}")
    return None


@hookimpl
def register_facet_classes() -> list[type]:
    return [facets.ChronologicalFacet, facets.MentionFacet]


@hookimpl
def filters_from_request(request: Any, database: str, table: str, datasette: Any) -> Any:
    if table == "articles" and request.args.getlist(facets.MENTIONS_ARG):
        return facets.mention_filters(request.args.getlist(facets.MENTIONS_ARG))
    return None


@hookimpl(specname="filters_from_request", wrapper=True)
def search_plan(request: Any, database: str, table: str, datasette: Any) -> Any:
    """Every table's ?_search= on the plan its number of matches calls for (tablesearch.py)."""
    results = yield
    return tablesearch.replanned(results, request, database, table, datasette)


async def _row_values(datasette: Any, database: str, table: str, request: Any) -> dict[str, Any]:
    db = datasette.get_database(database)
    pks = await db.primary_keys(table) or ["rowid"]
    values = urlsafe_components(request.url_vars["pks"])
    if len(values) != len(pks):
        return {}
    where = " and ".join(f"[{pk}] = ?" for pk in pks)
    found = (await db.execute(f"select * from [{table}] where {where}", values)).rows
    return dict(zip(found[0].keys(), found[0], strict=True)) if found else {}


@hookimpl
def extra_template_vars(
    template: str, database: str, table: str, view_name: str, request: Any, datasette: Any
) -> Any:
    if view_name != "row" or table not in {"articles", "figures"}:
        return None

    async def inner() -> dict[str, Any]:
        row = await _row_values(datasette, database, table, request)
        if not row:
            return {}
        if table == "articles":
            return {"yrd": await rows.article_context(datasette, database, row["id"])}
        return {"yrd": await rows.figure_context(datasette, database, row)}

    return inner


def archive_roots(datasette: Any) -> list[Path]:
    """Folders whose WARC files may be served: `archive_dirs` in the plugin's configuration
    (set by `yrdnews serve`), else the folders of the databases served."""
    config = datasette.plugin_config(PLUGIN) or {}
    folders = config.get("archive_dirs")
    if isinstance(folders, str):  # from the environment: os.pathsep-separated
        folders = folders.split(os.pathsep)
    if folders:
        return [Path(p) for p in folders]
    return [Path(db.path).parent for db in datasette.databases.values() if db.path]


async def capture(request: Any, datasette: Any) -> Response:
    """/-/capture/<database>/<article id>: the raw response the article came from."""
    try:
        db = datasette.get_database(route=request.url_vars["database"])
    except KeyError:
        return Response.text("no such database", status=404)
    await datasette.ensure_permissions(
        request.actor, [("view-table", (db.name, "articles")), ("view-database", db.name), "view-instance"]
    )  # fmt: skip
    found = (
        await db.execute(
            "select warc_file, warc_offset, warc_record_id from articles where id = ?",
            [int(request.url_vars["article_id"])],
        )
    ).rows
    if not found or not found[0]["warc_file"]:
        return Response.text("no archived capture for this article", status=404)
    try:
        response = load_capture(*found[0], archive_roots(datasette))
    except (CaptureNotFound, OSError) as exc:
        return Response.text(str(exc), status=404)
    content_type, headers = capture_headers(response)
    return Response(response.body, status=200, headers=headers, content_type=content_type)


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [
        (r"^/-/capture/(?P<database>[^/]+)/(?P<article_id>\d+)$", capture),
        (r"^/-/summaries\.json$", summaries.status),
    ]
