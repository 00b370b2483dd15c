"""The local runtime's event bus: what the app publishes reaches the matching functions of
that bus through the runtime's bus pump, each retried on its own like object events."""

from __future__ import annotations

import io
import json
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from polyfn import App, Event
from polyfn.adapters.local.backends import LocalBackends
from polyfn.adapters.local.entry import LocalRuntime, RuntimeOptions


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the runtime")
        time.sleep(0.02)


def _app(seen: list[tuple[str, str, str]], attempts: list[int]) -> App:
    app = App("bus")
    orders = app.event_bus("orders")
    audit = app.event_bus("audit")
    lock = threading.Lock()

    @app.on_event(bus=orders, source="shop.orders", type="OrderPlaced")
    def placed(event: Event) -> None:
        with lock:
            seen.append(("placed", event.source, json.dumps(event.data)))
        # Publishing from a handler to another bus is delivered too, not run inline.
        audit.publish(source="shop.audit", type="Logged", data={"of": event.id})

    @app.on_event(bus=orders, source="shop.other")
    def other(event: Event) -> None:
        with lock:
            seen.append(("other", event.source, json.dumps(event.data)))

    @app.on_event(bus=audit)
    def logged(event: Event) -> None:
        with lock:
            seen.append(("logged", event.source, event.type))

    @app.on_event(bus=orders, type="Flaky")
    def flaky(event: Event) -> None:
        attempts.append(1)
        if len(attempts) < 3:
            raise RuntimeError("not yet")
        with lock:
            seen.append(("flaky", event.source, str(len(attempts))))

    return app


def test_published_events_reach_matching_subscribers_with_retries(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("polyfn.adapters.local.bus.RETRY_DELAYS_SECONDS", (0.05, 0.05))
    seen: list[tuple[str, str, str]] = []
    attempts: list[int] = []
    app = _app(seen, attempts)
    log = io.StringIO()
    runtime = LocalRuntime(app, RuntimeOptions(data_dir, serve_http=False), log=log)
    runtime.start()
    try:
        app.event_buses["orders"].publish(source="shop.orders", type="OrderPlaced", data={"n": 1})
        app.event_buses["orders"].publish(source="shop.nobody", type="Flaky")
        wait_for(lambda: len(seen) == 3 and runtime.bus_pump.idle())
    finally:
        runtime.stop()
    assert sorted(seen) == [
        ("flaky", "shop.nobody", "3"),  # failed twice, retried twice, then ran
        ("logged", "shop.audit", "Logged"),
        ("placed", "shop.orders", '{"n": 1}'),
    ]
    lines = [json.loads(line) for line in log.getvalue().splitlines() if line.startswith("{")]
    assert [line["outcome"] for line in lines if line["function"] == "flaky"] == [
        "error",
        "error",
        "ok",
    ]


def test_an_event_that_fails_every_attempt_is_logged_and_dropped(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr("polyfn.adapters.local.bus.RETRY_DELAYS_SECONDS", (0.01, 0.01))
    app = App("bus")
    orders = app.event_bus("orders")
    calls: list[int] = []

    @app.on_event(bus=orders)
    def broken(event: Event) -> None:
        calls.append(1)
        raise RuntimeError("always")

    runtime = LocalRuntime(app, RuntimeOptions(data_dir, serve_http=False), log=io.StringIO())
    runtime.start()
    try:
        with caplog.at_level(logging.ERROR, logger="polyfn.fn.broken"):
            orders.publish(source="shop.orders", type="OrderPlaced")
            wait_for(lambda: len(calls) == 3 and runtime.bus_pump.idle())
    finally:
        runtime.stop()
    assert "failed in broken 3 times; dropping it" in caplog.text


def test_an_event_no_subscriber_matches_is_logged_as_a_warning(
    data_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = App("bus")
    orders = app.event_bus("orders")

    @app.on_event(bus=orders, source="shop.orders")
    def placed(event: Event) -> None: ...

    runtime = LocalRuntime(app, RuntimeOptions(data_dir, serve_http=False), log=io.StringIO())
    runtime.start()
    try:
        with caplog.at_level(logging.WARNING, logger="polyfn.local"):
            orders.publish(source="billing", type="Paid")
    finally:
        runtime.stop()
    assert "event Paid from billing published to bus 'orders' matches no on_event" in (caplog.text)


def test_without_a_runtime_a_publish_warns_that_no_function_received_it(
    data_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = App("bus")
    orders = app.event_bus("orders")
    backends = LocalBackends(data_dir, app.name)
    app.bind(backends)
    with caplog.at_level(logging.WARNING, logger="polyfn.local"):
        event_id = orders.publish(source="shop.orders", type="OrderPlaced")
    backends.close()
    assert event_id
    assert "reached no function: no local runtime is running" in caplog.text


def test_the_summary_lists_each_bus_and_its_subscribers(data_dir: Path) -> None:
    app = _app([], [])
    runtime = LocalRuntime(app, RuntimeOptions(data_dir, serve_http=False), log=io.StringIO())
    summary = runtime.summary()
    runtime.backends.close()
    assert "  event buses:" in summary
    assert "    audit -> logged (event source=* type=* on bus audit)" in summary
