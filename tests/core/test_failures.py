"""Failure logs: the whole traceback once per distinct stack, one line for repeats."""

from __future__ import annotations

import logging

import pytest

from polyfn.core import failures
from polyfn.core.failures import log_failure

LOGGER = logging.getLogger("polyfn.test.failures")


@pytest.fixture(autouse=True)
def fresh_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(failures, "_first_seen", {})
    monkeypatch.delenv("POLYFN_FULL_TRACEBACKS", raising=False)


def fail(message: str) -> None:
    raise ValueError(message)


def fail_elsewhere(message: str) -> None:
    raise ValueError(message)


def log(caplog: pytest.LogCaptureFixture, raiser: object, message: str, request: str) -> str:
    caplog.clear()
    try:
        raiser(message)  # type: ignore[operator]
    except ValueError as exc:
        log_failure(LOGGER, "message m1 failed in work", request, exc)
    (record,) = caplog.records
    assert record.levelno == logging.ERROR
    return caplog.text


def test_first_failure_has_the_traceback_repeats_one_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR):
        first = log(caplog, fail, "bad order 1", "req-1")
        again = log(caplog, fail, "bad order 2", "req-2")
    assert "Traceback" in first and "bad order 1" in first and "req-1" in first
    assert "Traceback" not in again
    # The repeat still says what failed, with its own message, where, and where to look.
    assert "ValueError: bad order 2" in again and "req-2" in again
    assert "test_failures.py" in again and "in fail" in again
    assert "same traceback as logged for request req-1 (repeat 1)" in again


def test_another_stack_gets_its_own_traceback(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR):
        log(caplog, fail, "x", "req-1")
        other = log(caplog, fail_elsewhere, "x", "req-2")
    assert "Traceback" in other


def test_full_tracebacks_on_request(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POLYFN_FULL_TRACEBACKS", "1")
    with caplog.at_level(logging.ERROR):
        log(caplog, fail, "x", "req-1")
        again = log(caplog, fail, "x", "req-2")
    assert "Traceback" in again


def test_long_messages_are_cut_in_the_one_line_form(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR):
        log(caplog, fail, "x", "req-1")
        again = log(caplog, fail, "y" * 5000, "req-2")
    assert "y" * 500 + "..." in again and "y" * 501 not in again


def test_memory_is_bounded(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(failures, "_MAX_STACKS", 1)
    with caplog.at_level(logging.ERROR):
        log(caplog, fail, "x", "req-1")
        log(caplog, fail_elsewhere, "x", "req-2")  # evicts the first stack
        again = log(caplog, fail, "x", "req-3")
    assert "Traceback" in again and len(failures._first_seen) == 1
