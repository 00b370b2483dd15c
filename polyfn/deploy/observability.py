"""What the deploy artifacts carry for observability, per cloud (issue 17, item 5).

AWS (SAM): X-Ray active tracing on every function (SAM then grants the X-Ray write
actions), Lambda's JSON log format with application and system log levels, a log group
per function with a retention (30 days unless ``--log-retention-days``), and an alarm on
every dead-letter and failures queue that has a message in it, sent to the SNS topic of
the ``AlarmTopicArn`` parameter when the stack is given one.
Azure (ARM): a Log Analytics workspace and a workspace-based Application Insights
component wired to the Function App (``APPLICATIONINSIGHTS_CONNECTION_STRING``), and
adaptive sampling in ``host.json`` that keeps every request and exception.
Google Cloud: each function's labels (app, stage, function), which Cloud Logging shows on
its entries; the trace header reaches the function through the front door as it came.
"""

from __future__ import annotations

from typing import Any

from polyfn.core.errors import ConfigError

__all__ = [
    "ALARM_TOPIC_PARAMETER",
    "DEFAULT_LOG_RETENTION_DAYS",
    "RETENTION_DAYS",
    "app_insights_resources",
    "check_retention",
    "gcp_labels",
    "host_json_sampling",
    "sam_observability",
]

DEFAULT_LOG_RETENTION_DAYS = 30
# The values CloudWatch Logs accepts for RetentionInDays (AWS::Logs::LogGroup reference).
RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827,
                  2192, 2557, 2922, 3288, 3653)  # fmt: skip
# A dead-letter queue is watched at this period: one message in it is one alarm.
_DLQ_ALARM_PERIOD_S = 300
# An alarm nobody hears is a log line: the stack takes an SNS topic to notify (empty: none,
# the alarms still show in the console and their state can be read).
ALARM_TOPIC_PARAMETER = "AlarmTopicArn"
_HAS_ALARM_TOPIC = "HasAlarmTopic"
_ALARM_TEXT = {
    "dead-letter": "messages in the dead-letter queue: they failed every retry",
    "failures": "inputs the function gave up on after its retries (an asynchronous "
    "invocation's event, or a stream batch's description)",
}
_INSIGHTS_API = "2020-02-02"
_WORKSPACE_API = "2022-10-01"


def check_retention(days: int) -> int:
    if days not in RETENTION_DAYS:
        allowed = ", ".join(map(str, RETENTION_DAYS))
        raise ConfigError(
            f"log retention must be one of CloudWatch's values ({allowed}), got {days}"
        )
    return days


def sam_observability(
    resources: dict[str, Any],
    globals_: dict[str, Any],
    watched_queues: dict[str, str],
    retention_days: int = DEFAULT_LOG_RETENTION_DAYS,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Add tracing, JSON logs with retention and an alarm per watched queue (logical id ->
    ``"dead-letter"`` or ``"failures"``) to a SAM template's resources; returns the
    template parameters and conditions the alarms need (none without queues)."""
    check_retention(retention_days)
    globals_["Function"]["Tracing"] = "Active"
    for logical_id, resource in list(resources.items()):
        if resource.get("Type") == "AWS::Serverless::StateMachine":
            # X-Ray on the state machine: a starter's trace header (Workflow.start sends
            # one) reaches each task's Lambda, whose log lines then carry its trace id.
            resource["Properties"]["Tracing"] = {"Enabled": True}
            continue
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        properties = resource["Properties"]
        group_id = f"{logical_id}LogGroup"
        resources[group_id] = {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {
                "LogGroupName": f"/aws/lambda/{properties['FunctionName']}",
                "RetentionInDays": retention_days,
            },
        }
        properties["LoggingConfig"] = {
            # AWS_LAMBDA_LOG_FORMAT=JSON for the runtime client: polyfn's fields become
            # fields of each JSON line (core.log_fields).
            "LogFormat": "JSON",
            "ApplicationLogLevel": "INFO",
            "SystemLogLevel": "INFO",
            "LogGroup": {"Ref": group_id},
        }
    notify = {
        "Fn::If": [_HAS_ALARM_TOPIC, [{"Ref": ALARM_TOPIC_PARAMETER}], {"Ref": "AWS::NoValue"}]
    }
    for queue_id, kind in watched_queues.items():
        resources[f"{queue_id}Alarm"] = {
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": {
                "AlarmDescription": _ALARM_TEXT[kind],
                "AlarmActions": notify,
                "Namespace": "AWS/SQS",
                "MetricName": "ApproximateNumberOfMessagesVisible",
                "Dimensions": [
                    {"Name": "QueueName", "Value": {"Fn::GetAtt": [queue_id, "QueueName"]}}
                ],
                "Statistic": "Maximum",
                "Period": _DLQ_ALARM_PERIOD_S,
                "EvaluationPeriods": 1,
                "Threshold": 1,
                "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                "TreatMissingData": "notBreaching",
            },
        }
    if not watched_queues:
        return {}, {}
    parameters = {
        ALARM_TOPIC_PARAMETER: {
            "Type": "String",
            "Default": "",
            "Description": "The SNS topic ARN the dead-letter and failures queue alarms "
            "notify (empty: no notification)",
        }
    }
    conditions = {
        _HAS_ALARM_TOPIC: {"Fn::Not": [{"Fn::Equals": [{"Ref": ALARM_TOPIC_PARAMETER}, ""]}]}
    }
    return parameters, conditions


def app_insights_resources(name: str, retention_days: int) -> tuple[list[dict[str, Any]], str]:
    """A Log Analytics workspace and a workspace-based Application Insights component
    named after ``name`` (ARM expressions), and the expression of its connection string."""
    workspace = f"[concat({name}, '-logs')]"
    workspace_id = (
        f"[resourceId('Microsoft.OperationalInsights/workspaces', concat({name}, '-logs'))]"
    )
    component = f"[concat({name}, '-insights')]"
    resources = [
        {
            "type": "Microsoft.OperationalInsights/workspaces",
            "apiVersion": _WORKSPACE_API,
            "name": workspace,
            "location": "[parameters('location')]",
            "properties": {"sku": {"name": "PerGB2018"}, "retentionInDays": retention_days},
        },
        {
            "type": "Microsoft.Insights/components",
            "apiVersion": _INSIGHTS_API,
            "name": component,
            "location": "[parameters('location')]",
            "kind": "web",
            "dependsOn": [workspace_id],
            "properties": {
                "Application_Type": "web",
                "WorkspaceResourceId": workspace_id,
                "IngestionMode": "LogAnalytics",
            },
        },
    ]
    connection = (
        f"[reference(resourceId('Microsoft.Insights/components', concat({name}, '-insights')), "
        f"'{_INSIGHTS_API}').ConnectionString]"
    )
    return resources, connection


def host_json_sampling() -> dict[str, Any]:
    """host.json's ``logging.applicationInsights``: adaptive sampling that never drops a
    request or an exception (https://learn.microsoft.com/azure/azure-functions/functions-host-json#applicationinsights)."""
    return {
        "samplingSettings": {
            "isEnabled": True,
            "maxTelemetryItemsPerSecond": 20,
            "excludedTypes": "Request;Exception",
        },
        "enableDependencyTracking": True,
    }


def host_json_durable_tracing() -> dict[str, Any]:
    """host.json's ``extensions.durableTask.tracing``: Durable Functions' distributed
    tracing (V2, W3C trace context), so the client's trace continues in the orchestration
    and each activity, whose host-given trace context the adapter reads
    (https://learn.microsoft.com/azure/durable-task/durable-functions/durable-functions-diagnostics#distributed-tracing,
    Durable extension 2.12+, in extension bundle 4)."""
    return {"DistributedTracingEnabled": True, "Version": "V2"}


def gcp_labels(app_slug: str, stage: str, function: str) -> str:
    """``--update-labels`` for a Cloud Run function: app, stage and function, which Cloud
    Logging shows on every entry of the function (label values: lowercase letters,
    digits, ``-`` and ``_``, at most 63 characters:
    https://cloud.google.com/resource-manager/docs/labels-overview#requirements)."""

    def value(text: str) -> str:
        cleaned = "".join(c if c.isalnum() or c in "-_" else "-" for c in text.lower())
        return cleaned[:63]

    labels = {"polyfn-app": app_slug, "polyfn-stage": stage, "polyfn-function": function}
    return ",".join(f"{key}={value(text)}" for key, text in labels.items())
