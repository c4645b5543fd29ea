"""The stats keys yrd-news components count under: the contract between whoever counts
(spiders, middlewares, the processing chain, the store) and the run record that folds them.

- ``yrd/dropped/<reason>``: an article not stored, by reason: page-object rejections
  (``empty_body``, ``not_html``, ``no_body_text_found``, ...) and the processing chain's
  checks (``keyword``, ``before_since``, ``bad_url``, ``short_body``, ...). Folded into the
  run's ``drops``.
- ``yrd/errors/<kind>``: a failure, by kind (``http_404``, ``http_5xx``, ``timeout``, ...).
  Folded into the run's ``errors_by_kind`` and summed into ``errors``, together with
  Scrapy's ``log_count/ERROR`` (as kind ``logged``). A failure counted here should
  therefore be logged at WARNING or below, so that it is counted once.
- ``yrd/articles/stored`` and ``yrd/articles/unchanged``: the store's outcomes.
- ``yrd/replay/miss``: a request a replayed archive could not answer.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any, Protocol

DROPPED = "yrd/dropped/"
ERRORS = "yrd/errors/"
STORED = "yrd/articles/stored"
UNCHANGED = "yrd/articles/unchanged"
REPLAY_MISS = "yrd/replay/miss"
# Scrapy's own count of log records at ERROR: failures no component classified.
LOGGED_ERRORS = "log_count/ERROR"


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
