"""Assign stored articles to stories: exact duplicates by fingerprint, near-duplicates by
MinHash LSH over shingles, verified on the shingles and figures themselves.

Incremental and idempotent: an article is clustered once, when it has no fingerprint row
or its content hash changed since; articles are taken in publication order, so a new article
joins the story of the copy it repeats. Running it again with nothing new changes nothing.

A candidate from LSH is the same story when (docs/stories.md quotes these rules)
- at least `MIN_CONTAINMENT` of the shingles of the shorter text are in the other text (a copy
  cut short or padded with boilerplate still qualifies), and
- at least `MIN_FIGURE_AGREEMENT` of the figures (kind, value, unit) of the article with fewer
  figures are in the other too. Two releases from one template share most shingles and
  differ in their numbers; this is the rule that keeps them apart.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

from sqlite_utils import Database

from crawler.items import ARTICLE_FINGERPRINTS, STORY_ARTICLES, ArticleFingerprint, StoryArticle
from crawler.items import article_id as hashed_id
from crawler.storage import insert_rows
from crawler.urls import site_of
from pipelines.stories import fingerprints as fp
from pipelines.stories.bands import BandIndex

MIN_CONTAINMENT = 0.5
MIN_FIGURE_AGREEMENT = 0.8
# LSH finds pairs whose estimated Jaccard similarity is around this or more; a low value
# keeps short copies of long texts (whose Jaccard is low, containment high) as candidates.
LSH_THRESHOLD = 0.2
LSH_WEIGHTS = (0.3, 0.7)  # false positives are cheap (verified), false negatives are not
# Candidates kept in memory between matches (the most recently used): copies of one release
# arrive close together, and a bound keeps a crawl of any size from holding every article's
# shingles. Figures are small and are checked first, so they are kept for more articles.
TEXT_CACHE_SIZE = 500
FIGURE_CACHE_SIZE = 20_000


@dataclass
class Text:
    """An article's body as clustering compares it."""

    article_id: int
    token_list: list[str]
    figures: Counter[tuple[str, float, str | None]]

    @cached_property
    def shingles(self) -> set[str]:
        return fp.shingles(self.token_list)


@dataclass
class Assignment:
    """What a clustering run did."""

    clustered: int = 0
    exact: int = 0
    near: int = 0
    removed: int = 0
    touched: set[int] = field(default_factory=set)  # stories whose rows must be rebuilt


def figure_keys(db: Database, article_id: int) -> Counter[tuple[str, float, str | None]]:
    """The article's figures as (kind, value to 4 significant digits, unit)."""
    return Counter(
        (kind, float(f"{value:.4g}"), unit)
        for kind, value, unit in db.execute(
            "select kind, normalized, normalized_unit from figures"
            " where article_id = ? and normalized is not null",
            [article_id],
        ).fetchall()
    )


def load_text(
    db: Database, article_id: int, figures: Counter[tuple[str, float, str | None]] | None = None
) -> Text:
    """The article as clustering compares it (`figures`, when already read, are not read again)."""
    body = db.execute("select body from articles where id = ?", [article_id]).fetchone()[0]
    found = figures if figures is not None else figure_keys(db, article_id)
    return Text(article_id, fp.tokens(body), found)


def figures_agree(
    a: Counter[tuple[str, float, str | None]], b: Counter[tuple[str, float, str | None]]
) -> float | None:
    """The figure agreement of two articles when it is enough for a copy, else None."""
    agreement = fp.number_agreement(a, b)
    return agreement if agreement >= MIN_FIGURE_AGREEMENT else None


def is_copy(a: Text, b: Text) -> tuple[float, float] | None:
    """(containment, figure agreement) when b is a copy of a, else None. The figures are
    compared first: they are cheaper, and they set apart releases from one template."""
    agreement = figures_agree(a.figures, b.figures)
    if agreement is None:
        return None
    containment = fp.containment(a.shingles, b.shingles)
    if containment < MIN_CONTAINMENT:
        return None
    return round(containment, 3), round(agreement, 3)


def outlet(source_id: str | None, url: str) -> str:
    """Who published a copy: the registry source, or the host for pages outside it."""
    return source_id if source_id and source_id != "other" else site_of(url)


def _remove_stale(db: Database, result: Assignment) -> None:
    """Forget articles that were deleted or changed since they were clustered."""
    # Matched on the index of content hashes (crawler/db.py m008), never an article's row.
    stale = db.execute(
        """select f.article_id, s.story_id from article_fingerprints f
           left join story_articles s on s.article_id = f.article_id
           where not exists (
             select 1 from articles a indexed by idx_articles_content_hash
             where a.content_hash is f.content_hash and a.id = f.article_id)"""
    ).fetchall()
    for article_id, story_id in stale:
        db.execute("delete from article_fingerprints where article_id = ?", [article_id])
        db.execute("delete from story_articles where article_id = ?", [article_id])
        if story_id is not None:
            result.touched.add(story_id)
        result.removed += 1


def _new_articles(db: Database) -> Iterator[dict[str, Any]]:
    """Articles without a fingerprint, earliest published first (undated last)."""
    yield from db.query(
        """select a.id, a.content_hash, a.source_id, a.url from articles a
           left join article_fingerprints f on f.article_id = a.id
           where f.article_id is null
           order by a.published_at is null, a.published_at, a.id"""
    )


def _story_of(db: Database, article_id: int) -> int:
    return db.execute(
        "select story_id from story_articles where article_id = ?", [article_id]
    ).fetchone()[0]


def _new_story_id(db: Database, text: Text) -> int:
    """The article's id; if a story already has it (its founder changed and left it), an id
    derived from the article's id and tokens."""
    taken = db.execute("select 1 from story_articles where story_id = ?", [text.article_id])
    if taken.fetchone() is None:
        return text.article_id
    return hashed_id(f"{text.article_id}:{fp.fingerprint(text.token_list)}")


@dataclass(frozen=True)
class Match:
    """The earlier article a new one repeats, and how."""

    article_id: int
    kind: str  # exact | near
    containment: float
    figure_agreement: float


class _Index:
    """The clustered articles: fingerprints for exact copies, MinHash LSH bands for near ones."""

    def __init__(self, db: Database) -> None:
        self.bands = BandIndex(threshold=LSH_THRESHOLD, num_perm=fp.NUM_PERM, weights=LSH_WEIGHTS)
        self.db = db
        self.added: set[int] = set()  # clustered by this run
        self.exact: dict[str, int] = {}  # fingerprint -> the first article of this run with it
        self.figures = lru_cache(FIGURE_CACHE_SIZE)(lambda article_id: figure_keys(db, article_id))
        self.text = lru_cache(TEXT_CACHE_SIZE)(
            lambda article_id: load_text(db, article_id, self.figures(article_id))
        )
        self.bands.load(db.execute("select article_id, signature from article_fingerprints"))

    def add(self, article_id: int, fingerprint: str, signature: Any) -> None:
        self.bands.add(article_id, signature.hashvalues)
        self.added.add(article_id)
        self.exact.setdefault(fingerprint, article_id)

    def exact_copy(self, fingerprint: str) -> int | None:
        """The first article (by id) clustered before this run with the same tokens, else the
        first of this run: asked of the fingerprints' index, not loaded for every article."""
        for (article_id,) in self.db.execute(
            "select article_id from article_fingerprints where fingerprint = ? order by article_id",
            [fingerprint],
        ):
            if article_id not in self.added:
                return article_id
        return self.exact.get(fingerprint)

    def signature_of(self, article_id: int) -> Any:
        """The stored signature of a clustered article."""
        row = self.db.execute(
            "select signature from article_fingerprints where article_id = ?", [article_id]
        ).fetchone()
        return fp.signature_from_bytes(row[0])

    def match(self, text: Text, fingerprint: str) -> tuple[Match | None, Any]:
        """The copy `text` repeats (an exact one, else the candidate with most containment),
        and the text's signature."""
        original = self.exact_copy(fingerprint)
        if original is not None:
            # The same tokens as the copy, so the same shingles and signature: not hashed again.
            return Match(original, "exact", 1.0, 1.0), self.signature_of(original)
        signature = fp.signature(text.shingles)
        return self.near_match(text, signature), signature

    def near_match(self, text: Text, signature: Any) -> Match | None:
        """The candidate of the LSH index that `text` copies with most containment."""
        best = None
        for candidate in sorted(self.bands.query(signature.hashvalues)):
            if figures_agree(self.figures(candidate), text.figures) is None:
                continue  # other numbers (a release from one template): its text is not read
            found = is_copy(self.text(candidate), text)
            if found and (best is None or found[0] > best.containment):
                best = Match(candidate, "near", *found)
        return best


def assign(db: Database) -> Assignment:
    """Cluster every article that has not been clustered in its current form."""
    result = Assignment()
    _remove_stale(db, result)
    new = list(_new_articles(db))
    if not new:
        return result  # nothing to compare: the index is not even loaded
    index = _Index(db)
    for article in new:
        text = index.text(article["id"])
        fingerprint = fp.fingerprint(text.token_list)
        match, signature = index.match(text, fingerprint)
        if match is not None:
            result.exact += match.kind == "exact"
            result.near += match.kind == "near"
        story_id = _story_of(db, match.article_id) if match else _new_story_id(db, text)
        fingerprint_row = ArticleFingerprint(
            article_id=text.article_id,
            content_hash=article["content_hash"],
            fingerprint=fingerprint,
            tokens=len(text.token_list),
            signature=fp.signature_bytes(signature),
        )
        insert_rows(db, ARTICLE_FINGERPRINTS, [fingerprint_row])
        member = StoryArticle(
            article_id=text.article_id,
            story_id=story_id,
            outlet=outlet(article["source_id"], article["url"]),
            role="copy" if match else "original",
            matched_article_id=match.article_id if match else None,
            match=match.kind if match else None,
            containment=match.containment if match else None,
            figure_agreement=match.figure_agreement if match else None,
            lag_seconds=None,  # set when the story is rebuilt
        )
        insert_rows(db, STORY_ARTICLES, [member])
        index.add(text.article_id, fingerprint, signature)
        result.touched.add(story_id)
        result.clustered += 1
    return result
