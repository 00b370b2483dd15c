"""The Pub/Sub event bus backend against gcloud's Pub/Sub emulator: the published message
carries the event's source and type as ``ce-`` attributes (the CloudEvents Pub/Sub binding)
and the JSON data as its body; wrapped as Eventarc's Pub/Sub trigger delivers it, the
Google Cloud adapter reads ``ce-source`` and ``ce-type`` back for ``on_event``.

The emulator is started here, on its own free port, and stopped by this module (helper
fixtures for the same emulator may exist elsewhere; this one stays separate on purpose).
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from polyfn import App, Event
from polyfn.adapters.gcp.backends import GcpBackends
from polyfn.hosts.events import gcp as gcp_events
from polyfn.hosts.gcp import GcpHost
from polyfn.testing.emulators import EmulatorUnavailable, free_port

_PROJECT = "polyfn-bus"
_EMULATOR = Path("/usr/lib/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator")


def _emulator_binary() -> Path:
    root = os.environ.get("CLOUDSDK_ROOT_DIR")
    candidate = Path(root) / _EMULATOR.relative_to("/usr/lib/google-cloud-sdk") if root else None
    for path in (candidate, _EMULATOR):
        if path is not None and path.exists():
            return path
    raise EmulatorUnavailable(
        "gcloud's Pub/Sub emulator is not installed (`gcloud components install "
        "pubsub-emulator` or the google-cloud-cli-pubsub-emulator package)"
    )


@pytest.fixture(scope="module")
def pubsub_host() -> Iterator[str]:
    import socket

    port = free_port()
    data_dir = tempfile.mkdtemp(prefix="polyfn-bus-pubsub-")
    log = Path(data_dir) / "emulator.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(_emulator_binary()), "--host=127.0.0.1", f"--port={port}", f"--dir={data_dir}"],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise EmulatorUnavailable(f"the Pub/Sub emulator exited: {log.read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise EmulatorUnavailable(
                        "the Pub/Sub emulator did not listen in 60 s"
                    ) from None
                time.sleep(0.1)
        yield f"127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


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
