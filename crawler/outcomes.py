"""Every request that does not end in a usable response is counted by kind, under
`yrd/errors/<kind>` in the crawl stats (the run record folds them), and logged as one
line naming the URL and the reason, never as a traceback.

Kinds: `http_<code>` for each 4xx status, `http_5xx`, `redirect_loop` (a redirect back
to a URL of its own chain, or more than REDIRECT_MAX_TIMES), `offsite_redirect`,
`timeout`, `dns`, `connection`, `size_limit`, `decompression_limit`, `bad_encoding`
(crawler/limits.py), `warc_damaged` and `replay_miss` (crawler/archive.py).
"""

from __future__ import annotations

import logging
from typing import Self
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.redirect import (
    RedirectMiddleware as ScrapyRedirectMiddleware,
)
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import Response
from scrapy.statscollectors import StatsCollector
from scrapy.utils.url import url_is_from_any_domain
from twisted.internet import error as tx
from twisted.web.client import ResponseFailed
from w3lib.url import canonicalize_url

from crawler.stats import ERRORS, FETCHED

logger = logging.getLogger(__name__)


# Scrapy wraps most Twisted failures in its own exceptions; the Twisted ones that reach
# the middlewares unwrapped are listed too. Timeouts first: Twisted's are ConnectErrors.
_NETWORK_ERRORS: tuple[tuple[tuple[type[Exception], ...], str], ...] = (
    ((DownloadTimeoutError, tx.TimeoutError, tx.TCPTimedOutError), "timeout"),
    ((CannotResolveHostError, tx.DNSLookupError), "dns"),
    # Scrapy's download handler cancels a download that passes DOWNLOAD_MAXSIZE.
    ((DownloadCancelledError,), "size_limit"),
    (
        (
            DownloadConnectionRefusedError,
            DownloadFailedError,
            ResponseDataLossError,
            ResponseFailed,
            tx.ConnectError,
            tx.ConnectionClosed,
        ),
        "connection",
    ),
)


def dropped(stats: StatsCollector, kind: str, url: str, reason: str) -> IgnoreRequest:
    """Count a failed request under its kind, say so in one log line, and give the
    IgnoreRequest that drops it: Scrapy logs other failures again, with a traceback."""
    stats.inc_value(ERRORS + kind)
    logger.warning("%s: %s (%s)", kind, url, reason)
    return IgnoreRequest(f"{kind}: {reason}")


def status_kind(status: int) -> str | None:
    """The error kind of an HTTP status, or None for a status that is not an error."""
    if 500 <= status < 600:
        return "http_5xx"
    if 400 <= status < 500:
        return f"http_{status}"
    return None


def network_error_kind(exception: BaseException) -> str | None:
    """The error kind of a download failure, or None for one that is not a network error
    (a bug, say, which keeps its traceback)."""
    for classes, kind in _NETWORK_ERRORS:
        if isinstance(exception, classes):
            return kind
    return None


def _is_robots_txt(request: Request) -> bool:
    # A site without robots.txt is no error, and a site that is down is counted once,
    # by the request that wanted a page.
    return urlsplit(request.url).path == "/robots.txt"


class OutcomesMiddleware:
    """Counts error statuses and network failures once per request, after its retries
    (its order, 540, is below RetryMiddleware's), and turns failures into one log line."""

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler.stats)

    def process_response(self, request: Request, response: Response) -> Response:
        if _is_robots_txt(request):
            return response
        kind = status_kind(response.status)
        if kind:
            self.stats.inc_value(ERRORS + kind)
        elif 200 <= response.status < 300:
            self.stats.inc_value(FETCHED)  # a page the crawl can read (crawl health's "fetched")
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        kind = network_error_kind(exception)
        if kind is None:
            return
        reason = str(exception) or (
            "stopped at DOWNLOAD_MAXSIZE" if kind == "size_limit" else type(exception).__name__
        )
        if not _is_robots_txt(request):
            raise dropped(self.stats, kind, request.url, reason) from exception
        logger.info("robots.txt unavailable, %s: %s (%s)", kind, request.url, reason)
        raise IgnoreRequest(f"{kind}: {reason}") from exception


def _page_key(url: str) -> str:
    return canonicalize_url(url, keep_fragments=False)


def is_offsite(url: str, origin: str, allowed_domains: list[str]) -> bool:
    """Whether a redirect target leaves the site: the spider's allowed_domains when it
    has them, else the host the chain started at, its subdomains and its parent domains
    (example.org <-> www.example.org)."""
    if allowed_domains:
        return not url_is_from_any_domain(url, allowed_domains)
    host, start = urlsplit(url).hostname or "", urlsplit(origin).hostname or ""
    return not (host == start or host.endswith("." + start) or start.endswith("." + host))


class RedirectMiddleware(ScrapyRedirectMiddleware):
    """Scrapy's redirects, with loops and off-site targets stopped and counted.

    Scrapy leaves a loop to the duplicate filter, which drops it silently, and an
    off-site target to the offsite filter (or, for a spider without allowed_domains,
    follows it).
    """

    def process_response(self, request: Request, response: Response) -> Request | Response:
        # Errors name the URL the chain started at: the one the spider asked for.
        chain = [*request.meta.get("redirect_urls", []), request.url]
        try:
            result = super().process_response(request, response)
        except IgnoreRequest as exc:  # Scrapy's "max redirections reached"
            reason = f"more than {self.max_redirect_times} redirects, the last to {request.url}"
            raise dropped(self.crawler.stats, "redirect_loop", chain[0], reason) from exc
        if not isinstance(result, Request) or result.meta.get("allow_offsite"):
            return result
        if _page_key(result.url) in {_page_key(url) for url in chain}:
            kind, reason = "redirect_loop", f"redirected back to {result.url}"
        elif is_offsite(
            result.url, chain[0], list(getattr(self.crawler.spider, "allowed_domains", None) or [])
        ):
            kind, reason = "offsite_redirect", f"redirected off-site to {result.url}"
        else:
            return result
        raise dropped(self.crawler.stats, kind, chain[0], reason)
