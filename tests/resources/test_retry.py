"""The shared retry policy and the error guard every cloud backend runs its calls in."""

from __future__ import annotations

import random

import pytest

from polyfn.adapters.common.errors import ResourceRef, TooLarge, Unstorable, guarded
from polyfn.adapters.common.retry import RetryPolicy, call_with_retry
from polyfn.core.errors import (
    PayloadTooLarge,
    ResourceNotFound,
    Throttled,
    UnsupportedValue,
)


class Busy(Exception):
    pass


def test_transient_failures_are_retried_until_success() -> None:
    calls: list[int] = []
    waits: list[float] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise Busy
        return "done"

    result = call_with_retry(flaky, is_transient=lambda e: isinstance(e, Busy), sleep=waits.append)

    assert result == "done"
    assert len(calls) == 3 and len(waits) == 2


def test_retries_are_bounded_and_the_last_error_propagates() -> None:
    policy = RetryPolicy(attempts=5, base_delay=0.1, max_delay=0.3)
    waits: list[float] = []
    calls: list[int] = []

    def always_busy() -> None:
        calls.append(1)
        raise Busy(len(calls))

    with pytest.raises(Busy) as caught:
        call_with_retry(always_busy, is_transient=lambda e: True, policy=policy, sleep=waits.append)

    assert caught.value.args == (5,)
    assert len(waits) == 4
    caps = [0.1, 0.2, 0.3, 0.3]  # exponential, then capped
    assert all(0 <= wait <= cap for wait, cap in zip(waits, caps, strict=True))


def test_other_errors_are_not_retried() -> None:
    calls: list[int] = []

    def broken() -> None:
        calls.append(1)
        raise ValueError("bug")

    with pytest.raises(ValueError):
        call_with_retry(broken, is_transient=lambda e: isinstance(e, Busy), sleep=lambda _: None)
    assert len(calls) == 1


def test_backoff_is_full_jitter_under_an_exponential_cap() -> None:
    policy = RetryPolicy(attempts=10, base_delay=0.05, max_delay=2.0)
    rng = random.Random(7)

    waits = [[policy.delay(n, rng.random) for _ in range(200)] for n in range(1, 8)]

    for n, samples in enumerate(waits, start=1):
        cap = min(2.0, 0.05 * 2 ** (n - 1))
        assert all(0 <= w <= cap for w in samples)
        assert max(samples) > cap * 0.9 and min(samples) < cap * 0.1  # spread, not fixed


REF = ResourceRef("aws", "table", "users", "prod-users")


def _guard(operation, is_transient=lambda e: False):  # type: ignore[no-untyped-def]
    def classify(exc: BaseException):  # type: ignore[no-untyped-def]
        if isinstance(exc, LookupError):
            return ResourceNotFound, "does not exist"
        if isinstance(exc, Busy):
            return Throttled, "throttled"
        return None

    return guarded(REF, operation, is_transient=is_transient, classify=classify)


def test_guard_names_the_resource_physical_name_and_cloud_and_chains_the_cause() -> None:
    cause = LookupError("no table")

    def missing() -> None:
        raise cause

    with pytest.raises(ResourceNotFound) as caught:
        _guard(missing)

    error = caught.value
    assert (error.resource, error.cloud, error.kind) == ("users", "aws", "table")
    assert str(error) == "table 'users' on aws: does not exist [table 'prod-users' on aws]"
    assert error.__cause__ is cause


def test_guard_says_when_retries_ran_out() -> None:
    def busy() -> None:
        raise Busy

    with pytest.raises(Throttled, match="still failing after 4 attempts"):
        _guard(busy, is_transient=lambda e: isinstance(e, Busy))


def test_guard_turns_backend_signals_into_typed_errors_and_lets_bugs_through() -> None:
    def unstorable() -> None:
        raise Unstorable("cannot hold a set", "tags")

    def too_large() -> None:
        raise TooLarge("item 'u1'", 500_000, 409_600, "DynamoDB item size quota")

    def bug() -> None:
        raise ZeroDivisionError

    with pytest.raises(UnsupportedValue, match="tags: cannot hold a set"):
        _guard(unstorable)
    with pytest.raises(PayloadTooLarge, match="500000 bytes, over the 409600-byte limit"):
        _guard(too_large)
    with pytest.raises(ZeroDivisionError):
        _guard(bug)
