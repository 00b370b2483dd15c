"""``polyfn inspect`` for AWS: the core model a Lambda event becomes, as plain data.

It runs the handler's own translation (``sources.detect``, the request views, the
``records`` functions), so what it prints is what a handler would receive. Without an
App there is nothing to dispatch to, so an SQS batch whose every body is an S3
notification is shown as object events (the handler does the same when the queue has
no ``on_message`` consumer).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from polyfn.adapters.aws import records, sources
from polyfn.adapters.aws.http_request import (
    AlbRequest,
    ApiGatewayV1Request,
    ApiGatewayV2Request,
    FunctionUrlRequest,
)
from polyfn.core.errors import UnrecognizedEvent
from polyfn.core.events import ObjectEvent
from polyfn.core.http import HTTPError, Request

__all__ = ["describe", "looks_like"]

_REQUESTS: dict[str, Callable[[dict[str, Any], str], Request]] = {
    sources.AUTHORIZER_V1: ApiGatewayV1Request,
    sources.AUTHORIZER_V2: ApiGatewayV2Request,
    sources.APIGW_V1: ApiGatewayV1Request,
    sources.APIGW_V2: ApiGatewayV2Request,
    sources.FUNCTION_URL: FunctionUrlRequest,
    sources.ALB: AlbRequest,
}


def looks_like(event: Any) -> bool:
    """Whether ``event`` has the shape of an event some AWS source sends to Lambda."""
    try:
        sources.detect(event)
    except sources.UnhandledAwsEvent:
        return True  # AWS's, though not served: describe gives the reason
    except UnrecognizedEvent:
        return False
    return True


def describe(event: Any) -> dict[str, Any]:
    """The inspect model of one AWS event; ``UnrecognizedEvent`` for anything else."""
    kind = sources.detect(event)
    try:
        model = _describe(kind, event)
    except UnrecognizedEvent:
        raise
    except HTTPError as exc:
        raise UnrecognizedEvent(
            f"malformed {kind} event: {exc.message}", expected="an event as AWS sends it"
        ) from None
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise UnrecognizedEvent(
            f"malformed {kind} event ({type(exc).__name__}: {exc})",
            expected="an event as AWS sends it",
        ) from None
    model["source"] = kind
    return model


def _describe(kind: str, event: dict[str, Any]) -> dict[str, Any]:
    view = _REQUESTS.get(kind)
    if view is not None:
        # An authorizer call carries the request it asks about, read as its route would be.
        trigger = "authorizer" if kind in (sources.AUTHORIZER_V1, sources.AUTHORIZER_V2) else "http"
        return {"cloud": "aws", "trigger": trigger, "request": view(event, "").to_dict()}
    if kind == sources.S3:
        return _objects([records.s3_object_event(record) for record in event["Records"]])
    if kind == sources.S3_TEST:
        return _objects([])
    if kind == sources.S3_EVENTBRIDGE:
        return _objects([records.eventbridge_object_event(event)])
    if kind == sources.SQS:
        return _sqs(event["Records"])
    if kind == sources.SNS:
        return _sns(event["Records"])
    if kind == sources.DYNAMODB_STREAM:
        return _stream(event["Records"])
    if kind == sources.SCHEDULE:
        tick = records.schedule_tick(event)
        return {"cloud": "aws", "trigger": "schedule", "schedule": tick.to_dict()}
    return {
        "cloud": "aws",
        "trigger": "event",
        "events": [records.eventbridge_event(event).to_dict()],
    }


def _objects(object_events: list[ObjectEvent]) -> dict[str, Any]:
    return {
        "cloud": "aws",
        "trigger": "object",
        "events": [object_event.to_dict() for object_event in object_events],
    }


def _sqs(batch: list[dict[str, Any]]) -> dict[str, Any]:
    carried = [records.s3_objects_in(record.get("body")) for record in batch]
    if all(objects is not None for objects in carried):
        return _objects([event for objects in carried for event in objects or ()])
    queue = records.queue_name(str(batch[0].get("eventSourceARN", "")))
    messages = []
    for record in batch:
        message = records.sqs_message(record)
        message.queue = queue
        messages.append(message.to_dict())
    return {"cloud": "aws", "trigger": "message", "messages": messages}


def _stream(batch: list[dict[str, Any]]) -> dict[str, Any]:
    from polyfn.adapters.aws.stream_records import stream_change
    from polyfn.core.changes import MalformedChange

    try:
        changes = [stream_change(record).to_dict() for record in batch]
    except MalformedChange as exc:
        raise UnrecognizedEvent(
            f"malformed DynamoDB stream record ({exc})",
            expected="DynamoDB stream records as a Lambda event source mapping sends them",
        ) from None
    return {"cloud": "aws", "trigger": "change", "changes": changes}


def _sns(batch: list[dict[str, Any]]) -> dict[str, Any]:
    messages = [(record.get("Sns") or {}).get("Message") for record in batch]
    carried = [records.s3_objects_in(message) for message in messages]
    if all(objects is not None for objects in carried):
        return _objects([event for objects in carried for event in objects or ()])
    return {
        "cloud": "aws",
        "trigger": "event",
        "events": [records.sns_event(record).to_dict() for record in batch],
    }
