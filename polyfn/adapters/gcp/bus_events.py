"""Reading an event published to a polyfn event bus back from its Pub/Sub message.

The GCP event bus (``backends.event_bus``) publishes each event as a Pub/Sub message in
the binary content mode of the CloudEvents Pub/Sub protocol binding: the attributes
``ce-id``, ``ce-source``, ``ce-type`` (and ``ce-time``, ``ce-subject``) and the JSON data
as the message body. Eventarc delivers it wrapped in a ``messagePublished`` CloudEvent
whose own source is the topic; this unwraps it so ``on_event(source=..., type=...)``
matches the source and type that were published, as on the other clouds.
"""

from __future__ import annotations

from polyfn.core import json_codec
from polyfn.core.errors import UnrecognizedEvent
from polyfn.core.events import Event, Message

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (cheap_typing.py)
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

__all__ = ["bus_event_from_message", "carries_bus_event"]


def carries_bus_event(message: Message) -> bool:
    """Whether a Pub/Sub message carries a CloudEvent in binary content mode."""
    attributes = message.attributes
    return "ce-specversion" in attributes and "ce-type" in attributes


def bus_event_from_message(message: Message, raw: Any = None) -> Event:
    """The event a bus message carries; ``UnrecognizedEvent`` when it is incomplete."""
    attributes = message.attributes
    source, type_ = attributes.get("ce-source"), attributes.get("ce-type")
    if not source or not type_:
        raise UnrecognizedEvent(
            "a CloudEvent in a Pub/Sub message needs the ce-source and ce-type attributes",
            expected="ce-specversion, ce-id, ce-source and ce-type message attributes",
        )
    try:
        data = json_codec.decode(message.body) if message.body else None
    except (ValueError, UnicodeDecodeError):
        raise UnrecognizedEvent(
            f"the event {type_!r} from {source!r} carries data that is not JSON",
            expected="JSON event data (what an event bus publishes)",
        ) from None
    return Event(
        attributes.get("ce-id") or message.id,
        source,
        type_,
        subject=attributes.get("ce-subject"),
        time=attributes.get("ce-time"),
        data=data,
        raw=raw,
        trace=_trace(attributes),
    )


def _trace(attributes: Mapping[str, str]) -> dict[str, str]:
    if "ce-traceparent" not in attributes and "ce-polyfnhops" not in attributes:
        return {}
    from polyfn.core.trace_context import carrier_from_extensions

    return carrier_from_extensions(attributes)
