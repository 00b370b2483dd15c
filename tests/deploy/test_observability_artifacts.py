"""What the deploy artifacts carry for observability (issue 17, item 5): SAM tracing,
JSON logs with retention and dead-letter alarms (transformed and linted offline); ARM's
workspace-based Application Insights wired to the Function App and host.json sampling
(checked by the ARM evaluator); the labels of every Cloud Run function."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from deploy.arm_check import ArmTemplate
from deploy.conftest import SAMPLE, SHOP, Builder
from deploy.sam_check import lint_errors, load_template, transform
from polyfn.core.errors import ConfigError
from polyfn.deploy.aws_sam import sam_template
from polyfn.deploy.model import build_model
from polyfn.loading import load_app

NO_DEPS = {"install_dependencies": False}
WORKFLOW_SAMPLE = Path(__file__).resolve().parent / "workflow_sample"


def _sam(built: Builder, **options: Any) -> dict[str, Any]:
    result = built(SAMPLE, "aws", **NO_DEPS, **options)
    return load_template((result.out / "template.yaml").read_text())


def test_sam_functions_trace_log_json_and_keep_logs_30_days(built: Builder) -> None:
    template = _sam(built)
    resources = template["Resources"]
    assert template["Globals"]["Function"]["Tracing"] == "Active"
    functions = {k: v for k, v in resources.items() if v["Type"] == "AWS::Serverless::Function"}
    assert functions
    for logical_id, function in functions.items():
        logging = function["Properties"]["LoggingConfig"]
        assert logging["LogFormat"] == "JSON"
        assert logging["ApplicationLogLevel"] == "INFO"
        group = resources[logging["LogGroup"]["Ref"]]
        assert group["Type"] == "AWS::Logs::LogGroup", logical_id
        assert group["Properties"]["RetentionInDays"] == 30
    # Every queue where failed inputs end has an alarm: the queues' dead-letter queues and
    # the failures queues of asynchronously invoked functions (S3, schedules, events).
    dead_letter_queues = [k for k in resources if k.endswith("Dlq") or "DeadLetter" in k]
    failures_queues = [k for k in resources if k.endswith("Failures")]
    alarms = {k: v for k, v in resources.items() if v["Type"] == "AWS::CloudWatch::Alarm"}
    assert dead_letter_queues and failures_queues
    watched = {a["Properties"]["Dimensions"][0]["Value"]["Fn::GetAtt"][0] for a in alarms.values()}
    assert watched == {*dead_letter_queues, *failures_queues}
    assert len(alarms) == len(watched)
    for alarm in alarms.values():
        assert alarm["Properties"]["MetricName"] == "ApproximateNumberOfMessagesVisible"
        # Notified when the stack is given a topic, and only then.
        assert alarm["Properties"]["AlarmActions"] == {
            "Fn::If": ["HasAlarmTopic", [{"Ref": "AlarmTopicArn"}], {"Ref": "AWS::NoValue"}]
        }
    assert template["Parameters"]["AlarmTopicArn"]["Default"] == ""
    assert template["Conditions"]["HasAlarmTopic"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmTopicArn"}, ""]}]
    }
    cfn = transform(template)
    assert lint_errors(cfn) == []
    # What the transform made of it: X-Ray active tracing, and the right to write to it.
    lambdas = [r for r in cfn["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    assert all(r["Properties"]["TracingConfig"] == {"Mode": "Active"} for r in lambdas)
    roles = [r for r in cfn["Resources"].values() if r["Type"] == "AWS::IAM::Role"]
    assert all(
        any(
            "AWSXrayWriteOnlyAccess" in json.dumps(arn)
            for arn in r["Properties"]["ManagedPolicyArns"]
        )
        for r in roles
    )


def test_sam_log_retention_is_configurable_and_checked(built: Builder) -> None:
    template = _sam(built, log_retention_days=7)
    groups = [r for r in template["Resources"].values() if r["Type"] == "AWS::Logs::LogGroup"]
    assert {g["Properties"]["RetentionInDays"] for g in groups} == {7}
    model = build_model(load_app(str(SAMPLE)))
    with pytest.raises(ConfigError, match="log retention must be one of"):
        sam_template(model, log_retention_days=8)


def test_arm_wires_workspace_based_application_insights(built: Builder) -> None:
    out = built(SHOP, "azure").out
    main = ArmTemplate(json.loads((out / "infra" / "main.json").read_text()))
    main.check()
    (workspace,) = main.resource("Microsoft.OperationalInsights/workspaces")
    (insights,) = main.resource("Microsoft.Insights/components")
    assert main.value(insights["properties"]["WorkspaceResourceId"]).endswith(
        "/workspaces/" + main.value(workspace["name"])
    )
    site = main.resource("Microsoft.Web/sites")[0]
    settings = {s["name"]: s["value"] for s in site["properties"]["siteConfig"]["appSettings"]}
    assert "Microsoft.Insights/components" in settings["APPLICATIONINSIGHTS_CONNECTION_STRING"]
    assert main.value(settings["APPLICATIONINSIGHTS_CONNECTION_STRING"]).startswith(
        "InstrumentationKey="
    )
    host = json.loads((out / "host.json").read_text())
    sampling = host["logging"]["applicationInsights"]["samplingSettings"]
    assert sampling["isEnabled"] is True
    assert "Request" in sampling["excludedTypes"] and "Exception" in sampling["excludedTypes"]


def test_gcp_functions_carry_labels_and_a_log_level(built: Builder) -> None:
    script = (built(SHOP, "gcp").out / "deploy.sh").read_text()
    deploys = script.split("gcloud functions deploy")[1:]
    assert deploys
    for command in deploys:
        (labels,) = re.findall(r'--update-labels "([^"]+)"', command)
        pairs = dict(pair.split("=") for pair in labels.split(","))
        assert set(pairs) == {"polyfn-app", "polyfn-stage", "polyfn-function"}
        assert all(re.fullmatch(r"[a-z0-9_-]{1,63}", v) for v in pairs.values())
        assert "POLYFN_LOG_LEVEL=INFO" in command


def test_an_object_function_may_head_only_the_keys_its_trigger_lets_through() -> None:
    # S3 notifications carry no metadata: the loop guard HEADs the object, which needs
    # s3:GetObject; only on the trigger's prefix and suffix, and nothing more when the code
    # reads the bucket already.
    from polyfn import App, ObjectEvent
    from polyfn.deploy.aws_sam import statements_for

    app = App("frames")
    uploads = app.bucket("uploads")
    thumbs = app.bucket("thumbs")

    @app.on_object_created(uploads, prefix="in/", suffix=".jpg")
    def thumbnail(event: ObjectEvent) -> None:
        thumbs.write(event.key, b"small")

    @app.on_object_created(thumbs)
    def publish(event: ObjectEvent) -> None:
        thumbs.read(event.key)

    @app.on_object_deleted(uploads)
    def forget(event: ObjectEvent) -> None:
        pass

    model = build_model(app)
    uploads_name = json.dumps(statements_for(model, model.function("thumbnail")))
    head = statements_for(model, model.function("thumbnail"))[-1]
    assert head["Action"] == ["s3:GetObject"]
    assert re.fullmatch(
        r"arn:\$\{AWS::Partition\}:s3:::frames-dev-uploads-[^/]+/in/\*\.jpg",
        head["Resource"]["Fn::Sub"],
    ), uploads_name
    reading = statements_for(model, model.function("publish"))
    assert [s["Action"] for s in reading].count(["s3:GetObject"]) == 1  # its own read covers it
    assert statements_for(model, model.function("forget")) == []  # a deleted object has no HEAD


def test_workflows_carry_the_starters_trace_to_their_tasks(built: Builder) -> None:
    # Step Functions: X-Ray tracing on the state machine hands Workflow.start's trace
    # header to each task's Lambda (the template still transforms and lints clean);
    # Durable Functions: its distributed tracing (V2) continues the client's trace.
    aws = built(WORKFLOW_SAMPLE, "aws", install_dependencies=False).out
    template = load_template((aws / "template.yaml").read_text())
    machines = [
        r for r in template["Resources"].values() if r["Type"] == "AWS::Serverless::StateMachine"
    ]
    assert machines
    assert all(m["Properties"]["Tracing"] == {"Enabled": True} for m in machines)
    cfn = transform(template)
    assert lint_errors(cfn) == []
    (machine,) = [
        r for r in cfn["Resources"].values() if r["Type"] == "AWS::StepFunctions::StateMachine"
    ]
    assert machine["Properties"]["TracingConfiguration"] == {"Enabled": True}

    azure = built(WORKFLOW_SAMPLE, "azure").out
    host = json.loads((azure / "host.json").read_text())
    tracing = host["extensions"]["durableTask"]["tracing"]
    assert tracing == {"DistributedTracingEnabled": True, "Version": "V2"}
    plain = json.loads((built(SAMPLE, "azure", **NO_DEPS).out / "host.json").read_text())
    assert "durableTask" not in plain["extensions"]  # no workflow, no Durable settings
