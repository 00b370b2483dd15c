"""``describe`` / ``looks_like``: the inspect model of every Google Cloud document."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from polyfn.adapters.gcp.describe import describe, looks_like
from polyfn.core.errors import UnrecognizedEvent
from polyfn.hosts.events import aws as aws_events
from polyfn.hosts.events import gcp as events

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


def test_every_generator_is_recognised_and_described() -> None:
    expected = {
        "http": "http",
        "storage-finalized": "object",
        "storage-deleted": "object",
        "pubsub": "message",
        "scheduler": "schedule",
        "scheduler-pubsub": "schedule",
        "cloudevent": "event",
        "legacy-storage": "object",
        "legacy-pubsub": "message",
        "firestore-document": "change",
    }
    assert set(events.GENERATORS) == set(expected)
    for kind, generator in events.GENERATORS.items():
        document = generator()
        assert looks_like(document), kind
        model = describe(document)
        assert model["cloud"] == "gcp" and model["trigger"] == expected[kind], kind


def test_a_firestore_document_event_is_a_change_with_both_images() -> None:
    document = events.firestore_document(
        "notes",
        spec=("modify", {"id": "n1", "text": "new", "n": 2}, {"id": "n1", "text": "old"}),
    )
    model = describe(document)
    assert model["trigger"] == "change"
    (change,) = model["changes"]
    assert (change["kind"], change["table"], change["id"]) == ("modify", "notes", document["id"])
    assert change["new"] == {"id": "n1", "text": "new", "n": 2}
    assert change["old"] == {"id": "n1", "text": "old"}


def test_the_with_auth_context_variant_is_the_same_change() -> None:
    document = events.firestore_document("notes", change="insert", key="n2")
    document["type"] += ".withAuthContext"
    document["authtype"], document["authid"] = "service_account", "writer@example.com"
    (change,) = describe(document)["changes"]
    assert (change["kind"], change["new"]) == ("insert", {"id": "n2", "note": "hello"})


def test_a_firestore_event_with_bytes_that_are_not_protobuf_is_refused() -> None:
    document = events.firestore_document("notes")
    document["data_base64"] = base64.b64encode(b"\xff\xff not protobuf").decode()
    with pytest.raises(UnrecognizedEvent, match="malformed Firestore document event"):
        describe(document)


def test_http_request_model() -> None:
    document = events.http(
        "POST",
        "/users/caf\u00e9",
        query={"tag": ["a", "b"]},
        headers=[
            ("X-Tag", "one"),
            ("X-Tag", "two"),
            ("Cookie", "a=1; b=2"),
            ("X-Forwarded-For", "10.0.0.1, 198.51.100.4"),
            ("traceparent", f"00-{TRACE}-00f067aa0ba902b7-01"),
        ],
        body=b"\x00\xff",
    )
    request = describe(document)["request"]
    assert request["method"] == "POST" and request["path"] == "/users/caf\u00e9"
    assert request["query"] == {"tag": ["a", "b"]}
    assert request["headers"]["x-tag"] == ["one", "two"]
    assert request["cookies"] == {"a": "1", "b": "2"}
    assert (
        request["body"] is None and request["body_base64"] == base64.b64encode(b"\x00\xff").decode()
    )
    assert request["client_ip"] == "198.51.100.4"
    assert request["request_id"] == TRACE


def test_http_text_and_empty_bodies() -> None:
    assert describe(events.http("POST", "/", body="hi"))["request"]["body"] == "hi"
    empty = describe(events.http("GET", "/"))["request"]
    assert empty["body"] is None and empty["body_base64"] == ""


def test_storage_model_reads_size_as_a_string() -> None:
    document = events.storage("deleted", "uploads", "in/my file+1.txt", size=5, content_type=None)
    [event] = describe(document)["events"]
    assert event == {
        "action": "deleted",
        "bucket": "uploads",
        "key": "in/my file+1.txt",
        "size": 5,
        "etag": document["data"]["etag"],
        "content_type": None,
        "time": document["time"],
        "id": document["id"],
    }


def test_pubsub_model() -> None:
    document = events.pubsub("orders", b"\xff\x00", {"k": "v"}, delivery_attempt=2)
    [message] = describe(document)["messages"]
    assert message == {
        "id": document["id"],
        "body": None,
        "body_base64": base64.b64encode(b"\xff\x00").decode(),
        "attributes": {"k": "v"},
        "receive_count": 2,
        "queue": "orders",
    }


def test_schedule_models() -> None:
    over_http = describe(events.scheduler("job-a-schedule", schedule_time="2025-11-20T03:00:00Z"))
    assert over_http["schedule"] == {"time": "2025-11-20T03:00:00Z", "name": "job-a-schedule"}
    over_pubsub = describe(events.scheduler_pubsub("job-b-schedule"))
    assert over_pubsub["schedule"]["name"] == "job-b-schedule"


def test_other_event_model() -> None:
    document = events.cloudevent("//x.example/y", "com.example.thing", {"a": 1}, subject="s/1")
    assert describe(document)["events"] == [
        {
            "id": document["id"],
            "source": "//x.example/y",
            "type": "com.example.thing",
            "subject": "s/1",
            "time": document["time"],
            "data": {"a": 1},
        }
    ]
    binary = events.cloudevent("//x", "t", b"\x01\x02", datacontenttype="application/octet-stream")
    assert describe(binary)["events"][0]["data"] == {"data_base64": "AQI="}


def test_legacy_and_push_models() -> None:
    flat = describe(events.legacy_storage(key="a b.txt", flat=True))
    assert flat["events"][0]["key"] == "a b.txt" and flat["source"] == "legacy"
    legacy = describe(events.legacy_pubsub("t", message="hello", attributes={"x": "1"}))
    assert legacy["messages"][0]["body"] == "hello" and legacy["messages"][0]["queue"] == "t"
    push = {
        "message": {"data": "aGk=", "messageId": "7"},
        "subscription": "projects/p/subscriptions/s",
    }
    model = describe(push)
    assert model["source"] == "pubsub-push" and model["messages"][0]["id"] == "7"
    assert model["messages"][0]["receive_count"] is None
    attempted = describe({**push, "deliveryAttempt": 2})
    assert attempted["messages"][0]["receive_count"] == 2


@pytest.mark.parametrize(
    "document",
    [
        {},
        [],
        "text",
        {"hello": "world"},
        aws_events.sqs("jobs", [b"x"]),
        aws_events.s3("created", "bucket", "key"),
        {"id": "1", "eventType": "Microsoft.Storage.BlobCreated", "subject": "/x", "data": {}},
    ],
    ids=["empty", "list", "text", "unknown", "sqs", "s3", "event-grid"],
)
def test_other_documents_are_not_google_cloud_events(document: Any) -> None:
    assert not looks_like(document)
    with pytest.raises(UnrecognizedEvent) as raised:
        describe(document)
    assert "expected" in str(raised.value) and raised.value.expected


@pytest.mark.parametrize(
    "change",
    [
        lambda e: e.update(specversion="0.1"),
        lambda e: e["data"].update(size="big"),
        lambda e: e["data"].pop("name"),
        lambda e: e.update(data="not json"),
    ],
    ids=["specversion", "size", "name", "data"],
)
def test_malformed_cloudevents_are_unrecognized(change: Any) -> None:
    document = events.storage()
    change(document)
    with pytest.raises(UnrecognizedEvent):
        describe(document)


def test_malformed_legacy_and_http_documents_are_unrecognized() -> None:
    legacy = events.legacy_storage()
    legacy["context"]["eventType"] = "providers/unknown/eventTypes/x"
    with pytest.raises(UnrecognizedEvent, match="background event"):
        describe(legacy)
    with pytest.raises(UnrecognizedEvent):
        describe({"method": "GET", "path": "/", "body_base64": "***"})
    with pytest.raises(UnrecognizedEvent):
        describe({"method": "GET", "path": "/", "headers": [["only-a-name"]]})
