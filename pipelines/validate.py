"""The one place where required fields are checked: an item that fails is dropped
with a reason that is counted, so a crawl's losses are visible in its run record.

`since` is the spiders' business (they skip old entries before fetching them). A missing
title is not a reason: some real pages print none, and losing their text
would cost researchers more than an empty title column does."""

from __future__ import annotations

from typing import Self

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from crawler.items import Article


def problems(article: Article, *, min_body_chars: int) -> list[str]:
    """Reasons (snake_case) this article should not be stored; empty when it is fine."""
    found = []
    if not article.url.startswith(("http://", "https://")):
        found.append("bad_url")
    if len((article.body or "").strip()) < min_body_chars:
        found.append("short_body")
    return found


class ValidatePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats
        self.min_body_chars = crawler.settings.getint("YRD_MIN_BODY_CHARS", 80)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_item(self, item: Article) -> Article:
        reasons = problems(item, min_body_chars=self.min_body_chars)
        if reasons:
            for reason in reasons:
                self.stats.inc_value(f"yrd/dropped/{reason}")
            raise DropItem(f"{', '.join(reasons)}: {item.url}")
        return item
