"""The AWS translation: a SAM template with one Lambda function per polyfn function.

Each function runs the same code bundle (``polyfn_entry.handler``) pinned to itself with
``POLYFN_FUNCTION``; its triggers become SAM events (HttpApi routes, S3 notifications on a
bucket the template owns, SQS with partial batch failures, EventBridge schedules and
rules), and its role gets exactly the actions its code needs on exactly the resources it
touches (``usage``). HTTP paths no route matches go to one small extra function, so that
unknown paths and wrong methods still answer polyfn's 404 and 405 rather than API
Gateway's own.

Intrinsics are written in their long form (``{"Ref": ...}``) so the template is plain YAML.
"""

from __future__ import annotations

import re
from typing import Any

from polyfn.core.errors import ConfigError
from polyfn.core.functions import (
    EventTrigger,
    HttpTrigger,
    MessageTrigger,
    ObjectTrigger,
    ScheduleTrigger,
)
from polyfn.core.resources import binding_variable
from polyfn.deploy import aws_auth
from polyfn.deploy.model import DeployFunction, DeployModel, schedule_expression
from polyfn.deploy.naming import (
    aws_bucket_name,
    aws_fallback_function_name,
    aws_function_name,
    aws_logical_id,
    event_bus_name,
)

__all__ = [
    "ENTRY_HANDLER",
    "FALLBACK_ID",
    "RUNTIME",
    "sam_template",
    "statements_for",
]

RUNTIME = "python3.12"
ENTRY_HANDLER = "polyfn_entry.handler"
FALLBACK_ID = "PolyfnHttpFallbackFunction"
# Two weeks, SQS's longest retention: time for a person to look at a dead letter.
DEAD_LETTER_RETENTION_S = 14 * 24 * 3600

# The IAM actions behind each access usage.py reports.
_S3_ACTIONS = {
    "read": ["s3:GetObject"],
    "list": ["s3:ListBucket"],
    "write": ["s3:PutObject"],
    "delete": ["s3:DeleteObject"],
}
_DYNAMODB_ACTIONS = {
    "read": ["dynamodb:GetItem"],
    "list": ["dynamodb:Query", "dynamodb:Scan"],
    "write": ["dynamodb:PutItem", "dynamodb:UpdateItem"],
    "delete": ["dynamodb:DeleteItem"],
}
_SQS_ACTIONS = {"send": ["sqs:SendMessage", "sqs:GetQueueUrl"]}
_EVENTS_ACTIONS = {"publish": ["events:PutEvents"]}


def _ref(logical_id: str) -> dict[str, Any]:
    return {"Ref": logical_id}


def _get_att(logical_id: str, attribute: str) -> dict[str, Any]:
    return {"Fn::GetAtt": [logical_id, attribute]}


def _sub(text: str) -> dict[str, Any]:
    return {"Fn::Sub": text}


def sam_template(
    model: DeployModel, *, arch: str = "arm64", code_uri: str = "bundle.zip"
) -> dict[str, Any]:
    """The SAM template (a dict) for ``model``; write it with ``yaml_text.dump_yaml``."""
    resources: dict[str, Any] = {}
    resources.update(_buckets(model))
    resources.update(_queues(model))
    resources.update(_tables(model))
    resources.update(_event_buses(model))
    for function in model.functions:
        resources[aws_logical_id("function", function.name)] = _function(model, function)
    if model.of_kind("http"):
        resources[FALLBACK_ID] = _fallback_function(model)
    _check_unique_ids(model, resources)
    authorizer_functions = aws_auth.authorizer_functions(model.app, model.stage)
    if set(authorizer_functions) & set(resources):
        raise ConfigError("an authorizer and a function map to the same logical id; rename one")
    resources.update(authorizer_functions)
    globals_: dict[str, Any] = {
        "Function": {
            "Runtime": RUNTIME,
            "Architectures": [arch],
            "CodeUri": code_uri,
            "Handler": ENTRY_HANDLER,
        }
    }
    if any(
        isinstance(f.fn.trigger, HttpTrigger) and f.fn.trigger.auth == "function"
        for f in model.functions
    ):
        # auth="function" routes are signed with IAM (SigV4); the API must offer it.
        globals_["HttpApi"] = {"Auth": {"EnableIamAuthorizer": True}}
    authorizers = aws_auth.http_api_authorizers(model.app)
    if authorizers:
        auth = globals_.setdefault("HttpApi", {}).setdefault("Auth", {})
        auth["Authorizers"] = authorizers
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Transform": "AWS::Serverless-2016-10-31",
        "Description": f"polyfn app {model.app.name}, stage {model.stage} (by polyfn deploy)",
        "Globals": globals_,
        "Resources": resources,
        "Outputs": _outputs(model),
    }


# ----------------------------------------------------------------------------- resources


def _buckets(model: DeployModel) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in model.buckets:
        bucket = model.app.buckets[name]
        out[aws_logical_id("bucket", name)] = {
            "Type": "AWS::S3::Bucket",
            # Data outlives a stack update or deletion; remove a bucket by hand on purpose.
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "BucketName": _sub(aws_bucket_name(model.app, model.stage, bucket)),
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": True,
                    "BlockPublicPolicy": True,
                    "IgnorePublicAcls": True,
                    "RestrictPublicBuckets": True,
                },
            },
        }
    return out


def _queues(model: DeployModel) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in model.queues:
        queue = model.app.queues[name]
        dlq_id = aws_logical_id("dlq", name)
        out[aws_logical_id("queue", name)] = {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "VisibilityTimeout": queue.visibility_timeout,
                "RedrivePolicy": {
                    "deadLetterTargetArn": _get_att(dlq_id, "Arn"),
                    "maxReceiveCount": queue.max_receives,
                },
            },
        }
        out[dlq_id] = {
            "Type": "AWS::SQS::Queue",
            "Properties": {"MessageRetentionPeriod": DEAD_LETTER_RETENTION_S},
        }
    return out


def _tables(model: DeployModel) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in model.tables:
        table = model.app.tables[name]
        out[aws_logical_id("table", name)] = {
            "Type": "AWS::DynamoDB::Table",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": table.key, "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": table.key, "KeyType": "HASH"}],
            },
        }
    return out


def _event_buses(model: DeployModel) -> dict[str, Any]:
    # A custom bus per app.event_bus: its rules (one per subscribed function, below) see
    # only what the app publishes there, never the account's default-bus traffic.
    return {
        aws_logical_id("event_bus", name): {
            "Type": "AWS::Events::EventBus",
            "Properties": {"Name": event_bus_name(model.app, model.stage, name)},
        }
        for name in model.event_buses
    }


# ----------------------------------------------------------------------------- functions


def _binding_value(model: DeployModel, kind: str, name: str) -> Any:
    if kind == "bucket":
        return _sub(aws_bucket_name(model.app, model.stage, model.app.buckets[name]))
    if kind == "queue":
        return _get_att(aws_logical_id("queue", name), "QueueName")
    if kind == "event_bus":
        return _ref(aws_logical_id("event_bus", name))  # Ref of an EventBus is its name
    return _ref(aws_logical_id("table", name))


def _trigger_resource(function: DeployFunction) -> tuple[str, str] | None:
    trigger = function.fn.trigger
    if isinstance(trigger, ObjectTrigger):
        return ("bucket", trigger.bucket.name)
    if isinstance(trigger, MessageTrigger):
        return ("queue", trigger.queue.name)
    return None


def _function(model: DeployModel, function: DeployFunction) -> dict[str, Any]:
    fn = function.fn
    variables: dict[str, Any] = {"POLYFN_FUNCTION": fn.name, **aws_auth.front_setting(fn)}
    bound = set(function.usage.accesses)
    trigger_resource = _trigger_resource(function)
    if trigger_resource is not None:
        bound.add(trigger_resource)  # lets the adapter map the event's physical name back
    for kind, name in sorted(bound):
        variables[binding_variable(kind, name)] = _binding_value(model, kind, name)
    properties: dict[str, Any] = {
        "FunctionName": aws_function_name(model.app, model.stage, fn),
        "Description": f"polyfn {model.app.name}.{fn.name}: {fn.trigger.describe()}",
        "MemorySize": function.memory,
        "Timeout": function.timeout,
        "Environment": {"Variables": variables},
        "Events": _events(model, function),
    }
    statements = statements_for(model, function)
    if statements:
        properties["Policies"] = [{"Version": "2012-10-17", "Statement": statements}]
    options = fn.options
    if options.reserved_concurrency is not None:
        properties["ReservedConcurrentExecutions"] = options.reserved_concurrency
    if options.provisioned_concurrency:
        # Provisioned concurrency applies to a version or alias, never to $LATEST.
        properties["AutoPublishAlias"] = "live"
        properties["ProvisionedConcurrencyConfig"] = {
            "ProvisionedConcurrentExecutions": options.provisioned_concurrency
        }
    return {"Type": "AWS::Serverless::Function", "Properties": properties}


def _fallback_function(model: DeployModel) -> dict[str, Any]:
    # Runs only for method/path pairs no route has: polyfn's router answers 404, 405 with
    # Allow, or a CORS preflight. It touches no resource, so it has no policy.
    return {
        "Type": "AWS::Serverless::Function",
        "Properties": {
            "FunctionName": aws_fallback_function_name(model.app, model.stage),
            "Description": f"polyfn {model.app.name}: 404/405/CORS for paths no route has",
            "MemorySize": 256,
            "Timeout": 10,
            "Events": {"Fallback": {"Type": "HttpApi"}},
        },
    }


def _event_name(method: str, path: str) -> str:
    words = re.findall(r"[A-Za-z0-9]+", path)
    return method.capitalize() + ("".join(w[:1].upper() + w[1:] for w in words) or "Root")


def _events(model: DeployModel, function: DeployFunction) -> dict[str, Any]:
    trigger = function.fn.trigger
    if isinstance(trigger, HttpTrigger):
        events: dict[str, Any] = {}
        methods = list(trigger.methods)
        if "GET" in methods and "HEAD" not in methods:
            methods.append("HEAD")  # polyfn answers HEAD with the GET handler
        for method in methods:
            properties: dict[str, Any] = {"Path": trigger.path, "Method": method}
            if trigger.auth == "function":
                properties["Auth"] = {"Authorizer": "AWS_IAM"}
            route_auth = aws_auth.route_auth(model.app, trigger)
            if route_auth is not None:
                properties["Auth"] = route_auth
            events[_event_name(method, trigger.path)] = {
                "Type": "HttpApi",
                "Properties": properties,
            }
        return events
    if isinstance(trigger, ObjectTrigger):
        rules = [
            {"Name": name, "Value": value}
            for name, value in (("prefix", trigger.prefix), ("suffix", trigger.suffix))
            if value
        ]
        properties = {
            "Bucket": _ref(aws_logical_id("bucket", trigger.bucket.name)),
            "Events": "s3:ObjectCreated:*" if trigger.action == "created" else "s3:ObjectRemoved:*",
        }
        if rules:
            properties["Filter"] = {"S3Key": {"Rules": rules}}
        return {"Object" + trigger.action.capitalize(): {"Type": "S3", "Properties": properties}}
    if isinstance(trigger, MessageTrigger):
        properties = {
            "Queue": _get_att(aws_logical_id("queue", trigger.queue.name), "Arn"),
            "BatchSize": trigger.batch_size,
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
        }
        if trigger.batch_size > 10:
            # SQS sends batches over 10 only with a batching window (limits warns about it).
            properties["MaximumBatchingWindowInSeconds"] = 1
        return {"Messages": {"Type": "SQS", "Properties": properties}}
    if isinstance(trigger, ScheduleTrigger):
        expression = schedule_expression(function.fn, "eventbridge")
        return {"Tick": {"Type": "Schedule", "Properties": {"Schedule": expression}}}
    if isinstance(trigger, EventTrigger):
        rule: dict[str, Any] = {"Pattern": _pattern(trigger)}
        if trigger.bus is not None:
            rule["EventBusName"] = _ref(aws_logical_id("event_bus", trigger.bus.name))
        return {"Event": {"Type": "EventBridgeRule", "Properties": rule}}
    raise ConfigError(f"function {function.name!r}: no AWS event for trigger {trigger.kind!r}")


def _pattern_value(value: str) -> list[Any]:
    if value.endswith("*"):
        return [{"prefix": value[:-1]}]
    return [value]


def _pattern(trigger: EventTrigger) -> dict[str, Any]:
    pattern: dict[str, Any] = {}
    if trigger.source not in (None, "*"):
        pattern["source"] = _pattern_value(trigger.source)
    if trigger.type not in (None, "*"):
        pattern["detail-type"] = _pattern_value(trigger.type)
    # A rule needs one field at least; an empty prefix matches every event.
    return pattern or {"source": [{"prefix": ""}]}


# ----------------------------------------------------------------------------- permissions


def statements_for(model: DeployModel, function: DeployFunction) -> list[dict[str, Any]]:
    """IAM statements granting exactly the access ``function``'s code needs."""
    statements: list[dict[str, Any]] = []
    for (kind, name), accesses in sorted(function.usage.accesses.items()):
        if kind == "bucket":
            bucket_arn = _sub(
                "arn:${AWS::Partition}:s3:::"
                + aws_bucket_name(model.app, model.stage, model.app.buckets[name])
            )
            objects_arn = _sub(bucket_arn["Fn::Sub"] + "/*")
            object_actions = sorted(
                a for access in accesses if access != "list" for a in _S3_ACTIONS[access]
            )
            if object_actions:
                statements.append(_allow(object_actions, objects_arn))
            # Reading needs ListBucket too: without it S3 answers a missing key with 403,
            # not 404, and polyfn could not tell "not found" from "not allowed".
            if accesses & {"list", "read"}:
                statements.append(_allow(["s3:ListBucket"], bucket_arn))
        elif kind == "table":
            actions = sorted(a for access in accesses for a in _DYNAMODB_ACTIONS[access])
            statements.append(_allow(actions, _get_att(aws_logical_id("table", name), "Arn")))
        elif kind == "event_bus":
            actions = sorted(a for access in accesses for a in _EVENTS_ACTIONS[access])
            statements.append(_allow(actions, _get_att(aws_logical_id("event_bus", name), "Arn")))
        else:
            actions = sorted(a for access in accesses for a in _SQS_ACTIONS[access])
            statements.append(_allow(actions, _get_att(aws_logical_id("queue", name), "Arn")))
    return statements


def _allow(actions: list[str], resource: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": resource}


# ----------------------------------------------------------------------------- outputs


def _outputs(model: DeployModel) -> dict[str, Any]:
    outputs: dict[str, Any] = {}
    if model.of_kind("http"):
        outputs["HttpApiUrl"] = {
            "Description": "Base URL of the app's HTTP routes",
            "Value": _sub(
                "https://${ServerlessHttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/"
            ),
        }
    for name in model.buckets:
        outputs[aws_logical_id("bucket", name) + "Name"] = {
            "Value": _ref(aws_logical_id("bucket", name))
        }
    for name in model.queues:
        outputs[aws_logical_id("queue", name) + "Url"] = {
            "Value": _ref(aws_logical_id("queue", name))
        }
        outputs[aws_logical_id("dlq", name) + "Url"] = {"Value": _ref(aws_logical_id("dlq", name))}
    for name in model.tables:
        outputs[aws_logical_id("table", name) + "Name"] = {
            "Value": _ref(aws_logical_id("table", name))
        }
    return outputs


def _check_unique_ids(model: DeployModel, resources: dict[str, Any]) -> None:
    expected = len(model.buckets) + 2 * len(model.queues) + len(model.tables) + len(model.functions)
    expected += len(model.event_buses)
    expected += 1 if model.of_kind("http") else 0
    if len(resources) != expected:
        raise ConfigError(
            "two functions or resources map to the same CloudFormation logical id (names that "
            "differ only in case or punctuation, like get_user and getUser); rename one"
        )
