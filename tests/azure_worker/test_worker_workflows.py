"""A workflow app's generated ``function_app.py`` under Azure's own Python worker library:
the orchestrators, activities and the Durable client binding load, and each runs on the
typed data the Durable host sends it."""

from __future__ import annotations

import base64
import json
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from azure_worker.test_worker import HERE, ROOT, WORKER_PYTHON, Worker
from workflows.durable_host import DurableRpc
from workflows.order_workflow import build

from polyfn.adapters.azure import function_app
from polyfn.adapters.azure.workflows import decode_failure
from polyfn.deploy.azure_project import function_app_file
from polyfn.deploy.source import AppSource


@pytest.fixture(scope="module")
def worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Worker]:
    if not WORKER_PYTHON.exists():
        pytest.fail(f"{WORKER_PYTHON} is missing: `make test` builds it")
    app_dir = tmp_path_factory.mktemp("function_app")
    source = AppSource(ROOT / "tests", [], "azure_worker.workflow_worker_app", "app")
    (app_dir / "function_app.py").write_text(function_app_file(source), encoding="utf-8")
    process = subprocess.Popen(
        [str(WORKER_PYTHON), str(HERE / "worker_host.py")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=HERE,
        env={
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": f"{HERE}:{ROOT / 'tests'}",
            "FUNCTIONS_WORKER_RUNTIME": "python",
            "AzureWebJobsStorage": "UseDevelopmentStorage=true",
        },
    )
    try:
        running = Worker(process, app_dir / "record.jsonl")
        answer = running.ask({"op": "init", "directory": str(app_dir)})
        assert answer["init"]["result"]["status"] == "Success", answer["init"]
        running.functions = {f["name"]: f for f in answer["functions"]}
        yield running
    finally:
        assert process.stdin is not None
        process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_the_worker_loads_the_orchestrators_activities_and_client_binding(worker: Worker) -> None:
    assert all(f["loaded"] for f in worker.functions.values()), worker.functions
    kinds = {name: f["raw_bindings"][0]["type"] for name, f in worker.functions.items()}
    assert kinds["order_workflow"] == kinds["order_workflow_branch"] == "orchestrationTrigger"
    assert kinds["check_inventory"] == "activityTrigger"
    assert "durableClient" in [b["type"] for b in worker.functions["place"]["raw_bindings"]]


def test_an_activity_answers_its_json_and_fails_with_its_error_name(worker: Worker) -> None:
    done = worker.invoke(
        "check_inventory", {"name": "data", "data": {"json": json.dumps({"orderId": "7"})}}
    )
    assert done["result"]["status"] == "Success", done["result"]
    assert json.loads(done["return_value"]["json"]) == {"orderId": "7", "reserved": True}
    failed = worker.invoke(
        "check_inventory",
        {"name": "data", "data": {"json": json.dumps({"orderId": "7", "stock": "out"})}},
    )
    assert failed["result"]["status"] == "Failure"
    # What the worker reports is what the host puts in the orchestrator's TaskFailed.
    message = failed["result"]["exception"]["message"]
    assert decode_failure(message) == ("OutOfStock", "order 7: an item is out of stock")


def test_the_orchestrator_answers_its_first_action(worker: Worker) -> None:
    stamp = "2026-01-01T00:00:00.000000Z"
    context = {
        "history": [
            {"EventType": 12, "EventId": -1, "IsPlayed": False, "Timestamp": stamp},
            {
                "EventType": 0,
                "EventId": -1,
                "IsPlayed": False,
                "Timestamp": stamp,
                "Name": "order_workflow",
                "Version": "",
                "Input": json.dumps({"orderId": "1"}),
            },
        ],
        "instanceId": "i-1",
        "isReplaying": False,
        "parentInstanceId": None,
        "input": json.dumps({"orderId": "1"}),
        "upperSchemaVersion": 2,
    }
    answer = worker.invoke(
        "order_workflow", {"name": "context", "data": {"string": json.dumps(context)}}
    )
    assert answer["result"]["status"] == "Success", answer["result"]
    state = json.loads(answer["return_value"]["json"])
    assert state["isDone"] is False
    assert state["customStatus"] == {"status": "running", "path": ["validate_order"]}
    # Schema V2 and later: one list of actions, the race being one WhenAny action.
    [[race]] = state["actions"]
    activity, timer = race["compoundActions"]
    assert (activity["functionName"], json.loads(activity["input"])) == (
        "validate_order",
        {"orderId": "1"},
    )
    assert timer["fireAt"].startswith("2026-01-01T00:01:00")  # the execution's deadline


def test_an_http_function_starts_the_workflow_with_its_client_binding(worker: Worker) -> None:
    rpc = DurableRpc(function_app(build()))
    rpc.thread.start()
    try:
        body = json.dumps({"orderId": "5"}).encode()
        response = worker.invoke(
            "place",
            {
                "name": "req",
                "data": {
                    "http": {
                        "method": "POST",
                        "url": "https://worker.azurewebsites.net/api/orders",
                        "headers": {"content-type": "application/json"},
                        "body": {"bytes": base64.b64encode(body).decode()},
                    }
                },
            },
            {"name": "polyfn_durable_client", "data": {"string": rpc.binding()}},
        )
        assert response["result"]["status"] == "Success", response["result"]
        answer: Any = json.loads(
            base64.b64decode(response["return_value"]["http"]["body"]["bytes"])
        )
        assert answer == {"id": "order-5", "status": "succeeded"}
    finally:
        rpc.server.shutdown()
        rpc.server.server_close()
        rpc.thread.join()
