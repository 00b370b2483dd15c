"""A workflow's Task state on AWS: the envelope the state machine passes, and the Lambda
entry running the task it names (the ASL engine of tests/workflows runs whole workflows
through the same handler)."""

from __future__ import annotations

from typing import Any

import pytest

from polyfn import App
from polyfn.adapters.aws import lambda_handler, sources
from polyfn.adapters.aws.entry import MisroutedTask
from polyfn.core.errors import UnrecognizedEvent
from polyfn.deploy import workflow_asl
from polyfn.hosts.events.aws import lambda_context


class OutOfStock(Exception):
    pass


def _app() -> App:
    app = App("orders")
    order = app.workflow("order")

    @order.task
    def reserve(data: dict[str, Any]) -> dict[str, Any]:
        if data.get("stock") == "out":
            raise OutOfStock(f"order {data['orderId']}: out of stock")
        return {**data, "reserved": True}

    @order.task
    def ship(data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "shipped": True}

    @app.get("/orders")
    def orders() -> dict[str, Any]:
        return {}

    order.flow(reserve, ship)
    return app


def _envelope(task: str, data: Any) -> dict[str, Any]:
    return {"polyfnTask": task, "input": data}


def test_each_task_state_passes_the_envelope_the_lambda_entry_reads() -> None:
    app = _app()
    definition = workflow_asl.to_asl(
        app.workflows["order"].graph, lambda task: f"arn:{task}", workflow="order"
    )
    reserve = definition["States"]["reserve"]
    assert reserve["Resource"] == "arn:reserve"
    assert reserve["Parameters"] == {
        "polyfnTask": "reserve",
        "input.$": "$",
        "execution.$": "$$.Execution.Input",  # where the starter's trace rides
    }
    # deploy may not import the adapter: the two spell the envelope the same way.
    assert (
        workflow_asl.TASK_FIELD,
        workflow_asl.TASK_INPUT_FIELD,
        workflow_asl.TASK_EXECUTION_FIELD,
        workflow_asl.ENTRY_STATES,
    ) == (
        sources.TASK_FIELD,
        sources.TASK_INPUT_FIELD,
        sources.TASK_EXECUTION_FIELD,
        sources.ENTRY_STATES,
    )


@pytest.mark.parametrize("pinned", ["reserve", ""])
def test_the_envelope_runs_the_task_and_its_result_is_the_answer(pinned: str) -> None:
    handler = lambda_handler(_app(), backends="keep", function=pinned)
    answer = handler(_envelope("reserve", {"orderId": "1"}), lambda_context("orders-reserve"))
    assert answer == {"orderId": "1", "reserved": True}
    assert sources.detect(_envelope("reserve", None)) == sources.TASK


def test_the_tasks_exception_propagates_unchanged() -> None:
    # Lambda's error document names the exception's class (errorType): Step Functions
    # matches that name against ErrorEquals, so polyfn must not wrap it.
    handler = lambda_handler(_app(), backends="keep", function="reserve")
    with pytest.raises(OutOfStock, match="order 7: out of stock") as raised:
        handler(_envelope("reserve", {"orderId": "7", "stock": "out"}), lambda_context())
    assert type(raised.value) is OutOfStock


def test_a_pinned_function_refuses_another_functions_task() -> None:
    handler = lambda_handler(_app(), backends="keep", function="reserve")
    with pytest.raises(MisroutedTask, match="'ship'"):
        handler(_envelope("ship", {"orderId": "1"}), lambda_context())


def test_a_task_the_app_does_not_have_is_unrecognized() -> None:
    handler = lambda_handler(_app(), backends="keep", function="")
    with pytest.raises(UnrecognizedEvent, match="no workflow task 'orders'"):
        # an HTTP function of the app is not a task
        handler(_envelope("orders", {}), lambda_context())


@pytest.mark.parametrize(
    "event",
    [{"polyfnTask": 3, "input": {}}, {"polyfnTask": "reserve"}],
    ids=["task-not-a-string", "no-input"],
)
def test_a_malformed_envelope_is_unrecognized(event: dict[str, Any]) -> None:
    handler = lambda_handler(_app(), backends="keep", function="")
    with pytest.raises(UnrecognizedEvent, match="workflow task event"):
        handler(event, lambda_context())


@pytest.mark.parametrize("reserved", ["PolyfnStart", "PolyfnUnwrap"])
def test_a_step_with_an_entry_states_name_is_refused(reserved: str) -> None:
    app = App("orders")
    order = app.workflow("order")

    def step(data: Any) -> Any:
        return data

    step.__name__ = reserved  # task names come from the function
    order.flow(order.task(step))
    with pytest.raises(workflow_asl.WorkflowUnsupported, match=reserved):
        workflow_asl.to_asl(order.graph, str, workflow="order")


def test_the_entry_states_unwrap_only_polyfns_wrapper() -> None:
    definition = workflow_asl.to_asl(_app().workflows["order"].graph, str, workflow="order")
    assert definition["StartAt"] == "PolyfnStart"
    start = definition["States"]["PolyfnStart"]
    assert start["Choices"][0]["And"] == [
        {"Variable": "$.polyfnTrace", "IsPresent": True},
        {"Variable": "$.polyfnInput", "IsPresent": True},
    ]
    assert start["Default"] == "reserve"
    assert definition["States"]["PolyfnUnwrap"] == {
        "Type": "Pass",
        "InputPath": "$.polyfnInput",
        "Next": "reserve",
    }
