"""CloudFormation pieces both importers share: resources, references, EventBridge cron.

serverless.yml keeps its CloudFormation under ``resources.Resources``; a SAM template is
CloudFormation. Buckets, queues (with their redrive policy), DynamoDB tables and SNS
topics become polyfn declarations; anything else is named in a note, never dropped
silently.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from polyfn.core.errors import ConfigError
from polyfn.core.schedule import parse_schedule
from polyfn.plan.import_model import (
    BucketResource,
    ImportedApp,
    QueueResource,
    TableResource,
    _words,
    logical_name,
)

__all__ = ["as_mapping", "eventbridge_to_portable", "read_resources", "ref_id"]

# Resource types that are plumbing polyfn or deploy creates itself: no note needed.
_PLUMBING = (
    "AWS::IAM::",
    "AWS::Logs::",
    "AWS::Lambda::Permission",
    "AWS::Lambda::EventSourceMapping",
    "AWS::ApiGateway",
    "AWS::SQS::QueuePolicy",
    "AWS::S3::BucketPolicy",
    "AWS::SNS::Subscription",
    "AWS::SNS::TopicPolicy",
    "AWS::Events::Rule",
    "AWS::Serverless::Function",
    "AWS::Serverless::Api",
    "AWS::Serverless::HttpApi",
    "AWS::CloudWatch::",
    "AWS::Serverless::LayerVersion",
)


def as_mapping(value: Any) -> Mapping[str, Any]:
    """``value`` when the file wrote a mapping there, else an empty one."""
    return value if isinstance(value, Mapping) else {}


def ref_id(value: Any) -> str | None:
    """The logical id a value points at: !Ref X, !GetAtt X.Arn, !Sub '${X.Arn}'."""
    if isinstance(value, Mapping):
        if "Ref" in value:
            return str(value["Ref"])
        if "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            if isinstance(target, list):
                return str(target[0]) if target else None
            return str(target).split(".")[0]
        if "Fn::Sub" in value:
            text = value["Fn::Sub"]
            text = (text[0] if text else "") if isinstance(text, list) else text
            match = re.fullmatch(r"\$\{([A-Za-z0-9]+)(\.[A-Za-z]+)?\}", str(text))
            return match.group(1) if match else None
    return None


def arn_name(value: Any) -> str | None:
    """The resource name at the end of a literal ARN (arn:aws:sqs:region:acct:name)."""
    if isinstance(value, str) and value.startswith("arn:"):
        return value.rsplit(":", 1)[-1] or None
    return None


def read_resources(imported: ImportedApp, resources: Mapping[str, Any]) -> None:
    dead_letters: dict[str, int] = {}
    for logical_id, resource in resources.items():
        if not isinstance(resource, Mapping):
            continue
        kind = str(resource.get("Type", ""))
        props = resource.get("Properties") or {}
        if not isinstance(props, Mapping):
            props = {}
        if kind == "AWS::S3::Bucket":
            imported.buckets[logical_id] = BucketResource(
                logical_name(logical_id, "bucket"), logical_id, _literal(props.get("BucketName"))
            )
        elif kind == "AWS::SQS::Queue":
            imported.queues[logical_id] = _queue(imported, logical_id, props, dead_letters)
        elif kind in ("AWS::DynamoDB::Table", "AWS::Serverless::SimpleTable"):
            imported.tables[logical_id] = _table(imported, logical_id, kind, props)
        elif kind == "AWS::SNS::Topic":
            imported.topics[logical_id] = _literal(props.get("TopicName")) or logical_id
        elif kind == "AWS::Serverless::StateMachine":
            pass  # a workflow: read by import_workflows
        elif kind and not kind.startswith(_PLUMBING):
            imported.note(
                "",
                "change",
                f"{logical_id} ({kind}) has no polyfn resource: keep it, and give the "
                "functions its address as an app setting",
            )
    for logical_id, queue in imported.queues.items():
        if logical_id in dead_letters or (queue.physical and queue.physical in dead_letters):
            queue.is_dead_letter = True


def _literal(value: Any) -> str | None:
    return value if isinstance(value, str) and "${" not in value else None


def _queue(
    imported: ImportedApp, logical_id: str, props: Mapping[str, Any], dead_letters: dict[str, int]
) -> QueueResource:
    queue = QueueResource(
        logical_name(logical_id, "queue"), logical_id, _literal(props.get("QueueName"))
    )
    visibility = props.get("VisibilityTimeout")
    if isinstance(visibility, int):
        queue.visibility_timeout = visibility
    if str(props.get("FifoQueue", "")).lower() == "true" or logical_id.lower().endswith("fifo"):
        imported.note(
            "",
            "change",
            f"{logical_id} is a FIFO queue: polyfn queues promise no "
            "order (nor do Azure Queue Storage or Pub/Sub without ordering keys)",
        )
    policy = props.get("RedrivePolicy")
    if isinstance(policy, str):
        try:
            policy = json.loads(policy)
        except ValueError:
            policy = None
    if isinstance(policy, Mapping):
        target = ref_id(policy.get("deadLetterTargetArn")) or arn_name(
            policy.get("deadLetterTargetArn")
        )
        count = policy.get("maxReceiveCount")
        if isinstance(count, int):
            queue.max_receives = count
        queue.has_dead_letter = True
        if target:
            dead_letters[target] = queue.max_receives
    return queue


def _table(
    imported: ImportedApp, logical_id: str, kind: str, props: Mapping[str, Any]
) -> TableResource:
    table = TableResource(
        logical_name(logical_id, "table"), logical_id, _literal(props.get("TableName"))
    )
    if kind == "AWS::Serverless::SimpleTable":
        primary = props.get("PrimaryKey") or {}
        table.key = str(primary.get("Name", "id"))
        if str(primary.get("Type", "String")) != "String":
            imported.note(
                "",
                "change",
                f"{logical_id}: key {table.key!r} is a number; polyfn "
                "keys are strings, so convert it where items are written and read",
            )
        return table
    schema = props.get("KeySchema") or []
    types = {
        d.get("AttributeName"): d.get("AttributeType")
        for d in props.get("AttributeDefinitions") or []
        if isinstance(d, Mapping)
    }
    hash_keys = [
        k.get("AttributeName")
        for k in schema
        if isinstance(k, Mapping) and k.get("KeyType") == "HASH"
    ]
    range_keys = [
        k.get("AttributeName")
        for k in schema
        if isinstance(k, Mapping) and k.get("KeyType") == "RANGE"
    ]
    if hash_keys and isinstance(hash_keys[0], str) and hash_keys[0].isidentifier():
        table.key = hash_keys[0]
    if range_keys and isinstance(range_keys[0], str) and range_keys[0].isidentifier():
        table.sort = range_keys[0]
    for attribute in (table.key, table.sort):
        if attribute is not None and types.get(attribute, "S") != "S":
            imported.note(
                "",
                "change",
                f"{logical_id}: key {attribute!r} has type "
                f"{types.get(attribute)}; polyfn keys are strings (zero-pad numbers so "
                "that they sort)",
            )
    import_indexes(imported, logical_id, table, props, types)
    stream = props.get("StreamSpecification")
    if isinstance(stream, Mapping):
        view = stream.get("StreamViewType")
        wider = (
            f" (it shows {view}; polyfn's feed carries both images, a superset)"
            if view not in (None, "NEW_AND_OLD_IMAGES")
            else ""
        )
        imported.note(
            "",
            "info",
            f"{logical_id} has a DynamoDB stream: a function reading it becomes "
            f"@app.on_change on table {table.name!r}{wider}; Azure Table Storage has no "
            "change feed",
        )
    return table


def _index_name(name: str) -> str:
    """A polyfn index name ([a-z][a-z0-9_]{2,63}) from a DynamoDB one (``EmailIndex``)."""
    words = "_".join(_words(name)) or "index"
    if not words[0].isalpha():
        words = "ix_" + words
    return (words + "_ix")[:64] if len(words) < 3 else words[:64]


def import_indexes(
    imported: ImportedApp,
    logical_id: str,
    table: TableResource,
    props: Mapping[str, Any],
    types: Mapping[Any, Any],
) -> None:
    """A table's GSIs and LSIs as polyfn indexes, with what each becomes on every cloud."""
    for kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        for spec in props.get(kind) or []:
            if not isinstance(spec, Mapping) or not isinstance(spec.get("IndexName"), str):
                continue
            keys = {
                k.get("KeyType"): k.get("AttributeName")
                for k in spec.get("KeySchema") or []
                if isinstance(k, Mapping)
            }
            partition, sort = keys.get("HASH"), keys.get("RANGE")
            if not isinstance(partition, str) or not partition.isidentifier():
                imported.note(
                    "", "change", f"{logical_id} index {spec['IndexName']}: no usable HASH key"
                )
                continue
            if sort is not None and (not isinstance(sort, str) or not sort.isidentifier()):
                sort = None
            name = _index_name(spec["IndexName"])
            table.indexes[name] = (partition, sort)
            _index_notes(imported, logical_id, table, kind, spec, name, partition, sort, types)


def _index_notes(
    imported: ImportedApp,
    logical_id: str,
    table: TableResource,
    kind: str,
    spec: Mapping[str, Any],
    name: str,
    partition: str,
    sort: str | None,
    types: Mapping[Any, Any],
) -> None:
    original = spec["IndexName"]
    shown = partition if sort is None else f"{partition} + {sort}"
    for attribute in (partition, sort):
        if attribute is not None and types.get(attribute, "S") != "S":
            imported.note(
                "",
                "change",
                f"{logical_id} index {original}: {attribute!r} has type "
                f"{types.get(attribute)}; polyfn index keys are strings",
            )
    projection = (spec.get("Projection") or {}).get("ProjectionType", "ALL")
    if projection != "ALL":
        imported.note(
            "",
            "info",
            f"{logical_id} index {original} projects {projection}: polyfn indexes return "
            "whole items (projection ALL), which costs more GSI storage and write units",
        )
    if kind == "LocalSecondaryIndexes":
        imported.note(
            "",
            "info",
            f"{logical_id} local index {original} becomes the polyfn index {name!r} "
            f"({shown}); polyfn declares every index as a global one, so reads through it "
            "are eventually consistent on DynamoDB",
        )
    imported.note(
        "",
        "info",
        f"{logical_id} index {original} becomes query(..., index={name!r}) on ({shown}). "
        "AWS: a GSI with its own write units (every write that changes an indexed "
        "attribute writes the GSI too). Azure: Table Storage has no secondary indexes, so "
        f"polyfn keeps index entities in {table.name!r}'s companion table: each such write "
        "is doubled (an upsert, and a delete when the value changes), the index is updated "
        "just after the item and can briefly lag it, and reads through it check the item. "
        "Google Cloud: a Firestore field query"
        + (
            " with composite indexes (ascending and descending) that deploy.sh creates; "
            if sort is not None
            else " served by the automatic single-field index; "
        )
        + "every document write also writes its index entries (billed as storage, not "
        "extra operations). Local: a SQLite index.",
    )


_EB_CRON = re.compile(r"^cron\((.+)\)$")
_EB_DOW = {
    str(i + 1): name for i, name in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])
}


def eventbridge_to_portable(expression: str) -> str:
    """``rate(...)`` as is; ``cron(m h dom mon dow year)`` as polyfn's 5-field unix cron.

    Raises ``ConfigError`` for what unix cron cannot say (L, W, #, a restricted year).
    """
    text = expression.strip()
    match = _EB_CRON.match(text)
    if match is None:
        parse_schedule(text)  # rate(...) is shared; anything else fails with a clear error
        return text
    fields = match.group(1).split()
    if len(fields) != 6:
        raise ConfigError(f"{text!r}: an EventBridge cron has 6 fields, this one {len(fields)}")
    minute, hour, dom, month, dow, year = fields
    elsewhere = (
        "cannot be expressed on Azure (NCRONTAB timer) or Google Cloud (Cloud Scheduler's "
        "unix cron), nor in polyfn's portable schedule; only EventBridge runs it as written"
    )
    if year not in ("*", "?"):
        raise ConfigError(f"{text!r}: a schedule limited to year {year} {elsewhere}")
    for field_text in (dom, dow):
        marks = [m for m in ("L", "W", "#") if m in field_text]
        if marks:
            meaning = {"L": "last", "W": "nearest weekday", "#": "nth weekday"}
            what = " / ".join(meaning[m] for m in marks)
            raise ConfigError(
                f"{text!r}: {field_text!r} ({what} of the month) {elsewhere}; "
                "run daily and check the date in the handler"
            )
    dom = "*" if dom == "?" else dom
    # EventBridge counts weekdays 1-7 from Sunday; names are the same in both.
    dow = "*" if dow == "?" else re.sub(r"\b[1-7]\b", lambda m: _EB_DOW[m.group(0)], dow)
    portable = f"{minute} {hour} {dom} {month} {dow}"
    parse_schedule(portable)
    return portable
