"""The processing chain: every step an article goes through between the page object and the
store, in order, written once.

The crawl (`ChainPipeline`), `yrdnews extract` and `yrdnews reextract` all run `STEPS`, so a
step added here (relevance, stories) reaches all three, and the three give the same figures
and entities for the same article. A step is a small function over the article, its
`ArticleText` (folding and sentences computed once, shared by every step) and a
`ChainContext`. Checks drop what the crawl does not keep with `DropItem(reason)`, counted
under `yrd/dropped/<reason>`; extractors fill the article's fields and never drop.

Nothing is dropped for being off topic: the relevance step scores every article (the
registry's keyword filters are inputs of that score) and flags those below the threshold, so
researchers can count and audit what the filter leaves out. Stories are not a step: they
compare articles with each other, so they are built after the store (pipelines/stories).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, NoReturn, Self

from crawler.items import Article
from crawler.sources import Source, load_sources
from crawler.stats import BELOW_THRESHOLD, DROPPED, Stats
from crawler.text import ArticleText
from pipelines.entities import extract_entities
from pipelines.figures import extract_figures
from pipelines.relevance import DEFAULT_THRESHOLD, score_relevance
from pipelines.validate import problems
from spiders.discovery import is_older

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


@dataclass(frozen=True)
class ChainContext:
    """What the steps need besides the article: the registry, the crawl's options, stats."""

    sources: Mapping[str, Source] = field(default_factory=dict)
    since: date | None = None
    min_body_chars: int = 80
    relevance_threshold: float = DEFAULT_THRESHOLD
    stats: Stats | None = None

    @classmethod
    def from_settings(
        cls, settings: Any, *, stats: Stats | None = None, since: date | None = None
    ) -> Self:
        """The context of a crawl (or a re-extraction) under these Scrapy settings."""
        return cls(
            sources={source.id: source for source in load_sources()},
            since=since,
            min_body_chars=settings.getint("YRD_MIN_BODY_CHARS", 80),
            relevance_threshold=settings.getfloat("YRD_RELEVANCE_THRESHOLD", DEFAULT_THRESHOLD),
            stats=stats,
        )

    def count(self, key: str, n: int = 1) -> None:
        if self.stats is not None:
            self.stats.inc_value(key, n)


def drop(article: Article, reasons: Iterable[str], ctx: ChainContext, **kwargs: Any) -> NoReturn:
    """Count each reason under yrd/dropped/ and drop the article."""
    # Scrapy's own exception, so the crawl drops the item; imported here, where a check
    # fails, because `yrdnews extract` runs no check and need not load Scrapy.
    from scrapy.exceptions import DropItem

    reasons = list(reasons)
    for reason in reasons:
        ctx.count(DROPPED + reason)
    error = DropItem(f"{', '.join(reasons)}: {article.url}", **kwargs)
    error.reasons = reasons  # for whoever remembers the drop (pipelines/store.py)
    raise error


def keep_recent(article: Article, text: ArticleText, ctx: ChainContext) -> None:
    """`--since`: discovery skips old entries when it knows their dates; this catches the rest."""
    if is_older(article.published_at, ctx.since):
        drop(article, ["before_since"], ctx, log_level="DEBUG")


def keep_valid(article: Article, text: ArticleText, ctx: ChainContext) -> None:
    reasons = problems(article, min_body_chars=ctx.min_body_chars)
    if reasons:
        drop(article, reasons, ctx)


def add_figures(article: Article, text: ArticleText, ctx: ChainContext) -> None:
    article.figures = extract_figures(text)
    ctx.count("yrd/figures", len(article.figures))
    ctx.count("yrd/figures/articles")


def add_entities(article: Article, text: ArticleText, ctx: ChainContext) -> None:
    article.mentions = extract_entities(text)
    ctx.count("yrd/mentions", len(article.mentions))
    ctx.count("yrd/mentions/articles")


def add_relevance(article: Article, text: ArticleText, ctx: ChainContext) -> None:
    """Score the article (after entities: its places count); below the threshold it is
    flagged, never dropped."""
    relevance = score_relevance(article, ctx.sources.get(article.source_id or ""), text)
    article.relevance = relevance.score
    article.relevant = relevance.score >= ctx.relevance_threshold
    article.relevance_reasons = relevance.reasons_json()
    if not article.relevant:
        ctx.count(BELOW_THRESHOLD)


@dataclass(frozen=True)
class Step:
    name: str
    run: Callable[[Article, ArticleText, ChainContext], None]
    check: bool = False  # a check may drop the article; an extractor only fills fields


STEPS: tuple[Step, ...] = (
    Step("since", keep_recent, check=True),
    Step("validate", keep_valid, check=True),
    Step("figures", add_figures),
    Step("entities", add_entities),
    Step("relevance", add_relevance),
)


def run_chain(article: Article, ctx: ChainContext, *, checks: bool = True) -> Article:
    """Run the steps over the article (raising DropItem when a check fails).

    Without `checks`, only the extractors run: `yrdnews extract` shows what they find in any
    text, kept by a crawl or not.
    """
    text = ArticleText(article.body, article.lang, article.published_at)
    for step in STEPS:
        if checks or not step.check:
            step.run(article, text, ctx)
    return article


class ChainPipeline:
    """The chain as one Scrapy item pipeline; items that are not articles pass through."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.ctx = ChainContext()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def open_spider(self) -> None:
        self.ctx = ChainContext.from_settings(
            self.crawler.settings,
            stats=self.crawler.stats,
            since=getattr(self.crawler.spider, "since", None),
        )

    def process_item(self, item: Any) -> Any:
        if isinstance(item, Article):
            run_chain(item, self.ctx)
        return item
