"""Legacy background events and raw Pub/Sub pushes, converted by functions-framework."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from behaviour.behaviour_app import build
from gcp_native import event_client, post_legacy

from polyfn import App, Message, ObjectEvent
from polyfn.hosts.events import gcp as events


def message_ids_app() -> tuple[App, list[Message]]:
    """An app keeping each message whole: the shared app records a message's payload,
    attributes and queue, not the id Pub/Sub gave it."""
    app = App("message-ids")
    jobs = app.queue("jobs")
    received: list[Message] = []
    app.on_message(jobs)(received.append)
    return app, received


@pytest.mark.parametrize("flat", [False, True], ids=["nested", "flat"])
def test_legacy_storage_event(flat: bool) -> None:
    app, seen = build()
    document = events.legacy_storage("created", bucket="files", key="in/my photo+1.jpg", flat=flat)
    assert post_legacy(event_client(app), document).status_code == 200
    assert seen["objects"] == [("created", "files", "in/my photo+1.jpg", 1024)]
    # The event's id and time, which the shared app does not record, from an app that
    # keeps the whole event.
    object_ids_app = App("object-ids")
    received: list[ObjectEvent] = []
    object_ids_app.on_object_created(object_ids_app.bucket("files"))(received.append)
    assert post_legacy(event_client(object_ids_app), document).status_code == 200
    [event] = received
    context = document if flat else document["context"]
    assert event.id == context["eventId"] and event.time == context["timestamp"]


def test_legacy_storage_delete() -> None:
    app, seen = build()
    document = events.legacy_storage("deleted", bucket="files", key="gone.txt")
    assert post_legacy(event_client(app), document).status_code == 200
    assert seen["objects"] == [("deleted", "files", "gone.txt")]


@pytest.mark.parametrize("flat", [False, True], ids=["nested", "flat"])
def test_legacy_pubsub_event(flat: bool) -> None:
    app, seen = build()
    document = events.legacy_pubsub("jobs", b'{"n": 3}', {"origin": "legacy"}, flat=flat)
    assert post_legacy(event_client(app), document).status_code == 200
    assert seen["messages"] == [(3, {"origin": "legacy"}, "jobs", "gcp")]
    ids_app, received = message_ids_app()
    assert post_legacy(event_client(ids_app), document).status_code == 200
    [message] = received
    context = document if flat else document["context"]
    assert message.id == context["eventId"]


def test_legacy_pubsub_failure_is_redelivered() -> None:
    app, _ = build()
    document = events.legacy_pubsub("jobs", b'{"fail": true}')
    assert post_legacy(event_client(app), document).status_code == 500


def test_raw_pubsub_push_takes_the_topic_from_the_url() -> None:
    push: dict[str, Any] = {
        "message": {
            "data": base64.b64encode(b'{"n": 9}').decode(),
            "attributes": {"k": "v"},
            "messageId": "2070443601311540",
            "publishTime": "2025-11-20T10:00:00.000Z",
        },
        "subscription": "projects/polyfn-dev/subscriptions/jobs-push",
    }
    app, seen = build()
    ids_app, received = message_ids_app()
    for client in (event_client(app), event_client(ids_app)):
        response = client.post(
            "/projects/polyfn-dev/topics/jobs",
            json=push,
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code == 200
    assert seen["messages"] == [(9, {"k": "v"}, "jobs", "gcp")]
    [message] = received
    assert (message.id, message.queue, message.attributes) == (
        "2070443601311540",
        "jobs",
        {"k": "v"},
    )


def test_raw_pubsub_push_keeps_its_delivery_attempt() -> None:
    # functions-framework's conversion of a raw push drops deliveryAttempt; the adapter
    # reads it back from the request (pinned end to end on the emulator in
    # test_gcp_pubsub_push.py, whose emulator does not send one).
    push: dict[str, Any] = {
        "message": {"data": base64.b64encode(b"{}").decode(), "messageId": "77"},
        "subscription": "projects/polyfn-dev/subscriptions/jobs-push",
        "deliveryAttempt": 4,
    }
    ids_app, received = message_ids_app()
    client = event_client(ids_app)
    assert client.post("/projects/polyfn-dev/topics/jobs", json=push).status_code == 200
    del push["deliveryAttempt"]
    assert client.post("/projects/polyfn-dev/topics/jobs", json=push).status_code == 200
    assert [(m.id, m.receive_count) for m in received] == [("77", 4), ("77", None)]


def test_unknown_legacy_event_type_is_a_400() -> None:
    app, _ = build()
    document = events.legacy_storage()
    document["context"]["eventType"] = "providers/example/eventTypes/thing.happen"
    assert post_legacy(event_client(app), document).status_code == 400
