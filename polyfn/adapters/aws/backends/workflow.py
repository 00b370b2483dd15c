"""The starting side of a workflow on AWS: executions of its Step Functions state machine.

The workflow's binding (``POLYFN_WORKFLOW_<NAME>``, which deploy sets to the state
machine's ARN) is the state machine's ARN, or its name (looked up with
``ListStateMachines``, for development against an emulator or a hand-made machine).
An execution's id is its ARN (what ``DescribeExecution`` takes).

- ``start``: ``StartExecution`` with the input as JSON, named ``name`` or a fresh uuid.
  Step Functions' idempotency rule: the same name and the same input give the existing
  execution; another input is ``ExecutionExists``. Step Functions itself answers
  ``ExecutionAlreadyExists`` for a name whose execution has ended, even with the same input;
  polyfn then reads that execution and returns it when its input is the same, so a
  repeated start behaves as on every engine.
- ``describe``: ``DescribeExecution`` -> ``running`` (RUNNING, PENDING_REDRIVE),
  ``succeeded`` with the output, ``failed`` (FAILED; ABORTED as error ``Aborted``) or
  ``timed_out`` (TIMED_OUT) with error and cause; the path is the names of the top-level
  states entered, read from ``GetExecutionHistory`` (``*StateEntered`` events outside
  parallel branches and map iterations).

References (read 2026-12-04): Step Functions API reference, StartExecution ("Idempotency",
ExecutionAlreadyExists), DescribeExecution (status, output, error, cause),
GetExecutionHistory and HistoryEvent (event types, stateEnteredEventDetails),
https://docs.aws.amazon.com/step-functions/latest/apireference/.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

from polyfn.adapters.aws.backends.clients import aws_client
from polyfn.adapters.aws.backends.errors import error_code, guard
from polyfn.adapters.aws.sources import ENTRY_STATES
from polyfn.adapters.common.errors import ResourceRef
from polyfn.core.errors import ConfigError, ExecutionExists, UnknownExecution
from polyfn.core.trace_context import xray_header
from polyfn.core.workflow import Workflow, WorkflowExecution, canonical_input
from polyfn.core.workflow_trace import unwrap, wrap

__all__ = ["StepFunctionsWorkflow", "execution_path", "execution_summary"]

_RUNNING = frozenset({"RUNNING", "PENDING_REDRIVE"})
# History events that open and close the inner runs of a Parallel or Map state: states
# entered between them belong to a branch or an iteration, not to the workflow's path.
_INNER_OPEN = frozenset({"ParallelStateStarted", "MapStateStarted"})
_INNER_CLOSE = frozenset(
    {
        "ParallelStateSucceeded",
        "ParallelStateFailed",
        "ParallelStateAborted",
        "MapStateSucceeded",
        "MapStateFailed",
        "MapStateAborted",
    }
)
_FAILURE_DETAILS = {
    "ExecutionFailed": "executionFailedEventDetails",
    "ExecutionTimedOut": "executionTimedOutEventDetails",
    "ExecutionAborted": "executionAbortedEventDetails",
}


def execution_path(events: list[dict[str, Any]]) -> list[str]:
    """The names of the top-level states an execution entered, in order."""
    path: list[str] = []
    depth = 0
    for event in events:
        kind = str(event.get("type", ""))
        if kind in _INNER_OPEN:
            depth += 1
        elif kind in _INNER_CLOSE:
            depth = max(0, depth - 1)
        elif kind.endswith("StateEntered") and depth == 0:
            name = str(event.get("stateEnteredEventDetails", {}).get("name", ""))
            if name not in ENTRY_STATES:  # polyfn's own, before the flow
                path.append(name)
    return path


def execution_summary(description: dict[str, Any], events: list[dict[str, Any]]) -> dict[str, Any]:
    """The summary every engine gives (status, output or error and cause, path), from a
    ``DescribeExecution`` answer and the execution's history events."""
    status = str(description.get("status"))
    summary: dict[str, Any] = {"id": description["executionArn"], "path": execution_path(events)}
    if status in _RUNNING:
        summary["status"] = "running"
        return summary
    if status == "SUCCEEDED":
        output = description.get("output")
        summary.update(status="succeeded", output=None if output is None else json.loads(output))
        return summary
    error, cause = description.get("error"), description.get("cause")
    if error is None:
        # The failure as the history's last event tells it (DescribeExecution may omit it).
        for event in reversed(events):
            key = _FAILURE_DETAILS.get(str(event.get("type")))
            if key is not None:
                details = event.get(key, {})
                error, cause = details.get("error"), details.get("cause", cause)
                break
    if status == "TIMED_OUT":
        summary.update(status="timed_out", error=error or "States.Timeout")
    elif status == "ABORTED":
        summary.update(status="failed", error=error or "Aborted")
    else:
        summary.update(status="failed", error=error or "States.Runtime")
    summary["cause"] = cause or ""
    return summary


class StepFunctionsWorkflow:
    """The workflow backend on AWS for one workflow (one state machine)."""

    def __init__(self, workflow: Workflow) -> None:
        self.ref = ResourceRef("aws", "workflow", workflow.name, workflow.physical_name)
        self._arn: str | None = None

    @property
    def state_machine_arn(self) -> str:
        if self._arn is None:
            physical = self.ref.physical
            self._arn = physical if physical.startswith("arn:") else self._find(physical)
        return self._arn

    def _find(self, name: str) -> str:
        sfn = aws_client("stepfunctions")

        def find() -> str | None:
            for page in sfn.get_paginator("list_state_machines").paginate():
                for machine in page["stateMachines"]:
                    if machine["name"] == name:
                        return str(machine["stateMachineArn"])
            return None

        arn = guard(self.ref, find)
        if arn is None:
            raise ConfigError(
                f"workflow {self.ref.name!r}: no state machine named {name!r}; set "
                f"POLYFN_WORKFLOW_{self.ref.name.upper()} to its ARN"
            )
        return arn

    def _execution_arn(self, name: str) -> str:
        # arn:P:states:R:A:stateMachine:M -> arn:P:states:R:A:execution:M:NAME
        prefix, _, machine = self.state_machine_arn.partition(":stateMachine:")
        return f"{prefix}:execution:{machine}:{name}"

    # ------------------------------------------------------------------ the port

    def start(
        self,
        workflow: Workflow,
        input: Any,
        name: str | None,
        trace: Mapping[str, str] | None = None,
    ) -> WorkflowExecution:
        encoded = canonical_input(input)  # WorkflowInputError when it is not JSON
        sfn = aws_client("stepfunctions")
        execution_name = name or uuid.uuid4().hex
        machine = self.state_machine_arn
        params: dict[str, Any] = {"stateMachineArn": machine, "name": execution_name}
        # The starter's trace rides in the execution's input beside the user's
        # (core.workflow_trace), which the state machine takes apart: every task gets the
        # trace, correlation id and hop count. It also goes as X-Ray's header, so that
        # with the machine's tracing on X-Ray links the execution to its starter.
        header = xray_header((trace or {}).get("traceparent", ""))
        if header:
            params["traceHeader"] = header
        sent = canonical_input(wrap(json.loads(encoded), trace))

        def start() -> str | None:
            try:
                answer = sfn.start_execution(input=sent, **params)
            except Exception as exc:
                if error_code(exc) == "ExecutionAlreadyExists":
                    return None
                raise
            return str(answer["executionArn"])

        arn = guard(self.ref, start)
        if arn is not None:
            return WorkflowExecution(arn, "running")
        existing = self._describe(self._execution_arn(execution_name))
        # Each start carries its own starter's span: the same name is the same execution
        # when the user's input is the same, whatever trace came with it.
        existing_input, _ = unwrap(json.loads(existing.get("input") or "null"))
        if canonical_input(existing_input) != encoded:
            raise ExecutionExists(
                f"an execution named {execution_name!r} of workflow {workflow.name!r} "
                "already exists with different input"
            )
        summary = execution_summary(existing, self._history(existing["executionArn"]))
        return WorkflowExecution(summary["id"], summary["status"], summary)

    def describe(self, workflow: Workflow, execution_id: str) -> WorkflowExecution:
        description = self._describe(execution_id)
        summary = execution_summary(description, self._history(execution_id))
        return WorkflowExecution(summary["id"], summary["status"], summary)

    # ------------------------------------------------------------------ calls

    def _describe(self, execution_arn: str) -> dict[str, Any]:
        sfn = aws_client("stepfunctions")

        def describe() -> dict[str, Any] | None:
            try:
                return dict(sfn.describe_execution(executionArn=execution_arn))
            except Exception as exc:
                if error_code(exc) in ("ExecutionDoesNotExist", "InvalidArn"):
                    return None
                raise

        description = guard(self.ref, describe)
        if description is None:
            raise UnknownExecution(f"no execution {execution_arn!r}")
        return description

    def _history(self, execution_arn: str) -> list[dict[str, Any]]:
        sfn = aws_client("stepfunctions")

        def history() -> list[dict[str, Any]]:
            events: list[dict[str, Any]] = []
            pages = sfn.get_paginator("get_execution_history").paginate(
                executionArn=execution_arn, includeExecutionData=False
            )
            for page in pages:
                events.extend(page["events"])
            return events

        return guard(self.ref, history)
