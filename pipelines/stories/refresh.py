"""Rebuild the rows of the stories a clustering run touched: each copy's role and lag, the
story row, its facts and its cross-lingual links. Rows are derived from the articles and
figures alone, so rebuilding a story twice writes the same rows."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from sqlite_utils import Database

from crawler.items import (
    FACT_FIGURES,
    FACTS,
    STORIES,
    STORY_LINKS,
    Fact,
    FactFigure,
    Story,
    StoryLink,
)
from crawler.items import article_id as hashed_id
from crawler.storage import insert_rows
from pipelines.stories.facts import FactGroup, FigureRef, group_facts
from pipelines.stories.links import Evidence, FactKey, StorySide, link_evidence

# Dates without an offset are China time, as everywhere in the project.
CHINA = timezone(timedelta(hours=8))
LINKED_LANGUAGES = ("en", "zh")


def moment(published_at: str | None) -> datetime | None:
    if not published_at:
        return None
    try:
        parsed = datetime.fromisoformat(published_at)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=CHINA)


def _members(db: Database, story_id: int) -> list[dict[str, Any]]:
    """The story's articles, earliest published first (undated ones last)."""
    members = list(
        db.query(
            """select s.article_id, s.outlet, a.published_at, a.title, a.lang
               from story_articles s join articles a on a.id = s.article_id
               where s.story_id = ?""",
            [story_id],
        )
    )
    far = datetime.max.replace(tzinfo=UTC)
    members.sort(key=lambda m: (moment(m["published_at"]) or far, m["article_id"]))
    return members


def _forget(db: Database, story_id: int) -> None:
    db.execute(
        "delete from fact_figures where fact_id in (select id from facts where story_id = ?)",
        [story_id],
    )
    db.execute("delete from facts where story_id = ?", [story_id])
    db.execute(
        "delete from story_links where en_story_id = ? or zh_story_id = ?", [story_id, story_id]
    )
    db.execute("delete from stories where id = ?", [story_id])


def _figures(db: Database, article_ids: list[int]) -> list[FigureRef]:
    """The story's figures, article by article (in the order given), each in text order."""
    # `restates`: the figures extractor's restatement marker, in databases that have it
    restates = "restates" if "restates" in db["figures"].columns_dict else "null"
    columns = f"""key, kind, normalized as value, normalized_unit as unit, currency, metric,
        year, counted, equivalent_of, {restates} as restates, text, sentence, start"""
    return [
        FigureRef(article_id=article, **r)
        for article in article_ids
        for r in db.query(
            f"select {columns} from figures where article_id = ? order by start, key", [article]
        )
    ]


def _fact(story_id: int, group: FactGroup, members: dict[int, dict[str, Any]]) -> Fact:
    first = group.first
    reporting = [members[a] for a in group.articles]
    earliest = reporting[0]  # members come in publication order, and so do group.articles
    return Fact(
        id=hashed_id(f"fact:{story_id}:{first.article_id}:{first.start}:{first.kind}"),
        story_id=story_id,
        kind=first.kind,
        value=first.value,
        unit=first.unit,
        currency=first.currency,
        metric=group.metric,
        year=group.year,
        text=first.text,
        sentence=first.sentence,
        outlets=len({m["outlet"] for m in reporting}),
        articles=len(reporting),
        mentions=len(group.members),
        first_article_id=earliest["article_id"],
        first_outlet=earliest["outlet"],
        first_published_at=earliest["published_at"],
    )


def rebuild_story(db: Database, story_id: int) -> None:
    """Roles, lags, facts and the story row of one story (links come after all stories)."""
    members = _members(db, story_id)
    _forget(db, story_id)
    if not members:
        return
    original = members[0]
    start = moment(original["published_at"])
    for member in members:
        when = moment(member["published_at"])
        db.execute(
            "update story_articles set role = ?, lag_seconds = ? where article_id = ?",
            [
                "original" if member is original else "copy",
                int((when - start).total_seconds()) if when and start else None,
                member["article_id"],
            ],
        )
    by_id = {m["article_id"]: m for m in members}
    groups = group_facts(_figures(db, [m["article_id"] for m in members]))
    facts = [_fact(story_id, group, by_id) for group in groups]
    insert_rows(db, FACTS, facts)
    insert_rows(
        db,
        FACT_FIGURES,
        (
            FactFigure(ref.article_id, ref.key, fact.id, role)
            for group, fact in zip(groups, facts, strict=True)
            for ref, role in group.members
        ),
    )
    dated = [m["published_at"] for m in members if moment(m["published_at"])]
    insert_rows(
        db,
        STORIES,
        [
            Story(
                id=story_id,
                original_article_id=original["article_id"],
                title=original["title"] or next((m["title"] for m in members if m["title"]), None),
                lang=original["lang"],
                first_published_at=original["published_at"],
                last_published_at=max(dated, key=moment) if dated else None,
                articles=len(members),
                outlets=len({m["outlet"] for m in members}),
                facts=len(facts),
            )
        ],
    )


def story_side(db: Database, story_id: int) -> StorySide:
    story = db["stories"].get(story_id)
    facts = tuple(
        FactKey(r["id"], r["kind"], r["value"], r["unit"], r["text"], r["metric"], r["year"])
        for r in db.query(
            "select id, kind, value, unit, text, metric, year from facts"
            " where story_id = ? order by id",
            [story_id],
        )
    )
    # CROSS JOIN keeps SQLite's join order (the story's articles first): left to itself it
    # starts from every place entity and reads every mention of each, the whole database.
    places = {
        code: name
        for code, name in db.execute(
            """select distinct e.code, e.name from story_articles s
               cross join mentions m on m.article_id = s.article_id
               cross join entities e on e.id = m.entity_id
               where s.story_id = ? and e.type = 'place' and e.code is not null
               order by e.code""",
            [story_id],
        ).fetchall()
    }
    return StorySide(story_id, moment(story["first_published_at"]), facts, places)


def _candidates(db: Database, story_id: int, other_lang: str) -> list[int]:
    """Stories of the other language that share at least one fact value with this one."""
    return [
        r[0]
        for r in db.execute(
            """select distinct f2.story_id from facts f1
               join facts f2 on f2.kind = f1.kind and f2.unit is f1.unit
                and f2.value between min(f1.value * 0.995, f1.value * 1.005)
                                 and max(f1.value * 0.995, f1.value * 1.005)
               join stories s on s.id = f2.story_id
               where f1.story_id = ? and s.lang = ?
               order by f2.story_id""",
            [story_id, other_lang],
        ).fetchall()
    ]


def _evidence_json(evidence: Evidence) -> str:
    return json.dumps(
        {
            "facts": [
                {"kind": en.kind, "value": en.value, "unit": en.unit, "en": en.text, "zh": zh.text}
                for en, zh in evidence.facts
            ],
            "places": [{"code": c, "name": n} for c, n in sorted(evidence.places.items())],
            "days_apart": evidence.days_apart,
        },
        ensure_ascii=False,
    )


def relink(db: Database, story_id: int, side_of: Callable[[int], StorySide]) -> None:
    """Links between this story and every story of the other language; `side_of` gives a
    story's side (`story_side`, cached by the caller: a story is the candidate of many)."""
    found = list(db.query("select lang from stories where id = ?", [story_id]))
    if not found or found[0]["lang"] not in LINKED_LANGUAGES:
        return
    lang = found[0]["lang"]
    other = "zh" if lang == "en" else "en"
    side = side_of(story_id)
    for candidate in _candidates(db, story_id, other):
        theirs = side_of(candidate)
        en, zh = (side, theirs) if lang == "en" else (theirs, side)
        evidence = link_evidence(en, zh)
        if evidence is None:
            continue
        link = StoryLink(
            en_story_id=en.story_id,
            zh_story_id=zh.story_id,
            shared_facts=len(evidence.facts),
            shared_places=len(evidence.places),
            days_apart=evidence.days_apart,
            evidence=_evidence_json(evidence),
        )
        insert_rows(db, STORY_LINKS, [link], upsert=True)
