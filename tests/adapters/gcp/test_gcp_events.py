"""CloudEvents through functions-framework: Storage, Pub/Sub, Scheduler and any other."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import pytest
from behaviour.behaviour_app import build
from gcp_native import event_client, http_client, post_binary, post_structured, send

from polyfn import App, Context, Event, Message, ObjectEvent, Schedule
from polyfn.hosts.events import gcp as events

Post = Callable[[Any, Mapping[str, Any]], Any]
MODES = pytest.mark.parametrize(
    "post", [post_binary, post_structured], ids=["binary", "structured"]
)


def message_fields_app() -> tuple[App, list[tuple[Message, Context]]]:
    """An app keeping each message whole with its context: the shared app records a
    message's payload, attributes, queue and cloud, not the id, delivery attempt and
    request id Pub/Sub and Eventarc give it."""
    app = App("message-fields")
    jobs = app.queue("jobs")
    received: list[tuple[Message, Context]] = []

    @app.on_message(jobs)
    def keep(msg: Message, ctx: Context) -> None:
        received.append((msg, ctx))

    return app, received


# ----------------------------------------------------------------------------- storage


@MODES
def test_storage_finalized_keeps_the_key_and_reads_size_as_a_string(post: Post) -> None:
    # Keys of every shape arrive decoded on every runtime (tests/behaviour); here, the
    # fields of Google's object resource and both CloudEvent content modes.
    app, seen = build()
    key = "in/caf\u00e9 %41 & co.jpg"
    event = events.storage("created", "files", key, size=123456789012, content_type="image/png")
    assert event["data"]["size"] == "123456789012"
    response = post(event_client(app), event)
    assert response.status_code == 200
    assert seen["objects"] == [("created", "files", key, 123456789012)]
    # The object resource's other fields and the context, which the shared app does not
    # record, from an app that keeps the whole event.
    object_resource_app = App("object-resource")
    received: list[tuple[ObjectEvent, Context]] = []

    @object_resource_app.on_object_created(object_resource_app.bucket("files"))
    def keep(event: ObjectEvent, ctx: Context) -> None:
        received.append((event, ctx))

    assert post(event_client(object_resource_app), event).status_code == 200
    [(whole, ctx)] = received
    assert (whole.action, whole.bucket, whole.key) == ("created", "files", key)
    assert whole.size == 123456789012
    assert whole.content_type == "image/png"
    assert whole.etag == event["data"]["etag"]
    assert whole.id == event["id"] and whole.time == event["time"]
    assert ctx.cloud == "gcp" and ctx.request_id == event["id"] and ctx.remaining_ms > 0


def test_storage_physical_bucket_maps_to_the_logical_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLYFN_BUCKET_FILES", "behaviour-prod-files-my-project")
    app, seen = build()
    event = events.storage("created", "behaviour-prod-files-my-project", "in/a.jpg")
    assert post_binary(event_client(app), event).status_code == 200
    assert [bucket for _, bucket, *_ in seen["objects"]] == ["files"]


def test_storage_size_as_a_number_is_accepted() -> None:
    app, seen = build()
    event = events.storage("created", "files", "in/n.jpg")
    event["data"]["size"] = 42
    assert post_structured(event_client(app), event).status_code == 200
    assert seen["objects"] == [("created", "files", "in/n.jpg", 42)]


@pytest.mark.parametrize(
    ("field", "value"), [("size", "12kb"), ("name", ""), ("name", None), ("size", "-1")]
)
def test_malformed_storage_event_is_a_400(field: str, value: Any) -> None:
    app, seen = build()
    event = events.storage("created", "files", "in/x.jpg")
    event["data"][field] = value
    response = post_binary(event_client(app), event)
    assert response.status_code == 400
    assert seen["objects"] == [] and seen["audits"] == []


def test_failing_object_handler_is_a_500_without_its_text() -> None:
    app, _ = build()
    response = post_binary(event_client(app), events.storage("created", "files", "in/broken.jpg"))
    assert response.status_code == 500
    assert b"cannot decode image" not in response.get_data()


# ----------------------------------------------------------------------------- pub/sub


@MODES
def test_pubsub_message_success_is_2xx(post: Post) -> None:
    app, seen = build()
    event = events.pubsub("jobs", b'{"n": 7}', {"origin": "test"})
    response = post(event_client(app), event)
    assert 200 <= response.status_code < 300
    assert seen["messages"] == [(7, {"origin": "test"}, "jobs", "gcp")]
    fields_app, received = message_fields_app()
    assert 200 <= post(event_client(fields_app), event).status_code < 300
    [(message, ctx)] = received
    assert message.json() == {"n": 7}
    assert message.attributes == {"origin": "test"}
    assert message.queue == "jobs"
    assert message.id == event["data"]["message"]["messageId"]
    assert message.receive_count is None  # no dead-letter policy, no count
    assert ctx.request_id == event["id"]


@MODES
def test_pubsub_delivery_attempt_is_the_receive_count(post: Post) -> None:
    app, received = message_fields_app()
    response = post(event_client(app), events.pubsub("jobs", b'{"n": 1}', delivery_attempt=4))
    assert response.status_code == 200
    [(message, _)] = received
    assert message.receive_count == 4


@MODES
def test_pubsub_failure_is_a_500_without_its_text(post: Post) -> None:
    # That only the failed message is redelivered, malformed ones included, is checked on
    # every runtime in tests/behaviour; here, the native answer Pub/Sub reads.
    app, seen = build()
    response = post(event_client(app), events.pubsub("jobs", b'{"fail": true}'))
    assert response.status_code == 500
    assert b"this job always fails" not in response.get_data()
    assert seen["messages"] == []


def test_pubsub_topic_is_the_physical_queue(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLYFN_QUEUE_JOBS", "behaviour-prod-jobs")
    app, seen = build()
    client = event_client(app)
    assert post_binary(client, events.pubsub("behaviour-prod-jobs", b'{"n": 1}')).status_code == 200
    assert [queue for _, _, queue, _ in seen["messages"]] == ["jobs"]
    # A topic no function consumes is failed, not acknowledged and lost.
    assert post_binary(client, events.pubsub("someone-elses", b'{"n": 2}')).status_code == 500
    assert len(seen["messages"]) == 1


def test_pubsub_empty_and_binary_bodies() -> None:
    app = build()[0]
    received: list[bytes] = []
    fn = app.functions["work"]
    fn.handler = lambda msg, ctx: received.append(msg.body)
    client = event_client(app)
    assert post_binary(client, events.pubsub("jobs", b"")).status_code == 200
    assert post_binary(client, events.pubsub("jobs", bytes(range(256)))).status_code == 200
    assert received == [b"", bytes(range(256))]


@pytest.mark.parametrize(
    "change",
    [
        lambda e: e["data"]["message"].update(data="not base64!"),
        lambda e: e["data"].pop("message"),
        lambda e: e["data"]["message"].update(attributes={"n": 1}),
        lambda e: e["data"].update(deliveryAttempt="often"),
    ],
    ids=["data", "no-message", "attributes", "attempt"],
)
def test_malformed_pubsub_event_is_a_400(change: Callable[[dict[str, Any]], Any]) -> None:
    app, seen = build()
    event = events.pubsub("jobs", b'{"n": 1}')
    change(event)
    assert post_structured(event_client(app), event).status_code == 400
    assert seen["messages"] == []


# ----------------------------------------------------------------------------- scheduler


@pytest.mark.parametrize(
    ("job", "function"),
    [
        ("behaviour-prod-fast-tick-schedule", "fast_tick"),
        ("behaviour-prod-tick-schedule", "tick"),
        ("tick", "tick"),
    ],
)
def test_scheduler_http_job_fires_the_pinned_function(
    job: str, function: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As deploy runs it: the process pinned to the scheduled function (POLYFN_FUNCTION).
    monkeypatch.setenv("POLYFN_FUNCTION", function)
    app, seen = build()
    document = events.scheduler(job, schedule_time="2025-11-20T03:00:00Z")
    response = send(http_client(app), document)
    assert response.status_code == 200
    assert response.get_json()["function"] == function
    assert seen["ticks"] == [(function, "gcp", "2025-11-20T03:00:00Z")]


def test_failing_tick_is_a_json_500_without_its_text(monkeypatch: pytest.MonkeyPatch) -> None:
    # The shared app's scheduled functions never fail: one that does.
    monkeypatch.setenv("POLYFN_FUNCTION", "nightly_cleanup")
    failing_tick_app = App("failing-tick")

    @failing_tick_app.schedule("0 3 * * *")
    def nightly_cleanup(tick: Schedule) -> None:
        raise RuntimeError("secret-tick-failure")

    document = events.scheduler("failing-tick-prod-nightly-cleanup-schedule")
    response = send(http_client(failing_tick_app), document)
    assert response.status_code == 500
    assert b"secret-tick-failure" not in response.get_data()
    assert response.get_json()["error"]["request_id"]


def test_scheduler_headers_never_hijack_routes(monkeypatch: pytest.MonkeyPatch) -> None:
    app, seen = build()
    client = http_client(app)
    # Unpinned, even a job naming a scheduled function is an ordinary request.
    unknown = events.scheduler("behaviour-prod-tick-schedule", path="/echo")
    assert send(client, unknown).get_json()["path"] == "/echo"
    # A process pinned to an HTTP function never treats a request as a tick (the pin is
    # read when the target is made, as on Cloud Functions).
    monkeypatch.setenv("POLYFN_FUNCTION", "echo")
    forged = events.scheduler("behaviour-prod-tick-schedule", path="/echo")
    assert send(http_client(app), forged).get_json()["path"] == "/echo"
    assert seen["ticks"] == []


def test_pinned_scheduled_function_takes_any_job_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLYFN_FUNCTION", "nightly")
    app, seen = build()
    assert send(http_client(app), events.scheduler("renamed-job")).status_code == 200
    assert [name for name, *_ in seen["ticks"]] == ["nightly"]


@MODES
def test_scheduler_via_pubsub(post: Post) -> None:
    app, seen = build()
    client = event_client(app)
    event = events.scheduler_pubsub("behaviour-prod-tick-schedule")
    assert post(client, event).status_code == 200
    assert seen["ticks"] == [("tick", "gcp", event["data"]["message"]["publishTime"])]
    assert seen["messages"] == []
    assert post(client, events.scheduler_pubsub("nobody-schedule")).status_code == 400


# ----------------------------------------------------------------------------- other events


@MODES
def test_cloudevent_attributes_become_the_event_fields(post: Post) -> None:
    app, seen = build()
    client = event_client(app)
    # Only the shared app's ``type="Shop.*"`` subscriber takes this source.
    event = events.cloudevent(
        "//shop.example.com/orders", "Shop.OrderPlaced", {"order": 7}, subject="orders/7"
    )
    assert post(client, event).status_code == 200
    [(subscriber, received)] = seen["events"]
    assert subscriber == "any_shop_type"
    assert (received.id, received.source, received.type) == (
        event["id"],
        "//shop.example.com/orders",
        "Shop.OrderPlaced",
    )
    assert received.subject == "orders/7" and received.time == event["time"]
    assert received.data == {"order": 7}


@MODES
def test_binary_event_data(post: Post) -> None:
    app, seen = build()
    event = events.cloudevent(
        "//shop.example.com/files",
        "Shop.Blob",
        bytes(range(256)),
        datacontenttype="application/octet-stream",
    )
    assert post(event_client(app), event).status_code == 200
    [(_, received)] = seen["events"]
    assert received.data == bytes(range(256))


def test_failing_event_handler_is_a_500() -> None:
    # The shared app's event subscribers never fail: one that does.
    failing_event_app = App("failing-event")

    @failing_event_app.on_event(source="//shop.example.com/*")
    def broken(event: Event) -> None:
        raise RuntimeError("secret-event-failure")

    event = events.cloudevent("//shop.example.com/orders", "com.example.order.broken")
    response = post_binary(event_client(failing_event_app), event)
    assert response.status_code == 500
    assert b"secret-event-failure" not in response.get_data()


def test_storage_archive_is_an_other_event() -> None:
    app, seen = build()
    seen_events: list[Any] = []
    app.on_event(source="//storage.googleapis.com/*", name="storage_other")(seen_events.append)
    event = events.storage("created", "files", "in/a.jpg")
    event["type"] = "google.cloud.storage.object.v1.archived"
    assert post_binary(event_client(app), event).status_code == 200
    assert seen["objects"] == [] and seen["audits"] == []
    assert seen_events[0].type == "google.cloud.storage.object.v1.archived"


def test_a_document_that_is_no_event_is_a_400() -> None:
    app, _ = build()
    client = event_client(app)
    response = client.post(
        "/", data=json.dumps({"hello": "world"}), content_type="application/json"
    )
    assert response.status_code == 400
    assert client.post("/", data=b"\x00\xff", content_type="application/json").status_code == 400


def test_a_tick_for_a_misconfigured_pin_is_a_json_500(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLYFN_FUNCTION", "no_such_function")
    app, seen = build()
    response = send(http_client(app), events.scheduler("behaviour-prod-tick-schedule"))
    assert response.status_code == 500
    assert response.get_json()["error"]["message"] == "Internal Server Error"
    assert seen["ticks"] == []
