"""The order workflow on the local executor (SQLite): paths, retries, catches, timeouts,
idempotent names, and an execution that survives kill -9."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from polyfn import App
from polyfn.adapters.local.backends import LocalBackends
from polyfn.adapters.local.backends.workflows import ExecutionExists, LocalWorkflow
from polyfn.core.errors import WorkflowInputError
from workflows.order_workflow import build

HAPPY = ["validate_order", "check_inventory", "charge_payment", "fulfill_order"]


def local(app: App, data_dir: Path, name: str = "order") -> LocalWorkflow:
    backends = LocalBackends(data_dir, app.name)
    app.bind(backends)
    backend: LocalWorkflow = app.backend_for(app.workflows[name])
    backend.background = False  # the tests drive each execution themselves
    return backend


def run(app: App, data_dir: Path, data: Any, name: str | None = None) -> dict[str, Any]:
    backend = local(app, data_dir)
    execution = app.workflows["order"].start(data, name=name)
    return backend.run(execution.id).summary()


def test_the_happy_path_visits_every_task_in_order(tmp_path: Path) -> None:
    result = run(build(), tmp_path, {"orderId": "123"})
    assert result["status"] == "succeeded"
    assert result["path"] == HAPPY
    assert result["output"] == {"orderId": "123", "status": "fulfilled", "charged": 42}


def test_out_of_stock_is_caught_and_ends_the_run(tmp_path: Path) -> None:
    result = run(build(), tmp_path, {"orderId": "7", "stock": "out"})
    assert result["status"] == "succeeded"
    assert result["path"] == ["validate_order", "check_inventory", "notify_out_of_stock"]
    assert result["output"] == {
        "orderId": "7",
        "status": "out_of_stock",
        "error": {"Error": "OutOfStock", "Cause": "order 7: an item is out of stock"},
    }


def test_payment_failed_is_caught_with_the_order_data_kept(tmp_path: Path) -> None:
    result = run(build(), tmp_path, {"orderId": "8", "card": "declined"})
    assert result["path"] == [
        "validate_order",
        "check_inventory",
        "charge_payment",
        "notify_payment_failed",
    ]
    assert result["output"]["error"] == {"Error": "PaymentFailed", "Cause": "card declined"}


def test_a_transient_error_is_retried_then_the_run_goes_on(tmp_path: Path) -> None:
    counter = tmp_path / "throttle"
    result = run(
        build(retry_interval=0.01),
        tmp_path,
        {"orderId": "9", "throttle": {"file": str(counter), "times": 2}},
    )
    assert result["status"] == "succeeded"
    assert counter.read_text() == "3"  # two throttled attempts, then the one that passed
    assert result["path"] == HAPPY  # a retry is not a new visit


def test_retries_run_out_and_the_run_fails_with_the_error(tmp_path: Path) -> None:
    counter = tmp_path / "throttle"
    result = run(
        build(retry_interval=0.01),
        tmp_path,
        {"orderId": "9", "throttle": {"file": str(counter), "times": 9}},
    )
    assert (result["status"], result["error"]) == ("failed", "Throttled")
    assert counter.read_text() == "4"  # the first attempt and three retries
    assert result["path"] == ["validate_order"]


def test_an_uncaught_error_fails_the_run(tmp_path: Path) -> None:
    result = run(build(), tmp_path, {"no": "order id"})
    assert result["status"] == "failed"
    assert (result["error"], result["cause"]) == ("ValueError", "an order needs an orderId")


def test_a_task_past_its_timeout_fails_with_states_timeout(tmp_path: Path) -> None:
    result = run(build(), tmp_path, {"orderId": "5", "slow": 3})
    assert (result["status"], result["error"]) == ("failed", "States.Timeout")
    assert result["path"] == HAPPY


def test_the_same_name_and_input_give_the_same_execution(tmp_path: Path) -> None:
    app = build()
    local(app, tmp_path)
    order = app.workflows["order"]
    first = order.start({"orderId": "1"}, name="order-1")
    again = order.start({"orderId": "1"}, name="order-1")
    assert first.id == again.id == "order-1"
    with pytest.raises(ExecutionExists, match="different input"):
        order.start({"orderId": "2"}, name="order-1")


def test_input_that_is_not_json_is_refused(tmp_path: Path) -> None:
    app = build()
    backend = local(app, tmp_path)
    for not_json in ({"when": object()}, {"amount": float("nan")}):
        with pytest.raises(WorkflowInputError, match="'order': the input must be JSON"):
            app.workflows["order"].start(not_json)
    assert backend.executions() == []  # refused before anything was saved


SLOW_APP = """
import sys, time
from pathlib import Path
from polyfn import App
from polyfn.adapters.local.backends import LocalBackends

app = App("orders")
order = app.workflow("order")
marks = Path(sys.argv[2])

@order.task
def first(data):
    with marks.open("a") as out:
        out.write("first\\n")
    return {**data, "first": True}

@order.task
def second(data):
    with marks.open("a") as out:
        out.write("second\\n")
    if sys.argv[3] == "hang":
        time.sleep(60)  # killed here
    return {**data, "second": True}

@order.task
def third(data):
    return {**data, "third": True}

order.flow(first, second, third)
backends = LocalBackends(Path(sys.argv[1]), "orders")
app.bind(backends)
backend = app.backend_for(order)
backend.background = False
if sys.argv[3] == "hang":
    execution = order.start({"orderId": "k9"}, name="k9")
    backend.run(execution.id)
else:
    print(backend.resume_all())
    print(backend.load("k9").summary())
"""


def test_kill_9_mid_execution_resumes_from_the_last_completed_state(tmp_path: Path) -> None:
    script = tmp_path / "slow_app.py"
    script.write_text(SLOW_APP)
    marks = tmp_path / "marks"
    data = tmp_path / "data"
    process = subprocess.Popen([sys.executable, str(script), str(data), str(marks), "hang"])
    try:
        deadline = time.monotonic() + 30
        while "second" not in (marks.read_text() if marks.exists() else ""):
            assert time.monotonic() < deadline, "the second task never started"
            assert process.poll() is None, "the workflow process ended early"
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    resumed = subprocess.run(
        [sys.executable, str(script), str(data), str(marks), "resume"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    lines = resumed.stdout.splitlines()
    assert lines[0] == "['k9']"
    summary = eval(lines[1])  # a dict's repr, printed by the script
    assert summary["status"] == "succeeded"
    assert summary["output"] == {"orderId": "k9", "first": True, "second": True, "third": True}
    # first ran once (its completion was saved); second ran again after the kill.
    assert marks.read_text().splitlines() == ["first", "second", "second"]
    assert summary["path"] == ["first", "second", "third"]
    json.dumps(summary)


def test_the_local_runtime_resumes_unfinished_executions_and_starts_new_ones(
    tmp_path: Path,
) -> None:
    import io

    from polyfn.adapters.local.entry import LocalRuntime, RuntimeOptions

    app = build(retry_interval=0.01)
    left = local(app, tmp_path)  # an execution saved but never run: its process died
    order = app.workflows["order"]
    order.start({"orderId": "left-behind"}, name="left-behind")
    assert left.load("left-behind").status == "running"
    app.unbind()

    runtime = LocalRuntime(app, RuntimeOptions(tmp_path, serve_http=False), log=io.StringIO())
    runtime.start()
    try:
        # Under the runtime, start returns at once and the execution runs on a thread.
        started = order.start({"orderId": "new"})
        deadline = time.monotonic() + 20
        statuses: list[str] = []
        while time.monotonic() < deadline:
            statuses = [order.execution(name).status for name in ("left-behind", started.id)]
            if statuses == ["succeeded", "succeeded"]:
                break
            time.sleep(0.05)
        assert statuses == ["succeeded", "succeeded"]
    finally:
        runtime.stop()


def test_a_task_continues_the_trace_and_correlation_of_the_invocation_that_started_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # The starter's trace is saved with the execution, so a task run after a restart
    # (resume) continues it too; each task is its own span of the trace.
    import logging

    from polyfn import Context, Request, Response

    app = App("traced")
    flow = app.workflow("flow", timeout=60)

    @flow.task
    def first(data: Any, ctx: Context) -> Any:
        ctx.logger.info("first ran")
        return data

    @flow.task
    def second(data: Any, ctx: Context) -> Any:
        ctx.logger.info("second ran")
        return data

    flow.flow(first, second)

    @app.post("/start")
    def start(req: Request) -> Response:
        execution = flow.start({"n": 1})
        return Response.json({"id": execution.id}, 202)

    backend = local(app, tmp_path, "flow")
    from polyfn.hosts.local import HOSTS

    caplog.set_level(logging.INFO)
    answer = HOSTS[0].http(
        app,
        "POST",
        "/start",
        headers=[
            ("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
            ("x-correlation-id", "order-7-flow"),
        ],
        body=b"{}",
    )
    assert answer.status == 202
    assert backend.run(answer.json()["id"]).status == "succeeded"
    ran = [r for r in caplog.records if r.getMessage() in ("first ran", "second ran")]
    assert [r.__dict__["function"] for r in ran] == ["first", "second"]
    for record in ran:
        assert record.__dict__["traceId"] == "4bf92f3577b34da6a3ce929d0e0e4736"
        assert record.__dict__["correlationId"] == "order-7-flow"
    assert ran[0].__dict__["spanId"] != ran[1].__dict__["spanId"]
