"""``polyfn workflow start|show|list``: run a workflow locally, draw it, list its executions.

``start`` runs one execution to its end on the local executor (the app's SQLite file, as
``polyfn run`` uses it) and prints one JSON object: ``status`` (succeeded, failed or
timed_out), ``output`` or ``error`` and ``cause``, and ``path``, the states visited in order.
It exits 0 when the execution succeeded and 1 otherwise. ``show`` prints the compiled graph
as text or as a Mermaid flowchart; ``list`` the local executions, newest first.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from polyfn.cli.errors import UsageError

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    start = actions.add_parser("start", help="run an execution to its end and print it (JSON)")
    start.add_argument("app", help="the app: a .py file, a folder or module:attribute")
    start.add_argument("workflow", help="the workflow's name")
    start.add_argument("--input", default="{}", help="the execution's input, as JSON")
    start.add_argument("--name", help="the execution's name (idempotent: same name, same input)")
    start.add_argument(
        "--cloud",
        default="local",
        choices=["local"],
        help="where to run it: the local executor (the clouds run the deployed workflow)",
    )
    _data_dir(start)
    show = actions.add_parser("show", help="print the workflow's graph")
    show.add_argument("app")
    show.add_argument("workflow")
    show.add_argument("--format", choices=["text", "mermaid"], default="text")
    listing = actions.add_parser("list", help="list the local executions of the app's workflows")
    listing.add_argument("app")
    listing.add_argument("workflow", nargs="?", help="only this workflow's")
    _data_dir(listing)


def _data_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir", help="the local data folder (default: $POLYFN_DATA_DIR or ./.polyfn)"
    )


def run(args: argparse.Namespace) -> int:
    from polyfn.adapters.local.backends import DATA_DIR_VARIABLE

    if getattr(args, "data_dir", None):
        os.environ[DATA_DIR_VARIABLE] = str(Path(args.data_dir).resolve())
    app = _load(args.app)
    if args.action == "list":
        return _list(app, args.workflow)
    workflow = _workflow(app, args.workflow)
    if args.action == "show":
        print(render_mermaid(workflow) if args.format == "mermaid" else render_text(workflow))
        return 0
    return _start(app, workflow, args.input, args.name)


def _load(spec: str) -> Any:
    from polyfn.loading import AppNotFound, load_app

    try:
        return load_app(spec)
    except AppNotFound as exc:
        raise UsageError(str(exc)) from None


def _workflow(app: Any, name: str) -> Any:
    if name not in app.workflows:
        known = ", ".join(sorted(app.workflows)) or "none"
        raise UsageError(f"app {app.name} has no workflow {name!r} (its workflows: {known})")
    return app.workflows[name]


def _local_backend(app: Any, workflow: Any) -> Any:
    from polyfn.adapters.local.backends import LocalBackends

    app.bind(LocalBackends.from_env(app.name))
    backend = app.backend_for(workflow)
    backend.background = False  # run here, to the end, and print it
    return backend


def _start(app: Any, workflow: Any, raw_input: str, name: str | None) -> int:
    from polyfn.adapters.local.backends.workflows import ExecutionExists

    try:
        data = json.loads(raw_input)
    except ValueError as exc:
        raise UsageError(f"--input is not JSON: {exc}") from None
    backend = _local_backend(app, workflow)
    try:
        execution = workflow.start(data, name=name)
    except ExecutionExists as exc:
        raise UsageError(str(exc)) from None
    summary = backend.run(execution.id).summary()
    print(json.dumps(summary, indent=2))
    return 0 if summary["status"] == "succeeded" else 1


def _list(app: Any, only: str | None) -> int:
    names = [only] if only else sorted(app.workflows)
    rows: list[dict[str, Any]] = []
    for name in names:
        workflow = _workflow(app, name)
        executions = _local_backend(app, workflow).executions()
        rows.extend({"workflow": name, **execution} for execution in executions)
    if not rows:
        print("no executions", file=sys.stderr)
    for row in rows:
        print(json.dumps(row))
    return 0


# ---------------------------------------------------------------------- drawing


def render_text(workflow: Any) -> str:
    """One line per state: its kind and where it goes."""
    lines = [f"workflow {workflow.name} (starts at {workflow.graph.start})"]
    lines += _text_lines(workflow.graph, "  ")
    return "\n".join(lines)


def _text_lines(graph: Any, indent: str) -> list[str]:
    from polyfn.core.workflow_graph import (
        ChoiceState,
        FailState,
        MapState,
        ParallelState,
        SucceedState,
        TaskState,
        WaitState,
    )

    lines = []
    for name, state in graph.states.items():
        if isinstance(state, TaskState):
            extra = "".join(f"; on {', '.join(c.on)} -> {c.next}" for c in state.catches)
            retries = "".join(f"; retry {', '.join(r.on)} x{r.attempts}" for r in state.retries)
            lines.append(f"{indent}{name}: task -> {state.next or 'end'}{retries}{extra}")
        elif isinstance(state, ChoiceState):
            rules = "; ".join(f"{cond!r} -> {target or 'end'}" for cond, target in state.rules)
            lines.append(f"{indent}{name}: choice {rules}; otherwise -> {state.default or 'end'}")
        elif isinstance(state, WaitState):
            what = (
                f"{state.seconds} s" if state.seconds is not None else f"until {state.until_path}"
            )
            lines.append(f"{indent}{name}: wait {what} -> {state.next or 'end'}")
        elif isinstance(state, ParallelState):
            lines.append(f"{indent}{name}: parallel -> {state.next or 'end'}")
            for index, branch in enumerate(state.branches, start=1):
                lines.append(f"{indent}  branch {index}:")
                lines += _text_lines(branch, indent + "    ")
        elif isinstance(state, MapState):
            limit = state.max_concurrency or "no limit"
            lines.append(
                f"{indent}{name}: map over {state.items_path} ({limit}) -> {state.next or 'end'}"
            )
            lines += _text_lines(state.iterator, indent + "    ")
        elif isinstance(state, SucceedState):
            lines.append(f"{indent}{name}: succeed")
        elif isinstance(state, FailState):
            lines.append(f"{indent}{name}: fail {state.error}")
    return lines


def render_mermaid(workflow: Any) -> str:
    """The graph as a Mermaid flowchart (paste it into any Markdown that renders Mermaid)."""
    lines = ["flowchart TD", f"  start((start)) --> {_node(workflow.graph.start)}"]
    lines += _mermaid_lines(workflow.graph, "")
    return "\n".join(lines)


def _node(name: str, prefix: str = "") -> str:
    return "n_" + "".join(c if c.isalnum() else "_" for c in prefix + name)


def _mermaid_lines(graph: Any, prefix: str) -> list[str]:
    from polyfn.core.workflow_graph import (
        ChoiceState,
        FailState,
        MapState,
        ParallelState,
        SucceedState,
        TaskState,
        WaitState,
    )

    lines: list[str] = []
    end = _node("end", prefix)
    ends = False

    def to(source: str, target: str | None, label: str = "") -> None:
        nonlocal ends
        arrow = f" -->|{label}| " if label else " --> "
        if target is None:
            ends = True
            lines.append(f"  {_node(source, prefix)}{arrow}{end}")
        else:
            lines.append(f"  {_node(source, prefix)}{arrow}{_node(target, prefix)}")

    for name, state in graph.states.items():
        node = _node(name, prefix)
        if isinstance(state, TaskState):
            lines.append(f"  {node}[{name}]")
            to(name, state.next)
            for catch in state.catches:
                to(name, catch.next, " / ".join(catch.on))
        elif isinstance(state, ChoiceState):
            lines.append(f"  {node}{{{name}}}")
            for index, (_, target) in enumerate(state.rules, start=1):
                to(name, target, f"rule {index}")
            to(name, state.default, "otherwise")
        elif isinstance(state, WaitState):
            lines.append(f"  {node}([{name}])")
            to(name, state.next)
        elif isinstance(state, ParallelState | MapState):
            lines.append(f"  {node}[[{name}]]")
            branches = state.branches if isinstance(state, ParallelState) else [state.iterator]
            for index, branch in enumerate(branches, start=1):
                inner = f"{prefix}{name}_{index}_"
                lines.append(f"  subgraph {_node('', inner)}[{name} {index}]")
                lines.append(f"    {_node(branch.start, inner)}")
                lines += ["  " + line for line in _mermaid_lines(branch, inner)]
                lines.append("  end")
            to(name, state.next)
            for catch in state.catches:
                to(name, catch.next, " / ".join(catch.on))
        elif isinstance(state, SucceedState):
            lines.append(f"  {node}(({name}))")
        elif isinstance(state, FailState):
            lines.append(f"  {node}(({name}: {state.error}))")
    if ends:
        lines.append(f"  {end}((end))")
    return lines
