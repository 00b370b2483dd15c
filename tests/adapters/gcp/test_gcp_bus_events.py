"""Reading an event-bus message back from Eventarc's Pub/Sub delivery (``gcp.bus_events``)."""

from __future__ import annotations

import pytest

from polyfn.adapters.gcp.events import translate
from polyfn.core.errors import UnrecognizedEvent
from polyfn.core.events import Event, Message
from polyfn.hosts.events import gcp as gcp_events

_ATTRIBUTES = {
    "ce-specversion": "1.0",
    "ce-id": "e-1",
    "ce-source": "shop.orders",
    "ce-type": "OrderPlaced",
}


def _translate(data: bytes, attributes: dict[str, str]) -> object:
    delivered = gcp_events.pubsub("shop-orders", data, attributes)
    context = {k: v for k, v in delivered.items() if k != "data"}
    return translate(context, delivered["data"])


def test_a_message_with_ce_attributes_is_the_event_it_carries_not_a_message() -> None:
    event = _translate(b'{"order":7}', _ATTRIBUTES | {"ce-subject": "orders/7"})
    assert isinstance(event, Event)
    assert (event.id, event.source, event.type, event.subject, event.data) == (
        "e-1",
        "shop.orders",
        "OrderPlaced",
        "orders/7",
        {"order": 7},
    )


def test_a_plain_message_on_a_topic_stays_a_queue_message() -> None:
    assert isinstance(_translate(b'{"n":1}', {"origin": "elsewhere"}), Message)


@pytest.mark.parametrize(
    ("data", "attributes", "reason"),
    [
        (b"not json", _ATTRIBUTES, "not JSON"),
        (b"{}", {k: v for k, v in _ATTRIBUTES.items() if k != "ce-source"}, "ce-source"),
    ],
)
def test_an_incomplete_bus_message_is_refused_with_the_reason(
    data: bytes, attributes: dict[str, str], reason: str
) -> None:
    with pytest.raises(UnrecognizedEvent, match=reason):
        _translate(data, attributes)
