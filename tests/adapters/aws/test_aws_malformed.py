"""Malformed record and HTTP events fail with ``UnrecognizedEvent`` (or a 400), never an
untyped exception (issue 13, item 5; tests/fuzz finds the rest)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from polyfn import App, Event, Message, ObjectEvent, Request, Response, Schedule
from polyfn.adapters import aws
from polyfn.core.errors import UnrecognizedEvent
from polyfn.hosts.events import aws as events


def app() -> App:
    app = App("malformed")
    jobs, files = app.queue("jobs"), app.bucket("files")
    app.on_message(jobs)(_noop_message)
    app.on_object_created(files)(_noop_object)
    app.schedule("rate(1 hour)")(_noop_tick)
    app.on_event(source="shop.orders", type="OrderPlaced")(_noop_event)
    app.get("/items/{id}")(_item)
    return app


def _noop_message(msg: Message) -> None: ...
def _noop_object(event: ObjectEvent) -> None: ...
def _noop_tick(tick: Schedule) -> None: ...
def _noop_event(event: Event) -> None: ...


def _item(req: Request) -> Response:
    return Response.json(
        {"headers": len(req.headers), "query": len(req.query), "body": len(req.body)}
    )


def _set(path: tuple[Any, ...], value: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def change(event: dict[str, Any]) -> dict[str, Any]:
        event = copy.deepcopy(event)
        target = event
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value
        return event

    return change


CASES = {
    "schedule resources is a number": (events.schedule("_noop_tick"), ("resources",), 5),
    "sqs messageAttributes is a string": (
        events.sqs("jobs", ["x"]),
        ("Records", 0, "messageAttributes"),
        "a=b",
    ),
    "sqs body is a number": (events.sqs("jobs", ["x"]), ("Records", 0, "body"), 5),
    "s3 key is a number": (
        events.s3("created", "files", "in/a.jpg"),
        ("Records", 0, "s3", "object", "key"),
        7,
    ),
    "s3 bucket is a list": (
        events.s3("created", "files", "a"),
        ("Records", 0, "s3", "bucket", "name"),
        [],
    ),
    "eventbridge detail-type is a number": (events.eventbridge(), ("detail-type",), 5),
    "eventbridge source is a list": (events.eventbridge(), ("source",), ["shop.orders"]),
    "eventbridge id is an object": (events.eventbridge(), ("id",), {}),
    "eventbridge resources is text": (events.eventbridge(), ("resources",), "arn"),
    "s3 via eventbridge key is a number": (
        events.s3_via_eventbridge("created", "files", "a"),
        ("detail", "object", "key"),
        1,
    ),
    "sns subject is a number": (
        events.sns("topic", "hi", "subject"),
        ("Records", 0, "Sns", "Subject"),
        1,
    ),
    "sns is a list": (events.sns("topic", "hi", "subject"), ("Records", 0, "Sns"), []),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_malformed_records_are_unrecognized_events(name: str) -> None:
    base, path, value = CASES[name]
    handler = aws.lambda_handler(app(), backends="keep")
    handler(copy.deepcopy(base))  # the event as AWS sends it is served
    with pytest.raises(UnrecognizedEvent):
        handler(_set(path, value)(base))


HTTP_CASES = {
    "v2 header value is a number": (events.apigw_v2("GET", "/items/1"), ("headers", "x-a"), 5),
    "v1 multi-value header is empty": (
        events.apigw_v1("GET", "/items/1"),
        ("multiValueHeaders", "x-a"),
        [],
    ),
    "v1 query values are numbers": (
        events.apigw_v1("GET", "/items/1"),
        ("multiValueQueryStringParameters",),
        {"q": [1]},
    ),
    "alb header list is empty": (events.alb("GET", "/items/1"), ("multiValueHeaders", "host"), []),
    "base64 body is an object": (
        dict(events.alb("GET", "/items/1"), isBase64Encoded=True),
        ("body",),
        {"a": 1},
    ),
    "function url cookies are numbers": (
        events.function_url("GET", "/items/1"),
        ("cookies",),
        [1],
    ),
}


@pytest.mark.parametrize("name", sorted(HTTP_CASES))
def test_malformed_request_parts_are_a_400_not_a_500(name: str) -> None:
    base, path, value = HTTP_CASES[name]
    handler = aws.lambda_handler(app(), backends="keep")
    assert handler(copy.deepcopy(base))["statusCode"] == 200
    assert handler(_set(path, value)(base))["statusCode"] == 400


def test_a_route_key_that_is_not_text_is_ignored() -> None:
    # API Gateway's routeKey only spares a route lookup; a malformed one must not cost a 500.
    event = events.apigw_v2("GET", "/items/1")
    event["routeKey"] = ["GET /items/{id}"]
    assert aws.lambda_handler(app(), backends="keep")(event)["statusCode"] == 200


@pytest.mark.parametrize(
    ("base", "path", "value"),
    [
        (events.apigw_v2("GET", "/items/1"), ("rawPath",), ["/items/1"]),
        (events.alb("GET", "/items/1"), ("path",), ["/items/1"]),
        (events.apigw_v1("GET", "/items/1"), ("httpMethod",), None),
    ],
    ids=["v2-path-list", "alb-path-list", "v1-method-null"],
)
def test_malformed_routing_fields_are_unrecognized_events(
    base: dict[str, Any], path: tuple[Any, ...], value: Any
) -> None:
    handler = aws.lambda_handler(app(), backends="keep")
    with pytest.raises(UnrecognizedEvent):
        handler(_set(path, value)(base))
