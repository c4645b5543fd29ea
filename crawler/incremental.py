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

from collections.abc import Callable, Iterable, Mapping
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
from crawler.items import article_id
from crawler.runs import settled_before
from crawler.urls import url_key

# request.meta key marking feed, sitemap and listing requests (the HTTP cache keeps only those).
DISCOVERY = "yrd_discovery"


class KnownPages:
    """What is known of one source's article URLs: when each was fetched, and which were
    settled (known since its last `ok` run). This one holds them in memory (a refreshing
    run knows none); `StoredPages` asks the database."""

    def __init__(
        self, fetched_at: Mapping[str, str | None] | None = None, settled: Iterable[str] = ()
    ) -> None:
        self.fetched_at = dict(fetched_at or {})
        self.settled = frozenset(settled)

    def known(self, url: str) -> tuple[str | None, bool] | None:
        """(when the page was fetched, whether it is settled), or None for an unknown URL."""
        if url not in self.fetched_at:
            return None
        return self.fetched_at[url], url in self.settled

    def __contains__(self, url: str) -> bool:
        return self.known(url) is not None

    def is_settled(self, url: str) -> bool:
        known = self.known(url)
        return known is not None and known[1]

    def changed_since_fetched(self, url: str, dated: str | None) -> bool:
        """Whether an entry's date (a feed's pubDate or updated, a sitemap's lastmod) is later
        than the stored fetch of its page: the page may have changed since."""
        known = self.known(url)
        fetched = known[0] if known else None
        when = parse_date(dated) if dated and fetched else None
        if not when:
            return False
        try:
            moment = datetime.fromisoformat(when if "T" in when else when + "T23:59:59+08:00")
            return moment > datetime.fromisoformat(fetched)
        except (ValueError, TypeError):
            return False

    def close(self) -> None:
        """Nothing to release here; `StoredPages` closes its database."""


class StoredPages(KnownPages):
    """The known article URLs of a source (of every source when None: a URL list), asked of
    the database URL by URL as links are found, by indexed lookups. Loading them all when the
    spider opened read every article row of the source: at a million articles, half a
    minute for a source of 67,000, and every row for a URL list.

    It leaves out what the crawl run it serves wrote itself (`this_run()`, asked at each
    lookup: a plain `scrapy crawl` starts its run when the spider opens), as a list loaded
    when the spider opened did, so what a run requests does not depend on when its writes
    were committed. Each URL is asked once."""

    def __init__(
        self, db: Database, source_id: str | None, this_run: Callable[[], int | None]
    ) -> None:
        super().__init__()
        self.db, self.source_id, self.this_run = db, source_id, this_run
        self.settled_at = settled_before(db, source_id) if source_id else None
        of_source = " and source_id = :source" if source_id else ""
        not_this_run = " and (:run is null or crawl_run_id is not :run)"
        self.sql = f"""
            select fetched_at, stored_at from articles
              where url = :url{of_source}{not_this_run}
            union all
            select fetched_at, stored_at from articles
              where id = :id and canonical_url = :url{of_source}{not_this_run}
            union all
            select seen_at, seen_at from known_pages where url = :url{of_source}{not_this_run}"""
        self.answers: dict[str, tuple[str | None, bool] | None] = {}

    def known(self, url: str) -> tuple[str | None, bool] | None:
        if url not in self.answers:
            self.answers[url] = self._ask(url)
        return self.answers[url]

    def _ask(self, url: str) -> tuple[str | None, bool] | None:
        page_id = article_id(url_key(url))  # what an article with this canonical URL has
        rows = self.db.execute(
            self.sql,
            {"url": url, "id": page_id, "source": self.source_id, "run": self.this_run()},
        ).fetchall()
        if not rows:
            return None
        fetched = max(filter(None, (fetched_at for fetched_at, _ in rows)), default=None)
        settled_at = self.settled_at
        settled = bool(settled_at) and any(stored and stored <= settled_at for _, stored in rows)
        return fetched, settled

    def close(self) -> None:
        self.db.close()


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
