"""``--scaffold DIR``: a polyfn ``app.py`` for an imported AWS app.

Everything the file says is written out: resources with ``app.bucket/queue/table``,
each trigger with its ``App`` decorator and settings. What the file cannot say, the
business logic, is the one TODO in each handler, next to the lock-in findings the plan
made in the Lambda code it replaces. A handler that is not ported raises, so nothing is
acknowledged by mistake: HTTP answers 501, a message is retried and then dead-lettered.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from polyfn.plan.import_model import (
    AuthSpec,
    ChangeSpec,
    EventSpec,
    HttpSpec,
    ImportedApp,
    ImportedAuthorizer,
    ImportedFunction,
    ImportedJWT,
    MessageSpec,
    ObjectSpec,
    ScheduleSpec,
    TriggerSpec,
    logical_name,
    python_name,
)
from polyfn.plan.model import LockinFinding, PlanInputError

__all__ = ["render_scaffold", "write_scaffold"]

_SIGNATURES = {
    "http": ("req: Request", "Response"),
    "object": ("event: ObjectEvent", "None"),
    "message": ("msg: Message", "None"),
    "change": ("change: Change", "None"),
    "schedule": ("tick: Schedule", "None"),
    "event": ("event: Event", "None"),
}
_MODEL_NAMES = {
    "http": ("HTTPError", "Request", "Response"),
    "object": ("ObjectEvent",),
    "message": ("Message",),
    "change": ("Change",),
    "schedule": ("Schedule",),
    "event": ("Event",),
}
_MAX_FINDINGS = 8
_LINE_LENGTH = 100  # the scaffold stays within ruff's default line length


def _literal(value: object) -> str:
    return (
        repr(value).replace("'", '"')
        if isinstance(value, str) and '"' not in value
        else repr(value)
    )


class _Names:
    """Python variable names for resources, unique among themselves and the handlers."""

    def __init__(self, taken: set[str]) -> None:
        self.taken = set(taken) | {"app"}
        self.by_resource: dict[tuple[str, str], str] = {}

    def assign(self, kind: str, name: str) -> str:
        base = python_name(name)
        candidate = base if base not in self.taken else f"{base}_{kind}"
        counter = 2
        while candidate in self.taken:
            candidate, counter = f"{base}_{kind}_{counter}", counter + 1
        self.taken.add(candidate)
        self.by_resource[(kind, name)] = candidate
        return candidate


def render_scaffold(imported: ImportedApp, findings: Sequence[LockinFinding] = ()) -> str:
    app = imported.build_app()
    authorizers = [a for a in imported.authorizers.values() if a.name in app.authorizers]
    groups: list[tuple[str, str, ImportedFunction, list[tuple[str, TriggerSpec]]]] = []
    for name, (fn, spec) in imported.registered.items():
        for group in groups:
            if group[2] is fn and group[1] == spec.kind:
                group[3].append((name, spec))
                break
        else:
            groups.append((name, spec.kind, fn, [(name, spec)]))
    names = _Names({g[0] for g in groups} | {a.name for a in authorizers})
    workflow_lines: list[str] = []
    step_names: set[str] = set()
    if imported.workflows:
        from polyfn.plan.import_workflows import render_workflow

        for workflow in imported.workflows:
            if workflow.name in app.workflows:
                workflow_lines += render_workflow(workflow, step_names)
    model_names = {k for g in groups for k in _MODEL_NAMES[g[1]]} | step_names
    if authorizers:
        model_names |= {"Allow", "AuthRequest", "Deny"}
    if any(
        isinstance(spec, HttpSpec) and isinstance(spec.auth, ImportedJWT)
        for _, spec in imported.registered.values()
    ):
        model_names.add("JWT")
    lines = _header(imported, model_names)
    if workflow_lines:  # task stubs are typed with Any
        at = lines.index("from __future__ import annotations") + 2
        lines[at:at] = ["from typing import Any", ""]
    lines.append(f"app = App({_literal(app.name)})")
    # A triggering bucket is not adopted: on AWS that needs EventBridge notifications
    # switched on for the running bucket first (docs/adopt.md), a change made on purpose.
    triggering = {s.bucket for _, s in imported.registered.values() if isinstance(s, ObjectSpec)}
    for bucket in imported.buckets.values():
        if bucket.name in app.buckets:
            var = names.assign("bucket", bucket.name)
            origin = _origin(bucket.logical_id, bucket.physical, "bucket", bucket.name)
            adopt = "" if bucket.name in triggering else _existing(imported, bucket.physical)
            lines.append(f"{var} = app.bucket({_literal(bucket.name)}{adopt}){origin}")
    for queue in imported.queues.values():
        if queue.name in app.queues:
            var = names.assign("queue", queue.name)
            lines.append(
                f"{var} = app.queue({_literal(queue.name)}, max_receives={queue.max_receives}, "
                f"visibility_timeout={queue.visibility_timeout}"
                f"{_existing(imported, queue.physical)})"
                f"{_origin(queue.logical_id, queue.physical, 'queue', queue.name)}"
            )
    for table in imported.tables.values():
        var = names.assign("table", table.name)
        extra = f", sort={_literal(table.sort)}" if table.sort else ""
        if table.indexes:
            extra += f", indexes={table.index_specs()!r}"
        lines.append(
            f"{var} = app.table({_literal(table.name)}, key={_literal(table.key)}{extra}"
            f"{_existing(imported, table.physical)})"
            f"{_origin(table.logical_id, table.physical, 'table', table.name)}"
        )
    for authorizer in authorizers:
        lines += ["", ""]
        lines += _authorizer(authorizer, findings)
    for def_name, kind, fn, members in groups:
        lines += ["", ""]
        lines += [_decorator(spec, name, def_name, fn, names) for name, spec in members]
        argument, returns = _SIGNATURES[kind]
        lines.append(f"def {def_name}({argument}) -> {returns}:")
        lines.append(f'    """Replaces the Lambda handler {fn.handler} ({fn.original})."""')
        lines += _findings(findings, {name for name, _ in members})
        lines.append(f"    # TODO(port): the business logic of {fn.handler}")
        if kind == "http":
            lines.append(f'    raise HTTPError(501, "{def_name} is not ported yet")')
        else:
            lines.append(f'    raise NotImplementedError("{def_name}: port {fn.handler}")')
    lines += _undecided(imported)
    lines += workflow_lines
    return "\n".join(lines) + "\n"


def _findings(findings: Sequence[LockinFinding], functions: set[str]) -> list[str]:
    """The lock-in findings in the code of ``functions``, as comments in their stub."""
    mine = [f for f in findings if any(name in f.functions for name in functions)]
    lines: list[str] = []
    for finding in mine[:_MAX_FINDINGS]:
        lines += textwrap.wrap(
            f"{finding.file}:{finding.line} {finding.what} -> {finding.replacement}",
            width=92,
            initial_indent="    # ",
            subsequent_indent="    #   ",
        )
    if len(mine) > _MAX_FINDINGS:
        lines.append(f"    # ... and {len(mine) - _MAX_FINDINGS} more in the plan report")
    return lines


def _authorizer(authorizer: ImportedAuthorizer, findings: Sequence[LockinFinding]) -> list[str]:
    """An imported Lambda authorizer as an ``@app.authorizer`` that denies until ported."""
    options: list[_Arg] = []
    if authorizer.ttl != 300:  # App.authorizer's defaults are left out
        options.append(f"ttl={authorizer.ttl}")
    if authorizer.identity != ("header:authorization",):
        options.append(f"identity={_literal_list(authorizer.identity)}")
    decorator = _call("@app.authorizer", options) if options else "@app.authorizer"
    fn = authorizer.function
    if fn is not None:
        replaced, code = f"{fn.handler} ({fn.original})", fn.handler
    else:
        replaced, code = f"{authorizer.name} (was {authorizer.source})", authorizer.source
    if authorizer.token and authorizer.identity:
        header = authorizer.identity[0].partition(":")[2]
        hint = f' (a TOKEN authorizer\'s token is request.headers["{header}"])'
    else:
        hint = ""
    return [
        decorator,
        f"def {authorizer.name}(request: AuthRequest) -> Allow | Deny:",
        *_docstring(f"Replaces the Lambda authorizer {replaced}."),
        *_findings(findings, {authorizer.name}),
        *textwrap.wrap(
            _printable(f"TODO(port): the check of {code}{hint}"),
            width=92,
            initial_indent="    # ",
            subsequent_indent="    #   ",
            break_long_words=False,
            break_on_hyphens=False,
        ),
        f'    return Deny("{authorizer.name} is not ported yet")',
    ]


def _printable(text: str) -> str:
    """Text from the file with what cannot stand in a comment or docstring escaped."""
    return "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in text)


def _docstring(text: str) -> list[str]:
    """A one-line docstring, or a wrapped one when it would pass the line length."""
    text = _printable(text).replace("\\", "\\\\")  # the file's text, as it reads
    if len(text) + 10 <= _LINE_LENGTH and '"' not in text:
        return [f'    """{text}"""']
    body = textwrap.wrap(text.replace('"', "'"), width=_LINE_LENGTH - 8, break_on_hyphens=False)
    return ['    """' + body[0], *(f"    {line}" for line in body[1:]), '    """']


# A call's argument: source text, or a nested call (callee, arguments) that _call may split.
_Arg = str | tuple[str, list["_Arg"]]


def _inline(argument: _Arg) -> str:
    if isinstance(argument, str):
        return argument
    return f"{argument[0]}({', '.join(_inline(a) for a in argument[1])})"


def _call(callee: str, arguments: Sequence[_Arg], indent: str = "") -> str:
    """``callee(a, b)`` on one line, or one argument per line (nested calls alike) when
    that would pass the line length, as ruff format writes it."""
    line = f"{indent}{callee}({', '.join(_inline(a) for a in arguments)})"
    if len(line) <= _LINE_LENGTH or not arguments:
        return line
    inner = indent + "    "
    split = [
        f"{inner}{a}," if isinstance(a, str) else _call(a[0], a[1], inner) + "," for a in arguments
    ]
    return "\n".join([f"{indent}{callee}(", *split, f"{indent})"])


def _literal_list(values: Sequence[str]) -> str:
    return "[" + ", ".join(_literal(v) for v in values) + "]"


def _auth_argument(auth: AuthSpec) -> list[_Arg]:
    """The ``auth=`` of a route decorator (nothing for an anonymous route)."""
    if isinstance(auth, ImportedJWT):
        audience = auth.audience
        parts: list[_Arg] = [
            f"issuer={_literal(auth.issuer)}",
            f"audience={_literal(audience[0]) if len(audience) == 1 else _literal_list(audience)}",
        ]
        if auth.scopes:
            parts.append(f"scopes={_literal_list(auth.scopes)}")
        return [("auth=JWT", parts)]
    if isinstance(auth, str):
        return [] if auth == "anonymous" else [f"auth={_literal(auth)}"]
    return [f"auth={auth.name}"]


def _undecided(imported: ImportedApp) -> list[str]:
    """The functions with no polyfn trigger, as comments: written down, never dropped."""
    if not imported.undecided:
        return []
    lines = [
        "",
        "",
        "# NEEDS A DECISION: these Lambda functions have no trigger polyfn can express, so no",
        "# handler was written for them; decide how each is fed, then add it above.",
    ]
    for undecided in imported.undecided:
        lines.append(f"# - {undecided.function} (was {undecided.origin}):")
        for reason in undecided.reasons:
            lines += textwrap.wrap(
                reason, width=92, initial_indent="#     ", subsequent_indent="#       "
            )
    return lines


def _header(imported: ImportedApp, model_names: set[str]) -> list[str]:
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    # In the order ruff's isort keeps: constants (JWT), then classes, case-insensitively.
    ordered = sorted({"App", *model_names}, key=lambda n: (not n.isupper(), n.lower()))
    origin = imported.path.name
    if imported.kind != origin:
        origin += f" ({imported.kind})"
    return [
        f'"""{imported.name}: a polyfn app scaffolded from {origin}.',
        "",
        f"Written by `polyfn plan --from {imported.path.name} --scaffold` on {today}. The",
        "triggers, resources and settings come from that file; the business logic does not:",
        "each handler names the Lambda handler it replaces and what the plan found in that",
        "code, and raises until a person ports it (HTTP answers 501; a message is retried,",
        "then dead-lettered), so nothing is acknowledged by mistake.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        *_import_lines(ordered),
        "",
    ]


def _import_lines(names: list[str]) -> list[str]:
    """``from polyfn import ...`` on one line, or one name a line as isort wraps it."""
    line = f"from polyfn import {', '.join(names)}"
    if len(line) <= _LINE_LENGTH:
        return [line]
    return ["from polyfn import (", *(f"    {name}," for name in names), ")"]


_ADOPTABLE = re.compile(r"[A-Za-z0-9._:/-]+")
_POLYFN_STAGE = re.compile(r"[a-z][a-z0-9]{0,15}")


def _existing(imported: ImportedApp, physical: str | None) -> str:
    """``, existing={stage: {"aws": name}}`` for a resource the file names outright: the
    scaffolded app, deployed to AWS at that stage, uses the running service's data
    instead of a copy (docs/adopt.md). A name the import could not resolve is left out."""
    stage = imported.stage
    if not physical or not _ADOPTABLE.fullmatch(physical) or not _POLYFN_STAGE.fullmatch(stage):
        return ""
    return f', existing={{{_literal(stage)}: {{"aws": {_literal(physical)}}}}}'


def _origin(logical_id: str, physical: str | None, kind: str, name: str) -> str:
    label = "" if logical_id in (physical, name) else f"{logical_id}, "
    if physical and physical != name:
        variable = f"POLYFN_{kind.upper()}_{name.upper().replace('-', '_')}"
        return f"  # {label}on AWS: {physical} ({variable})"
    return f"  # {logical_id}" if logical_name(logical_id, kind) != name else ""


def _option_list(fn: ImportedFunction, name: str, def_name: str) -> list[str]:
    parts = [f"name={_literal(name)}"] if name != def_name else []
    for label, value in (
        ("memory", fn.memory),
        ("timeout", fn.timeout),
        ("reserved_concurrency", fn.reserved_concurrency),
        ("provisioned_concurrency", fn.provisioned_concurrency),
    ):
        if value is not None:
            parts.append(f"{label}={value}")
    return parts


def _options(fn: ImportedFunction, name: str, def_name: str) -> str:
    return "".join(f", {p}" for p in _option_list(fn, name, def_name))


def _decorator(
    spec: TriggerSpec, name: str, def_name: str, fn: ImportedFunction, names: _Names
) -> str:
    if isinstance(spec, HttpSpec):
        arguments: list[_Arg] = [
            _literal(spec.path),
            *_auth_argument(spec.auth),
            *_option_list(fn, name, def_name),
        ]
        if len(spec.methods) == 1 and spec.methods[0] in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            return _call(f"@app.{spec.methods[0].lower()}", arguments)
        arguments.insert(1, _literal_list(spec.methods))
        return _call("@app.route", arguments)
    options = _options(fn, name, def_name)
    if isinstance(spec, ObjectSpec):
        var = names.by_resource[("bucket", spec.bucket)]
        filters = "".join(
            f", {label}={_literal(value)}"
            for label, value in (("prefix", spec.prefix), ("suffix", spec.suffix))
            if value
        )
        return f"@app.on_object_{spec.action}({var}{filters}{options})"
    if isinstance(spec, MessageSpec):
        var = names.by_resource[("queue", spec.queue)]
        return f"@app.on_message({var}, batch_size={spec.batch_size}{options})"
    if isinstance(spec, ChangeSpec):
        var = names.by_resource[("table", spec.table)]
        start = ', start="oldest"' if spec.start == "oldest" else ""
        return (
            f"@app.on_change({var}, batch_size={spec.batch_size}{start}, "
            f"retries={spec.retries}{options})"
        )
    if isinstance(spec, ScheduleSpec):
        was = f"  # was {spec.original}" if spec.original != spec.expression else ""
        return f"@app.schedule({_literal(spec.expression)}{options}){was}"
    assert isinstance(spec, EventSpec)
    filters = ", ".join(
        f"{label}={_literal(value)}"
        for label, value in (("source", spec.source), ("type", spec.type))
        if value
    )
    return f"@app.on_event({filters}{options})  # {spec.origin}"


def write_scaffold(
    imported: ImportedApp, folder: Path, findings: Sequence[LockinFinding] = ()
) -> Path:
    target = folder / "app.py"
    if target.exists():
        raise PlanInputError(f"{target} exists; remove it or scaffold into another folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        target.write_text(render_scaffold(imported, findings), encoding="utf-8")
    except OSError as exc:
        raise PlanInputError(f"cannot write {target}: {exc.strerror or exc}") from None
    return target
