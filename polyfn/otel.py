"""OpenTelemetry spans for polyfn apps: ``pip install polyfn[otel]``, then, where the app
is built::

    import polyfn.otel
    polyfn.otel.instrument()          # the global TracerProvider, as the user set it up

Each invocation becomes a span (SERVER for HTTP, CONSUMER for each message, else
INTERNAL) and each bucket, queue, table or event bus call a CLIENT (PRODUCER for sends
and publishes) span under it, with the semantic conventions' attributes for FaaS
(``faas.trigger``, ``faas.invocation_id``, ``faas.coldstart``, ``cloud.provider``), HTTP
(``http.request.method``, ``url.path``, ``http.response.status_code``) and messaging
(``messaging.system``, ``messaging.destination.name``, ``messaging.operation.type``,
``messaging.message.id``): https://opentelemetry.io/docs/specs/semconv/faas/ and
.../messaging/. The spans continue the trace polyfn read from the request or message
(W3C, X-Ray or Cloud Trace headers), and the invocation span is the parent polyfn names
in what it sends, so consumers' spans join the same trace. Exporting is the user's
OpenTelemetry configuration (OTLP, X-Ray through the ADOT collector, Azure Monitor,
Cloud Trace). Without this call, nothing of OpenTelemetry is imported.
"""

from __future__ import annotations

from typing import Any

from polyfn.core import spans
from polyfn.core.context import Context

__all__ = ["instrument", "uninstrument"]

_TRIGGERS = {
    "http": "http",
    "message": "pubsub",
    "object": "datasource",
    "change": "datasource",
    "schedule": "timer",
}
_PROVIDERS = {"aws": "aws", "azure": "azure", "gcp": "gcp"}
_MESSAGING = {"aws": "aws_sqs", "gcp": "gcp_pubsub", "azure": "azure_queue_storage"}


def instrument(tracer_provider: Any = None) -> None:
    """Open spans for every invocation and resource call from now on; ``tracer_provider``
    defaults to OpenTelemetry's global one."""
    from opentelemetry import trace

    tracer = trace.get_tracer("polyfn", tracer_provider=tracer_provider)
    spans.install(_OtelTracer(tracer))


def uninstrument() -> None:
    spans.uninstall()


class _Span:
    __slots__ = ("_span",)

    def __init__(self, span: Any) -> None:
        self._span = span

    def end(self, error: BaseException | None = None, status: int | None = None) -> None:
        from opentelemetry.trace import Status, StatusCode

        span = self._span
        if status is not None:
            span.set_attribute("http.response.status_code", status)
            if status >= 500:
                span.set_status(Status(StatusCode.ERROR))
        if error is not None:
            span.record_exception(error)
            span.set_status(Status(StatusCode.ERROR, f"{type(error).__name__}"))
        span.end()


class _OtelTracer:
    def __init__(self, tracer: Any) -> None:
        self._tracer = tracer

    def invocation(self, ctx: Context, trigger: str, subject: Any) -> _Span:
        from opentelemetry.trace import SpanKind

        trace = ctx.trace
        attributes: dict[str, Any] = {
            "faas.trigger": _TRIGGERS.get(trigger, "other"),
            "faas.invocation_id": ctx.request_id,
            "faas.coldstart": ctx.cold_start,
            "polyfn.correlation_id": trace.correlation_id,
            "polyfn.hops": trace.hops,
        }
        if ctx.function_name:
            attributes["faas.name"] = ctx.function_name
        if ctx.cloud in _PROVIDERS:
            attributes["cloud.provider"] = _PROVIDERS[ctx.cloud]
        kind = SpanKind.INTERNAL
        name = f"{trigger} {ctx.function_name}".strip()
        if trigger == "http":
            kind = SpanKind.SERVER
            attributes["http.request.method"] = subject.method
            attributes["url.path"] = subject.path
            name = subject.method
        elif trigger == "message":
            kind = SpanKind.CONSUMER
            attributes["messaging.operation.type"] = "process"
            attributes["messaging.message.id"] = subject.id
            if subject.queue:
                attributes["messaging.destination.name"] = subject.queue
                name = f"process {subject.queue}"
            if ctx.cloud in _MESSAGING:
                attributes["messaging.system"] = _MESSAGING[ctx.cloud]
        # The caller's span is the parent; a trace that starts here is OpenTelemetry's
        # root span, and its trace id becomes the one polyfn logs and sends.
        parent = (
            _parent(trace.trace_id, trace.parent_id, trace.sampled) if trace.parent_id else None
        )
        span = self._tracer.start_span(name, context=parent, kind=kind, attributes=attributes)
        started = span.get_span_context()
        if parent is None and started.trace_id:
            old = trace.trace_id
            trace.trace_id = format(started.trace_id, "032x")
            if trace.correlation_id == old:
                trace.correlation_id = trace.trace_id
        # What polyfn sends from here names this span as its parent.
        if started.span_id:
            trace.span_id = format(started.span_id, "016x")
        return _Span(span)

    def resource_call(
        self, ctx: Context | None, kind: str, name: str, physical: str, operation: str
    ) -> _Span:
        from opentelemetry.trace import SpanKind

        sending = operation in ("send", "send_batch", "publish")
        attributes: dict[str, Any] = {"polyfn.resource.kind": kind, "polyfn.resource.name": name}
        if kind in ("queue", "event_bus"):
            attributes["messaging.destination.name"] = physical
            attributes["messaging.operation.type"] = "send" if sending else operation
            if ctx is not None and kind == "queue" and ctx.cloud in _MESSAGING:
                attributes["messaging.system"] = _MESSAGING[ctx.cloud]
        else:
            attributes["db.operation.name" if kind == "table" else "polyfn.operation"] = operation
            attributes["db.collection.name" if kind == "table" else "polyfn.bucket"] = physical
        parent = None
        if ctx is not None:
            trace = ctx.trace
            parent = _parent(trace.trace_id, trace.span_id, trace.sampled)
        span = self._tracer.start_span(
            f"{operation} {name}",
            context=parent,
            kind=SpanKind.PRODUCER if sending else SpanKind.CLIENT,
            attributes=attributes,
        )
        return _Span(span)


def _parent(trace_id: str, span_id: str, sampled: bool) -> Any:
    """An OpenTelemetry context whose current span is ``span_id`` of ``trace_id``."""
    from opentelemetry.trace import (
        NonRecordingSpan,
        SpanContext,
        TraceFlags,
        set_span_in_context,
    )

    span_context = SpanContext(
        trace_id=int(trace_id, 16),
        span_id=int(span_id, 16),
        is_remote=True,
        trace_flags=TraceFlags(TraceFlags.SAMPLED if sampled else TraceFlags.DEFAULT),
    )
    return set_span_in_context(NonRecordingSpan(span_context))
