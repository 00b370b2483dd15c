"""Cases the local tests used to check on the local runtime alone; each is portable, so it
now runs on every runtime through its host."""

from __future__ import annotations

from typing import Any

import pytest

from polyfn import App, Context, Event, Message, ObjectEvent, Request, Response, Schedule
from polyfn.hosts import Host


def build() -> tuple[App, dict[str, list[Any]]]:
    """A small App whose handlers record the cloud each one ran on."""
    app = App("moved")
    files = app.bucket("files")
    jobs = app.queue("jobs", max_receives=2)
    app.queue("orphans")
    seen: dict[str, list[Any]] = {"http": [], "messages": [], "objects": [], "ticks": []}
    seen["events"] = []

    @app.post("/echo/{name}")
    def echo(req: Request, ctx: Context) -> Response:
        seen["http"].append((ctx.cloud, ctx.function_name))
        return Response.json({"name": req.path_params["name"], "body": req.json()}, 201)

    @app.on_message(jobs, batch_size=3)
    def work(message: Message, ctx: Context) -> None:
        seen["messages"].append((message.text, message.receive_count, ctx.cloud))

    @app.on_object_created(files, prefix="in/")
    def created(event: ObjectEvent) -> None:
        if event.key.endswith(".fail"):
            raise RuntimeError("cannot process")
        seen["objects"].append(event.key)

    @app.schedule("rate(1 hour)")
    def hourly(tick: Schedule, ctx: Context) -> None:
        seen["ticks"].append((tick.name, ctx.cloud))

    @app.on_event(source="shop.*")
    def shop_event(event: Event) -> None:
        seen["events"].append((event.source, event.type, event.data))

    return app, seen


def test_a_path_parameter_arrives_decoded(driver: Host) -> None:
    app, seen = build()
    result = driver.http(
        app,
        "POST",
        "/echo/caf\u00e9 1",
        headers=[("content-type", "application/json")],
        body=b'{"x": 1}',
    )
    assert result.status == 201
    assert result.json() == {"name": "caf\u00e9 1", "body": {"x": 1}}
    assert seen["http"] == [(driver.cloud, "echo")]


def test_a_message_handler_sees_its_cloud(driver: Host) -> None:
    app, seen = build()
    assert driver.messages(app, "jobs", [b"a", b"b"]) == []
    assert sorted((text, cloud) for text, _, cloud in seen["messages"]) == [
        ("a", driver.cloud),
        ("b", driver.cloud),
    ]


def test_a_failing_object_handler_fails_the_invocation(driver: Host) -> None:
    app, seen = build()
    # What is raised is the platform's own failure (an HTTP 500 through functions-framework,
    # the handler's exception elsewhere): only that the invocation failed is portable.
    with pytest.raises(Exception):  # noqa: B017
        driver.object_event(app, "created", "files", "in/x.fail", size=1)
    assert seen["objects"] == []


def test_a_tick_carries_the_cloud(driver: Host) -> None:
    app, seen = build()
    driver.schedule(app, "hourly")
    assert seen["ticks"] == [("hourly", driver.cloud)]


def test_an_event_source_pattern_matches_by_prefix(driver: Host) -> None:
    app, seen = build()
    driver.event(app, "shop.orders", "OrderPlaced", {"order": 1})
    driver.event(app, "billing", "Paid", {})
    assert seen["events"] == [("shop.orders", "OrderPlaced", {"order": 1})]


def test_a_queue_without_consumer_gives_every_message_back(driver: Host) -> None:
    app, _ = build()
    assert driver.messages(app, "orphans", [b"x", b"y"]) == [0, 1]
