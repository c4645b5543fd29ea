"""One crawl at a time per database: an exclusive lock on `<database>.lock`.

The lock is the operating system's (`flock`), so it goes away with its process however that
process ends, kill -9 included; the file itself only says who holds it (run id, pid, host,
start time), for the message a refused crawl prints and so that the next holder can mark the
run of a dead holder interrupted.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO

from crawler.db import utc_now


@dataclass(frozen=True)
class Holder:
    pid: int
    host: str
    started_at: str
    run_id: int | None = None

    def describe(self) -> str:
        run = f"run {self.run_id}" if self.run_id is not None else "a run that is starting"
        return f"{run}, pid {self.pid} on {self.host}, started {self.started_at}"


class DatabaseLocked(RuntimeError):
    """Another process holds the database's lock."""

    def __init__(self, db_path: str | os.PathLike[str], holder: Holder | None) -> None:
        self.holder = holder
        who = holder.describe() if holder else "a process that has not said which run"
        super().__init__(f"another crawl is writing {db_path}: {who}")


def lock_path(db_path: str | os.PathLike[str]) -> Path:
    return Path(f"{db_path}.lock")


def _read(handle: IO[str]) -> Holder | None:
    handle.seek(0)
    try:
        return Holder(**json.loads(handle.read()))
    except (ValueError, TypeError):
        return None  # empty (released), or written by nobody we know


class DatabaseLock:
    """`acquire()` takes the lock or raises DatabaseLocked at once (no waiting: a scheduled
    crawl that finds the previous one still running should say so and stop); it returns the
    holder a dead process left in the file, if any."""

    def __init__(self, db_path: str | os.PathLike[str]) -> None:
        self.db_path = db_path
        self.path = lock_path(db_path)
        self._handle: IO[str] | None = None
        self._holder: Holder | None = None

    def acquire(self) -> Holder | None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held until release
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read(handle)
            handle.close()
            raise DatabaseLocked(self.db_path, holder) from None
        left = _read(handle)
        self._handle = handle
        self._write(Holder(pid=os.getpid(), host=socket.gethostname(), started_at=utc_now()))
        return left

    def set_run(self, run_id: int, started_at: str) -> None:
        """Say which run holds the lock, and when that run started (as crawl_runs records it,
        so a refused crawl names the same time crawl health shows)."""
        if self._holder is not None:
            change = {"run_id": run_id, "started_at": started_at}
            self._write(Holder(**(asdict(self._holder) | change)))

    def _write(self, holder: Holder) -> None:
        assert self._handle is not None
        self._holder = holder
        self._handle.seek(0)
        self._handle.truncate()
        self._handle.write(json.dumps(asdict(holder)))
        self._handle.flush()

    def release(self) -> None:
        if self._handle is None:
            return
        self._handle.truncate(0)
        self._handle.close()  # closing the file releases the lock
        self._handle = None
        self._holder = None
