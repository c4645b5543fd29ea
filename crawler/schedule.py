"""Scheduled crawls: the crontab line and the systemd service + timer pair that
`yrdnews schedule --print cron|systemd` prints, with this installation's paths filled in.

Both run `yrdnews crawl -q --resume`, which continues an interrupted run if there is one,
prints nothing when the run is ok and one summary line otherwise, and exits non-zero unless it
is ok (crawler/runs.py EXIT_CODES): cron mails what a job prints, systemd marks the service
failed (and runs its OnFailure= unit). Overlapping runs need no wrapper: a crawl refuses to
start while another holds the database's lock.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

from crawler.lock import lock_path
from crawler.runs import EXIT_CODES, EXIT_LOCKED

SERVICE = "yrdnews-crawl.service"
TIMER = "yrdnews-crawl.timer"


@dataclass(frozen=True)
class Job:
    """One scheduled crawl: where it runs and what it runs with (absolute paths)."""

    project_dir: Path
    yrdnews: Path  # the installed `yrdnews` command
    db_path: Path
    data_dir: Path
    since: str | None = "7d"
    hour: int = 6
    minute: int = 0
    user: str | None = None

    def command(self) -> str:
        # --resume: a run that a reboot or a stop cut short is continued by the next one.
        args = [str(self.yrdnews), "crawl", "-q", "--resume", "--db", str(self.db_path),
                "--data-dir", str(self.data_dir)]  # fmt: skip
        if self.since:
            args += ["--since", self.since]
        return shlex.join(args)

    def notes(self) -> list[str]:
        codes = ", ".join(f"{code} {status}" for status, code in EXIT_CODES.items())
        return [
            f"yrd-news crawl of {self.db_path}, daily at {self.hour:02d}:{self.minute:02d}.",
            f"Lock: {lock_path(self.db_path)} (an overlapping run exits {EXIT_LOCKED});"
            f" logs: {self.data_dir / 'logs'}/run-<id>.log.",
            f"Exit codes: {codes}.",
        ]


def cron_lines(job: Job) -> str:
    """A crontab entry: comments, then the line (cron's `%` is escaped)."""
    line = (
        f"{job.minute} {job.hour} * * * cd {shlex.quote(str(job.project_dir))} && {job.command()}"
    )
    return "".join(f"# {note}\n" for note in job.notes()) + line.replace("%", r"\%") + "\n"


def systemd_units(job: Job) -> dict[str, str]:
    """The service and its timer, by file name."""
    notes = "".join(f"# {note}\n" for note in job.notes())
    user = f"User={job.user}\n" if job.user else ""
    service = f"""{notes}[Unit]
Description=yrd-news crawl into {job.db_path}
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
{user}WorkingDirectory={job.project_dir}
ExecStart={job.command()}
# A stop is a SIGTERM: the crawl ends gracefully within YRD_STOP_TIMEOUT (10 s) and marks its
# run interrupted; resume it with `yrdnews crawl --resume`.
TimeoutStopSec=30
# Never let one crawl run into the next day's.
TimeoutStartSec=20h
Nice=10
"""
    timer = f"""[Unit]
Description=Daily yrd-news crawl ({SERVICE})

[Timer]
OnCalendar=*-*-* {job.hour:02d}:{job.minute:02d}:00
Persistent=true
RandomizedDelaySec=10min
Unit={SERVICE}

[Install]
WantedBy=timers.target
"""
    return {SERVICE: service, TIMER: timer}


def systemd_text(job: Job) -> str:
    """Both units, each under a `# --- <file name>` line."""
    return "".join(f"# --- {name}\n{text}" for name, text in systemd_units(job).items())
