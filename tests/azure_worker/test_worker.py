"""polyfn's generated ``function_app.py`` under Azure's own Python worker library.

Azure runs Python 3.13+ apps with the worker library ``azure-functions-runtime``: the Functions
host sends it gRPC requests (init, metadata, load, invocation), and the library indexes the app
with ``azure.functions``' FunctionApp, converts each binding's typed data into the library's
objects, calls the function in its thread pool and converts the answer. These tests play the
host's part (``worker_host.py``, in the Python 3.13 venv ``make test`` builds) and leave all of
the rest to the worker library; the .NET host itself cannot run here.
"""

from __future__ import annotations

import base64
import json
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from polyfn.deploy.azure_project import function_app_file
from polyfn.deploy.source import AppSource

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
WORKER_PYTHON = ROOT / ".venv-azure-worker" / "bin" / "python"


class Worker:
    """The worker process, driven one request at a time."""

    def __init__(self, process: subprocess.Popen[str], record: Path) -> None:
        self.process = process
        self.record = record
        self.functions: dict[str, dict[str, Any]] = {}

    def ask(self, request: dict[str, Any]) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        assert line, "the worker process ended"
        answer: dict[str, Any] = json.loads(line)
        assert "harness_error" not in answer, answer["harness_error"]
        return answer

    def invoke(self, function: str, *inputs: dict[str, Any], **extra: Any) -> dict[str, Any]:
        return self.ask({"op": "invoke", "function": function, "input_data": list(inputs), **extra})

    def records(self) -> list[dict[str, Any]]:
        if not self.record.exists():
            return []
        lines = self.record.read_text(encoding="utf-8").splitlines()
        self.record.unlink()
        return [json.loads(line) for line in lines]


@pytest.fixture(scope="module")
def worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Worker]:
    if not WORKER_PYTHON.exists():
        pytest.fail(
            f"{WORKER_PYTHON} is missing: `make test` builds it with Python 3.13 "
            "(pyenv's 3.13.0: PYENV_VERSION=3.13.0 python3.13) and azure-functions-runtime"
        )
    app_dir = tmp_path_factory.mktemp("function_app")
    source = AppSource(ROOT / "tests", [], "azure_worker.worker_app", "app")
    (app_dir / "function_app.py").write_text(function_app_file(source), encoding="utf-8")
    record = app_dir / "record.jsonl"
    process = subprocess.Popen(
        [str(WORKER_PYTHON), str(HERE / "worker_host.py")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=HERE,
        env={
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": f"{HERE}{':'}{ROOT / 'tests'}",
            "WORKER_RECORD": str(record),
            # What the host sets for a Python app (the worker reads some of them).
            "FUNCTIONS_WORKER_RUNTIME": "python",
            "AzureWebJobsStorage": "UseDevelopmentStorage=true",
        },
    )
    try:
        running = Worker(process, record)
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


@pytest.fixture(autouse=True)
def _fresh_record(worker: Worker) -> None:
    worker.records()  # what an earlier test left unread


def http(method: str, path: str, **fields: Any) -> dict[str, Any]:
    body = fields.pop("body", b"")
    data = {
        "method": method,
        "url": f"https://worker.azurewebsites.net/api{path}",
        "body": {"bytes": base64.b64encode(body).decode()},
        **fields,
    }
    return {"name": "req", "data": {"http": data}}


def answer_of(response: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    assert response["result"]["status"] == "Success", response["result"]
    rpc = response["return_value"]["http"]
    body = base64.b64decode(rpc.get("body", {}).get("bytes", ""))
    return int(rpc["status_code"]), rpc.get("headers", {}), body


def test_the_worker_indexes_and_loads_every_function(worker: Worker) -> None:
    assert set(worker.functions) == {
        "get_item",
        "create_item",
        "work",
        "tick",
        "on_upload",
        "order_placed",
        "polyfn_fallback",
    }
    assert all(f["loaded"] for f in worker.functions.values())
    trigger = worker.functions["get_item"]["raw_bindings"][0]
    assert (trigger["type"], trigger["route"], trigger["methods"]) == (
        "httpTrigger",
        "items/{id}",
        ["GET", "HEAD"],
    )
    queue = worker.functions["work"]["raw_bindings"][0]
    assert (queue["type"], queue["queueName"]) == ("queueTrigger", "jobs")


def test_http_route_parameters_query_headers_and_invocation_id(worker: Worker) -> None:
    invocation = str(uuid.uuid4())
    response = worker.invoke(
        "get_item",
        http(
            "GET",
            "/items/42?colour=red",
            headers={"x-test": "hello"},
            params={"id": "42"},
            query={"colour": "red"},
        ),
        invocation_id=invocation,
    )
    status, headers, body = answer_of(response)
    assert status == 200
    assert headers["content-type"] == "application/json"
    assert json.loads(body) == {
        "id": "42",
        "query": {"colour": "red"},
        "header": "hello",
        "request_id": invocation,
        "function": "get_item",
    }


def test_http_json_body_status_headers_and_cookie(worker: Worker) -> None:
    response = worker.invoke(
        "create_item",
        http("POST", "/items", headers={"content-type": "application/json"}, body=b'{"n": 1}'),
    )
    status, headers, body = answer_of(response)
    assert status == 201
    assert headers["location"] == "/items/1"
    assert json.loads(body) == {"created": {"n": 1}}
    # Set-Cookie travels in the RPC answer's cookie list, attribute by attribute.
    assert "set-cookie" not in {name.lower() for name in headers}
    [cookie] = response["return_value"]["http"]["cookies"]
    assert (cookie["name"], cookie["value"], cookie["path"], cookie["same_site"]) == (
        "session",
        "abc",
        {"value": "/"},
        "Lax",
    )
    assert cookie["secure"] == cookie["http_only"] == {"value": True}


def test_http_errors_answer_without_leaking(worker: Worker) -> None:
    status, _, body = answer_of(
        worker.invoke("get_item", http("GET", "/items/missing", params={"id": "missing"}))
    )
    assert status == 404
    assert json.loads(body)["error"]["message"] == "no such item"
    status, _, body = answer_of(
        worker.invoke("get_item", http("GET", "/items/crash", params={"id": "crash"}))
    )
    assert status == 500
    assert b"secret-token-123" not in body


def test_an_unrouted_path_reaches_the_fallback_and_answers_404(worker: Worker) -> None:
    status, _, _ = answer_of(
        worker.invoke("polyfn_fallback", http("GET", "/nowhere", params={"polyfn_path": "nowhere"}))
    )
    assert status == 404


def queue_message(body: str, dequeue_count: int) -> dict[str, Any]:
    return {
        "input_data": [{"name": "msg", "data": {"string": body}}],
        # The queue trigger's metadata, as the host sends it (values as JSON text).
        "trigger_metadata": {
            "Id": {"string": "a2f1c9d0-0000-4000-8000-000000000001"},
            "DequeueCount": {"json": str(dequeue_count)},
            "InsertionTime": {"json": '"2026-12-04T10:00:00+00:00"'},
            "ExpirationTime": {"json": '"2026-12-11T10:00:00+00:00"'},
            "NextVisibleTime": {"json": '"2026-12-04T10:10:00+00:00"'},
            "PopReceipt": {"string": "AgAAAAMAAAAAAAAA"},
        },
    }


def test_a_queue_message_reaches_the_handler_with_its_id_and_receive_count(worker: Worker) -> None:
    response = worker.ask({"op": "invoke", "function": "work", **queue_message("hello", 2)})
    assert response["result"]["status"] == "Success"
    [seen] = worker.records()
    assert seen["body"] == "hello"
    assert seen["id"] == "a2f1c9d0-0000-4000-8000-000000000001"
    assert seen["receive_count"] == 2


def test_a_message_continues_the_trace_the_host_gives(worker: Worker) -> None:
    # The host hands the invocation its W3C trace context (Application Insights'); a
    # message without a traceparent attribute of its own continues that trace.
    traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    response = worker.ask(
        {
            "op": "invoke",
            "function": "work",
            **queue_message("traced", 1),
            "trace_context": {"trace_parent": traceparent, "trace_state": "az=1"},
        }
    )
    assert response["result"]["status"] == "Success"
    [seen] = worker.records()
    assert seen["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert seen["trace_parent"] == "00f067aa0ba902b7"


def test_a_failing_queue_handler_fails_the_invocation_so_the_host_retries(worker: Worker) -> None:
    response = worker.ask({"op": "invoke", "function": "work", **queue_message("fail", 1)})
    assert response["result"]["status"] == "Failure"
    assert worker.records()[0]["body"] == "fail"


def test_a_timer_tick_runs_the_scheduled_function(worker: Worker) -> None:
    timer = {
        "Schedule": {"AdjustForDST": True},
        "ScheduleStatus": {
            "Last": "2026-12-04T10:00:00+00:00",
            "Next": "2026-12-04T10:05:00+00:00",
            "LastUpdated": "2026-12-04T10:00:00+00:00",
        },
        "IsPastDue": False,
    }
    response = worker.invoke("tick", {"name": "timer", "data": {"json": json.dumps(timer)}})
    assert response["result"]["status"] == "Success"
    assert [r["kind"] for r in worker.records()] == ["tick"]


def test_a_blob_trigger_gives_the_key_and_size(worker: Worker) -> None:
    content = b"twelve bytes"
    response = worker.invoke(
        "on_upload",
        {"name": "blob", "data": {"bytes": base64.b64encode(content).decode()}},
        trigger_metadata={
            "BlobTrigger": {"string": "files/uploads/a photo.jpg"},
            "Uri": {"string": "https://acct.blob.core.windows.net/files/uploads/a%20photo.jpg"},
            "Properties": {
                "json": json.dumps({"Length": len(content), "ContentType": "image/jpeg"})
            },
            "Metadata": {"json": "{}"},
        },
    )
    assert response["result"]["status"] == "Success", response["result"]
    [seen] = worker.records()
    assert (seen["key"], seen["size"], seen["action"]) == ("uploads/a photo.jpg", 12, "created")
