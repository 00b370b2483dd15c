"""The event-bus port on Google Cloud: a Pub/Sub topic carrying CloudEvents.

Why a Pub/Sub topic and not an Eventarc channel: Eventarc accepts a trigger on a Pub/Sub
topic (``--trigger-topic``, event type ``google.cloud.pubsub.topic.v1.messagePublished``)
for any topic the project owns, with no provider to register, and Pub/Sub has a local
emulator; publishing to a channel needs the separate Eventarc Publishing API, which has
neither. The price: an Eventarc Pub/Sub trigger filters on the event type only, not on
message attributes, so every function subscribed to the bus is invoked for every event
published to it and the adapter applies ``on_event``'s source and type filters itself
(an unmatched event is acknowledged with a WARNING). ``polyfn plan`` says so.

The event travels in the binary content mode of the CloudEvents Pub/Sub protocol binding
(cloudevents/spec, ``cloudevents/bindings/google-cloud-pubsub-protocol-binding.md``):
the message data is the event data (JSON) and each attribute is a message attribute
named ``ce-<attribute>``; ``content-type`` carries ``datacontenttype``. The GCP adapter
reads ``ce-source`` and ``ce-type`` back, so ``on_event`` matches what was published.
"""

from __future__ import annotations

from polyfn.adapters.common.errors import ResourceRef
from polyfn.adapters.gcp.backends.queue import PubSubTopic
from polyfn.core.event_bus import OutgoingEvent

__all__ = ["PubSubBus", "message_attributes"]


def message_attributes(event: OutgoingEvent) -> dict[str, str]:
    """The Pub/Sub attributes carrying ``event``'s CloudEvents attributes."""
    attributes = {
        "ce-specversion": "1.0",
        "ce-id": event.id,
        "ce-source": event.source,
        "ce-type": event.type,
        "ce-time": event.time,
        "content-type": "application/json",
    }
    if event.subject is not None:
        attributes["ce-subject"] = event.subject
    # Extension attributes are ce- attributes too (the binary mode of the Pub/Sub binding).
    attributes.update({f"ce-{name}": value for name, value in event.trace.items()})
    return attributes


class PubSubBus:
    """Publishes events to one Pub/Sub topic (named by its id or its full path)."""

    def __init__(self, name: str, physical: str) -> None:
        self._topic = PubSubTopic(name, physical)
        self._topic.ref = ResourceRef("gcp", "event_bus", name, self._topic.ref.physical)
        self.ref = self._topic.ref

    @property
    def path(self) -> str:
        return self._topic.path

    def publish(self, event: OutgoingEvent) -> str:
        self._topic.send(event.data_json.encode(), message_attributes(event), 0)
        return event.id  # the adapter reads ce-id back as the event's id
