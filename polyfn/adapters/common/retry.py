"""Bounded retries with exponential backoff and full jitter, shared by every cloud backend.

The cloud SDKs each retry in their own way; polyfn's backends turn those off (or down)
and retry here instead, so "how often and how long" is one policy on every cloud and a
throttled call ends as ``Throttled`` after a known, small amount of time.

Full jitter (a random wait between 0 and the exponential cap) spreads the retries of
many concurrent functions apart, which is what keeps a throttled service from being hit
by every caller again at the same instant.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

__all__ = ["DEFAULT_POLICY", "RetryPolicy", "call_with_retry"]

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How many attempts in all, and the backoff between them (seconds)."""

    attempts: int = 4
    base_delay: float = 0.05
    max_delay: float = 2.0

    def delay(self, retry_number: int, rng: Callable[[], float] = random.random) -> float:
        """The wait before retry ``retry_number`` (1 for the first retry): full jitter."""
        cap = min(self.max_delay, self.base_delay * (2 ** (retry_number - 1)))
        return cap * rng()


DEFAULT_POLICY = RetryPolicy()


def call_with_retry(
    operation: Callable[[], T],
    *,
    is_transient: Callable[[BaseException], bool],
    policy: RetryPolicy = DEFAULT_POLICY,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run ``operation``; retry it while it raises a transient error, at most
    ``policy.attempts`` times in all, then let the last error propagate."""
    attempt = 1
    while True:
        try:
            return operation()
        except Exception as exc:
            if attempt >= policy.attempts or not is_transient(exc):
                raise
            sleep(policy.delay(attempt))
            attempt += 1
