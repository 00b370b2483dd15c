"""Observability, the same on every runtime (issue 17's "done when").

An HTTP request with a W3C ``traceparent`` and an ``x-correlation-id`` sends a message;
the consumer, run from that message as its cloud delivers it, logs with the same trace id
and correlation id, each log line read in its cloud's own format (Lambda's runtime client
JSON formatter, Cloud Logging's structured entry, the record the Azure worker forwards,
the local runtime's JSON line), and each function's metric comes out in its cloud's form
(an EMF line, a structured entry, a ``polyfn.metrics`` record). A function that sends
into its own queue is stopped by the loop guard at the limit.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from polyfn import App, Context, Event, Message, ObjectEvent, Request, Response
from polyfn.adapters.common.log_json import JsonLineFormatter
from polyfn.core.event_bus import OutgoingEvent
from polyfn.hosts import Host

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


def build_observed() -> App:
    app = App("observed")
    jobs = app.queue("jobs")
    echo = app.queue("echo")

    @app.post("/orders")
    def place_order(req: Request, ctx: Context) -> Response:
        ctx.metrics.count("OrdersPlaced", kind="web")
        jobs.send({"order": 7})
        ctx.logger.info("order placed")
        return Response.json({"queued": True}, 202)

    @app.on_message(jobs)
    def work(msg: Message, ctx: Context) -> None:
        ctx.logger.info("order worked", extra={"order": msg.json()["order"]})
        ctx.metrics.histogram("WorkMs", 12.5)

    @app.on_message(echo, max_hops=3)
    def bounce(msg: Message, ctx: Context) -> None:
        # Writes into the queue that triggers it: a loop.
        echo.send(msg.body)

    frames = app.bucket("frames")

    @app.on_object_created(frames, max_hops=3)
    def thumbnail(event: ObjectEvent, ctx: Context) -> None:
        # The thumbnail-into-uploads case: writes into the bucket that triggers it.
        frames.write(f"thumb-{event.key}", frames.read(event.key))

    ticks = app.event_bus("ticks")

    @app.on_event(bus=ticks, source="clock", type="Tick", max_hops=3)
    def tick(event: Event, ctx: Context) -> None:
        ctx.logger.info("ticked")
        # Publishes what it subscribes to: a loop through the event bus.
        ticks.publish(source="clock", type="Tick", data=event.data)

    return app


class _Published:
    """The events a handler published, taken from the local bus as the cloud's bus would
    take them (no runtime runs in these tests to deliver them)."""

    def __init__(self, app: App, bus: str) -> None:
        self.events: list[OutgoingEvent] = []
        app.backend_for(app.event_buses[bus])._observers.append(self)

    def event_published(self, bus: str, event: OutgoingEvent) -> None:
        self.events.append(event)

    def take(self) -> list[OutgoingEvent]:
        taken, self.events = self.events, []
        return taken


def _sent(app: App, queue: str) -> list[Any]:
    """The messages waiting in the (local) queue the handlers sent to."""
    backend = app.backend_for(app.queues[queue])
    deliveries = backend.receive(10)
    backend.ack(deliveries)
    return deliveries


def _log_line(driver: Host, record: logging.LogRecord) -> dict[str, Any]:
    """The record as its cloud writes it, read back."""
    if driver.cloud == "aws":
        from awslambdaric.lambda_runtime_log_utils import JsonFormatter

        return json.loads(JsonFormatter().format(record))  # type: ignore[no-any-return]
    if driver.cloud == "gcp":
        document = json.loads(JsonLineFormatter(cloud_logging=True).format(record))
        assert document["logging.googleapis.com/trace"] == document["traceId"]
        return document  # type: ignore[no-any-return]
    if driver.cloud == "azure":
        # The worker forwards the record itself, with the invocation id: its attributes.
        return dict(record.__dict__)
    return json.loads(JsonLineFormatter().format(record))  # type: ignore[no-any-return]


def _metrics(driver: Host, out: str, records: list[logging.LogRecord]) -> dict[str, Any]:
    """Metric name -> (value, the document it came in), in the cloud's own form; a
    counter written by several invocations (one per message on Azure and Google Cloud)
    is summed."""
    found = _Summed()
    if driver.cloud == "aws":
        for line in out.splitlines():
            document = json.loads(line)
            for directive in document["_aws"]["CloudWatchMetrics"]:
                for metric in directive["Metrics"]:
                    found[metric["Name"]] = (document[metric["Name"]], document)
    elif driver.cloud == "gcp":
        for line in out.splitlines():
            document = json.loads(line)
            found[document["metric"]["name"]] = (document["metric"]["value"], document)
    else:
        for record in records:
            if record.name == "polyfn.metrics":
                metric = record.__dict__["metric"]
                found[metric["name"]] = (metric["value"], record.__dict__)
    return found


class _Summed(dict[str, Any]):
    def __setitem__(self, name: str, entry: tuple[Any, Any]) -> None:
        if name in self and isinstance(entry[0], int | float):
            entry = (self[name][0] + entry[0], entry[1])
        super().__setitem__(name, entry)


def test_a_message_continues_the_trace_and_correlation_of_the_request(
    driver: Host, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    app = build_observed()
    caplog.set_level(logging.INFO)
    capsys.readouterr()
    answer = driver.http(
        app,
        "POST",
        "/orders",
        headers=[("traceparent", TRACEPARENT), ("x-correlation-id", "order-7-flow")],
        body=b"{}",
    )
    assert answer.status == 202
    (sent,) = _sent(app, "jobs")
    # What travels with the message: the trace (the request's span as parent), the
    # correlation id and the hop count.
    assert sent.attributes["traceparent"].startswith(f"00-{TRACE_ID}-")
    assert sent.attributes["x-correlation-id"] == "order-7-flow"
    assert sent.attributes["polyfn-hops"] == "1"
    assert driver.messages(app, "jobs", [sent.body], attributes=sent.attributes) == []
    out = capsys.readouterr().out

    (placed,) = [r for r in caplog.records if r.getMessage() == "order placed"]
    (worked,) = [r for r in caplog.records if r.getMessage() == "order worked"]
    placed_line, worked_line = _log_line(driver, placed), _log_line(driver, worked)
    for line, function in ((placed_line, "place_order"), (worked_line, "work")):
        assert line["traceId"] == TRACE_ID
        assert line["correlationId"] == "order-7-flow"
        assert line["function"] == function
        assert line["cloud"] == driver.cloud
    assert worked_line["order"] == 7  # an extra field, as a field
    # Each invocation is its own span of the one trace.
    assert placed_line["spanId"] != worked_line["spanId"]
    assert sent.attributes["traceparent"] == f"00-{TRACE_ID}-{placed_line['spanId']}-01"

    metrics = _metrics(driver, out, caplog.records)
    assert metrics["OrdersPlaced"][0] == 1
    # A histogram of one value: EMF writes it as a number, the others as a list.
    assert metrics["WorkMs"][0] in ([12.5], 12.5)
    placed_metric = metrics["OrdersPlaced"][1]
    assert placed_metric["correlationId"] == "order-7-flow"
    if driver.cloud == "aws":
        assert placed_metric["kind"] == "web"
        assert placed_metric["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["kind"]]
        assert placed_metric["traceId"] == f"1-{TRACE_ID[:8]}-{TRACE_ID[8:]}"


def test_the_loop_guard_stops_a_function_that_feeds_its_own_queue(
    driver: Host, caplog: pytest.LogCaptureFixture
) -> None:
    app = build_observed()
    caplog.set_level(logging.INFO)
    body, attributes = b'{"round": 0}', {"x-correlation-id": "loop-1"}
    rounds = 0
    while True:
        assert driver.messages(app, "echo", [body], attributes=attributes) == []
        waiting = _sent(app, "echo")
        if not waiting:
            break
        rounds += 1
        assert rounds < 10, "the loop was not stopped"
        (message,) = waiting
        body, attributes = message.body, message.attributes
    # Hops 0..3 ran (max_hops=3) and each sent one message; the fourth send arrived with
    # 4 hops and was acknowledged without running.
    assert rounds == 4
    (stopped,) = [r for r in caplog.records if "recursive loop stopped" in r.getMessage()]
    assert stopped.levelno == logging.ERROR
    assert "loop-1" in stopped.getMessage()
    assert stopped.__dict__["hops"] == 4


def test_the_loop_guard_stops_a_function_that_writes_into_its_own_bucket(
    driver: Host, caplog: pytest.LogCaptureFixture
) -> None:
    # Each cloud's object event as it comes: Cloud Storage's and the blob trigger's carry
    # the object's metadata (the writer's trace and hop count); S3's and the local
    # runtime's do not, and polyfn reads it back with one HEAD.
    app = build_observed()
    frames = app.buckets["frames"]
    caplog.set_level(logging.INFO)
    frames.write("cat.jpg", b"jpeg")  # from outside: no hops
    key, seen, rounds = "cat.jpg", {"cat.jpg"}, 0
    while True:
        driver.object_event(app, "created", "frames", key, size=4)
        written = [info.key for info in frames.iter() if info.key not in seen]
        if not written:
            break
        rounds += 1
        assert rounds < 10, "the loop was not stopped"
        (key,) = written
        seen.add(key)
    # Hops 0..3 ran (max_hops=3), each writing one object; the object written at hop 3
    # carries 4 hops and its event was acknowledged without running.
    assert rounds == 4
    assert key == "thumb-" * 4 + "cat.jpg"
    (stopped,) = [r for r in caplog.records if "recursive loop stopped" in r.getMessage()]
    assert stopped.levelno == logging.ERROR
    assert f"object frames/{key}" in stopped.getMessage()
    assert stopped.__dict__["hops"] == 4


def test_an_event_continues_the_trace_and_the_loop_guard_stops_a_bus_loop(
    driver: Host, caplog: pytest.LogCaptureFixture
) -> None:
    # Each cloud carries the publisher's trace its way (EventBridge: in the detail, taken
    # out on arrival; Event Grid: CloudEvent extension attributes; Pub/Sub: ce-
    # attributes); the subscriber continues it, and a function that publishes what it
    # subscribes to stops at its max_hops.
    app = build_observed()
    bus = app.event_buses["ticks"]
    published = _Published(app, "ticks")
    caplog.set_level(logging.INFO)
    event, rounds = bus.build(source="clock", type="Tick", data={"n": 1}), 0
    while True:
        driver.bus_event(app, bus, event)
        waiting = published.take()
        if not waiting:
            break
        rounds += 1
        assert rounds < 10, "the loop was not stopped"
        (event,) = waiting
        assert event.trace["polyfnhops"] == str(rounds)
    assert rounds == 4
    ticked = [r for r in caplog.records if r.getMessage() == "ticked"]
    assert len(ticked) == 4
    # One trace from the first tick on: each later tick continues its publisher's.
    assert len({r.__dict__["traceId"] for r in ticked}) == 1
    assert len({r.__dict__["correlationId"] for r in ticked}) == 1
    (stopped,) = [r for r in caplog.records if "recursive loop stopped" in r.getMessage()]
    assert stopped.levelno == logging.ERROR
    assert stopped.__dict__["hops"] == 4


def test_polyfn_counts_errors_and_batch_failures_itself(
    driver: Host,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from .behaviour_app import build

    # On by default on a platform only; these hosts call the entry points in a test.
    monkeypatch.setenv("POLYFN_BUILTIN_METRICS", "1")
    app, _ = build()
    caplog.set_level(logging.INFO)
    # Locally, the per-invocation ones (Invocations, Duration) are logged at DEBUG only.
    caplog.set_level(logging.DEBUG, logger="polyfn.metrics")
    capsys.readouterr()
    bodies = [b'{"n": 1}', b'{"n": 2, "fail": true}', b'{"n": 3, "fail": true}']
    assert driver.messages(app, "jobs", bodies) == [1, 2]
    metrics = _metrics(driver, capsys.readouterr().out, caplog.records)
    assert metrics["Errors"][0] == 2
    assert metrics["BatchItemFailures"][0] == 2
    assert metrics["Errors"][1]["function"] == "work"
    # Invocations and Duration: one batch on AWS, one invocation per message elsewhere.
    assert metrics["Invocations"][0] in (1, 3)
    assert metrics["Invocations"][1]["function"] == "work"
    durations = metrics["Duration"][0]
    assert all(d >= 0 for d in (durations if isinstance(durations, list) else [durations]))
