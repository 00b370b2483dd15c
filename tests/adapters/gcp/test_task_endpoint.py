"""A workflow task's Cloud Function: what Cloud Workflows' ``http.post`` gets back.

Served by functions-framework's own Flask app around ``http_function(app, function=task)``
(the pin deploy sets with ``POLYFN_FUNCTION``), called through Flask's test client.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from polyfn import App, Response
from polyfn.adapters.gcp.entry import http_function
from polyfn.adapters.gcp.serving import framework_app


class OutOfStock(Exception):
    pass


def shop() -> tuple[App, list[Any]]:
    app = App("shop")
    seen: list[Any] = []
    order = app.workflow("order")

    @order.task
    def check_inventory(data: Any) -> Any:
        seen.append(data)
        if data.get("stock") == "out":
            raise OutOfStock(f"order {data['orderId']}: an item is out of stock")
        return {**data, "reserved": True}

    @order.task
    def not_json(data: Any) -> Any:
        return {"when": object()}

    @app.post("/")
    def root(request: Any) -> Response:
        return Response.json({"route": True})

    order.flow(check_inventory, not_json)
    return app, seen


def client(app: App, function: str) -> Any:
    target = http_function(app, backends="keep", function=function)
    return framework_app(target, "http").test_client(use_cookies=False)


def test_a_task_answers_200_with_its_json_result() -> None:
    app, seen = shop()
    answer = client(app, "check_inventory").post("/", json={"orderId": "1"})
    assert answer.status_code == 200
    assert answer.mimetype == "application/json"
    assert json.loads(answer.data) == {"orderId": "1", "reserved": True}
    assert seen == [{"orderId": "1"}]


def test_a_task_failure_is_a_500_naming_the_error_without_a_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app, _ = shop()
    with caplog.at_level(logging.ERROR):
        answer = client(app, "check_inventory").post("/", json={"orderId": "7", "stock": "out"})
    assert answer.status_code == 500
    assert answer.mimetype == "application/json"
    assert json.loads(answer.data) == {
        "Error": "OutOfStock",
        "Cause": "order 7: an item is out of stock",
    }
    assert b"Traceback" not in answer.data
    failures = [r for r in caplog.records if r.exc_info is not None]
    assert failures, "the traceback goes to the log"
    assert isinstance(failures[0].exc_info[1], OutOfStock)  # type: ignore[index]


def test_a_result_that_is_not_json_fails_the_task_with_states_runtime() -> None:
    app, _ = shop()
    answer = client(app, "not_json").post("/", json={"orderId": "1"})
    assert answer.status_code == 500
    body = json.loads(answer.data)
    assert body["Error"] == "States.Runtime"
    assert "not JSON" in body["Cause"]


@pytest.mark.parametrize("body", [b"{not json", b"", b"\xff\xfe"])
def test_a_body_that_is_not_json_is_a_400_and_runs_nothing(body: bytes) -> None:
    app, seen = shop()
    answer = client(app, "check_inventory").post("/", data=body, content_type="application/json")
    assert answer.status_code == 400
    assert json.loads(answer.data)["error"]["status"] == 400
    assert seen == []


def test_only_post_runs_a_task() -> None:
    app, seen = shop()
    answer = client(app, "check_inventory").get("/")
    assert answer.status_code == 405
    assert answer.headers["Allow"] == "POST"
    assert seen == []


def test_json_null_and_lists_are_workflow_data_too() -> None:
    app = App("echo")
    flow = app.workflow("flow")

    @flow.task
    def echo(data: Any) -> Any:
        return data

    flow.flow(echo)
    for data in (None, [1, "a"], "text", 3):
        answer = client(app, "echo").post("/", data=json.dumps(data))
        assert (answer.status_code, json.loads(answer.data)) == (200, data)


def test_an_unpinned_http_function_never_runs_a_task() -> None:
    # Tasks are not routes: a public, unpinned deployment cannot be made to run one.
    app, seen = shop()
    unpinned = client(app, "")
    answer = unpinned.post("/", json={"orderId": "1"})
    assert json.loads(answer.data) == {"route": True}
    for path in ("/check_inventory", "/check-inventory"):
        assert unpinned.post(path, json={"orderId": "1"}).status_code == 404
    assert seen == []


def test_a_function_pinned_to_a_route_does_not_run_tasks() -> None:
    app, seen = shop()
    answer = client(app, "root").post("/", json={"orderId": "1"})
    assert json.loads(answer.data) == {"route": True}
    assert seen == []


def test_the_workflows_trace_headers_are_continued_and_a_loop_is_stopped() -> None:
    app = App("traced")
    flow = app.workflow("flow")
    seen: list[Any] = []

    @flow.task
    def step(data: Any, ctx: Any) -> Any:
        seen.append((ctx.trace.trace_id, ctx.correlation_id, ctx.trace.hops))
        return data

    flow.flow(step)
    traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    task = client(app, "step")
    headers = {"traceparent": traceparent, "x-correlation-id": "c-9", "polyfn-hops": "4"}
    assert task.post("/", json={"a": 1}, headers=headers).status_code == 200
    assert seen == [("4bf92f3577b34da6a3ce929d0e0e4736", "c-9", 4)]
    # Malformed values are not polyfn's: the task runs with a trace of its own.
    bad = {"traceparent": "00-zz", "polyfn-hops": "many"}
    assert task.post("/", json={"a": 1}, headers=bad).status_code == 200
    assert seen[1][2] == 0
    looping = task.post("/", json={"a": 1}, headers={**headers, "polyfn-hops": "17"})
    assert looping.status_code == 500
    assert json.loads(looping.data)["Error"] == "LoopStopped"
    assert len(seen) == 2
