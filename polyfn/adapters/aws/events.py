"""Serving the record events Lambda receives: SQS, S3, SNS and EventBridge.

``lambda_handler`` loads this module with the first such event, so a function that only
serves HTTP never imports it (nor ``records`` and ``core.events`` below it).

- SQS -> ``app.handle_messages`` -> ``{"batchItemFailures": [...]}`` naming exactly the
  messages whose handler raised. S3 notifications that reach the function through SQS
  become object events, one SQS message per unit of failure.
- S3 (direct, via SNS, via EventBridge) -> ``app.handle_object``; a failure raises so
  Lambda retries the asynchronous invocation.
- DynamoDB Streams -> ``app.handle_changes`` -> ``{"batchItemFailures": [...]}`` with
  the SequenceNumber of each change not done.
- SNS -> ``app.handle_event``; EventBridge schedule -> ``app.handle_schedule``; any other
  EventBridge event -> ``app.handle_event``.
"""

from __future__ import annotations

from polyfn.adapters.aws import sources
from polyfn.adapters.aws.records import (
    eventbridge_event,
    eventbridge_object_event,
    queue_name,
    s3_object_event,
    s3_objects_in,
    schedule_tick,
    sns_event,
    sqs_message,
)
from polyfn.adapters.aws.sources import malformed
from polyfn.adapters.common.environment import pinned_function
from polyfn.core.errors import UnrecognizedEvent

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (core/cheap_typing.py)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar

    from polyfn.core.app import App
    from polyfn.core.context import Context
    from polyfn.core.events import Event, Message, ObjectEvent

    _T = TypeVar("_T")

__all__ = ["record_servers"]


def record_servers(
    app: App, pinned: str | None = None
) -> dict[str, Callable[[App, dict[str, Any], Context], Any]]:
    """The serve functions of the record sources, for one handler of ``app`` pinned to
    ``pinned`` (``""``: nothing; ``None``: what ``POLYFN_FUNCTION`` says)."""
    # POLYFN_FUNCTION, read once ("" when unset): Lambda fixes the environment for the
    # life of the execution environment, and reading it costs a microsecond per event.
    if pinned is None:
        pinned = pinned_function()
    consumers = _Consumers(app, pinned)
    function = pinned or ""

    def on_sqs(app: App, event: dict[str, Any], ctx: Context) -> dict[str, Any]:
        return _on_sqs(app, event, ctx, consumers, function)

    def on_s3(app: App, event: dict[str, Any], ctx: Context) -> None:
        _on_s3(app, event, ctx, function)

    def on_s3_eventbridge(app: App, event: dict[str, Any], ctx: Context) -> None:
        object_event = _translated("S3 EventBridge", eventbridge_object_event, event)
        app.handle_object(object_event, ctx, function=function)

    def on_sns(app: App, event: dict[str, Any], ctx: Context) -> None:
        _on_sns(app, event, ctx, function)

    def on_eventbridge(app: App, event: dict[str, Any], ctx: Context) -> None:
        app.handle_event(
            _translated("EventBridge", eventbridge_event, event), ctx, function=function
        )

    def on_schedule(app: App, event: dict[str, Any], ctx: Context) -> None:
        tick = _translated("EventBridge schedule", schedule_tick, event)
        app.handle_schedule(tick, ctx, function=function)

    def on_stream(app: App, event: dict[str, Any], ctx: Context) -> dict[str, Any]:
        return _on_stream(app, event, ctx, function)

    return {
        sources.SQS: on_sqs,
        sources.DYNAMODB_STREAM: on_stream,
        sources.S3: on_s3,
        sources.S3_TEST: _on_s3_test,
        sources.S3_EVENTBRIDGE: on_s3_eventbridge,
        sources.SNS: on_sns,
        sources.SCHEDULE: on_schedule,
        sources.EVENTBRIDGE: on_eventbridge,
    }


# What reading a malformed event raises before polyfn's own checks name the fault: a
# field of the wrong JSON type (a number where an object is due) fails on a lookup.
_SHAPE_ERRORS = (KeyError, TypeError, ValueError, AttributeError, IndexError)


def _translated(source: str, translate: Callable[[Any], _T], event: Any) -> _T:
    """``translate(event)``, with a shape error as the typed ``UnrecognizedEvent``.

    Only translation runs here, never a handler: an error a handler raises keeps its type.
    """
    try:
        return translate(event)
    except UnrecognizedEvent:
        raise
    except _SHAPE_ERRORS as exc:
        raise malformed(source, exc) from None


# ----------------------------------------------------------------------------- SQS


class _Consumers(dict[str, str | None]):
    """Queue name -> the name of its on_message function (None: no consumer), found once.

    Finding it reads the environment (POLYFN_FUNCTION, the POLYFN_QUEUE_* bindings),
    which costs more than translating a batch; Lambda fixes the environment for the life
    of the execution environment, so the answer cannot change between invocations.
    """

    def __init__(self, app: App, pinned: str | None) -> None:
        super().__init__()
        self._app = app
        self._pinned = pinned

    def __missing__(self, queue: str) -> str | None:
        fn = self._app.consumer_of(queue, self._pinned)
        name = self[queue] = fn.name if fn is not None else None
        return name


def _on_sqs(
    app: App, event: dict[str, Any], ctx: Context, consumers: _Consumers, function: str
) -> dict[str, Any]:
    records = event["Records"]
    queue = queue_name(str(records[0].get("eventSourceARN", "")))
    try:
        # A queue with an on_message consumer gets every record as a message, even one
        # that carries an S3 notification.
        consumer = consumers[queue]
        if consumer is not None:
            messages = [sqs_message(record) for record in records]
            failed_ids = [m.id for m in _deliver(app, queue, messages, ctx, consumer)]
        else:
            failed_ids = _deliver_without_consumer(app, queue, records, ctx, function)
    except UnrecognizedEvent:
        raise
    except _SHAPE_ERRORS as exc:
        raise malformed("SQS", exc) from None
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failed_ids]}


def _deliver(
    app: App, queue: str, messages: list[Message], ctx: Context, consumer: str | None
) -> list[Message]:
    if not queue.endswith(".fifo"):
        return app.handle_messages(queue, messages, ctx, function=consumer)
    # FIFO: a failed message must not be overtaken by the ones after it in its batch, so
    # processing stops there and the rest are reported failed too (Lambda SQS docs,
    # "Implementing partial batch responses", read 2026-11).
    for index, message in enumerate(messages):
        if app.handle_messages(queue, [message], ctx, function=consumer):
            return messages[index:]
    return []


def _deliver_without_consumer(
    app: App, queue: str, records: list[dict[str, Any]], ctx: Context, function: str
) -> list[str]:
    """No on_message consumer: S3 notifications go to object handlers, one SQS message
    at a time; anything else goes to handle_messages, which fails it so it is retried
    and dead-lettered rather than acknowledged and lost."""
    failed: set[str] = set()
    plain: list[Message] = []
    for record in records:
        message_id = record["messageId"]
        try:
            objects = s3_objects_in(record.get("body"))
            if objects is None:
                plain.append(sqs_message(record))
                continue
            for object_event in objects:
                app.handle_object(object_event, ctx, function=function)
        except Exception as exc:
            from polyfn.core.failures import log_failure

            log_failure(
                ctx.logger,
                f"S3 notification in SQS message {message_id} failed",
                ctx.request_id,
                exc,
            )
            failed.add(message_id)
    if plain:
        failed.update(message.id for message in _deliver(app, queue, plain, ctx, None))
    return [record["messageId"] for record in records if record["messageId"] in failed]


# ----------------------------------------------------------------------------- DynamoDB Streams


def _on_stream(app: App, event: dict[str, Any], ctx: Context, function: str) -> dict[str, Any]:
    """A batch of stream records -> ``app.handle_changes`` -> ``batchItemFailures`` naming
    the SequenceNumber of each change not done (deploy sets ReportBatchItemFailures).

    Every record is decoded before any handler runs: a malformed one fails the
    invocation with ``UnrecognizedEvent``, so Lambda retries (and bisects) the batch
    instead of acknowledging records nobody handled.
    """
    from polyfn.adapters.aws.stream_records import stream_change, stream_table_name
    from polyfn.core.changes import MalformedChange

    records = event["Records"]
    try:
        changes = [stream_change(record) for record in records]
    except MalformedChange as exc:
        raise UnrecognizedEvent(
            f"malformed DynamoDB stream record ({exc})",
            expected="DynamoDB stream records as a Lambda event source mapping sends them",
        ) from None
    table = stream_table_name(str(records[0].get("eventSourceARN", "")))
    not_done = app.handle_changes(table, changes, ctx, function=function or None)
    return {"batchItemFailures": [{"itemIdentifier": change.id} for change in not_done]}


# ----------------------------------------------------------------------------- S3, SNS


def _on_s3(app: App, event: dict[str, Any], ctx: Context, function: str) -> None:
    # Translate every record before running any handler, so a malformed record fails
    # the invocation before anything was done.
    object_events = _translated("S3", _s3_objects, event)
    for object_event in object_events:
        app.handle_object(object_event, ctx, function=function)


def _s3_objects(event: dict[str, Any]) -> list[ObjectEvent]:
    return [s3_object_event(record) for record in event["Records"]]


def _on_s3_test(app: App, event: dict[str, Any], ctx: Context) -> None:
    """S3 sends s3:TestEvent when notifications are configured; there is nothing to do."""


def _on_sns(app: App, event: dict[str, Any], ctx: Context, function: str) -> None:
    # Every record is read before any handler runs, as for S3.
    for item in _translated("SNS", _sns_items, event):
        if isinstance(item, list):
            for object_event in item:
                app.handle_object(object_event, ctx, function=function)
        else:
            app.handle_event(item, ctx, function=function)


def _sns_items(event: dict[str, Any]) -> list[list[ObjectEvent] | Event]:
    """Per record: the S3 object events it carries, or the record as an Event."""
    items: list[list[ObjectEvent] | Event] = []
    for record in event["Records"]:
        sns = record.get("Sns")
        objects = s3_objects_in(sns.get("Message")) if type(sns) is dict else None
        items.append(objects if objects is not None else sns_event(record))
    return items
