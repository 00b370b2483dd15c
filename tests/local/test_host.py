"""The local host (``polyfn.hosts.local``): the runtime's own paths, one invocation each."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from polyfn import App, Context, Message, ObjectEvent, Schedule
from polyfn.core.errors import ConfigError
from polyfn.hosts import hosts_for
from polyfn.hosts.local import HOSTS, LocalHost, invoke_messages, invoke_schedule


@pytest.fixture
def seen() -> dict[str, list[object]]:
    return {"messages": []}


@pytest.fixture
def app(seen: dict[str, list[object]], data_dir: Path) -> App:
    app = App("driven")
    files = app.bucket("files")
    jobs = app.queue("jobs", max_receives=2)

    @app.on_message(jobs, batch_size=3)
    def work(message: Message, ctx: Context) -> None:
        seen["messages"].append((message.text, message.receive_count, ctx.cloud))
        if message.text == "bad":
            raise ValueError("bad job")

    @app.on_object_created(files, prefix="in/")
    def created(event: ObjectEvent) -> None:
        if event.key.endswith(".fail"):
            raise RuntimeError("cannot process")

    @app.schedule("rate(1 hour)")
    def hourly(tick: Schedule) -> None:
        pass

    return app


def test_the_local_runtime_has_one_driver() -> None:
    assert [d.name for d in hosts_for("local")] == ["local"]
    assert isinstance(HOSTS[0], LocalHost)
    assert HOSTS[0].cloud == "local"


# HTTP, partial batch failure, decoded keys, filters, ticks and event matching are the
# behaviour suite's (tests/behaviour); what stays here is what only the local host does.


def test_a_first_delivery_counts_one_and_an_unknown_queue_is_refused(
    app: App, seen: dict[str, list[object]]
) -> None:
    assert LocalHost().messages(app, "jobs", [b"a", b"bad"]) == [1]
    assert sorted(seen["messages"]) == [("a", 1, "local"), ("bad", 1, "local")]
    with pytest.raises(ConfigError, match="no queue 'nope'"):
        invoke_messages(app, "nope", [b"x"])


def test_an_object_handler_s_own_exception_propagates(app: App) -> None:
    driver = LocalHost()
    with pytest.raises(RuntimeError, match="cannot process"):
        driver.object_event(app, "created", "files", "in/x.fail")
    with pytest.raises(ValueError, match="'created' or 'deleted'"):
        driver.object_event(app, "updated", "files", "in/x")


def test_only_a_scheduled_function_fires(app: App) -> None:
    with pytest.raises(ConfigError, match="scheduled: hourly"):
        LocalHost().schedule(app, "work")


def test_invoke_can_log_like_the_runtime(app: App, capsys: pytest.CaptureFixture[str]) -> None:
    invoke_schedule(app, "hourly", log=True)
    (line,) = capsys.readouterr().err.strip().splitlines()
    entry = json.loads(line)
    assert (entry["function"], entry["trigger"], entry["outcome"]) == ("hourly", "schedule", "ok")


def test_an_event_of_another_kind_is_refused_in_plain_english(app: App) -> None:
    from polyfn.core.errors import UnrecognizedEvent
    from polyfn.hosts.local import invoke_native

    with pytest.raises(UnrecognizedEvent) as raised:
        invoke_native(app, app.functions["hourly"], {"object": {"bucket": "files", "key": "x"}})
    assert "and this is an object event" in str(raised.value)
