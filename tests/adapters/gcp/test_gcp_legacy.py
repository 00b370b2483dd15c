"""Legacy background events and raw Pub/Sub pushes, converted by functions-framework."""

from __future__ import annotations

import base64

import pytest
from gcp_apps import build, event_client, post_legacy

from polyfn.hosts.events import gcp as events


@pytest.mark.parametrize("flat", [False, True], ids=["nested", "flat"])
def test_legacy_storage_event(flat: bool) -> None:
    app, seen = build()
    document = events.legacy_storage(
        "created", bucket="uploads", key="in/my photo+1.jpg", flat=flat
    )
    assert post_legacy(event_client(app), document).status_code == 200
    [received] = seen["objects"]
    assert (received.action, received.bucket, received.key, received.size) == (
        "created",
        "uploads",
        "in/my photo+1.jpg",
        1024,
    )
    context = document if flat else document["context"]
    assert received.id == context["eventId"] and received.time == context["timestamp"]


def test_legacy_storage_delete() -> None:
    app, seen = build()
    document = events.legacy_storage("deleted", bucket="uploads", key="gone.txt")
    assert post_legacy(event_client(app), document).status_code == 200
    assert [(e.action, e.key) for e in seen["objects"]] == [("deleted", "gone.txt")]


@pytest.mark.parametrize("flat", [False, True], ids=["nested", "flat"])
def test_legacy_pubsub_event(flat: bool) -> None:
    app, seen = build()
    document = events.legacy_pubsub("jobs", b'{"n": 3}', {"origin": "legacy"}, flat=flat)
    assert post_legacy(event_client(app), document).status_code == 200
    [message] = seen["messages"]
    assert message.json() == {"n": 3} and message.attributes == {"origin": "legacy"}
    assert message.queue == "jobs"
    context = document if flat else document["context"]
    assert message.id == context["eventId"]


def test_legacy_pubsub_failure_is_redelivered() -> None:
    app, _ = build()
    document = events.legacy_pubsub("jobs", b'{"fail": true}')
    assert post_legacy(event_client(app), document).status_code == 500


def test_raw_pubsub_push_takes_the_topic_from_the_url() -> None:
    app, seen = build()
    push = {
        "message": {
            "data": base64.b64encode(b'{"n": 9}').decode(),
            "attributes": {"k": "v"},
            "messageId": "2070443601311540",
            "publishTime": "2025-11-20T10:00:00.000Z",
        },
        "subscription": "projects/polyfn-dev/subscriptions/jobs-push",
    }
    client = event_client(app)
    response = client.post(
        "/projects/polyfn-dev/topics/jobs", json=push, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200
    [message] = seen["messages"]
    assert (message.id, message.queue, message.attributes) == (
        "2070443601311540",
        "jobs",
        {"k": "v"},
    )


def test_unknown_legacy_event_type_is_a_400() -> None:
    app, _ = build()
    document = events.legacy_storage()
    document["context"]["eventType"] = "providers/example/eventTypes/thing.happen"
    assert post_legacy(event_client(app), document).status_code == 400
