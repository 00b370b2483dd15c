"""A workflow as Amazon States Language: the definition of its Step Functions state machine.

Each state of the compiled graph (``polyfn.core.workflow_graph``) becomes the ASL state of
the same name. What ASL does differently from polyfn's model is bridged here, so the run
is the same on both (tests run the output under ``aws-local-stepfunctions``):

- a comparison in polyfn is false when the value is missing or of another kind; ASL's
  comparison operators fail the run on a missing path, so each is guarded by
  ``IsPresent`` and the type test (``IsNumeric``, ``IsString``, ``IsBoolean``);
- a flow that ends after a choice branch ends with a ``Succeed`` state (ASL's ``Choice``
  cannot end by itself);
- the data a task receives and returns is the whole state input and output (``Resource``
  is the task's Lambda ARN, ``ResultPath`` ``$`` or ``$.key``).

Every Task state passes its Lambda an envelope naming the task, so that the function knows
the event is a task to run (whether or not its deployment is pinned to one function)::

    "Parameters": {"polyfnTask": "<task name>", "input.$": "$"}

which the Lambda receives as ``{"polyfnTask": "<task name>", "input": <the state's data>}``
(``polyfn.adapters.aws.sources.TASK_FIELD`` and ``TASK_INPUT_FIELD``; ``"input.$": "$"``
copies the whole state input, ASL's path syntax for a parameter's value). The Lambda's
answer is the task's result; a task's exception fails the invocation with its class name as
``errorType``, which is the error name ``Retry`` and ``Catch`` match.

The starter's trace (``polyfn.core.workflow_trace``) comes in the execution's input,
``{"polyfnTrace": ..., "polyfnInput": <data>}``, when ``Workflow.start`` ran inside an
invocation. The machine starts with two states of its own: ``PolyfnStart`` (a Choice)
sends such an input to ``PolyfnUnwrap`` (a Pass with ``InputPath: $.polyfnInput``), so the
first state of the flow gets the user's data as given, and any other input (a start from
the console) straight to the flow. Every Task state adds the execution's input to the
envelope, ``"execution.$": "$$.Execution.Input"`` (the context object), from which the
Lambda entry takes the carrier. The whole input, not ``$$.Execution.Input.polyfnTrace``:
a path that is absent fails the state, and an execution started outside polyfn has none.
So a task's payload is its data plus the execution's input, both under Step Functions'
256 KiB. The two states are left out of an execution's path.

What ASL cannot say is refused, naming the construct: a retry interval or maximum delay
that is not whole seconds (``IntervalSeconds`` and ``MaxDelaySeconds`` are integers).

Reference: the Amazon States Language specification (states-language.net/spec.html) and
the Step Functions developer guide (docs.aws.amazon.com/step-functions/latest/dg/), read
2026-12.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from polyfn.core.errors import ConfigError
from polyfn.core.workflow_graph import (
    ChoiceState,
    FailState,
    Graph,
    MapState,
    ParallelState,
    SucceedState,
    TaskState,
    WaitState,
)
from polyfn.core.workflow_steps import All, AnyOf, Condition, Not, Retry, When
from polyfn.core.workflow_trace import INPUT_KEY, TRACE_KEY

__all__ = [
    "END_STATE",
    "ENTRY_STATES",
    "TASK_EXECUTION_FIELD",
    "TASK_FIELD",
    "TASK_INPUT_FIELD",
    "WorkflowUnsupported",
    "to_asl",
]

# The Succeed state a choice goes to when its branch ends the run.
END_STATE = "Done"
# The task envelope's fields; the Lambda entry reads the same names
# (polyfn.adapters.aws.sources, which deploy may not import: tests pin that they agree).
TASK_FIELD = "polyfnTask"
TASK_INPUT_FIELD = "input"
TASK_EXECUTION_FIELD = "execution"
# The states that take the starter's trace apart before the flow (not in its path).
START_STATE = "PolyfnStart"
UNWRAP_STATE = "PolyfnUnwrap"
ENTRY_STATES = (START_STATE, UNWRAP_STATE)


class WorkflowUnsupported(ConfigError):
    """A workflow construct that one cloud's engine cannot express."""

    def __init__(self, cloud: str, workflow: str, construct: str) -> None:
        super().__init__(f"workflow {workflow!r} cannot run on {cloud}: {construct}")
        self.cloud = cloud
        self.workflow = workflow
        self.construct = construct


def to_asl(
    graph: Graph,
    resource: Callable[[str], str],
    *,
    workflow: str,
    timeout: int | None = None,
    comment: str | None = None,
) -> dict[str, Any]:
    """The state machine definition; ``resource(task)`` gives each task's ``Resource``."""
    definition: dict[str, Any] = {}
    if comment:
        definition["Comment"] = comment
    written = _Writer(resource, workflow).graph(graph)
    states = written["States"]
    for reserved in ENTRY_STATES:
        if reserved in states:
            raise WorkflowUnsupported(
                "aws", workflow, f"a step may not be named {reserved!r} (reserved)"
            )
    first = written["StartAt"]
    states[START_STATE] = {
        "Type": "Choice",
        "Choices": [
            {
                "And": [
                    {"Variable": f"$.{TRACE_KEY}", "IsPresent": True},
                    {"Variable": f"$.{INPUT_KEY}", "IsPresent": True},
                ],
                "Next": UNWRAP_STATE,
            }
        ],
        "Default": first,
    }
    states[UNWRAP_STATE] = {"Type": "Pass", "InputPath": f"$.{INPUT_KEY}", "Next": first}
    definition["StartAt"] = START_STATE
    definition["States"] = states
    if timeout is not None:
        definition["TimeoutSeconds"] = timeout
    return definition


class _Writer:
    def __init__(self, resource: Callable[[str], str], workflow: str) -> None:
        self.resource = resource
        self.workflow = workflow

    def graph(self, graph: Graph) -> dict[str, Any]:
        states: dict[str, Any] = {}
        needs_end = False
        for name, state in graph.states.items():
            written, ends = self.state(state)
            states[name] = written
            needs_end = needs_end or ends
        if needs_end:
            if END_STATE in states:
                raise WorkflowUnsupported(
                    "aws", self.workflow, f"a step may not be named {END_STATE!r} (reserved)"
                )
            states[END_STATE] = {"Type": "Succeed"}
        return {"StartAt": graph.start, "States": states}

    def state(self, state: Any) -> tuple[dict[str, Any], bool]:
        """The ASL state, and whether it needs the shared Succeed state."""
        if isinstance(state, TaskState):
            written: dict[str, Any] = {
                "Type": "Task",
                "Resource": self.resource(state.task),
                "Parameters": {
                    TASK_FIELD: state.task,
                    f"{TASK_INPUT_FIELD}.$": "$",
                    f"{TASK_EXECUTION_FIELD}.$": "$$.Execution.Input",
                },
            }
            if state.timeout is not None:
                written["TimeoutSeconds"] = state.timeout
            if state.result_path is not None:
                written["ResultPath"] = f"$.{state.result_path}"
            if state.retries:
                written["Retry"] = [self.retry(r, state.name) for r in state.retries]
            self.catches(written, state.catches)
            return self.transition(written, state.next), False
        if isinstance(state, ChoiceState):
            choices = []
            needs_end = False
            for condition, target in state.rules:
                rule = self.condition(condition)
                rule["Next"] = target if target is not None else END_STATE
                needs_end = needs_end or target is None
                choices.append(rule)
            default = state.default if state.default is not None else END_STATE
            needs_end = needs_end or state.default is None
            return {"Type": "Choice", "Choices": choices, "Default": default}, needs_end
        if isinstance(state, WaitState):
            wait: dict[str, Any] = {"Type": "Wait"}
            if state.seconds is not None:
                wait["Seconds"] = state.seconds
            else:
                wait["TimestampPath"] = f"$.{state.until_path}"
            return self.transition(wait, state.next), False
        if isinstance(state, ParallelState):
            parallel: dict[str, Any] = {
                "Type": "Parallel",
                "Branches": [self.graph(branch) for branch in state.branches],
            }
            self.catches(parallel, state.catches)
            return self.transition(parallel, state.next), False
        if isinstance(state, MapState):
            mapped: dict[str, Any] = {
                "Type": "Map",
                "ItemsPath": f"$.{state.items_path}",
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "INLINE"},
                    **self.graph(state.iterator),
                },
                "MaxConcurrency": state.max_concurrency,
            }
            self.catches(mapped, state.catches)
            return self.transition(mapped, state.next), False
        if isinstance(state, SucceedState):
            return {"Type": "Succeed"}, False
        assert isinstance(state, FailState)
        failed: dict[str, Any] = {"Type": "Fail", "Error": state.error}
        if state.cause:
            failed["Cause"] = state.cause
        return failed, False

    @staticmethod
    def transition(written: dict[str, Any], next: str | None) -> dict[str, Any]:
        if next is None:
            written["End"] = True
        else:
            written["Next"] = next
        return written

    def catches(self, written: dict[str, Any], catches: Any) -> None:
        if catches:
            written["Catch"] = [
                {"ErrorEquals": list(c.on), "Next": c.next, "ResultPath": f"$.{c.result_path}"}
                for c in catches
            ]

    def retry(self, retry: Retry, state: str) -> dict[str, Any]:
        if retry.interval != int(retry.interval) or retry.interval < 1:
            raise WorkflowUnsupported(
                "aws",
                self.workflow,
                f"retry interval {retry.interval:g} s of {state!r} (Step Functions' "
                "IntervalSeconds is a whole number of seconds >= 1)",
            )
        written: dict[str, Any] = {
            "ErrorEquals": list(retry.on),
            "IntervalSeconds": int(retry.interval),
            "MaxAttempts": retry.attempts,
            "BackoffRate": retry.backoff,
        }
        if retry.max_delay is not None:
            if retry.max_delay != int(retry.max_delay):
                raise WorkflowUnsupported(
                    "aws",
                    self.workflow,
                    f"retry max_delay {retry.max_delay:g} s of {state!r} (Step Functions' "
                    "MaxDelaySeconds is a whole number of seconds)",
                )
            written["MaxDelaySeconds"] = int(retry.max_delay)
        if retry.jitter:
            written["JitterStrategy"] = "FULL"
        return written

    def condition(self, condition: Condition) -> dict[str, Any]:
        if isinstance(condition, All):
            return {"And": [self.condition(c) for c in condition.conditions]}
        if isinstance(condition, AnyOf):
            return {"Or": [self.condition(c) for c in condition.conditions]}
        if isinstance(condition, Not):
            return {"Not": self.condition(condition.condition)}
        assert isinstance(condition, When)
        variable = f"$.{condition.path}"
        present = {"Variable": variable, "IsPresent": True}
        if condition.operator == "present":
            return {"Variable": variable, "IsPresent": condition.operand}
        operand = condition.operand
        if isinstance(operand, bool):
            kind, test = "Boolean", {"Variable": variable, "IsBoolean": True}
        elif isinstance(operand, str):
            kind, test = "String", {"Variable": variable, "IsString": True}
        else:
            kind, test = "Numeric", {"Variable": variable, "IsNumeric": True}
        operator = {
            "equals": "Equals",
            "greater": "GreaterThan",
            "greater_or_equal": "GreaterThanEquals",
            "less": "LessThan",
            "less_or_equal": "LessThanEquals",
        }[condition.operator]
        compare = {"Variable": variable, f"{kind}{operator}": operand}
        # IsPresent and the type test come first so that, evaluated in order, the comparison
        # never sees a missing path or a value of another type (aws-local-stepfunctions, which
        # the tests run this under, stops at the first false operand; the Step Functions
        # guide points to IsPresent for fields that may be absent).
        return {"And": [present, test, compare]}
