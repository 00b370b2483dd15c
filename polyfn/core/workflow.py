"""Workflows: a graph of steps over tasks of the same App, written once, run on any engine.

::

    order = app.workflow("order", timeout=300)

    @order.task(retry=Retry("Throttled", attempts=3, backoff=2.0))
    def validate_order(data: dict) -> dict: ...

    order.flow(
        validate_order,
        check_inventory.catch("OutOfStock", notify_out_of_stock),
        charge_payment.catch("PaymentFailed", notify_payment_failed),
        fulfill_order,
    )

    execution = order.start({"orderId": "123"})  # from any handler

A task takes the workflow's data (JSON) and returns its result (JSON); the error a task
raises is matched by its class name. The workflow is a resource like a queue: starting it
asks the backend the runtime bound (the local executor, Step Functions, Durable
Functions, Cloud Workflows) to run an execution.
"""

from __future__ import annotations

from polyfn.core.errors import ConfigError, WorkflowInputError
from polyfn.core.resources import Resource
from polyfn.core.workflow_graph import TaskState, compile_flow
from polyfn.core.workflow_steps import (
    Retry,
    TaskStep,
    WorkflowDefinitionError,
    as_steps,
)

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (cheap_typing.py)
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any

    from polyfn.core.app import App
    from polyfn.core.workflow_graph import Graph
    from polyfn.core.workflow_steps import Step

__all__ = ["EXPRESS_MAX_SECONDS", "Workflow", "WorkflowExecution", "canonical_input"]

# An Express state machine's execution runs five minutes at most (Step Functions
# developer guide, "Choosing workflow type": Standard up to one year, Express up to five
# minutes; read 2026-12-04). polyfn holds an express workflow to it on every engine.
EXPRESS_MAX_SECONDS = 300


def canonical_input(value: Any) -> str:
    """``value`` as every engine compares the input of a named start: JSON with sorted
    keys and no spaces, so equal data compares equal however it was written."""
    import json

    try:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as error:
        raise WorkflowInputError(f"workflow input is not JSON: {error}") from None


class WorkflowExecution:
    """What ``start`` returns: the execution's id, and its status as last known."""

    __slots__ = ("id", "status", "summary")

    def __init__(self, id: str, status: str, summary: dict[str, Any] | None = None) -> None:
        self.id = id
        self.status = status
        self.summary = summary if summary is not None else {"id": id, "status": status}

    def __repr__(self) -> str:
        return f"<WorkflowExecution {self.id} {self.status}>"


class Workflow(Resource):
    """A declared workflow: its tasks, its flow, and how long a run may take."""

    kind = "workflow"
    __slots__ = ("_graph", "express", "tasks", "timeout")

    def __init__(
        self, app: App, name: str, *, timeout: int | None = None, express: bool = False
    ) -> None:
        super().__init__(app, name)
        if timeout is not None and (
            not isinstance(timeout, int) or isinstance(timeout, bool) or timeout <= 0
        ):
            raise WorkflowDefinitionError(f"timeout must be whole seconds > 0, got {timeout!r}")
        if not isinstance(express, bool):
            raise WorkflowDefinitionError(f"express is True or False, got {express!r}")
        if express:
            # Short, high-volume runs (Step Functions Express): five minutes at most, and
            # that limit is the run's timeout on every engine, so a run that would be cut
            # off on AWS times out the same way locally, on Azure and on Google Cloud.
            if timeout is not None and timeout > EXPRESS_MAX_SECONDS:
                raise WorkflowDefinitionError(
                    f"workflow {name!r}: an express workflow runs {EXPRESS_MAX_SECONDS} s at "
                    f"most, got timeout={timeout}; declare it without express=True to run "
                    "longer"
                )
            timeout = EXPRESS_MAX_SECONDS if timeout is None else timeout
        self.timeout = timeout
        self.express = express
        self.tasks: dict[str, TaskStep] = {}
        self._graph: Graph | None = None

    @property
    def app(self) -> App:
        return self._app

    # ------------------------------------------------------------------ declaring

    def task(
        self,
        function: Callable[..., Any] | None = None,
        *,
        name: str | None = None,
        retry: Retry | Iterable[Retry] | None = None,
        timeout: int | None = None,
        max_hops: int | None = None,
    ) -> Any:
        """Declare a task: ``@workflow.task`` or ``@workflow.task(retry=..., timeout=...)``.

        ``max_hops`` is the task's loop-guard limit (``core.loop_guard``): reached through
        more polyfn sends and workflow starts than that, it fails with ``LoopStopped``.
        Returns the step to put in ``flow``; calling it calls the function.
        """
        retries: tuple[Retry, ...]
        if retry is None:
            retries = ()
        elif isinstance(retry, Retry):
            retries = (retry,)
        else:
            retries = tuple(retry)
            if not all(isinstance(r, Retry) for r in retries):
                raise WorkflowDefinitionError("retry= takes a Retry or a list of them")
        if timeout is not None and (
            not isinstance(timeout, int) or isinstance(timeout, bool) or timeout <= 0
        ):
            raise WorkflowDefinitionError(f"timeout must be whole seconds > 0, got {timeout!r}")

        def declare(handler: Callable[..., Any]) -> TaskStep:
            from polyfn.core.functions import FunctionOptions, TaskTrigger

            task_name = name or str(getattr(handler, "__name__", ""))
            self._check_task_name(task_name)
            step = TaskStep(task_name, handler, retries=retries, timeout=timeout)
            # A task is also a function of the App: deploy gives it its own Lambda, activity
            # or HTTP function, which the workflow's engine invokes.
            trigger = TaskTrigger(self.name, task_name)
            options = FunctionOptions(timeout=timeout, max_hops=max_hops)
            self._app._register(task_name, handler, trigger, options)
            self.tasks[task_name] = step
            return step

        return declare(function) if function is not None else declare

    def _check_task_name(self, name: str) -> None:
        if not name.isidentifier():
            raise WorkflowDefinitionError(f"a task name must be a Python identifier, got {name!r}")
        if name in self.tasks:
            raise WorkflowDefinitionError(f"workflow {self.name!r} already has a task {name!r}")
        # Tasks are deployed as functions of the App: their names share one namespace.
        if name in self._app.functions:
            raise WorkflowDefinitionError(f"task {name!r} has the name of a function of the app")

    def flow(self, *steps: Step | list[Step]) -> Workflow:
        """Set the steps the workflow runs, in order (see ``polyfn.workflow_steps``)."""
        if self._graph is not None:
            raise WorkflowDefinitionError(f"workflow {self.name!r} already has a flow")
        flat = as_steps(list(steps))
        graph = compile_flow(flat)
        for state in graph.walk():
            if isinstance(state, TaskState) and state.task not in self.tasks:
                raise WorkflowDefinitionError(
                    f"step {state.task!r} in workflow {self.name!r} is not one of its tasks "
                    "(declare it with @" + self.name + ".task; a task of another workflow or "
                    "app cannot run here)"
                )
        for step in _task_steps(flat):
            if self.tasks[step.name].task_function is not step.task_function:
                raise WorkflowDefinitionError(
                    f"step {step.name!r} is not this workflow's task of that name"
                )
        self._graph = graph
        return self

    @property
    def graph(self) -> Graph:
        """The compiled flow (a ConfigError until ``flow`` was called)."""
        if self._graph is None:
            raise ConfigError(f"workflow {self.name!r} has no flow: call {self.name}.flow(...)")
        return self._graph

    # ------------------------------------------------------------------ running

    def start(self, input: Any, *, name: str | None = None) -> WorkflowExecution:
        """Start an execution with ``input`` (JSON); returns at once.

        ``name`` makes starting idempotent, as in Step Functions: the same name and the
        same input give the same execution; the same name with other input is an error.
        An express workflow takes no ``name``: Step Functions runs every start of an
        Express state machine, so a name would promise what AWS does not keep.
        """
        from polyfn.core import json_codec

        if self.express and name is not None:
            raise ConfigError(
                f"workflow {self.name!r} is express: its executions are not deduplicated "
                "by name (Step Functions starts every Express execution it is asked to); "
                "start it without name=, or declare it without express=True"
            )

        try:
            json_codec.encode(input)
        except (TypeError, ValueError) as error:
            raise WorkflowInputError(
                f"workflow {self.name!r}: the input must be JSON: {error}"
            ) from None
        backend = self._get_backend()
        return backend.start(self, input, name, trace=_starting_trace())  # type: ignore[no-any-return]

    def execution(self, execution_id: str) -> WorkflowExecution:
        """The execution's status as the engine knows it now."""
        if self.express:
            raise ConfigError(
                f"workflow {self.name!r} is express: its executions cannot be read back "
                "(Step Functions keeps no history of Express executions; they are in the "
                "state machine's CloudWatch log group); declare it without express=True "
                "to read executions"
            )
        return self._get_backend().describe(self, execution_id)  # type: ignore[no-any-return]


def _task_steps(steps: Iterable[Any]) -> Iterable[TaskStep]:
    from polyfn.core.workflow_steps import Choice, Map, Parallel

    for step in steps:
        if isinstance(step, TaskStep):
            yield step
            for catch in step.catches:
                yield from _task_steps(catch.then)
        elif isinstance(step, Choice):
            for _, branch in step.branches:
                yield from _task_steps(branch)
            if step.otherwise is not None:
                yield from _task_steps(step.otherwise)
        elif isinstance(step, Parallel):
            for branch in step.branches:
                yield from _task_steps(branch)
            for catch in step.catches:
                yield from _task_steps(catch.then)
        elif isinstance(step, Map):
            yield from _task_steps(step.steps)
            for catch in step.catches:
                yield from _task_steps(catch.then)


def _starting_trace() -> dict[str, str]:
    """The starting invocation's trace, correlation id and hop count
    (``TraceContext.outgoing``), which each engine hands to the execution's tasks as far
    as it can (see docs/observability.md); empty outside an invocation."""
    from polyfn.core.context import _current

    ctx = _current.get()
    return {} if ctx is None else ctx.trace.outgoing()
