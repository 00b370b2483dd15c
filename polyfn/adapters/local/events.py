"""The local runtime's non-HTTP inputs besides queues and schedules (``worker`` and
``scheduler``): object events, and the generic events the local runtime has no bus for.

Object events have one dispatch that writes through a bucket, files dropped into a
bucket folder and the local host all go through.

Each function subscribed to a bucket is its own subscription, as on the clouds: it is
called on its own (``App.handle_object(..., function=name)``), logged on its own line and
retried on its own. Delivery is asynchronous, like S3 notifications and Storage triggers:
a write returns before the handler runs, so a handler may write to its own bucket (a
thumbnail next to the photo) without recursing inside the writer. A failed delivery is
retried twice, one and then two seconds later, like Lambda's asynchronous invocations (which
wait minutes); then it is logged and dropped.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from polyfn.adapters.local.invocations import Invocations
from polyfn.adapters.local.pump import RETRY_DELAYS_SECONDS, DeliveryPump
from polyfn.core.app import App
from polyfn.core.events import Event, ObjectAction, ObjectEvent
from polyfn.core.functions import Function, ObjectTrigger
from polyfn.core.resources import ObjectInfo

__all__ = [
    "ObjectEventPump",
    "deliver_event",
    "deliver_object_event",
    "make_object_event",
    "subscribers",
]


def make_object_event(
    action: ObjectAction,
    bucket: str,
    key: str,
    *,
    info: ObjectInfo | None = None,
    size: int | None = None,
    content_type: str | None = None,
    metadata: Mapping[str, str] | None = None,
) -> ObjectEvent:
    """An event as the local runtime delivers it: ``bucket`` physical, ``key`` as stored;
    ``metadata`` the object's user metadata (the writing invocation's trace), None when
    not known (a file dropped in: dispatch then reads it from the bucket)."""
    return ObjectEvent(
        action,
        bucket,
        key,
        size=info.size if info is not None else size,
        etag=info.etag if info is not None else None,
        content_type=info.content_type if info is not None else content_type,
        time=datetime.now(UTC).isoformat(),
        id=uuid.uuid4().hex,
        raw={"source": "polyfn-local", "action": action, "bucket": bucket, "key": key},
        metadata=metadata,
    )


def subscribers(app: App, event: ObjectEvent) -> list[Function]:
    """The functions an event reaches: triggers on its bucket whose filters match."""
    bucket = app.bucket_by_physical(event.bucket)
    if bucket is None:
        return []
    return [
        fn
        for fn in app.functions.values()
        if isinstance(fn.trigger, ObjectTrigger)
        and fn.trigger.bucket is bucket
        and fn.trigger.matches(event)
    ]


def deliver_object_event(
    app: App, event: ObjectEvent, function: Function, invocations: Invocations
) -> None:
    """Run one subscriber on one event now; its exception propagates."""
    ctx = invocations.context(app, function.name)
    # Each subscriber gets its own copy: handle_object rewrites ``bucket`` to the logical name.
    own = copy.copy(event)
    with invocations.record(app, "object", ctx, action=event.action, key=event.key):
        app.handle_object(own, ctx, function=function.name)


class ObjectEventPump:
    """A thread that delivers object events in order, with retries (``pump``)."""

    def __init__(self, app: App, invocations: Invocations) -> None:
        self._app = app
        self._invocations = invocations
        self._pump: DeliveryPump[ObjectEvent] = DeliveryPump(
            "polyfn-object-events",
            self._deliver,
            lambda event: f"object event {event.action} {event.key}",
            lambda: RETRY_DELAYS_SECONDS,
        )

    def start(self) -> None:
        self._pump.start()

    def submit(self, event: ObjectEvent) -> int:
        """Queue the event for every subscriber; returns how many will receive it."""
        return self._pump.submit(event, [fn.name for fn in subscribers(self._app, event)])

    def idle(self) -> bool:
        """True when nothing is queued or running (retries waiting count as queued)."""
        return self._pump.idle()

    def stop(self, timeout: float) -> None:
        """Deliver what is due, drop retries not yet due, and end the thread."""
        self._pump.stop(timeout)

    def _deliver(self, event: ObjectEvent, name: str) -> None:
        deliver_object_event(self._app, event, self._app.functions[name], self._invocations)


def deliver_event(
    app: App,
    source: str,
    type: str,
    data: Any,
    invocations: Invocations,
    *,
    subject: str | None = None,
) -> int:
    """Run one generic event through ``App.handle_event``; returns how many functions ran.

    Locally nothing publishes to a bus, so this is how an ``on_event`` function runs here
    (``polyfn invoke --cloud local``, the local host); it is logged like every invocation.
    """
    event = Event(
        uuid.uuid4().hex,
        source,
        type,
        subject=subject,
        time=datetime.now(UTC).isoformat(),
        data=data,
        raw={"source": "polyfn-local", "type": type},
    )
    ctx = invocations.context(app, "event")
    with invocations.record(app, "event", ctx, source=source, type=type):
        return app.handle_event(event, ctx)
