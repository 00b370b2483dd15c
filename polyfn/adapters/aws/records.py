"""S3, SQS, SNS and EventBridge payloads -> ObjectEvent, Message, Event and Schedule.

The handler and ``polyfn inspect`` both translate with these functions, so what inspect
prints is what a handler receives.

Formats: S3 notification structure (AmazonS3/latest/userguide/
notification-content-structure.html), S3 EventBridge messages (.../ev-events.html), SQS
and SNS Lambda events (lambda/latest/dg/with-sqs.html, with-sns.html), EventBridge
events (eventbridge/latest/ref/overiew-event-structure.html); all read 2026-11.
"""

from __future__ import annotations

from polyfn.adapters.aws import url_codec
from polyfn.core import json_codec
from polyfn.core.errors import UnrecognizedEvent
from polyfn.core.events import Event, Message, ObjectEvent, Schedule

# trace_context.TRACE_DETAIL_KEY, written out: an event without a trace loads no trace
# parsing (tests/core/test_observability_imports.py).
_TRACE_DETAIL_KEY = "_polyfn"

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (cheap_typing.py)
if TYPE_CHECKING:
    from typing import Any

    from polyfn.core.events import ObjectAction

__all__ = [
    "eventbridge_event",
    "eventbridge_object_event",
    "may_carry_s3",
    "queue_name",
    "s3_object_event",
    "s3_objects_in",
    "schedule_tick",
    "sns_event",
    "sqs_message",
]

_S3_ACTIONS: dict[str, ObjectAction] = {
    "ObjectCreated": "created",
    "ObjectRemoved": "deleted",
    # Lifecycle expiration removes the object (or puts a delete marker on it).
    "LifecycleExpiration": "deleted",
}


def s3_object_event(record: dict[str, Any]) -> ObjectEvent:
    """One S3 notification record; the key arrives URL-encoded (``+`` is a space)."""
    name = str(record.get("eventName", "")).removeprefix("s3:")
    action = _S3_ACTIONS.get(name.partition(":")[0])
    if action is None:
        raise UnrecognizedEvent(
            f"S3 event {name!r} is neither an object creation nor a removal",
            expected="ObjectCreated:*, ObjectRemoved:* or LifecycleExpiration:* records",
        )
    try:
        s3 = record["s3"]
        obj = s3["object"]
        bucket = s3["bucket"]["name"]
        encoded_key = obj["key"]
    except (KeyError, TypeError) as exc:
        raise UnrecognizedEvent(
            f"S3 record without {exc}", expected="s3.bucket.name and s3.object.key"
        ) from None
    _require_text(bucket, "S3 record's s3.bucket.name")
    _require_text(encoded_key, "S3 record's s3.object.key")
    size = obj.get("size")
    return ObjectEvent(
        action,
        bucket,
        _decode_key(encoded_key),
        size=size if isinstance(size, int) else None,
        etag=obj.get("eTag"),
        time=record.get("eventTime"),
        # The sequencer orders the events of one key; with bucket and key it is unique.
        id=obj.get("sequencer"),
        raw=record,
    )


def _require_text(value: Any, what: str) -> None:
    if type(value) is not str:
        raise UnrecognizedEvent(f"{what} is a {type(value).__name__}, not a string")


def _first_resource(event: dict[str, Any], what: str) -> str | None:
    """The first ARN of an EventBridge event's ``resources`` (a list of strings)."""
    resources = event.get("resources")
    if resources is None or resources == []:
        return None
    if type(resources) is not list or type(resources[0]) is not str:
        raise UnrecognizedEvent(
            f"{what} has resources {resources!r:.60}", expected="a list of ARN strings"
        )
    return resources[0]


def _decode_key(key: str) -> str:
    if "%" not in key and "+" not in key:
        return key  # most keys: nothing to decode, and urllib.parse not to import
    return url_codec.unquote_plus(key)


def eventbridge_object_event(event: dict[str, Any]) -> ObjectEvent:
    """An S3 "Object Created" / "Object Deleted" event delivered through EventBridge.

    Unlike notifications, these carry the key as stored, not URL-encoded (moto 5.2
    emits them so too), so the key is used as it is.
    """
    try:
        detail = event["detail"]
        obj = detail["object"]
        bucket = detail["bucket"]["name"]
        key = obj["key"]
    except (KeyError, TypeError) as exc:
        raise UnrecognizedEvent(
            f"S3 EventBridge event without {exc}",
            expected="detail.bucket.name and detail.object.key",
        ) from None
    _require_text(bucket, "S3 EventBridge event's detail.bucket.name")
    _require_text(key, "S3 EventBridge event's detail.object.key")
    action: ObjectAction = "created" if event.get("detail-type") == "Object Created" else "deleted"
    size = obj.get("size")
    return ObjectEvent(
        action,
        bucket,
        key,
        size=size if isinstance(size, int) else None,
        etag=obj.get("etag"),
        time=event.get("time"),
        id=event.get("id"),
        raw=event,
    )


def may_carry_s3(text: Any) -> bool:
    """A cheap test that rules out most texts that are not S3 notifications."""
    return type(text) is str and ("aws:s3" in text or "aws.s3" in text or "s3:TestEvent" in text)


def s3_objects_in(text: Any) -> list[ObjectEvent] | None:
    """The object events an SQS body or SNS message carries.

    ``[]`` for the ``s3:TestEvent`` (nothing to do), ``None`` when the text is not an
    S3 notification at all. Handles the notification itself, an SNS envelope around it
    (SNS -> SQS without raw delivery), and an S3 EventBridge event (EventBridge -> SQS).
    """
    # A substring test first: most message bodies are not S3 notifications, and this
    # keeps them from being parsed twice (the handler parses its own body).
    if not may_carry_s3(text):
        return None
    try:
        document = json_codec.decode(text)
    except ValueError:
        return None
    if type(document) is not dict:
        return None
    if document.get("Event") == "s3:TestEvent":
        return []
    records = document.get("Records")
    if type(records) is list and records:
        if all(type(r) is dict and r.get("eventSource") == "aws:s3" for r in records):
            return [s3_object_event(record) for record in records]
        return None
    if document.get("Type") == "Notification" and "TopicArn" in document:
        return s3_objects_in(document.get("Message"))
    if document.get("source") == "aws.s3" and document.get("detail-type") in (
        "Object Created",
        "Object Deleted",
    ):
        return [eventbridge_object_event(document)]
    return None


def queue_name(arn: str) -> str:
    """``arn:aws:sqs:us-east-1:123456789012:jobs`` -> ``jobs``."""
    return arn.rpartition(":")[2]


def sqs_message(record: dict[str, Any]) -> Message:
    # Message's slots are filled here rather than through __init__, whose keyword
    # defaults cost as much as the rest of the translation; a batch makes ten of these.
    # test_sqs_message_sets_every_slot fails if core adds a slot this misses.
    message = _new(Message)
    message.id = record["messageId"]
    _require_text(message.id, "SQS record's messageId")
    body = record.get("body") or ""
    if type(body) is not str and type(body) is not bytes:  # bytes: a direct call from Python
        raise UnrecognizedEvent(f"SQS record's body is a {type(body).__name__}, not a string")
    message._body_source = body
    message._body = body if type(body) is bytes else None
    attributes = record.get("messageAttributes")
    if attributes and type(attributes) is not dict:
        raise UnrecognizedEvent(
            f"SQS record's messageAttributes is a {type(attributes).__name__}, not an object"
        )
    message.attributes = _sqs_attributes(attributes) if attributes else {}
    system = record.get("attributes")
    count = system.get("ApproximateReceiveCount") if type(system) is dict else None
    # Lambda sends the count as a decimal string ("1"); anything else is not a count.
    message.receive_count = int(count) if type(count) is str and count.isdigit() else None
    message.queue = ""
    message.raw = record
    return message


_new = object.__new__


def _sqs_attributes(attributes: dict[str, Any]) -> dict[str, str]:
    # String and Number attributes carry stringValue; Binary ones carry binaryValue,
    # which the Lambda event already gives as base64 text: kept as that text.
    result: dict[str, str] = {}
    for name, attribute in attributes.items():
        if type(attribute) is not dict:
            continue
        value = attribute.get("stringValue")
        if value is None:
            value = attribute.get("binaryValue")
        if value is not None:
            result[name] = str(value)
    return result


def sns_event(record: dict[str, Any]) -> Event:
    """An SNS notification as an Event.

    id = MessageId, source = TopicArn, type = "aws.sns", subject = Subject, time =
    Timestamp, data = the message parsed as JSON when it is a JSON object or array,
    else the message text.
    """
    try:
        sns = record["Sns"]
        message_id = sns["MessageId"]
    except (KeyError, TypeError) as exc:
        raise UnrecognizedEvent(f"SNS record without {exc}", expected="Sns.MessageId") from None
    _require_text(message_id, "SNS record's Sns.MessageId")
    topic, subject = sns.get("TopicArn", ""), sns.get("Subject")
    _require_text(topic, "SNS record's Sns.TopicArn")
    if subject is not None:
        _require_text(subject, "SNS record's Sns.Subject")
    return Event(
        message_id,
        topic,
        "aws.sns",
        subject=subject,
        time=sns.get("Timestamp"),
        data=_json_or_text(sns.get("Message")),
        raw=record,
    )


def _json_or_text(message: Any) -> Any:
    if type(message) is str and message.lstrip()[:1] in ("{", "["):
        try:
            return json_codec.decode(message)
        except ValueError:
            pass
    return message


def eventbridge_event(event: dict[str, Any]) -> Event:
    """id, source, type = detail-type, subject = the first resource, time, data = detail."""
    try:
        event_id, source, detail_type = event["id"], event["source"], event["detail-type"]
    except KeyError as exc:
        raise UnrecognizedEvent(
            f"EventBridge event without {exc}", expected="id, source and detail-type"
        ) from None
    _require_text(event_id, "EventBridge event's id")
    _require_text(source, "EventBridge event's source")
    _require_text(detail_type, "EventBridge event's detail-type")
    detail = event.get("detail")
    trace: dict[str, str] = {}
    if isinstance(detail, dict) and _TRACE_DETAIL_KEY in detail:
        # A polyfn publisher's trace (backends.event_bus.put_events_entry): the handler
        # sees the data as it was published.
        from polyfn.core.trace_context import TRACE_DETAIL_KEY, carrier_from_extensions

        detail = dict(detail)
        carried = detail.pop(TRACE_DETAIL_KEY)
        trace = carrier_from_extensions(carried) if isinstance(carried, dict) else {}
    return Event(
        event_id,
        source,
        detail_type,
        subject=_first_resource(event, "EventBridge event"),
        time=event.get("time"),
        data=detail,
        raw=event,
        trace=trace,
    )


def schedule_tick(event: dict[str, Any]) -> Schedule:
    """A scheduled rule's event; the name is the rule's, from its ARN in ``resources``.

    EventBridge Scheduler's own events (source ``aws.scheduler``) name no rule: the
    schedule's name is not in the payload, so the tick has an empty name and runs
    whatever the function is pinned to, as an EventBridge rule's tick does.
    """
    rule_arn = _first_resource(event, "scheduled event") or ""
    time = event.get("time") or ""
    _require_text(time, "scheduled event's time")
    # arn:aws:events:region:account:rule/name, or rule/bus/name on a custom bus.
    name = rule_arn.rpartition("/")[2]
    return Schedule(time, name, raw=event)
