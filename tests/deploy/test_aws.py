"""AWS artifacts: the SAM template transforms and lints clean, grants least privilege, and
the bundle runs with nothing but the standard library and itself on the path."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from samtranslator.model.exceptions import InvalidDocumentException

from deploy.conftest import SAMPLE, SHOP, Builder
from deploy.sam_check import lint_errors, load_template, serverless_findings, transform
from polyfn.core.errors import ConfigError
from polyfn.deploy.aws_sam import sam_template
from polyfn.deploy.builder import BuildOptions, build
from polyfn.deploy.model import build_model
from polyfn.hosts.events import aws as aws_events
from polyfn.loading import load_app

NO_DEPS = {"install_dependencies": False}


def _template(built: Builder, app_dir: Path, **options: Any) -> dict[str, Any]:
    result = built(app_dir, "aws", **NO_DEPS, **options)
    return load_template((result.out / "template.yaml").read_text())


def _role_statements(cfn: dict[str, Any], function_id: str) -> list[dict[str, Any]]:
    role = cfn["Resources"][f"{function_id}Role"]["Properties"]
    return [s for policy in role.get("Policies", []) for s in policy["PolicyDocument"]["Statement"]]


def _actions(cfn: dict[str, Any], function_id: str) -> dict[str, set[str]]:
    """Action -> the resources it is granted on, as comparable text."""
    granted: dict[str, set[str]] = {}
    for statement in _role_statements(cfn, function_id):
        assert statement["Effect"] == "Allow"
        actions = statement["Action"]
        for action in [actions] if isinstance(actions, str) else actions:
            granted.setdefault(action, set()).add(json.dumps(statement["Resource"]))
    return granted


@pytest.mark.parametrize("app_dir", [SHOP, SAMPLE], ids=["shop", "sample"])
def test_template_transforms_and_lints_with_no_findings(built: Builder, app_dir: Path) -> None:
    cfn = transform(_template(built, app_dir))
    assert lint_errors(cfn) == []


def test_the_validation_fails_on_a_broken_template(built: Builder) -> None:
    # A bucket whose name is a Ref, read by the function its notification invokes, is the
    # classic circular dependency; the harness must see it, or a pass would mean nothing.
    template = _template(built, SHOP)
    variables = template["Resources"]["ThumbnailFunction"]["Properties"]["Environment"]
    variables["Variables"]["POLYFN_BUCKET_UPLOADS"] = {"Ref": "UploadsBucket"}
    assert any("Circular" in error for error in lint_errors(transform(template)))
    del template["Resources"]["UploadsBucket"]
    with pytest.raises(InvalidDocumentException):
        transform(template)


def test_shop_functions_events_and_resources(built: Builder) -> None:
    template = _template(built, SHOP)
    assert template["Globals"]["Function"] == {
        "Runtime": "python3.12",
        "Architectures": ["arm64"],
        "CodeUri": "bundle.zip",
        "Handler": "polyfn_entry.handler",
        "Tracing": "Active",
    }
    resources = template["Resources"]
    functions = {
        k: v["Properties"] for k, v in resources.items() if v["Type"] == "AWS::Serverless::Function"
    }
    assert set(functions) == {
        "ListUsersFunction", "GetUserFunction", "CreateUserFunction", "UpdateUserFunction",
        "ThumbnailFunction", "SendEmailFunction", "CleanupFunction", "PolyfnHttpFallbackFunction",
        # the orders: two routes and the order workflow's six tasks
        "PlaceOrderFunction", "GetOrderFunction", "ValidateOrderFunction",
        "CheckInventoryFunction", "ChargePaymentFunction", "FulfillOrderFunction",
        "NotifyOutOfStockFunction", "NotifyPaymentFailedFunction",
    }  # fmt: skip
    assert "Events" not in functions["ValidateOrderFunction"]  # run by the state machine
    machines = [v for v in resources.values() if v["Type"] == "AWS::Serverless::StateMachine"]
    assert len(machines) == 1
    get_user = functions["GetUserFunction"]
    assert get_user["Environment"]["Variables"] == {
        "POLYFN_FUNCTION": "get_user",
        "POLYFN_TABLE_USERS": {"Ref": "UsersTable"},
    }
    assert (get_user["MemorySize"], get_user["Timeout"]) == (512, 30)
    assert {e["Properties"]["Method"] for e in get_user["Events"].values()} == {"GET", "HEAD"}
    assert {e["Properties"]["Path"] for e in get_user["Events"].values()} == {"/users/{id}"}
    thumbnail = functions["ThumbnailFunction"]
    assert (thumbnail["MemorySize"], thumbnail["Timeout"]) == (1024, 60)
    assert thumbnail["Events"]["ObjectCreated"] == {
        "Type": "S3",
        "Properties": {
            "Bucket": {"Ref": "UploadsBucket"},
            "Events": "s3:ObjectCreated:*",
            "Filter": {"S3Key": {"Rules": [
                {"Name": "prefix", "Value": "uploads/"}, {"Name": "suffix", "Value": ".jpg"},
            ]}},
        },
    }  # fmt: skip
    assert functions["SendEmailFunction"]["Events"]["Messages"]["Properties"] == {
        "Queue": {"Fn::GetAtt": ["EmailsQueue", "Arn"]},
        "BatchSize": 10,
        "FunctionResponseTypes": ["ReportBatchItemFailures"],
    }
    assert functions["CleanupFunction"]["Events"]["Tick"]["Properties"] == {
        "Schedule": "rate(5 minutes)",
        "DeadLetterConfig": {"Type": "SQS"},  # what EventBridge cannot deliver is kept
    }
    assert resources["EmailsQueue"]["Properties"]["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": ["EmailsDlq", "Arn"]},
        "maxReceiveCount": 3,
    }
    assert resources["UsersTable"]["Properties"]["KeySchema"] == [
        {"AttributeName": "id", "KeyType": "HASH"}
    ]
    assert resources["UploadsBucket"]["Type"] == "AWS::S3::Bucket"
    # The fallback serves the $default route: polyfn's 404/405 for paths no route has.
    assert functions["PolyfnHttpFallbackFunction"]["Events"] == {"Fallback": {"Type": "HttpApi"}}


def test_shop_roles_grant_exactly_what_each_handler_uses(built: Builder) -> None:
    cfn = transform(_template(built, SHOP))
    users = json.dumps({"Fn::GetAtt": ["UsersTable", "Arn"]})
    emails = json.dumps({"Fn::GetAtt": ["EmailsQueue", "Arn"]})
    assert _actions(cfn, "GetUserFunction") == {"dynamodb:GetItem": {users}}
    users_index = json.dumps({"Fn::Sub": "${UsersTable.Arn}/index/*"})
    assert _actions(cfn, "ListUsersFunction") == {
        "dynamodb:Query": {users, users_index},  # GET /users?email= reads the by_email GSI
        "dynamodb:Scan": {users},
    }
    assert _actions(cfn, "CreateUserFunction") == {
        "dynamodb:PutItem": {users}, "dynamodb:UpdateItem": {users},
        "sqs:SendMessage": {emails}, "sqs:GetQueueUrl": {emails},
    }  # fmt: skip
    thumbnail = _actions(cfn, "ThumbnailFunction")
    # An asynchronous invocation's failures go to its own queue: the one SQS right it has.
    failures = json.dumps({"Fn::GetAtt": ["ThumbnailFailures", "Arn"]})
    assert thumbnail.pop("sqs:SendMessage") == {failures}
    assert set(thumbnail) == {"s3:GetObject", "s3:PutObject", "s3:ListBucket"}
    assert all("shop-dev-uploads-" in r for rs in thumbnail.values() for r in rs)
    assert set(_actions(cfn, "CleanupFunction")) == {
        "s3:GetObject",
        "s3:DeleteObject",
        "s3:ListBucket",
        "sqs:SendMessage",
    }
    assert _role_statements(cfn, "PolyfnHttpFallbackFunction") == []
    # The SQS consumer's polling rights come from SAM's managed execution role.
    role = cfn["Resources"]["SendEmailFunctionRole"]["Properties"]
    assert any("AWSLambdaSQSQueueExecutionRole" in arn for arn in role["ManagedPolicyArns"])
    assert set(_actions(cfn, "SendEmailFunction")) == {"dynamodb:PutItem", "dynamodb:UpdateItem"}


def test_sample_greedy_auth_concurrency_deletes_and_rules(built: Builder) -> None:
    template = _template(built, SAMPLE)
    functions = {k: v["Properties"] for k, v in template["Resources"].items() if "Function" in k}
    read_file = functions["ReadFileFunction"]["Events"]["GetFilesPath"]["Properties"]
    assert read_file == {
        "Path": "/files/{path+}",
        "Method": "GET",
        "Auth": {"Authorizer": "AWS_IAM"},
    }
    nightly = functions["NightlyFunction"]
    assert nightly["ReservedConcurrentExecutions"] == 2
    assert nightly["AutoPublishAlias"] == "live"
    assert nightly["ProvisionedConcurrencyConfig"] == {"ProvisionedConcurrentExecutions": 1}
    assert (
        nightly["Events"]["Tick"]["Properties"]["Schedule"] == "cron(0 6 ? * MON,TUE,WED,THU,FRI *)"
    )
    forget = functions["ForgetFunction"]["Events"]["ObjectDeleted"]["Properties"]
    assert forget["Events"] == "s3:ObjectRemoved:*"
    assert forget["Filter"] == {"S3Key": {"Rules": [{"Name": "prefix", "Value": "in/"}]}}
    assert functions["OnOrderFunction"]["Events"]["Event"] == {
        "Type": "EventBridgeRule",
        "Properties": {
            "Pattern": {"source": ["sampler.orders"], "detail-type": ["order.created"]},
            "EventBusName": {"Ref": "OrdersEventBus"},  # the app's own bus, not the default
            "DeadLetterConfig": {"Type": "SQS"},
        },
    }
    work = functions["WorkFunction"]
    assert work["Timeout"] == 90 and work["Events"]["Messages"]["Properties"]["BatchSize"] == 5
    assert template["Resources"]["JobsQueue"]["Properties"]["VisibilityTimeout"] == 120
    cfn = transform(template)
    aliases = [r for r in cfn["Resources"].values() if r["Type"] == "AWS::Lambda::Alias"]
    assert any("ProvisionedConcurrencyConfig" in a["Properties"] for a in aliases)


def test_architecture_choice_reaches_the_template() -> None:
    model = build_model(load_app(str(SAMPLE)))
    assert sam_template(model, arch="x86_64")["Globals"]["Function"]["Architectures"] == ["x86_64"]


def _bundle_names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return archive.namelist()


def test_bundle_holds_app_and_polyfn_runtime_only(built: Builder) -> None:
    result = built(SAMPLE, "aws", **NO_DEPS)
    names = _bundle_names(result.out / "bundle.zip")
    assert "polyfn_entry.py" in names and "app.py" in names
    assert any(n.startswith("polyfn/adapters/aws/") for n in names)
    for absent in ("polyfn/adapters/azure/", "polyfn/adapters/gcp/", "polyfn/deploy/",
                   "polyfn/testing/", "polyfn/hosts/", "polyfn/cli/", "polyfn/plan/",
                   "polyfn/loading.py", "boto3/", "botocore/", "azure/", "google/"):  # fmt: skip
        assert not any(n.startswith(absent) for n in names), absent
    assert not any("__pycache__" in n for n in names)
    assert result.bundle is not None and result.bundle.unzipped_bytes < 5_000_000


def test_bundle_entry_runs_on_the_standard_library_alone(built: Builder, tmp_path: Path) -> None:
    """Unzipped and run with no site-packages (python -I -S): the entry file imports, and
    the handler answers API Gateway events through polyfn's router."""
    result = built(SAMPLE, "aws", **NO_DEPS)
    with zipfile.ZipFile(result.out / "bundle.zip") as archive:
        archive.extractall(tmp_path / "task")
    events = [aws_events.apigw_v2("GET", "/ping"), aws_events.apigw_v2("GET", "/nowhere")]
    script = (
        "import json, sys\n"
        f"sys.path.insert(0, {str(tmp_path / 'task')!r})\n"
        "import polyfn_entry\n"
        "events = json.load(sys.stdin)\n"
        "out = [polyfn_entry.handler(e, None) for e in events]\n"
        "clouds = ('boto3', 'botocore', 'azure', 'google')\n"
        "third = sorted(m for m in sys.modules if m.split('.')[0] in clouds)\n"
        "print(json.dumps({'answers': out, 'third_party': third}))\n"
    )
    completed = subprocess.run(
        [sys.executable, "-I", "-S", "-c", script],
        input=json.dumps(events),
        capture_output=True,
        text=True,
        check=False,
        env={"POLYFN_FUNCTION": "ping", "PATH": "/usr/bin:/bin"},
    )
    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout)
    ping, missing = report["answers"]
    assert ping["statusCode"] == 200 and json.loads(ping["body"]) == {"pong": True}
    assert missing["statusCode"] == 404 and "request_id" in json.loads(missing["body"])["error"]
    assert report["third_party"] == []


@pytest.mark.slow
def test_shop_bundle_installs_dependencies_for_lambda_arm64(built: Builder) -> None:
    """The one build that downloads: Pillow for manylinux aarch64, CPython 3.12."""
    result = built(SHOP, "aws")
    assert result.bundle is not None
    names = _bundle_names(result.out / "bundle.zip")
    assert "PIL" in result.bundle.dependencies
    extensions = [
        n for n in names if n.startswith("PIL/") and ".cpython-312-" in n and n.endswith(".so")
    ]
    assert extensions and all("aarch64" in n for n in extensions)
    with zipfile.ZipFile(result.out / "bundle.zip") as archive:
        header = archive.read(extensions[0])[:20]
    assert header[:4] == b"\x7fELF" and int.from_bytes(header[18:20], "little") == 183  # EM_AARCH64
    tops = {n.split("/")[0].lower() for n in names}
    assert not {t for t in tops if t.startswith(("azure", "google", "boto3", "botocore"))}
    assert 1_000_000 < result.bundle.unzipped_bytes < 250_000_000
    assert "MB unzipped of Lambda's 250.0 MB limit" in result.bundle.summary()


def test_asynchronous_triggers_have_an_on_failure_queue_and_the_others_none(
    built: Builder,
) -> None:
    template = _template(built, SAMPLE)
    resources = template["Resources"]
    functions = {k: v for k, v in resources.items() if v["Type"] == "AWS::Serverless::Function"}
    for logical_id, function in functions.items():
        events = function["Properties"]["Events"]
        kinds = {e["Type"] for e in events.values()}
        config = function["Properties"].get("EventInvokeConfig")
        if kinds & {"S3", "Schedule", "EventBridgeRule"}:
            queue = logical_id.removesuffix("Function") + "Failures"
            assert config == {
                "MaximumRetryAttempts": 2,
                "DestinationConfig": {
                    "OnFailure": {"Type": "SQS", "Destination": {"Fn::GetAtt": [queue, "Arn"]}}
                },
            }, logical_id
            assert resources[queue]["Type"] == "AWS::SQS::Queue"
            assert template["Outputs"][queue + "Url"] == {"Value": {"Ref": queue}}
        else:
            # HTTP answers its caller; SQS has its own dead-letter queue.
            assert config is None, logical_id
        # Every function is published under the live alias its triggers call.
        assert function["Properties"]["AutoPublishAlias"] == "live"
    assert any("EventInvokeConfig" in f["Properties"] for f in functions.values())
    cfn = transform(template)
    assert lint_errors(cfn) == []
    # The triggers invoke the alias, not $LATEST.
    assert any(
        r["Type"] == "AWS::Lambda::Alias" and r["Properties"]["Name"] == "live"
        for r in cfn["Resources"].values()
    )


def test_an_undeclared_visibility_is_six_times_the_consumer_timeout(built: Builder) -> None:
    queue = _template(built, SHOP)["Resources"]["EmailsQueue"]["Properties"]
    # send_email runs on the default 30 s timeout; AWS recommends 6x for the queue.
    assert queue["VisibilityTimeout"] == 180


def test_sqs_maximum_concurrency_follows_reserved_concurrency_and_gradual_deploys(
    tmp_path: Path,
) -> None:
    app_file = tmp_path / "app.py"
    app_file.write_text(
        "from polyfn import App\n"
        "app = App('capped')\n"
        "jobs = app.queue('jobs', visibility_timeout=120)\n"
        "other = app.queue('other')\n"
        "@app.on_message(jobs, reserved_concurrency=5, timeout=20)\n"
        "def work(msg):\n    return None\n"
        "@app.on_message(other, reserved_concurrency=1)\n"
        "def single(msg):\n    return None\n"
    )
    out = tmp_path / "out"
    build(str(app_file), out, BuildOptions(cloud="aws", install_dependencies=False,
                                           gradual="Canary10Percent5Minutes"))  # fmt: skip
    template = load_template((out / "template.yaml").read_text())
    resources = template["Resources"]
    work = resources["WorkFunction"]["Properties"]
    assert work["Events"]["Messages"]["Properties"]["ScalingConfig"] == {"MaximumConcurrency": 5}
    # SQS's floor is 2: a function capped at 1 keeps its reserved concurrency only.
    single = resources["SingleFunction"]["Properties"]
    assert "ScalingConfig" not in single["Events"]["Messages"]["Properties"]
    assert single["ReservedConcurrentExecutions"] == 1
    # A declared visibility is kept as declared.
    assert resources["JobsQueue"]["Properties"]["VisibilityTimeout"] == 120
    assert resources["OtherQueue"]["Properties"]["VisibilityTimeout"] == 180
    assert work["DeploymentPreference"] == {"Type": "Canary10Percent5Minutes"}
    cfn = transform(template)
    assert lint_errors(cfn) == []
    assert any(r["Type"] == "AWS::CodeDeploy::DeploymentGroup" for r in cfn["Resources"].values())
    mappings = [
        r["Properties"] for r in cfn["Resources"].values()
        if r["Type"] == "AWS::Lambda::EventSourceMapping"
    ]  # fmt: skip
    assert {"MaximumConcurrency": 5} in [m.get("ScalingConfig") for m in mappings]
    with pytest.raises(ConfigError, match="unknown gradual deployment"):
        sam_template(build_model(load_app(str(app_file))), gradual="Fast")


@pytest.mark.parametrize("app_dir", [SHOP, SAMPLE], ids=["shop", "sample"])
def test_serverless_rules_pass_but_the_documented_exceptions(built: Builder, app_dir: Path) -> None:
    text = (built(app_dir, "aws", **NO_DEPS).out / "template.yaml").read_text()
    assert serverless_findings(text) == []
    # Each function writes to a log group of its own, kept 30 days, not forever.
    template = load_template(text)
    groups = {
        r["Properties"]["LogGroupName"]: r["Properties"]["RetentionInDays"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Logs::LogGroup"
    }
    names = {
        r["Properties"]["FunctionName"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Serverless::Function"
    }
    assert groups == {f"/aws/lambda/{n}": 30 for n in names}
