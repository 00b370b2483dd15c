"""``polyfn deploy preview``: what a build would create on a cloud, without writing anything.

The description is built from the same model and naming the artifacts use, so the plan
and the template cannot disagree. ``describe`` returns plain data (also printed as JSON);
``render`` turns it into the text the command prints.
"""

from __future__ import annotations

from typing import Any

from polyfn.core.functions import (
    ChangeTrigger,
    EventTrigger,
    HttpTrigger,
    MessageTrigger,
    ObjectTrigger,
    ScheduleTrigger,
    TaskTrigger,
)
from polyfn.deploy import naming
from polyfn.deploy.aws_sam import statements_for
from polyfn.deploy.azure_roles import data_grants, host_grants
from polyfn.deploy.limits_data import LIMITS
from polyfn.deploy.model import DeployFunction, DeployModel, schedule_expression

__all__ = ["describe", "render"]

_RESOURCE_TYPES = {
    "aws": {
        "bucket": "S3 bucket",
        "queue": "SQS queue",
        "table": "DynamoDB table",
        "event_bus": "EventBridge custom event bus",
    },
    "azure": {
        "bucket": "Blob container",
        "queue": "Storage queue",
        "table": "Storage table",
        "event_bus": "Event Grid custom topic (CloudEvents 1.0 schema)",
    },
    "gcp": {
        "bucket": "Cloud Storage bucket",
        "queue": "Pub/Sub topic",
        "table": "Firestore collection",
        "event_bus": "Pub/Sub topic carrying CloudEvents (ce- attributes)",
    },
}
_FUNCTION_NAMES = {
    "aws": naming.aws_function_name,
    "azure": lambda app, stage, fn: fn.name,
    "gcp": naming.gcp_function_name,
}


def describe(
    model: DeployModel, cloud: str, findings: list[Any], plan: str | None = None
) -> dict[str, Any]:
    app, stage = model.app, model.stage
    functions = [
        {
            "name": f.name,
            "deployed_as": _FUNCTION_NAMES[cloud](app, stage, f.fn),
            "trigger": _trigger(model, f, cloud),
            "memory_mb": f.memory,
            "timeout_s": f.timeout,
        }
        for f in model.functions
    ]
    resources = []
    for kind in ("bucket", "queue", "table", "event_bus"):
        for resource in app.registry_of(kind).values():
            entry = {
                "kind": kind,
                "name": resource.name,
                "type": _RESOURCE_TYPES[cloud][kind],
                "physical": _physical(model, cloud, kind, resource),
            }
            if kind == "queue":
                entry["dead_letter"] = _dead_letter(cloud, resource.max_receives)
            resources.append(entry)
    return {
        "app": app.name,
        "cloud": cloud,
        "stage": stage,
        "plan": plan,
        "functions": functions,
        "resources": resources,
        "permissions": _permissions(model, cloud),
        "findings": [
            {
                "level": f.level,
                "function": f.function,
                "limit": f.limit,
                "message": f.message,
                "source": f.source,
            }
            for f in findings
        ],
    }


def _physical(model: DeployModel, cloud: str, kind: str, resource: Any) -> str:
    app, stage = model.app, model.stage
    adopted = resource.existing_on(stage, cloud)
    if adopted is not None:
        return f"{adopted} (existing, adopted: not created)"
    if kind == "event_bus":
        name = naming.event_bus_name(app, stage, resource.name)
        # Event Grid topic names are <function app>-<bus>; the app name is known at deploy.
        return f"<function app>-{resource.name}" if cloud == "azure" else name
    if cloud == "aws":
        if kind == "bucket":
            return naming.aws_bucket_name(app, stage, resource)
        return "named by CloudFormation (see the stack outputs)"
    if cloud == "azure":
        return naming.azure_physical_name(resource)
    if kind == "bucket":
        return naming.gcp_bucket_name(app, stage, resource)
    return naming.gcp_physical_name(app, stage, resource)


def _dead_letter(cloud: str, max_receives: int) -> str:
    if cloud == "aws":
        return f"SQS dead-letter queue after {max_receives} receives"
    if cloud == "azure":
        return f"<queue>-poison after {max_receives} dequeues (host.json maxDequeueCount)"
    attempts = LIMITS["gcp"]["pubsub_max_delivery_attempts"]
    count = min(max(max_receives, attempts["min"]), attempts["max"])
    return f"dead-letter topic after {count} delivery attempts"


def _trigger(model: DeployModel, function: DeployFunction, cloud: str) -> str:
    trigger = function.fn.trigger
    if isinstance(trigger, HttpTrigger):
        methods = ",".join(trigger.methods)
        if cloud == "aws":
            return f"API Gateway HTTP API {methods} {trigger.path}"
        if cloud == "azure":
            return f"HTTP trigger {methods} api/{trigger.template.format('azure')}"
        return f"HTTPS function ({methods} {trigger.path} routed by polyfn)"
    if isinstance(trigger, ObjectTrigger):
        where = f"{trigger.bucket.name} {trigger.prefix}*{trigger.suffix}"
        if cloud == "aws":
            event = "ObjectCreated" if trigger.action == "created" else "ObjectRemoved"
            return f"S3 s3:{event}:* on {where}"
        if cloud == "azure":
            if trigger.action == "created":
                return f"Blob trigger on {where}"
            return f"Event Grid BlobDeleted on {where}"
        event = "finalized" if trigger.action == "created" else "deleted"
        return f"Eventarc storage object {event} on {where}"
    if isinstance(trigger, MessageTrigger):
        queue = trigger.queue.name
        if cloud == "aws":
            return f"SQS {queue}, batches of {trigger.batch_size}, partial batch failures"
        if cloud == "azure":
            return f"Queue trigger {queue}, one message per invocation"
        return f"Pub/Sub push from {queue}, one message per invocation, retried"
    if isinstance(trigger, ChangeTrigger):
        table = trigger.table.name
        return {
            "aws": f"DynamoDB stream of {table}, batches of {trigger.batch_size}, partial "
            f"batch failures, {trigger.retries} retries, then the failures queue",
            "azure": f"none: Azure Table Storage has no change feed ({table})",
            "gcp": f"Eventarc Firestore document written in {table}, one per invocation, retried",
        }[cloud]
    if isinstance(trigger, ScheduleTrigger):
        dialect = {"aws": "eventbridge", "azure": "ncrontab", "gcp": "unix"}[cloud]
        label = {"aws": "EventBridge", "azure": "Timer", "gcp": "Cloud Scheduler"}[cloud]
        return f"{label} {schedule_expression(function.fn, dialect)} (UTC)"
    if isinstance(trigger, TaskTrigger):
        return {
            "aws": f"Task state of Step Functions state machine {trigger.workflow}",
            "azure": f"activity of Durable Functions orchestration {trigger.workflow}",
            "gcp": f"private HTTPS function called by Cloud Workflows workflow {trigger.workflow}",
        }[cloud]
    assert isinstance(trigger, EventTrigger)
    what = f"source={trigger.source or '*'} type={trigger.type or '*'}"
    if trigger.bus is not None:
        bus = trigger.bus.name
        return {
            "aws": f"EventBridge rule on bus {bus}, {what}",
            "azure": f"Event Grid subscription on topic {bus} (CloudEvents), {what}",
            "gcp": f"Eventarc Pub/Sub trigger on topic {bus}, every event; {what} "
            "applied by the function",
        }[cloud]
    return {"aws": "EventBridge rule", "azure": "Event Grid topic", "gcp": "Eventarc"}[
        cloud
    ] + f" {what}"


def _permissions(model: DeployModel, cloud: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for function in model.functions:
        if cloud == "aws":
            grants = [
                f"{', '.join(s['Action'])} on {_resource_label(s['Resource'])}"
                for s in statements_for(model, function)
            ]
        else:
            grants = [
                f"{'/'.join(sorted(accesses))} on {kind} {name}"
                for (kind, name), accesses in sorted(function.usage.accesses.items())
            ]
        out.append({"function": function.name, "grants": grants})
    if cloud == "azure":
        # Azure grants to the Function App's one managed identity, not to each function:
        # the roles are the union of the functions' uses, each on one resource.
        out.append(
            {
                "function": "* (the Function App's managed identity)",
                "grants": [
                    f"{g.role} on {'the host storage account' if g.service == 'account' else ''}"
                    f"{'' if g.service == 'account' else g.service[:-1] + ' ' + g.name}"
                    for g in host_grants(model) + data_grants(model)
                ],
            }
        )
    return out


def _resource_label(resource: Any) -> str:
    if isinstance(resource, dict) and "Fn::Sub" in resource:
        return str(resource["Fn::Sub"])
    if isinstance(resource, dict) and "Fn::GetAtt" in resource:
        return f"{resource['Fn::GetAtt'][0]}.Arn"
    return str(resource)


def render(plan: dict[str, Any]) -> str:
    lines = [f"polyfn deploy preview: {plan['app']} -> {plan['cloud']} (stage {plan['stage']})", ""]
    lines.append(f"Functions ({len(plan['functions'])})")
    for f in plan["functions"]:
        lines.append(
            f"  {f['name']}  [{f['deployed_as']}]  {f['memory_mb']} MB, {f['timeout_s']} s"
        )
        lines.append(f"      {f['trigger']}")
    lines += ["", f"Resources ({len(plan['resources'])})"]
    for r in plan["resources"]:
        extra = f"; {r['dead_letter']}" if "dead_letter" in r else ""
        lines.append(f"  {r['kind']} {r['name']}: {r['type']} {r['physical']}{extra}")
    lines += ["", "Permissions"]
    for p in plan["permissions"]:
        grants = "; ".join(p["grants"]) or "none"
        lines.append(f"  {p['function']}: {grants}")
    if plan["findings"]:
        lines += ["", "Limits"]
        for finding in plan["findings"]:
            who = finding["function"] or "app"
            lines.append(f"  {finding['level']} {who}: {finding['message']}")
    return "\n".join(lines) + "\n"
