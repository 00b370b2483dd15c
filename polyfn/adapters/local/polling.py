"""The thread a local worker polls on: what an event source mapping's poller is on AWS.

A worker gives it ``poll``, one round of work that says whether there may be more right
away (a full batch, say); otherwise the thread waits the poll interval, or less when
``wake`` says work arrived in this process. An exception in a round is logged and the
thread goes on: one bad round must not stop a queue or a change feed for good.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

__all__ = ["POLL_INTERVAL_SECONDS", "PolledWorker", "PollingThread"]

# How often an idle worker looks for work written by another process (a write in this
# process wakes it at once).
POLL_INTERVAL_SECONDS = 0.25


class PollingThread:
    """Calls ``poll`` until stopped; ``poll`` returns True when more may be waiting."""

    def __init__(self, name: str, poll: Callable[[], bool], log: logging.Logger) -> None:
        self._poll = poll
        self._log = log
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        """Work arrived in this process: look now rather than at the next poll."""
        self._wake.set()

    def stop(self) -> None:
        """Finish the round in hand, then stop."""
        self._stop.set()
        self._wake.set()

    def join(self, timeout: float) -> None:
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                more = self._poll()
            except Exception:
                self._log.exception("the %s worker failed a round", self._thread.name)
                more = False
            if more:
                continue
            self._wake.wait(POLL_INTERVAL_SECONDS)
            self._wake.clear()


class PolledWorker:
    """A worker run by a ``PollingThread``: ``start``, ``wake``, ``stop`` and ``join`` are
    its thread's; the worker makes ``_poller`` with its own round of work."""

    _poller: PollingThread

    def start(self) -> None:
        self._poller.start()

    def wake(self) -> None:
        """Work arrived in this process: look now rather than at the next poll."""
        self._poller.wake()

    def stop(self) -> None:
        """Finish the round in hand, then stop."""
        self._poller.stop()

    def join(self, timeout: float) -> None:
        self._poller.join(timeout)
