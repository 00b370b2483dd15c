"""Choice, wait, parallel, map, succeed and fail on the local executor, and the
definitions polyfn refuses when they are declared."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from polyfn import All, AnyOf, App, Choice, Fail, Map, Not, Parallel, Retry, Succeed, Wait, When
from polyfn.adapters.local.backends import LocalBackends
from polyfn.core.errors import ConfigError
from polyfn.core.workflow_steps import WorkflowDefinitionError


def execute(app: App, data: Any, tmp_path: Path, workflow: str = "flow") -> dict[str, Any]:
    app.bind(LocalBackends(tmp_path, app.name))
    backend = app.backend_for(app.workflows[workflow])
    backend.background = False
    execution = app.workflows[workflow].start(data)
    return backend.run(execution.id).summary()  # type: ignore[no-any-return]


def choice_app() -> App:
    app = App("steps")
    flow = app.workflow("flow")

    @flow.task
    def review(data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "reviewed": True}

    @flow.task
    def approve(data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "approved": True}

    @flow.task
    def archive(data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "archived": True}

    flow.flow(
        Choice(
            (When("total", greater=100), [review]),
            (All(When("coupon", present=True), Not(When("coupon", equals=""))), [Succeed()]),
            (AnyOf(When("status", equals="fraud"), When("total", less=0)), [Fail("Rejected")]),
            otherwise=[approve],
            name="Size",
        ),
        archive,
    )
    return app


@pytest.mark.parametrize(
    ("data", "path", "status"),
    [
        ({"total": 150}, ["Size", "review", "archive"], "succeeded"),
        ({"total": 50}, ["Size", "approve", "archive"], "succeeded"),
        ({"total": 50, "coupon": "X"}, ["Size", "Succeed1"], "succeeded"),
        ({"total": 50, "coupon": ""}, ["Size", "approve", "archive"], "succeeded"),
        ({"total": -1}, ["Size", "Fail1"], "failed"),
        ({"total": "150"}, ["Size", "approve", "archive"], "succeeded"),  # a string is no number
    ],
)
def test_choice_takes_the_first_rule_that_holds(
    tmp_path: Path, data: dict[str, Any], path: list[str], status: str
) -> None:
    result = execute(choice_app(), data, tmp_path)
    assert (result["path"], result["status"]) == (path, status)
    if status == "failed":
        assert result["error"] == "Rejected"


def test_wait_pauses_then_goes_on(tmp_path: Path) -> None:
    app = App("steps")
    flow = app.workflow("flow")

    @flow.task
    def stamp(data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "at": time.time()}

    flow.flow(stamp, Wait(1), stamp.into("later"))
    result = execute(app, {}, tmp_path)
    assert result["path"] == ["stamp", "Wait1", "stamp_2"]
    assert result["output"]["later"]["at"] - result["output"]["at"] >= 1


def test_wait_until_a_time_without_a_zone_fails_the_run(tmp_path: Path) -> None:
    app = App("steps")
    flow = app.workflow("flow")
    flow.flow(Wait(until_path="when"))
    result = execute(app, {"when": "2026-01-01T00:00:00"}, tmp_path)
    assert (result["status"], result["error"]) == ("failed", "States.Runtime")
    result = execute(app, {"when": "2000-01-01T00:00:00Z"}, tmp_path)
    assert result["status"] == "succeeded"  # a time in the past does not wait


def test_parallel_gives_the_branches_outputs_in_branch_order(tmp_path: Path) -> None:
    app = App("steps")
    flow = app.workflow("flow")

    @flow.task
    def slow_first(data: dict[str, Any]) -> str:
        time.sleep(0.1)  # finishes last; the order of the list is the branches' order
        return "first"

    @flow.task
    def second(data: dict[str, Any]) -> str:
        return "second"

    flow.flow(Parallel([slow_first], [second], name="Both"))
    result = execute(app, {}, tmp_path)
    assert (result["path"], result["output"]) == (["Both"], ["first", "second"])


def test_map_runs_the_steps_per_item_within_its_concurrency(tmp_path: Path) -> None:
    app = App("steps")
    flow = app.workflow("flow")
    running: list[int] = []
    most: list[int] = [0]

    @flow.task
    def double(data: int) -> int:
        running.append(data)
        most[0] = max(most[0], len(running))
        time.sleep(0.05)
        running.remove(data)
        return data * 2

    flow.flow(Map("order.items", [double], max_concurrency=2, name="Each"))
    result = execute(app, {"order": {"items": [1, 2, 3, 4, 5]}}, tmp_path)
    assert result["output"] == [2, 4, 6, 8, 10]
    assert most[0] == 2


def test_map_over_something_not_a_list_fails_with_states_runtime(tmp_path: Path) -> None:
    app = App("steps")
    flow = app.workflow("flow")

    @flow.task
    def double(data: int) -> int:
        return data * 2

    flow.flow(Map("items", [double]))
    result = execute(app, {"items": "1,2"}, tmp_path)
    assert (result["status"], result["error"]) == ("failed", "States.Runtime")


def test_a_failing_branch_fails_the_parallel_state_which_can_be_caught(tmp_path: Path) -> None:
    app = App("steps")
    flow = app.workflow("flow")

    @flow.task
    def fine(data: Any) -> str:
        return "fine"

    @flow.task
    def broken(data: Any) -> str:
        raise KeyError("nope")

    @flow.task
    def recover(data: dict[str, Any]) -> dict[str, Any]:
        return {"recovered": data["problem"]["Error"]}

    flow.flow(Parallel([fine], [broken]).catch("KeyError", recover, result_path="problem"))
    result = execute(app, {}, tmp_path)
    assert result["output"] == {"recovered": "KeyError"}
    assert result["path"] == ["Parallel1", "recover"]


def test_the_execution_timeout_ends_it_timed_out(tmp_path: Path) -> None:
    app = App("steps")
    flow = app.workflow("flow", timeout=1)
    flow.flow(Wait(5))
    started = time.monotonic()
    result = execute(app, {}, tmp_path)
    assert (result["status"], result["error"]) == ("timed_out", "States.Timeout")
    assert time.monotonic() - started < 4


# ---------------------------------------------------------------------- refused definitions


def test_a_task_of_another_workflow_or_app_is_refused() -> None:
    app = App("one")
    mine = app.workflow("mine")
    other_app = App("two")
    theirs = other_app.workflow("theirs")

    @theirs.task
    def foreign(data: Any) -> Any:
        return data

    with pytest.raises(WorkflowDefinitionError, match="not one of its tasks"):
        mine.flow(foreign)


def test_a_step_after_the_end_is_refused() -> None:
    flow = App("one").workflow("flow")
    with pytest.raises(WorkflowDefinitionError, match="never run"):
        flow.flow(Succeed(), Wait(1))


def test_names_are_checked() -> None:
    app = App("one")
    flow = app.workflow("flow")

    @flow.task
    def step(data: Any) -> Any:
        return data

    with pytest.raises(WorkflowDefinitionError, match="already has a task"):
        flow.task(step.task_function)
    with pytest.raises(ConfigError, match="already registered"):
        app.post("/x", name="step")(lambda req: None)
    with pytest.raises(WorkflowDefinitionError, match="name of a function"):
        app.workflow("second").task(step.task_function)
    with pytest.raises(ConfigError, match="already declared"):
        app.workflow("flow")
    with pytest.raises(ConfigError, match="has no flow"):
        _ = app.workflow("other").graph


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Retry(["States.ALL", "X"]), "only error name"),
        (lambda: Retry("X", attempts=-1), "attempts"),
        (lambda: Retry("X", backoff=0.5), "backoff"),
        (lambda: Retry("X", interval=float("nan")), "interval"),
        (lambda: When("a", equals=[1]), "equals="),
        (lambda: When("a", greater=True), "greater="),
        (lambda: When("a", equals=1, less=2), "exactly one"),
        (lambda: When("a..b", equals=1), "dotted"),
        (lambda: Wait(), "exactly one"),
        (lambda: Wait(1.5), "whole number"),
        (lambda: Map("items", [], max_concurrency=-1), "max_concurrency"),
        (lambda: Choice(), "at least one"),
        (lambda: Fail(""), "error name"),
    ],
)
def test_bad_steps_are_refused_with_the_reason(make: Any, message: str) -> None:
    with pytest.raises(WorkflowDefinitionError, match=message):
        make()
