"""What is Durable-specific in running a workflow on Azure: registration, failure texts,
branches as sub-orchestrations, timers, and the starting side through the real client."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from polyfn import App, Retry
from polyfn.adapters.azure import function_app
from polyfn.adapters.azure.workflows import (
    DurableWorkflows,
    ExecutionExists,
    TaskFailure,
    UnknownExecution,
    branch_orchestrator_name,
    close_client,
    decode_failure,
    orchestrator_name,
    summary_from_status,
)
from polyfn.core.errors import ConfigError
from polyfn.core.workflow_steps import Map, Parallel, Wait
from workflows.durable_host import (
    ORCHESTRATOR_COMPLETED,
    SUB_COMPLETED,
    SUB_CREATED,
    TIMER_CREATED,
    DurableHost,
    DurableRpc,
)
from workflows.engines import DurableEngine, LocalEngine
from workflows.order_workflow import build

# ----------------------------------------------------------------------------- failures


def test_a_task_failure_is_read_back_whatever_the_host_wraps_it_in() -> None:
    failure = TaskFailure("OutOfStock", 'item "42": none left\nsorry')
    as_reason = f"Activity function 'check_inventory' failed: {failure}"
    as_details = json.dumps({"Message": f"Exception: TaskFailure: {failure}"})
    for text in (str(failure), as_reason, as_details, f"{as_reason} \n {as_details}"):
        assert decode_failure(text) == ("OutOfStock", 'item "42": none left\nsorry')


def test_a_failure_not_raised_by_polyfn_falls_back_on_the_worker_line() -> None:
    text = "Activity function 'x' failed: Exception: KeyError: 'orderId'\nStack: ..."
    assert decode_failure(text) == ("KeyError", "'orderId'")
    assert decode_failure("the host gave up") == ("States.TaskFailed", "the host gave up")


def test_a_failed_orchestration_reads_as_the_execution_summary() -> None:
    from polyfn.adapters.azure.workflows import ExecutionFailed

    failure = ExecutionFailed("timed_out", "States.Timeout", "too slow")
    summary = summary_from_status("x", "Failed", str(failure), {"path": ["a", "b"]})
    assert summary == {
        "id": "x",
        "path": ["a", "b"],
        "status": "timed_out",
        "error": "States.Timeout",
        "cause": "too slow",
    }
    assert summary_from_status("x", "Running", None, None) == {
        "id": "x",
        "path": [],
        "status": "running",
    }


# ----------------------------------------------------------------------------- registration


def test_function_app_registers_the_orchestrators_and_one_activity_per_task() -> None:
    app = build()
    # What the worker reports to the host for each function (its function.json).
    indexed = {f.get_function_name(): f for f in function_app(app).get_functions()}

    def bindings_of(name: str) -> Any:
        return json.loads(indexed[name].get_function_json())["bindings"]

    names = set(indexed)
    tasks = set(app.workflows["order"].tasks)
    assert names >= {orchestrator_name("order"), branch_orchestrator_name("order"), *tasks}
    assert bindings_of("order_workflow") == [
        {"type": "orchestrationTrigger", "direction": "IN", "name": "context"}
    ]
    for task in tasks:
        assert bindings_of(task) == [{"type": "activityTrigger", "direction": "IN", "name": "data"}]


def test_a_function_with_the_orchestrators_name_is_refused() -> None:
    app = build()

    @app.get("/x", name="order_workflow")
    def clash(request: Any) -> str:
        return ""

    with pytest.raises(ConfigError, match="order_workflow"):
        function_app(app)


_WORKFLOW_APP = """
from polyfn import App

app = App("flows")
order = app.workflow("order", timeout=60)


@app.get("/ping")
def ping(request):
    return "pong"


@order.task
def validate_order(data):
    return data


order.flow(validate_order)
"""

# Run in the built project, as the Python worker indexes it.
_INDEX = """
import json, sys
sys.path.insert(0, ".")
import function_app
print(json.dumps({f.get_function_name(): json.loads(f.get_function_json())["bindings"]
                  for f in function_app.app.get_functions()}))
"""


def test_the_built_azure_project_indexes_the_durable_functions(tmp_path: Path) -> None:
    import subprocess
    import sys

    from polyfn.deploy.builder import BuildOptions, build

    source = tmp_path / "src"
    source.mkdir()
    (source / "app.py").write_text(_WORKFLOW_APP)
    out = tmp_path / "out"
    build(str(source), out, BuildOptions(cloud="azure"))
    requirements = (out / "requirements.txt").read_text().splitlines()
    assert any(line.startswith("azure-functions-durable") for line in requirements)
    settings = json.loads((out / "local.settings.json.example").read_text())["Values"]
    indexed = subprocess.run(
        [sys.executable, "-c", _INDEX],
        cwd=out,
        env={**settings, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert indexed.returncode == 0, indexed.stderr
    functions = json.loads(indexed.stdout)
    types = {
        name: next(b["type"] for b in bindings if b["type"].endswith("Trigger"))
        for name, bindings in functions.items()
    }
    assert types["ping"] == "httpTrigger"
    # A function of an app with workflows may start one: it has the Durable client binding.
    assert "durableClient" in [b["type"] for b in functions["ping"]]
    durable = {name: kind for name, kind in types.items() if kind != "httpTrigger"}
    assert durable == {
        "order_workflow": "orchestrationTrigger",
        "order_workflow_branch": "orchestrationTrigger",
        "validate_order": "activityTrigger",
    }


# ----------------------------------------------------------------------------- branches, timers


def _branchy(max_concurrency: int) -> App:
    app = App("branchy")
    flow = app.workflow("fan")

    @flow.task
    def double(data: Any) -> Any:
        return data * 2

    @flow.task
    def total(data: Any) -> Any:
        return {"sum": sum(data[0]), "first": data[1]}

    @flow.task
    def first(data: Any) -> Any:
        return data["items"][0]

    flow.flow(
        Parallel(Map("items", double, max_concurrency=max_concurrency), first),
        total,
    )
    return app


def test_parallel_and_map_run_as_sub_orchestrations_like_the_local_executor(
    tmp_path: Path,
) -> None:
    data = {"items": [1, 2, 3, 4, 5]}
    durable = DurableEngine()
    result = durable.run(_branchy(2), "fan", data)
    assert result == LocalEngine(tmp_path).run(_branchy(2), "fan", data)
    assert result["output"] == {"sum": 30, "first": 1}
    assert durable.host.activities_run.count("double") == 5


class Unlucky(Exception):
    pass


def _catching() -> App:
    app = App("catching")
    flow = app.workflow("items")  # no timeout: activities are awaited alone

    @flow.task
    def check(data: Any) -> Any:
        if data == 13:
            raise Unlucky(f"item {data}")
        return data

    @flow.task
    def report(data: Any) -> Any:
        return {"failed": data["error"]}

    flow.flow(Map("items", check, max_concurrency=2).catch("Unlucky", report))
    return app


def test_a_branch_failure_is_the_map_states_error_caught_like_the_local_executor(
    tmp_path: Path,
) -> None:
    data = {"items": [1, 13, 2]}
    result = DurableEngine().run(_catching(), "items", data)
    assert result == LocalEngine(tmp_path).run(_catching(), "items", data)
    assert result["output"] == {"failed": {"Error": "Unlucky", "Cause": "item 13"}}


def test_max_concurrency_bounds_the_sub_orchestrations_started_together() -> None:
    host = DurableHost(function_app(_branchy(2)))
    # The parallel state's first branch (the map over 5 items), as its parent starts it.
    spec = {"branch": [["Parallel1", 0]], "data": {"items": [1, 2, 3, 4, 5]}}
    outcome = host.run(branch_orchestrator_name("fan"), spec, "run-1:1")
    assert (outcome.status, outcome.output) == ("Completed", [2, 4, 6, 8, 10])
    started_per_episode: list[int] = []
    count = running = most = 0
    for event in outcome.history:
        if event["EventType"] == SUB_CREATED:
            count, running = count + 1, running + 1
            most = max(most, running)
        elif event["EventType"] == SUB_COMPLETED:
            running -= 1
        elif event["EventType"] == ORCHESTRATOR_COMPLETED:
            started_per_episode.append(count)
            count = 0
    assert most == 2
    # A sliding window: each branch that ends lets the next one start (batches of two
    # would wait for both, [2, 2, 1]).
    assert [n for n in started_per_episode if n] == [2, 1, 1, 1]


def test_branches_running_past_the_execution_timeout_end_it_timed_out() -> None:
    app = App("slowmap")
    flow = app.workflow("fan", timeout=30)

    @flow.task
    def after(data: Any) -> Any:
        return data

    flow.flow(Map("items", Wait(3600)), after)
    host = DurableHost(function_app(app))
    outcome = host.run(orchestrator_name("fan"), {"items": [1, 2]}, "run-1")
    summary = summary_from_status("run-1", outcome.status, outcome.output, outcome.custom_status)
    assert (summary["status"], summary["error"]) == ("timed_out", "States.Timeout")
    assert host.activities_run == []
    # The run ended at its deadline, 30 s after the start, not when the branches did.
    assert outcome.ended.isoformat().startswith("2026-01-01T00:00:30")


def test_an_execution_past_its_timeout_ends_timed_out_on_a_durable_timer() -> None:
    app = App("slow")
    flow = app.workflow("sleepy", timeout=30)

    @flow.task
    def never(data: Any) -> Any:
        return data

    flow.flow(Wait(3600), never)
    host = DurableHost(function_app(app))
    outcome = host.run(orchestrator_name("sleepy"), {}, "run-1")
    summary = summary_from_status("run-1", outcome.status, outcome.output, outcome.custom_status)
    assert (summary["status"], summary["error"], summary["path"]) == (
        "timed_out",
        "States.Timeout",
        ["Wait1"],
    )
    assert host.activities_run == []
    # The wait's timer was cut at the deadline (30 s after the start), not at an hour.
    (created,) = [e for e in outcome.history if e["EventType"] == TIMER_CREATED]
    assert created["FireAt"].startswith("2026-01-01T00:00:30")


def test_a_retry_waits_on_a_timer_of_the_retry_interval(tmp_path: Path) -> None:
    host = DurableHost(function_app(build()))
    data = {"orderId": "1", "throttle": {"file": str(tmp_path / "n"), "times": 2}}
    outcome = host.run(orchestrator_name("order"), data, "run-1")
    assert outcome.status == "Completed"
    fire_times = [e["FireAt"] for e in outcome.history if e["EventType"] == TIMER_CREATED]
    # Interval 1 s, then x2; each task also races a timer at the execution's 60 s deadline.
    retry_timers = [t[11:19] for t in fire_times if t[11:19] != "00:01:00"]  # not the deadline
    assert retry_timers[:2] == ["00:00:01", "00:00:03"]
    assert host.activities_run[:3] == ["validate_order"] * 3


def test_a_jittered_retry_replays_to_the_same_timer(tmp_path: Path) -> None:
    """A retry's jitter is drawn from the execution, not from ``random``: every replay of
    the orchestrator makes the same timer, and another execution spreads to another time."""
    app = App("jittery")
    flow = app.workflow("once")
    counter = tmp_path / "count"

    @flow.task(retry=Retry("Flaky", attempts=2, interval=10, jitter=True))
    def flaky(data: Any) -> Any:
        seen = int(counter.read_text()) if counter.exists() else 0
        counter.write_text(str(seen + 1))
        if seen % 2 == 0:
            raise Flaky("first time")
        return "done"

    flow.flow(flaky)
    fire_times = []
    for instance in ("run-1", "run-2"):
        host = DurableHost(function_app(app))
        outcome = host.run(orchestrator_name("once"), {}, instance)
        assert (outcome.status, outcome.output) == ("Completed", "done")
        assert host.activities_run == ["flaky", "flaky"]
        (timer,) = [e for e in outcome.history if e["EventType"] == TIMER_CREATED]
        fire_times.append(timer["FireAt"])
    # Each run's one timer, made once over all its replays, at its own jittered time.
    assert fire_times[0] != fire_times[1]


def test_jitter_is_the_same_for_one_retry_and_spread_across_executions() -> None:
    from polyfn.core.workflow_engine import jitter_fraction

    assert jitter_fraction("a", "charge", 0, 1) == jitter_fraction("a", "charge", 0, 1)
    fractions = {jitter_fraction(f"run-{n}", "charge", 0, 1) for n in range(200)}
    assert len(fractions) == 200
    assert all(0 <= f < 1 for f in fractions)
    # Spread over the whole interval, as FULL jitter is: none of ten tenths is empty.
    assert {int(f * 10) for f in fractions} == set(range(10))


class Flaky(Exception):
    pass


# ----------------------------------------------------------------------------- starting side


@pytest.fixture
def rpc() -> Iterator[DurableRpc]:
    server = DurableRpc(function_app(build()))
    server.thread.start()
    try:
        yield server
    finally:
        close_client()
        server.server.shutdown()
        server.server.server_close()
        server.thread.join()


def _backend(rpc: DurableRpc) -> DurableWorkflows:
    from azure.durable_functions import DurableOrchestrationClient

    return DurableWorkflows(DurableOrchestrationClient(rpc.binding()))


def test_start_and_describe_through_the_durable_client(rpc: DurableRpc) -> None:
    backend = _backend(rpc)
    order = build().workflows["order"]
    started = backend.start(order, {"orderId": "1", "card": "declined"}, "order-1")
    assert started.id == "order-1"
    assert rpc.instances["order-1"]["name"] == "order_workflow"
    described = backend.describe(order, "order-1")
    assert described.status == "succeeded", described.summary
    assert described.summary["path"][-1] == "notify_payment_failed"


def test_a_reused_name_gives_the_execution_or_refuses_other_input(rpc: DurableRpc) -> None:
    backend = _backend(rpc)
    order = build().workflows["order"]
    backend.start(order, {"no": "id"}, "order-2")
    again = backend.start(order, {"no": "id"}, "order-2")
    assert (again.id, again.status, again.summary["error"]) == ("order-2", "failed", "ValueError")
    with pytest.raises(ExecutionExists, match="order-2"):
        backend.start(order, {"orderId": "2"}, "order-2")


def test_a_start_carries_the_starters_trace_and_its_name_ignores_it(rpc: DurableRpc) -> None:
    backend = _backend(rpc)
    order = build().workflows["order"]
    carried = {
        "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "x-correlation-id": "c-3",
        "polyfn-hops": "1",
    }
    backend.start(order, {"orderId": "3"}, "order-3", trace=carried)
    sent = rpc.instances["order-3"]["input"]
    sent = json.loads(sent) if isinstance(sent, str) else sent
    assert sent == {"polyfnTrace": carried, "polyfnInput": {"orderId": "3"}}
    # Another starter (another span), the same name and input: the same execution.
    other = {**carried, "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}
    again = backend.start(order, {"orderId": "3"}, "order-3", trace=other)
    assert again.id == "order-3"
    with pytest.raises(ExecutionExists):
        backend.start(order, {"orderId": "4"}, "order-3", trace=other)


def test_describing_an_unknown_execution_is_a_typed_error(rpc: DurableRpc) -> None:
    with pytest.raises(UnknownExecution, match="nope"):
        _backend(rpc).describe(build().workflows["order"], "nope")


def test_a_function_of_the_app_starts_a_workflow_through_its_client_binding(
    rpc: DurableRpc,
) -> None:
    import azure.functions as func

    from polyfn import Request

    app = build()
    order = app.workflows["order"]

    @app.post("/orders")
    def place(request: Request) -> dict[str, Any]:
        started = order.start(request.json(), name=f"order-{request.json()['orderId']}")
        return {"id": started.id, "status": order.execution(started.id).status}

    indexed = {
        f.get_function_name(): f for f in function_app(app, backends="azure").get_functions()
    }
    bindings = json.loads(indexed["place"].get_function_json())["bindings"]
    assert {"type": "durableClient", "direction": "IN", "name": "polyfn_durable_client"} in [
        {k: b[k] for k in ("type", "direction", "name")} for b in bindings
    ]
    request = func.HttpRequest(
        "POST", "http://localhost/api/orders", body=b'{"orderId": "77"}', headers={}
    )
    # As the worker calls it: each binding by its parameter name.
    response = indexed["place"].get_user_function()(
        req=request, context=None, polyfn_durable_client=rpc.binding()
    )
    assert json.loads(response.get_body()) == {"id": "order-77", "status": "succeeded"}
    assert rpc.instances["order-77"]["runtimeStatus"] == "Completed"


def test_outside_an_invocation_the_azure_backend_says_what_is_missing() -> None:
    from polyfn.adapters.azure.backends import AzureBackends

    order = build().workflows["order"]
    with pytest.raises(ConfigError, match="Durable client binding"):
        AzureBackends().workflow(order).start(order, {"orderId": "1"}, None)


def test_a_task_result_that_is_not_json_fails_the_task_as_on_the_local_executor(
    tmp_path: Path,
) -> None:
    def app() -> App:
        made = App("sets")
        flow = made.workflow("odd")

        @flow.task
        def odd(data: Any) -> Any:
            return {1, 2}

        flow.flow(odd)
        return made

    durable = DurableEngine().run(app(), "odd", {})
    local = LocalEngine(tmp_path).run(app(), "odd", {})
    assert (durable["status"], durable["error"]) == (local["status"], local["error"])
    assert durable["error"] == "States.Runtime"
    assert "not JSON" in durable["cause"]
