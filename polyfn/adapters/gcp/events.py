"""CloudEvents from Google Cloud -> the core model.

One function, ``translate``, reads a CloudEvent's context attributes and data, as
functions-framework hands them over (binary and structured mode alike, legacy background
events already converted), and returns what the App dispatches:

- ``google.cloud.storage.object.v1.finalized`` / ``.deleted`` -> ``ObjectEvent``. The
  data is the object's JSON API resource: ``bucket``, ``name`` (the key, never
  URL-encoded), ``size`` as a decimal STRING (it is an int64 in JSON), ``etag``,
  ``contentType``, ``timeCreated``, ``updated``, ``generation``.
- ``google.cloud.pubsub.topic.v1.messagePublished`` -> one ``Message`` (a Pub/Sub push
  carries exactly one). ``data.message.data`` is base64; ``data.deliveryAttempt`` is set
  only when the subscription has a dead-letter policy (0 or absent otherwise); the topic
  is the last segment of ``source`` ``//pubsub.googleapis.com/projects/P/topics/T``. A
  message with the attribute ``polyfn-schedule`` is a Cloud Scheduler tick instead.
- ``google.cloud.firestore.document.v1.created`` / ``updated`` / ``deleted`` /
  ``written`` -> one ``Change`` (``firestore_events``: the protobuf payload decoded).
- Anything else -> ``Event(id, source, type, subject, time, data)``.

Formats: Google's CloudEvents catalogue (github.com/googleapis/google-cloudevents,
``cloud/storage/v1/data.proto`` and ``cloud/pubsub/v1/data.proto``), read 2025-11.
The same code serves the functions and ``polyfn inspect``.

``serve`` then hands the translated value to the App, and ``serve_http_tick`` runs a tick
that arrived as an HTTP request. A failure raises ``InvocationFailed``, which
functions-framework answers with a 500, so Eventarc and Pub/Sub redeliver: nothing is
acknowledged before it succeeded.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any, Literal

from polyfn.adapters.gcp.bus_events import bus_event_from_message, carries_bus_event
from polyfn.adapters.gcp.http import to_flask_response
from polyfn.adapters.gcp.scheduler import SCHEDULE_ATTRIBUTE, utc_now
from polyfn.core.changes import Change
from polyfn.core.dispatch import error_response
from polyfn.core.errors import PolyfnError, UnrecognizedEvent
from polyfn.core.events import Event, Message, ObjectEvent, Schedule
from polyfn.core.http import Response

if TYPE_CHECKING:
    from polyfn.core.app import App
    from polyfn.core.context import Context
    from polyfn.core.functions import Function

__all__ = [
    "PUBSUB_PUBLISHED",
    "STORAGE_DELETED",
    "STORAGE_FINALIZED",
    "Inbound",
    "InvocationFailed",
    "pubsub_topic",
    "serve",
    "serve_http_tick",
    "translate",
]

STORAGE_FINALIZED = "google.cloud.storage.object.v1.finalized"
STORAGE_DELETED = "google.cloud.storage.object.v1.deleted"
PUBSUB_PUBLISHED = "google.cloud.pubsub.topic.v1.messagePublished"

# Firestore document events (Eventarc): adapters.gcp.firestore_events, loaded by the first.
FIRESTORE_DOCUMENT_EVENT = "google.cloud.firestore.document.v1."

_STORAGE_ACTIONS: dict[str, Literal["created", "deleted"]] = {
    STORAGE_FINALIZED: "created",
    STORAGE_DELETED: "deleted",
}
_TOPIC_SOURCE = re.compile(r"//pubsub\.googleapis\.com/projects/[^/]+/topics/([^/]+)")
_BUCKET_SOURCE = re.compile(r"//storage\.googleapis\.com/projects/[^/]+/buckets/([^/]+)")
_EXPECTED_STORAGE = "a Cloud Storage object CloudEvent (data.bucket, data.name)"
_EXPECTED_PUBSUB = "a Pub/Sub messagePublished CloudEvent (data.message.data, base64)"

Inbound = ObjectEvent | Message | Schedule | Event | Change


class InvocationFailed(PolyfnError):
    """An event's handler raised (or its message failed); functions-framework answers 500
    and the platform redelivers. The handler's exception is logged, not carried here, since
    this message is what functions-framework sends back."""


def translate(attributes: Mapping[str, Any], data: Any, raw: Any = None) -> Inbound:
    """The core value a CloudEvent becomes; ``UnrecognizedEvent`` when it is malformed."""
    for required in ("id", "source", "type"):
        if not isinstance(attributes.get(required), str) or not attributes[required]:
            raise UnrecognizedEvent(
                f"the CloudEvent has no {required!r} attribute",
                expected="a CloudEvent with id, source and type",
            )
    kind = attributes["type"]
    action = _STORAGE_ACTIONS.get(kind)
    if action is not None:
        return _object_event(action, attributes, data, raw)
    if kind.startswith(FIRESTORE_DOCUMENT_EVENT):
        return _document_change(attributes, data, raw)
    if kind == PUBSUB_PUBLISHED:
        message = _message(attributes, data, raw)
        job = message.attributes.get(SCHEDULE_ATTRIBUTE)
        if job is not None:
            return Schedule(_publish_time(attributes, data), job, raw=raw)
        if carries_bus_event(message):  # published to an event bus: its own source/type
            return bus_event_from_message(message, raw)
        return message
    return Event(
        attributes["id"],
        attributes["source"],
        kind,
        subject=_optional_text(attributes.get("subject")),
        time=_optional_text(attributes.get("time")),
        data=data,
        raw=raw,
    )


def pubsub_topic(source: str) -> str | None:
    """``T`` of ``//pubsub.googleapis.com/projects/P/topics/T``; None for other sources
    (a raw push subscription without the topic in its URL converts to an empty one)."""
    match = _TOPIC_SOURCE.fullmatch(source)
    return match.group(1) if match else None


# ----------------------------------------------------------------------------- Firestore


def _document_change(attributes: Mapping[str, Any], data: Any, raw: Any) -> Change | Event:
    from polyfn.adapters.gcp.firestore_events import (
        FIRESTORE_EVENTS,
        document_change,
        event_type,
    )
    from polyfn.core.changes import MalformedChange

    if event_type(attributes["type"]) not in FIRESTORE_EVENTS:
        # A Firestore event type polyfn does not model (a future one): a generic Event.
        return Event(attributes["id"], attributes["source"], attributes["type"], data=data, raw=raw)
    try:
        return document_change(attributes, data, raw)
    except MalformedChange as exc:
        raise UnrecognizedEvent(
            f"malformed Firestore document event ({exc})",
            expected="a Firestore document CloudEvent with a protobuf DocumentEventData",
        ) from None


# ----------------------------------------------------------------------------- storage


def _object_event(
    action: Literal["created", "deleted"],
    attributes: Mapping[str, Any],
    data: Any,
    raw: Any,
) -> ObjectEvent:
    document = _json_object(data, _EXPECTED_STORAGE)
    if document.get("resourceState") == "not_exists":
        # A 1st gen ``object.change`` event covers deletions too, told by resourceState
        # "not_exists" (Cloud Functions docs, "Google Cloud Storage Triggers (1st gen)",
        # legacy object.change, read 2026-12); functions-framework converts every
        # object.change to ``finalized`` all the same.
        action = "deleted"
    name = document.get("name")
    if not isinstance(name, str) or not name:
        raise UnrecognizedEvent(
            "the Cloud Storage event has no object name", expected=_EXPECTED_STORAGE
        )
    bucket = document.get("bucket")
    if not isinstance(bucket, str) or not bucket:
        match = _BUCKET_SOURCE.fullmatch(attributes["source"])
        if match is None:
            raise UnrecognizedEvent(
                "the Cloud Storage event names no bucket", expected=_EXPECTED_STORAGE
            )
        bucket = match.group(1)
    return ObjectEvent(
        action,
        bucket,
        name,
        size=_size(document.get("size")),
        etag=_optional_text(document.get("etag")),
        content_type=_optional_text(document.get("contentType")),
        time=_optional_text(attributes.get("time"))
        or _optional_text(document.get("updated"))
        or _optional_text(document.get("timeCreated")),
        id=attributes["id"],
        raw=raw,
        # The object resource holds the custom metadata (absent: none), so the loop guard
        # reads the writer's hop count without a request.
        metadata=_text_map(document.get("metadata")),
    )


def _text_map(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        return {}
    return {str(name): item for name, item in value.items() if isinstance(item, str)}


def _size(value: Any) -> int | None:
    # int64 fields travel as JSON strings (proto3 JSON mapping); accept a number as well.
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    raise UnrecognizedEvent(
        f"the Cloud Storage object size {value!r} is not a whole number",
        expected="size as a decimal string",
    )


# ----------------------------------------------------------------------------- pub/sub


def _message(attributes: Mapping[str, Any], data: Any, raw: Any) -> Message:
    document = _json_object(data, _EXPECTED_PUBSUB)
    message = document.get("message")
    if not isinstance(message, Mapping):
        raise UnrecognizedEvent("the Pub/Sub event has no message", expected=_EXPECTED_PUBSUB)
    encoded = message.get("data") or ""
    if not isinstance(encoded, str):
        raise UnrecognizedEvent("Pub/Sub message data is not a string", expected=_EXPECTED_PUBSUB)
    try:
        body = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise UnrecognizedEvent(
            "Pub/Sub message data is not base64", expected=_EXPECTED_PUBSUB
        ) from None
    message_attributes = message.get("attributes") or {}
    if not isinstance(message_attributes, Mapping) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in message_attributes.items()
    ):
        raise UnrecognizedEvent(
            "Pub/Sub message attributes must map strings to strings", expected=_EXPECTED_PUBSUB
        )
    message_id = message.get("messageId") or message.get("message_id") or attributes["id"]
    return Message(
        str(message_id),
        body,
        attributes=dict(message_attributes),
        receive_count=_delivery_attempt(document.get("deliveryAttempt")),
        queue=pubsub_topic(attributes["source"]) or "",
        raw=raw,
    )


def _delivery_attempt(value: Any) -> int | None:
    # 0 or absent: the subscription has no dead-letter policy, so Pub/Sub does not count.
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    if value in (None, 0):
        return None
    raise UnrecognizedEvent(
        f"Pub/Sub deliveryAttempt {value!r} is not a positive whole number",
        expected=_EXPECTED_PUBSUB,
    )


def _publish_time(attributes: Mapping[str, Any], data: Any) -> str:
    message = data.get("message") if isinstance(data, Mapping) else None
    if isinstance(message, Mapping):
        published = message.get("publishTime") or message.get("publish_time")
        if isinstance(published, str) and published:
            return published
    return _optional_text(attributes.get("time")) or utc_now()


# ----------------------------------------------------------------------------- helpers


def _json_object(data: Any, expected: str) -> Mapping[str, Any]:
    """The event data as a JSON object: parsed already (JSON content type) or as bytes."""
    if isinstance(data, bytes | bytearray | str):
        try:
            data = json.loads(data)
        except (ValueError, UnicodeDecodeError):
            raise UnrecognizedEvent("the event data is not JSON", expected=expected) from None
    if not isinstance(data, Mapping):
        raise UnrecognizedEvent(
            f"the event data is {type(data).__name__}, not a JSON object", expected=expected
        )
    return data


def _optional_text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


# ----------------------------------------------------------------------------- serving


def serve(app: App, inbound: Inbound, ctx: Context, pinned: str) -> None:
    """Run the function ``inbound`` is for; ``InvocationFailed`` when it failed.

    ``pinned`` is POLYFN_FUNCTION as read when the target was made ("" for none), which
    spares handle_object and handle_event reading the environment per event.
    """
    if isinstance(inbound, Message):
        if app.handle_messages(inbound.queue or None, [inbound], ctx):
            # handle_messages logged the handler's exception already.
            raise InvocationFailed(f"message {inbound.id} failed; Pub/Sub will redeliver it")
        return
    if isinstance(inbound, Change):
        # One document per event: a failure is the event's, which Eventarc redelivers
        # (deploy sets --retry).
        if app.handle_changes(inbound.table or None, [inbound], ctx, function=pinned or None):
            raise InvocationFailed(f"change {inbound.id} failed; Eventarc will redeliver it")
        return
    run: Callable[[], object]
    if isinstance(inbound, Schedule):
        fn = app.scheduled_function(inbound.name, pinned)
        if fn is None:
            raise UnrecognizedEvent(
                f"no scheduled function for Cloud Scheduler job {inbound.name!r}",
                expected=f"the attribute {SCHEDULE_ATTRIBUTE} naming a scheduled function",
            )
        described = f"scheduled function {fn.name}"
        run = partial(app.handle_schedule, inbound, ctx, function=fn.name)
    elif isinstance(inbound, ObjectEvent):
        described = f"object event {inbound.action} {inbound.bucket}/{inbound.key}"
        run = partial(app.handle_object, inbound, ctx, function=pinned)
    else:
        described = f"event {inbound.type} from {inbound.source}"
        run = partial(app.handle_event, inbound, ctx, function=pinned)
    try:
        run()
    except Exception:
        ctx.logger.exception("%s failed (request %s)", described, ctx.request_id)
        raise InvocationFailed(f"{described} failed; the event will be redelivered") from None


def serve_http_tick(app: App, fn: Function, tick: Schedule, ctx: Context) -> Any:
    """Run ``fn`` for a tick Cloud Scheduler sent over HTTP; the werkzeug answer says how
    it went (a 500 makes Cloud Scheduler retry the job as its retry policy says)."""
    try:
        app.handle_schedule(tick, ctx, function=fn.name)
    except Exception:
        ctx.logger.exception("scheduled function %s failed (request %s)", fn.name, ctx.request_id)
        return to_flask_response(error_response(500, "Internal Server Error", ctx.request_id))
    body = {"function": fn.name, "time": tick.time, "request_id": ctx.request_id}
    return to_flask_response(Response.json(body))
