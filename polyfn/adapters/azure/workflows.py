"""A polyfn workflow as Azure Durable Functions: one orchestrator walking the graph with the
core engine, one activity function per task.

The orchestrator does not re-state the workflow's semantics in Durable terms: it asks
``polyfn.core.workflow_engine`` what to do next and does it the Durable way, so retries,
catches, choices and data paths behave exactly as on the local executor and Step Functions.

- the clock is ``context.current_utc_datetime`` (replay-safe: the engine is a pure
  function of the history the Durable host replays);
- the starter's trace (``polyfn.core.workflow_trace``) comes in the orchestration's input
  beside the user's; the orchestrator takes it apart and sends it with every activity's
  input (the same wrapper) and in every branch's input, and the activity continues it;
- ``RunTask`` -> ``context.call_activity(task, data)``; with a task timeout or an execution
  timeout, the activity races a durable timer (``task_any``), the pattern Microsoft
  documents for timeouts, because Durable has no per-activity timeout of its own
  (https://learn.microsoft.com/azure/azure-functions/durable/durable-functions-timers);
- ``Sleep`` (a wait state, a retry's interval) -> ``context.create_timer(until)``;
- ``RunBranches`` (parallel, map) -> one sub-orchestration per branch or item, of the
  workflow's branch orchestrator, at most ``max_concurrency`` at once (a sliding window:
  each one that ends lets the next start), raced against the execution's deadline;
  the branch's graph is named in its input by the path of states that leads to it.

An activity's failure reaches the orchestrator as an exception whose text the host builds
("Activity function 'x' failed: ..." plus details whose shape varies with the storage
provider; see Azure/azure-functions-durable-extension#2990 and
Azure/azure-functions-durable-python#562). So the activity wrapper does not rely on that
shape: it raises ``TaskFailure``, whose message carries the error's name and cause encoded
in base64url (``polyfn-error:...``), which survives any quoting or JSON escaping the host
applies. ``decode_failure`` finds it anywhere in the text, else falls back on the Python
worker's "Exception: Name: message" line.

An execution's progress (its path) is the orchestration's custom status; an execution that
fails or times out fails the orchestration with an ``ExecutionFailed`` carrying its error,
cause and status the same way, so ``describe`` reports what the other engines report.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Coroutine, Generator, Mapping
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from polyfn.core import workflow_engine as engine
from polyfn.core.context import Context
from polyfn.core.defaults import DEFAULT_TIMEOUT_SECONDS
from polyfn.core.errors import ConfigError, ExecutionExists, UnknownExecution
from polyfn.core.workflow import WorkflowExecution, canonical_input
from polyfn.core.workflow_graph import Graph, MapState, ParallelState
from polyfn.core.workflow_steps import TASK_FAILED, TIMEOUT
from polyfn.core.workflow_trace import carrier, unwrap, wrap

if TYPE_CHECKING:
    from polyfn.core.app import App
    from polyfn.core.workflow import Workflow

__all__ = [
    "CLIENT_ARG",
    "DurableWorkflows",
    "ExecutionExists",
    "ExecutionFailed",
    "TaskFailure",
    "UnknownExecution",
    "activity_function",
    "branch_orchestrator",
    "branch_orchestrator_name",
    "close_client",
    "decode_failure",
    "orchestrator",
    "orchestrator_name",
    "register_workflows",
    "summary_from_status",
    "with_durable_client",
]

_T = TypeVar("_T")

_MARKER = "polyfn-error:"
_MARKED = re.compile(re.escape(_MARKER) + r"([A-Za-z0-9_-]+={0,2})")
# The Python worker reports an unhandled exception as "Exception: <Type>: <message>".
_WORKER_LINE = re.compile(r"Exception: ([A-Za-z_][A-Za-z0-9_.]*): ([^\n\"]*)")


def orchestrator_name(workflow: str) -> str:
    """The Azure function name of a workflow's orchestrator (``polyfn workflow start`` and
    the starting side use it as the orchestration's name)."""
    return f"{workflow}_workflow"


def branch_orchestrator_name(workflow: str) -> str:
    """The Azure function name of the orchestrator that runs a parallel or map branch."""
    return f"{workflow}_workflow_branch"


# ----------------------------------------------------------------------------- failures


def _encode(fields: dict[str, Any]) -> str:
    raw = json.dumps(fields, separators=(",", ":")).encode()
    return _MARKER + base64.urlsafe_b64encode(raw).decode("ascii")


class TaskFailure(Exception):
    """A task's error, as its activity raises it for the orchestrator to read back."""

    def __init__(self, error: str, cause: str) -> None:
        self.error = error
        self.cause = cause
        # Readable first (the portal shows it), then the exact error for the orchestrator.
        super().__init__(f"{error}: {cause} [{_encode({'Error': error, 'Cause': cause})}]")


class ExecutionFailed(Exception):
    """An execution that ended failed or timed out, as its orchestration fails with it."""

    def __init__(self, status: str, error: str, cause: str) -> None:
        self.status = status
        self.error = error
        self.cause = cause
        marker = _encode({"Error": error, "Cause": cause, "status": status})
        super().__init__(f"{error}: {cause} [{marker}]")


def _decode_fields(text: str) -> dict[str, Any] | None:
    found = _MARKED.search(text)
    if found is None:
        return None
    try:
        fields = json.loads(base64.urlsafe_b64decode(found.group(1)))
    except ValueError:
        return None
    if not isinstance(fields, dict) or not isinstance(fields.get("Error"), str):
        return None
    return fields


def decode_failure(text: str) -> tuple[str, str]:
    """(error name, cause) of a failed activity or sub-orchestration, from the text the
    Durable host gives the orchestrator."""
    fields = _decode_fields(text)
    if fields is not None:
        return fields["Error"], str(fields.get("Cause", ""))
    line = _WORKER_LINE.search(text)
    if line is not None:
        return line.group(1).rsplit(".", 1)[-1], line.group(2).strip()
    # Not raised through polyfn's wrapper (the worker failed to load it, say).
    return TASK_FAILED, text.strip()


# ----------------------------------------------------------------------------- activities


def activity_function(workflow: Workflow, task: str) -> Callable[[Any], Any]:
    """The callable registered as the activity of ``task``: JSON in, JSON out, and an error
    raised as a ``TaskFailure`` naming it."""
    app = workflow.app
    timeout = workflow.tasks[task].timeout or DEFAULT_TIMEOUT_SECONDS

    def run(data: Any) -> Any:  # the name the activity binding gives (input_name="data")
        # The activity binding gives no invocation id; the task gets a context of its own.
        ctx = Context("azure", task, uuid.uuid4().hex, deadline=time.time() + timeout)
        # The orchestrator sends the starter's trace beside the data (core.workflow_trace).
        data, trace = unwrap(data)
        try:
            result = app.handle_task(task, data, ctx, trace)
        except Exception as error:
            raise TaskFailure(type(error).__name__, str(error)) from error
        try:
            json.dumps(result, allow_nan=False)
        except (TypeError, ValueError) as error:
            # The data between states is JSON on every engine.
            raise TaskFailure(
                engine.RUNTIME_ERROR, f"task {task!r} returned a value that is not JSON: {error}"
            ) from None
        return result

    return run


# ----------------------------------------------------------------------------- orchestrators


def _now(context: Any) -> float:
    current: datetime = context.current_utc_datetime
    if current.tzinfo is None:  # the library parses the host's "...Z" times; be safe
        current = current.replace(tzinfo=UTC)
    return current.timestamp()


def _at(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


def _branch_graph(root: Graph, spec: list[list[Any]]) -> Graph:
    """The graph a branch spec names: [[state, index], ...] from the workflow's graph down."""
    graph = root
    for name, index in spec:
        state = graph.states[name]
        if isinstance(state, ParallelState):
            graph = state.branches[index]
        elif isinstance(state, MapState):
            graph = state.iterator
        else:
            raise ConfigError(f"state {name!r} has no branches")
    return graph


class _Walk:
    """Drives one execution (the workflow's, or a branch's) in an orchestrator."""

    def __init__(
        self, workflow: Workflow, context: Any, spec: list[list[Any]], trace: dict[str, str]
    ) -> None:
        self.workflow = workflow
        self.context = context
        self.spec = spec
        self.trace = trace  # the starter's, handed to every activity and branch
        self.graph = _branch_graph(workflow.graph, spec)
        self.children = 0

    def run(
        self, execution: engine.Execution, report: Callable[[engine.Execution], None]
    ) -> Generator[Any, Any, None]:
        graph, context = self.graph, self.context
        # After a timer fires the clock is at least its time: the replay reads the time of
        # the orchestration's own events, which may be earlier than the timer's.
        floor = 0.0
        while True:
            report(execution)
            now = max(_now(context), floor)
            action = engine.next_action(graph, execution, now)
            if isinstance(action, engine.Done):
                report(execution)
                return
            deadline = execution.deadline
            if isinstance(action, engine.Sleep):
                until = action.until if deadline is None else min(action.until, deadline)
                yield context.create_timer(_at(until))
                floor = until
                continue
            floor = 0.0
            if isinstance(action, engine.RunTask):
                yield from self._task(execution, action, now, deadline)
            else:
                yield from self._branches(execution, action)

    def _task(
        self,
        execution: engine.Execution,
        action: engine.RunTask,
        now: float,
        deadline: float | None,
    ) -> Generator[Any, Any, None]:
        graph, context = self.graph, self.context
        task_limit = None if action.timeout is None else now + action.timeout
        limits = [t for t in (task_limit, deadline) if t is not None]
        call = context.call_activity(action.task, wrap(action.data, self.trace))
        if not limits:
            try:
                result = yield call
            except Exception as failure:
                engine.task_failed(graph, execution, *decode_failure(str(failure)), _now(context))
                return
            engine.task_succeeded(graph, execution, result, _now(context))
            return
        limit = min(limits)
        timer = context.create_timer(_at(limit))
        winner = yield context.task_any([call, timer])
        if winner is timer:
            if task_limit is not None and task_limit <= limit:
                engine.task_failed(
                    graph,
                    execution,
                    TIMEOUT,
                    f"task {action.task!r} ran past its {action.timeout} s timeout",
                    max(_now(context), limit),
                )
            else:
                # The execution's own deadline: the engine ends it timed_out.
                engine.next_action(graph, execution, max(_now(context), limit))
            return
        timer.cancel()
        if isinstance(call.result, Exception):
            engine.task_failed(graph, execution, *decode_failure(str(call.result)), _now(context))
        else:
            engine.task_succeeded(graph, execution, call.result, _now(context))

    def _branches(
        self, execution: engine.Execution, action: engine.RunBranches
    ) -> Generator[Any, Any, None]:
        graph, context = self.graph, self.context
        state = graph.states[execution.state or ""]
        specs = []
        for index, (_, data) in enumerate(action.branches):
            position = index if isinstance(state, ParallelState) else 0
            specs.append(
                {"branch": [*self.spec, [state.name, position]], "data": data, "trace": self.trace}
            )
        size = action.max_concurrency or max(1, len(specs))
        deadline = execution.deadline
        # The execution's deadline races the branches as it races a task: a run past its
        # timeout ends timed_out even while branches still run.
        timer = None if deadline is None else context.create_timer(_at(deadline))
        outputs: list[Any] = [None] * len(specs)
        running: dict[int, Any] = {}  # branch index -> its sub-orchestration task
        started = 0
        while started < len(specs) or running:
            # A sliding window of ``size``: each finished branch lets the next one start,
            # rather than waiting for the slowest of a batch.
            while started < len(specs) and len(running) < size:
                self.children += 1
                running[started] = context.call_sub_orchestrator(
                    branch_orchestrator_name(self.workflow.name),
                    specs[started],
                    f"{context.instance_id}:{self.children}",
                )
                started += 1
            # A task that completed while an earlier task_any was waiting is not seen by the
            # next one (a task reports to the last compound it joined), so take it first.
            finished = [i for i, task in running.items() if task.is_completed]
            if not finished and not (timer is not None and timer.is_completed):
                watched = [*running.values(), *([timer] if timer is not None else [])]
                winner = yield context.task_any(watched)
                finished = [i for i, task in running.items() if task is winner]
            if not finished:
                assert deadline is not None
                engine.next_action(graph, execution, max(_now(context), deadline))
                return
            for index in finished:
                result = running.pop(index).result
                if isinstance(result, Exception):
                    if timer is not None:
                        timer.cancel()
                    engine.task_failed(
                        graph, execution, *decode_failure(str(result)), _now(context)
                    )
                    return
                outputs[index] = result
        if timer is not None:
            timer.cancel()
        engine.branches_done(graph, execution, outputs, _now(context))


def orchestrator(workflow: Workflow) -> Callable[[Any], Generator[Any, Any, Any]]:
    """The generator function of the workflow's orchestrator (input: the workflow's input)."""

    def orchestrate(context: Any) -> Generator[Any, Any, Any]:
        # DurableWorkflows.start sends the input with the starter's trace beside it.
        data, trace = unwrap(context.get_input())
        walk = _Walk(workflow, context, [], trace)
        execution = engine.start(
            walk.graph,
            data,
            id=context.instance_id,
            now=_now(context),
            timeout=workflow.timeout,
        )

        def report(current: engine.Execution) -> None:
            context.set_custom_status({"status": current.status, "path": list(current.path)})

        yield from walk.run(execution, report)
        if execution.status != engine.SUCCEEDED:
            raise ExecutionFailed(execution.status, execution.error or "", execution.cause or "")
        return execution.output

    return orchestrate


def branch_orchestrator(workflow: Workflow) -> Callable[[Any], Generator[Any, Any, Any]]:
    """The generator function of the orchestrator that runs one branch of a parallel or map
    state (input: ``{"branch": [[state, index], ...], "data": ..., "trace": {...}}``)."""

    def orchestrate(context: Any) -> Generator[Any, Any, Any]:
        given = context.get_input()
        walk = _Walk(workflow, context, given["branch"], carrier(given.get("trace")))
        execution = engine.start(
            walk.graph, given["data"], id=context.instance_id, now=_now(context)
        )
        yield from walk.run(execution, lambda _: None)
        if execution.status != engine.SUCCEEDED:
            raise ExecutionFailed(execution.status, execution.error or "", execution.cause or "")
        return execution.output

    return orchestrate


# ----------------------------------------------------------------------------- registration


def register_workflows(app: App, native: Any) -> None:
    """Register every workflow of ``app`` on the FunctionApp ``native``: its orchestrator,
    its branch orchestrator and one activity per task (a Durable Functions ``Blueprint``,
    as the Python v2 programming model registers durable functions)."""
    if not app.workflows:
        return
    import azure.durable_functions as df

    blueprint = df.Blueprint()
    for workflow in app.workflows.values():
        names = [orchestrator_name(workflow.name), branch_orchestrator_name(workflow.name)]
        for name in names:
            if name in app.functions:
                raise ConfigError(
                    f"function {name!r} of the app has the name Azure gives workflow "
                    f"{workflow.name!r}'s orchestrator"
                )
        for name, make in zip(names, (orchestrator, branch_orchestrator), strict=True):
            generator = make(workflow)
            generator.__name__ = generator.__qualname__ = name
            blueprint.function_name(name=name)(
                blueprint.orchestration_trigger(context_name="context")(generator)
            )
        for task in workflow.tasks:
            # The worker binds every parameter by name: the activity takes ``data`` only.
            activity = activity_function(workflow, task)
            activity.__name__ = activity.__qualname__ = task
            blueprint.function_name(name=task)(
                blueprint.activity_trigger(input_name="data")(activity)
            )
    native.register_functions(blueprint)


# ----------------------------------------------------------------------------- the starting side


def summary_from_status(
    instance_id: str, runtime_status: str, output: Any, custom_status: Any
) -> dict[str, Any]:
    """The execution summary every engine gives (``Execution.summary``), from what the
    Durable host says of the orchestration."""
    progress = custom_status if isinstance(custom_status, dict) else {}
    path = list(progress.get("path") or [])
    summary: dict[str, Any] = {"id": instance_id, "path": path}
    if runtime_status == "Completed":
        summary.update(status=engine.SUCCEEDED, output=output)
    elif runtime_status in ("Failed", "Terminated"):
        text = output if isinstance(output, str) else json.dumps(output)
        fields = _decode_fields(text) or {}
        error, cause = (
            (fields["Error"], str(fields.get("Cause", "")))
            if fields
            else (TASK_FAILED if runtime_status == "Failed" else "Terminated", text)
        )
        status = fields.get("status", engine.FAILED)
        summary.update(status=status, error=error, cause=cause)
    else:  # Pending, Running, ContinuedAsNew, Suspended
        summary["status"] = engine.RUNNING
    return summary


class DurableWorkflows:
    """The workflow backend on Azure: starts and describes executions with the Durable
    client (``DurableOrchestrationClient``).

    The client is made from the durable client binding of the invocation running now
    (``function_app`` gives every function of an App with workflows that binding, see
    ``with_durable_client``), or is the one given.

    Idempotent names as in Step Functions: the execution name is the instance id; a name
    already used with the same input gives that execution, with other input an error.
    """

    def __init__(self, client: Any = None) -> None:
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is not None:
            return self._client
        binding = _invocation_client.get()
        if binding is None:
            raise ConfigError(
                "starting or reading a workflow on Azure needs the Durable client binding: "
                "call it from a function of the app that azure.function_app registered"
            )
        from azure.durable_functions import DurableOrchestrationClient

        return DurableOrchestrationClient(binding)

    def start(
        self,
        workflow: Workflow,
        input: Any,
        name: str | None,
        trace: Mapping[str, str] | None = None,
    ) -> WorkflowExecution:
        # The starter's trace rides in the orchestration's input beside the user's
        # (core.workflow_trace): the orchestrator takes it apart and hands it to every
        # activity and branch. Durable's own distributed tracing (host.json, which deploy
        # turns on) also links the orchestration to the client's W3C trace.
        return _wait(self._start(self.client, workflow, input, name, trace))

    def describe(self, workflow: Workflow, execution_id: str) -> WorkflowExecution:
        return _wait(self._describe(self.client, execution_id))

    async def _start(
        self,
        client: Any,
        workflow: Workflow,
        input: Any,
        name: str | None,
        trace: Mapping[str, str] | None = None,
    ) -> WorkflowExecution:
        if name is not None:
            existing = await client.get_status(name, show_input=True)
            if existing is not None and existing.runtime_status is not None:
                # Each start carries its own starter's span: the name and the user's
                # input decide whether it is the same execution.
                if _canonical(_user_input(existing.input_)) != _canonical(input):
                    raise ExecutionExists(
                        f"an execution named {name!r} of workflow {workflow.name!r} "
                        "already exists with different input"
                    )
                return _handle(_summary(name, existing))
        instance_id = await client.start_new(
            orchestrator_name(workflow.name), name, wrap(input, trace)
        )
        return WorkflowExecution(instance_id, engine.RUNNING)

    async def _describe(self, client: Any, execution_id: str) -> WorkflowExecution:
        status = await client.get_status(execution_id)
        if status is None or status.runtime_status is None:  # the host answered 404
            raise UnknownExecution(f"no execution {execution_id!r}")
        return _handle(_summary(execution_id, status))


# The durable client binding's JSON of the invocation running in this context.
_invocation_client: ContextVar[str | None] = ContextVar("polyfn_durable_client", default=None)

# The parameter the durableClient input binding fills (a JSON string, as the worker passes it).
CLIENT_ARG = "polyfn_durable_client"


def with_durable_client(handler: Callable[..., Any]) -> Callable[..., Any]:
    """``handler`` with one more parameter, ``polyfn_durable_client``, for a durableClient
    input binding; while the handler runs, ``DurableWorkflows`` makes its client from it.

    The worker passes bindings by parameter name and checks each annotation, so the wrapper
    states its signature (the handler's plus the binding's, annotated ``str`` as the
    library's own ``durable_client_input`` does)."""
    import inspect

    def invoke(*args: Any, **kwargs: Any) -> Any:
        token = _invocation_client.set(kwargs.pop(CLIENT_ARG, None))
        try:
            return handler(*args, **kwargs)
        finally:
            _invocation_client.reset(token)

    signature = inspect.signature(handler)
    extra = inspect.Parameter(CLIENT_ARG, inspect.Parameter.KEYWORD_ONLY, annotation=str)
    invoke.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[*signature.parameters.values(), extra]
    )
    invoke.__annotations__ = {**handler.__annotations__, CLIENT_ARG: str}
    invoke.__name__ = invoke.__qualname__ = handler.__name__
    return invoke


_loop: Any = None
_loop_lock = threading.Lock()


def _wait(coroutine: Coroutine[Any, Any, _T]) -> _T:
    """Run one of the client's coroutines from synchronous code (a handler).

    The client keeps one aiohttp session for the process, tied to the event loop it was
    made in; so every call runs on one loop of its own, in a daemon thread, which also
    works when the caller's thread already runs a loop (an async handler)."""
    global _loop
    with _loop_lock:
        if _loop is None:
            import asyncio

            _loop = asyncio.new_event_loop()
            threading.Thread(target=_loop.run_forever, name="durable-client", daemon=True).start()
    import asyncio

    return asyncio.run_coroutine_threadsafe(coroutine, _loop).result()


def close_client() -> None:
    """Close the Durable client's shared HTTP session (at the end of a process or a test)."""
    from azure.durable_functions.models.utils.http_utils import _close_session

    _wait(_close_session())


def _summary(instance_id: str, status: Any) -> dict[str, Any]:
    runtime = getattr(status.runtime_status, "value", status.runtime_status)
    return summary_from_status(instance_id, str(runtime), status.output, status.custom_status)


def _user_input(value: Any) -> Any:
    """The user's part of an orchestration's input (the host may hand it back as text)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return value
    return unwrap(value)[0]


def _canonical(value: Any) -> str:
    if isinstance(value, str):  # the host may hand the input back as its JSON text
        try:
            value = json.loads(value)
        except ValueError:
            pass
    return canonical_input(value)


def _handle(summary: dict[str, Any]) -> WorkflowExecution:
    return WorkflowExecution(summary["id"], summary["status"], summary)
