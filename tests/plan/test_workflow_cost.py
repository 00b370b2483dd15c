"""The workflow cost model: what one run counts on each engine, and the monthly price
from ``prices.json``'s ``workflows`` figures (each with its source and reading date)."""

from __future__ import annotations

import math
from typing import Any

import pytest

from polyfn import App, Choice, Map, Parallel, Retry, Wait, When
from polyfn.deploy.workflow_gcp import TASK_URL, to_workflows
from polyfn.plan.planner import PlanInputs, build_plan
from polyfn.plan.prices import load_prices
from polyfn.plan.report_html import render_html
from polyfn.plan.report_md import render_markdown
from polyfn.plan.traffic import TrafficProfile
from polyfn.plan.workflow_cost import (
    billable_steps,
    price_workflow,
    price_workflows,
    run_shape,
)
from tests.workflows.order_workflow import build

PRICES = load_prices()


def order() -> Any:
    return build().workflows["order"]


def test_the_order_workflow_enters_four_states_and_runs_four_tasks() -> None:
    shape = run_shape(order().graph)
    assert (shape.transitions, shape.tasks, shape.branch_transitions) == (4, 4, 0)


def shaped_app() -> App:
    app = App("shaped")
    flow = app.workflow("flow")

    @flow.task
    def a(data: Any) -> Any:
        return data

    @flow.task
    def b(data: Any) -> Any:
        return data

    flow.flow(
        a,
        Choice((When("big", equals=True), [b]), name="Big"),
        Wait(1, name="Pause"),
        Parallel([b], [b, b], name="Both"),
        Map("items", [a, b], name="Each"),
    )
    return app


def test_branches_and_map_items_count_inside_their_state() -> None:
    graph = shaped_app().workflows["flow"].graph
    # a, Big (its default: on to Pause), Pause, Both and its 1 + 2 inside, Each and its
    # 3 items x 2 inside
    shape = run_shape(graph, map_items=3)
    assert shape.transitions == 1 + 1 + 1 + (1 + 3) + (1 + 6)
    assert shape.branch_transitions == 3 + 6
    assert shape.tasks == 1 + 3 + 6


def test_cloud_workflows_steps_are_counted_on_the_yaml_polyfn_writes() -> None:
    workflow = order()
    with_deadline = to_workflows(workflow.graph, TASK_URL.format, workflow="order", timeout=60)
    # start: 5 assignments; the trace's unwrap: 2 switches and 2 assignments; 4 deadline
    # checks; validate: call + result; check and charge: call + result + the route switch;
    # fulfill: call + result; the final return.
    assert billable_steps(with_deadline) == 5 + 4 + 4 + 2 + 3 + 3 + 2 + 1
    without = to_workflows(workflow.graph, TASK_URL.format, workflow="order")
    assert billable_steps(without) == 4 + 4 + 2 + 3 + 3 + 2 + 1


def test_cloud_workflows_counts_branch_subworkflows_and_map_items() -> None:
    graph = shaped_app().workflows["flow"].graph
    source = to_workflows(graph, TASK_URL.format, workflow="flow")
    one, three = billable_steps(source, 1), billable_steps(source, 3)
    # Each extra item runs the item's call, its subworkflow (3 assignments, a: call +
    # result, b: call + result, return) and its store, plus one more collect round
    # (the failure check and the append).
    per_item = 1 + (3 + 2 + 2 + 1) + 1 + 2
    assert three - one == 2 * per_item


@pytest.mark.parametrize("runs", [1_000, 1_000_000])
def test_step_functions_standard_prices_transitions_after_the_free_ones(runs: int) -> None:
    cost = price_workflow(order(), "step_functions_standard", PRICES, runs=runs)
    free = PRICES.value("workflows.step_functions.standard.free_tier.state_transitions")
    each = PRICES.value("workflows.step_functions.standard.state_transition")
    # The four tasks and polyfn's two entry states (the starter's trace).
    assert cost.units == {"state_transitions": 6 * runs}
    assert cost.monthly_usd == pytest.approx(max(0, 6 * runs - free) * each)
    assert (cost.monthly_usd == 0) is (6 * runs <= free)


def test_step_functions_express_prices_requests_and_rounded_duration() -> None:
    cost = price_workflow(
        order(), "step_functions_express", PRICES, runs=1_000_000, task_duration_ms=30
    )
    # 4 tasks x 30 ms = 120 ms, rounded up to 200 ms, at 64 MB.
    gb_seconds = 1_000_000 * 0.2 * 64 / 1024
    assert cost.units["gb_seconds"] == pytest.approx(gb_seconds)
    expected = 1.0 * PRICES.value("workflows.step_functions.express.requests_per_million") + (
        gb_seconds * PRICES.value("workflows.step_functions.express.gb_second")
    )
    assert cost.monthly_usd == pytest.approx(expected)
    assert cost.unconfirmed == ["workflows.step_functions.express.gb_second"]


def test_durable_functions_prices_activities_replays_and_storage() -> None:
    cost = price_workflow(order(), "durable_functions", PRICES, runs=10_000)
    # 4 activities and 5 orchestrator runs (the first, then one after each activity).
    assert cost.units["executions"] == 10_000 * 9
    per_task = PRICES.value("workflows.durable_functions.transactions_per_task")
    assert cost.units["storage_transactions"] == 10_000 * 4 * per_task
    assert cost.monthly_usd > 0
    assert "workflows.durable_functions.transactions_per_task" in cost.unconfirmed


def test_every_workflow_price_says_where_it_came_from() -> None:
    figures = [
        "workflows.step_functions.standard.state_transition",
        "workflows.step_functions.express.requests_per_million",
        "workflows.durable_functions.storage_transactions_per_10k",
        "workflows.cloud_workflows.internal_step",
        "workflows.cloud_workflows.free_tier.internal_steps",
    ]
    for path in figures:
        assert "(read 2026-12-04)" in PRICES.source(path)
        assert math.isfinite(PRICES.value(path))


def test_a_workflow_a_cloud_cannot_express_is_a_row_saying_why() -> None:
    app = App("jittery")
    flow = app.workflow("flow")

    @flow.task(retry=Retry("Busy", interval=0.5, jitter=True))
    def work(data: Any) -> Any:
        return data

    flow.flow(work)
    defaults = TrafficProfile().defaults
    rows = {row.engine: row for row in price_workflows(app, ("aws", "gcp"), PRICES, defaults)}
    assert "retry interval 0.5 s" in rows["step_functions_standard"].unsupported
    assert "retry jitter" in rows["cloud_workflows"].unsupported
    assert rows["cloud_workflows"].monthly_usd == 0


def test_the_plan_of_an_app_with_a_workflow_shows_its_costs() -> None:
    app = build()
    plan = build_plan(
        PlanInputs(
            app=app,
            clouds=("aws", "azure", "gcp"),
            traffic=TrafficProfile(),
            source_label="polyfn app",
        )
    )
    engines = [row.engine for row in plan.workflow_costs]
    assert engines == [
        "step_functions_standard",
        "step_functions_express",
        "durable_functions",
        "cloud_workflows",
    ]
    report = render_markdown(plan)
    assert "## Workflows: monthly cost" in report
    assert "| `order` | Cloud Workflows |" in report
    # The HTML report has the same rows, with the same figures.
    page = render_html(plan)
    assert "<h2>Workflows: monthly cost</h2>" in page
    for row in plan.workflow_costs:
        assert f"${row.monthly_usd:,.2f}" in page
    assert "<td><code>order</code></td><td>Step Functions Express</td>" in page
