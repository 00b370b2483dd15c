"""What running a workflow costs on each engine, per month, from the published prices
(``prices.json``, section ``workflows``).

A run is counted along its success path: every task succeeds, each choice takes its
default, a map runs over ``map_items`` items. Retries add to every engine's count (a
retried state is a transition, an invocation and a billable step again) and are not in
this estimate; the report says so.

- Step Functions Standard: the states a run enters (state transitions), after the 4,000
  free a month, including the two entry states polyfn's definition opens with to take
  the starter's trace apart (``workflow_asl.ENTRY_STATES``; a run started from a handler
  enters both).
- Step Functions Express: one request per run, and the run's duration (its tasks' time,
  rounded up to 100 ms) at the 64 MB minimum.
- Durable Functions (Consumption plan): one activity execution per task, one orchestrator
  execution per replay (its first run and one after each task), each at Azure Functions'
  execution price and the tasks' GB-seconds; plus the storage transactions of the task
  hub. The free grant of Azure Functions is shared with the app's functions, so none is
  subtracted here (an upper bound).
- Cloud Workflows: the billable steps of the YAML ``polyfn deploy`` writes for the workflow
  (``polyfn.deploy.workflow_gcp``), counted on that YAML: each variable assignment, call,
  condition evaluation and return is one (the run is counted as started from a handler,
  so the steps that take the starter's trace out of the argument are in); tasks are
  Cloud Functions at ``*.cloudfunctions.net``, which the pricing page counts as internal
  steps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from polyfn.core.workflow_graph import (
    ChoiceState,
    Graph,
    MapState,
    ParallelState,
    TaskState,
    WaitState,
)
from polyfn.plan.prices import Prices

__all__ = [
    "CLOUD_ENGINES",
    "ENGINES",
    "RunShape",
    "WorkflowCost",
    "billable_steps",
    "price_workflow",
    "price_workflows",
    "run_shape",
]

ENGINES = (
    "step_functions_standard",
    "step_functions_express",
    "durable_functions",
    "cloud_workflows",
)
_W = "workflows"


@dataclass(frozen=True)
class RunShape:
    """What one run does along its success path."""

    transitions: int  # states entered (Step Functions' state transitions)
    tasks: int  # task runs
    branch_transitions: int  # of those, inside parallel branches and map items


@dataclass(frozen=True)
class WorkflowCost:
    workflow: str
    engine: str  # one of ENGINES
    runs: float
    units: dict[str, float]  # what was counted per month: transitions, steps, executions...
    monthly_usd: float
    unconfirmed: list[str]  # price figures used that the vendor page did not show in full
    unsupported: str = ""  # why the workflow cannot run on this engine ("" if it can)


# The engines each cloud of the plan offers.
CLOUD_ENGINES = {
    "aws": ("step_functions_standard", "step_functions_express"),
    "azure": ("durable_functions",),
    "gcp": ("cloud_workflows",),
}


def price_workflows(
    app: Any, clouds: tuple[str, ...], prices: Prices, defaults: dict[str, Any]
) -> list[WorkflowCost]:
    """Every workflow of ``app`` on every engine of ``clouds``, with the traffic profile's
    defaults (runs a month = its ``invocations``; each task its ``duration_ms`` and
    ``memory_mb``): a workflow a cloud cannot express is a row saying why."""
    from polyfn.core.errors import ConfigError
    from polyfn.deploy.workflow_asl import to_asl
    from polyfn.deploy.workflow_gcp import TASK_URL, to_workflows

    rows = []
    for workflow in app.workflows.values():
        try:
            _ = workflow.graph
        except ConfigError:
            continue  # declared without a flow: nothing runs
        checks = {
            "aws": lambda w: to_asl(w.graph, str, workflow=w.name, timeout=w.timeout),
            "gcp": lambda w: to_workflows(
                w.graph, TASK_URL.format, workflow=w.name, timeout=w.timeout
            ),
        }
        for cloud in clouds:
            reason = ""
            try:
                if cloud in checks:
                    checks[cloud](workflow)
            except ConfigError as exc:
                reason = str(exc)
            for engine in CLOUD_ENGINES.get(cloud, ()):
                runs = float(defaults["invocations"])
                if reason:
                    rows.append(WorkflowCost(workflow.name, engine, runs, {}, 0.0, [], reason))
                    continue
                rows.append(
                    price_workflow(
                        workflow,
                        engine,
                        prices,
                        runs=runs,
                        task_duration_ms=float(defaults["duration_ms"]),
                        task_memory_mb=int(defaults["memory_mb"]),
                    )
                )
    return rows


# polyfn's ASL entry states (PolyfnStart, PolyfnUnwrap), entered before the flow; and
# the prefix of the Cloud Workflows steps that unwrap the argument (workflow_gcp).
_ENTRY_TRANSITIONS = 2
_UNWRAP_STEP = "polyfn_unwrap"


def run_shape(graph: Graph, map_items: int = 1) -> RunShape:
    transitions = tasks = inner = 0
    name: str | None = graph.start
    while name is not None:
        state = graph.states[name]
        transitions += 1
        if isinstance(state, TaskState):
            tasks += 1
            name = state.next
        elif isinstance(state, ChoiceState):
            name = state.default
        elif isinstance(state, WaitState):
            name = state.next
        elif isinstance(state, ParallelState | MapState):
            branches = state.branches if isinstance(state, ParallelState) else (state.iterator,)
            copies = 1 if isinstance(state, ParallelState) else map_items
            for branch in branches:
                shape = run_shape(branch, map_items)
                transitions += copies * shape.transitions
                inner += copies * shape.transitions
                tasks += copies * shape.tasks
            name = state.next
        else:  # succeed, fail: the run ends
            name = None
    return RunShape(transitions, tasks, inner)


def billable_steps(source: dict[str, Any], map_items: int = 1) -> int:
    """Billable steps of one run of Cloud Workflows ``source`` along its success path."""
    return _Counter(source, map_items).subworkflow("main")


class _Counter:
    def __init__(self, source: dict[str, Any], map_items: int) -> None:
        self.source = source
        self.map_items = map_items

    def subworkflow(self, name: str) -> int:
        return self.steps(self.source[name]["steps"])

    def steps(self, steps: list[dict[str, Any]]) -> int:
        names = [next(iter(step)) for step in steps]
        total, index = 0, 0
        while 0 <= index < len(steps):
            body = steps[index][names[index]]
            total += self.step(body)
            if "return" in body or "raise" in body:
                break
            following = body.get("next")
            if names[index].startswith(_UNWRAP_STEP) and "switch" in body:
                # A run started from a handler carries the trace: the unwrap is taken.
                following = body["switch"][0]["next"]
            if following is None:
                index += 1
            elif following in names:
                index = names.index(following)
            else:
                break  # a jump out of this list (never taken on the success path)
        return total

    def step(self, body: dict[str, Any]) -> int:
        if "assign" in body:
            return len(body["assign"])  # each assignment is a billable step
        if "call" in body:
            target = body["call"]
            inner = self.subworkflow(target) if target in self.source else 0
            return 1 + inner
        if "switch" in body:
            return 1  # the conditions are evaluated; none holds on the success path
        if "try" in body:
            return self.steps(body["try"]["steps"])
        if "parallel" in body:
            parallel = body["parallel"]
            if "branches" in parallel:
                return sum(
                    self.steps(next(iter(branch.values()))["steps"])
                    for branch in parallel["branches"]
                )
            return self.map_items * self.steps(parallel["for"]["steps"])
        if "for" in body:
            loop = body["for"]
            count = self.map_items
            if "range" in loop:
                # polyfn's collect loop: ranges over the branches (a number) or the items.
                upper = str(loop["range"][1])
                literal = upper.removeprefix("${").split(" ")[0]
                count = int(literal) if literal.isdigit() else self.map_items
            return count * self.steps(loop["steps"])
        return 1  # return, raise


def price_workflow(
    workflow: Any,
    engine: str,
    prices: Prices,
    *,
    runs: float,
    task_duration_ms: float = 100.0,
    task_memory_mb: int = 128,
    map_items: int = 1,
) -> WorkflowCost:
    """The monthly cost of ``runs`` runs of ``workflow`` (a polyfn Workflow) on ``engine``."""
    shape = run_shape(workflow.graph, map_items)
    used: list[str] = []

    def value(path: str) -> float:
        full = f"{_W}.{path}"
        if prices.unconfirmed(full):
            used.append(full)
        return prices.value(full)

    units: dict[str, float]
    if engine == "step_functions_standard":
        transitions = (shape.transitions + _ENTRY_TRANSITIONS) * runs
        free = value("step_functions.standard.free_tier.state_transitions")
        cost = max(0.0, transitions - free) * value("step_functions.standard.state_transition")
        units = {"state_transitions": transitions}
    elif engine == "step_functions_express":
        granularity = value("step_functions.express.billing.granularity_ms")
        chunk_gb = value("step_functions.express.billing.memory_chunk_mb") / 1024
        duration_ms = math.ceil(shape.tasks * task_duration_ms / granularity) * granularity
        gb_seconds = runs * duration_ms / 1000 * chunk_gb
        cost = runs / 1e6 * value("step_functions.express.requests_per_million") + (
            gb_seconds * value("step_functions.express.gb_second")
        )
        units = {"requests": runs, "gb_seconds": gb_seconds}
    elif engine == "durable_functions":
        replays = shape.tasks * value("durable_functions.orchestrator_replays_per_task") + 1
        executions = runs * (shape.tasks + replays)
        memory_gb = math.ceil(task_memory_mb / 128) * 128 / 1024
        minimum_ms = prices.value("azure.consumption.billing.minimum_ms")
        gb_seconds = (
            runs
            * memory_gb
            * (shape.tasks * max(task_duration_ms, minimum_ms) + replays * minimum_ms)
            / 1000
        )
        transactions = runs * shape.tasks * value("durable_functions.transactions_per_task")
        cost = (
            executions / 1e6 * prices.value("azure.consumption.executions_per_million")
            + gb_seconds * prices.value("azure.consumption.execution_gb_second")
            + transactions / 1e4 * value("durable_functions.storage_transactions_per_10k")
        )
        units = {
            "executions": executions,
            "gb_seconds": gb_seconds,
            "storage_transactions": transactions,
        }
    elif engine == "cloud_workflows":
        from polyfn.deploy.workflow_gcp import TASK_URL, to_workflows

        source = to_workflows(
            workflow.graph, TASK_URL.format, workflow=workflow.name, timeout=workflow.timeout
        )
        steps = billable_steps(source, map_items) * runs
        free = value("cloud_workflows.free_tier.internal_steps")
        cost = max(0.0, steps - free) * value("cloud_workflows.internal_step")
        units = {"internal_steps": steps}
    else:
        raise ValueError(f"unknown workflow engine {engine!r}; known: {', '.join(ENGINES)}")
    return WorkflowCost(workflow.name, engine, runs, units, cost, sorted(set(used)))
