"""The words a workflow is written in: tasks with retries and catches, choices, waits,
parallel branches, maps, and the two ends (succeed, fail).

Each word has a counterpart on every engine polyfn compiles to (Step Functions' States
Language, Durable Functions, Cloud Workflows, the local executor), which is why the
vocabulary is this small: a construct one engine cannot express would make the workflow
unportable. Errors are matched by name, the way Step Functions matches ``ErrorEquals``: the
exception's class name, or one of the three catch-alls below.
"""

from __future__ import annotations

from polyfn.core.errors import ConfigError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (cheap_typing.py)
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from typing import Any, TypeAlias

    Step: TypeAlias = "TaskStep | Choice | Wait | Parallel | Map | Succeed | Fail"
    Steps: TypeAlias = "Step | Sequence[Step]"

__all__ = [
    "ALL_ERRORS",
    "TASK_FAILED",
    "TIMEOUT",
    "All",
    "AnyOf",
    "Catch",
    "Choice",
    "Condition",
    "Fail",
    "Map",
    "Not",
    "Parallel",
    "Retry",
    "Succeed",
    "TaskStep",
    "Wait",
    "When",
    "WorkflowDefinitionError",
    "error_matches",
]

# The catch-all names, spelled as Step Functions spells them so a team reading the
# generated ASL recognises them. ALL matches every error; TASK_FAILED every error but a
# timeout; TIMEOUT a task or execution that ran past its limit.
ALL_ERRORS = "States.ALL"
TASK_FAILED = "States.TaskFailed"
TIMEOUT = "States.Timeout"


class WorkflowDefinitionError(ConfigError):
    """A workflow that cannot be built or run as written (raised when it is declared)."""


def error_matches(names: Iterable[str], error: str) -> bool:
    """Whether an error of this name is one of ``names`` (catch-alls included)."""
    for name in names:
        if name in (error, ALL_ERRORS):
            return True
        if name == TASK_FAILED and error != TIMEOUT:
            return True
    return False


def _error_names(on: str | Iterable[str] | type[BaseException]) -> tuple[str, ...]:
    items: Iterable[Any] = [on] if isinstance(on, str | type) else on
    names = tuple(item.__name__ if isinstance(item, type) else item for item in items)
    if not names or not all(isinstance(n, str) and n for n in names):
        raise WorkflowDefinitionError(f"error names must be non-empty strings, got {on!r}")
    if ALL_ERRORS in names and len(names) > 1:
        # Step Functions refuses States.ALL beside other names; so do we, everywhere.
        raise WorkflowDefinitionError(f"{ALL_ERRORS} must be the only error name it is given")
    return names


class Retry:
    """Run a failed task again: ``attempts`` more times at most, waiting ``interval`` seconds,
    then ``interval * backoff``, ``interval * backoff**2``..., never more than ``max_delay``.

    ``jitter=True`` waits a random time between 0 and that delay (Step Functions' FULL
    jitter), which spreads retries of many executions failing together.
    """

    __slots__ = ("attempts", "backoff", "interval", "jitter", "max_delay", "on")

    def __init__(
        self,
        on: str | Iterable[str] | type[BaseException] = ALL_ERRORS,
        *,
        attempts: int = 3,
        interval: float = 1.0,
        backoff: float = 2.0,
        max_delay: float | None = None,
        jitter: bool = False,
    ) -> None:
        self.on = _error_names(on)
        if not isinstance(attempts, int) or isinstance(attempts, bool) or attempts < 0:
            raise WorkflowDefinitionError(f"attempts must be a whole number >= 0, got {attempts!r}")
        if not _positive(interval):
            raise WorkflowDefinitionError(f"interval must be a number > 0, got {interval!r}")
        if not _number(backoff) or backoff < 1:
            raise WorkflowDefinitionError(f"backoff must be a number >= 1, got {backoff!r}")
        if max_delay is not None and not _positive(max_delay):
            raise WorkflowDefinitionError(f"max_delay must be a number > 0, got {max_delay!r}")
        self.attempts = attempts
        self.interval = float(interval)
        self.backoff = float(backoff)
        self.max_delay = None if max_delay is None else float(max_delay)
        self.jitter = jitter

    def delay(self, retries_done: int) -> float:
        """Seconds to wait before retry number ``retries_done + 1`` (jitter not applied)."""
        delay = self.interval * self.backoff**retries_done
        return delay if self.max_delay is None else min(delay, self.max_delay)

    def __repr__(self) -> str:
        return f"Retry(on={list(self.on)!r}, attempts={self.attempts})"


class Catch:
    """On an error named in ``on``, go to ``then``, with the error put in the data.

    The data the next step gets is the failed step's input with ``{"Error": name, "Cause":
    text}`` at ``result_path`` (a top-level key; the shape Step Functions writes), so a
    handler of the failure still sees the order it was working on. The Cause text is the
    engine's own (the exception's message locally, Lambda's error document on AWS).
    """

    __slots__ = ("on", "result_path", "then")

    def __init__(
        self,
        on: str | Iterable[str] | type[BaseException],
        then: Steps,
        *,
        result_path: str = "error",
    ) -> None:
        self.on = _error_names(on)
        self.then = as_steps(then)
        if not then:
            raise WorkflowDefinitionError("a catch needs at least one step to go to")
        self.result_path = _key(result_path, "result_path")


class TaskStep:
    """A task of the workflow in a flow, with the retries and catches given to it there.

    ``catch`` and ``retry`` return a new step, so one task can appear in two flows with
    different handling. Calling the step calls the task function (for unit tests).
    """

    __slots__ = ("catches", "name", "result_path", "retries", "task_function", "timeout")

    def __init__(
        self,
        name: str,
        task_function: Callable[..., Any],
        *,
        retries: tuple[Retry, ...] = (),
        catches: tuple[Catch, ...] = (),
        timeout: int | None = None,
        result_path: str | None = None,
    ) -> None:
        self.name = name
        self.task_function = task_function
        self.retries = retries
        self.catches = catches
        self.timeout = timeout
        self.result_path = result_path

    def _with(self, **changes: Any) -> TaskStep:
        fields = {
            "retries": self.retries,
            "catches": self.catches,
            "timeout": self.timeout,
            "result_path": self.result_path,
            **changes,
        }
        return TaskStep(self.name, self.task_function, **fields)

    def catch(
        self,
        on: str | Iterable[str] | type[BaseException],
        then: Steps,
        *,
        result_path: str = "error",
    ) -> TaskStep:
        """This task, going to ``then`` when it fails with an error named in ``on``."""
        return self._with(catches=(*self.catches, Catch(on, then, result_path=result_path)))

    def retry(
        self, on: str | Iterable[str] | type[BaseException] = ALL_ERRORS, **options: Any
    ) -> TaskStep:
        """This task, retried on ``on`` (see ``Retry`` for the options)."""
        return self._with(retries=(*self.retries, Retry(on, **options)))

    def into(self, result_path: str) -> TaskStep:
        """This task, its result stored under ``result_path`` of its input instead of
        replacing it (Step Functions' ``ResultPath: $.key``)."""
        return self._with(result_path=_key(result_path, "result_path"))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.task_function(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<task {self.name}>"


# ---------------------------------------------------------------------- conditions


class Condition:
    """A test on the data, for ``Choice``."""

    def holds(self, data: Any) -> bool:
        raise NotImplementedError


_MISSING = object()
COMPARISONS = ("equals", "greater", "greater_or_equal", "less", "less_or_equal")


def value_at(data: Any, path: str) -> Any:
    """The value at a dotted path (``"order.total"``), or a sentinel when absent."""
    value = data
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return _MISSING
        value = value[part]
    return value


class When(Condition):
    """Compare the value at ``path`` (dotted) with one operand, or test that it is present.

    ``When("status", equals="paid")``, ``When("total", greater=100)``,
    ``When("coupon", present=True)``. Comparisons need the same kind of value on both
    sides (numbers with numbers, strings with strings), as Step Functions' do; a missing or
    mismatched value does not satisfy them.
    """

    __slots__ = ("operand", "operator", "path")

    def __init__(self, path: str, **comparison: Any) -> None:
        if len(comparison) != 1:
            raise WorkflowDefinitionError(
                f"When({path!r}) takes exactly one comparison of "
                f"{', '.join((*COMPARISONS, 'present'))}"
            )
        [(operator, operand)] = comparison.items()
        if operator not in (*COMPARISONS, "present"):
            raise WorkflowDefinitionError(f"unknown comparison {operator!r} in When({path!r})")
        if operator == "present":
            if not isinstance(operand, bool):
                raise WorkflowDefinitionError("present= takes True or False")
        elif operator == "equals":
            if not isinstance(operand, str | int | float | bool):
                raise WorkflowDefinitionError(
                    f"equals= takes a string, number or boolean, got {operand!r}"
                )
        elif isinstance(operand, bool) or not isinstance(operand, str | int | float):
            raise WorkflowDefinitionError(
                f"{operator}= takes a string or a number, got {operand!r}"
            )
        if not path or any(not part for part in path.split(".")):
            raise WorkflowDefinitionError(f"a data path is dotted keys, got {path!r}")
        self.path = path
        self.operator = operator
        self.operand = operand

    def holds(self, data: Any) -> bool:
        value = value_at(data, self.path)
        if self.operator == "present":
            return (value is not _MISSING) is self.operand
        if value is _MISSING or not _same_kind(value, self.operand):
            return False
        if self.operator == "equals":
            return bool(value == self.operand)
        if self.operator == "greater":
            return bool(value > self.operand)
        if self.operator == "greater_or_equal":
            return bool(value >= self.operand)
        if self.operator == "less":
            return bool(value < self.operand)
        return bool(value <= self.operand)

    def __repr__(self) -> str:
        return f"When({self.path!r}, {self.operator}={self.operand!r})"


def _same_kind(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool)
    if isinstance(a, str) or isinstance(b, str):
        return isinstance(a, str) and isinstance(b, str)
    return isinstance(a, int | float) and isinstance(b, int | float)


class All(Condition):
    """Every condition holds."""

    __slots__ = ("conditions",)

    def __init__(self, *conditions: Condition) -> None:
        self.conditions = _conditions(conditions, "All")

    def holds(self, data: Any) -> bool:
        return all(c.holds(data) for c in self.conditions)


class AnyOf(Condition):
    """At least one condition holds."""

    __slots__ = ("conditions",)

    def __init__(self, *conditions: Condition) -> None:
        self.conditions = _conditions(conditions, "AnyOf")

    def holds(self, data: Any) -> bool:
        return any(c.holds(data) for c in self.conditions)


class Not(Condition):
    """The condition does not hold."""

    __slots__ = ("condition",)

    def __init__(self, condition: Condition) -> None:
        [self.condition] = _conditions((condition,), "Not")

    def holds(self, data: Any) -> bool:
        return not self.condition.holds(data)


def _conditions(conditions: tuple[Any, ...], label: str) -> tuple[Condition, ...]:
    if not conditions or not all(isinstance(c, Condition) for c in conditions):
        raise WorkflowDefinitionError(f"{label}() takes conditions (When, All, AnyOf, Not)")
    return conditions


# ---------------------------------------------------------------------- other steps


class Choice:
    """Go down the first branch whose condition holds, else ``otherwise``.

    ``Choice((When("total", greater=100), [review]), otherwise=[approve], name="Size")``.
    A branch that does not end the run continues with the step after the choice.
    """

    __slots__ = ("branches", "name", "otherwise")

    def __init__(
        self,
        *branches: tuple[Condition, Steps],
        otherwise: Steps | None = None,
        name: str | None = None,
    ) -> None:
        if not branches:
            raise WorkflowDefinitionError("Choice needs at least one (condition, steps) branch")
        checked: list[tuple[Condition, tuple[Step, ...]]] = []
        for branch in branches:
            if not (isinstance(branch, tuple) and len(branch) == 2):
                raise WorkflowDefinitionError("each Choice branch is a (condition, steps) pair")
            condition, steps = branch
            [condition] = _conditions((condition,), "Choice")
            checked.append((condition, as_steps(steps)))
        self.branches = tuple(checked)
        self.otherwise = None if otherwise is None else as_steps(otherwise)
        self.name = name


class Wait:
    """Pause for ``seconds``, or until the ISO 8601 UTC time found at ``until_path``."""

    __slots__ = ("name", "seconds", "until_path")

    def __init__(
        self, seconds: int | None = None, *, until_path: str | None = None, name: str | None = None
    ) -> None:
        if (seconds is None) == (until_path is None):
            raise WorkflowDefinitionError("Wait takes seconds or until_path, exactly one")
        if seconds is not None and (
            not isinstance(seconds, int) or isinstance(seconds, bool) or seconds < 0
        ):
            # Whole seconds: Step Functions' Seconds and Durable timers agree on that.
            raise WorkflowDefinitionError(
                f"Wait seconds must be a whole number >= 0, got {seconds!r}"
            )
        self.seconds = seconds
        self.until_path = None if until_path is None else _path(until_path)
        self.name = name


class Parallel:
    """Run branches at once; the result is the list of their outputs, in branch order."""

    __slots__ = ("branches", "catches", "name")

    def __init__(self, *branches: Steps, name: str | None = None) -> None:
        if len(branches) < 1:
            raise WorkflowDefinitionError("Parallel needs at least one branch")
        self.branches = tuple(as_steps(b) for b in branches)
        self.name = name
        self.catches: tuple[Catch, ...] = ()

    def catch(
        self, on: str | Iterable[str], then: Steps, *, result_path: str = "error"
    ) -> Parallel:
        self.catches = (*self.catches, Catch(on, then, result_path=result_path))
        return self


class Map:
    """Run ``steps`` once per item of the list at ``items_path``, at most
    ``max_concurrency`` at a time (0: no limit); the result is the list of outputs."""

    __slots__ = ("catches", "items_path", "max_concurrency", "name", "steps")

    def __init__(
        self, items_path: str, steps: Steps, *, max_concurrency: int = 0, name: str | None = None
    ) -> None:
        if not isinstance(max_concurrency, int) or max_concurrency < 0:
            raise WorkflowDefinitionError(
                f"max_concurrency must be a whole number >= 0, got {max_concurrency!r}"
            )
        self.items_path = _path(items_path)
        self.steps = as_steps(steps)
        self.max_concurrency = max_concurrency
        self.name = name
        self.catches: tuple[Catch, ...] = ()

    def catch(self, on: str | Iterable[str], then: Steps, *, result_path: str = "error") -> Map:
        self.catches = (*self.catches, Catch(on, then, result_path=result_path))
        return self


class Succeed:
    """End the run successfully with the current data."""

    __slots__ = ("name",)

    def __init__(self, name: str | None = None) -> None:
        self.name = name


class Fail:
    """End the run as failed with this error name and cause."""

    __slots__ = ("cause", "error", "name")

    def __init__(self, error: str, cause: str = "", *, name: str | None = None) -> None:
        if not isinstance(error, str) or not error:
            raise WorkflowDefinitionError("Fail needs an error name")
        self.error = error
        self.cause = cause
        self.name = name


STEP_TYPES = (TaskStep, Choice, Wait, Parallel, Map, Succeed, Fail)


def as_steps(steps: Any) -> tuple[Step, ...]:
    """A single step or a sequence of steps, as a tuple (checked)."""
    items = tuple(steps) if isinstance(steps, list | tuple) else (steps,)
    for item in items:
        if not isinstance(item, STEP_TYPES):
            raise WorkflowDefinitionError(
                f"{item!r} is not a workflow step: use a task of the workflow "
                "(declared with @workflow.task), Choice, Wait, Parallel, Map, Succeed or Fail"
            )
    return items


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value == value


def _positive(value: Any) -> bool:
    return _number(value) and 0 < value < float("inf")


def _key(value: Any, label: str) -> str:
    if not isinstance(value, str) or not value or "." in value:
        raise WorkflowDefinitionError(f"{label} must be a top-level key of the data, got {value!r}")
    return value


def _path(value: Any) -> str:
    if not isinstance(value, str) or not value or any(not p for p in value.split(".")):
        raise WorkflowDefinitionError(f"a data path is dotted keys, got {value!r}")
    return value
