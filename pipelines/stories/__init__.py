"""Stories, facts and cross-lingual links over the stored articles (docs/stories.md).

`update_stories` is the post-store step: it clusters the articles stored since its last run
into stories and rebuilds the rows of every story that changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache, partial

from sqlite_utils import Database

from crawler.items import STORY_TABLES
from pipelines.stories.cluster import assign
from pipelines.stories.refresh import rebuild_story, relink, story_side

# Stories whose side (facts, places) is kept while linking: a bound for a rebuild of any size.
SIDE_CACHE_SIZE = 10_000


@dataclass(frozen=True)
class StoryReport:
    clustered: int
    exact: int
    near: int
    removed: int
    stories: int
    links: int


def update_stories(db: Database, *, rebuild: bool = False) -> StoryReport:
    """Cluster new or changed articles and rebuild the stories they touch, in one
    transaction; `rebuild` first forgets every story and clusters all articles again."""
    with db.atomic():
        if rebuild:
            for table in STORY_TABLES:
                db.execute(f"delete from {table.name}")
        done = assign(db)
        touched = sorted(done.touched)
        for story_id in touched:
            rebuild_story(db, story_id)
        # Sides are read once each: linking only writes links, so no side changes meanwhile.
        side_of = lru_cache(SIDE_CACHE_SIZE)(partial(story_side, db))
        for story_id in touched:
            relink(db, story_id, side_of)
    links = db.execute("select count(*) from story_links").fetchone()[0]
    return StoryReport(done.clustered, done.exact, done.near, done.removed, len(touched), links)
