"""describe() and looks_like() for every kind of AWS event, and the generators behind them."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from polyfn.adapters.aws.describe import describe, looks_like
from polyfn.core.errors import UnrecognizedEvent
from polyfn.hosts.events import aws as events

HTTP_KEYS = {
    "method",
    "path",
    "query",
    "headers",
    "cookies",
    "body",
    "body_base64",
    "client_ip",
    "request_id",
}


@pytest.mark.parametrize(
    ("kind", "event"),
    [
        ("apigw-v1", events.apigw_v1("POST", "/a b", query={"q": ["1", "2"]}, body=b"hi")),
        ("apigw-v2", events.apigw_v2("POST", "/a b", query={"q": ["1", "2"]}, body=b"hi")),
        ("function-url", events.function_url("POST", "/a b", query={"q": ["1", "2"]}, body=b"hi")),
        ("alb", events.alb("POST", "/a b", query={"q": ["1", "2"]}, body=b"hi")),
    ],
)
def test_http_model(kind: str, event: dict[str, Any]) -> None:
    model = describe(event)
    assert model["cloud"] == "aws" and model["trigger"] == "http" and model["source"] == kind
    request = model["request"]
    assert set(request) == HTTP_KEYS
    assert request["method"] == "POST"
    assert request["path"] == "/a b"
    assert request["query"] == {"q": ["1", "2"]}
    assert request["body"] == "hi"
    assert request["body_base64"] == base64.b64encode(b"hi").decode()
    assert request["client_ip"] == events.CLIENT_IP
    assert all(name == name.lower() for name in request["headers"])
    assert request["headers"]["user-agent"] == [events.USER_AGENT]
    json.dumps(model)  # printable as it is


def test_http_model_binary_body_cookies_and_split_headers() -> None:
    event = events.apigw_v2(
        "PUT",
        "/x",
        headers=[
            ("Cookie", "a=1; b=2"),
            ("X-Tag", "1"),
            ("X-Tag", "2"),
            ("Content-Type", "image/png"),
        ],
        body=b"\xff\x00",
    )
    request = describe(event)["request"]
    assert request["body"] is None
    assert request["body_base64"] == base64.b64encode(b"\xff\x00").decode()
    assert request["cookies"] == {"a": "1", "b": "2"}
    assert request["headers"]["x-tag"] == ["1", "2"]
    assert request["request_id"] == event["requestContext"]["requestId"]


def test_http_model_empty_body_is_null() -> None:
    request = describe(events.apigw_v1())["request"]
    assert request["body"] is None and request["body_base64"] == ""


@pytest.mark.parametrize(
    "event",
    [
        events.s3("created", "uploads", "in/my photo.jpg", size=9, etag="e1"),
        events.s3_via_sns("created", "uploads", "in/my photo.jpg", size=9, etag="e1"),
        events.s3_via_sqs("created", "uploads", "in/my photo.jpg", size=9, etag="e1"),
        events.s3_via_sqs("created", "uploads", "in/my photo.jpg", size=9, etag="e1", via_sns=True),
        events.s3_via_eventbridge("created", "uploads", "in/my photo.jpg", size=9, etag="e1"),
    ],
    ids=["direct", "sns", "sqs", "sqs+sns", "eventbridge"],
)
def test_object_model_whatever_the_route(event: dict[str, Any]) -> None:
    model = describe(event)
    assert model["trigger"] == "object"
    (entry,) = model["events"]
    assert {k: entry[k] for k in ("action", "bucket", "key", "size", "etag")} == {
        "action": "created",
        "bucket": "uploads",
        "key": "in/my photo.jpg",
        "size": 9,
        "etag": "e1",
    }
    assert entry["time"] and entry["id"]


def test_object_model_of_a_deletion_and_the_test_event() -> None:
    (entry,) = describe(events.s3("deleted", "b", "k"))["events"]
    assert (entry["action"], entry["size"], entry["etag"]) == ("deleted", None, None)
    assert describe(events.s3_test_event()) == {
        "cloud": "aws",
        "trigger": "object",
        "events": [],
        "source": "s3-test",
    }


def test_message_model() -> None:
    event = events.sqs("jobs", ['{"n": 1}', "plain"], attributes={"origin": "t"}, receive_count=2)
    model = describe(event)
    assert model["trigger"] == "message"
    first, second = model["messages"]
    assert first == {
        "id": event["Records"][0]["messageId"],
        "body": '{"n": 1}',
        "body_base64": base64.b64encode(b'{"n": 1}').decode(),
        "attributes": {"origin": "t"},
        "receive_count": 2,
        "queue": "jobs",
    }
    assert second["body"] == "plain"


def test_sqs_batch_mixing_s3_and_plain_bodies_is_messages() -> None:
    event = events.sqs("q", [json.dumps(events.s3()), "plain"])
    assert describe(event)["trigger"] == "message"


def test_schedule_model() -> None:
    model = describe(events.schedule("shop-cleanup", time="2026-11-27T00:00:00Z"))
    assert model["trigger"] == "schedule"
    assert model["schedule"] == {"time": "2026-11-27T00:00:00Z", "name": "shop-cleanup"}


def test_event_models() -> None:
    bridge = describe(events.eventbridge("shop.orders", "OrderPlaced", {"order": 7}))
    assert bridge["trigger"] == "event"
    (entry,) = bridge["events"]
    assert (entry["source"], entry["type"], entry["data"], entry["subject"]) == (
        "shop.orders",
        "OrderPlaced",
        {"order": 7},
        None,
    )
    sns = describe(events.sns("orders", '{"order": 8}', subject="S"))
    (entry,) = sns["events"]
    assert entry["type"] == "aws.sns"
    assert entry["source"].endswith(":orders")
    assert (entry["subject"], entry["data"]) == ("S", {"order": 8})


def test_every_generator_gives_an_event_describe_understands() -> None:
    expected = {
        "apigw-v1": "http",
        "apigw-v2": "http",
        "alb": "http",
        "function-url": "http",
        "s3": "object",
        "s3-sns": "object",
        "s3-sqs": "object",
        "s3-eventbridge": "object",
        "sqs": "message",
        "sns": "event",
        "eventbridge": "event",
        "schedule": "schedule",
        "dynamodb-stream": "change",
    }
    assert set(events.GENERATORS) == set(expected)
    for kind, generate in events.GENERATORS.items():
        event = generate()
        json.loads(json.dumps(event))  # plain JSON, as Lambda delivers it
        assert looks_like(event)
        assert describe(event)["trigger"] == expected[kind], kind


def test_generators_take_the_cli_options() -> None:
    http = events.GENERATORS["apigw-v2"](method="POST", path="/x", body='{"a": 1}')
    assert describe(http)["request"]["body"] == '{"a": 1}'
    obj = events.GENERATORS["s3"](bucket="b", key="k 1")
    assert describe(obj)["events"][0]["key"] == "k 1"
    message = events.GENERATORS["sns"](message="hello")
    assert describe(message)["events"][0]["data"] == "hello"
    queued = events.GENERATORS["sqs"](message="one")
    assert [m["body"] for m in describe(queued)["messages"]] == ["one"]


def test_lambda_context_has_the_runtime_attributes() -> None:
    context = events.lambda_context("fn", timeout_ms=3000, memory_limit_in_mb=256)
    assert context.function_name == "fn"
    assert context.memory_limit_in_mb == 256
    assert context.invoked_function_arn.endswith(":function:fn")
    assert context.log_group_name == "/aws/lambda/fn"
    assert context.aws_request_id and context.function_version == "$LATEST"
    assert 0 < context.get_remaining_time_in_millis() <= 3000


@pytest.mark.parametrize("document", [{}, [], "x", {"Records": [{"eventSource": "other"}]}])
def test_not_aws(document: Any) -> None:
    assert looks_like(document) is False
    with pytest.raises(UnrecognizedEvent):
        describe(document)


def test_malformed_known_shapes_are_unrecognized_not_crashes() -> None:
    broken_body = events.apigw_v2("POST", "/", body=b"x")
    broken_body["body"], broken_body["isBase64Encoded"] = "!!!", True
    for document in (
        {"version": "2.0", "requestContext": {"http": {}}},
        {"Records": [{"eventSource": "aws:sqs"}]},
        broken_body,
    ):
        assert looks_like(document)
        with pytest.raises(UnrecognizedEvent, match="malformed"):
            describe(document)
