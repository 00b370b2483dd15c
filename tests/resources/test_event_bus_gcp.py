"""The Pub/Sub event bus backend against gcloud's Pub/Sub emulator: the published message
carries the event's source and type as ``ce-`` attributes (the CloudEvents Pub/Sub binding)
and the JSON data as its body; wrapped as Eventarc's Pub/Sub trigger delivers it, the
Google Cloud adapter reads ``ce-source`` and ``ce-type`` back for ``on_event``.

The emulator is the session's (``pubsub`` in ``tests/conftest.py``).
"""

from __future__ import annotations

import os

import pytest

from polyfn import App, Event
from polyfn.adapters.gcp.backends import GcpBackends
from polyfn.hosts.events import gcp as gcp_events
from polyfn.hosts.gcp import GcpHost
from polyfn.testing.emulators import PubSubEmulator

_PROJECT = "polyfn-bus"


@pytest.fixture(scope="module")
def pubsub_host(pubsub: PubSubEmulator) -> str:
    return pubsub.host


@pytest.fixture
def bus_topic(pubsub_host: str, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    """Topic ``shop-orders`` and a pull subscription on it; (topic id, subscription path)."""
    from google.cloud import pubsub_v1

    for variable in ("STORAGE_EMULATOR_HOST", "FIRESTORE_EMULATOR_HOST"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", pubsub_host)
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", _PROJECT)
    publisher = pubsub_v1.PublisherClient()
    subscriber = pubsub_v1.SubscriberClient()
    topic = publisher.topic_path(_PROJECT, "shop-orders")
    subscription = subscriber.subscription_path(_PROJECT, f"tap-{os.urandom(4).hex()}")
    try:
        publisher.create_topic(name=topic)
    except Exception as exc:  # AlreadyExists on the second test of the module
        if "AlreadyExists" not in type(exc).__name__:
            raise
    subscriber.create_subscription(name=subscription, topic=topic)
    return "shop-orders", subscription


def test_publish_carries_source_and_type_as_cloudevent_attributes_read_back_by_the_adapter(
    bus_topic: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from google.cloud import pubsub_v1

    topic_id, subscription = bus_topic
    app = App("shop")
    orders = app.event_bus("orders")
    seen: list[Event] = []

    @app.on_event(bus=orders, source="shop.orders", type="OrderPlaced")
    def placed(event: Event) -> None:
        seen.append(event)

    monkeypatch.setenv(orders.binding_variable, topic_id)
    app.bind(GcpBackends())
    event_id = orders.publish(
        source="shop.orders", type="OrderPlaced", data={"order": 7}, subject="orders/7"
    )
    orders.publish(source="shop.returns", type="OrderPlaced", data={"order": 8})

    pulled = pubsub_v1.SubscriberClient().pull(subscription=subscription, max_messages=10)
    messages = sorted(
        (r.message for r in pulled.received_messages), key=lambda m: m.attributes["ce-source"]
    )
    first = messages[0]
    assert dict(first.attributes) | {"ce-time": "-"} == {
        "ce-specversion": "1.0",
        "ce-id": event_id,
        "ce-source": "shop.orders",
        "ce-type": "OrderPlaced",
        "ce-subject": "orders/7",
        "ce-time": "-",
        "content-type": "application/json",
    }
    assert first.data == b'{"order":7}'

    # Eventarc's Pub/Sub trigger on the topic delivers every message to the function;
    # the adapter matches on the published source and type, not on the topic.
    host = GcpHost()
    for message in messages:
        delivered = gcp_events.pubsub(
            topic_id,
            message.data,
            dict(message.attributes),
            message_id=message.message_id,
        )
        response = host.post_event(app, delivered)
        assert response.status_code < 300
    assert [(e.id, e.source, e.type, e.subject, e.data) for e in seen] == [
        (event_id, "shop.orders", "OrderPlaced", "orders/7", {"order": 7})
    ]
