"""The event kinds serverless.yml and SAM share: S3, SQS, schedules, SNS, EventBridge.

Both importers call these with what they parsed; each adds a trigger to the function or
a note that says why it could not.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from polyfn.core.errors import ConfigError
from polyfn.plan.import_model import (
    ALL_METHODS,
    ChangeSpec,
    EventSpec,
    ImportedApp,
    ImportedFunction,
    MessageSpec,
    ObjectSpec,
    ScheduleSpec,
)
from polyfn.plan.import_resources import arn_name, eventbridge_to_portable, ref_id

__all__ = [
    "add_message",
    "add_object",
    "add_pattern",
    "add_schedule",
    "add_sns",
    "add_stream",
    "add_unsupported",
    "as_int",
    "http_methods",
    "http_path",
    "new_function",
    "route_label",
]


def as_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def new_function(
    imported: ImportedApp,
    original: str,
    name: str,
    spec: Mapping[str, Any],
    defaults: Mapping[str, Any],
    *,
    handler: str,
    code_root: Path,
) -> ImportedFunction:
    taken = {f.name for f in imported.functions}
    base, counter = name, 2
    while name in taken:
        name, counter = f"{base}_{counter}", counter + 1
    module, _, def_name = handler.rpartition(".")
    folder, _, module_path = module.rpartition("/")
    relative = "/".join(p for p in (folder, module_path.replace(".", "/")) if p)
    memory = as_int(spec.get("memorySize", spec.get("MemorySize"))) or as_int(
        defaults.get("memory")
    )
    timeout = as_int(spec.get("timeout", spec.get("Timeout"))) or as_int(defaults.get("timeout"))
    fn = ImportedFunction(
        name=name,
        original=original,
        handler=handler or "(inline code)",
        code_file=(code_root / f"{relative}.py") if relative else None,
        code_def=def_name or None,
        memory=memory,
        timeout=timeout,
        architecture=str(spec.get("architecture") or defaults.get("architecture") or "") or None,
    )
    imported.functions.append(fn)
    for authorizer in imported.authorizers.values():  # read before the functions
        if (
            authorizer.function is None
            and not authorizer.external
            and authorizer.source == original
        ):
            authorizer.function = fn
    return fn


def http_methods(method: Any) -> list[str]:
    text = str(method or "any").upper()
    return list(ALL_METHODS) if text in ("ANY", "*") else [text]


def http_path(path: Any) -> str:
    text = "/" + str(path or "").strip("/")
    return "/{proxy+}" if text in ("/*", "/") and str(path).strip() in ("*", "/*") else text


def route_label(methods: list[str], path: str) -> str:
    """How notes name a route: ``GET /users/{id}``, or ``ANY`` for several methods."""
    return f"{'ANY' if len(methods) > 1 else methods[0]} {path}"


def add_object(
    imported: ImportedApp,
    fn: ImportedFunction,
    bucket: str,
    events: list[str],
    prefix: str,
    suffix: str,
) -> None:
    resource = imported.buckets.get(bucket) or imported.bucket_named(bucket)
    for event in events:
        if event.startswith("s3:ObjectCreated"):
            fn.triggers.append(ObjectSpec(resource.name, "created", str(prefix), str(suffix)))
        elif event.startswith("s3:ObjectRemoved"):
            fn.triggers.append(ObjectSpec(resource.name, "deleted", str(prefix), str(suffix)))
        else:
            imported.note(
                fn.name,
                "blocked",
                f"S3 event {event} has no polyfn trigger (only object created and deleted)",
            )


def add_message(imported: ImportedApp, fn: ImportedFunction, reference: Any, batch: int) -> None:
    logical = ref_id(reference)
    name = arn_name(reference)
    if logical and logical in imported.queues:
        queue = imported.queues[logical]
    elif logical or name:
        queue = imported.queue_named(logical or name or "queue")
    else:
        imported.note(fn.name, "blocked", f"cannot tell which queue {reference!r} is")
        return
    fn.triggers.append(MessageSpec(queue.name, max(1, min(batch, 10000))))


def add_stream(
    imported: ImportedApp, fn: ImportedFunction, reference: Any, options: Mapping[str, Any]
) -> None:
    """A DynamoDB stream event source: the table whose stream it reads, as on_change.

    ``reference`` is the stream's ARN, a ``Fn::GetAtt [Table, StreamArn]`` or a
    ``table/NAME/stream/...`` ARN text; a Kinesis stream is no table's and stays blocked.
    """
    logical = ref_id(reference)
    text = str(reference) if isinstance(reference, str) else ""
    if ":kinesis:" in text:
        add_unsupported(imported, fn, "Kinesis stream")
        return
    name = text.split(":table/", 1)[1].split("/", 1)[0] if ":table/" in text else None
    table = None
    for candidate in imported.tables.values():
        if logical in (candidate.logical_id, candidate.name) or (
            name is not None and name in (candidate.physical, candidate.name, candidate.logical_id)
        ):
            table = candidate
    if table is None:
        imported.note(
            fn.name,
            "blocked",
            f"cannot tell which DynamoDB table the stream {reference!r} belongs to: declare "
            "the table in the file, or add app.table(...) and @app.on_change by hand",
        )
        return
    start = str(options.get("StartingPosition") or "LATEST").upper()
    retries = as_int(options.get("MaximumRetryAttempts"))
    batch = as_int(options.get("BatchSize")) or 100
    spec = ChangeSpec(
        table.name,
        batch_size=max(1, min(batch, 10000)),
        start="oldest" if start == "TRIM_HORIZON" else "latest",
        # -1 (DynamoDB's "until the record expires") is 10000 here: as many as polyfn takes.
        retries=10000 if retries == -1 else max(0, min(retries or 3, 10000)),
        bisect=bool(options.get("BisectBatchOnFunctionError", True)),
    )
    fn.triggers.append(spec)
    if options.get("FilterCriteria"):
        imported.note(
            fn.name,
            "change",
            "the stream's FilterCriteria have no polyfn equivalent: check the change in "
            "the handler (every change reaches it, billed)",
        )
    imported.note(
        fn.name,
        "info",
        f"the stream of table {table.name!r} becomes @app.on_change: DynamoDB Streams on "
        "AWS, Firestore document events on Google Cloud (one document per invocation, no "
        "set order); Azure Table Storage has no change feed, so on Azure the writer must "
        "send a queue message instead",
    )


def add_schedule(
    imported: ImportedApp, fn: ImportedFunction, expression: str, payload: Any
) -> None:
    try:
        portable = eventbridge_to_portable(expression)
    except ConfigError as exc:
        imported.note(fn.name, "blocked", f"schedule {expression}: {exc}")
        return
    fn.triggers.append(ScheduleSpec(portable, expression))
    if payload:
        imported.note(
            fn.name,
            "change",
            f"schedule {expression} passes a constant input: a "
            "polyfn tick carries none, so put the value in code or an app setting",
        )


def add_sns(imported: ImportedApp, fn: ImportedFunction, topic: Any, filtered: bool) -> None:
    logical = ref_id(topic)
    name = imported.topics.get(logical, logical) if logical else arn_name(topic) or str(topic)
    fn.triggers.append(EventSpec(None, "aws.sns", f"SNS topic {name}"))
    imported.note(
        fn.name,
        "change",
        f"SNS topic {name}: polyfn receives it as an event of type "
        "'aws.sns', which only AWS sends; on Azure and Google Cloud the publisher must "
        "publish to Event Grid / Pub/Sub and the on_event filter must change",
    )
    if filtered:
        imported.note(
            fn.name,
            "change",
            "the SNS filter policy has no polyfn equivalent: "
            "check the message attributes in the handler",
        )


def _first(value: Any) -> tuple[str | None, int]:
    values = value if isinstance(value, list) else [value] if value else []
    plain = [v for v in values if isinstance(v, str)]
    return (plain[0] if plain else None), len(values)


def add_pattern(imported: ImportedApp, fn: ImportedFunction, pattern: Mapping[str, Any]) -> None:
    source, sources = _first(pattern.get("source"))
    detail_type, types = _first(pattern.get("detail-type"))
    if sources > 1 or types > 1:
        imported.note(
            fn.name,
            "change",
            "the EventBridge pattern lists several sources or "
            f"detail-types; polyfn on_event takes one of each, so {source!r} / "
            f"{detail_type!r} were kept: split the function or widen the filter",
        )
    if pattern.get("detail") or set(pattern) - {"source", "detail-type"}:
        imported.note(
            fn.name,
            "change",
            "the EventBridge pattern filters on more than source "
            "and detail-type: check the rest in the handler",
        )
    fn.triggers.append(EventSpec(source, detail_type, "EventBridge pattern"))


def add_unsupported(imported: ImportedApp, fn: ImportedFunction, kind: str) -> None:
    imported.note(
        fn.name,
        "blocked",
        f"{kind} events have no polyfn trigger: a person must "
        "decide how this function is fed on the other clouds",
    )
