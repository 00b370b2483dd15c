"""Reading a SAM template: ``AWS::Serverless::Function`` resources and their events."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from polyfn.plan.import_auth import FunctionOf, SamAuth
from polyfn.plan.import_callers import FunctionRefs, explain_callers
from polyfn.plan.import_events import (
    add_message,
    add_object,
    add_pattern,
    add_schedule,
    add_sns,
    add_stream,
    add_unsupported,
    as_int,
    http_methods,
    http_path,
    new_function,
    route_label,
)
from polyfn.plan.import_model import (
    HttpSpec,
    ImportedApp,
    ImportedFunction,
    python_name,
)
from polyfn.plan.import_resources import as_mapping, read_resources, ref_id
from polyfn.plan.model import PlanInputError

__all__ = ["import_sam"]


def import_sam(document: Mapping[str, Any], path: Path) -> ImportedApp:
    resources = document.get("Resources") or {}
    if not isinstance(resources, Mapping):
        raise PlanInputError(f"{path}: Resources must be a mapping")
    described = str(document.get("Description") or "").split()
    first = described[0].strip(".,:;") if described else ""
    name = (
        first if re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]{0,39}", first) else path.resolve().parent.name
    )
    imported = ImportedApp(name or "app", "SAM template", path)
    read_resources(imported, resources)
    globals_fn = (document.get("Globals") or {}).get("Function") or {}
    defaults = {
        "memory": globals_fn.get("MemorySize"),
        "timeout": globals_fn.get("Timeout"),
        "architecture": (globals_fn.get("Architectures") or [None])[0],
    }
    functions = {
        str(logical_id): as_mapping(resource.get("Properties"))
        for logical_id, resource in resources.items()
        if isinstance(resource, Mapping) and resource.get("Type") == "AWS::Serverless::Function"
    }
    # Before the functions: the loop must know which Lambda is an authorizer.
    auth = SamAuth(
        imported,
        document,
        {
            key: (python_name(key, "function"), bool(props.get("Events")))
            for key, props in functions.items()
        },
        _function_of(functions),
    )
    state_machines: list[tuple[str, Any]] = []  # read once every function is known
    for logical_id, resource in resources.items():
        if not isinstance(resource, Mapping):
            continue
        kind = resource.get("Type")
        props = resource.get("Properties") or {}
        if kind == "AWS::Lambda::Function":
            imported.note(
                python_name(logical_id, "function"),
                "blocked",
                f"{logical_id} is a "
                "plain AWS::Lambda::Function: its triggers live in other resources "
                "and were not read",
            )
            continue
        if kind == "AWS::Serverless::StateMachine":
            state_machines.append((str(logical_id), props))
            continue
        if kind != "AWS::Serverless::Function":
            continue
        handler = str(props.get("Handler") or globals_fn.get("Handler") or "")
        code_uri = props.get("CodeUri") or globals_fn.get("CodeUri") or "."
        code_root = imported.root / str(code_uri) if isinstance(code_uri, str) else imported.root
        arch = (props.get("Architectures") or [None])[0]
        fn = new_function(
            imported,
            str(logical_id),
            python_name(str(logical_id), "function"),
            {**props, "architecture": arch},
            defaults,
            handler=handler,
            code_root=code_root,
        )
        fn.reserved_concurrency = as_int(props.get("ReservedConcurrentExecutions"))
        provisioned = props.get("ProvisionedConcurrencyConfig") or {}
        fn.provisioned_concurrency = as_int(provisioned.get("ProvisionedConcurrentExecutions"))
        for event in (props.get("Events") or {}).values():
            if isinstance(event, Mapping):
                _sam_event(imported, fn, str(event.get("Type")), event.get("Properties"), auth)
        physical = props.get("FunctionName")
        refs = FunctionRefs(
            logical_ids=frozenset({str(logical_id)}),
            names=frozenset(),
            arn_suffixes=frozenset({f":function:{physical}"} if isinstance(physical, str) else ()),
        )
        explain_callers(imported, document, fn, refs, ("Resources", str(logical_id)))
    if state_machines:
        from polyfn.plan.import_workflows import read_sam_state_machine

        for logical_id, props in state_machines:
            read_sam_state_machine(imported, logical_id, props, lambda name: name)
    return imported


def _function_of(functions: Mapping[str, Mapping[str, Any]]) -> FunctionOf:
    """The logical id of the template's function a value names: !GetAtt X.Arn, !Ref X,
    ${X.Arn}, or a literal ARN ending in its FunctionName."""
    physical = {
        key: name
        for key, props in functions.items()
        if isinstance(name := props.get("FunctionName"), str)
    }

    def function_of(value: Any) -> str | None:
        target = ref_id(value)
        if target in functions:
            return target
        if isinstance(value, str):
            text = value.strip()
            return next((k for k, n in physical.items() if text.endswith(f":function:{n}")), None)
        return None

    return function_of


def _sam_event(
    imported: ImportedApp, fn: ImportedFunction, kind: str, given: Any, auth: SamAuth
) -> None:
    props = as_mapping(given)
    if kind in ("Api", "HttpApi"):
        path = http_path(props.get("Path", "*" if kind == "HttpApi" else "/"))
        methods = http_methods(props.get("Method"))
        where = route_label(methods, path)
        fn.triggers.append(HttpSpec(path, methods, auth.route_auth(fn.name, kind, props, where)))
    elif kind == "S3":
        events = props.get("Events") or "s3:ObjectCreated:*"
        rules = ((props.get("Filter") or {}).get("S3Key") or {}).get("Rules") or []
        values = {
            str(r.get("Name", "")).lower(): str(r.get("Value", ""))
            for r in rules
            if isinstance(r, Mapping)
        }
        bucket = ref_id(props.get("Bucket")) or str(props.get("Bucket"))
        add_object(
            imported,
            fn,
            bucket,
            events if isinstance(events, list) else [events],
            values.get("prefix", ""),
            values.get("suffix", ""),
        )
    elif kind == "SQS":
        add_message(imported, fn, props.get("Queue"), as_int(props.get("BatchSize")) or 10)
    elif kind in ("Schedule", "ScheduleV2"):
        expression = props.get("Schedule") or props.get("ScheduleExpression")
        # SAM: Enabled: false (Schedule) or State: DISABLED (both kinds) keep it off.
        if props.get("Enabled") is False or str(props.get("State", "")).upper() == "DISABLED":
            imported.note(
                fn.name,
                "info",
                f"schedule {expression} is disabled: not imported as a live trigger and "
                "not priced; add app.schedule(...) when it should run",
            )
            return
        add_schedule(imported, fn, str(expression), props.get("Input"))
    elif kind == "DynamoDB":
        add_stream(imported, fn, props.get("Stream"), props)
    elif kind == "SNS":
        add_sns(imported, fn, props.get("Topic"), bool(props.get("FilterPolicy")))
    elif kind in ("EventBridgeRule", "CloudWatchEvent"):
        add_pattern(imported, fn, props.get("Pattern") or {})
    else:
        add_unsupported(imported, fn, kind)
