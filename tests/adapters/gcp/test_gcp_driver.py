"""The gcp test driver: failures are reported the way the platform sees them."""

from __future__ import annotations

import pytest
from behaviour.behaviour_app import build

from polyfn import App, Event
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
        driver.object_event(app, "created", "files", "in/broken.jpg")
    assert raised.value.status == 500
    # The shared app's event subscribers never fail: one that does.
    failing_event_app = App("failing-event")

    @failing_event_app.on_event(source="//shop.example.com/*")
    def broken(event: Event) -> None:
        raise RuntimeError("secret-event-failure")

    with pytest.raises(InvocationError):
        driver.event(failing_event_app, "//shop.example.com/orders", "com.example.order.x", {})
    with pytest.raises(InvocationError):
        driver.schedule(app, "not_scheduled")  # an unknown job is a plain request: 404
