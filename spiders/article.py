"""An article page read as its source asks (selectors, date format): the one way the crawl,
`yrdnews extract` and `yrdnews reextract --from-archive` turn a page's bytes into an Article.

Apart from the spiders so that reading one page imports no Scrapy: `yrdnews extract` starts
without it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crawler.items import Article
from crawler.pages import extract_article
from crawler.sources import Source


def read_article(
    body: bytes, url: str, headers: Mapping[Any, Any] | None, source: Source | None
) -> Article:
    """The page object run as its source asks; NotAnArticle if the page is not one."""
    return extract_article(
        body,
        url,
        headers,
        selectors=source.selectors if source else None,
        date_format=source.date_format if source else None,
    )
