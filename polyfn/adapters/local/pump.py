"""A thread that delivers asynchronous events to their subscribers, in order, with retries.

Object events and bus events are delivered the way the clouds deliver asynchronous
invocations: each subscriber is its own subscription (called on its own, logged on its
own line, retried on its own), a publisher returns before any handler runs, and a failed
delivery is retried after each of ``retry_delays`` seconds (by default once after 1 s,
then after 2 s, as Lambda retries an asynchronous invocation twice), then logged and
dropped. The retry delays are read at each failure, so tests can shorten them.
"""

from __future__ import annotations

import heapq
import logging
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["RETRY_DELAYS_SECONDS", "DeliveryPump"]

RETRY_DELAYS_SECONDS = (1.0, 2.0)

T = TypeVar("T")


class DeliveryPump(Generic[T]):
    """Deliver ``(item, function name)`` pairs on one thread, retrying each failure."""

    def __init__(
        self,
        name: str,
        deliver: Callable[[T, str], None],
        describe: Callable[[T], str],
        retry_delays: Callable[[], tuple[float, ...]] = lambda: RETRY_DELAYS_SECONDS,
    ) -> None:
        self._deliver_one = deliver
        self._describe = describe
        self._retry_delays = retry_delays
        # (due time, sequence, attempt, item, function name): the sequence keeps order
        # among deliveries due at the same moment.
        self._pending: list[tuple[float, int, int, T, str]] = []
        self._sequence = 0
        self._busy = False
        self._condition = threading.Condition()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def submit(self, item: T, functions: list[str]) -> int:
        """Queue ``item`` for each function; returns how many will receive it."""
        with self._condition:
            for function in functions:
                self._push(time.monotonic(), 0, item, function)
            self._condition.notify()
        return len(functions)

    def idle(self) -> bool:
        """True when nothing is queued or running (retries waiting count as queued)."""
        with self._condition:
            return not self._pending and not self._busy

    def stop(self, timeout: float) -> None:
        """Deliver what is due, drop retries not yet due, and end the thread."""
        with self._condition:
            self._stopping = True
            self._condition.notify_all()
        if self._thread.is_alive():  # not when a failed start never reached the pump
            self._thread.join(timeout)

    def _push(self, due: float, attempt: int, item: T, function: str) -> None:
        self._sequence += 1
        heapq.heappush(self._pending, (due, self._sequence, attempt, item, function))

    def _due_now(self) -> bool:
        return bool(self._pending) and self._pending[0][0] <= time.monotonic()

    def _run(self) -> None:
        while True:
            with self._condition:
                while not self._due_now():
                    if self._stopping:
                        return
                    wait = self._pending[0][0] - time.monotonic() if self._pending else None
                    self._condition.wait(wait)
                _, _, attempt, item, function = heapq.heappop(self._pending)
                self._busy = True
            try:
                self._attempt(item, function, attempt)
            finally:
                with self._condition:
                    self._busy = False
                    self._condition.notify_all()

    def _attempt(self, item: T, function: str, attempt: int) -> None:
        try:
            self._deliver_one(item, function)
        except Exception:
            function_logger = logging.getLogger(f"polyfn.fn.{function}")
            delays = self._retry_delays()
            what = self._describe(item)
            if attempt < len(delays):
                function_logger.exception(
                    "%s failed in %s; retrying in %.0f s", what, function, delays[attempt]
                )
                with self._condition:
                    self._push(time.monotonic() + delays[attempt], attempt + 1, item, function)
            else:
                function_logger.exception(
                    "%s failed in %s %d times; dropping it", what, function, attempt + 1
                )
