"""Where spans are opened, when a tracer is installed: each invocation and each call to a
bucket, queue, table or event bus.

Core knows no tracing library. ``polyfn.otel.instrument()`` installs a ``Tracer`` (an
object with the two methods below) built on OpenTelemetry; without it, the hooks are one
list lookup each and nothing is imported. The spans continue the invocation's
``TraceContext`` (the trace id and parent an adapter read from what arrived), and the
invocation span's id becomes the parent id polyfn writes into what it sends, so an
exported trace and the trace ids in the logs are one and the same.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (cheap_typing.py)
if TYPE_CHECKING:
    from typing import Any, Protocol

    from polyfn.core.context import Context

    class Span(Protocol):
        def end(self, error: BaseException | None = None, status: int | None = None) -> None: ...

    class Tracer(Protocol):
        def invocation(self, ctx: Context, trigger: str, subject: Any) -> Span: ...

        def resource_call(
            self, ctx: Context | None, kind: str, name: str, physical: str, operation: str
        ) -> Span: ...


__all__ = ["TRACER", "install", "uninstall"]

# The installed tracer, or None: read on every invocation, so a list rather than a call.
TRACER: list[Tracer | None] = [None]


def install(tracer: Tracer) -> None:
    TRACER[0] = tracer


def uninstall() -> None:
    TRACER[0] = None
