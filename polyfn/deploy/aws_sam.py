"""The AWS translation: a SAM template with one Lambda function per polyfn function.

Each function runs the same code bundle (``polyfn_entry.handler``) pinned to itself with
``POLYFN_FUNCTION``; its triggers become SAM events (HttpApi routes, S3 notifications on a
bucket the template owns, SQS with partial batch failures, EventBridge schedules and
rules), and its role gets exactly the actions its code needs on exactly the resources it
touches (``usage``). Each workflow is a Step Functions state machine (Standard) whose
definition ``workflow_asl`` writes; its task functions have no event of their own (the
state machine invokes them), and its role may invoke those functions only. HTTP paths no
route matches go to one small extra function, so that unknown paths and wrong methods
still answer polyfn's 404 and 405 rather than API Gateway's own.

Intrinsics are written in their long form (``{"Ref": ...}``) so the template is plain YAML.
"""

from __future__ import annotations

import re
from typing import Any

from polyfn.adapters.aws.backends import STREAM_VIEW
from polyfn.core.errors import ConfigError
from polyfn.core.functions import (
    ChangeTrigger,
    EventTrigger,
    HttpTrigger,
    MessageTrigger,
    ObjectTrigger,
    ScheduleTrigger,
    TaskTrigger,
)
from polyfn.core.idempotency import ttl_attribute
from polyfn.core.resources import binding_variable
from polyfn.deploy import aws_auth, aws_rest
from polyfn.deploy.existing import AwsExisting, aws_existing
from polyfn.deploy.front_door import (
    aws_cors_configuration,
    aws_throttling,
    aws_throttling_parameters,
)
from polyfn.deploy.model import DeployFunction, DeployModel, schedule_expression
from polyfn.deploy.naming import (
    aws_bucket_name,
    aws_fallback_function_name,
    aws_function_name,
    aws_logical_id,
    aws_state_machine_name,
    event_bus_name,
)
from polyfn.deploy.observability import DEFAULT_LOG_RETENTION_DAYS, sam_observability
from polyfn.deploy.table_indexes import dynamodb_key_properties
from polyfn.deploy.workflow_asl import to_asl

__all__ = [
    "ALIAS",
    "ENTRY_HANDLER",
    "FALLBACK_ID",
    "GRADUAL_DEPLOYMENTS",
    "RUNTIME",
    "is_asynchronous",
    "sam_template",
    "statements_for",
]

RUNTIME = "python3.12"
ENTRY_HANDLER = "polyfn_entry.handler"
FALLBACK_ID = "PolyfnHttpFallbackFunction"
# Two weeks, SQS's longest retention: time for a person to look at a dead letter.
DEAD_LETTER_RETENTION_S = 14 * 24 * 3600
# Every function publishes a version on each deploy and its triggers call this alias, so a
# bad release can be rolled back, provisioned concurrency has a target, and a gradual
# deployment has something to shift traffic between.
ALIAS = "live"
# CodeDeploy's predefined Lambda configurations SAM's DeploymentPreference takes
# (docs.aws.amazon.com/serverless-application-model/latest/developerguide/
# automating-updates-to-serverless-apps.html, read 2026-12).
GRADUAL_DEPLOYMENTS = (
    "Canary10Percent5Minutes", "Canary10Percent10Minutes", "Canary10Percent15Minutes",
    "Canary10Percent30Minutes", "Linear10PercentEvery1Minute",
    "Linear10PercentEvery2Minutes", "Linear10PercentEvery3Minutes",
    "Linear10PercentEvery10Minutes", "AllAtOnce",
)  # fmt: skip
# Lambda retries an asynchronous invocation twice, then hands the event to the on-failure
# destination ("Configuring error handling for asynchronous invocation", Lambda developer
# guide, read 2026-12); written out so the template says what happens.
ASYNC_RETRIES = 2
# SQS event source ScalingConfig.MaximumConcurrency: 2 to 1000 (Lambda developer guide,
# "Configuring maximum concurrency for Amazon SQS event sources", read 2026-12).
SQS_MAX_CONCURRENCY = (2, 1000)
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
    "batch_read": ["dynamodb:BatchGetItem"],
    "batch_write": ["dynamodb:BatchWriteItem"],
}
_SQS_ACTIONS = {"send": ["sqs:SendMessage", "sqs:GetQueueUrl"]}
_EVENTS_ACTIONS = {"publish": ["events:PutEvents"]}
# Starting reads back an execution whose name was used before (StepFunctionsWorkflow.start).
_STATES_EXECUTION_ACTIONS = {
    "start": ["states:DescribeExecution", "states:GetExecutionHistory"],
    "describe": ["states:DescribeExecution", "states:GetExecutionHistory"],
}


def _ref(logical_id: str) -> dict[str, Any]:
    return {"Ref": logical_id}


def _get_att(logical_id: str, attribute: str) -> dict[str, Any]:
    return {"Fn::GetAtt": [logical_id, attribute]}


def _sub(text: str) -> dict[str, Any]:
    return {"Fn::Sub": text}


def has_failure_queue(function: DeployFunction) -> bool:
    """Whether the function's failed inputs go to a queue of their own (``<Fn>Failures``):
    an asynchronous invocation's, or the stream records a change handler failed on past
    its retries (the event source mapping's on-failure destination gets their batch's
    description: shard, sequence numbers, to read them again within 24 hours)."""
    return is_asynchronous(function) or isinstance(function.fn.trigger, ChangeTrigger)


_REGISTRIES = {
    "bucket": "buckets",
    "queue": "queues",
    "table": "tables",
    "event_bus": "event_buses",
}


def _adopted(model: DeployModel, kind: str, name: str) -> AwsExisting | None:
    """The existing resource this stage adopts for ``kind``/``name`` (deploy.existing)."""
    registry = getattr(model.app, _REGISTRIES[kind])
    return aws_existing(registry[name], model.stage)


def _created(model: DeployModel, kind: str) -> list[str]:
    """The names of ``kind`` this stack creates: every declared one not adopted."""
    names: list[str] = getattr(model, _REGISTRIES[kind])
    return [name for name in names if _adopted(model, kind, name) is None]


def _arn(model: DeployModel, kind: str, name: str) -> Any:
    adopted = _adopted(model, kind, name)
    if adopted is not None:
        return adopted.arn
    return _get_att(aws_logical_id(kind, name), "Arn")


def is_asynchronous(function: DeployFunction) -> bool:
    """S3 notifications, EventBridge rules and schedules invoke Lambda asynchronously: a
    failure is retried by Lambda, then lost unless an on-failure destination takes it."""
    return isinstance(function.fn.trigger, (ObjectTrigger, ScheduleTrigger, EventTrigger))


def sam_template(
    model: DeployModel,
    *,
    arch: str = "arm64",
    code_uri: str = "bundle.zip",
    gradual: str | None = None,
    log_retention_days: int = DEFAULT_LOG_RETENTION_DAYS,
    api: str = "http",
    api_keys: bool = False,
) -> dict[str, Any]:
    """The SAM template (a dict) for ``model``; write it with ``yaml_text.dump_yaml``.

    ``gradual`` names a CodeDeploy configuration (``GRADUAL_DEPLOYMENTS``): each function's
    new version then takes traffic step by step through the ``live`` alias. ``api`` is
    the HTTP front door: ``"http"`` (an HTTP API, the default) or ``"rest"`` (a REST API,
    ``aws_rest``), whose ``api_keys`` asks for a usage plan and an API key.
    """
    if gradual is not None and gradual not in GRADUAL_DEPLOYMENTS:
        raise ConfigError(
            f"unknown gradual deployment {gradual!r}; expected one of "
            + ", ".join(GRADUAL_DEPLOYMENTS)
        )
    if api not in aws_rest.API_KINDS:
        raise ConfigError(f"unknown AWS API kind {api!r}; expected http or rest")
    if api_keys and api != "rest":
        raise ConfigError("API keys and usage plans need the REST API (--aws-api rest)")
    rest = api == "rest" and bool(model.of_kind("http"))
    resources: dict[str, Any] = {}
    resources.update(_buckets(model))
    resources.update(_queues(model))
    resources.update(_tables(model))
    resources.update(_event_buses(model))
    resources.update(_state_machines(model, log_retention_days))
    for function in model.functions:
        resources[aws_logical_id("function", function.name)] = _function(
            model, function, gradual, rest
        )
        if has_failure_queue(function):
            resources[aws_logical_id("failures", function.name)] = {
                "Type": "AWS::SQS::Queue",
                "Properties": {"MessageRetentionPeriod": DEAD_LETTER_RETENTION_S},
            }
    if model.of_kind("http"):
        resources[FALLBACK_ID] = _fallback_function(model, rest, api_keys)
    if rest:
        resources[aws_rest.REST_API_ID] = aws_rest.rest_api(
            model.app, model.stage, api_keys=api_keys
        )
    _check_unique_ids(model, resources, rest)
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
    http_api: dict[str, Any] = {}
    if not rest and any(
        isinstance(f.fn.trigger, HttpTrigger) and f.fn.trigger.auth == "function"
        for f in model.functions
    ):
        # auth="function" routes are signed with IAM (SigV4); the API must offer it.
        http_api["Auth"] = {"EnableIamAuthorizer": True}
    authorizers = {} if rest else aws_auth.http_api_authorizers(model.app)
    if authorizers:
        http_api.setdefault("Auth", {})["Authorizers"] = authorizers
    # Tracing, JSON logs with retention, dead-letter alarms (deploy/observability.py).
    watched = {aws_logical_id("dlq", name): "dead-letter" for name in _created(model, "queue")}
    watched.update(
        (aws_logical_id("failures", f.name), "failures")
        for f in model.functions
        if has_failure_queue(f)
    )
    alarm_parameters, conditions = sam_observability(
        resources, globals_, watched, log_retention_days
    )
    template: dict[str, Any] = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Transform": "AWS::Serverless-2016-10-31",
        "Description": f"polyfn app {model.app.name}, stage {model.stage} (by polyfn deploy)",
    }
    if rest:
        # The REST front door (aws_rest): throttling, authorizers, usage plan.
        template["Parameters"] = {
            **aws_throttling_parameters(),
            **aws_rest.rest_parameters(api_keys),
        }
    elif model.of_kind("http"):
        # The front door (front_door): CORS answered by API Gateway, stage throttling.
        cors = aws_cors_configuration(model.app)
        if cors is not None:
            http_api["CorsConfiguration"] = cors
        http_api["DefaultRouteSettings"] = aws_throttling()
        template["Parameters"] = aws_throttling_parameters()
    if alarm_parameters:
        template["Parameters"] = {**template.get("Parameters", {}), **alarm_parameters}
        template["Conditions"] = conditions
    if http_api:
        globals_["HttpApi"] = http_api
    template.update({"Globals": globals_, "Resources": resources, "Outputs": _outputs(model, rest)})
    return template


# ----------------------------------------------------------------------------- resources


def _buckets(model: DeployModel) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in _created(model, "bucket"):
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
    for name in _created(model, "queue"):
        # An adopted queue keeps its own redrive policy: the stack creates no DLQ for it.
        queue = model.app.queues[name]
        dlq_id = aws_logical_id("dlq", name)
        out[aws_logical_id("queue", name)] = {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "VisibilityTimeout": model.visibility_timeout(queue),
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
    for name in _created(model, "table"):
        table = model.app.tables[name]
        out[aws_logical_id("table", name)] = {
            "Type": "AWS::DynamoDB::Table",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {"BillingMode": "PAY_PER_REQUEST", **dynamodb_key_properties(table)},
        }
        expires = ttl_attribute(model.app, table)
        if expires is not None:
            # Idempotency records: DynamoDB deletes them after their expiry (within days,
            # so polyfn checks the expiry on every read as well).
            out[aws_logical_id("table", name)]["Properties"]["TimeToLiveSpecification"] = {
                "AttributeName": expires,
                "Enabled": True,
            }
        if table.has_change_feed:
            out[aws_logical_id("table", name)]["Properties"]["StreamSpecification"] = {
                "StreamViewType": STREAM_VIEW
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
        for name in _created(model, "event_bus")
    }


# What a state machine's role needs to deliver its logs to CloudWatch Logs; these actions
# take no resource but "*" (Step Functions developer guide, "IAM policies for logging to
# CloudWatch Logs", read 2026-12-04).
_LOG_DELIVERY_ACTIONS = [
    "logs:CreateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:DescribeLogGroups",
    "logs:DescribeResourcePolicies",
    "logs:GetLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:UpdateLogDelivery",
]


def _state_machines(model: DeployModel, log_retention_days: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in sorted(model.app.workflows):
        workflow = model.app.workflows[name]
        substitutions: dict[str, Any] = {}

        def resource(task: str, substitutions: dict[str, Any] = substitutions) -> str:
            function_id = aws_logical_id("function", task)
            substitutions[f"{function_id}Arn"] = _get_att(function_id, "Arn")
            return "${" + function_id + "Arn}"

        # WorkflowUnsupported (naming the cloud and the construct) fails the build here.
        definition = to_asl(
            workflow.graph,
            resource,
            workflow=name,
            timeout=workflow.timeout,
            comment=f"polyfn {model.app.name}.{name}",
        )
        machine_id = aws_logical_id("workflow", name)
        machine_name = aws_state_machine_name(model.app, model.stage, name)
        properties: dict[str, Any] = {
            "Name": machine_name,
            "Type": "EXPRESS" if workflow.express else "STANDARD",
            "Definition": definition,
            "DefinitionSubstitutions": substitutions,
            # The execution role may invoke the workflow's own task functions, no others.
            "Policies": [
                {"LambdaInvokePolicy": {"FunctionName": _ref(aws_logical_id("function", t))}}
                for t in sorted(workflow.tasks)
            ],
        }
        if workflow.express:
            # Step Functions keeps no history of an Express execution: its log group is
            # the only record of a failed run. Errors only, without the data (which may
            # hold personal data), kept as long as the functions' logs.
            logs_id = f"{machine_id}Logs"
            out[logs_id] = {
                "Type": "AWS::Logs::LogGroup",
                "Properties": {
                    # The vendedlogs prefix keeps the log group's resource policy small
                    # (Step Functions developer guide, "Logging using CloudWatch Logs").
                    "LogGroupName": f"/aws/vendedlogs/states/{machine_name}",
                    "RetentionInDays": log_retention_days,
                },
            }
            properties["Logging"] = {
                "Level": "ERROR",
                "IncludeExecutionData": False,
                "Destinations": [
                    {"CloudWatchLogsLogGroup": {"LogGroupArn": _get_att(logs_id, "Arn")}}
                ],
            }
            properties["Policies"].append(
                {
                    "Statement": [
                        {"Effect": "Allow", "Action": _LOG_DELIVERY_ACTIONS, "Resource": "*"}
                    ]
                }
            )
        out[machine_id] = {"Type": "AWS::Serverless::StateMachine", "Properties": properties}
    return out


# ----------------------------------------------------------------------------- functions


def _binding_value(model: DeployModel, kind: str, name: str) -> Any:
    adopted = _adopted(model, kind, name) if kind in _REGISTRIES else None
    if adopted is not None:
        return adopted.binding
    if kind == "bucket":
        return _sub(aws_bucket_name(model.app, model.stage, model.app.buckets[name]))
    if kind == "queue":
        return _get_att(aws_logical_id("queue", name), "QueueName")
    if kind == "event_bus":
        return _ref(aws_logical_id("event_bus", name))  # Ref of an EventBus is its name
    if kind == "workflow":
        return _state_machine_arn(model, name)
    return _ref(aws_logical_id("table", name))


def _state_machine_arn(model: DeployModel, workflow: str) -> dict[str, Any]:
    """The state machine's ARN, built from the name polyfn gives it.

    Not its ``Ref``: a task that starts its own workflow (a batch that re-queues the rest,
    a retry loop) would make the state machine depend on the function's ARN and the
    function on the state machine's, a cycle CloudFormation refuses. The name is fixed
    before either exists, so the ARN can be written without depending on the resource.
    """
    machine = aws_state_machine_name(model.app, model.stage, workflow)
    return _sub(
        f"arn:${{AWS::Partition}}:states:${{AWS::Region}}:${{AWS::AccountId}}:stateMachine:{machine}"
    )


def _trigger_resource(function: DeployFunction) -> tuple[str, str] | None:
    trigger = function.fn.trigger
    if isinstance(trigger, ObjectTrigger):
        return ("bucket", trigger.bucket.name)
    if isinstance(trigger, MessageTrigger):
        return ("queue", trigger.queue.name)
    if isinstance(trigger, ChangeTrigger):
        return ("table", trigger.table.name)
    return None


def _function(
    model: DeployModel, function: DeployFunction, gradual: str | None, rest: bool
) -> dict[str, Any]:
    fn = function.fn
    front = aws_rest.rest_front_setting(fn) if rest else aws_auth.front_setting(fn)
    variables: dict[str, Any] = {"POLYFN_FUNCTION": fn.name, **front}
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
    }
    events = _events(model, function, rest)
    if events:  # a workflow's task has none: its state machine invokes it
        properties["Events"] = events
    statements = statements_for(model, function)
    if is_asynchronous(function):
        failures = _get_att(aws_logical_id("failures", fn.name), "Arn")
        properties["EventInvokeConfig"] = {
            "MaximumRetryAttempts": ASYNC_RETRIES,
            # SAM adds sqs:SendMessage on exactly this queue to the role.
            "DestinationConfig": {"OnFailure": {"Type": "SQS", "Destination": failures}},
        }
    if statements:
        properties["Policies"] = [{"Version": "2012-10-17", "Statement": statements}]
    options = fn.options
    if options.reserved_concurrency is not None:
        properties["ReservedConcurrentExecutions"] = options.reserved_concurrency
    properties["AutoPublishAlias"] = ALIAS
    if options.provisioned_concurrency:
        # Provisioned concurrency applies to a version or alias, never to $LATEST.
        properties["ProvisionedConcurrencyConfig"] = {
            "ProvisionedConcurrentExecutions": options.provisioned_concurrency
        }
    if gradual is not None:
        properties["DeploymentPreference"] = {"Type": gradual}
    return {"Type": "AWS::Serverless::Function", "Properties": properties}


def _stream_source(trigger: ChangeTrigger, function: DeployFunction) -> dict[str, Any]:
    """The event source mapping reading the table's stream: partial batch answers (the
    adapter names the changes not done), bisecting a failing batch, a bounded number of
    retries, then the failed batch's description in the function's failures queue rather
    than a shard blocked for the stream's 24 hours."""
    return {
        "Stream": _get_att(aws_logical_id("table", trigger.table.name), "StreamArn"),
        "StartingPosition": "TRIM_HORIZON" if trigger.start == "oldest" else "LATEST",
        "BatchSize": trigger.batch_size,
        "FunctionResponseTypes": ["ReportBatchItemFailures"],
        "BisectBatchOnFunctionError": trigger.bisect,
        "MaximumRetryAttempts": trigger.retries,
        "DestinationConfig": {
            "OnFailure": {
                "Type": "SQS",
                "Destination": _get_att(aws_logical_id("failures", function.name), "Arn"),
            }
        },
    }


def _fallback_function(model: DeployModel, rest: bool, api_keys: bool) -> dict[str, Any]:
    # Runs only for method/path pairs no route has: polyfn's router answers 404, 405 with
    # Allow, or a CORS preflight. It touches no resource, so it has no policy.
    return {
        "Type": "AWS::Serverless::Function",
        "Properties": {
            "FunctionName": aws_fallback_function_name(model.app, model.stage),
            "Description": f"polyfn {model.app.name}: 404/405/CORS for paths no route has",
            "MemorySize": 256,
            "Timeout": 10,
            "AutoPublishAlias": ALIAS,
            "Events": (
                aws_rest.rest_fallback_events(model.app, api_keys=api_keys)
                if rest
                else {"Fallback": {"Type": "HttpApi"}}
            ),
        },
    }


def _event_name(method: str, path: str) -> str:
    words = re.findall(r"[A-Za-z0-9]+", path)
    return method.capitalize() + ("".join(w[:1].upper() + w[1:] for w in words) or "Root")


def _events(model: DeployModel, function: DeployFunction, rest: bool) -> dict[str, Any]:
    trigger = function.fn.trigger
    if isinstance(trigger, HttpTrigger):
        events: dict[str, Any] = {}
        methods = list(trigger.methods)
        if "GET" in methods and "HEAD" not in methods:
            methods.append("HEAD")  # polyfn answers HEAD with the GET handler
        for method in methods:
            if rest:
                events[_event_name(method, trigger.path)] = aws_rest.rest_event(trigger, method)
                continue
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
        adopted_bucket = _adopted(model, "bucket", trigger.bucket.name)
        if adopted_bucket is not None:
            return _adopted_object_rule(trigger, adopted_bucket.name)
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
            "Queue": _arn(model, "queue", trigger.queue.name),
            "BatchSize": trigger.batch_size,
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
        }
        if trigger.batch_size > 10:
            # SQS sends batches over 10 only with a batching window (limits warns about it).
            properties["MaximumBatchingWindowInSeconds"] = 1
        reserved = function.fn.options.reserved_concurrency
        low, high = SQS_MAX_CONCURRENCY
        if reserved is not None and reserved >= low:
            # The poller stops at the function's own cap instead of being throttled by
            # it, which would count receives towards the dead-letter queue.
            properties["ScalingConfig"] = {"MaximumConcurrency": min(reserved, high)}
        return {"Messages": {"Type": "SQS", "Properties": properties}}
    if isinstance(trigger, ChangeTrigger):
        if _adopted(model, "table", trigger.table.name) is not None:
            # An adopted table's stream is not this stack's to create or to name.
            raise ConfigError(
                f"function {function.name} reads the changes of table {trigger.table.name!r}, "
                "which this stage adopts (existing=): polyfn deploys a stream only on a "
                "table it creates; let the stack create the table, or consume the existing "
                "table's stream outside polyfn"
            )
        return {"Changes": {"Type": "DynamoDB", "Properties": _stream_source(trigger, function)}}
    # An EventBridge rule that cannot hand an event to Lambda at all (throttled past its
    # retries, permission gone) puts it in a queue SAM creates for the rule, instead of
    # dropping it; failures *inside* the function go to its EventInvokeConfig destination.
    undelivered = {"Type": "SQS"}
    if isinstance(trigger, ScheduleTrigger):
        expression = schedule_expression(function.fn, "eventbridge")
        return {
            "Tick": {
                "Type": "Schedule",
                "Properties": {"Schedule": expression, "DeadLetterConfig": undelivered},
            }
        }
    if isinstance(trigger, EventTrigger):
        rule: dict[str, Any] = {"Pattern": _pattern(trigger), "DeadLetterConfig": undelivered}
        if trigger.bus is not None:
            adopted_bus = _adopted(model, "event_bus", trigger.bus.name)
            rule["EventBusName"] = (
                adopted_bus.binding
                if adopted_bus is not None
                else _ref(aws_logical_id("event_bus", trigger.bus.name))
            )
        return {"Event": {"Type": "EventBridgeRule", "Properties": rule}}
    if isinstance(trigger, TaskTrigger):
        return {}
    raise ConfigError(f"function {function.name!r}: no AWS event for trigger {trigger.kind!r}")


def _adopted_object_rule(trigger: ObjectTrigger, bucket: str) -> dict[str, Any]:
    """An object trigger on an adopted bucket: an EventBridge rule on S3's own events.

    SAM's S3 event writes the bucket's notification configuration, which only a bucket of
    the same template has; an existing bucket sends its events to EventBridge once
    EventBridge notifications are on for it (S3 user guide, "Using EventBridge", read
    2026-12), and the AWS adapter reads those events (``records.eventbridge_object_event``).
    The key filter uses EventBridge's prefix, suffix or, for both, wildcard matching; the
    function applies the trigger's own filter too.
    """
    detail: dict[str, Any] = {"bucket": {"name": [bucket]}}
    prefix, suffix = trigger.prefix, trigger.suffix
    if prefix and suffix:
        escaped = [part.replace("\\", "\\\\").replace("*", "\\*") for part in (prefix, suffix)]
        detail["object"] = {"key": [{"wildcard": f"{escaped[0]}*{escaped[1]}"}]}
    elif prefix:
        detail["object"] = {"key": [{"prefix": prefix}]}
    elif suffix:
        detail["object"] = {"key": [{"suffix": suffix}]}
    pattern = {
        "source": ["aws.s3"],
        "detail-type": ["Object Created" if trigger.action == "created" else "Object Deleted"],
        "detail": detail,
    }
    return {
        "Object" + trigger.action.capitalize(): {
            "Type": "EventBridgeRule",
            "Properties": {"Pattern": pattern, "DeadLetterConfig": {"Type": "SQS"}},
        }
    }


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
            adopted = _adopted(model, kind, name)
            bucket_arn = (
                adopted.arn
                if adopted is not None
                else _sub(
                    "arn:${AWS::Partition}:s3:::"
                    + aws_bucket_name(model.app, model.stage, model.app.buckets[name])
                )
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
            table_arn = _arn(model, kind, name)
            statements.append(_allow(actions, table_arn))
            if "list" in accesses and model.app.tables[name].indexes:
                # Queries through a GSI name the index's ARN, under the table's.
                statements.append(_allow(["dynamodb:Query"], _under(table_arn, "/index/*")))
        elif kind == "event_bus":
            actions = sorted(a for access in accesses for a in _EVENTS_ACTIONS[access])
            statements.append(_allow(actions, _arn(model, kind, name)))
        elif kind == "workflow":
            machine = aws_state_machine_name(model.app, model.stage, name)
            if "start" in accesses:
                statements.append(
                    _allow(["states:StartExecution"], _state_machine_arn(model, name))
                )
            if model.app.workflows[name].express:
                continue  # an Express execution cannot be described (Workflow.execution)
            actions = sorted({a for access in accesses for a in _STATES_EXECUTION_ACTIONS[access]})
            executions = _sub(
                "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:execution:"
                f"{machine}:*"
            )
            statements.append(_allow(actions, executions))
        else:
            actions = sorted(a for access in accesses for a in _SQS_ACTIONS[access])
            statements.append(_allow(actions, _arn(model, kind, name)))
    statements += _object_trace_read(model, function)
    return statements


def _under(arn: Any, suffix: str) -> Any:
    """``arn`` + ``suffix`` for an ARN that is a string, a ``Fn::Sub`` or a ``GetAtt``."""
    if isinstance(arn, str):
        return arn + suffix
    if "Fn::Sub" in arn:
        return _sub(arn["Fn::Sub"] + suffix)
    logical_id, attribute = arn["Fn::GetAtt"]
    return _sub(f"${{{logical_id}.{attribute}}}{suffix}")


def _object_trace_read(model: DeployModel, function: DeployFunction) -> list[dict[str, Any]]:
    """The HEAD an object-created function makes for the writer's trace and hop count (an
    S3 notification carries no metadata; core.dispatch reads it for the loop guard).
    HeadObject is authorised by s3:GetObject (S3 API reference, HeadObject, "Permissions",
    read 2026-12); granted only on the keys the trigger's filters let through, and not at
    all when the code reads that bucket already."""
    trigger = function.fn.trigger
    if not isinstance(trigger, ObjectTrigger) or trigger.action != "created":
        return []
    if "read" in function.usage.access("bucket", trigger.bucket.name):
        return []
    adopted = _adopted(model, "bucket", trigger.bucket.name)
    bucket = adopted.name if adopted else aws_bucket_name(model.app, model.stage, trigger.bucket)
    keys = f"{trigger.prefix}*{trigger.suffix}".replace("${", "${!")  # a literal ${ in Fn::Sub
    return [_allow(["s3:GetObject"], _sub(f"arn:${{AWS::Partition}}:s3:::{bucket}/{keys}"))]


def _allow(actions: list[str], resource: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": resource}


# ----------------------------------------------------------------------------- outputs


def _outputs(model: DeployModel, rest: bool) -> dict[str, Any]:
    outputs: dict[str, Any] = {}
    if rest:
        outputs["RestApiUrl"] = aws_rest.rest_output(model.stage)
    elif model.of_kind("http"):
        outputs["HttpApiUrl"] = {
            "Description": "Base URL of the app's HTTP routes",
            "Value": _sub(
                "https://${ServerlessHttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/"
            ),
        }
    for name in _created(model, "bucket"):
        outputs[aws_logical_id("bucket", name) + "Name"] = {
            "Value": _ref(aws_logical_id("bucket", name))
        }
    for name in _created(model, "queue"):
        outputs[aws_logical_id("queue", name) + "Url"] = {
            "Value": _ref(aws_logical_id("queue", name))
        }
        outputs[aws_logical_id("dlq", name) + "Url"] = {"Value": _ref(aws_logical_id("dlq", name))}
    for function in model.functions:
        if has_failure_queue(function):
            failures = aws_logical_id("failures", function.name)
            outputs[failures + "Url"] = {"Value": _ref(failures)}
    for name in _created(model, "table"):
        outputs[aws_logical_id("table", name) + "Name"] = {
            "Value": _ref(aws_logical_id("table", name))
        }
    return outputs


def _check_unique_ids(model: DeployModel, resources: dict[str, Any], rest: bool) -> None:
    expected = len(_created(model, "bucket")) + 2 * len(_created(model, "queue"))
    expected += len(_created(model, "table")) + len(model.functions)
    expected += len(_created(model, "event_bus")) + len(model.app.workflows)
    expected += sum(1 for w in model.app.workflows.values() if w.express)  # its log group
    expected += sum(1 for f in model.functions if has_failure_queue(f))
    expected += 1 if model.of_kind("http") else 0
    expected += 1 if rest else 0  # the REST API itself
    if len(resources) != expected:
        raise ConfigError(
            "two functions or resources map to the same CloudFormation logical id (names that "
            "differ only in case or punctuation, like get_user and getUser); rename one"
        )
