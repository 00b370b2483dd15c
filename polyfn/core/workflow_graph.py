"""A workflow's flow, compiled to named states with explicit transitions.

This is the one form every engine starts from: the local executor walks it, and deploy
writes it out as States Language, a Durable Functions orchestrator or Cloud Workflows
YAML. A sequence becomes states chained by ``next``; a choice branch that does not end
continues with the step after the choice; a catch's steps end the run when they finish;
``next=None`` means the run succeeds with the data it has.

Flows have no "go to", so a compiled graph has no cycle: every execution ends.
"""

from __future__ import annotations

from polyfn.core.workflow_steps import (
    Catch,
    Choice,
    Condition,
    Fail,
    Map,
    Parallel,
    Retry,
    Succeed,
    TaskStep,
    Wait,
    WorkflowDefinitionError,
    as_steps,
)

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (cheap_typing.py)
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any, TypeAlias

    from polyfn.core.workflow_steps import Step

    State: TypeAlias = (
        "TaskState | ChoiceState | WaitState | ParallelState | MapState | SucceedState | FailState"
    )

__all__ = [
    "CatchRoute",
    "ChoiceState",
    "FailState",
    "Graph",
    "MapState",
    "ParallelState",
    "SucceedState",
    "TaskState",
    "WaitState",
    "compile_flow",
]


class CatchRoute:
    """Where a caught error goes, and the key of the data it is put under."""

    __slots__ = ("next", "on", "result_path")

    def __init__(self, on: tuple[str, ...], next: str, result_path: str) -> None:
        self.on = on
        self.next = next
        self.result_path = result_path


class TaskState:
    kind = "task"
    __slots__ = ("catches", "name", "next", "result_path", "retries", "task", "timeout")

    def __init__(
        self,
        name: str,
        task: str,
        next: str | None,
        retries: tuple[Retry, ...],
        catches: tuple[CatchRoute, ...],
        timeout: int | None,
        result_path: str | None,
    ) -> None:
        self.name = name
        self.task = task  # the task function's name in the workflow
        self.next = next
        self.retries = retries
        self.catches = catches
        self.timeout = timeout
        self.result_path = result_path


class ChoiceState:
    kind = "choice"
    __slots__ = ("default", "name", "rules")

    def __init__(
        self, name: str, rules: tuple[tuple[Condition, str | None], ...], default: str | None
    ) -> None:
        self.name = name
        self.rules = rules  # (condition, next state or None = the run ends)
        self.default = default


class WaitState:
    kind = "wait"
    __slots__ = ("name", "next", "seconds", "until_path")

    def __init__(
        self, name: str, seconds: int | None, until_path: str | None, next: str | None
    ) -> None:
        self.name = name
        self.seconds = seconds
        self.until_path = until_path
        self.next = next


class ParallelState:
    kind = "parallel"
    __slots__ = ("branches", "catches", "name", "next")

    def __init__(
        self,
        name: str,
        branches: tuple[Graph, ...],
        next: str | None,
        catches: tuple[CatchRoute, ...],
    ) -> None:
        self.name = name
        self.branches = branches
        self.next = next
        self.catches = catches


class MapState:
    kind = "map"
    __slots__ = ("catches", "items_path", "iterator", "max_concurrency", "name", "next")

    def __init__(
        self,
        name: str,
        items_path: str,
        iterator: Graph,
        max_concurrency: int,
        next: str | None,
        catches: tuple[CatchRoute, ...],
    ) -> None:
        self.name = name
        self.items_path = items_path
        self.iterator = iterator
        self.max_concurrency = max_concurrency
        self.next = next
        self.catches = catches


class SucceedState:
    kind = "succeed"
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


class FailState:
    kind = "fail"
    __slots__ = ("cause", "error", "name")

    def __init__(self, name: str, error: str, cause: str) -> None:
        self.name = name
        self.error = error
        self.cause = cause


class Graph:
    """Named states and the one to start with. Branches of a parallel or map state are
    graphs of their own: their state names are unique within them, as in States Language."""

    __slots__ = ("start", "states")

    def __init__(self, start: str, states: dict[str, State]) -> None:
        self.start = start
        self.states = states

    def walk(self) -> Iterator[State]:
        """Every state, nested branches included, depth first."""
        for state in self.states.values():
            yield state
            if isinstance(state, ParallelState):
                for branch in state.branches:
                    yield from branch.walk()
            elif isinstance(state, MapState):
                yield from state.iterator.walk()


def compile_flow(steps: Any) -> Graph:
    """The graph of a flow (a step or a sequence of steps)."""
    return _Compiler().graph(as_steps(steps))


class _Compiler:
    def __init__(self) -> None:
        self.states: dict[str, State] = {}
        self.counters: dict[str, int] = {}

    def graph(self, steps: tuple[Step, ...]) -> Graph:
        if not steps:
            raise WorkflowDefinitionError("a flow needs at least one step")
        start = self.sequence(steps, None)
        if start is None:  # unreachable: a non-empty sequence always has a first state
            raise WorkflowDefinitionError("a flow needs at least one step")
        return Graph(start, self.states)

    def name(self, step: Step) -> str:
        if isinstance(step, TaskStep):
            base = step.name
        else:
            given = step.name
            if given is not None:
                if given in self.states or given in self.counters:
                    raise WorkflowDefinitionError(f"two steps are named {given!r}")
                self.counters[given] = 1
                return given
            base = type(step).__name__
        count = self.counters.get(base, 0) + 1
        self.counters[base] = count
        # The first use of a task is named after it; a second use gets a suffix.
        if isinstance(step, TaskStep) and count == 1:
            return base
        return f"{base}_{count}" if isinstance(step, TaskStep) else f"{base}{count}"

    def sequence(self, steps: tuple[Step, ...], after: str | None) -> str | None:
        """Compile ``steps`` so the last goes to ``after``; return the first state's name."""
        for index, step in enumerate(steps[:-1]):
            if isinstance(step, Succeed | Fail):
                raise WorkflowDefinitionError(
                    f"{steps[index + 1]!r} comes after a step that ends the run and would never run"
                )
        names = [self.name(step) for step in steps]
        for index, step in enumerate(steps):
            following = names[index + 1] if index + 1 < len(steps) else after
            self.states[names[index]] = self.state(names[index], step, following)
        return names[0] if names else after

    def branch(self, steps: tuple[Step, ...]) -> Graph:
        # Branches of parallel and map states are graphs with names of their own.
        return _Compiler().graph(steps)

    def catches(self, catches: tuple[Catch, ...]) -> tuple[CatchRoute, ...]:
        routes = []
        for catch in catches:
            target = self.sequence(catch.then, None)
            assert target is not None  # a catch has at least one step (checked in Catch)
            routes.append(CatchRoute(catch.on, target, catch.result_path))
        return tuple(routes)

    def state(self, name: str, step: Step, following: str | None) -> State:
        if isinstance(step, TaskStep):
            return TaskState(
                name,
                step.name,
                following,
                step.retries,
                self.catches(step.catches),
                step.timeout,
                step.result_path,
            )
        if isinstance(step, Choice):
            rules = tuple(
                (condition, self.sequence(steps, following)) for condition, steps in step.branches
            )
            default = (
                following if step.otherwise is None else self.sequence(step.otherwise, following)
            )
            return ChoiceState(name, rules, default)
        if isinstance(step, Wait):
            return WaitState(name, step.seconds, step.until_path, following)
        if isinstance(step, Parallel):
            branches = tuple(self.branch(b) for b in step.branches)
            return ParallelState(name, branches, following, self.catches(step.catches))
        if isinstance(step, Map):
            iterator = self.branch(step.steps)
            return MapState(
                name,
                step.items_path,
                iterator,
                step.max_concurrency,
                following,
                self.catches(step.catches),
            )
        if isinstance(step, Succeed):
            return SucceedState(name)
        return FailState(name, step.error, step.cause)
