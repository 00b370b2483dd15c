"""The starting side on Google Cloud, at the client library's boundary.

There is no Workflows emulator, so the real ``ExecutionsClient`` (``google-cloud-workflows``,
gRPC transport) talks to a gRPC server on 127.0.0.1 serving the Executions service's
CreateExecution, GetExecution and ListExecutions (its label filter) with the library's own
message types (the Execution
resource's ``argument``, ``result``, ``error.payload``, ``state``, ``labels``). What a real
run of the YAML does is not tested here (see test_gcp_workflow.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from concurrent import futures
from typing import Any

import pytest

pytest.importorskip("google.cloud.workflows.executions_v1")

import grpc
from google.cloud.workflows.executions_v1 import (
    CreateExecutionRequest,
    Execution,
    ExecutionsClient,
    GetExecutionRequest,
    ListExecutionsRequest,
    ListExecutionsResponse,
)
from google.cloud.workflows.executions_v1.services.executions.transports import (
    ExecutionsGrpcTransport,
)

from polyfn.adapters.gcp.backends.workflow import WorkflowsExecutions, workflow_path
from polyfn.core.errors import ConfigError
from tests.workflows.order_workflow import build

PATH = "projects/demo/locations/europe-west1/workflows/orders-dev-order"


class FakeExecutionsApi:
    """CreateExecution and GetExecution of google.cloud.workflows.executions.v1.Executions,
    served over gRPC with the library's own message types."""

    def __init__(self) -> None:
        self.executions: dict[str, Execution] = {}
        self.requests: list[tuple[str, Any]] = []

    def create(self, request: CreateExecutionRequest, context: grpc.ServicerContext) -> Execution:
        self.requests.append(("CreateExecution", request))
        name = f"{request.parent}/executions/e{len(self.executions) + 1}"
        execution = Execution(request.execution)
        execution.name = name
        execution.state = Execution.State.ACTIVE
        self.executions[name] = execution
        return execution

    def get(self, request: GetExecutionRequest, context: grpc.ServicerContext) -> Execution:
        self.requests.append(("GetExecution", request))
        if request.name not in self.executions:
            context.abort(grpc.StatusCode.NOT_FOUND, f"{request.name} not found")
        return self.executions[request.name]

    def list(
        self, request: ListExecutionsRequest, context: grpc.ServicerContext
    ) -> ListExecutionsResponse:
        """Newest first, filtered on one label as AIP-160 writes it: labels.KEY="VALUE"."""
        self.requests.append(("ListExecutions", request))
        wanted = re.fullmatch(r'labels\.([a-z0-9_]+)="([a-z0-9_-]*)"', request.filter)
        if wanted is None:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"filter {request.filter!r}")
        key, value = wanted.groups()
        found = [e for e in self.executions.values() if e.labels.get(key) == value]
        found.reverse()
        return ListExecutionsResponse(executions=found[: request.page_size or 100])

    def handler(self) -> grpc.GenericRpcHandler:
        def unary(
            method: Any, request_type: Any, response_type: Any = Execution
        ) -> grpc.RpcMethodHandler:
            return grpc.unary_unary_rpc_method_handler(
                method,
                request_deserializer=request_type.deserialize,
                response_serializer=response_type.serialize,
            )

        return grpc.method_handlers_generic_handler(
            "google.cloud.workflows.executions.v1.Executions",
            {
                "CreateExecution": unary(self.create, CreateExecutionRequest),
                "GetExecution": unary(self.get, GetExecutionRequest),
                "ListExecutions": unary(self.list, ListExecutionsRequest, ListExecutionsResponse),
            },
        )


@pytest.fixture
def api() -> Iterator[tuple[FakeExecutionsApi, ExecutionsClient]]:
    fake = FakeExecutionsApi()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    server.add_generic_rpc_handlers((fake.handler(),))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    client = ExecutionsClient(transport=ExecutionsGrpcTransport(channel=channel))
    try:
        yield fake, client
    finally:
        channel.close()
        server.stop(None)


def backend(client: ExecutionsClient) -> tuple[Any, WorkflowsExecutions]:
    workflow = build().workflows["order"]
    return workflow, WorkflowsExecutions(workflow, client)


@pytest.fixture(autouse=True)
def _bound_name() -> Iterator[None]:
    """The deployment binds the workflow's physical name, as it binds a queue's."""
    from polyfn.core.resources import binding_variable
    from polyfn.core.settings import settings, use_settings

    saved = settings()
    use_settings({**saved, binding_variable("workflow", "order"): PATH})
    yield
    use_settings(saved)


def test_start_creates_an_execution_with_the_input_as_its_argument(api: Any) -> None:
    server, client = api
    workflow, executions = backend(client)
    started = executions.start(workflow, {"orderId": "123"}, "order-123")
    assert started.status == "running"
    assert started.id == f"{PATH}/executions/e1"
    [(looked, query), (method, sent)] = server.requests
    assert (looked, query.filter) == ("ListExecutions", 'labels.polyfn_name="order-123"')
    assert (method, sent.parent) == ("CreateExecution", PATH)
    assert json.loads(sent.execution.argument) == {"orderId": "123"}
    assert dict(sent.execution.labels) == {"polyfn_name": "order-123"}


def test_a_reused_name_gives_the_execution_or_refuses_other_input(api: Any) -> None:
    from polyfn.core.errors import ExecutionExists

    server, client = api
    workflow, executions = backend(client)
    first = executions.start(workflow, {"orderId": "1", "items": [1, 2]}, "order-1")
    # The same input, written in another key order: the same execution, none created.
    again = executions.start(workflow, {"items": [1, 2], "orderId": "1"}, "order-1")
    assert again.id == first.id
    with pytest.raises(ExecutionExists, match="already exists with different input"):
        executions.start(workflow, {"orderId": "2"}, "order-1")
    other = executions.start(workflow, {"orderId": "2"}, "order-2")
    assert other.id != first.id
    unnamed = [executions.start(workflow, {}, None).id for _ in range(2)]
    assert len(set(unnamed)) == 2  # without a name, each start is a run
    creates = [m for m, _ in server.requests if m == "CreateExecution"]
    assert len(creates) == 4


def test_a_start_carries_the_starters_trace_and_its_name_ignores_it(api: Any) -> None:
    from polyfn.core.errors import ExecutionExists

    server, client = api
    workflow, executions = backend(client)
    carried = {
        "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "x-correlation-id": "c-5",
        "polyfn-hops": "1",
    }
    first = executions.start(workflow, {"orderId": "5"}, "order-5", trace=carried)
    [sent] = [body for method, body in server.requests if method == "CreateExecution"]
    # The argument the YAML takes apart (test_gcp_workflow, test_trace).
    assert json.loads(sent.execution.argument) == {
        "polyfnTrace": carried,
        "polyfnInput": {"orderId": "5"},
    }
    other = {**carried, "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}
    assert executions.start(workflow, {"orderId": "5"}, "order-5", trace=other).id == first.id
    with pytest.raises(ExecutionExists):
        executions.start(workflow, {"orderId": "6"}, "order-5", trace=other)


@pytest.mark.parametrize(
    ("stored", "summary"),
    [
        (
            {"state": "SUCCEEDED", "result": json.dumps({"status": "fulfilled"})},
            {"status": "succeeded", "output": {"status": "fulfilled"}},
        ),
        (
            {
                "state": "FAILED",
                "error": {"payload": json.dumps({"Error": "Broken", "Cause": "x"})},
            },
            {"status": "failed", "error": "Broken", "cause": "x"},
        ),
        (
            {
                "state": "FAILED",
                "error": {
                    "payload": json.dumps(
                        {"tags": ["HttpError"], "body": {"Error": "Nope", "Cause": "c"}}
                    )
                },
            },
            {"status": "failed", "error": "Nope", "cause": "c"},
        ),
        (
            {
                "state": "FAILED",
                "error": {
                    "payload": json.dumps({"Error": "States.Timeout", "polyfn_deadline": True})
                },
            },
            {"status": "timed_out", "error": "States.Timeout", "cause": ""},
        ),
        (
            # A task's own timeout fails the run; only the run's deadline times it out.
            {"state": "FAILED", "error": {"payload": json.dumps({"Error": "States.Timeout"})}},
            {"status": "failed", "error": "States.Timeout", "cause": ""},
        ),
        (
            # A call past its timeout that no catch stopped: named as polyfn names it.
            {
                "state": "FAILED",
                "error": {"payload": json.dumps({"tags": ["TimeoutError"], "message": "late"})},
            },
            {"status": "failed", "error": "States.Timeout", "cause": "late"},
        ),
        ({"state": "ACTIVE"}, {"status": "running"}),
        ({"state": "CANCELLED"}, {"status": "failed", "error": "Cancelled"}),
    ],
)
def test_describe_reads_the_execution_as_polyfn_summarises_it(
    api: Any, stored: dict[str, Any], summary: dict[str, Any]
) -> None:
    server, client = api
    workflow, executions = backend(client)
    started = executions.start(workflow, {"orderId": "1"}, None)
    stored_execution = server.executions[started.id]
    stored_execution.state = Execution.State[stored["state"]]
    if "result" in stored:
        stored_execution.result = stored["result"]
    if "error" in stored:
        stored_execution.error = Execution.Error(payload=stored["error"]["payload"])
    described = executions.describe(workflow, started.id)
    assert described.status == summary["status"]
    assert {k: described.summary[k] for k in summary} == summary


def test_a_name_that_cannot_be_a_label_is_refused_before_any_call(api: Any) -> None:
    server, client = api
    workflow, executions = backend(client)
    with pytest.raises(ValueError, match="label value"):
        executions.start(workflow, {}, "Order 1")
    assert server.requests == []


def test_an_unknown_execution_is_a_typed_error(api: Any) -> None:
    from polyfn.core.errors import ResourceNotFound

    _, client = api
    workflow, executions = backend(client)
    with pytest.raises(ResourceNotFound):
        executions.describe(workflow, f"{PATH}/executions/missing")


def test_a_short_name_needs_project_and_location(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "demo")
    monkeypatch.setenv("GOOGLE_CLOUD_LOCATION", "europe-west1")
    assert workflow_path("orders-dev-order") == PATH
    monkeypatch.delenv("GOOGLE_CLOUD_LOCATION")
    with pytest.raises(ConfigError, match="GOOGLE_CLOUD_LOCATION"):
        workflow_path("orders-dev-order")


def test_the_gcp_backends_start_workflows_through_the_executions_api(api: Any) -> None:
    from polyfn.adapters.gcp.backends import GcpBackends

    server, client = api
    app = build()
    app.bind(GcpBackends())
    backend = app.backend_for(app.workflows["order"])
    assert isinstance(backend, WorkflowsExecutions)
    backend._client = client  # the client the test's server answers
    started = app.workflows["order"].start({"orderId": "9"})
    assert started.status == "running"
    assert app.workflows["order"].execution(started.id).status == "running"
    assert [method for method, _ in server.requests] == ["CreateExecution", "GetExecution"]


def test_the_deadline_mark_is_the_one_the_yaml_raises() -> None:
    from polyfn.adapters.gcp.backends.workflow import DEADLINE_MARK
    from polyfn.deploy import workflow_gcp

    assert DEADLINE_MARK == workflow_gcp.DEADLINE_MARK
