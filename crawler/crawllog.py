"""What a crawl says while it runs and when it ends.

The console gets a short progress line and a one-line summary; Scrapy's full log (INFO and
above, by default) goes to a file per run, `<data dir>/logs/run-<id>.log`, and to the console
as well with `-v`. A cron job's mail is then the summary alone, or nothing at all with `-q`
unless the run was not ok.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path
from typing import TextIO

from scrapy.settings import BaseSettings

from crawler.runs import OK, CrawlRun, RunCounts, RunSource


def log_file(data_dir: str | Path, run_id: int) -> Path:
    return Path(data_dir) / "logs" / f"run-{run_id}.log"


def echo_log(settings: BaseSettings, stream: TextIO = sys.stderr) -> logging.Handler:
    """Print the crawl's log records on the console too (`-v`), as the log file has them."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        logging.Formatter(settings.get("LOG_FORMAT"), settings.get("LOG_DATEFORMAT"))
    )
    handler.setLevel(settings.get("LOG_LEVEL"))
    logging.getLogger().addHandler(handler)
    return handler


def progress_text(run_id: int, counts: RunCounts) -> str:
    return (
        f"run {run_id}: {counts.requests} requests, {counts.responses} responses, "
        f"{counts.articles} articles stored, {counts.errors} errors"
    )


class Progress:
    """The progress line: rewritten in place on a terminal, else printed every `plain_every`
    seconds (a cron job's mail should not be a wall of them)."""

    def __init__(self, stream: TextIO = sys.stderr, plain_every: float = 60) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.plain_every = plain_every
        self._last = time.monotonic()
        self._width = 0

    def update(self, run_id: int, counts: RunCounts) -> None:
        text = progress_text(run_id, counts)
        if self.tty:
            self.stream.write("\r" + text.ljust(self._width))
            self._width = len(text)
        elif time.monotonic() - self._last >= self.plain_every:
            self.stream.write(text + "\n")
            self._last = time.monotonic()
        self.stream.flush()

    def done(self) -> None:
        if self.tty and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()


def _counted(counts: dict[str, int]) -> str:
    return f" {json.dumps(counts, sort_keys=True)}" if counts else ""


def summary(run: CrawlRun, sources: list[RunSource], db_path: str | Path) -> str:
    """One line: the status, what was fetched and stored, what failed and where the log is."""
    parts = [
        f"{len(sources)} sources, {run.requests} requests, {run.responses} responses",
        f"articles: {run.articles_new} new, {run.articles_updated} updated, "
        f"{run.articles_unchanged} unchanged, {run.articles_known} known and not requested",
        f"{run.errors} errors{_counted(run.errors_by_kind)}",
    ]
    if run.replay:
        parts.append(f"{run.replay_misses} missing from the archive")
    if run.drops:
        parts.append(f"dropped{_counted(run.drops)}")
    not_ok = [f"{source.source_id} {source.status}" for source in sources if source.status != OK]
    if not_ok:
        parts.append("not ok: " + ", ".join(not_ok))
    resumed = f" (resumes run {run.resumed_from})" if run.resumed_from else ""
    log = f"; log {run.log_file}" if run.log_file else ""
    return f"crawl run {run.id}{resumed} {run.status}: {'; '.join(parts)} -> {db_path}{log}"
