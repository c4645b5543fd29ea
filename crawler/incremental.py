"""Incremental crawling: a run requests only what the database does not have yet.

- Article URLs already stored (as an article's URL or canonical URL) or known to hold no
  article (a redirect to a stored one, a page dropped for good: `known_pages`) are not
  requested again, unless `--refresh`; a feed or sitemap entry dated after the page was
  fetched is (the page may have changed).
- Listing pagination stops at a page whose links are all settled: known since the source's
  last `ok` run, whose walk read every discovery page. An article stored by a run that was
  interrupted does not stop pagination, so the run after it reads as far as needed.
- Discovery pages are fetched conditionally (ETag / Last-Modified, kept per URL by Scrapy's
  HTTP cache under the data directory): a page the site says is unchanged costs a 304, and
  its cached copy is read again, so links the last run found but did not fetch are not lost.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Self

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.dupefilters import RFPDupeFilter
from scrapy.extensions.httpcache import RFC2616Policy
from scrapy.http import Response
from scrapy.settings import BaseSettings
from sqlite_utils import Database

from crawler.dates import parse_date
from crawler.runs import settled_before

# request.meta key marking feed, sitemap and listing requests (the HTTP cache keeps only those).
DISCOVERY = "yrd_discovery"


@dataclass(frozen=True)
class KnownPages:
    """What the database knows of one source's article URLs: when each was fetched, and
    which were settled (known since its last `ok` run)."""

    fetched_at: Mapping[str, str | None] = field(default_factory=dict)
    settled: frozenset[str] = frozenset()

    def __contains__(self, url: str) -> bool:
        return url in self.fetched_at

    def is_settled(self, url: str) -> bool:
        return url in self.settled

    def changed_since_fetched(self, url: str, dated: str | None) -> bool:
        """Whether an entry's date (a feed's pubDate or updated, a sitemap's lastmod) is later
        than the stored fetch of its page: the page may have changed since."""
        fetched = self.fetched_at.get(url)
        when = parse_date(dated) if dated and fetched else None
        if not when:
            return False
        try:
            moment = datetime.fromisoformat(when if "T" in when else when + "T23:59:59+08:00")
            return moment > datetime.fromisoformat(fetched)
        except (ValueError, TypeError):
            return False


def load_known_pages(db: Database, source_id: str | None) -> KnownPages:
    """The known article URLs of a source (of every source when None: a URL list)."""
    where, params = ("where source_id = ?", [source_id]) if source_id else ("", [])
    rows = db.execute(
        f"""select url, fetched_at, stored_at from articles {where}
        union all select canonical_url, fetched_at, stored_at from articles {where}
        union all select url, seen_at, seen_at from known_pages {where}""",
        params * 3,
    ).fetchall()
    settled_at = settled_before(db, source_id) if source_id else None
    fetched: dict[str, str | None] = {}
    settled = set()
    for url, fetched_at, stored_at in rows:
        fetched[url] = max(filter(None, (fetched.get(url), fetched_at)), default=None)
        if settled_at and stored_at and stored_at <= settled_at:
            settled.add(url)
    return KnownPages(fetched, frozenset(settled))


class DiscoveryCachePolicy(RFC2616Policy):
    """Scrapy's RFC 2616 cache policy, for feed, sitemap and listing pages only (article
    pages are the archive's business), always revalidated with the site and never standing
    in for an error.

    RFC 2616's heuristic freshness (a tenth of a page's age since Last-Modified) would keep a
    listing "fresh" for days without asking; a conditional request costs the site a 304.
    A 5xx answered from the cache would hide an outage from crawl health. In replay there is
    nothing to cache: the archive answers.
    """

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.replay = bool(settings.getlist("YRD_REPLAY"))

    def should_cache_request(self, request: Request) -> bool:
        return (
            not self.replay
            and bool(request.meta.get(DISCOVERY))
            and super().should_cache_request(request)
        )

    def is_cached_response_fresh(self, cachedresponse: Response, request: Request) -> bool:
        for validator, condition in (
            (b"ETag", b"If-None-Match"),
            (b"Last-Modified", b"If-Modified-Since"),
        ):
            if validator in cachedresponse.headers:
                request.headers[condition] = cachedresponse.headers[validator]
        return False

    def is_cached_response_valid(
        self, cachedresponse: Response, response: Response, request: Request
    ) -> bool:
        return response.status == 304


class RunDupeFilter(RFPDupeFilter):
    """Scrapy's duplicate filter, within one process only.

    With a JOBDIR, Scrapy's filter keeps every request it ever scheduled, including those
    in flight when the process was killed; a resumed run would then skip them and lose
    their pages. Here a resumed run reads its discovery pages again instead, and the
    database's known URLs (above) keep it from fetching what was already stored.
    """

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(
            path=None,
            debug=crawler.settings.getbool("DUPEFILTER_DEBUG"),
            fingerprinter=crawler.request_fingerprinter,
        )


# Sent by spiders when the page object rejects an article page (with `url`, `source_id` and
# `reason`), so that the store remembers it in known_pages.
page_rejected = object()
# Drops that depend on the run's options rather than on the page: such a page is requested
# again by a run with other options.
OPTION_DROPS = frozenset({"before_since"})
