"""Error names a workflow's catches and retries wait for that nothing in it raises.

Every engine matches errors by the exception's class name (as Step Functions matches
``ErrorEquals``), so ``catch("OutOfStok", ...)`` or a catch on a base class whose
subclasses are what the tasks raise never matches: the run fails where the author meant to
route it. ``polyfn deploy build`` and ``polyfn plan`` therefore read each task's source
(``ast``, nothing executed) for the exception classes it raises and warn about every
name a catch or retry lists that no task of the workflow raises.

What counts as raised:

- ``raise Name(...)``, ``raise Name`` and ``raise module.Name(...)`` in the task's body
  (nested functions included), named by the class the name resolves to through the task's
  globals and closure (an alias import keeps the class's own name), else as written;
- a bare ``raise`` in an ``except Name:`` block re-raises ``Name``;
- the same in the helpers the task calls: a call of a plain function of the user's own
  code (the task's file, or any file under the app's source root outside virtualenvs),
  reached by name or ``module.name`` through the task's globals and closure, is followed,
  to any depth. Methods, callables passed around and library code are not followed;
- the error name of each ``Fail`` state of the workflow.

Never warned about: the ``States.*`` names (the engines' own errors) and Python's built-in
exception names (``KeyError``, ``ValueError``...), which any code can raise without a
``raise`` statement. A ``raise`` of a variable tells nothing and is skipped, so a task that
raises through one can still draw a warning: it is a warning, not an error.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import textwrap
import types
from pathlib import Path
from typing import Any

from polyfn.core.app import App
from polyfn.core.errors import ConfigError
from polyfn.core.workflow import Workflow
from polyfn.core.workflow_graph import (
    CatchRoute,
    FailState,
    Graph,
    MapState,
    ParallelState,
    TaskState,
)

__all__ = ["raised_names", "unraisable_error_warnings"]

_ENGINE_PREFIX = "States."
_BUILTIN_ERRORS = frozenset(
    name
    for name, value in vars(builtins).items()
    if isinstance(value, type) and issubclass(value, BaseException)
)
_LIBRARY_DIRS = frozenset({"site-packages", "dist-packages", ".venv", "venv", "node_modules"})


def unraisable_error_warnings(app: App, source_root: Path | None = None) -> list[str]:
    """One sentence per (workflow, state, kind, name) a catch or retry waits for in vain."""
    warnings: list[str] = []
    for workflow in app.workflows.values():
        try:
            graph = workflow.graph
        except ConfigError:  # declared without a flow: its own error says so elsewhere
            continue
        raised = _raised_in_workflow(workflow, graph, source_root)
        for state, kind, names in _handlers(graph):
            for name in names:
                if name.startswith(_ENGINE_PREFIX) or name in _BUILTIN_ERRORS or name in raised:
                    continue
                warnings.append(
                    f"workflow {workflow.name!r}, state {state!r}: the {kind} on {name!r} "
                    f"never matches: no task of the workflow raises {name!r} (errors match "
                    "by the exception's class name)"
                )
    return warnings


def raised_names(function: Any, source_root: Path | None = None) -> set[str]:
    """The exception class names ``function`` (and the helpers it calls) raise."""
    scanner = _Scanner(source_root)
    scanner.follow(function)
    return scanner.raised


# ----------------------------------------------------------------------------- the graph


def _raised_in_workflow(workflow: Workflow, graph: Graph, source_root: Path | None) -> set[str]:
    scanner = _Scanner(source_root)
    for step in workflow.tasks.values():
        scanner.follow(step.task_function)
    scanner.raised.update(state.error for state in _states(graph) if isinstance(state, FailState))
    return scanner.raised


def _states(graph: Graph) -> list[Any]:
    found: list[Any] = []
    for state in graph.states.values():
        found.append(state)
        if isinstance(state, ParallelState):
            for branch in state.branches:
                found += _states(branch)
        elif isinstance(state, MapState):
            found += _states(state.iterator)
    return found


def _handlers(graph: Graph) -> list[tuple[str, str, tuple[str, ...]]]:
    """(state, "catch" or "retry", error names) for every handler of the graph."""
    found: list[tuple[str, str, tuple[str, ...]]] = []
    for state in _states(graph):
        catches: tuple[CatchRoute, ...] = getattr(state, "catches", ())
        found += [(state.name, "catch", route.on) for route in catches]
        if isinstance(state, TaskState):
            found += [(state.name, "retry", retry.on) for retry in state.retries]
    return found


# ----------------------------------------------------------------------------- the source


class _Scanner:
    def __init__(self, source_root: Path | None) -> None:
        self.source_root = source_root.resolve() if source_root is not None else None
        self.raised: set[str] = set()
        self._seen: set[types.CodeType] = set()
        self._first_file: str | None = None

    def follow(self, target: Any) -> None:
        function = inspect.unwrap(target) if callable(target) else target
        if not isinstance(function, types.FunctionType) or function.__code__ in self._seen:
            return
        filename = function.__code__.co_filename
        if self._first_file is None:
            self._first_file = filename
        elif not self._is_user_code(filename):
            return
        self._seen.add(function.__code__)
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
        except (OSError, TypeError, SyntaxError):
            return  # no source to read: nothing known, nothing warned about from it
        namespace = _namespace(function)
        for node in ast.walk(tree):
            if isinstance(node, ast.Raise) and node.exc is not None:
                name = _class_name(node.exc, namespace)
                if name is not None:
                    self.raised.add(name)
            elif isinstance(node, ast.ExceptHandler) and node.type is not None:
                if any(isinstance(n, ast.Raise) and n.exc is None for n in ast.walk(node)):
                    caught = node.type.elts if isinstance(node.type, ast.Tuple) else [node.type]
                    for expr in caught:
                        name = _class_name(expr, namespace)
                        if name is not None:
                            self.raised.add(name)
            elif isinstance(node, ast.Call):
                callee = _resolve(node.func, namespace)
                if isinstance(callee, types.FunctionType):
                    self.follow(callee)

    def _is_user_code(self, filename: str) -> bool:
        if self.source_root is None:
            return filename == self._first_file
        try:
            relative = Path(filename).resolve().relative_to(self.source_root)
        except (ValueError, OSError):
            return False
        return not any(part in _LIBRARY_DIRS for part in relative.parts)


def _namespace(function: types.FunctionType) -> dict[str, Any]:
    names = dict(function.__globals__)
    for name, cell in zip(function.__code__.co_freevars, function.__closure__ or (), strict=False):
        try:
            names[name] = cell.cell_contents
        except ValueError:  # an empty cell
            continue
    return names


def _resolve(expr: ast.expr, namespace: dict[str, Any]) -> Any:
    """The value ``name`` or ``name.attr...`` refers to, read without running anything."""
    attrs: list[str] = []
    while isinstance(expr, ast.Attribute):
        attrs.append(expr.attr)
        expr = expr.value
    if not isinstance(expr, ast.Name) or expr.id not in namespace:
        return None
    value = namespace[expr.id]
    for attr in reversed(attrs):
        if not isinstance(value, types.ModuleType | type):
            return None
        try:
            value = inspect.getattr_static(value, attr)
        except AttributeError:
            return None
    return value


def _class_name(expr: ast.expr, namespace: dict[str, Any]) -> str | None:
    """The exception class name ``raise expr`` raises, or None when the source cannot tell."""
    if isinstance(expr, ast.Call):
        expr = expr.func
    value = _resolve(expr, namespace)
    if isinstance(value, type) and issubclass(value, BaseException):
        return value.__name__
    if value is not None:
        return None  # a variable holding an instance, or something else: unknown
    # Not resolvable (a local class, a name bound at run time): as written, if it looks
    # like a class.
    if isinstance(expr, ast.Attribute):
        return expr.attr if expr.attr[:1].isupper() else None
    if isinstance(expr, ast.Name):
        return expr.id if expr.id[:1].isupper() else None
    return None
