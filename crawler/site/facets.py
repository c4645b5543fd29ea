"""Facets researchers asked for that Datasette does not have: months in date order, and the
places, industries, people and organisations an article mentions (through `mentions`)."""

from __future__ import annotations

import asyncio
from typing import Any

from datasette.database import QueryInterrupted
from datasette.facets import ColumnFacet, Facet
from datasette.filters import FilterArguments
from datasette.utils import escape_sqlite, path_with_added_args, path_with_removed_args

ENTITY_TYPES = ("place", "industry", "organization", "person")
MENTIONS_ARG = "_mentions"


class ChronologicalFacet(ColumnFacet):
    """A column facet (e.g. published_month) listed newest first instead of by count.
    Configured as `{"chronological": "published_month"}`."""

    type = "chronological"

    def get_facet_size(self) -> int:
        # Every value is fetched so that the newest come first, then cut to the usual size.
        return self.ds.setting("max_returned_rows")

    async def facet_results(self) -> tuple[list[dict[str, Any]], list[str]]:
        results, timed_out = await super().facet_results()
        size = super().get_facet_size()
        for facet in results:
            facet["results"].sort(key=lambda r: str(r["value"]), reverse=True)
            facet["truncated"] = facet["truncated"] or len(facet["results"]) > size
            facet["results"] = facet["results"][:size]
        return results, timed_out


class MentionFacet(Facet):
    """Articles counted by the entities of one type they mention; selecting one filters the
    table with `?_mentions=<entity id>`. Configured as `{"mentions": "place"}`."""

    type = "mentions"

    async def facet_results(self) -> tuple[list[dict[str, Any]], list[str]]:
        # Each entity type at once (they are independent), so a page waits for the slowest
        # one, not for their sum, when they run into facet_time_limit_ms on a big table.
        wanted = [
            (source_and_config, entity_type)
            for source_and_config in self.get_configs()
            if (entity_type := _entity_type(source_and_config["config"])) in ENTITY_TYPES
        ]  # never put an unknown word into SQL
        found = await asyncio.gather(*(self._facet(*w) for w in wanted))
        results = [facet for facet in found if facet is not None]
        timed_out = [
            entity_type
            for (_, entity_type), facet in zip(wanted, found, strict=True)
            if facet is None
        ]
        return results, timed_out

    async def _facet(
        self, source_and_config: dict[str, Any], entity_type: str
    ) -> dict[str, Any] | None:
        """The facet of one entity type; None when it ran out of time."""
        qs_pairs = self.get_querystring_pairs()
        size = self.get_facet_size()
        sql = f"""
            select entities.id as value, entities.name as label,
                   count(distinct mentions.article_id) as count
            from mentions join entities on entities.id = mentions.entity_id
            where entities.type = '{entity_type}'
              and mentions.article_id in (select {escape_sqlite("id")} from ({self.sql}))
            group by entities.id order by count desc, entities.name limit {size + 1}
        """
        try:
            rows = await self.ds.execute(
                self.database,
                sql,
                self.params,
                truncate=False,
                custom_time_limit=self.ds.setting("facet_time_limit_ms"),
            )
        except QueryInterrupted:  # listed as timed out, as Datasette's own facets are
            return None
        values = []
        for row in rows.rows[:size]:
            selected = (MENTIONS_ARG, row["value"]) in qs_pairs
            change = path_with_removed_args if selected else path_with_added_args
            values.append(
                {
                    "value": row["value"],
                    "label": row["label"],
                    "count": row["count"],
                    "selected": selected,
                    "toggle_url": self.ds.urls.path(
                        change(self.request, {MENTIONS_ARG: row["value"]})
                    ),
                }
            )
        return {
            "name": entity_type,
            "type": self.type,
            "hideable": source_and_config["source"] != "metadata",
            "toggle_url": self.ds.urls.path(
                path_with_removed_args(self.request, {"_facet_mentions": entity_type})
            ),
            "results": values,
            "truncated": len(rows.rows) > size,
        }


def _entity_type(config: dict[str, Any]) -> Any:
    return config.get("simple") or config.get("type")


def mention_filters(entity_ids: list[str]) -> FilterArguments:
    """`?_mentions=ID` (repeatable): only articles that mention every entity given."""
    clauses, params, descriptions = [], {}, []
    for i, entity_id in enumerate(entity_ids):
        clauses.append(f"id in (select article_id from mentions where entity_id = :_mention_{i})")
        params[f"_mention_{i}"] = entity_id
        descriptions.append(f"mentions {entity_id}")
    return FilterArguments(clauses, params=params, human_descriptions=descriptions)
