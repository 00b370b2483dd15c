"""The starter's trace reaches every task on every engine, and a loop through a workflow
stops at the hop limit (core.workflow_trace, core.dispatch.handle_task).

One workflow with a plain task, a retried task, a parallel state and a map state: each
task records the trace its context continues and the data it was given. The engine is
given the carrier the way its backend's ``start`` gives it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from polyfn import App, Context, Map, Parallel, Retry
from workflows.engines import Engine, LocalEngine

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
STARTER_SPAN = "00f067aa0ba902b7"
CARRIER = {
    "traceparent": f"00-{TRACE_ID}-{STARTER_SPAN}-01",
    "x-correlation-id": "order-flow-7",
    "polyfn-hops": "3",
}


class Flaky(Exception):
    pass


def _app(seen: list[dict[str, Any]]) -> App:
    app = App("tracing")
    flow = app.workflow("flow")
    attempts: list[int] = []

    def record(name: str, data: Any, ctx: Context) -> None:
        trace = ctx.trace
        seen.append(
            {
                "task": name,
                "data": data,
                "trace_id": trace.trace_id,
                "parent_id": trace.parent_id,
                "span_id": trace.span_id,
                "correlation_id": trace.correlation_id,
                "hops": trace.hops,
            }
        )

    @flow.task
    def first(data: Any, ctx: Context) -> Any:
        record("first", data, ctx)
        return {"items": [1, 2], "order": data}

    @flow.task(retry=Retry("Flaky", attempts=2, interval=1))
    def retried(data: Any, ctx: Context) -> Any:
        record("retried", data, ctx)
        attempts.append(1)
        if len(attempts) == 1:
            raise Flaky("once")
        return data

    @flow.task
    def left(data: Any, ctx: Context) -> Any:
        record("left", data, ctx)
        return "left"

    @flow.task
    def right(data: Any, ctx: Context) -> Any:
        record("right", data, ctx)
        return "right"

    @flow.task
    def each(data: Any, ctx: Context) -> Any:
        record("each", data, ctx)
        return data * 10

    flow.flow(
        first,
        retried,
        Map("items", [each]),  # the data becomes [10, 20]
        Parallel([left], [right]),
    )
    return app


def test_every_task_continues_the_starters_trace_and_sees_the_data_as_given(
    engine: Engine,
) -> None:
    seen: list[dict[str, Any]] = []
    result = engine.run(_app(seen), "flow", {"orderId": "7"}, CARRIER)
    assert result["status"] == "succeeded", result
    assert result["output"] == ["left", "right"]
    assert sorted(record["task"] for record in seen) == [
        "each",
        "each",
        "first",
        "left",
        "retried",
        "retried",
        "right",
    ]
    for record in seen:
        assert record["trace_id"] == TRACE_ID, record
        assert record["parent_id"] == STARTER_SPAN, record
        assert record["correlation_id"] == "order-flow-7", record
        assert record["hops"] == 3, record
    assert len({record["span_id"] for record in seen}) == len(seen)  # a span per run
    # The user's data, exactly: no carrier in what a task is given.
    by_task = {record["task"]: record["data"] for record in seen}
    assert by_task["first"] == {"orderId": "7"}
    assert by_task["retried"] == {"items": [1, 2], "order": {"orderId": "7"}}
    assert by_task["left"] == by_task["right"] == [10, 20]
    assert sorted(record["data"] for record in seen if record["task"] == "each") == [1, 2]


def test_a_start_without_a_trace_gives_the_data_as_it_is(engine: Engine) -> None:
    seen: list[dict[str, Any]] = []
    result = engine.run(_app(seen), "flow", ["a", "list"], None)
    # The flow fails at the map (no "items" in a list), after the first task saw the list.
    assert seen[0]["data"] == ["a", "list"]
    assert seen[0]["hops"] == 0
    assert result["path"][0] == "first"


def test_a_task_past_its_hop_limit_is_not_run_and_fails_with_loop_stopped(
    engine: Engine,
) -> None:
    seen: list[dict[str, Any]] = []
    looping = {**CARRIER, "polyfn-hops": "17"}
    result = engine.run(_app(seen), "flow", {"orderId": "7"}, looping)
    assert seen == []
    assert result["status"] == "failed"
    assert result["error"] == "LoopStopped"
    assert "hop" in result["cause"] or "limit" in result["cause"]


def test_a_task_that_starts_its_own_workflow_is_stopped_at_the_hop_limit(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Each start carries the task's hops plus one, so the loop's run number is its hop
    # count: the 17th run's task (hops 17 > 16) is not run and fails with LoopStopped.
    # Run locally: the hop arithmetic is core's, the same under every engine above.
    import logging

    from polyfn.adapters.local.backends import LocalBackends

    app = App("looping")
    again = app.workflow("again")
    ran: list[int] = []

    @again.task
    def restart(data: Any, ctx: Context) -> Any:
        ran.append(ctx.trace.hops)
        again.start(data)  # the loop: each run starts the next
        return data

    again.flow(restart)
    app.bind(LocalBackends(tmp_path, app.name))
    backend = app.backend_for(again)
    backend.background = False  # driven here, one execution after the other
    first = backend.start(again, {"n": 1}, None, trace=None)
    with caplog.at_level(logging.ERROR):
        backend.run(first.id)
        while backend.resume_all():
            pass
    assert ran == list(range(17))  # hops 0 (started outside) to 16, the limit
    statuses = sorted(e["status"] for e in backend.executions())
    assert statuses == ["failed"] + ["succeeded"] * 17
    stopped = [e for e in backend.executions() if e["status"] == "failed"]
    assert backend.describe(again, stopped[0]["id"]).summary["error"] == "LoopStopped"
    assert any("recursive loop stopped" in r.getMessage() for r in caplog.records)


def test_a_tasks_own_max_hops_is_its_limit(tmp_path: Path) -> None:
    app = App("limited")
    flow = app.workflow("flow")

    @flow.task(max_hops=2)
    def guarded(data: Any) -> Any:
        return data

    flow.flow(guarded)
    engine = LocalEngine(tmp_path)
    assert engine.run(app, "flow", {}, {**CARRIER, "polyfn-hops": "2"})["status"] == "succeeded"
    stopped = engine.run(app, "flow", {}, {**CARRIER, "polyfn-hops": "3"})
    assert (stopped["status"], stopped["error"]) == ("failed", "LoopStopped")
