"""Context: what a handler may want to know about the invocation it runs in.

A handler receives it as an optional second parameter (``def handler(req, ctx)``) or
reads it anywhere below with ``current_context()``.
"""

from __future__ import annotations

import time
from contextvars import ContextVar

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (cheap_typing.py)
if TYPE_CHECKING:
    import logging
    from collections.abc import Callable, Mapping
    from typing import Any

    from polyfn.core.http import Request
    from polyfn.core.metrics import Metrics
    from polyfn.core.trace_context import TraceContext

__all__ = ["Context", "current_context"]

_current: ContextVar[Context | None] = ContextVar("polyfn_context", default=None)


class Context:
    """The invocation: cloud, function, request id, deadline, cold start, logger.

    The deadline is either a wall-clock time (``deadline``, seconds since the epoch) or a
    callable the platform offers (Lambda's ``get_remaining_time_in_millis``).
    """

    __slots__ = (
        "_carrier",
        "_debug_sampled",
        "_logger",
        "_metrics",
        "_remaining",
        "_trace",
        "cloud",
        "cold_start",
        "deadline",
        "function_name",
        "raw",
        "request_id",
    )

    def __init__(
        self,
        cloud: str,
        function_name: str,
        request_id: str = "",
        *,
        deadline: float | None = None,
        remaining: Callable[[], int] | None = None,
        cold_start: bool = False,
        raw: Any = None,
    ) -> None:
        self.cloud = cloud
        self.function_name = function_name
        self.request_id = request_id
        self.deadline = deadline
        self._remaining = remaining
        self.cold_start = cold_start
        self.raw = raw
        self._logger: logging.Logger | None = None
        self._trace: TraceContext | None = None
        # What the trace is read from, when first asked for: the HTTP request (its
        # headers) or the message's attributes (dispatch sets it; reading it is left for
        # later, so an invocation nobody logs from or sends from never parses a header).
        self._carrier: Mapping[str, str] | Request | None = None
        self._metrics: Metrics | None = None
        # Whether this invocation's DEBUG lines are logged (core.log_sampling), decided
        # when it first logs at DEBUG.
        self._debug_sampled: bool | None = None

    @property
    def remaining_ms(self) -> int:
        """Milliseconds left before the platform stops this invocation (never negative)."""
        if self._remaining is not None:
            return max(0, int(self._remaining()))
        if self.deadline is None:
            # Every runtime sets one; a hand-made Context without one has all the time.
            return 2**31 - 1
        return max(0, int((self.deadline - time.time()) * 1000))

    @property
    def logger(self) -> logging.Logger:
        """A stdlib logger named ``polyfn.<function>``; imported on first use, not at start."""
        logger = self._logger
        if logger is None:
            import logging

            from polyfn.core.log_fields import install
            from polyfn.core.log_sampling import configure

            install(_current.get)
            logger = self._logger = logging.getLogger(f"polyfn.fn.{self.function_name}")
            configure(logger, _current.get)
        return logger

    @property
    def trace(self) -> TraceContext:
        """The trace this invocation continues (or starts), its correlation id and hops."""
        trace = self._trace
        if trace is None:
            from polyfn.core.trace_context import trace_from

            arrived = self._carrier
            carrier: Mapping[str, str] | None = None
            if arrived is not None and not hasattr(arrived, "get"):
                # A Request: its headers, read now. A malformed platform event whose
                # headers cannot be read starts a new trace rather than failing.
                try:
                    carrier = arrived.headers
                except Exception:
                    carrier = None
            else:
                carrier = arrived  # type: ignore[assignment]
            trace = self._trace = trace_from(carrier, self._platform_trace())
        return trace

    @property
    def correlation_id(self) -> str:
        """The id carried from the request or message that started this chain of work."""
        return self.trace.correlation_id

    @property
    def metrics(self) -> Metrics:
        """Counters, gauges and histograms for this invocation, flushed when it ends."""
        metrics = self._metrics
        if metrics is None:
            from polyfn.core.metrics import Metrics

            metrics = self._metrics = Metrics(self)
        return metrics

    def _platform_trace(self) -> Mapping[str, str] | None:
        """Trace headers the platform gives outside the event (Lambda's environment, the
        Azure host's trace context), by lowercase header name; a runtime's subclass says."""
        return None

    def __repr__(self) -> str:
        return f"<Context {self.cloud}:{self.function_name} {self.request_id}>"


def new_context(
    cloud: str,
    function_name: str,
    request_id: str,
    deadline: float | None,
    cold_start: bool,
    raw: Any,
    kind: type[Context] = Context,
) -> Context:
    """A Context from positional arguments, for runtimes: every invocation builds one, and
    ``__init__``'s keyword-only defaults cost a third more than setting the slots.
    ``kind`` is a subclass that finds the time left its own way (Lambda's asks the
    runtime's context object when read)."""
    ctx = _new(kind)
    ctx.cloud = cloud
    ctx.function_name = function_name
    ctx.request_id = request_id
    ctx.deadline = deadline
    ctx._remaining = None
    ctx.cold_start = cold_start
    ctx.raw = raw
    ctx._logger = None
    ctx._trace = None
    ctx._carrier = None
    ctx._metrics = None
    ctx._debug_sampled = None
    return ctx


_new = object.__new__


def install_log_fields() -> None:
    """Give every log record made during an invocation its fields (``core.log_fields``);
    for entry points, in a process that has imported ``logging`` already."""
    from polyfn.core.log_fields import install

    install(_current.get)


def current_context() -> Context:
    """The Context of the invocation running now; ``RuntimeError`` outside one."""
    ctx = _current.get()
    if ctx is None:
        raise RuntimeError("current_context() was called outside a polyfn invocation")
    return ctx


# The ContextVar's own methods, not wrappers: every invocation sets and resets it.
_set_current = _current.set
_reset_current = _current.reset
