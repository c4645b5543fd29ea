"""One page, one address: URL canonicalisation.

Two functions, because an address has two jobs:
- `canonical_url` is the address stored and shown: the page's own URL without what only
  says where a click came from (tracking parameters, courlan's list plus the share
  parameters of Chinese sites and apps) and without a fragment; scheme and host lower-cased,
  default port and empty path normalised, query parameters sorted. It still opens the page.
- `url_key` is the page's identity: the canonical URL with what does not change the page
  folded away too: http or https, a `www.` or mobile host prefix (`m.`, `wap.`, `3g.`,
  `mobile.`), an index file name (`/index.html`) and a trailing slash. Two addresses with
  the same key are one article.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from courlan import normalize_url
from w3lib.url import url_query_cleaner

# Click-source parameters courlan's tracker list does not cover: Alibaba's spm, WeChat's
# from/isappinstalled/scene, Toutiao's tt_*, share tokens.
SHARE_PARAMETERS = (
    "spm", "from", "isappinstalled", "scene", "share_token", "share_from", "sharer_shareid",
    "tt_from", "tt_medium", "wxfrom", "wfr", "chksm",
)  # fmt: skip
_HOST_PREFIX = re.compile(r"^(?:www\d?|m|wap|3g|mobile)\.(?=[^.]+\.[^.]+)")
_INDEX_PAGE = re.compile(r"/(?:index|default)\.(?:s?html?|php|aspx?|jsp)$", re.I)


def canonical_url(url: str) -> str:
    """The address to store: tracking and share parameters and the fragment removed."""
    cleaned = url_query_cleaner(url.strip(), SHARE_PARAMETERS, remove=True)
    parts = urlsplit(normalize_url(cleaned, strict=False))
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))


def url_key(url: str) -> str:
    """The page's identity: scheme, www/mobile host prefix, index page and trailing slash
    folded away ("example.com/news/1")."""
    parts = urlsplit(canonical_url(url))
    host = _HOST_PREFIX.sub("", parts.netloc)
    path = _INDEX_PAGE.sub("/", parts.path).rstrip("/")
    return host + path + (f"?{parts.query}" if parts.query else "")


def site_of(url: str) -> str:
    """The host a page was published on, without `www.`."""
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")
