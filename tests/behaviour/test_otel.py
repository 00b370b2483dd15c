"""OpenTelemetry spans, the same on every runtime (issue 17, item 2): with
``polyfn.otel.instrument()``, the request is a SERVER span continuing the caller's
``traceparent``, the send a PRODUCER span under it, and the consumer's message a
CONSUMER span whose parent is the request's span: one trace, with the FaaS and
messaging conventions' attributes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

import polyfn.otel
from polyfn.hosts import Host

from .test_observability import TRACE_ID, TRACEPARENT, _sent, build_observed

PARENT = TRACEPARENT.split("-")[2]


@pytest.fixture
def exported() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    polyfn.otel.instrument(provider)
    yield exporter
    polyfn.otel.uninstrument()


def _hex(number: int, digits: int) -> str:
    return format(number, f"0{digits}x")


def test_request_send_and_consumer_are_one_trace(
    driver: Host, exported: InMemorySpanExporter
) -> None:
    app = build_observed()
    answer = driver.http(app, "POST", "/orders", headers=[("traceparent", TRACEPARENT)], body=b"{}")
    assert answer.status == 202
    (sent,) = _sent(app, "jobs")
    assert driver.messages(app, "jobs", [sent.body], attributes=sent.attributes) == []
    spans: list[ReadableSpan] = list(exported.get_finished_spans())
    by_kind = {span.kind: span for span in spans if span.kind != SpanKind.CLIENT}
    server, producer, consumer = (
        by_kind[SpanKind.SERVER],
        by_kind[SpanKind.PRODUCER],
        by_kind[SpanKind.CONSUMER],
    )
    for span in (server, producer, consumer):
        assert _hex(span.context.trace_id, 32) == TRACE_ID
    assert server.parent is not None and _hex(server.parent.span_id, 16) == PARENT
    assert producer.parent is not None and producer.parent.span_id == server.context.span_id
    assert consumer.parent is not None and consumer.parent.span_id == server.context.span_id
    assert server.attributes is not None and consumer.attributes is not None
    assert server.attributes["faas.trigger"] == "http"
    assert server.attributes["http.request.method"] == "POST"
    assert server.attributes["http.response.status_code"] == 202
    assert consumer.attributes["faas.trigger"] == "pubsub"
    assert consumer.attributes["messaging.destination.name"] == "jobs"
    assert producer.attributes is not None
    assert producer.attributes["messaging.operation.type"] == "send"
    if driver.cloud in ("aws", "azure", "gcp"):
        assert server.attributes["cloud.provider"] == driver.cloud


def test_a_failing_message_is_an_error_span(driver: Host, exported: InMemorySpanExporter) -> None:
    from .behaviour_app import build

    app, _ = build()
    assert driver.messages(app, "jobs", [b'{"n": 1, "fail": true}']) == [0]
    (consumer,) = [s for s in exported.get_finished_spans() if s.kind == SpanKind.CONSUMER]
    assert consumer.status.status_code == StatusCode.ERROR
    assert any(event.name == "exception" for event in consumer.events)


def test_a_trace_started_here_is_the_one_logged(
    driver: Host, exported: InMemorySpanExporter, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    app = build_observed()
    caplog.set_level(logging.INFO)
    assert driver.http(app, "POST", "/orders", body=b"{}").status == 202
    (server,) = [s for s in exported.get_finished_spans() if s.kind == SpanKind.SERVER]
    (placed,) = [r for r in caplog.records if r.getMessage() == "order placed"]
    assert placed.__dict__["traceId"] == _hex(server.context.trace_id, 32)
    assert placed.__dict__["spanId"] == _hex(server.context.span_id, 16)
    (sent,) = _sent(app, "jobs")
    assert sent.attributes["traceparent"].split("-")[1] == _hex(server.context.trace_id, 32)
