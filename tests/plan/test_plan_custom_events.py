"""``polyfn plan`` on custom events: a source-filtered ``on_event`` on no bus is not rated
portable where the platform's own field takes the source's place (Azure) or where a custom
type cannot be routed (Google Cloud); one on the app's event bus is, and the plan says how
each cloud carries its source and type."""

from __future__ import annotations

from polyfn import App, Event
from polyfn.plan.planner import PlanInputs, build_plan
from polyfn.plan.traffic import TrafficProfile

CLOUDS = ("aws", "azure", "gcp")


def _app() -> App:
    app = App("events")
    orders = app.event_bus("orders")

    @app.on_event(source="shop.orders", type="OrderPlaced")
    def unbussed(event: Event) -> None: ...

    @app.on_event(bus=orders, source="shop.orders", type="OrderPlaced")
    def bussed(event: Event) -> None: ...

    @app.on_event(type="google.cloud.storage.object.v1.finalized")
    def google_type(event: Event) -> None: ...

    return app


def _plan() -> tuple[dict[tuple[str, str], str], dict[tuple[str, str], list[str]]]:
    plan = build_plan(PlanInputs(_app(), CLOUDS, TrafficProfile()))
    statuses = {(s.function, s.cloud): s.status for s in plan.statuses}
    notes = {
        (t.function, t.cloud): [f"{n.topic}: {n.text}" for n in t.notes] for t in plan.triggers
    }
    return statuses, notes


def test_a_source_filter_on_no_bus_needs_changes_on_azure_and_gcp_and_says_why() -> None:
    statuses, notes = _plan()
    assert statuses[("unbussed", "aws")] == "portable"
    assert statuses[("unbussed", "azure")] == "needs changes"
    assert statuses[("unbussed", "gcp")] != "portable"
    assert any(
        n.startswith("source:") and "topic" in n and "app.event_bus" in n
        for n in notes[("unbussed", "azure")]
    )
    assert any(n.startswith("type:") and "channel" in n for n in notes[("unbussed", "gcp")])


def test_an_event_on_the_apps_bus_is_portable_and_the_plan_says_how_it_is_carried() -> None:
    statuses, notes = _plan()
    for cloud in CLOUDS:
        assert statuses[("bussed", cloud)] == "portable", cloud
    carried = {cloud: " ".join(notes[("bussed", cloud)]) for cloud in CLOUDS}
    assert "PutEvents" in carried["aws"]
    assert "CloudEvent source" in carried["azure"]
    assert "ce-source" in carried["gcp"] and "every event on the bus" in carried["gcp"]


def test_a_google_event_type_on_no_bus_is_still_routable_on_gcp() -> None:
    _, notes = _plan()
    assert not any(n.startswith("type:") for n in notes[("google_type", "gcp")])
