"""Starting and reading workflow executions on AWS: Step Functions' API, served by moto.

moto keeps every execution ``RUNNING`` and answers ``GetExecutionHistory`` with fixed
events (a pass state "A State"; with ``SF_EXECUTION_HISTORY_TYPE=FAILURE``, a failed run
whose history ends ``ExecutionFailed``): the calls, the idempotent names and the reading
of status, history and failures go through the real API; how a finished execution reads
is also pinned on DescribeExecution answers of the documented shape.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from polyfn import App
from polyfn.adapters.aws.backends import AwsBackends
from polyfn.adapters.aws.backends.clients import aws_client
from polyfn.adapters.aws.backends.workflow import (
    StepFunctionsWorkflow,
    execution_path,
    execution_summary,
)
from polyfn.core.errors import ConfigError, ExecutionExists, UnknownExecution
from polyfn.testing.emulators import AwsEmulator

DEFINITION = {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}
ROLE = "arn:aws:iam::123456789012:role/polyfn-workflow"


def _app() -> App:
    app = App("orders")
    order = app.workflow("order")

    @order.task
    def validate_order(data: dict[str, Any]) -> dict[str, Any]:
        return data

    order.flow(validate_order)
    return app


def _machine(name: str) -> str:
    sfn = aws_client("stepfunctions")
    existing = [m for m in sfn.list_state_machines()["stateMachines"] if m["name"] == name]
    if existing:
        return str(existing[0]["stateMachineArn"])
    created = sfn.create_state_machine(name=name, definition=json.dumps(DEFINITION), roleArn=ROLE)
    return str(created["stateMachineArn"])


@pytest.fixture
def order(aws_env: AwsEmulator, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The App's ``order`` workflow bound to a state machine on moto by its ARN."""
    monkeypatch.setenv("POLYFN_WORKFLOW_ORDER", _machine("orders-order"))
    app = _app()
    app.bind(AwsBackends())
    return app.workflows["order"]


def test_start_runs_an_execution_of_the_state_machine(order: Any) -> None:
    execution = order.start({"orderId": "1"})
    assert execution.status == "running"
    described = aws_client("stepfunctions").describe_execution(executionArn=execution.id)
    assert json.loads(described["input"]) == {"orderId": "1"}
    assert described["stateMachineArn"].endswith(":stateMachine:orders-order")
    # No name given: a fresh one per start.
    assert order.start({"orderId": "1"}).id != execution.id


def _in_invocation(traceparent: str, correlation: str = "", hops: int = 0) -> Any:
    """A context as an invocation that arrived with ``traceparent`` has it."""
    from polyfn.core.context import new_context
    from polyfn.core.trace_context import trace_from

    ctx = new_context("aws", "place_order", "req-1", None, False, None)
    carried = {"traceparent": traceparent, "polyfn-hops": str(hops)}
    if correlation:
        carried["x-correlation-id"] = correlation
    ctx._trace = trace_from(carried)
    return ctx


def _start_in(ctx: Any, workflow: Any, data: Any, name: str | None = None) -> Any:
    from polyfn.core.context import _reset_current, _set_current

    token = _set_current(ctx)
    try:
        return workflow.start(data, name=name)
    finally:
        _reset_current(token)


TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def test_a_start_from_an_invocation_carries_its_trace_in_the_input_and_x_ray_header(
    order: Any,
) -> None:
    # The state machine polyfn deploys unwraps the input (tests/workflows/test_trace.py
    # runs it); with its tracing on, X-Ray links the execution to the starter.
    sent: list[dict[str, Any]] = []
    sfn = aws_client("stepfunctions")

    def record(params: dict[str, Any], **_: Any) -> None:
        sent.append(dict(params))

    sfn.meta.events.register("provide-client-params.states.StartExecution", record)
    try:
        order.start({"orderId": "0"})  # outside an invocation: nothing to carry
        ctx = _in_invocation(TRACEPARENT, "order-flow-1", hops=2)
        execution = _start_in(ctx, order, {"orderId": "1"})
    finally:
        sfn.meta.events.unregister("provide-client-params.states.StartExecution", record)
    assert "traceHeader" not in sent[0]
    assert json.loads(sent[0]["input"]) == {"orderId": "0"}
    assert sent[1]["traceHeader"] == (
        f"Root=1-4bf92f35-77b34da6a3ce929d0e0e4736;Parent={ctx.trace.span_id};Sampled=1"
    )
    described = sfn.describe_execution(executionArn=execution.id)
    assert json.loads(described["input"]) == {
        "polyfnTrace": {
            "traceparent": f"00-4bf92f3577b34da6a3ce929d0e0e4736-{ctx.trace.span_id}-01",
            "x-correlation-id": "order-flow-1",
            "polyfn-hops": "3",
        },
        "polyfnInput": {"orderId": "1"},
    }


def test_a_named_start_from_two_invocations_is_one_execution(order: Any) -> None:
    # Each start carries its own starter's span; the name and the user's input decide.
    first = _start_in(_in_invocation(TRACEPARENT), order, {"orderId": "9"}, "order-9")
    other = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    again = _start_in(_in_invocation(other), order, {"orderId": "9"}, "order-9")
    assert again.id == first.id
    with pytest.raises(ExecutionExists):
        _start_in(_in_invocation(other), order, {"orderId": "10"}, "order-9")


def test_the_same_name_and_input_give_the_same_execution(order: Any) -> None:
    first = order.start({"orderId": "2", "items": [1, 2]}, name="order-2")
    again = order.start({"items": [1, 2], "orderId": "2"}, name="order-2")  # same JSON
    assert again.id == first.id
    assert first.id.endswith(":execution:orders-order:order-2")


def test_the_same_name_with_other_input_is_execution_exists(order: Any) -> None:
    order.start({"orderId": "3"}, name="order-3")
    with pytest.raises(ExecutionExists, match="order-3"):
        order.start({"orderId": "4"}, name="order-3")


def test_a_finished_execution_is_found_again_by_name_and_input(order: Any) -> None:
    # Step Functions refuses a name whose execution ended (ExecutionAlreadyExists) even
    # with the same input; polyfn returns that execution, as every engine does.
    first = order.start({"orderId": "5"}, name="order-5")
    aws_client("stepfunctions").stop_execution(executionArn=first.id)
    again = order.start({"orderId": "5"}, name="order-5")
    assert again.id == first.id
    assert again.summary["status"] == "failed"
    assert again.summary["error"] == "Aborted"
    with pytest.raises(ExecutionExists):
        order.start({"orderId": "6"}, name="order-5")


def test_input_that_is_not_json_is_refused_before_the_call(order: Any) -> None:
    with pytest.raises(ValueError, match="JSON"):
        order.start({"when": object()})


def test_describe_reads_status_and_path(order: Any) -> None:
    execution = order.start({"orderId": "7"})
    summary = order.execution(execution.id).summary
    # moto's fixed history: one pass state "A State".
    assert summary == {"id": execution.id, "status": "running", "path": ["A State"]}


def test_a_failed_execution_reads_its_error_from_the_history(
    order: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # moto serves on a thread of this process and reads this variable per request.
    monkeypatch.setenv("SF_EXECUTION_HISTORY_TYPE", "FAILURE")
    execution = order.start({"orderId": "8"})
    summary = order.execution(execution.id).summary
    assert summary == {
        "id": execution.id,
        "status": "failed",
        "error": "AnError",
        "cause": "An error occurred!",
        "path": ["A State"],
    }


def test_an_unknown_execution_is_a_typed_error(order: Any) -> None:
    arn = order.start({"orderId": "9"}).id
    with pytest.raises(UnknownExecution, match="nope"):
        order.execution(arn.rsplit(":", 1)[0] + ":nope")


def test_the_binding_may_name_the_state_machine(
    aws_env: AwsEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    arn = _machine("orders-order-by-name")
    monkeypatch.setenv("POLYFN_WORKFLOW_ORDER", "orders-order-by-name")
    app = _app()
    backend = StepFunctionsWorkflow(app.workflows["order"])
    assert backend.state_machine_arn == arn
    monkeypatch.setenv("POLYFN_WORKFLOW_ORDER", "no-such-machine")
    with pytest.raises(ConfigError, match="no state machine named 'no-such-machine'"):
        _ = StepFunctionsWorkflow(_app().workflows["order"]).state_machine_arn


# ----------------------------------------------------------------------------- reading


def _entered(name: str, kind: str = "Task") -> dict[str, Any]:
    return {"type": f"{kind}StateEntered", "stateEnteredEventDetails": {"name": name}}


def test_the_path_is_the_top_level_states_entered() -> None:
    events = [
        {"type": "ExecutionStarted"},
        _entered("validate_order"),
        {"type": "TaskStateExited"},
        _entered("split", "Parallel"),
        {"type": "ParallelStateStarted"},
        _entered("inner_a"),
        _entered("inner_b"),
        {"type": "ParallelStateSucceeded"},
        {"type": "ParallelStateExited"},
        _entered("each", "Map"),
        {"type": "MapStateStarted"},
        {"type": "MapIterationStarted"},
        _entered("per_item"),
        {"type": "MapStateSucceeded"},
        _entered("fulfill_order"),
        {"type": "ExecutionSucceeded"},
    ]
    assert execution_path(events) == ["validate_order", "split", "each", "fulfill_order"]


@pytest.mark.parametrize(
    ("description", "expected"),
    [
        (
            {"status": "SUCCEEDED", "output": '{"orderId": "1", "charged": 42}'},
            {"status": "succeeded", "output": {"orderId": "1", "charged": 42}},
        ),
        (
            {"status": "FAILED", "error": "PaymentFailed", "cause": "card declined"},
            {"status": "failed", "error": "PaymentFailed", "cause": "card declined"},
        ),
        (
            {"status": "TIMED_OUT"},
            {"status": "timed_out", "error": "States.Timeout", "cause": ""},
        ),
        ({"status": "PENDING_REDRIVE"}, {"status": "running"}),
    ],
    ids=["succeeded", "failed", "timed-out", "pending-redrive"],
)
def test_a_description_reads_as_every_engines_summary(
    description: dict[str, Any], expected: dict[str, Any]
) -> None:
    answer = {"executionArn": "arn:x", **description}
    assert execution_summary(answer, [_entered("a")]) == {"id": "arn:x", "path": ["a"], **expected}
