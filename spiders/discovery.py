"""Pure functions that find article links in feeds, sitemaps and listing pages.

The spiders are thin wrappers around these, so every rule here (what counts as an
article link, which page is "next", what is too old) is tested on fixture bytes without
an engine. Nothing here raises on odd input: broken XML or HTML yields no links.
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from urllib.parse import urldefrag, urljoin

from lxml import etree

from crawler.dates import parse_date
from crawler.sources import host_in


@dataclass(frozen=True)
class Link:
    """A discovered URL with what the feed or sitemap says about it."""

    url: str
    published: str | None = None  # as printed in the feed/sitemap, if at all
    title: str | None = None


def parse_since(value: str | date | None) -> date | None:
    """The `since` argument or YRD_SINCE setting as a date; ValueError names the bad value."""
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise ValueError(f"since: {value!r} is not an ISO date (YYYY-MM-DD)") from None


def parse_max_pages(value: str | int | None, default: int) -> int:
    """The `max_pages` argument as a positive int; ValueError names the bad value."""
    if value is None or value == "":
        return default
    try:
        pages = int(value)
    except (TypeError, ValueError):
        pages = 0
    if pages < 1:
        raise ValueError(f"max_pages: {value!r} is not a positive whole number")
    return pages


def is_older(published: str | None, since: date | None) -> bool:
    """True when a printed date is readable and falls before `since` (same day is kept)."""
    if since is None or not published:
        return False
    iso = parse_date(published)
    if not iso:
        return False
    try:
        return date.fromisoformat(iso[:10]) < since
    except ValueError:
        return False


def _xml_root(body: bytes) -> etree._Element | None:
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False)
    try:
        return etree.fromstring(body.strip(), parser=parser)
    except (etree.XMLSyntaxError, ValueError):
        return None


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _children(element: etree._Element, name: str) -> list[etree._Element]:
    return [child for child in element if _local(child.tag) == name]


def _text(element: etree._Element, *names: str) -> str | None:
    """Text of the first direct child with one of `names` (namespace ignored)."""
    for name in names:
        for child in _children(element, name):
            text = (child.text or "").strip()
            if text:
                return text
    return None


def feed_links(body: bytes, base_url: str = "") -> list[Link]:
    """Entry links of an RSS 2.0, RSS 1.0 (RDF) or Atom feed, in feed order."""
    root = _xml_root(body)
    if root is None:
        return []
    links: list[Link] = []
    for element in root.iter():
        name = _local(element.tag)
        if name == "item":
            url = _text(element, "link")
            if not url:
                for guid in _children(element, "guid"):
                    if guid.get("isPermaLink", "true") != "false" and (guid.text or "").strip():
                        url = guid.text.strip()
            published = _text(element, "pubDate", "date", "published", "updated")
        elif name == "entry":
            url = None
            for link in _children(element, "link"):
                if link.get("rel", "alternate") == "alternate" and link.get("href"):
                    url = link.get("href").strip()
                    break
            published = _text(element, "published", "updated", "issued")
        else:
            continue
        if url:
            links.append(Link(urljoin(base_url, url), published, _text(element, "title")))
    return links


def sitemap_links(body: bytes, max_size: int = 0) -> tuple[str, list[Link]]:
    """("sitemapindex" | "urlset" | "", links) of a sitemap, gzipped or not.

    News sitemaps give `news:publication_date` and `news:title`; plain ones `lastmod`.
    """
    if body[:2] == b"\x1f\x8b":
        # Scrapy's bounded gunzip; imported here, as the processing chain (and so `yrdnews
        # extract`) imports this module for `is_older` and need not load Scrapy.
        from scrapy.utils.gz import gunzip

        try:
            body = gunzip(body, max_size=max_size)
        except (OSError, EOFError, ValueError, struct.error, zlib.error):
            return "", []  # corrupt, truncated or over the size limit
    root = _xml_root(body)
    if root is None or _local(root.tag) not in ("sitemapindex", "urlset"):
        return "", []
    kind = _local(root.tag)
    links: list[Link] = []
    for entry in root:
        if _local(entry.tag) not in ("sitemap", "url"):
            continue
        url = _text(entry, "loc")
        if not url:
            continue
        published = title = None
        for news in _children(entry, "news"):
            published = _text(news, "publication_date")
            title = _text(news, "title")
        links.append(Link(url, published or _text(entry, "lastmod"), title))
    return kind, links


_SKIP_SCHEMES = ("javascript:", "mailto:", "tel:", "data:")


def absolute_links(hrefs: Iterable[str], base_url: str) -> list[str]:
    """Absolute http(s) URLs without fragments, first occurrence order, duplicates dropped."""
    seen: dict[str, None] = {}
    for href in hrefs:
        href = (href or "").strip()
        if not href or href.startswith("#") or href.lower().startswith(_SKIP_SCHEMES):
            continue
        url = urldefrag(urljoin(base_url, href))[0]
        if url.startswith(("http://", "https://")):
            seen.setdefault(url, None)
    return list(seen)


def listing_links(
    hrefs: Iterable[str],
    base_url: str,
    article_pattern: str,
    next_page_pattern: str | None,
    domains: Iterable[str],
) -> tuple[list[str], list[str]]:
    """(article URLs, next-page candidates) of a listing page; off-domain links ignored."""
    domains = tuple(domains)
    articles: list[str] = []
    pages: list[str] = []
    for url in absolute_links(hrefs, base_url):
        if not host_in(url, domains):
            continue
        if re.search(article_pattern, url):
            articles.append(url)
        elif next_page_pattern and re.search(next_page_pattern, url) and url != base_url:
            pages.append(url)
    return articles, pages


_LAST_NUMBER = re.compile(r"(\d+)(?=\D*$)")


def _page_number(url: str, pattern: str | None) -> int:
    """The page number a paged listing URL carries (its last number); 1 for the first page."""
    if not pattern or not re.search(pattern, url):
        return 1
    match = _LAST_NUMBER.search(url.split("?", 1)[0])
    return int(match.group(1)) if match else 1


def next_page(
    current_url: str, candidates: Iterable[str], next_page_pattern: str | None
) -> str | None:
    """The candidate with the smallest page number above the current page's, if any.

    Listing pages link to many pages ("1 2 3 … 40"); following only the next one keeps
    pagination sequential, so `max_pages` bounds it exactly.
    """
    current = _page_number(current_url, next_page_pattern)
    best: tuple[int, str] | None = None
    for url in candidates:
        number = _page_number(url, next_page_pattern)
        if number > current and (best is None or number < best[0]):
            best = (number, url)
    return best[1] if best else None
