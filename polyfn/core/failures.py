"""Logging a handler's failure: the whole traceback once per distinct stack, then one line.

A poison message redelivered, or a bad deploy failing every request, raises the same
exception from the same lines over and over. Formatting that traceback costs about
250 µs each time (ten times a small handler) and buries everything else in the log. So a
process logs the whole traceback the first time it sees a failure with a given stack,
and after that one line: the exception and its message, where it was raised, and which
request's log entry has the traceback. On Lambda, Azure and Cloud Run one process writes
one log stream, so that entry is in the same stream, above.

``POLYFN_FULL_TRACEBACKS=1`` logs every traceback in full.
"""

from __future__ import annotations

from polyfn.core.settings import settings

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (cheap_typing.py)
if TYPE_CHECKING:
    import logging
    from types import CodeType, TracebackType

__all__ = ["log_failure"]

# Bounded so that a process that sees endless distinct failures does not grow without end;
# clearing only means some tracebacks are logged in full once more.
_MAX_STACKS = 256
_MESSAGE_LIMIT = 500

# stack key -> [request id whose entry has the traceback, repeats since]
_first_seen: dict[tuple[object, ...], list[object]] = {}


def log_failure(logger: logging.Logger, what: str, request_id: str, exc: BaseException) -> None:
    """Log that ``what`` failed with ``exc`` in request ``request_id``."""
    key = _stack_key(exc)
    first = _first_seen.get(key)
    if first is None or settings().get("POLYFN_FULL_TRACEBACKS") == "1":
        if len(_first_seen) >= _MAX_STACKS:
            _first_seen.clear()
        _first_seen[key] = [request_id, 0]
        logger.error("%s (request %s)", what, request_id, exc_info=exc)
        return
    repeats = first[1] = int(first[1]) + 1  # type: ignore[call-overload]
    text = str(exc)
    if len(text) > _MESSAGE_LIMIT:
        text = text[:_MESSAGE_LIMIT] + "..."
    logger.error(
        "%s (request %s): %s: %s, raised at %s; same traceback as logged for request %s "
        "(repeat %d)",
        what,
        request_id,
        type(exc).__qualname__,
        text,
        _raised_at(exc.__traceback__),
        first[0],
        repeats,
    )


def _stack_key(exc: BaseException) -> tuple[object, ...]:
    # The exception types and every (code, line) of the traceback, down the chain of
    # causes: two failures with equal keys print the same traceback but for messages.
    key: list[object] = []
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 5:
        key.append(type(current))
        tb = current.__traceback__
        while tb is not None:
            key.append(tb.tb_frame.f_code)
            key.append(tb.tb_lineno)
            tb = tb.tb_next
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )
        seen += 1
    return tuple(key)


def _raised_at(tb: TracebackType | None) -> str:
    if tb is None:
        return "an unknown place"
    while tb.tb_next is not None:
        tb = tb.tb_next
    code: CodeType = tb.tb_frame.f_code
    return f"{code.co_filename}:{tb.tb_lineno} in {code.co_name}"
