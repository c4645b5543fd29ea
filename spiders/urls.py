"""Crawl a given list of article URLs (no discovery), e.g. for sites outside the registry."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import scrapy

from crawler.sources import Source, load_sources, source_for_url
from crawler.stats import LINKED
from spiders.base import RegistrySpider


def read_urls(text: str) -> list[str]:
    """http(s) URLs from text: one per line or comma-separated; blanks and # comments skipped;
    each URL once, where it first appears."""
    urls: dict[str, None] = {}  # ordered, and linear however long the list
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            continue
        for part in line.split(","):
            part = part.strip()
            if part.startswith(("http://", "https://")):
                urls.setdefault(part)
    return list(urls)


class UrlListSpider(RegistrySpider):
    """`scrapy crawl urls -a urls_file=FILE` or `-a urls=URL,URL`.

    Each article gets the source_id of the registry source whose domain holds it, or
    "other" when none does.
    """

    name = "urls"

    def __init__(
        self, *args: Any, urls: str | None = None, urls_file: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        text = urls or ""
        if urls_file:
            try:
                text += "\n" + Path(urls_file).read_text(encoding="utf-8")
            except OSError as exc:
                raise ValueError(f"urls_file: cannot read {urls_file}: {exc.strerror}") from None
        self.urls = read_urls(text)
        if not self.urls:
            raise ValueError("urls: give article URLs with -a urls=... or -a urls_file=FILE")
        self.sources = load_sources()

    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.crawler.stats.inc_value(LINKED, len(self.urls))
        for url in self.urls:
            if request := self.article_request(url):
                yield request

    def source_for(self, url: str) -> Source | None:
        return source_for_url(url, self.sources)
