"""Putting the plan together: scan, map, check, price, then judge each function per cloud.

The judgement is the report's first table. A function is *blocked* on a cloud when
something there cannot be expressed (a schedule the dialect lacks, a limit it fails, an
import a person must redesign), *needs changes* when code or settings must change (a
vendor SDK call for another cloud, a native event read, a semantic the target sets
differently), and *portable* otherwise. An imported function polyfn can give no trigger at
all *needs a decision*: it stays in the report with the reason, never dropped.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from polyfn.core.app import App
from polyfn.core.errors import ConfigError
from polyfn.core.functions import Function, MessageTrigger, ObjectTrigger, ScheduleTrigger
from polyfn.deploy.model import effective_memory
from polyfn.plan.concurrency import check_concurrency
from polyfn.plan.containers import compare_containers
from polyfn.plan.cost import price_cloud, workload
from polyfn.plan.idempotency_notes import idempotency_notes
from polyfn.plan.limits import check_limits
from polyfn.plan.lockin import scan_sources
from polyfn.plan.model import (
    FunctionInfo,
    FunctionStatus,
    ImportNote,
    LimitResult,
    LockinFinding,
    Plan,
    Status,
    TriggerMapping,
    Undecided,
)
from polyfn.plan.prices import Prices, load_prices
from polyfn.plan.resource_cost import ResourceTraffic, resource_meters
from polyfn.plan.schedule_runs import runs_per_month
from polyfn.plan.sweep import Measurement, sweep
from polyfn.plan.table_notes import table_notes
from polyfn.plan.traffic import FunctionTraffic, TrafficProfile
from polyfn.plan.triggers import map_triggers

__all__ = ["PlanInputs", "build_plan", "polyfn_entrypoints", "source_files_of"]

APP_ROW = "(app)"


@dataclass
class PlanInputs:
    app: App
    clouds: tuple[str, ...]
    traffic: TrafficProfile
    source_label: str = "polyfn app"
    root: Path | None = None
    files: list[Path] = field(default_factory=list)
    entrypoints: dict[str, tuple[Path, str]] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)
    import_notes: list[ImportNote] = field(default_factory=list)
    undecided: list[Undecided] = field(default_factory=list)
    measurements: Mapping[str, Sequence[Measurement]] | None = None
    prices: Prices | None = None


def source_files_of(module_file: Path) -> list[Path]:
    """The app's module and its sibling .py files: the code that ships with it."""
    folder = module_file.resolve().parent
    return sorted(p for p in folder.glob("*.py") if p.is_file())


def polyfn_entrypoints(app: App) -> dict[str, tuple[Path, str]]:
    """Each function's handler as (file, def name), read from its code object."""
    entries: dict[str, tuple[Path, str]] = {}
    for fn in app.functions.values():
        handler = inspect.unwrap(fn.handler)
        code = getattr(handler, "__code__", None)
        if code is None:
            continue
        entries[fn.name] = (Path(code.co_filename), handler.__qualname__.replace(".<locals>", ""))
    return entries


def build_plan(inputs: PlanInputs) -> Plan:
    app, clouds = inputs.app, inputs.clouds
    prices = inputs.prices or load_prices()
    traffic = inputs.traffic
    traffic.check_names(app.functions)
    azure_plan = traffic.azure_plan

    def traffic_of(name: str) -> FunctionTraffic:
        fn = app.functions[name]
        return traffic.for_function(
            name,
            fn.options.memory,
            deployed_memory=effective_memory(fn),
            scheduled_runs=(
                runs_per_month(fn.trigger.expression)
                if isinstance(fn.trigger, ScheduleTrigger)
                else None
            ),
        )

    root = inputs.root or Path.cwd()
    lockin = scan_sources(inputs.files, root, inputs.entrypoints) if inputs.files else []
    triggers = map_triggers(app, clouds, azure_plan, traffic_of)
    plans: dict[str, str | None] = {"aws": None, "azure": azure_plan, "gcp": None}
    limits, limits_note = check_limits(
        app, clouds, plans, inputs.root, loops=inputs.source_label == "polyfn app"
    )
    limits = without_trigger_refusals(limits, triggers)
    costs = []
    resource_traffic, unscanned = _resource_traffic(app, traffic_of, inputs.root)
    for cloud in clouds:
        plan = {"aws": "lambda", "azure": azure_plan, "gcp": "gen2"}[cloud]
        works = [
            workload(
                fn.name,
                fn.trigger.kind,
                _filtered(fn),
                traffic_of(fn.name),
                cloud,
                fn.options.provisioned_concurrency or 0,
            )
            for fn in app.functions.values()
        ]
        meters = [resource_meters(cloud, t, prices) for t in resource_traffic]
        costs.append(
            price_cloud(cloud, plan, works, prices, aws_api=traffic.aws_api, resources=meters)
        )
    per_function = [(name, traffic_of(name)) for name in app.functions]
    declared = {
        fn.name: fn.options.concurrency
        for fn in app.functions.values()
        if fn.options.concurrency is not None
    }
    concurrency = check_concurrency(clouds, azure_plan, per_function, prices, declared)
    swept = (
        sweep(inputs.measurements, clouds, azure_plan, traffic_of, list(app.functions), prices)
        if inputs.measurements
        else None
    )
    unlisted = [name for name, t in per_function if not t.listed]
    traffic_notes = [f"traffic from {traffic.source}; peak factor {traffic.peak_factor:g}"]
    if unlisted:
        traffic_notes.append("the profile's defaults were used for: " + ", ".join(unlisted))
    if unscanned:
        traffic_notes.append(
            "queue and bucket requests not priced for (their code's resource use is not "
            "known): " + ", ".join(unscanned)
        )
    functions = [
        FunctionInfo(
            fn.name, fn.trigger.kind, fn.trigger.describe(), inputs.origins.get(fn.name, "")
        )
        for fn in app.functions.values()
    ]
    notes = list(inputs.import_notes)
    if app.workflows and inputs.source_label == "polyfn app":
        # (An imported app's tasks are stubs: their raises say nothing yet.)
        from polyfn.deploy.workflow_errors import unraisable_error_warnings

        notes += [
            ImportNote("", "info", f"warning: {text}")
            for text in unraisable_error_warnings(app, inputs.root)
        ]
    statuses = judge(functions, clouds, lockin, triggers, limits, notes)
    statuses += [
        FunctionStatus(u.function, cloud, "needs a decision", u.reasons)
        for u in inputs.undecided
        for cloud in clouds
    ]
    workflow_costs = []
    if app.workflows:
        from polyfn.plan.workflow_cost import price_workflows

        workflow_costs = price_workflows(app, clouds, prices, traffic.defaults)
    return Plan(
        app=app.name,
        source=inputs.source_label,
        clouds=clouds,
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        prices_version=prices.version,
        functions=functions,
        statuses=statuses,
        lockin=lockin,
        triggers=triggers,
        limits=limits,
        limits_note=limits_note,
        costs=costs,
        concurrency=concurrency,
        sweep=swept,
        import_notes=notes,
        undecided=list(inputs.undecided),
        traffic_notes=traffic_notes,
        scanned_files=sorted(_relative(p, root) for p in inputs.files),
        workflow_costs=workflow_costs,
        containers=compare_containers(
            costs,
            [t for _, t in per_function],
            sum(t.invocations for _, t in per_function),
            prices,
            traffic.container,
        ),
        table_notes=table_notes(app, clouds) + idempotency_notes(app, clouds),
    )


def _resource_traffic(
    app: App, traffic_of: Callable[[str], FunctionTraffic], root: Path | None
) -> tuple[list[ResourceTraffic], list[str]]:
    """Each function's month as its queues and buckets see it, from the deploy step's scan
    of its code; the functions whose use the scan cannot tell are listed, not guessed."""
    from polyfn.deploy.usage import scan_function

    payload_of_queue = {
        fn.trigger.queue.name: traffic_of(fn.name).payload_kb
        for fn in app.functions.values()
        if isinstance(fn.trigger, MessageTrigger)
    }
    result: list[ResourceTraffic] = []
    unscanned: list[str] = []
    for fn in app.functions.values():
        try:
            accesses = dict(scan_function(app, fn, root).accesses)
        except ConfigError:
            accesses = {}
            unscanned.append(fn.name)
        traffic = traffic_of(fn.name)
        result.append(
            ResourceTraffic(
                kind=fn.trigger.kind,
                events=traffic.invocations,
                payload_kb=traffic.payload_kb,
                avg_batch=traffic.avg_batch,
                accesses=accesses,
                queue_payload_kb=payload_of_queue,
                filter_match_ratio=traffic.filter_match_ratio if _filtered(fn) else None,
            )
        )
    return result, unscanned


def _filtered(fn: Function) -> bool:
    trigger = fn.trigger
    return isinstance(trigger, ObjectTrigger) and bool(trigger.prefix or trigger.suffix)


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def without_trigger_refusals(
    limits: Sequence[LimitResult], triggers: Sequence[TriggerMapping]
) -> list[LimitResult]:
    """The limit findings the trigger map does not already say. Deploy's checker refuses
    a trigger a cloud cannot serve (an on_change function on Azure, whose Table Storage
    has no change feed) so that a build fails; the plan's trigger map gives the same
    refusal, with its reason, where the trigger's mapping is, and says it once."""
    said = {
        (mapping.function, mapping.cloud, note.text)
        for mapping in triggers
        for note in mapping.notes
    }
    return [
        limit
        for limit in limits
        if limit.level == "pass" or (limit.function, limit.cloud, limit.message) not in said
    ]


def judge(
    functions: Sequence[FunctionInfo],
    clouds: Sequence[str],
    lockin: Sequence[LockinFinding],
    triggers: Sequence[TriggerMapping],
    limits: Sequence[LimitResult],
    import_notes: Sequence[ImportNote],
) -> list[FunctionStatus]:
    rows = [f.name for f in functions]
    app_level = (
        any(not f.functions and f.severity != "low" for f in lockin)
        or any(not limit.function and limit.level != "pass" for limit in limits)
        or any(not note.function and note.impact != "info" for note in import_notes)
    )
    if app_level:
        rows.append(APP_ROW)
    statuses: list[FunctionStatus] = []
    for name in rows:
        for cloud in clouds:
            blocked: list[str] = []
            changes: list[str] = []
            for finding in lockin:
                attributed = name in finding.functions or (
                    name == APP_ROW and not finding.functions
                )
                if attributed and finding.cloud != cloud and finding.severity != "low":
                    changes.append(f"{finding.file}:{finding.line} {finding.what}")
            for mapping in triggers:
                if mapping.function == name and mapping.cloud == cloud:
                    for note in mapping.notes:
                        if note.impact == "blocked":
                            blocked.append(f"{note.topic}: {note.text}")
                        elif note.impact == "change":
                            changes.append(f"{note.topic}: {note.text}")
            for limit in limits:
                owner = APP_ROW if not limit.function else limit.function
                if limit.cloud == cloud and owner == name:
                    if limit.level == "fail":
                        blocked.append(f"limit {limit.limit}: {limit.message}")
                    elif limit.level == "warn":
                        changes.append(f"limit {limit.limit}: {limit.message}")
            for imported in import_notes:
                if imported.function == name or (name == APP_ROW and not imported.function):
                    if imported.impact == "blocked":
                        blocked.append(imported.text)
                    elif imported.impact == "change":
                        changes.append(imported.text)
            status: Status = "blocked" if blocked else "needs changes" if changes else "portable"
            statuses.append(FunctionStatus(name, cloud, status, tuple(blocked + changes)))
    return statuses
