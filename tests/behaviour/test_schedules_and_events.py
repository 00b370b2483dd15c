"""Schedule ticks and generic events (EventBridge, Event Grid, CloudEvents), the same on
every runtime: a tick runs its function with the cloud and the firing time, rule names
resolve to the longest match, and events reach every function whose source and type
patterns match, with their data and subject."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import pytest

from polyfn.hosts import Host

from .behaviour_app import build
from .conftest import HOSTS

# Schedules


def test_a_tick_runs_its_function_and_carries_the_cloud(driver: Host) -> None:
    app, seen = build()
    driver.schedule(app, "tick")
    assert [(name, cloud) for name, cloud, _ in seen["ticks"]] == [("tick", driver.cloud)]


def test_a_tick_resolves_to_the_longest_matching_function(driver: Host) -> None:
    # ``tick`` is declared first and its name ends ``fast_tick``'s: the rule is the
    # longest match of the physical rule or job name, the same on every cloud.
    app, seen = build()
    driver.schedule(app, "fast_tick")
    driver.schedule(app, "tick")
    assert [name for name, *_ in seen["ticks"]] == ["fast_tick", "tick"]


def test_a_cron_tick_carries_the_firing_time_in_utc(driver: Host) -> None:
    app, seen = build()
    driver.schedule(app, "nightly")
    ((name, _, time),) = seen["ticks"]
    assert name == "nightly"
    fired = datetime.fromisoformat(time.replace("Z", "+00:00"))
    assert time.endswith("Z") and abs((datetime.now(UTC) - fired).total_seconds()) < 60


# Events


@pytest.mark.parametrize(
    ("source", "type", "functions"),
    [
        # exact source and type; a source pattern matches by prefix
        ("shop.orders", "OrderPlaced", ["any_shop_source", "order_placed"]),
        ("shop.orders", "OrderCancelled", ["any_shop_source"]),
        # a source pattern with an exact type; a type pattern alone
        (
            "shop.orders",
            "Shop.OrderPlaced",
            ["any_shop_source", "any_shop_type", "shop_order_placed"],
        ),
        ("shop.orders", "Shop.OrderCancelled", ["any_shop_source", "any_shop_type"]),
        ("billing", "Billing.OrderPlaced", []),
        ("billing", "Paid", []),
    ],
)
def test_an_event_reaches_every_function_whose_source_and_type_match(
    driver: Host, source: str, type: str, functions: list[str]
) -> None:
    app, seen = build()
    data: dict[str, Any] = {"order": 7}
    driver.event(app, source, type, data)
    assert sorted(name for name, _ in seen["events"]) == functions
    for _, event in seen["events"]:
        assert (event.source, event.type, event.data) == (source, type, data)


def test_an_event_subject_reaches_the_handler(driver: Host) -> None:
    app, seen = build()
    driver.event(app, "shop.orders", "OrderPlaced", {"order": 1}, subject="order/1")
    subjects = {name: (event.type, event.subject, event.data) for name, event in seen["events"]}
    assert subjects["order_placed"] == ("OrderPlaced", "order/1", {"order": 1})


# Inputs no function subscribes to


def _unmatched_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno == logging.WARNING and "no function ran" in record.getMessage()
    ]


def test_an_event_nobody_subscribes_to_is_logged_as_a_warning(
    driver: Host, caplog: pytest.LogCaptureFixture
) -> None:
    app, seen = build()
    with caplog.at_level(logging.WARNING):
        driver.event(app, "billing.invoices", "InvoicePaid", {"invoice": 1})
    assert seen["events"] == []
    warnings = _unmatched_warnings(caplog)
    assert warnings, "an event no function matches was acknowledged silently"
    # What arrived, and why nothing ran: the patterns the app's functions want.
    assert all("source='billing.invoices' type='InvoicePaid'" in text for text in warnings)
    assert any("wants event source=shop.orders type=OrderPlaced" in text for text in warnings)


# Azure and local bind object triggers to the declared buckets: no event for another
# bucket reaches the app there, so only the runtimes that route on the bucket's name run it.
BUCKET_ROUTING_HOSTS = [host for host in HOSTS if host.cloud not in ("azure", "local")]


@pytest.mark.parametrize("driver", BUCKET_ROUTING_HOSTS, ids=[h.name for h in BUCKET_ROUTING_HOSTS])
def test_an_object_event_for_an_undeclared_bucket_is_logged_as_a_warning(
    driver: Host, caplog: pytest.LogCaptureFixture
) -> None:
    app, seen = build()
    with caplog.at_level(logging.WARNING):
        driver.object_event(app, "created", "undeclared", "in/a.jpg", size=1)
    assert seen["objects"] == []
    (warning,) = _unmatched_warnings(caplog)
    assert "object created undeclared/in/a.jpg" in warning
    assert "app behaviour declares no bucket of that name" in warning
