"""Running a crawl: `run_crawl(...)` runs the spiders of one invocation in one Scrapy process
and returns the run's record; `RunRecorder` is the Scrapy extension by which every crawler
reports to its run (crawler/runs.py keeps the record itself).

One crawl at a time writes a database (crawler/lock.py). Each run has a Scrapy job directory
(JOBDIR, one per spider) and a log file under the data directory; a run that was interrupted
is continued by `run_crawl(resume=True)` with its own options and job directory. Spiders are
found by name through Scrapy's spider loader (SPIDER_MODULES), so this module does not
import them.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import signal
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Self

from scrapy import Spider, signals
from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings

from crawler import crawllog, runs
from crawler import db as database
from crawler.archive import open_replay, warc_files
from crawler.lock import DatabaseLock
from crawler.sources import load_sources
from crawler.stopping import GracefulStop

logger = logging.getLogger(__name__)

URLS_SPIDER = "urls"
# A job directory whose spider closed cleanly has this file; Scrapy writes its request queue
# only then, so without it the queue is left over from a killed process and is dropped.
CLEAN_STOP = "closed-cleanly"


class CrawlError(ValueError):
    """Options that cannot make a crawl (unknown or disabled source, a bad date, ...); one line."""


def project_settings() -> Settings:
    """The project's Scrapy settings (crawler/settings.py), as `scrapy` itself loads them."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    from scrapy.utils.project import get_project_settings

    return get_project_settings()


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_DAYS_AGO = re.compile(r"(\d{1,5})d")


def parse_since(value: str, today: date | None = None) -> date:
    """`--since`: a date written YYYY-MM-DD, or a number of days before today (`7d`, for cron)."""
    text = value.strip()
    if _ISO_DAY.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise CrawlError(f"--since: {value!r} is not a date in the calendar") from None
    if days := _DAYS_AGO.fullmatch(text):
        return (today or date.today()) - timedelta(days=int(days.group(1)))
    raise CrawlError(
        f"--since: {value!r} is not a date: give YYYY-MM-DD, or Nd for N days ago (7d)"
    )


def _spider_names(sources: Sequence[str], with_urls: bool) -> list[str]:
    """The registry spiders to run: those asked for (checked), else every enabled one."""
    registry = load_sources()
    known = {source.id for source in registry}
    enabled = [source.id for source in registry if source.enabled]
    unknown = [s for s in sources if s not in known]
    if unknown:
        raise CrawlError(f"unknown source {', '.join(unknown)}; `yrdnews sources` lists them")
    disabled = [s for s in sources if s not in enabled]
    if disabled:
        raise CrawlError(
            f"source {', '.join(disabled)} is disabled in the registry (see its verified note)"
        )
    return list(sources) or ([] if with_urls else enabled)


# The archive was collected politely; replaying it touches no site, and caches nothing.
REPLAY_SETTINGS = {
    "ROBOTSTXT_OBEY": False,
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
    "HTTPCACHE_ENABLED": False,
}


def plan_spiders(
    sources: Sequence[str], replay: Sequence[str], urls_file: str | None
) -> tuple[list[str], list[str]]:
    """The spiders to run (checked) and the replay archive's files; a bad archive or URL list
    fails here, in one line, not once per spider."""
    if urls_file and not Path(urls_file).is_file():
        raise CrawlError(f"--urls: no such file: {urls_file}")
    names = _spider_names(sources, with_urls=urls_file is not None)
    replay_files = [str(path) for path in warc_files(replay)] if replay else []
    if replay_files:
        open_replay(tuple(replay_files))
    return names + ([URLS_SPIDER] if urls_file else []), replay_files


def crawl_settings(
    overrides: Mapping[str, Any] | None, ours: Mapping[str, Any], replay_files: Sequence[str]
) -> Settings:
    """The project's settings with the user's `-s` overrides, then the invocation's own
    values (None: left as they are) and, when replaying, the replay's."""
    settings = project_settings()
    for name, value in (overrides or {}).items():
        settings.set(name, value, priority="cmdline")
    if replay_files:
        ours = {**ours, "YRD_REPLAY": list(replay_files), **REPLAY_SETTINGS}
    for name, value in ours.items():
        if value is not None:
            settings.set(name, value, priority="cmdline")
    return settings


def add_crawlers(
    process: CrawlerProcess, spiders: Sequence[str], urls_file: str | None, job_dir: Path | None
) -> list[Crawler]:
    """One crawler per spider (the URL-list spider reads `urls_file`), each with its own
    JOBDIR under `job_dir` when given."""
    crawlers = []
    for n, name in enumerate(spiders):
        settings = process.settings.copy()
        if job_dir is not None:
            settings.set("JOBDIR", str(job_dir / name), priority="cmdline")
            _prepare_job_dir(job_dir / name)
        crawler = Crawler(process.spider_loader.load(name), settings, init_reactor=n == 0)
        process.crawl(crawler, **({"urls_file": urls_file} if name == URLS_SPIDER else {}))
        crawlers.append(crawler)
    return crawlers


def run_spiders(settings: Settings, spiders: Sequence[str], urls_file: str | None) -> str:
    """Run the spiders in one Scrapy process until all close (no run record: a distributed
    worker); returns the status their finish reasons give."""
    process = CrawlerProcess(settings)
    crawlers = add_crawlers(process, spiders, urls_file, None)
    process.start()
    return runs.status_of_finish_reasons(c.stats.get_value("finish_reason") for c in crawlers)


@dataclass
class CrawlOptions:
    """What a crawl does, as given on the command line and kept in its run for `--resume`."""

    sources: list[str] = field(default_factory=list)
    replay: list[str] = field(default_factory=list)
    urls_file: str | None = None
    since: date | None = None
    max_pages: int | None = None
    refresh: bool = False
    overrides: dict[str, Any] = field(default_factory=dict)  # Scrapy settings (-s)

    def check(self) -> tuple[list[str], list[str]]:
        """The spiders to run and the archive's files (see plan_spiders)."""
        if self.max_pages is not None and self.max_pages < 1:
            raise CrawlError(f"--max-pages must be a positive number, not {self.max_pages}")
        return plan_spiders(self.sources, self.replay, self.urls_file)

    def to_record(self) -> dict[str, Any]:
        """The options a run keeps besides its sources, archive and since."""
        return {k: v for k, v in asdict(self).items() if k not in ("sources", "replay", "since")}

    @classmethod
    def of_run(cls, run: runs.CrawlRun) -> Self:
        """The options of an earlier run, to resume it."""
        return cls(
            sources=[name for name in run.sources if name != URLS_SPIDER],
            replay=list(run.replay or []),
            since=date.fromisoformat(run.since) if run.since else None,
            **(run.options or {}),
        )


def _prepare_job_dir(path: Path) -> None:
    """Keep Scrapy's request queue only if its spider closed cleanly (see CLEAN_STOP)."""
    marker = path / CLEAN_STOP
    if path.is_dir() and not marker.exists():
        shutil.rmtree(path / "requests.queue", ignore_errors=True)
    marker.unlink(missing_ok=True)


def run_crawl(
    options: CrawlOptions,
    *,
    db_path: str = "data/yrdnews.db",
    data_dir: str = "data",
    resume: bool = False,
    verbose: bool = False,
    progress: Callable[[int, runs.RunCounts], None] | None = None,
    progress_interval: float = 1.0,
) -> runs.CrawlRun:
    """Crawl what `options` say (all enabled sources when none are given and no URL list)
    into the database, every spider reporting to one run; returns the finished run.

    With `resume`, the latest interrupted run is continued instead, with its own options,
    when there is one. `options.replay` (WARC files or folders) answers every request from
    the archive instead of the network. Raises crawler.lock.DatabaseLocked at once when
    another crawl holds the database. Runs one Scrapy process, so call it once per Python
    process (Twisted's reactor cannot be restarted).
    """
    spiders, replay_files = options.check()
    lock = DatabaseLock(db_path)
    dead_holder = lock.acquire()
    db = None
    try:
        db = database.open_db(db_path)
        if dead_holder and dead_holder.run_id is not None:
            runs.mark_interrupted(db, dead_holder.run_id)
        resumed = runs.resumable_run(db) if resume else None
        if resumed:
            options = CrawlOptions.of_run(resumed)
            spiders, replay_files = options.check()
        started_at = database.utc_now()
        run_id = runs.start_run(
            db,
            started_at=started_at,
            sources=spiders,
            replay=replay_files,
            since=options.since.isoformat() if options.since else None,
            options=options.to_record(),
            resumed_from=resumed.id if resumed else None,
        )
        lock.set_run(run_id, started_at)
        job_dir = (
            Path(resumed.job_dir)
            if resumed and resumed.job_dir
            else Path(data_dir) / "jobs" / f"run-{run_id}"
        )
        log_path = crawllog.log_file(data_dir, run_id)
        log_path.parent.mkdir(parents=True, exist_ok=True)
        runs.set_run_files(db, run_id, job_dir=str(job_dir), log_file=str(log_path))

        ours = {
            "YRD_DB_PATH": db_path,
            "YRD_DATA_DIR": data_dir,
            "YRD_CRAWL_RUN_ID": run_id,
            "YRD_SINCE": options.since.isoformat() if options.since else None,
            "YRD_MAX_PAGES": options.max_pages,
            "YRD_REFRESH": options.refresh,
            "LOG_FILE": str(log_path),
            "HTTPCACHE_DIR": str(Path(data_dir, "httpcache").resolve()),
        }
        settings = crawl_settings(options.overrides, ours, replay_files)
        crawl = _Crawl(settings, db_path, run_id)
        crawl.run(spiders, options.urls_file, job_dir, verbose, progress, progress_interval)
        status = runs.finish_run(db, run_id, interrupted=crawl.stopper.received is not None)
        if status != runs.INTERRUPTED:
            shutil.rmtree(job_dir, ignore_errors=True)  # nothing left to resume
        return runs.get_run(db, run_id)
    finally:
        if db is not None:
            db.close()
        lock.release()


class _Crawl:
    """The Scrapy process of one run: its crawlers, progress and signals."""

    def __init__(self, settings: Settings, db_path: str, run_id: int) -> None:
        self.settings = settings
        self.db_path = db_path
        self.run_id = run_id
        self.crawlers: list[Crawler] = []
        self.process: CrawlerProcess | None = None
        self.stopper = GracefulStop(
            timeout=settings.getfloat("YRD_STOP_TIMEOUT"), stop=self._stop, force=self._force
        )

    def run(
        self,
        spiders: list[str],
        urls_file: str | None,
        job_dir: Path,
        verbose: bool,
        progress: Callable[[int, runs.RunCounts], None] | None,
        progress_interval: float,
    ) -> None:
        self.stopper.install()
        try:
            self.process = process = CrawlerProcess(self.settings)
            if verbose:
                crawllog.echo_log(self.settings)
            self.crawlers = add_crawlers(process, spiders, urls_file, job_dir)
            if progress:
                from twisted.internet import reactor, task  # installed by the first crawler

                loop = task.LoopingCall(lambda: progress(self.run_id, self.counts()))
                reactor.callWhenRunning(loop.start, progress_interval, now=False)
            process.start(install_signal_handlers=False)
        finally:
            self.stopper.uninstall()

    def counts(self) -> runs.RunCounts:
        """The run's counts so far, from its crawlers' live stats."""
        total = runs.RunCounts()
        for crawler in self.crawlers:
            if crawler._stats is not None:  # set when its crawl starts (Scrapy's documented way)
                total.add(runs.RunCounts.from_stats(dict(crawler._stats.get_stats())))
        return total

    def _stop(self, signum: int) -> None:
        """First signal (watcher thread): stop gracefully, in the reactor."""
        from twisted.internet import reactor

        print(
            f"yrdnews: {_signal_name(signum)} received, stopping run {self.run_id} "
            "(send it again to stop at once)",
            file=sys.stderr,
            flush=True,
        )
        reactor.callFromThread(logger.info, "%s received: stopping", _signal_name(signum))
        reactor.callFromThread(self.process.stop)

    def _force(self, signum: int) -> None:
        """Second signal, or the graceful stop took too long (watcher thread): write the
        counters the crawlers have, mark the run interrupted, and end the process now."""
        print(f"yrdnews: stopping run {self.run_id} at once", file=sys.stderr, flush=True)
        try:
            db = database.open_db(self.db_path)
            for crawler in self.crawlers:
                stats = dict(crawler._stats.get_stats()) if crawler._stats is not None else {}
                if stats and "finish_reason" not in stats:  # a spider that closed wrote its own
                    runs.record_source(db, self.run_id, crawler.spidercls.name, stats, "shutdown")
            runs.finish_run(db, self.run_id, interrupted=True)
            db.close()
        finally:
            for handler in logging.getLogger().handlers:
                handler.flush()
            os._exit(runs.EXIT_CODES[runs.INTERRUPTED])


def _signal_name(signum: int) -> str:
    return signal.Signals(signum).name


class RunRecorder:
    """Scrapy extension: the run a crawler reports to.

    Under `run_crawl` the run exists already (YRD_CRAWL_RUN_ID) and is shared by every
    spider of the invocation; a plain `scrapy crawl` takes the database's lock and starts a
    run of its own when the spider opens, and finishes it when it closes. Either way the
    spider's source row is written when it opens, every YRD_CHECKPOINT_INTERVAL seconds
    (so a killed run keeps its counts up to the last one) and when it closes.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.db_path = crawler.settings.get("YRD_DB_PATH")
        self.run_id: int | None = crawler.settings.getint("YRD_CRAWL_RUN_ID") or None
        self.owns_run = self.run_id is None
        self.lock = DatabaseLock(self.db_path) if self.owns_run else None
        self.db = None
        from twisted.internet import task  # the reactor is installed by now

        self.checkpoints = task.LoopingCall(self.checkpoint)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        recorder = cls(crawler)
        if recorder.lock is not None:
            recorder.lock.acquire()  # DatabaseLocked stops a plain `scrapy crawl` here
        crawler.signals.connect(recorder.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(recorder.spider_closed, signal=signals.spider_closed)
        return recorder

    def spider_opened(self, spider: Spider) -> None:
        self.db = database.open_db(self.db_path)
        if self.owns_run:
            since = getattr(spider, "since", None)
            started_at = database.utc_now()
            self.run_id = runs.start_run(
                self.db,
                started_at=started_at,
                sources=[spider.name],
                replay=self.crawler.settings.getlist("YRD_REPLAY"),
                since=since.isoformat() if since else None,
            )
            self.lock.set_run(self.run_id, started_at)
        self.checkpoint()
        self.checkpoints.start(self.crawler.settings.getfloat("YRD_CHECKPOINT_INTERVAL"), now=False)

    def checkpoint(self) -> None:
        runs.record_source(
            self.db, self.run_id, self.crawler.spider.name, self.crawler.stats.get_stats()
        )

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.checkpoints.running:
            self.checkpoints.stop()
        if self.db is None:
            return
        try:
            runs.record_source(
                self.db, self.run_id, spider.name, self.crawler.stats.get_stats(), reason
            )
            if self.owns_run:
                runs.finish_run(self.db, self.run_id)
            job = self.crawler.settings.get("JOBDIR")
            if job and Path(job).is_dir():
                (Path(job) / CLEAN_STOP).touch()
        finally:
            self.db.close()
            self.db = None
            if self.lock is not None:
                self.lock.release()
