"""SIGTERM and SIGINT stop a crawl gracefully within seconds; a second one stops it at once.

Scrapy's own handlers run in the main thread, which is also the reactor's: while that thread
is busy (a slow page in the page object, downloads that take their time to finish) a stop
waits for it, and a crawl killed by systemd or by a second Ctrl-C leaves its run "running"
with no counters. Here Python's signal machinery only writes the signal's number to a pipe
(`signal.set_wakeup_fd`, done by the C-level handler the moment the signal arrives, in
whichever thread the kernel picks), and a watcher thread reading that pipe acts on it however
busy the main thread is. On the first signal it asks the reactor to stop the crawl gracefully
(in-flight requests finish, the spiders close and write their counters) and gives it
`timeout` seconds; on a second signal, or when the time is up, it calls `force`, which writes
what it can and ends the process.
"""

from __future__ import annotations

import os
import select
import signal
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

SIGNALS = (signal.SIGINT, signal.SIGTERM)
_WAKE = b"\0"  # written by uninstall() to end the watcher; no signal is numbered 0


class GracefulStop:
    """`install()` and `uninstall()` in the main thread, around the crawl."""

    def __init__(
        self,
        *,
        timeout: float,
        stop: Callable[[int], None],
        force: Callable[[int], None],
    ) -> None:
        self.timeout = timeout
        self.stop = stop  # called from the watcher with the signal: must hand over to the reactor
        self.force = force  # called from the watcher: writes the run's record and exits
        self.received: int | None = None  # the first signal
        self._over = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="yrd-signals", daemon=True)
        self._previous: dict[int, Any] = {}
        self._previous_fd: int | None = None
        self._read, self._write = os.pipe()

    def install(self) -> None:
        os.set_blocking(self._write, False)
        for signum in SIGNALS:
            # A Python handler must be set for the C-level one, which writes to the pipe.
            self._previous[signum] = signal.signal(signum, self._in_main_thread)
        self._previous_fd = signal.set_wakeup_fd(self._write, warn_on_full_buffer=False)
        self._thread.start()

    def uninstall(self) -> None:
        self._over.set()
        os.write(self._write, _WAKE)
        if self._thread.is_alive():
            self._thread.join()
        signal.set_wakeup_fd(self._previous_fd if self._previous_fd is not None else -1)
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        os.close(self._read)
        os.close(self._write)

    @staticmethod
    def _in_main_thread(signum: int, frame: FrameType | None) -> None:
        """Runs in the main thread once it gets to it: the watcher has acted already."""

    def _watch(self) -> None:
        deadline: float | None = None
        while True:
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select([self._read], [], [], wait)
            if self._over.is_set():
                return
            if not ready:  # the graceful stop took too long
                self.force(self.received)
                return
            for signum in os.read(self._read, 64):
                if signum not in SIGNALS:
                    continue
                if self.received is None:
                    self.received = signum
                    deadline = time.monotonic() + self.timeout
                    self.stop(signum)
                else:
                    self.force(signum)
                    return
