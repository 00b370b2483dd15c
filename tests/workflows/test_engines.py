"""The article's order workflow, the same on every engine: same path, same output."""

from __future__ import annotations

from pathlib import Path

import pytest

from workflows.engines import Engine
from workflows.order_workflow import build

HAPPY = ["validate_order", "check_inventory", "charge_payment", "fulfill_order"]


def test_happy_path(engine: Engine) -> None:
    result = engine.run(build(), "order", {"orderId": "123"})
    assert result == {
        "status": "succeeded",
        "path": HAPPY,
        "output": {"orderId": "123", "status": "fulfilled", "charged": 42},
    }


def test_out_of_stock(engine: Engine) -> None:
    result = engine.run(build(), "order", {"orderId": "7", "stock": "out"})
    assert result["path"] == ["validate_order", "check_inventory", "notify_out_of_stock"]
    assert result["output"] == {
        "orderId": "7",
        "status": "out_of_stock",
        "error": {"Error": "OutOfStock", "Cause": "order 7: an item is out of stock"},
    }


def test_payment_failed(engine: Engine) -> None:
    result = engine.run(build(), "order", {"orderId": "8", "card": "declined"})
    assert result["path"] == [*HAPPY[:3], "notify_payment_failed"]
    assert result["output"]["error"] == {"Error": "PaymentFailed", "Cause": "card declined"}


def test_a_retried_transient_error(engine: Engine, tmp_path: Path) -> None:
    counter = tmp_path / "throttle-count"
    data = {"orderId": "9", "throttle": {"file": str(counter), "times": 1}}
    result = engine.run(build(), "order", data)
    assert (result["status"], result["path"]) == ("succeeded", HAPPY)
    assert counter.read_text() == "2"


def test_a_task_timeout(engine: Engine) -> None:
    result = engine.run(build(), "order", {"orderId": "5", "slow": 3})
    assert (result["status"], result["error"], result["path"]) == (
        "failed",
        "States.Timeout",
        HAPPY,
    )


def test_an_uncaught_error(engine: Engine) -> None:
    result = engine.run(build(), "order", {"no": "id"})
    assert (result["status"], result["error"], result["cause"]) == (
        "failed",
        "ValueError",
        "an order needs an orderId",
    )
    assert result["path"] == ["validate_order"]


def test_what_step_functions_cannot_say_is_refused_naming_the_construct() -> None:
    from polyfn.deploy.workflow_asl import WorkflowUnsupported, to_asl

    order = build(retry_interval=0.5).workflows["order"]
    with pytest.raises(
        WorkflowUnsupported, match=r"on aws: retry interval 0.5 s of 'validate_order'"
    ):
        to_asl(order.graph, str, workflow="order")
