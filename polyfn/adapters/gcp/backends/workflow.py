"""The starting side of a workflow on Google Cloud: executions through the Workflows
Executions API (``google-cloud-workflows``, imported on first use).

The workflow's physical name (its deploy binding) is either the full resource name
``projects/P/locations/L/workflows/W`` or a short ``W``, completed with the project the
environment names (``GOOGLE_CLOUD_PROJECT``) and the location in ``GOOGLE_CLOUD_LOCATION``.
An execution's id is its full resource name (what ``get_execution`` takes).

How an execution reads back (the YAML ``polyfn.deploy.workflow_gcp`` writes ends with
``return: ${data}`` or raises a map ``{"Error", "Cause"}``):

- ``ACTIVE`` / ``QUEUED``: running; ``SUCCEEDED``: the JSON ``result`` is the output;
- ``FAILED``: ``error.payload`` is the raised error as JSON; its ``Error`` and ``Cause``
  are the run's error; a task failure that nothing caught arrives as Workflows'
  ``HttpError`` whose ``body`` holds them; the run's own deadline (its error marked
  ``polyfn_deadline``) ends it ``timed_out``, a task's timeout fails it;
- ``CANCELLED``: failed with error ``Cancelled``.

Cloud Workflows gives each execution an id of its own and has no idempotent execution
names (Step Functions' rule). polyfn keeps the rule itself: a ``name`` is recorded as the
label ``polyfn_name`` (label values: lowercase letters, digits, ``_`` and ``-``, 63
characters), and a named start first lists the executions carrying that label
(``filter: labels.polyfn_name="<name>"``, newest first, the FULL view for the argument):
one with the same input is returned instead of starting another, one with other input is
``ExecutionExists``. The look-up and the create are two calls, so two starts racing with
one name can both run; Step Functions and Durable Functions decide it in one. Executions
are listed as long as Workflows keeps them (90 days after they end).

References (read 2026-12-04): Workflows Executions API, ``projects.locations.workflows.
executions`` (create, get; the Execution resource: argument, result, error.payload, state,
labels), https://cloud.google.com/workflows/docs/reference/executions/rest.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from typing import Any

from polyfn.adapters.common.errors import ResourceRef
from polyfn.adapters.gcp.backends.clients import project_id
from polyfn.adapters.gcp.backends.errors import guard
from polyfn.core.errors import ConfigError, ExecutionExists
from polyfn.core.workflow import Workflow, WorkflowExecution, canonical_input
from polyfn.core.workflow_trace import unwrap, wrap

__all__ = [
    "DEADLINE_MARK",
    "NAME_LABEL",
    "WorkflowsExecutions",
    "execution_summary",
    "read_failure",
    "workflow_path",
]

_LABEL = re.compile(r"[a-z0-9_-]{1,63}")
# The label a named start is recorded under (a key AIP-160 filters read without quoting).
NAME_LABEL = "polyfn_name"


def workflow_path(physical_name: str) -> str:
    """The workflow's full resource name."""
    if physical_name.startswith("projects/"):
        return physical_name
    project = project_id()
    location = os.environ.get("GOOGLE_CLOUD_LOCATION")
    if not project or not location:
        raise ConfigError(
            f"workflow {physical_name!r}: set its binding to projects/P/locations/L/workflows/W, "
            "or GOOGLE_CLOUD_PROJECT and GOOGLE_CLOUD_LOCATION"
        )
    return f"projects/{project}/locations/{location}/workflows/{physical_name}"


# The key polyfn's YAML puts in the error it raises when the run passes its own deadline
# (polyfn.deploy.workflow_gcp.DEADLINE_MARK): that run timed out; a task's timeout
# (also States.Timeout) failed it.
DEADLINE_MARK = "polyfn_deadline"


def read_failure(error: Any) -> tuple[str, str, str]:
    """``(status, error, cause)`` of a failed run from the error it raised (a parsed
    ``error.payload``)."""
    if isinstance(error, dict) and error.get(DEADLINE_MARK) is True:
        return "timed_out", str(error.get("Error")), str(error.get("Cause", ""))
    if isinstance(error, dict) and isinstance(error.get("body"), dict):
        # An HttpError from a task endpoint: its body is the task's {Error, Cause}.
        error = error["body"] if "Error" in error["body"] else error
    if isinstance(error, dict) and isinstance(error.get("Error"), str):
        return "failed", error["Error"], str(error.get("Cause", ""))
    if isinstance(error, dict) and isinstance(error.get("tags"), list) and error["tags"]:
        # Named as the YAML's polyfn_error names what no catch stopped: a call that ran
        # past its timeout, or whose function the platform stopped at its own timeout
        # (Cloud Run's 504), is States.Timeout, anything else its first tag.
        tags = error["tags"]
        timed_out = "TimeoutError" in tags or error.get("code") == 504
        name = "States.Timeout" if timed_out else str(tags[0])
        return "failed", name, str(error.get("message", ""))
    return "failed", "States.TaskFailed", json.dumps(error)


def _status_and_error(payload: str) -> tuple[str, str, str]:
    try:
        error = json.loads(payload)
    except ValueError:
        return "failed", "States.TaskFailed", payload
    return read_failure(error)


def execution_summary(execution: Any) -> dict[str, Any]:
    """polyfn's summary of an Executions API ``Execution``."""
    state = execution.State(execution.state).name
    summary: dict[str, Any] = {"id": execution.name}
    if state in ("ACTIVE", "QUEUED", "STATE_UNSPECIFIED"):
        summary["status"] = "running"
    elif state == "SUCCEEDED":
        summary["status"] = "succeeded"
        summary["output"] = json.loads(execution.result) if execution.result else None
    elif state == "CANCELLED":
        summary.update(status="failed", error="Cancelled", cause="the execution was cancelled")
    else:  # FAILED, UNAVAILABLE
        status, error, cause = _status_and_error(execution.error.payload)
        summary.update(status=status, error=error, cause=cause)
    return summary


class WorkflowsExecutions:
    """The workflow backend on Google Cloud: ``start`` and ``describe`` executions."""

    def __init__(self, workflow: Workflow, client: Any = None) -> None:
        self.workflow = workflow
        self.ref = ResourceRef("gcp", "workflow", workflow.name, workflow.physical_name)
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:

            def create() -> Any:
                from google.cloud.workflows.executions_v1 import ExecutionsClient

                return ExecutionsClient()

            self._client = guard(self.ref, create)
        return self._client

    def start(
        self,
        workflow: Workflow,
        input: Any,
        name: str | None,
        trace: Mapping[str, str] | None = None,
    ) -> WorkflowExecution:
        # The starter's trace rides in the argument beside the user's input
        # (core.workflow_trace); the workflow polyfn deploys takes it apart and sends it
        # to every task as headers.
        from google.cloud.workflows.executions_v1 import Execution

        labels = {}
        parent = workflow_path(workflow.physical_name)
        if name is not None:
            if not _LABEL.fullmatch(name):
                raise ValueError(
                    f"execution name {name!r}: on Google Cloud a name is a label value "
                    "(lowercase letters, digits, '_' and '-', at most 63 characters)"
                )
            labels[NAME_LABEL] = name
            existing = self._named(parent, name)
            if existing is not None:
                # Each start carries its own starter's span: the name and the user's
                # input decide whether it is the same execution.
                existing_input, _ = unwrap(json.loads(existing.argument or "null"))
                if canonical_input(existing_input) != canonical_input(input):
                    raise ExecutionExists(
                        f"an execution named {name!r} of workflow {workflow.name!r} "
                        "already exists with different input"
                    )
                summary = execution_summary(existing)
                return WorkflowExecution(summary["id"], summary["status"], summary)
        execution = Execution(argument=json.dumps(wrap(input, trace)), labels=labels)
        created = guard(
            self.ref, lambda: self.client.create_execution(parent=parent, execution=execution)
        )
        summary = execution_summary(created)
        return WorkflowExecution(summary["id"], summary["status"], summary)

    def _named(self, parent: str, name: str) -> Any:
        """The newest execution started with ``name``, or None."""
        from google.cloud.workflows.executions_v1 import ExecutionView, ListExecutionsRequest

        request = ListExecutionsRequest(
            parent=parent,
            filter=f'labels.{NAME_LABEL}="{name}"',  # the name is a label value: no quotes
            view=ExecutionView.FULL,
            page_size=1,
        )
        page = guard(self.ref, lambda: self.client.list_executions(request=request))
        for found in page:
            return found
        return None

    def describe(self, workflow: Workflow, execution_id: str) -> WorkflowExecution:
        found = guard(self.ref, lambda: self.client.get_execution(name=execution_id))
        summary = execution_summary(found)
        return WorkflowExecution(summary["id"], summary["status"], summary)
