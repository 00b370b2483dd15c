"""The Google Cloud event generators: documented shapes, modes and the CLI's options."""

from __future__ import annotations

import base64
import json

import pytest

from polyfn.cli.events import generate
from polyfn.hosts.events import gcp as events


def test_every_kind_has_defaults_and_is_json() -> None:
    for kind, generator in events.GENERATORS.items():
        document = generator()
        assert json.loads(json.dumps(document)) == document, kind


@pytest.mark.parametrize(
    ("action", "kind"),
    [
        ("created", "google.cloud.storage.object.v1.finalized"),
        ("finalized", "google.cloud.storage.object.v1.finalized"),
        ("deleted", "google.cloud.storage.object.v1.deleted"),
    ],
)
def test_storage_cloudevent_shape(action: str, kind: str) -> None:
    event = events.storage(action, "photos", "a/b c.jpg", size=10, content_type="image/jpeg")
    assert event["specversion"] == "1.0" and event["type"] == kind
    assert event["source"] == "//storage.googleapis.com/projects/_/buckets/photos"
    assert event["subject"] == "objects/a/b c.jpg"
    data = event["data"]
    assert (data["bucket"], data["name"], data["size"]) == ("photos", "a/b c.jpg", "10")
    assert data["contentType"] == "image/jpeg" and data["kind"] == "storage#object"
    assert data["selfLink"].endswith("/o/a%2Fb%20c.jpg")
    with pytest.raises(ValueError, match="action"):
        events.storage("archived")


def test_pubsub_cloudevent_shape() -> None:
    event = events.pubsub("orders", b"\x00\x01", {"k": "v"}, delivery_attempt=5, project="p1")
    assert event["type"] == "google.cloud.pubsub.topic.v1.messagePublished"
    assert event["source"] == "//pubsub.googleapis.com/projects/p1/topics/orders"
    message = event["data"]["message"]
    assert base64.b64decode(message["data"]) == b"\x00\x01"
    assert message["attributes"] == {"k": "v"}
    assert message["messageId"] == message["message_id"] == event["id"]
    assert event["data"]["deliveryAttempt"] == 5
    assert "deliveryAttempt" not in events.pubsub()["data"]
    assert "attributes" not in events.pubsub()["data"]["message"]


def test_pubsub_body_forms() -> None:
    def body(**options: object) -> bytes:
        return base64.b64decode(events.pubsub(**options)["data"]["message"]["data"])  # type: ignore[arg-type]

    assert body(message="héllo") == "héllo".encode()
    assert body(data={"n": 1}) == b'{"n": 1}'
    assert body(data="text") == b"text"
    assert body(data=b"") == b""
    with pytest.raises(ValueError, match="not both"):
        events.pubsub(data=b"x", message="y")


def test_binary_and_structured_modes() -> None:
    event = events.storage("created", "b", "k")
    headers, body = events.binary_mode(event)
    assert headers["ce-id"] == event["id"] and headers["ce-type"] == event["type"]
    assert headers["ce-subject"] == "objects/k" and headers["ce-bucket"] == "b"
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == event["data"]
    binary = events.cloudevent("//s", "t", b"\x00\xff", datacontenttype="application/octet-stream")
    headers, body = events.binary_mode(binary)
    assert body == b"\x00\xff" and headers["Content-Type"] == "application/octet-stream"
    headers, body = events.structured_mode(event)
    assert headers["Content-Type"].startswith("application/cloudevents+json")
    assert json.loads(body) == event


def test_legacy_forms() -> None:
    nested = events.legacy_storage("deleted", bucket="b", key="k")
    assert nested["context"]["eventType"] == "google.storage.object.delete"
    assert nested["context"]["resource"]["name"] == "projects/_/buckets/b/objects/k"
    flat = events.legacy_pubsub("t", message="m", flat=True)
    assert flat["eventType"] == "google.pubsub.topic.publish" and "context" not in flat
    assert base64.b64decode(flat["data"]["data"]) == b"m"


def test_http_documents() -> None:
    document = events.http(
        "post", "/a b", query={"q": "1"}, headers=[("X", "1"), ("X", "2")], body="é"
    )
    assert document == {
        "method": "POST",
        "path": "/a b",
        "query": {"q": ["1"]},
        "headers": {"X": ["1", "2"]},
        "body": "é",
    }
    assert events.http("GET", "/", body=b"\xff")["body_base64"] == "/w=="
    with pytest.raises(ValueError, match="path"):
        events.http("GET", "relative")
    flask = events.flask_kwargs(document)
    assert flask["path"] == "/a%20b" and flask["query_string"] == "q=1"
    assert flask["headers"] == [("X", "1"), ("X", "2")] and flask["data"] == "é".encode()
    sent = events.requests_kwargs(document, "http://127.0.0.1:9/")
    assert sent["url"] == "http://127.0.0.1:9/a%20b" and sent["headers"] == {"X": "1, 2"}


def test_scheduler_documents() -> None:
    over_http = events.scheduler("job-1", schedule_time="2025-11-20T03:00:00Z")
    assert over_http["method"] == "POST"
    assert over_http["headers"]["X-CloudScheduler"] == ["true"]
    assert over_http["headers"]["X-CloudScheduler-JobName"] == ["job-1"]
    assert over_http["headers"]["X-CloudScheduler-ScheduleTime"] == ["2025-11-20T03:00:00Z"]
    over_pubsub = events.scheduler_pubsub("job-2")
    assert over_pubsub["data"]["message"]["attributes"] == {"polyfn-schedule": "job-2"}


def test_the_cli_options_reach_the_generators() -> None:
    stored = generate("gcp", "storage-finalized", {"bucket": "b", "key": "in/x y.jpg"})
    assert stored["data"]["name"] == "in/x y.jpg" and stored["data"]["bucket"] == "b"
    published = generate("gcp", "pubsub", {"topic": "t", "message": ["hello"]})
    assert base64.b64decode(published["data"]["message"]["data"]) == b"hello"
    request = generate(
        "gcp",
        "http",
        {"method": "PUT", "path": "/p", "body": "b", "header": [("A", "1")], "query": {"q": ["1"]}},
    )
    assert (request["method"], request["headers"], request["query"]) == (
        "PUT",
        {"A": ["1"]},
        {"q": ["1"]},
    )
    event = generate("gcp", "cloudevent", {"source": "//s", "type": "t", "data": {"a": 1}})
    assert (event["source"], event["type"], event["data"]) == ("//s", "t", {"a": 1})
    legacy = generate("gcp", "legacy-storage", {"action": "deleted", "bucket": "b", "key": "k"})
    assert legacy["context"]["eventType"] == "google.storage.object.delete"
