"""What a workflow execution does next: the semantics every engine must reproduce.

The engine is a pure function of a compiled graph, an execution's saved state and the
clock. It never runs a task itself: it says what is needed (``RunTask``, ``Sleep``,
``RunBranches``) and is told how that went (``task_succeeded``, ``task_failed``,
``branches_done``). A durable executor saves the ``Execution`` after each of these calls,
so a process killed mid-run resumes from the last saved state and runs the current task
again (at least once, as Step Functions and Durable Functions do).

Semantics, as in Step Functions unless said otherwise:

- A task's result replaces the data, or is stored under its ``result_path`` key.
- A failed task is retried by the first retrier whose error names match, while that
  retrier has attempts left (each retrier counts its own attempts); then the first
  matching catch routes the run, with the error under the catch's key of the
  task's input (``{"Error": name, "Cause": text}``, as Step Functions writes it); otherwise
  the run fails with that error.
- A choice takes the first rule that holds; with none, its default (the step after it).
- A parallel or map state's result is the list of its branches' outputs; the first branch
  failure is the state's failure (retried and caught like a task's).
- The execution's own timeout ends it ``timed_out`` at the first transition after it.
"""

from __future__ import annotations

from polyfn.core.workflow_graph import (
    ChoiceState,
    FailState,
    MapState,
    ParallelState,
    SucceedState,
    TaskState,
    WaitState,
)
from polyfn.core.workflow_steps import TIMEOUT, error_matches, value_at

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (cheap_typing.py)
if TYPE_CHECKING:
    from typing import Any

    from polyfn.core.workflow_graph import CatchRoute, Graph, State

__all__ = [
    "RUNTIME_ERROR",
    "Done",
    "Execution",
    "RunBranches",
    "RunTask",
    "Sleep",
    "branches_done",
    "jitter_fraction",
    "next_action",
    "start",
    "task_failed",
    "task_succeeded",
]

# Step Functions' name for a run that cannot go on (a map over something not a list).
RUNTIME_ERROR = "States.Runtime"

RUNNING, SUCCEEDED, FAILED, TIMED_OUT = "running", "succeeded", "failed", "timed_out"


class Execution:
    """One run's saved state: everything an executor needs to resume it."""

    __slots__ = (
        "cause",
        "data",
        "deadline",
        "error",
        "id",
        "output",
        "path",
        "retries",
        "state",
        "status",
        "trace",
        "wake_at",
    )

    def __init__(
        self,
        id: str,
        state: str | None,
        data: Any,
        *,
        status: str = RUNNING,
        path: list[str] | None = None,
        retries: list[int] | None = None,
        wake_at: float | None = None,
        deadline: float | None = None,
        output: Any = None,
        error: str | None = None,
        cause: str | None = None,
        trace: dict[str, str] | None = None,
    ) -> None:
        self.id = id
        self.state = state
        self.data = data
        self.status = status
        self.path = path if path is not None else []
        self.retries = retries if retries is not None else []
        self.wake_at = wake_at
        self.deadline = deadline
        self.output = output
        self.error = error
        self.cause = cause
        # The starter's trace attributes (``TraceContext.outgoing``), which the
        # execution's tasks continue; None when started outside an invocation.
        self.trace = trace

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}

    @classmethod
    def from_dict(cls, saved: dict[str, Any]) -> Execution:
        fields = dict(saved)
        return cls(fields.pop("id"), fields.pop("state"), fields.pop("data"), **fields)

    def summary(self) -> dict[str, Any]:
        """What ``polyfn workflow start`` prints: status, output or error, and the path."""
        result: dict[str, Any] = {"id": self.id, "status": self.status, "path": list(self.path)}
        if self.status == SUCCEEDED:
            result["output"] = self.output
        elif self.status != RUNNING:
            result["error"] = self.error
            result["cause"] = self.cause
        return result


class RunTask:
    """Run the task function ``task`` on ``data``; a run past ``timeout`` seconds fails with
    ``States.Timeout``."""

    __slots__ = ("data", "task", "timeout")

    def __init__(self, task: str, data: Any, timeout: int | None) -> None:
        self.task = task
        self.data = data
        self.timeout = timeout


class Sleep:
    """Nothing to do before ``until`` (epoch seconds); then ask again."""

    __slots__ = ("until",)

    def __init__(self, until: float) -> None:
        self.until = until


class RunBranches:
    """Run each (graph, input) to its end, at most ``max_concurrency`` at once (0: all)."""

    __slots__ = ("branches", "max_concurrency")

    def __init__(self, branches: list[tuple[Graph, Any]], max_concurrency: int) -> None:
        self.branches = branches
        self.max_concurrency = max_concurrency


class Done:
    """The execution has ended; its status says how."""

    __slots__ = ()


def start(
    graph: Graph, input: Any, *, id: str, now: float, timeout: float | None = None
) -> Execution:
    execution = Execution(
        id, graph.start, input, deadline=None if timeout is None else now + timeout
    )
    _enter(graph, execution, graph.start, input, now)
    return execution


def next_action(
    graph: Graph, execution: Execution, now: float
) -> RunTask | Sleep | RunBranches | Done:
    if execution.status != RUNNING:
        return Done()
    if execution.deadline is not None and now >= execution.deadline:
        _end(execution, TIMED_OUT, error=TIMEOUT, cause="the execution ran past its timeout")
        return Done()
    if execution.wake_at is not None:
        if now < execution.wake_at:
            return Sleep(execution.wake_at)
        execution.wake_at = None
        state = _current(graph, execution)
        if isinstance(state, WaitState):
            _go(graph, execution, state.next, execution.data, now)
            return next_action(graph, execution, now)
    state = _current(graph, execution)
    if isinstance(state, TaskState):
        return RunTask(state.task, execution.data, state.timeout)
    if isinstance(state, ParallelState):
        return RunBranches([(branch, execution.data) for branch in state.branches], 0)
    if isinstance(state, MapState):
        items = value_at(execution.data, state.items_path)
        if not isinstance(items, list):
            task_failed(
                graph,
                execution,
                RUNTIME_ERROR,
                f"the map state {state.name!r} needs a list at {state.items_path!r}",
                now,
            )
            return next_action(graph, execution, now)
        return RunBranches([(state.iterator, item) for item in items], state.max_concurrency)
    raise AssertionError(f"state {state.name!r} should have been settled")  # pragma: no cover


def task_succeeded(graph: Graph, execution: Execution, result: Any, now: float) -> None:
    """The current task (or parallel/map state) returned ``result``."""
    state = _current(graph, execution)
    result_path = state.result_path if isinstance(state, TaskState) else None
    data = result if result_path is None else {**_as_object(execution.data), result_path: result}
    assert isinstance(state, TaskState | ParallelState | MapState)
    _go(graph, execution, state.next, data, now)


def branches_done(graph: Graph, execution: Execution, outputs: list[Any], now: float) -> None:
    """Every branch of the current parallel or map state succeeded, with these outputs."""
    task_succeeded(graph, execution, outputs, now)


def task_failed(graph: Graph, execution: Execution, error: str, cause: str, now: float) -> None:
    """The current task (or a branch of the current parallel/map state) failed."""
    state = _current(graph, execution)
    assert isinstance(state, TaskState | ParallelState | MapState)
    retries = state.retries if isinstance(state, TaskState) else ()
    for index, retrier in enumerate(retries):
        if not error_matches(retrier.on, error):
            continue
        # The first matching retrier decides, whether or not it has attempts left.
        done = execution.retries[index]
        if done < retrier.attempts:
            execution.retries[index] = done + 1
            delay = retrier.delay(done)
            if retrier.jitter:
                delay *= jitter_fraction(execution.id, execution.state, index, done)
            execution.wake_at = now + delay
            return
        break
    route = _matching_catch(state.catches, error)
    if route is None:
        _end(execution, FAILED, error=error, cause=cause)
        return
    # Step Functions' error output, keys and all, so a handler reads it the same everywhere
    # (the Cause text is each engine's own: on Lambda, the function's error document).
    data = {**_as_object(execution.data), route.result_path: {"Error": error, "Cause": cause}}
    _go(graph, execution, route.next, data, now)


def jitter_fraction(execution_id: str, state: str | None, retrier: int, retries_done: int) -> float:
    """The fraction in [0, 1) of a jittered retry's delay to wait (Step Functions' FULL jitter).

    Drawn from the execution, the state and the retry rather than from ``random``: many
    executions failing together still spread their retries (their ids differ), while one
    execution always computes the same delay, which a replaying engine (Durable Functions
    reruns the orchestrator from its history) needs to make the same timer again.
    """
    import hashlib  # only when a jittered retry happens: not on the cold-start path

    seed = f"{execution_id}\x00{state}\x00{retrier}\x00{retries_done}".encode()
    digest = hashlib.blake2b(seed, digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


# ---------------------------------------------------------------------- internals


def _current(graph: Graph, execution: Execution) -> State:
    assert execution.state is not None
    return graph.states[execution.state]


def _matching_catch(catches: tuple[CatchRoute, ...], error: str) -> CatchRoute | None:
    for route in catches:
        if error_matches(route.on, error):
            return route
    return None


def _as_object(data: Any) -> dict[str, Any]:
    # A result or an error stored under a key needs an object to go in; other data is
    # kept under "input" so nothing is lost.
    return data if isinstance(data, dict) else {"input": data}


def _go(graph: Graph, execution: Execution, next: str | None, data: Any, now: float) -> None:
    if next is None:
        _end(execution, SUCCEEDED, output=data)
        return
    _enter(graph, execution, next, data, now)


def _enter(graph: Graph, execution: Execution, name: str, data: Any, now: float) -> None:
    """Move to state ``name``; settle the states that need nothing from outside."""
    while True:
        state = graph.states[name]
        execution.state = name
        execution.data = data
        execution.path.append(name)
        execution.retries = [0] * len(state.retries) if isinstance(state, TaskState) else []
        execution.wake_at = None
        if isinstance(state, ChoiceState):
            target = state.default
            for condition, rule_next in state.rules:
                if condition.holds(data):
                    target = rule_next
                    break
            if target is None:
                _end(execution, SUCCEEDED, output=data)
                return
            name = target
            continue
        if isinstance(state, SucceedState):
            _end(execution, SUCCEEDED, output=data)
            return
        if isinstance(state, FailState):
            _end(execution, FAILED, error=state.error, cause=state.cause)
            return
        if isinstance(state, WaitState):
            wake_at = _wake_time(state, data, now)
            if wake_at is None:
                _end(
                    execution,
                    FAILED,
                    error=RUNTIME_ERROR,
                    cause=f"the wait state {name!r} needs an ISO 8601 time with a zone "
                    f"at {state.until_path!r}",
                )
                return
            execution.wake_at = wake_at
        return


def _wake_time(state: WaitState, data: Any, now: float) -> float | None:
    if state.seconds is not None:
        return now + state.seconds
    from datetime import datetime

    assert state.until_path is not None
    value = value_at(data, state.until_path)
    if not isinstance(value, str):
        return None
    try:
        until = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    # A time with no zone is ambiguous; Step Functions refuses it too.
    return None if until.tzinfo is None else until.timestamp()


def _end(
    execution: Execution,
    status: str,
    *,
    output: Any = None,
    error: str | None = None,
    cause: str | None = None,
) -> None:
    execution.status = status
    execution.output = output
    execution.error = error
    execution.cause = cause
    execution.wake_at = None
