"""The Event Grid event bus backend at the client library boundary.

Azure Event Grid has no local emulator, so the real ``azure-eventgrid`` publisher client
sends to a small HTTP endpoint on 127.0.0.1 standing in for the topic; the test reads
what arrived on the wire: the CloudEvents 1.0 batch (``application/cloudevents-batch+json``)
and the ``aeg-sas-key`` header, as the topic's publishing API documents them ("Publish
events to Azure Event Grid custom topics using access keys", learn.microsoft.com). The
delivered CloudEvent then goes through the Azure adapter's Event Grid trigger.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from polyfn import App, Event
from polyfn.adapters.azure.backends import AzureBackends
from polyfn.core.errors import CredentialsError, ResourceError
from polyfn.hosts.azure import AzureHost


class _Topic(BaseHTTPRequestHandler):
    received: list[tuple[str, dict[str, str], Any]]
    status = 200

    def do_POST(self) -> None:  # the topic's publishing endpoint
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length))
        self.received.append((self.path, dict(self.headers), body))
        self.send_response(self.status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def topic() -> Iterator[tuple[str, type[_Topic]]]:
    handler = type("Topic", (_Topic,), {"received": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api/events", handler
    finally:
        server.shutdown()
        server.server_close()


def _app() -> tuple[App, list[Event]]:
    app = App("shop")
    orders = app.event_bus("orders")
    seen: list[Event] = []

    @app.on_event(bus=orders, source="shop.orders", type="OrderPlaced")
    def placed(event: Event) -> None:
        seen.append(event)

    return app, seen


def test_publish_sends_a_cloudevent_whose_source_and_type_are_polyfns(
    topic: tuple[str, type[_Topic]], monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoint, handler = topic
    app, seen = _app()
    orders = app.event_buses["orders"]
    monkeypatch.setenv(orders.binding_variable, endpoint)
    monkeypatch.setenv(f"{orders.binding_variable}_KEY", "topic-key-1")
    app.bind(AzureBackends())
    event_id = orders.publish(
        source="shop.orders", type="OrderPlaced", data={"order": 7}, subject="orders/7"
    )

    ((path, headers, batch),) = handler.received
    assert path.startswith("/api/events")
    assert headers["aeg-sas-key"] == "topic-key-1"
    assert headers["Content-Type"].startswith("application/cloudevents-batch+json")
    (sent,) = batch
    assert sent["specversion"] == "1.0"
    assert (sent["id"], sent["source"], sent["type"], sent["subject"], sent["data"]) == (
        event_id,
        "shop.orders",
        "OrderPlaced",
        "orders/7",
        {"order": 7},
    )

    # A subscription with the CloudEvents delivery schema hands the event over as sent.
    host = AzureHost()
    from polyfn.hosts.events.azure_native import event_grid_event

    host.index(app).call("placed", "event", event_grid_event(sent))
    assert [(e.id, e.source, e.type, e.data) for e in seen] == [
        (event_id, "shop.orders", "OrderPlaced", {"order": 7})
    ]


def test_a_refused_publish_raises_a_resource_error(
    topic: tuple[str, type[_Topic]], monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoint, handler = topic
    handler.status = 401
    app, _ = _app()
    orders = app.event_buses["orders"]
    monkeypatch.setenv(orders.binding_variable, endpoint)
    monkeypatch.setenv(f"{orders.binding_variable}_KEY", "wrong-key")
    app.bind(AzureBackends())
    with pytest.raises(ResourceError):
        orders.publish(source="shop.orders", type="OrderPlaced")


def test_publishing_without_the_topic_key_says_which_setting_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app, _ = _app()
    orders = app.event_buses["orders"]
    monkeypatch.setenv(
        orders.binding_variable, "https://t.westeurope-1.eventgrid.azure.net/api/events"
    )
    monkeypatch.delenv(f"{orders.binding_variable}_KEY", raising=False)
    app.bind(AzureBackends())
    with pytest.raises(CredentialsError, match="POLYFN_EVENT_BUS_ORDERS_KEY"):
        orders.publish(source="shop.orders", type="OrderPlaced")
