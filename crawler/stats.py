"""The stats keys yrd-news components count under: the contract between whoever counts
(spiders, middlewares, the processing chain, the store) and the run record that folds them.

- ``yrd/dropped/<reason>``: an article not stored, by reason: page-object rejections
  (``empty_body``, ``not_html``, ``no_body_text_found``, ...) and the processing chain's
  checks (``before_since``, ``bad_url``, ``short_body``, ...). Folded into the run's ``drops``.
- ``yrd/relevance/below_threshold``: an article stored but flagged as off topic.
- ``yrd/stories/<outcome>``: what the post-store clustering did (``clustered``, ``copies``,
  ``links``).
- ``yrd/errors/<kind>``: a failure, by kind (``http_404``, ``http_5xx``, ``timeout``, ...).
  Folded into the run's ``errors_by_kind`` and summed into ``errors``, together with
  Scrapy's ``log_count/ERROR`` (as kind ``logged``). A failure counted here should
  therefore be logged at WARNING or below, so that it is counted once.
- ``yrd/fetched``: responses with a 2xx status, robots.txt aside: pages the crawl could read.
- ``yrd/articles/linked``: article links discovery found (feed and sitemap entries, listing
  links, the URLs of a URL list); ``yrd/articles/known``: those not requested because the
  database has them (stored, or dropped for good); ``yrd/articles/requested``: those
  requested; ``yrd/articles/read``: article responses the page object read.
- ``yrd/discovery/failed``: feed, sitemap or listing pages that could not be read.
- ``yrd/articles/new``, ``yrd/articles/updated`` (the page changed: the previous version is
  kept), ``yrd/articles/unchanged``: the store's outcomes; ``yrd/articles/stored`` counts new
  and updated together.
- ``yrd/replay/miss``: a request a replayed archive could not answer.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any, Protocol

DROPPED = "yrd/dropped/"
ERRORS = "yrd/errors/"
FETCHED = "yrd/fetched"
LINKED = "yrd/articles/linked"
KNOWN = "yrd/articles/known"
REQUESTED = "yrd/articles/requested"
READ = "yrd/articles/read"
DISCOVERY_FAILED = "yrd/discovery/failed"
NEW = "yrd/articles/new"
UPDATED = "yrd/articles/updated"
STORED = "yrd/articles/stored"
UNCHANGED = "yrd/articles/unchanged"
REPLAY_MISS = "yrd/replay/miss"
BELOW_THRESHOLD = "yrd/relevance/below_threshold"
STORIES = "yrd/stories/"
# Scrapy's own keys: log records at ERROR (failures no component classified) and discovery
# pages the HTTP cache revalidated (the site answered 304 Not Modified).
LOGGED_ERRORS = "log_count/ERROR"
NOT_MODIFIED = "httpcache/revalidate"


class Stats(Protocol):
    """What a step needs of a stats collector (Scrapy's, or a `Tally`)."""

    def inc_value(self, key: str, count: int = 1, start: int = 0) -> None: ...


class Tally(Counter[str]):
    """Stats counted outside a Scrapy crawl (e.g. by `yrdnews reextract`), same keys."""

    def inc_value(self, key: str, count: int = 1, start: int = 0) -> None:
        self[key] += count


def by_prefix(stats: Mapping[str, Any], prefix: str) -> dict[str, int]:
    """The counts under one prefix, keyed by what follows it ("yrd/dropped/keyword" -> "keyword")."""
    return {
        key.removeprefix(prefix): value
        for key, value in sorted(stats.items())
        if key.startswith(prefix) and isinstance(value, int)
    }
