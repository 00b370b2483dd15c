"""Step Functions state machines read from serverless.yml (``stepFunctions:``) and SAM
(``AWS::Serverless::StateMachine``), reported by the plan and scaffolded as polyfn
workflows; the scaffold is loaded and run on the local executor."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from polyfn.adapters.local.backends import LocalBackends
from polyfn.core.workflow_graph import (
    ChoiceState,
    FailState,
    Graph,
    MapState,
    TaskState,
    WaitState,
)
from polyfn.loading import load_app
from polyfn.plan.import_model import ImportedFunction, trigger_groups
from polyfn.plan.importers import import_aws_app
from polyfn.plan.planner import build_plan
from polyfn.plan.report_md import render_markdown
from polyfn.plan.scaffold import write_scaffold
from polyfn.plan.traffic import TrafficProfile
from tests.workflows.order_workflow import build

FIXTURES = Path(__file__).parent / "fixtures" / "workflows"
SERVERLESS = FIXTURES / "serverless.yml"
SAM = FIXTURES / "sam" / "template.yaml"


def shape(graph: Graph) -> dict[str, Any]:
    """What a graph does, state by state (retries by their parameters)."""
    out: dict[str, Any] = {"start": graph.start}
    for name, state in graph.states.items():
        if isinstance(state, TaskState):
            out[name] = (
                state.task,
                state.next,
                [(r.on, r.attempts, r.interval, r.backoff) for r in state.retries],
                [(c.on, c.next, c.result_path) for c in state.catches],
                state.result_path,
            )
        else:
            out[name] = state.kind
    return out


@pytest.mark.parametrize("source", [SERVERLESS, SAM], ids=["serverless", "sam"])
def test_the_articles_order_workflow_reads_as_the_polyfn_one(source: Path) -> None:
    imported = import_aws_app(source)
    app = imported.build_app()
    written_by_hand = build().workflows["order"]
    assert shape(app.workflows["order"].graph) == shape(written_by_hand.graph)
    mapped = next(n.text for n in imported.notes if n.text.startswith("workflow 'order'"))
    assert "maps 6 of its states" in mapped
    assert "CheckInventory (Task) -> task check_inventory.catch(['OutOfStock'])" in mapped
    # A Lambda only Step Functions calls becomes a task: a function of the app run by the
    # workflow's engine, with no trigger of its own.
    assert app.functions["validate_order"].trigger.kind == "task"


def test_serverless_task_timeouts_and_the_machine_timeout_carry_over() -> None:
    app = import_aws_app(SERVERLESS).build_app()
    order = app.workflows["order"]
    assert order.timeout == 300
    assert order.graph.states["fulfill_order"].timeout == 30  # type: ignore[union-attr]


def test_what_does_not_map_is_reported_blocked_and_fails_where_it_was() -> None:
    imported = import_aws_app(SERVERLESS)
    texts = {n.text: n.impact for n in imported.notes}
    assert (
        texts[
            "workflow 'refunds', state 'AskManager': sqs:sendMessage.waitForTaskToken: "
            ".waitForTaskToken (callbacks) has no polyfn equivalent"
        ]
        == "blocked"
    )
    assert any("'Store'" in t and "dynamodb:putItem" in t for t in texts)
    assert any("EXPRESS" in t and i == "info" for t, i in texts.items())
    refunds = imported.build_app().workflows["refunds"]
    assert (refunds.express, refunds.timeout) == (True, 300)  # type: EXPRESS
    decide = refunds.graph.states[refunds.graph.start]
    assert isinstance(decide, ChoiceState)
    [(first, ask), (second, reject)] = decide.rules
    assert isinstance(refunds.graph.states[ask or ""], FailState)
    assert refunds.graph.states[ask or ""].error == "NotPorted"  # type: ignore[union-attr]
    assert refunds.graph.states[reject or ""].error == "NoPhoto"  # type: ignore[union-attr]
    assert first.holds({"amount": 150}) and not first.holds({"amount": "150"})
    assert second.holds({"reason": "damaged"}) and not second.holds(
        {"reason": "damaged", "photo": 1}
    )
    # The default path: the task, the wait, then the unported DynamoDB write.
    refund = refunds.graph.states[decide.default or ""]
    assert isinstance(refund, TaskState) and refund.task == "charge_payment_refunds"
    assert isinstance(refunds.graph.states[refund.next or ""], WaitState)


def test_sam_loops_and_pass_with_parameters_are_refused_by_name() -> None:
    imported = import_aws_app(SAM)
    texts = [n.text for n in imported.notes if n.impact == "blocked"]
    assert any("the states loop (Lines -> Both -> Loop -> Lines)" in t for t in texts)
    assert any("'Shape': a Pass state that changes the data" in t for t in texts)
    assert "nightly-report" not in imported.build_app().workflows
    # State machines are read as workflows, not reported as resources polyfn lacks.
    assert not any("StateMachine) has no polyfn resource" in n.text for n in imported.notes)


def test_a_map_and_a_parallel_read_into_their_polyfn_steps(tmp_path: Path) -> None:
    template = tmp_path / "template.yaml"
    text = SAM.read_text().replace("Next: Lines\n", "Next: Finish\n")
    template.write_text(text)
    imported = import_aws_app(template)
    graph = imported.build_app().workflows["nightly-report"].graph
    lines = graph.states["Lines"]
    assert isinstance(lines, MapState)
    assert (lines.items_path, lines.max_concurrency) == ("lines", 5)
    assert lines.iterator.states["check_inventory"].kind == "task"
    both = graph.states["Both"]
    assert both.kind == "parallel"
    [notify, shape_branch] = both.branches  # type: ignore[union-attr]
    assert notify.states["notify_out_of_stock"].kind == "task"
    assert shape_branch.states["Shape"].kind == "fail"  # not ported, says so


def test_the_plan_reports_workflows_and_the_scaffold_runs(tmp_path: Path) -> None:
    imported = import_aws_app(SERVERLESS)
    plan = build_plan(imported.plan_inputs(("aws", "gcp"), TrafficProfile()))
    report = render_markdown(plan)
    assert "workflow 'order' (stepFunctions.stateMachines.orderWorkflow) maps 6" in report
    assert ".waitForTaskToken (callbacks) has no polyfn equivalent" in report
    target = write_scaffold(imported, tmp_path / "ported", plan.lockin)
    source = target.read_text()
    assert 'order = app.workflow("order", timeout=300)' in source
    assert 'validate_order.retry("Throttled", attempts=3, interval=1, backoff=2)' in source
    app = load_app(str(target))
    assert shape(app.workflows["order"].graph) == shape(build().workflows["order"].graph)
    # The scaffold runs: its first task says it is not ported.
    app.bind(LocalBackends(tmp_path / "data", app.name))
    backend = app.backend_for(app.workflows["order"])
    backend.background = False
    started = app.workflows["order"].start({"orderId": "1"})
    summary = backend.run(started.id).summary()
    assert summary["status"] == "failed"
    assert summary["error"] == "NotImplementedError"
    assert summary["path"] == ["validate_order"]


def test_a_function_without_events_is_no_function_of_the_app() -> None:
    fn = ImportedFunction("task_only", "taskOnly", "h.task_only", None, None)
    assert trigger_groups(fn) == []


def test_polyfn_plan_from_serverless_reports_and_scaffolds_the_workflow(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from polyfn.cli import main

    target = tmp_path / "ported"
    code = main(["plan", "--from", str(SERVERLESS), "--scaffold", str(target)])
    out = capsys.readouterr().out
    assert code == 0
    assert "## Workflows: monthly cost" in out
    assert "| `order` | Step Functions Standard |" in out
    assert "workflow 'refunds', state 'Store': the service integration" in out
    assert "order.flow(" in (target / "app.py").read_text()
