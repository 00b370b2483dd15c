"""The gcp test driver: failures are reported the way the platform sees them."""

from __future__ import annotations

import pytest
from gcp_apps import build

from polyfn.hosts import hosts_for
from polyfn.hosts.gcp import GcpHost, InvocationError


def test_the_registry_offers_one_gcp_driver() -> None:
    [driver] = hosts_for("gcp")
    assert isinstance(driver, GcpHost)
    assert (driver.name, driver.cloud) == ("gcp", "gcp")


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
