"""The local host (``polyfn.hosts.local``): the runtime's own paths, one invocation each."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from polyfn import App, Context, Event, Message, ObjectEvent, Request, Response, Schedule
from polyfn.core.errors import ConfigError
from polyfn.hosts import hosts_for
from polyfn.hosts.local import HOSTS, LocalHost, invoke_messages, invoke_schedule


@pytest.fixture
def seen() -> dict[str, list[object]]:
    return {"http": [], "messages": [], "objects": [], "ticks": [], "events": []}


@pytest.fixture
def app(seen: dict[str, list[object]], data_dir: Path) -> App:
    app = App("driven")
    files = app.bucket("files")
    jobs = app.queue("jobs", max_receives=2)
    app.queue("orphans")

    @app.post("/echo/{name}")
    def echo(req: Request, ctx: Context) -> Response:
        seen["http"].append((ctx.cloud, ctx.function_name))
        return Response.json({"name": req.path_params["name"], "body": req.json()}, 201)

    @app.on_message(jobs, batch_size=3)
    def work(message: Message, ctx: Context) -> None:
        seen["messages"].append((message.text, message.receive_count, ctx.cloud))
        if message.text == "bad":
            raise ValueError("bad job")

    @app.on_object_created(files, prefix="in/")
    def created(event: ObjectEvent) -> None:
        seen["objects"].append((event.action, event.bucket, event.key, event.size))
        if event.key.endswith(".fail"):
            raise RuntimeError("cannot process")

    @app.schedule("rate(1 hour)")
    def hourly(tick: Schedule, ctx: Context) -> None:
        seen["ticks"].append((tick.name, ctx.cloud))

    @app.on_event(source="shop.*")
    def shop_event(event: Event) -> None:
        seen["events"].append((event.source, event.type, event.data))

    return app


def test_the_local_runtime_has_one_driver() -> None:
    assert [d.name for d in hosts_for("local")] == ["local"]
    assert isinstance(HOSTS[0], LocalHost)
    assert HOSTS[0].cloud == "local"


def test_http_through_the_served_wsgi_app(app: App, seen: dict[str, list[object]]) -> None:
    result = LocalHost().http(
        app,
        "POST",
        "/echo/caf\u00e9 1",
        headers=[("content-type", "application/json")],
        body=b'{"x": 1}',
    )
    assert result.status == 201
    assert result.json() == {"name": "caf\u00e9 1", "body": {"x": 1}}
    assert result.headers["content-type"] == "application/json"
    assert seen["http"] == [("local", "echo")]
    missing = LocalHost().http(app, "GET", "/nowhere")
    assert missing.status == 404
    assert missing.json()["error"]["status"] == 404


def test_messages_go_through_the_worker(app: App, seen: dict[str, list[object]]) -> None:
    bodies = [b"a", b"bad", b"c", b"d", b"bad"]
    assert LocalHost().messages(app, "jobs", bodies) == [1, 4]
    handled = [entry for entry in seen["messages"] if isinstance(entry, tuple)]
    assert sorted(handled) == sorted((b.decode(), 1, "local") for b in bodies)
    # A queue without a consumer leaves every message queued.
    assert LocalHost().messages(app, "orphans", [b"x", b"y"]) == [0, 1]
    with pytest.raises(ConfigError, match="no queue 'nope'"):
        invoke_messages(app, "nope", [b"x"])


def test_object_events_reach_matching_subscribers(app: App, seen: dict[str, list[object]]) -> None:
    driver = LocalHost()
    driver.object_event(app, "created", "files", "in/a b+c.txt", size=7)
    driver.object_event(app, "created", "files", "out/skipped.txt", size=1)
    driver.object_event(app, "deleted", "files", "in/a b+c.txt")
    assert seen["objects"] == [("created", "files", "in/a b+c.txt", 7)]
    with pytest.raises(RuntimeError, match="cannot process"):
        driver.object_event(app, "created", "files", "in/x.fail")
    with pytest.raises(ValueError, match="'created' or 'deleted'"):
        driver.object_event(app, "updated", "files", "in/x")


def test_schedules_and_events(app: App, seen: dict[str, list[object]]) -> None:
    driver = LocalHost()
    driver.schedule(app, "hourly")
    assert seen["ticks"] == [("hourly", "local")]
    with pytest.raises(ConfigError, match="scheduled: hourly"):
        driver.schedule(app, "work")
    driver.event(app, "shop.orders", "OrderPlaced", {"order": 1})
    driver.event(app, "billing", "Paid", {})
    assert seen["events"] == [("shop.orders", "OrderPlaced", {"order": 1})]


def test_invoke_can_log_like_the_runtime(app: App, capsys: pytest.CaptureFixture[str]) -> None:
    invoke_schedule(app, "hourly", log=True)
    (line,) = capsys.readouterr().err.strip().splitlines()
    entry = json.loads(line)
    assert (entry["function"], entry["trigger"], entry["outcome"]) == ("hourly", "schedule", "ok")
