"""Queue, blob, Event Grid and timer functions called with the worker's own objects."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import azure.functions as func
import pytest
from azure_native import invoke
from behaviour.behaviour_app import build

from polyfn import App, ObjectEvent
from polyfn.adapters.azure import MessageFailed, function_app
from polyfn.adapters.azure.envelope import unwrap, wrap
from polyfn.core.errors import PolyfnError, UnrecognizedEvent
from polyfn.hosts.events import azure as events


@pytest.fixture
def shared() -> tuple[App, func.FunctionApp, dict[str, list[Any]]]:
    app, seen = build()
    return app, function_app(app), seen


def handed_to(app: App, name: str) -> list[Any]:
    """What the shared handler ``name`` is handed (its message or event), recorded while
    the handler still runs and fills ``seen``."""
    received: list[Any] = []
    fn = app.functions[name]
    handler = fn.handler

    def recording(*args: Any) -> Any:
        received.append(args[0])
        return handler(*args)

    fn.handler = recording
    return received


# ----------------------------------------------------------------------------- queue


def test_a_message_that_succeeds_returns(shared: Any) -> None:
    app, native, seen = shared
    received = handed_to(app, "work")
    message = events.queue_message(b'{"n": 1}', dequeue_count=2, id="m-1")
    assert invoke(native, "work", "msg", message) is None
    assert seen["messages"] == [(1, {}, "jobs", "azure")]
    assert received[0].receive_count == 2


def test_a_failing_message_raises_so_the_host_retries_then_poisons_it(
    shared: Any, caplog: pytest.LogCaptureFixture
) -> None:
    _, native, seen = shared
    message = events.queue_message(b'{"fail": true}', dequeue_count=2, id="m-2")
    with pytest.raises(MessageFailed) as raised:
        invoke(native, "work", "msg", message)
    assert isinstance(raised.value, PolyfnError)
    text = str(raised.value)
    assert "m-2" in text and "receive 2 of 3" in text and "jobs-poison" in text
    assert "this job always fails" in caplog.text  # the handler's own error is logged
    assert seen["messages"] == []


def test_the_message_keeps_its_native_details(shared: Any) -> None:
    app, native, _ = shared
    received: list[Any] = []
    app.functions["work"].handler = received.append
    app.functions["work"].wants_context = False
    message = events.queue_message("hi", id="m-3", insertion_time="2025-01-02T03:04:05Z")
    invoke(native, "work", "msg", message)
    (msg,) = received
    assert (msg.id, msg.body, msg.receive_count) == ("m-3", b"hi", 1)
    assert msg.raw.insertion_time == datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_envelope_round_trip_and_look_alikes() -> None:
    assert wrap(b"plain", {}) == b"plain"
    body = bytes(range(256))
    assert unwrap(wrap(body, {"k": "v"})) == (body, {"k": "v"})
    for text in (
        b'{"polyfn-envelope": 1, "attributes": {}, "body": "!!"}',
        b'{"polyfn-envelope": 2, "attributes": {}, "body": ""}',
        b'{"polyfn-envelope": 1, "attributes": {"n": 1}, "body": ""}',
        b'{"polyfn-envelope": 1, "attributes": {}, "body": "", "extra": 1}',
        b'{"polyfn-envelope": 1',
        b'{"other": 1}',
    ):
        assert unwrap(text) == (text, {})


# ----------------------------------------------------------------------------- blobs


def test_blob_event_details(shared: Any) -> None:
    app, native, _ = shared
    received: list[Any] = []
    app.functions["audit"].handler = received.append
    app.functions["audit"].wants_context = False
    stream = events.blob("files", "a/b.png", b"png!", content_type="image/png", etag='"0x1"')
    invoke(native, "audit", "blob", stream)
    (event,) = received
    assert (event.key, event.size, event.etag, event.content_type) == (
        "a/b.png",
        4,
        "0x1",
        "image/png",
    )
    assert event.id == "https://polyfnstorage.blob.core.windows.net/files/a/b.png"
    assert event.time is not None and event.raw is stream


def test_a_blob_without_its_container_is_unrecognized(shared: Any) -> None:
    _, native, _ = shared
    from azure.functions.blob import InputStream

    with pytest.raises(UnrecognizedEvent, match="container"):
        invoke(native, "audit", "blob", InputStream(data=b"x", name="orphan.txt"))


def test_event_grid_blob_deleted_in_the_cloudevents_schema(shared: Any) -> None:
    # The Event Grid schema is what the behaviour suite delivers on Azure.
    app, native, seen = shared
    received = handed_to(app, "on_delete")
    document = events.blob_deleted_cloudevent(bucket="files", key="in/old photo+1.jpg")
    invoke(native, "on_delete", "event", events.event_grid_event(document))
    assert seen["objects"] == [("deleted", "files", "in/old photo+1.jpg")]
    assert (received[0].action, received[0].size) == ("deleted", None)


def test_event_grid_delete_filters_and_foreign_events_are_acknowledged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The shared app's delete subscriber takes the whole bucket; this one has a prefix.
    prefixed_delete = App("prefixed-delete")
    files = prefixed_delete.bucket("files")
    forgotten: list[str] = []

    @prefixed_delete.on_object_deleted(files, prefix="in/")
    def forget(event: ObjectEvent) -> None:
        forgotten.append(event.key)

    native = function_app(prefixed_delete)
    deliveries = [
        events.blob_deleted(bucket="files", key="out/x.jpg"),  # outside the prefix
        events.blob_deleted(bucket="other-container", key="in/x.jpg"),  # another container
        events.blob_created(bucket="files", key="in/x.jpg"),  # not a delete
        events.eventgrid(type="Shop.OrderPlaced"),  # not a blob event
    ]
    for document in deliveries:
        assert invoke(native, "forget", "event", events.event_grid_event(document)) is None
    assert forgotten == []
    assert caplog.text.count("ignored Event Grid event") == 3


# ----------------------------------------------------------------------------- timers, events


def test_non_http_deadline_is_the_function_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLYFN_TIMEOUT_SECONDS", "600")
    app, _ = build()
    remaining: list[int] = []
    app.functions["tick"].handler = lambda tick, ctx: remaining.append(ctx.remaining_ms)
    invoke(function_app(app), "tick", "timer", events.timer())
    assert 599_000 < remaining[0] <= 600_000


def test_event_grid_custom_events_in_the_cloudevents_schema(shared: Any) -> None:
    # The Event Grid schema is what the behaviour suite delivers on Azure.
    _, native, seen = shared
    document = events.eventgrid_cloudevent(
        source="shop.orders", type="Shop.OrderPlaced", data={"order": 7}, id="e-1"
    )
    invoke(native, "shop_order_placed", "event", events.event_grid_event(document))
    invoke(native, "any_shop_type", "event", events.event_grid_event(document))
    assert [
        (name, event.id, event.source, event.type, event.data) for name, event in seen["events"]
    ] == [
        ("shop_order_placed", "e-1", "shop.orders", "Shop.OrderPlaced", {"order": 7}),
        ("any_shop_type", "e-1", "shop.orders", "Shop.OrderPlaced", {"order": 7}),
    ]


def test_event_time_is_iso_utc(shared: Any) -> None:
    app, native, _ = shared
    received: list[Any] = []
    app.functions["any_shop_type"].handler = received.append
    app.functions["any_shop_type"].wants_context = False
    document = events.eventgrid(type="Shop.X")
    document["eventTime"] = "2024-03-01T10:20:30.1234567Z"  # Event Grid sends 7 digits
    invoke(native, "any_shop_type", "event", events.event_grid_event(document))
    assert received[0].time == "2024-03-01T10:20:30.123456Z"
    assert json.loads(json.dumps(received[0].to_dict()))["subject"] == "orders/7"
