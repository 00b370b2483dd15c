"""Declaring an event bus and what ``publish`` accepts, before any backend is asked."""

from __future__ import annotations

from typing import Any

import pytest

from polyfn import App, Event
from polyfn.core.errors import ConfigError
from polyfn.core.event_bus import MAX_EVENT_DATA_BYTES, OutgoingEvent


class _Recording:
    """An event-bus backend that keeps what it is given (the port's contract only)."""

    def __init__(self) -> None:
        self.published: list[OutgoingEvent] = []

    def publish(self, event: OutgoingEvent) -> str:
        self.published.append(event)
        return event.id


class _Provider:
    cloud = "test"

    def __init__(self) -> None:
        self.bus = _Recording()

    def event_bus(self, resource: Any) -> _Recording:
        return self.bus


def test_a_bus_is_declared_once_by_name_and_listed_on_the_app() -> None:
    app = App("shop")
    assert app.event_bus("orders") is app.event_bus("orders")
    assert list(app.event_buses) == ["orders"]
    assert app.event_buses["orders"].binding_variable == "POLYFN_EVENT_BUS_ORDERS"


def test_a_bus_name_follows_the_resource_naming_rule() -> None:
    with pytest.raises(ConfigError, match="event_bus name"):
        App("shop").event_bus("Orders!")


def test_on_event_takes_only_a_bus_of_its_own_app() -> None:
    other = App("other").event_bus("orders")
    with pytest.raises(ConfigError, match=r"app\.event_bus"):
        App("shop").on_event(bus=other)


def test_on_event_with_a_bus_is_a_subscriber_of_that_bus_only() -> None:
    app = App("shop")
    orders, billing = app.event_bus("orders"), app.event_bus("billing")

    @app.on_event(bus=orders, type="OrderPlaced")
    def placed(event: Event) -> None: ...

    @app.on_event(type="OrderPlaced")
    def anywhere(event: Event) -> None: ...

    assert [fn.name for fn in orders.subscribers()] == ["placed"]
    assert billing.subscribers() == []
    assert app.functions["placed"].trigger.describe() == (
        "event source=* type=OrderPlaced on bus orders"
    )


def test_publish_hands_the_backend_one_checked_event_and_returns_its_id() -> None:
    app = App("shop")
    orders = app.event_bus("orders")
    provider = _Provider()
    app.bind(provider)  # type: ignore[arg-type]
    event_id = orders.publish(source="shop.orders", type="OrderPlaced", data={"n": 1})
    (event,) = provider.bus.published
    assert event.id == event_id
    assert (event.source, event.type, event.data, event.data_json) == (
        "shop.orders",
        "OrderPlaced",
        {"n": 1},
        '{"n":1}',
    )
    assert event.time.endswith("Z") and event.subject is None
    orders.publish(source="shop.orders", type="Empty")
    assert provider.bus.published[-1].data == {}


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"source": "", "type": "T"}, "source must be a non-empty string"),
        ({"source": "s", "type": "  "}, "type must be a non-empty string"),
        ({"source": "shop.*", "type": "T"}, "may not contain '\\*'"),
        ({"source": "s", "type": "Order*"}, "may not contain '\\*'"),
        ({"source": "aws.s3", "type": "T"}, "AWS reserves it"),
        ({"source": "s\n", "type": "T"}, "control characters"),
        ({"source": "s" * 257, "type": "T"}, "over 256 characters"),
        ({"source": "s", "type": "T", "data": [1, 2]}, "must be a dict"),
        ({"source": "s", "type": "T", "data": {"x": object()}}, "JSON-serialisable"),
        (
            {"source": "s", "type": "T", "data": {"x": "a" * MAX_EVENT_DATA_BYTES}},
            "256 KB",
        ),
        ({"source": "s", "type": "T", "subject": 5}, "subject must be a non-empty string"),
    ],
)
def test_publish_refuses_what_some_cloud_would_refuse_before_sending(
    fields: dict[str, Any], reason: str
) -> None:
    app = App("shop")
    orders = app.event_bus("orders")
    provider = _Provider()
    app.bind(provider)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=reason):
        orders.publish(**fields)
    assert provider.bus.published == []
