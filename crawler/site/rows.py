"""What the article and figure row pages show, read from the database for one row."""

from __future__ import annotations

from typing import Any

from datasette.utils import path_from_row_pks, tilde_encode

from crawler.site.article import Span, choose_spans, marked_paragraphs
from crawler.site.cells import format_quantity

FIGURE_FIELDS = ("kind", "metric", "period", "year", "qualifier", "subject", "change")


def _as_dict(row: Any) -> dict[str, Any]:
    return dict(zip(row.keys(), row, strict=True))


def figure_tooltip(figure: dict[str, Any]) -> str:
    """Value, unit, metric and year of a stored figure, as one line."""
    amount = format_quantity(figure.get("normalized"), figure.get("normalized_unit"))
    parts = [f"{figure['kind']}: {amount or figure.get('value')}"]
    parts += [f"{name}: {figure[name]}" for name in FIGURE_FIELDS[1:] if figure.get(name)]
    return " · ".join(parts)


def entity_tooltip(mention: dict[str, Any]) -> str:
    kind = mention["type"] + (f" ({mention['subtype']})" if mention.get("subtype") else "")
    names = " / ".join(n for n in (mention.get("name"), mention.get("name_zh")) if n)
    parts = [f"{kind}: {names}"]
    if mention.get("code"):
        parts.append(f"code {mention['code']}")
    if mention.get("title"):
        parts.append(mention["title"])
    return " · ".join(parts)


async def _rows(db: Any, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    return [_as_dict(row) for row in (await db.execute(sql, params)).rows]


async def article_context(datasette: Any, database: str, article_id: int) -> dict[str, Any]:
    """The article with its body marked up, its figures, entities, source and capture."""
    db = datasette.get_database(database)
    found = await _rows(db, "select * from articles where id = ?", [article_id])
    if not found:
        return {}
    article = found[0]
    figures = await _rows(
        db, "select * from figures where article_id = ? order by start", [article_id]
    )
    mentions = await _rows(
        db,
        """select mentions.*, entities.type, entities.subtype, entities.name, entities.name_zh,
                  entities.code
           from mentions join entities on entities.id = mentions.entity_id
           where mentions.article_id = ? order by mentions.start""",
        [article_id],
    )
    figure_pks = await db.primary_keys("figures")
    for figure in figures:
        figure["href"] = datasette.urls.row(
            database, "figures", path_from_row_pks(figure, figure_pks, not figure_pks)
        )
        figure["amount"] = format_quantity(figure.get("normalized"), figure.get("normalized_unit"))
        figure["tooltip"] = figure_tooltip(figure)
    for mention in mentions:
        mention["href"] = datasette.urls.row(
            database, "entities", tilde_encode(mention["entity_id"])
        )
    figure_spans = [
        Span(f["start"], f["end"], f"yrd-figure yrd-{f['kind']}", f["href"], f["tooltip"],
             anchor=f"figure-{f['start']}")
        for f in figures
    ]  # fmt: skip
    entity_spans = [
        Span(m["start"], m["end"], f"yrd-entity yrd-{m['type']}", m["href"], entity_tooltip(m))
        for m in mentions
    ]
    spans = choose_spans(len(article["body"]), figure_spans, entity_spans)
    entities: dict[str, dict[str, Any]] = {}
    for mention in mentions:
        entry = entities.setdefault(mention["entity_id"], {**mention, "count": 0})
        entry["count"] += 1
    source = await _rows(db, "select * from sources where id = ?", [article["source_id"]])
    return {
        "article": article,
        "paragraphs": marked_paragraphs(article["body"], spans),
        "figures": figures,
        "entities": sorted(entities.values(), key=lambda e: (e["type"], -e["count"], e["name"])),
        "marked_figures": sum(1 for s in spans if s.anchor),
        "source": source[0] if source else None,
        "capture_url": (
            datasette.urls.path(f"/-/capture/{tilde_encode(database)}/{article_id}")
            if article.get("warc_file") and article.get("warc_record_id")
            else None
        ),
        "story": await story_context(db, article),
    }


async def story_context(db: Any, article: dict[str, Any]) -> dict[str, Any] | None:
    """The article's story (pipelines/stories) and its other copies, earliest first, each with
    its lag behind the original; None when the article has no other copy (or the database has
    no stories yet)."""
    if not await db.table_exists("story_articles"):
        return None
    story = await _rows(
        db, "select story_id from story_articles where article_id = ?", [article["id"]]
    )
    if not story:
        return None
    copies = await _rows(
        db,
        "select a.id, a.title, a.source_id, a.published_at, s.outlet, s.role, s.lag_seconds"
        " from story_articles s join articles a on a.id = s.article_id"
        " where s.story_id = ? and a.id != ? order by a.published_at",
        [story[0]["story_id"], article["id"]],
    )
    return {"id": story[0]["story_id"], "copies": copies} if copies else None


async def figure_context(datasette: Any, database: str, figure: dict[str, Any]) -> dict[str, Any]:
    """A figure with its sentence, the figure marked in it, and its article."""
    db = datasette.get_database(database)
    article = await _rows(
        db, "select id, title, published_at, source_id, lang from articles where id = ?",
        [figure["article_id"]],
    )  # fmt: skip
    sentence = figure.get("sentence") or ""
    offset = figure.get("sentence_start")
    spans = []
    if offset is not None:
        spans = choose_spans(
            len(sentence),
            [
                Span(
                    figure["start"] - offset,
                    figure["end"] - offset,
                    "yrd-figure",
                    datasette.urls.row(database, "articles", figure["article_id"])
                    + f"#figure-{figure['start']}",
                    "where it stands in the article",
                )
            ],
        )
    return {
        "figure": figure,
        "amount": format_quantity(figure.get("normalized"), figure.get("normalized_unit")),
        "sentence_html": marked_paragraphs(sentence, spans)[0] if sentence else None,
        "article": article[0] if article else None,
        "fields": {k: v for k, v in figure.items() if v not in (None, "")},
    }
