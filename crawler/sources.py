"""The source registry: `sources.yml` loaded into typed, validated `Source` records.

A source is data, not code: adding one means adding an entry to `sources.yml` (see
docs/sources.md). Validation happens once, on load, and every problem is reported as
one line naming the entry and the field, so a typo never turns into a silent crawl of
nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from cssselect import GenericTranslator, SelectorError

# Read through importlib.resources, so the registry loads from a zipped egg too (Scrapyd).
DEFAULT_PATH = resources.files("crawler") / "sources.yml"

KINDS = ("state_media", "wire", "city_paper", "government", "park", "company")
LANGUAGES = ("en", "zh")
# Spider names that are not registry sources.
RESERVED_IDS = ("urls", "other")

_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_REQUIRED = ("id", "name", "kind", "language", "region", "allowed_domains", "verified")
_LISTING_FIELDS = ("url", "article_pattern", "next_page_pattern")
# The keys crawler.pages.ArticlePage accepts.
SELECTOR_FIELDS = ("title", "body", "published", "author")
_FIELDS = {
    *_REQUIRED,
    "homepage",
    "feeds",
    "sitemaps",
    "listings",
    "article_pattern",
    "selectors",
    "date_format",
    "keywords",
    "enabled",
}


class RegistryError(ValueError):
    """A registry entry that cannot be used; the message names the entry and the field."""


# Builds the error for one entry from (field, problem).
Fail = Callable[[str, str], RegistryError]


@dataclass(frozen=True)
class Listing:
    """A listing page: links matching `article_pattern` are articles, `next_page_pattern` pages on."""

    url: str
    article_pattern: str
    next_page_pattern: str | None = None


@dataclass(frozen=True)
class Source:
    """One publisher (or one section of it) and how its articles are discovered."""

    id: str
    name: str
    kind: str
    language: str
    region: str
    allowed_domains: tuple[str, ...]
    verified: str
    homepage: str | None = None
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    listings: tuple[Listing, ...] = ()
    article_pattern: str | None = None
    # Left out of hashing (a dict is unhashable) so sources can go in sets and dict keys.
    selectors: Mapping[str, str] | None = field(default=None, hash=False)
    date_format: str | None = None
    keywords: tuple[str, ...] = ()
    enabled: bool = True

    def allows(self, url: str) -> bool:
        """True when the URL's host is one of the source's domains or a subdomain of one."""
        return host_in(url, self.allowed_domains)

    def is_article_url(self, url: str) -> bool:
        """True for feed/sitemap links this source treats as articles (any link if no pattern)."""
        if not self.allows(url):
            return False
        return self.article_pattern is None or re.search(self.article_pattern, url) is not None


def host_in(url: str, domains: Iterable[str]) -> bool:
    """True when `url`'s host equals or is a subdomain of one of `domains`."""
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return False
    return any(host == d or host.endswith("." + d) for d in domains)


# libyaml's safe loader when PyYAML has it: 20 times faster. Every crawl reads the registry
# several times (spiders, chain, store), and every start of `extract` the entity lexicons.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_sources(path: Path | Traversable | None = None) -> list[Source]:
    """Read and validate the registry; raises RegistryError on the first bad entry."""
    path = path or DEFAULT_PATH
    label = path.name
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    except OSError as exc:
        raise RegistryError(f"{label}: cannot read: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise RegistryError(f"{label}: not valid YAML{where}") from None
    entries = raw.get("sources") if isinstance(raw, dict) else raw
    if not isinstance(entries, list):
        raise RegistryError(f"{label}: expected a list of sources under 'sources:'")
    sources: list[Source] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries, start=1):
        source = parse_entry(entry, index, label)
        if source.id in seen:
            raise RegistryError(f"{label}: entry '{source.id}': field 'id': duplicate id")
        seen.add(source.id)
        sources.append(source)
    return sources


def parse_entry(entry: Any, index: int, label: str = "sources.yml") -> Source:
    """Turn one YAML mapping into a Source, or raise RegistryError naming entry and field."""
    if not isinstance(entry, dict):
        raise RegistryError(f"{label}: entry #{index}: expected a mapping of fields")
    name = entry.get("id") if isinstance(entry.get("id"), str) else f"#{index}"

    def fail(field_name: str, problem: str) -> RegistryError:
        return RegistryError(f"{label}: entry '{name}': field '{field_name}': {problem}")

    for required in _REQUIRED:
        if entry.get(required) in (None, "", []):
            raise fail(required, "missing")
    unknown = sorted(set(entry) - _FIELDS)
    if unknown:
        raise fail(unknown[0], "unknown field")
    if not isinstance(entry["id"], str) or not _ID_RE.match(entry["id"]):
        raise fail("id", "must be snake_case (a-z, 0-9, _), starting with a letter")
    if entry["id"] in RESERVED_IDS:
        raise fail("id", f"'{entry['id']}' is reserved")
    for text_field in ("name", "region", "verified"):
        _text(entry, text_field, fail)
    if entry["kind"] not in KINDS:
        raise fail("kind", f"unknown kind {entry['kind']!r} (expected one of {', '.join(KINDS)})")
    if entry["language"] not in LANGUAGES:
        raise fail("language", f"unknown language {entry['language']!r} (expected en or zh)")
    domains = _strings(entry, "allowed_domains", fail)
    for domain in domains:
        if "/" in domain or ":" in domain:
            raise fail("allowed_domains", f"{domain!r} is not a bare domain name")
    homepage = _url(entry.get("homepage"), "homepage", domains, fail)
    feeds = tuple(_url(u, "feeds", domains, fail) for u in _strings(entry, "feeds", fail))
    sitemaps = tuple(_url(u, "sitemaps", domains, fail) for u in _strings(entry, "sitemaps", fail))
    listings = tuple(_listing(item, domains, fail) for item in _list(entry, "listings", fail))
    if not (feeds or sitemaps or listings):
        raise fail("feeds", "no discovery: give at least one of feeds, sitemaps or listings")
    article_pattern = _regex(entry.get("article_pattern"), "article_pattern", fail)
    selectors = entry.get("selectors")
    if selectors is not None:
        if not isinstance(selectors, dict) or not all(
            isinstance(v, str) and v for v in selectors.values()
        ):
            raise fail("selectors", "must map field names to CSS selectors")
        extra = sorted(set(selectors) - set(SELECTOR_FIELDS))
        if extra:
            raise fail("selectors", f"unknown selector {extra[0]!r}")
        for key, css in selectors.items():
            try:
                GenericTranslator().css_to_xpath(css)
            except SelectorError as exc:
                raise fail(f"selectors.{key}", f"bad CSS selector: {exc}") from None
    date_format = entry.get("date_format")
    if date_format is not None and not isinstance(date_format, str):
        raise fail("date_format", "must be a strftime format string")
    enabled = entry.get("enabled", True)
    if not isinstance(enabled, bool):
        raise fail("enabled", "must be true or false")
    return Source(
        id=entry["id"],
        name=entry["name"].strip(),
        kind=entry["kind"],
        language=entry["language"],
        region=entry["region"].strip(),
        allowed_domains=domains,
        verified=" ".join(entry["verified"].split()),
        homepage=homepage,
        feeds=feeds,
        sitemaps=sitemaps,
        listings=listings,
        article_pattern=article_pattern,
        selectors=dict(selectors) if selectors else None,
        date_format=date_format,
        keywords=_strings(entry, "keywords", fail),
        enabled=enabled,
    )


def _text(entry: dict, key: str, fail: Fail) -> str:
    value = entry[key]
    if not isinstance(value, str) or not value.strip():
        raise fail(key, "must be non-empty text")
    return value


def _list(entry: dict, key: str, fail: Fail) -> list:
    value = entry.get(key) or []
    if not isinstance(value, list):
        raise fail(key, "must be a list")
    return value


def _strings(entry: dict, key: str, fail: Fail) -> tuple[str, ...]:
    values = _list(entry, key, fail)
    if not all(isinstance(v, str) and v.strip() for v in values):
        raise fail(key, "must be a list of non-empty strings")
    return tuple(v.strip() for v in values)


def _url(value: Any, key: str, domains: tuple[str, ...], fail: Fail) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or urlsplit(value).scheme not in ("http", "https"):
        raise fail(key, f"{value!r} is not an http(s) URL")
    if not host_in(value, domains):
        raise fail(key, f"{value!r} is outside allowed_domains")
    return value


def _regex(value: Any, key: str, fail: Fail) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise fail(key, "must be a regular expression")
    try:
        re.compile(value)
    except re.error as exc:
        raise fail(key, f"bad regular expression: {exc}") from None
    return value


def _listing(item: Any, domains: tuple[str, ...], fail: Fail) -> Listing:
    if not isinstance(item, dict):
        raise fail("listings", "each listing must be a mapping with url and article_pattern")
    extra = sorted(set(item) - set(_LISTING_FIELDS))
    if extra:
        raise fail(f"listings.{extra[0]}", "unknown field")
    if not item.get("url"):
        raise fail("listings.url", "missing")
    if not item.get("article_pattern"):
        raise fail("listings.article_pattern", "missing")
    return Listing(
        url=_url(item["url"], "listings.url", domains, fail) or "",
        article_pattern=_regex(item["article_pattern"], "listings.article_pattern", fail) or "",
        next_page_pattern=_regex(item.get("next_page_pattern"), "listings.next_page_pattern", fail),
    )


def source_for_url(url: str, sources: Iterable[Source]) -> Source | None:
    """The enabled source whose domains hold the URL; the most specific domain wins."""
    best: tuple[int, Source] | None = None
    for source in sources:
        if not source.enabled:
            continue
        for domain in source.allowed_domains:
            if host_in(url, (domain,)) and (best is None or len(domain) > best[0]):
                best = (len(domain), source)
    return best[1] if best else None


def discovery_summary(source: Source) -> str:
    """One line saying how a source's articles are found, for listings of the registry."""
    parts = []
    if source.feeds:
        parts.append(f"{len(source.feeds)} feed{'s' * (len(source.feeds) > 1)}")
    if source.sitemaps:
        parts.append(f"{len(source.sitemaps)} sitemap{'s' * (len(source.sitemaps) > 1)}")
    if source.listings:
        paged = sum(1 for listing in source.listings if listing.next_page_pattern)
        text = f"{len(source.listings)} listing{'s' * (len(source.listings) > 1)}"
        parts.append(f"{text} ({paged} paged)" if paged else text)
    if source.keywords:
        parts.append(f"keyword filter ({len(source.keywords)})")
    return ", ".join(parts)


def describe_sources(sources: Iterable[Source]) -> list[dict[str, Any]]:
    """Rows for `yrdnews sources`: what each source is, how it is discovered, how it was checked."""
    return [
        {
            "id": s.id,
            "name": s.name,
            "kind": s.kind,
            "language": s.language,
            "region": s.region,
            "discovery": discovery_summary(s),
            "enabled": s.enabled,
            "verified": s.verified,
        }
        for s in sources
    ]
