"""Azure's non-HTTP inputs translated to the core model.

Event Grid events arrive in two schemas: the Event Grid schema (``topic``, ``eventType``,
``eventTime``, ``dataVersion``) and CloudEvents 1.0 (``source``, ``type``, ``time``,
``specversion``). Both are read into a core ``Event`` first, from a JSON document
(``polyfn inspect``) or from the worker's ``EventGridEvent``/``CloudEvent`` objects (the
trigger), so the two paths share every translation after that.

The ``*_handler`` functions build the callables registered for blob, Event Grid, queue
and timer functions: native object in, core model, the App's dispatcher.

Formats: "Azure Blob Storage as an Event Grid source" (learn.microsoft.com, page dated
2024-01-10, read 2026-11): subject ``/blobServices/default/containers/<container>/blobs/
<blob name>`` with the blob name unencoded; ``data.contentLength``, ``data.eTag`` (quoted)
and ``data.contentType``; a BlobDeleted event has no eTag or contentLength.
"""

from __future__ import annotations

import logging
import os
import re
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from polyfn.adapters.azure import envelope
from polyfn.adapters.azure.backends import poison_queue_name
from polyfn.adapters.azure.invocation import Invocations, worker_signature
from polyfn.adapters.azure.settings import host_max_dequeue
from polyfn.core.errors import PolyfnError, UnrecognizedEvent
from polyfn.core.events import Event, Message, ObjectAction, ObjectEvent, Schedule

if TYPE_CHECKING:
    import azure.functions as func

    from polyfn.core.functions import Function, MessageTrigger, ObjectTrigger
    from polyfn.core.resources import Queue

__all__ = [
    "BLOB_CREATED",
    "BLOB_DELETED",
    "EXPECTED_EVENT_GRID",
    "MessageFailed",
    "blob_event_handler",
    "blob_handler",
    "event_handler",
    "grid_event_from_document",
    "grid_event_from_native",
    "is_blob_event",
    "is_grid_document",
    "iso_time",
    "message_from_queue",
    "object_event_from_blob",
    "object_event_from_grid",
    "queue_handler",
    "timer_handler",
]

_log = logging.getLogger("polyfn.azure")

BLOB_CREATED = "Microsoft.Storage.BlobCreated"
BLOB_DELETED = "Microsoft.Storage.BlobDeleted"
_BLOB_ACTIONS: dict[str, ObjectAction] = {BLOB_CREATED: "created", BLOB_DELETED: "deleted"}
# The leading "/" is optional: Microsoft's own CloudEvents-schema sample writes the subject
# as "blobServices/default/containers/..." ("Azure Blob Storage as an Event Grid source",
# CloudEvents schema tab, read 2026-12).
_BLOB_SUBJECT = re.compile(r"^/?blobServices/default/containers/([^/]+)/blobs/(.+)$", re.DOTALL)

EXPECTED_EVENT_GRID = (
    "an Azure Event Grid event: Event Grid schema (id, topic, subject, eventType, eventTime, "
    "data) or CloudEvents 1.0 schema (specversion, id, source, type, time, data), alone or "
    "in a non-empty array"
)


def is_blob_event(event: Event) -> bool:
    """A BlobCreated or BlobDeleted event (``object_event_from_grid`` reads it)."""
    return event.type in _BLOB_ACTIONS


def iso_time(value: datetime | str | None) -> str | None:
    """ISO 8601 text; UTC is written with ``Z`` as every polyfn runtime does."""
    if value is None or isinstance(value, str):
        return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)  # Event Grid times are UTC
    text = value.astimezone(UTC).isoformat()
    return text.replace("+00:00", "Z")


def _text(document: Mapping[str, Any], key: str, *, required: bool) -> str | None:
    value = document.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value):
        raise UnrecognizedEvent(
            f"Event Grid event field {key!r} is missing or not a string",
            expected=EXPECTED_EVENT_GRID,
        )
    return value


def is_grid_document(document: Any) -> bool:
    """Whether one JSON object has the shape of an Event Grid event in either schema."""
    if not isinstance(document, Mapping):
        return False
    if "specversion" in document:
        return _is_azure_cloudevent(document)
    return "eventType" in document and "id" in document and "subject" in document


def _is_azure_cloudevent(document: Mapping[str, Any]) -> bool:
    """A CloudEvent Event Grid may deliver: any but Google Cloud's own.

    A custom topic's events keep the type and source their publisher chose
    ("Contoso.Items.ItemReceived" from "/contoso/items" in Microsoft's sample, "Event Grid
    custom topics", CloudEvents schema, learn.microsoft.com/azure/event-grid/
    cloud-event-schema, read 2026-12), so neither a ``Microsoft.`` type nor a
    ``/subscriptions/`` source can be required. Google's events are told by their type
    (``google.``) or source (``//<service>.googleapis.com/...``).
    """
    source, type_ = document.get("source"), document.get("type")
    if not isinstance(source, str) or not isinstance(type_, str):
        return False
    if type_.startswith("Microsoft.") or source.startswith("/subscriptions/"):
        return True
    return not (type_.startswith("google.") or source.startswith("//"))


def grid_event_from_document(document: Any) -> Event:
    """Read one Event Grid event given as JSON, in either schema; the topic is its source."""
    if not is_grid_document(document):
        raise UnrecognizedEvent(
            "this is not an Azure Event Grid event", expected=EXPECTED_EVENT_GRID
        )
    if "specversion" in document:
        return Event(
            id=_text(document, "id", required=True) or "",
            source=_text(document, "source", required=True) or "",
            type=_text(document, "type", required=True) or "",
            subject=_text(document, "subject", required=False),
            time=_text(document, "time", required=False),
            data=document.get("data"),
            raw=document,
            trace=_trace(document),
        )
    return Event(
        id=_text(document, "id", required=True) or "",
        # A custom topic's events may omit "topic" when published; Event Grid fills it in.
        source=_text(document, "topic", required=False) or "",
        type=_text(document, "eventType", required=True) or "",
        subject=_text(document, "subject", required=False),
        time=_text(document, "eventTime", required=False),
        data=document.get("data"),
        raw=document,
    )


def grid_event_from_native(native: func.EventGridEvent | func.CloudEvent) -> Event:
    """Read the worker's ``EventGridEvent`` (or ``CloudEvent``, for the CloudEvents schema).

    The worker fills these objects from the delivery's JSON without checking types, so
    each field is checked here: a number where a text is due is an ``UnrecognizedEvent``.
    """
    event_type = getattr(native, "event_type", None)
    if event_type is not None:  # Event Grid schema
        return Event(
            id=_native_text(native, "id", required=True),
            # A custom topic's events may omit "topic" when published; Event Grid fills it.
            source=_native_text(native, "topic", required=False) or "",
            type=_native_text(native, "event_type", required=True),
            subject=_native_text(native, "subject", required=False),
            time=_native_time(native, "event_time"),
            data=_native_json(native),
            raw=native,
        )
    type_ = getattr(native, "type", None)
    if type_ is None:
        raise UnrecognizedEvent(
            f"the Event Grid trigger received a {type(native).__name__}",
            expected="azure.functions.EventGridEvent or azure.functions.CloudEvent",
        )
    return Event(
        id=_native_text(native, "id", required=True),
        source=_native_text(native, "source", required=False) or "",
        type=_native_text(native, "type", required=True),
        subject=_native_text(native, "subject", required=False),
        time=_native_time(native, "time"),
        data=_native_json(native),
        raw=native,
        trace=_trace(getattr(native, "extension_attrs", None)),
    )


def _trace(attributes: Any) -> dict[str, str]:
    """A polyfn publisher's trace among a CloudEvent's extension attributes
    (backends.event_bus.cloud_event_document)."""
    if not isinstance(attributes, Mapping) or not (
        "traceparent" in attributes or "polyfnhops" in attributes
    ):
        return {}
    from polyfn.core.trace_context import carrier_from_extensions

    return carrier_from_extensions(attributes)


def _native_text(native: Any, name: str, *, required: bool) -> Any:
    value = getattr(native, name, None)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value):
        raise UnrecognizedEvent(
            f"Event Grid event field {name!r} is {type(value).__name__}, not a string",
            expected=EXPECTED_EVENT_GRID,
        )
    return value


def _native_time(native: Any, name: str) -> str | None:
    value = getattr(native, name, None)
    if value is None or isinstance(value, str | datetime):
        return iso_time(value)
    raise UnrecognizedEvent(
        f"Event Grid event field {name!r} is {type(value).__name__}, not a time",
        expected=EXPECTED_EVENT_GRID,
    )


def _native_json(native: Any) -> Any:
    try:
        return native.get_json()
    except ValueError:
        raise UnrecognizedEvent(
            "Event Grid event data is not JSON", expected=EXPECTED_EVENT_GRID
        ) from None


def object_event_from_grid(grid: Event) -> ObjectEvent | None:
    """The object event a BlobCreated/BlobDeleted carries; None for any other event type."""
    action = _BLOB_ACTIONS.get(grid.type)
    if action is None:
        return None
    match = _BLOB_SUBJECT.match(grid.subject or "")
    if match is None:
        raise UnrecognizedEvent(
            f"{grid.type} event {grid.id} has subject {grid.subject!r}",
            expected="a subject like /blobServices/default/containers/<container>/blobs/<name>",
        )
    data: Mapping[str, Any] = grid.data if isinstance(grid.data, Mapping) else {}
    size = data.get("contentLength")
    etag = data.get("eTag")
    content_type = data.get("contentType")
    return ObjectEvent(
        action,
        match.group(1),
        match.group(2),
        size=size if isinstance(size, int) and not isinstance(size, bool) else None,
        etag=etag.strip('"') if isinstance(etag, str) else None,
        content_type=content_type if isinstance(content_type, str) else None,
        time=grid.time,
        id=grid.id,
        raw=grid.raw,
    )


def object_event_from_blob(blob: func.InputStream) -> ObjectEvent:
    """A blob trigger's ``InputStream`` as an object-created event.

    ``name`` is the host's ``BlobTrigger`` metadata: ``<container>/<blob name>``.
    """
    path = blob.name
    if not path or "/" not in path.strip("/"):
        raise UnrecognizedEvent(
            f"the blob trigger's blob name is {path!r}",
            expected="'<container>/<blob name>' as the Functions host passes it",
        )
    container, _, key = path.lstrip("/").partition("/")
    # The worker's concrete InputStream has blob_properties; the abstract type does not.
    properties: Mapping[str, Any] = getattr(blob, "blob_properties", None) or {}
    etag = properties.get("ETag") or properties.get("Etag")
    content_type = properties.get("ContentType")
    modified = properties.get("LastModified") or properties.get("Created")
    return ObjectEvent(
        "created",
        container,
        key,
        size=blob.length,
        etag=etag.strip('"') if isinstance(etag, str) else None,
        content_type=content_type if isinstance(content_type, str) else None,
        time=modified if isinstance(modified, str) else None,
        id=blob.uri,
        raw=blob,
        # The host reads the blob's metadata for the trigger: the writer's trace and hops.
        metadata=_blob_metadata(getattr(blob, "metadata", None)),
    )


def _blob_metadata(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        return {}
    return {str(name): item for name, item in value.items() if isinstance(item, str)}


def message_from_queue(native: func.QueueMessage) -> Message:
    """A Queue Storage message; attributes come from the polyfn envelope when there is one.

    The insertion time has no place in ``Message``; it stays readable as
    ``message.raw.insertion_time``.
    """
    body, attributes = envelope.unwrap(native.get_body())
    return Message(
        native.id or str(uuid.uuid4()),
        body,
        attributes=attributes,
        receive_count=native.dequeue_count,
        raw=native,
    )


# ----------------------------------------------------------------------------- serving
# Each factory imports azure.functions itself: the translations above
# also serve ``polyfn inspect``, which must work without the worker library.


class MessageFailed(PolyfnError):
    """A queue message's handler raised; raising this makes the host retry the message.

    After ``maxDequeueCount`` receives (``max_receives``, in host.json) the host moves the
    message to ``<queue>-poison``. The handler's own exception is already logged.
    """


def blob_handler(invocations: Invocations, fn: Function) -> Callable[..., None]:
    import azure.functions as func

    app, name = invocations.app, fn.name

    def handle(blob: func.InputStream, context: func.Context | None = None) -> None:
        ctx = invocations.context(name, context)
        app.handle_object(object_event_from_blob(blob), ctx, function=name)

    worker_signature(handle, "blob", func.InputStream, None)
    return handle


def blob_event_handler(
    invocations: Invocations, fn: Function, trigger: ObjectTrigger
) -> Callable[..., None]:
    import azure.functions as func

    app, name = invocations.app, fn.name

    def handle(event: func.EventGridEvent, context: func.Context | None = None) -> None:
        ctx = invocations.context(name, context)
        grid = grid_event_from_native(event)
        obj = object_event_from_grid(grid)
        container = trigger.bucket.physical_name
        if obj is None or obj.bucket != container or obj.action != trigger.action:
            # A subscription wider than this function: acknowledge, since retrying a
            # delivery that is not ours would never succeed.
            _log.warning(
                "%s ignored Event Grid event %s (%s on %s); it handles %s in %s",
                name,
                grid.id,
                grid.type,
                grid.subject,
                trigger.action,
                container,
            )
            return
        app.handle_object(obj, ctx, function=name)

    worker_signature(handle, "event", func.EventGridEvent, None)
    return handle


def queue_handler(
    invocations: Invocations, fn: Function, trigger: MessageTrigger
) -> Callable[..., None]:
    import azure.functions as func

    app, name, queue = invocations.app, fn.name, trigger.queue

    def handle(msg: func.QueueMessage, context: func.Context | None = None) -> None:
        ctx = invocations.context(name, context)
        message = message_from_queue(msg)
        # The host triggers this function for this queue only: its consumer is known, and
        # naming it spares reading the bindings from the environment per message.
        if app.handle_messages(None, [message], ctx, function=name):
            if _poisoned_by_polyfn(queue, message.receive_count, msg.get_body()):
                return  # in <queue>-poison now: completing deletes it from the queue
            raise MessageFailed(
                f"message {message.id} failed in {name} (receive {message.receive_count} of "
                f"{queue.max_receives}); the Functions host retries it, then moves it to "
                f"{poison_queue_name(queue.physical_name)}"
            )

    worker_signature(handle, "msg", func.QueueMessage, None)
    return handle


def _poisoned_by_polyfn(queue: Queue, receive_count: int | None, content: bytes) -> bool:
    """Move a message that failed its queue's last receive to ``<queue>-poison`` when the
    host would retry it further: host.json's ``maxDequeueCount`` is one per app (deploy
    sets the largest ``max_receives`` and says so in ``POLYFN_AZURE_MAX_DEQUEUE_COUNT``).
    A failed move raises, so the host retries the message: it is never lost."""
    host_max = host_max_dequeue(os.environ)
    if host_max is None or receive_count is None:
        return False
    if queue.max_receives >= host_max or receive_count < queue.max_receives:
        return False
    from polyfn.adapters.azure.backends.queue import StorageQueue

    poison = poison_queue_name(queue.physical_name)
    StorageQueue(f"{queue.name}-poison", poison).forward(content)
    _log.warning(
        "message failed its last receive (%d of %d) on %s: moved to %s by polyfn "
        "(host.json's maxDequeueCount is %d for the whole app)",
        receive_count, queue.max_receives, queue.physical_name, poison, host_max,
    )  # fmt: skip
    return True


def timer_handler(invocations: Invocations, name: str) -> Callable[..., None]:
    import azure.functions as func

    app = invocations.app

    def handle(timer: func.TimerRequest, context: func.Context | None = None) -> None:
        ctx = invocations.context(name, context)
        now = datetime.now(UTC).isoformat(timespec="milliseconds")
        tick = Schedule(now.replace("+00:00", "Z"), name, raw=timer)
        app.handle_schedule(tick, ctx, function=name)

    worker_signature(handle, "timer", func.TimerRequest, None)
    return handle


def event_handler(invocations: Invocations, name: str) -> Callable[..., None]:
    import azure.functions as func

    app = invocations.app

    def handle(event: func.EventGridEvent, context: func.Context | None = None) -> None:
        ctx = invocations.context(name, context)
        app.handle_event(grid_event_from_native(event), ctx, function=name)

    worker_signature(handle, "event", func.EventGridEvent, None)
    return handle
