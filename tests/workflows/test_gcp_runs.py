"""Every construct's Cloud Workflows YAML, run (by ``gcp_interpreter``, a reading of the
documented semantics: there is no Google emulator) beside the local executor: the same
path of states and the same output or error."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from polyfn import App, Choice, Fail, Map, Parallel, Succeed, Wait, When
from polyfn.core.workflow_steps import All, AnyOf, Not
from workflows.engines import LocalEngine
from workflows.gcp_interpreter import GcpEngine


def constructs() -> App:
    app = App("constructs")
    flow = app.workflow("flow")

    @flow.task
    def price(data: dict[str, Any]) -> dict[str, Any]:
        return {"total": data.get("total"), "items": data.get("items", [])}

    @flow.task
    def review(data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "reviewed": True}

    @flow.task
    def tag(item: Any) -> Any:
        if item == "bad":
            raise ValueError("a bad item")
        return {"tagged": item}

    @flow.task
    def count(data: Any) -> Any:
        return {"count": len(data) if isinstance(data, list) else 1}

    flow.flow(
        price.into("priced"),
        Choice(
            (When("priced.total", greater=100), [review]),
            (All(When("coupon", present=True), Not(When("vip", equals=True))), [Fail("NoVip")]),
            (AnyOf(When("status", equals="done")), [Succeed(name="AlreadyDone")]),
            name="Size",
        ),
        Wait(0, name="Pause"),
        Parallel([count], [count, count], name="Both").catch("ValueError", [Fail("Broken")]),
        Map("priced.items", [tag], max_concurrency=2, name="Each").catch(
            "ValueError", [Fail("BadItem", "an item failed")]
        ),
    )
    return app


CASES = [
    {"total": 150},
    {"total": "150"},  # a string is not greater than 100: no rule holds
    {"coupon": 1},
    {"coupon": 1, "vip": True},
    {"status": "done"},
    {"total": 5, "items": ["a", "b", "c"]},
    {"total": 5, "items": ["a", "bad"]},
    {"total": 5, "items": "not a list"},
]


@pytest.mark.parametrize("data", CASES, ids=[str(c) for c in CASES])
def test_constructs_run_the_same_on_the_yaml_and_the_local_executor(
    data: dict[str, Any], tmp_path: Path
) -> None:
    local = LocalEngine(tmp_path).run(constructs(), "flow", data)
    gcp = GcpEngine().run(constructs(), "flow", data)
    if local["status"] == "failed" and local["error"] == "States.Runtime":
        # The map over something not a list: both fail with States.Runtime.
        assert (gcp["status"], gcp["error"], gcp["path"]) == (
            "failed",
            "States.Runtime",
            local["path"],
        )
        return
    assert gcp == local


def test_the_runs_own_timeout_ends_it_timed_out_at_the_next_state(tmp_path: Path) -> None:
    app = App("late")
    flow = app.workflow("flow", timeout=1)

    @flow.task
    def slow(data: Any) -> Any:
        time.sleep(1.2)
        return data

    @flow.task
    def after(data: Any) -> Any:
        return data

    flow.flow(slow, after)
    gcp = GcpEngine().run(app, "flow", {})
    local = LocalEngine(tmp_path).run(app, "flow", {})
    assert (gcp["status"], gcp["error"]) == ("timed_out", "States.Timeout")
    assert (local["status"], local["error"]) == ("timed_out", "States.Timeout")
    # Both enter the next state, find the deadline passed there, and end.
    assert gcp["path"] == local["path"] == ["slow", "after"]
