"""The fields every log record of an invocation carries, on every cloud.

``install`` wraps the standard library's log record factory once per process, so any
record made while an invocation runs, from ``ctx.logger`` or from the user's own
``logging.getLogger(...)``, carries the invocation's function, cloud, request id,
correlation id, trace and span ids and cold-start flag as attributes. Each cloud's
formatter then writes them its own way: Lambda's runtime client writes a record's extra
attributes into its JSON log lines as they are (``AWS_LAMBDA_LOG_FORMAT=JSON``), polyfn's
JSON formatter writes them for Cloud Logging and the local runtime. A record made
outside an invocation is left as it was. Nothing is computed for a record that is never
made, so a handler that logs nothing pays nothing.

This module imports ``logging`` and is loaded only where logging is in use already
(``Context.logger``, an entry point in a process that has imported logging).
"""

from __future__ import annotations

import logging

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (cheap_typing.py)
if TYPE_CHECKING:
    from collections.abc import Callable

    from polyfn.core.context import Context

__all__ = ["FIELDS", "install"]

# The attribute names, as Lambda's JSON log format spells its own (camelCase).
FIELDS = ("function", "cloud", "requestId", "correlationId", "traceId", "spanId", "coldStart")

_installed: list[bool] = [False]


def install(current: Callable[[], Context | None]) -> None:
    """Make every record created during an invocation carry its fields (idempotent).

    ``current`` answers the invocation running now (the context variable's ``get``:
    passed in, so that this module and ``core.context`` do not import each other)."""
    if _installed[0]:
        return
    _installed[0] = True
    previous = logging.getLogRecordFactory()

    def record(*args: object, **kwargs: object) -> logging.LogRecord:
        made = previous(*args, **kwargs)
        ctx = current()
        if ctx is not None:
            trace = ctx.trace
            fields = made.__dict__
            fields["function"] = ctx.function_name
            fields["cloud"] = ctx.cloud
            fields["requestId"] = ctx.request_id
            fields["correlationId"] = trace.correlation_id
            fields["traceId"] = trace.trace_id
            fields["spanId"] = trace.span_id
            fields["coldStart"] = ctx.cold_start
        return made

    logging.setLogRecordFactory(record)
