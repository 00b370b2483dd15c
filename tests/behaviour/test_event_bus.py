"""Custom events through an app's own event bus (``app.event_bus``), the same on every
runtime: what is published with a source and type reaches exactly the functions of that
bus whose ``on_event`` filters match, with the source, type, subject and data published.

Each driver delivers the event in the form its cloud's bus backend publishes it (an
EventBridge PutEvents entry, an Event Grid CloudEvent, a Pub/Sub message with ce-
attributes, the local bus) and as that cloud's subscription hands it over; on Azure the
source is the CloudEvent's own ``source`` (not the Event Grid topic), on Google Cloud the
``ce-source`` attribute (not the Pub/Sub topic).
"""

from __future__ import annotations

from typing import Any

import pytest

from polyfn.hosts import Host
from tests.behaviour.behaviour_app import build_with_bus


@pytest.mark.parametrize(
    ("source", "type", "functions"),
    [
        ("shop.orders", "OrderPlaced", ["bus_any_shop_source", "bus_order_placed"]),
        ("shop.returns", "OrderPlaced", ["bus_any_shop_source"]),
        ("billing", "Billing.Paid", ["bus_any_billing_type"]),
        ("billing", "OrderPlaced", []),
    ],
)
def test_a_published_event_reaches_the_matching_functions_of_its_bus(
    driver: Host, source: str, type: str, functions: list[str]
) -> None:
    app, seen = build_with_bus()
    bus = app.event_buses["orders"]
    data: dict[str, Any] = {"order": 7, "lines": [{"sku": "A-1"}]}
    published = bus.build(source=source, type=type, data=data, subject="orders/7")
    driver.bus_event(app, bus, published)
    assert sorted(name for name, _ in seen["events"]) == functions
    for _, event in seen["events"]:
        assert (event.source, event.type, event.subject, event.data) == (
            source,
            type,
            "orders/7",
            data,
        )


def test_a_published_event_keeps_its_id_where_the_cloud_does(driver: Host) -> None:
    app, seen = build_with_bus()
    bus = app.event_buses["orders"]
    published = bus.build(source="shop.orders", type="OrderPlaced")
    driver.bus_event(app, bus, published)
    (_, event), _ = seen["events"]
    assert event.data == {}
    if driver.cloud != "aws":  # EventBridge assigns its own id (PutEvents answers it)
        assert event.id == published.id
