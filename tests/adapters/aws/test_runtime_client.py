"""The built Lambda bundle under Lambda's own runtime client, ``awslambdaric``.

``polyfn deploy build --cloud aws`` writes the bundle; its ``polyfn_entry.handler`` runs
in a process of its own under ``python -m awslambdaric``, which fetches each event from
``polyfn.testing.lambda_runtime_api`` over the documented Runtime API, builds the real
``LambdaContext`` from the headers, marshals the answer with its own JSON encoder and
formats errors and log lines itself. One process serves every test of the module, as one
execution environment serves many invocations.

The answers are read back by the AWS host's own readers (``AwsHost`` with its ``_call``
going through the process), so what counts as a valid native answer is the same here as
in the behaviour suite.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from polyfn.core.app import App
from polyfn.hosts.aws import AwsHost
from polyfn.hosts.events import aws as events
from polyfn.testing.lambda_runtime_api import (
    LambdaProcess,
    LambdaRuntimeApi,
    RuntimeFailed,
    build_task_root,
)

APP_FILE = Path(__file__).resolve().parent / "runtime_client" / "runtime_app.py"
FUNCTION = "ric-function"


@pytest.fixture(scope="module")
def task_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundle ``polyfn deploy build`` writes, unzipped as Lambda unzips it."""
    root = build_task_root(str(APP_FILE), tmp_path_factory.mktemp("build"))
    assert "aws.lambda_handler(app)" in (root / "polyfn_entry.py").read_text()
    return root


@pytest.fixture(scope="module")
def function(task_root: Path) -> Iterator[LambdaProcess]:
    with LambdaRuntimeApi(FUNCTION) as api, LambdaProcess(api, task_root) as process:
        yield process


class RuntimeClientHost(AwsHost):
    """The AWS host, with every event going through the runtime client's process."""

    def __init__(self, source: str, process: LambdaProcess) -> None:
        super().__init__(source)
        self.name = f"aws-{source}-awslambdaric"
        self.process = process

    def _call(self, app: App, event: dict[str, Any]) -> Any:
        answer = self.process.invoke(event)
        assert answer.kind == "response", (answer.error_type, answer.body)
        return answer.json()


def _app() -> App:
    """The test side's view of the deployed App: its name and its resources' names."""
    app = App("ric")
    app.bucket("files")
    app.queue("jobs")
    return app


def _seen(process: LambdaProcess, kind: str, *, at_least: int = 0) -> list[dict[str, Any]]:
    """What the handlers printed for ``kind``, once there are ``at_least`` of them."""

    def documents(lines: list[str]) -> list[dict[str, Any]]:
        found = [line.partition("SEEN ")[2] for line in lines if "SEEN " in line]
        return [doc for doc in map(json.loads, found) if doc["kind"] == kind]

    return documents(process.wait_for_lines(lambda lines: len(documents(lines)) >= at_least))


# ----------------------------------------------------------------------------- HTTP


@pytest.mark.parametrize("source", ["v1", "v2", "alb", "url"])
def test_http_through_the_runtime_client(function: LambdaProcess, source: str) -> None:
    host = RuntimeClientHost(source, function)
    answer = host.http(_app(), "GET", "/hello/ada", query={"x": ["1", "2"], "cookie": ["1"]})
    assert answer.status == 200
    body = answer.json()
    assert (body["name"], body["cloud"], body["function_name"]) == ("ada", "aws", "hello")
    assert body["query"]["x"] == ["1", "2"]
    assert answer.headers.get("x-answer") == "yes"
    assert answer.headers.getlist("set-cookie")[0].startswith("session=s1")


@pytest.mark.parametrize("source", ["v1", "v2", "alb", "url"])
def test_a_binary_body_survives_the_runtime_clients_json(
    function: LambdaProcess, source: str
) -> None:
    # awslambdaric marshals the answer with its own encoder: a body that is not text must
    # reach it base64-encoded, and come back byte for byte.
    host = RuntimeClientHost(source, function)
    payload = bytes(range(256))
    answer = host.http(
        _app(),
        "POST",
        "/echo",
        headers=[("content-type", "application/octet-stream")],
        body=payload,
    )
    assert (answer.status, answer.body) == (200, payload)


def test_a_crashing_route_answers_500_without_the_exception_text(function: LambdaProcess) -> None:
    answer = function.invoke(events.apigw_v2("GET", "/crash"))
    # The route's failure is an HTTP answer, not a failed invocation: API Gateway would
    # turn an /error into its own 502, and Lambda would log the message as the error.
    assert answer.kind == "response"
    native = answer.json()
    assert native["statusCode"] == 500
    assert "secret-token-123" not in answer.body.decode()
    assert json.loads(native["body"])["error"]["request_id"] == answer.request_id
    # The function's own log stream has the traceback, for whoever operates it.
    function.wait_for_lines(lambda lines: any("secret-token-123" in line for line in lines))


def test_the_function_runs_the_bundles_own_polyfn(function: LambdaProcess) -> None:
    # The task root comes first on the path, as on Lambda: the polyfn that runs is the
    # copy deploy put in the bundle, not the one installed in the test's environment.
    answer = function.invoke(events.apigw_v2("GET", "/hello/a"))
    polyfn_file = Path(json.loads(answer.json()["body"])["polyfn_file"])
    assert polyfn_file.is_relative_to(function.task_root)


def test_the_context_comes_from_the_runtime_api_headers(function: LambdaProcess) -> None:
    long = function.invoke(events.apigw_v2("GET", "/hello/a"), timeout_ms=600_000)
    short = function.invoke(events.apigw_v2("GET", "/hello/b"), timeout_ms=3_000)
    long_body, short_body = json.loads(long.json()["body"]), json.loads(short.json()["body"])
    # The request id is Lambda-Runtime-Aws-Request-Id; the time left is counted down from
    # Lambda-Runtime-Deadline-Ms by the runtime client's LambdaContext (not polyfn's
    # stand-in without a deadline, which answers 2**31 - 1).
    assert long_body["request_id"] == long.request_id
    assert short_body["request_id"] == short.request_id
    assert 3_000 < long_body["remaining_ms"] <= 600_000
    assert 0 <= short_body["remaining_ms"] <= 3_000


# ----------------------------------------------------------------------------- records


def test_sqs_partial_batch_failure(function: LambdaProcess) -> None:
    host = RuntimeClientHost("v2", function)
    bodies = [json.dumps({"n": i, "fail": i == 6}).encode() for i in range(10)]
    before = len(_seen(function, "message"))
    assert host.messages(_app(), "jobs", bodies, attributes={"origin": "ric"}) == [6]
    seen = _seen(function, "message", at_least=before + 9)[before:]
    assert sorted(doc["n"] for doc in seen) == [0, 1, 2, 3, 4, 5, 7, 8, 9]
    assert {(doc["queue"], doc["attributes"]["origin"]) for doc in seen} == {("jobs", "ric")}


def test_an_s3_notification_reaches_the_object_handler_with_the_key_decoded(
    function: LambdaProcess,
) -> None:
    host = RuntimeClientHost("v2", function)
    key = "photos/été 2024/a b+c.jpg"
    wanted = {"kind": "object", "bucket": "files", "key": key, "size": 42}
    before = len(_seen(function, "object"))
    host.object_event(_app(), "created", "files", key, size=42)
    assert wanted in _seen(function, "object", at_least=before + 1)[before:]


def test_a_scheduled_rule_runs_its_function(function: LambdaProcess) -> None:
    host = RuntimeClientHost("v2", function)
    before = len(_seen(function, "tick"))
    host.schedule(_app(), "tick")
    (tick,) = _seen(function, "tick", at_least=before + 1)[before:]
    assert tick["function"] == "tick"


# ----------------------------------------------------------------------------- failures


def test_an_unhandled_exception_is_the_runtime_clients_error_document(
    function: LambdaProcess,
) -> None:
    # An object handler's failure must fail the invocation (so Lambda retries the
    # asynchronous event): polyfn lets the exception out, and awslambdaric reports it.
    answer = function.invoke(events.s3("created", "files", "poison/x.txt"))
    assert answer.kind == "error"
    document = answer.json()
    # Exactly what the runtime client reports of any exception: its type, its message
    # and the stack; polyfn adds no text of its own and wraps nothing.
    assert set(document) == {"errorMessage", "errorType", "requestId", "stackTrace"}
    assert document["errorType"] == "RuntimeError"
    assert document["errorMessage"] == "secret-token-456 in an object handler"
    assert document["requestId"] == answer.request_id


def test_an_unknown_event_fails_without_echoing_the_payload(function: LambdaProcess) -> None:
    answer = function.invoke({"hello": "secret-token-789"})
    assert answer.kind == "error"
    document = answer.json()
    assert document["errorType"] == "UnrecognizedEvent"
    assert "secret-token-789" not in answer.body.decode()


# ----------------------------------------------------------------------------- workflow tasks


def test_a_task_states_envelope_runs_the_task(function: LambdaProcess) -> None:
    answer = function.invoke({"polyfnTask": "reserve", "input": {"sku": "a1"}})
    assert answer.kind == "response", answer.body
    assert answer.json() == {"sku": "a1", "reserved": True, "function_name": "reserve"}


def test_a_tasks_exception_is_the_error_type_step_functions_matches(
    function: LambdaProcess,
) -> None:
    # Step Functions matches Retry/Catch ErrorEquals against the error document's errorType.
    answer = function.invoke({"polyfnTask": "reserve", "input": {"sku": "b2", "stock": "out"}})
    assert answer.kind == "error"
    document = answer.json()
    assert document["errorType"] == "OutOfStock"
    assert document["errorMessage"] == "sku b2 is out of stock"


def test_a_task_reached_past_the_hop_limit_fails_with_loop_stopped(
    function: LambdaProcess,
) -> None:
    # The state machine adds the execution's input to the envelope; a start from a looping
    # invocation carries its hop count there (core.workflow_trace).
    execution = {
        "polyfnTrace": {
            "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "polyfn-hops": "17",
        },
        "polyfnInput": {"sku": "a1"},
    }
    envelope = {"polyfnTask": "reserve", "input": {"sku": "a1"}, "execution": execution}
    answer = function.invoke(envelope)
    assert answer.kind == "error"
    assert answer.json()["errorType"] == "LoopStopped"
    # Below the limit it runs; an execution input without the carrier runs as before.
    execution["polyfnTrace"]["polyfn-hops"] = "2"
    assert function.invoke(envelope).kind == "response"
    plain = {"polyfnTask": "reserve", "input": {"sku": "a1"}, "execution": {"sku": "a1"}}
    assert function.invoke(plain).json()["reserved"] is True


def test_a_handler_that_cannot_be_found_is_an_init_error(task_root: Path) -> None:
    with (
        LambdaRuntimeApi("broken") as api,
        LambdaProcess(api, task_root, handler="polyfn_entry.missing") as process,
    ):
        with pytest.raises(RuntimeFailed, match="failed to start"):
            process.invoke(events.apigw_v2("GET", "/hello/x"))
        assert api.init_error is not None
        assert api.init_error["errorType"] == "Runtime.HandlerNotFound"


# ----------------------------------------------------------------------------- logs


def test_json_log_format_and_cold_start(task_root: Path) -> None:
    environ = {"AWS_LAMBDA_LOG_FORMAT": "JSON"}
    with (
        LambdaRuntimeApi(FUNCTION) as api,
        LambdaProcess(api, task_root, environ=environ) as process,
    ):
        first = process.invoke(events.apigw_v2("GET", "/hello/a"))
        second = process.invoke(events.apigw_v2("GET", "/hello/b"))
        logged = process.invoke(events.apigw_v2("GET", "/log", query={"item": ["apples"]}))
        crashed = process.invoke(events.apigw_v2("GET", "/crash"))
    assert json.loads(first.json()["body"])["cold_start"] is True
    assert json.loads(second.json()["body"])["cold_start"] is False
    lines = [json.loads(line) for line in process.lines if line.startswith("{")]
    # EMF lines (polyfn's own metrics: on Lambda they are on) are metrics, not log records.
    documents = [d for d in lines if "_aws" not in d]
    metrics = [d for d in lines if "_aws" in d]
    assert [d["ColdStart"] for d in metrics if "ColdStart" in d] == [1]
    (errors,) = [d for d in metrics if "Errors" in d]
    assert (errors["Errors"], errors["requestId"]) == (1, crashed.request_id)
    # polyfn's log records go through the runtime client's JSON formatter, carrying
    # the invocation's request id, the level and polyfn's logger name.
    (warning,) = [d for d in documents if d.get("requestId") == logged.request_id]
    assert warning["level"] == "WARNING"  # logging's level name, as the client writes it
    assert warning["message"] == "stock low for apples"
    assert warning["logger"] == "polyfn.fn.log"
    (failure,) = [d for d in documents if d.get("requestId") == crashed.request_id]
    assert failure["level"] == "ERROR"
    assert failure["errorType"] == "RuntimeError"
    assert isinstance(failure["stackTrace"], list)
    # Nothing polyfn writes on its own is outside the JSON stream.
    assert [line for line in process.lines if line and not line.startswith("{")] == []


# ----------------------------------------------------------------------------- the API itself


def test_the_runtime_api_refuses_unknown_requests_and_paths() -> None:
    import http.client

    with LambdaRuntimeApi("edges") as api:
        host, _, port = api.address.partition(":")

        def post(path: str) -> int:
            connection = http.client.HTTPConnection(host, int(port), timeout=10)
            try:
                connection.request("POST", path, b"{}")
                return connection.getresponse().status
            finally:
                connection.close()

        prefix = "/2018-06-01/runtime/invocation"
        # An answer for a request that is not in flight (never sent, or answered already).
        assert post(f"{prefix}/not-a-request/response") == 400
        invocation = api.submit({"n": 1})
        assert post(f"{prefix}/{invocation.request_id}/response") == 202
        assert post(f"{prefix}/{invocation.request_id}/error") == 400
        assert post(f"{prefix}/{invocation.request_id}/elsewhere") == 404
        assert invocation.done.is_set() and invocation.kind == "response"
