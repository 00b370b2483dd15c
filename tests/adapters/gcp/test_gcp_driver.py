"""The gcp test driver: failures are reported the way the platform sees them."""

from __future__ import annotations

import json

import pytest
from gcp_apps import build

from polyfn.hosts import hosts_for
from polyfn.hosts.gcp import GcpHost, InvocationError


def test_the_registry_offers_one_gcp_driver() -> None:
    [driver] = hosts_for("gcp")
    assert isinstance(driver, GcpHost)
    assert (driver.name, driver.cloud) == ("gcp", "gcp")


def test_each_message_is_its_own_push() -> None:
    app, seen = build()
    bodies = [json.dumps({"n": n, "fail": n in (1, 3)}).encode() for n in range(5)]
    assert GcpHost().messages(app, "jobs", bodies, attributes={"a": "b"}) == [1, 3]
    assert [m.json()["n"] for m in seen["messages"]] == [0, 2, 4]
    assert all(m.attributes == {"a": "b"} for m in seen["messages"])


def test_failed_invocations_raise() -> None:
    app, _ = build()
    driver = GcpHost()
    with pytest.raises(InvocationError) as raised:
        driver.object_event(app, "created", "uploads", "in/x.fail")
    assert raised.value.status == 500
    with pytest.raises(InvocationError):
        driver.event(app, "//shop.example.com/orders", "com.example.order.broken", {})
    with pytest.raises(InvocationError):
        driver.schedule(app, "not_scheduled")  # an unknown job is a plain request: 404


def test_schedule_and_http_through_the_driver() -> None:
    app, seen = build()
    driver = GcpHost()
    driver.schedule(app, "nightly_cleanup")
    assert [tick.name for tick in seen["ticks"]] == ["nightly_cleanup"]
    result = driver.http(app, "GET", "/users/7")
    assert result.status == 200 and result.json() == {"id": "7"}
