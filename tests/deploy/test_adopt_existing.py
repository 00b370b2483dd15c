"""Adopting existing resources (``existing={stage: {cloud: id}}``): at the adopting stage
each cloud's artifact references the existing bucket, queue, table and event bus instead
of creating one, scopes the function's permissions to it and still passes the offline
checks; at another stage the same app creates its own, as before."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deploy.arm_check import ArmError, ArmTemplate
from deploy.conftest import Builder
from deploy.gcloud_check import check_script
from deploy.sam_check import lint_errors, load_template, transform
from polyfn import App
from polyfn.core.errors import ConfigError
from polyfn.deploy.builder import BuildOptions, build
from polyfn.deploy.existing import aws_existing, azure_existing, gcp_existing
from polyfn.deploy.model import build_model
from polyfn.deploy.preview import describe

HERE = Path(__file__).resolve().parent
ADOPT = HERE / "adopt_sample"
NO_DEPS = {"install_dependencies": False}
QUEUE_ARN = "arn:aws:sqs:eu-central-1:123456789012:acme-jobs"
TABLE_ARN = "arn:aws:dynamodb:eu-central-1:123456789012:table/acme-users"


def _sam(built: Builder, stage: str) -> dict[str, Any]:
    result = built(ADOPT, "aws", stage=stage, **NO_DEPS)
    return load_template((result.out / "template.yaml").read_text())


def _statements(resource: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for p in resource["Properties"].get("Policies", []) for s in p["Statement"]]


# ----------------------------------------------------------------------------- AWS


def test_sam_adopts_instead_of_creating_and_scopes_policies_to_the_existing(
    built: Builder,
) -> None:
    resources = _sam(built, "prod")["Resources"]
    kinds = {(r["Type"], key) for key, r in resources.items()}
    for logical_id in ("UploadsBucket", "JobsQueue", "JobsDlq", "UsersTable", "OrdersEventBus"):
        assert not any(key == logical_id for _, key in kinds), logical_id
    assert ("AWS::S3::Bucket", "ImagesBucket") in kinds  # not adopted: created as before

    upload = resources["UploadFunction"]["Properties"]
    variables = upload["Environment"]["Variables"]
    assert variables["POLYFN_BUCKET_UPLOADS"] == "acme-uploads"
    # An ARN binds through the queue's URL: GetQueueUrl by name sees this account only.
    assert variables["POLYFN_QUEUE_JOBS"] == (
        "https://sqs.eu-central-1.amazonaws.com/123456789012/acme-jobs"
    )
    assert {
        "Effect": "Allow",
        "Action": ["s3:PutObject"],
        "Resource": {"Fn::Sub": "arn:${AWS::Partition}:s3:::acme-uploads/*"},
    } in _statements(resources["UploadFunction"])
    assert {
        "Effect": "Allow",
        "Action": ["sqs:GetQueueUrl", "sqs:SendMessage"],
        "Resource": QUEUE_ARN,
    } in _statements(resources["UploadFunction"])

    by_email = resources["ByEmailFunction"]
    assert by_email["Properties"]["Environment"]["Variables"]["POLYFN_TABLE_USERS"] == TABLE_ARN
    resources_granted = [s["Resource"] for s in _statements(by_email)]
    assert resources_granted == [TABLE_ARN, TABLE_ARN + "/index/*"]

    work = resources["WorkFunction"]["Properties"]
    assert work["Events"]["Messages"]["Properties"]["Queue"] == QUEUE_ARN
    assert work["Environment"]["Variables"]["POLYFN_EVENT_BUS_ORDERS"] == "acme-orders"
    assert {
        "Effect": "Allow",
        "Action": ["events:PutEvents"],
        "Resource": {
            "Fn::Sub": "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:"
            "event-bus/acme-orders"
        },
    } in _statements(resources["WorkFunction"])
    rule = resources["JobDoneFunction"]["Properties"]["Events"]["Event"]["Properties"]
    assert rule["EventBusName"] == "acme-orders"
    outputs = _sam(built, "prod")["Outputs"]
    assert not any(key.startswith(("Uploads", "Jobs", "Users")) for key in outputs)


def test_sam_adopting_transforms_and_lints_with_no_findings(built: Builder) -> None:
    cfn = transform(_sam(built, "prod"))
    assert lint_errors(cfn) == []
    mappings = [
        r["Properties"]
        for r in cfn["Resources"].values()
        if r["Type"] == "AWS::Lambda::EventSourceMapping"
    ]
    assert [m["EventSourceArn"] for m in mappings] == [QUEUE_ARN]


def test_the_rename_free_path_still_creates_every_resource(built: Builder) -> None:
    template = _sam(built, "dev")
    resources = template["Resources"]
    for logical_id in ("UploadsBucket", "JobsQueue", "JobsDlq", "UsersTable", "OrdersEventBus"):
        assert logical_id in resources
    variables = resources["UploadFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["POLYFN_QUEUE_JOBS"] == {"Fn::GetAtt": ["JobsQueue", "QueueName"]}
    assert lint_errors(transform(template)) == []


def test_an_object_trigger_on_an_adopted_bucket_is_an_eventbridge_rule(built: Builder) -> None:
    resources = _sam(built, "prod")["Resources"]
    events = resources["ImportedFunction"]["Properties"]["Events"]
    assert events == {
        "ObjectCreated": {
            "Type": "EventBridgeRule",
            "Properties": {
                "Pattern": {
                    "source": ["aws.s3"],
                    "detail-type": ["Object Created"],
                    "detail": {
                        "bucket": {"name": ["acme-uploads"]},
                        "object": {"key": [{"wildcard": "in/*.csv"}]},
                    },
                },
                "DeadLetterConfig": {"Type": "SQS"},
            },
        }
    }
    # Invoked asynchronously, so its failures go to its on-failure queue as before.
    config = resources["ImportedFunction"]["Properties"]["EventInvokeConfig"]
    assert config["DestinationConfig"]["OnFailure"]["Type"] == "SQS"
    # At a stage that adopts nothing the same trigger is SAM's S3 event on its own bucket.
    dev = _sam(built, "dev")["Resources"]["ImportedFunction"]["Properties"]["Events"]
    assert dev["ObjectCreated"]["Type"] == "S3"


def test_the_adopted_buckets_eventbridge_event_reaches_its_function(
    built: Builder, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from polyfn.adapters.aws import lambda_handler
    from polyfn.hosts.events import aws as events
    from polyfn.loading import load_app

    function = _sam(built, "prod")["Resources"]["ImportedFunction"]["Properties"]
    for name, value in function["Environment"]["Variables"].items():
        monkeypatch.setenv(name, value)  # the deployed function's environment, all plain
    app = load_app(str(ADOPT / "app.py"))
    event = events.s3_via_eventbridge("created", "acme-uploads", "in/2026/orders.csv")
    lambda_handler(app, backends="keep")(event, events.lambda_context(function_name="x"))
    assert "in/2026/orders.csv" in capsys.readouterr().out


# ----------------------------------------------------------------------------- Azure

_STORAGE = "Microsoft.Storage/storageAccounts"
_ADOPTED_ON_AZURE = (
    (_STORAGE, "acmedata"),
    (f"{_STORAGE}/blobServices/containers", "acmedata/default/uploads"),
    (f"{_STORAGE}/queueServices/queues", "acmedata/default/acme-jobs"),
    (f"{_STORAGE}/tableServices/tables", "acmedata/default/acmeusers"),
    ("Microsoft.EventGrid/topics", "acme-orders"),
)


def _arm(built: Builder, stage: str) -> tuple[Path, ArmTemplate]:
    project = built(ADOPT, "azure", stage=stage, **NO_DEPS).out
    template = json.loads((project / "infra" / "main.json").read_text())
    return project, ArmTemplate(template, existing=_ADOPTED_ON_AZURE)


def test_arm_references_the_existing_account_and_scopes_roles_to_adopted_resources(
    built: Builder,
) -> None:
    project, main = _arm(built, "prod")
    main.check()
    assert main.value("[parameters('storageAccountName')]") == "acmedata"
    created = set(main.resources)
    for adopted in _ADOPTED_ON_AZURE:
        assert adopted not in created
    # Around the adopted ones, the app's own: the poison queue, the index table, images.
    assert (f"{_STORAGE}/queueServices/queues", "acmedata/default/acme-jobs-poison") in created
    assert (f"{_STORAGE}/tableServices/tables", "acmedata/default/acmeusersix") in created
    assert (f"{_STORAGE}/blobServices/containers", "acmedata/default/images") in created
    scopes = {
        (main.value(r["scope"]).rsplit("/", 1)[1], main.value(r["properties"]["roleDefinitionId"]))
        for r in main.resource("Microsoft.Authorization/roleAssignments")
        if "acmedata" in main.value(r["scope"])
    }
    roles = {name for name, _ in scopes}
    assert {"uploads", "acme-jobs", "acme-jobs-poison", "acmeusers"} <= roles
    assert "acmedata" not in roles  # nothing on the whole adopted account
    site = main.resource("Microsoft.Web/sites")[0]
    settings = {
        s["name"]: main.value(s["value"]) for s in site["properties"]["siteConfig"]["appSettings"]
    }
    assert settings["PolyfnStorage__blobServiceUri"] == "https://acmedata.blob.core.windows.net/"
    assert settings["POLYFN_QUEUE_JOBS"] == "acme-jobs"
    assert settings["POLYFN_TABLE_USERS"] == "acmeusers"
    assert settings["POLYFN_BUCKET_UPLOADS"] == "uploads"
    assert settings["POLYFN_EVENT_BUS_ORDERS"].startswith("https://")
    assert "AccountKey" not in json.dumps(main.template)
    # The adopted topic keeps its own keys; the app publishes to it as its identity.
    assert "listKeys" not in json.dumps(main.template)
    (sender,) = [
        r for r in main.resource("Microsoft.Authorization/roleAssignments")
        if main.value(r["scope"]) == "Microsoft.EventGrid/topics/acme-orders"
    ]  # fmt: skip
    assert not any("EventGrid" in d for d in sender["dependsOn"])  # not the template's
    local = json.loads((project / "local.settings.json.example").read_text())["Values"]
    assert local["POLYFN_QUEUE_JOBS"] == "acme-jobs"
    outputs = {k: main.value(v["value"]) for k, v in main.template["outputs"].items()}
    grid = ArmTemplate(
        json.loads((project / "infra" / "eventgrid.json").read_text()),
        values={"functionAppName": outputs["functionAppName"], "storageAccountName": "acmedata"},
        external=(
            "Microsoft.Web/sites/functions",
            "Microsoft.Web/sites",
            "Microsoft.Web/sites/host",
        ),
        existing=_ADOPTED_ON_AZURE,
    )
    grid.check()
    topics = {grid.value(r["name"]).split("/")[0] for r in grid.template["resources"]}
    assert "acme-orders" in topics


def test_the_arm_check_refuses_a_dependency_on_an_adopted_resource(built: Builder) -> None:
    _, main = _arm(built, "prod")
    template = json.loads(json.dumps(main.template))
    site = next(r for r in template["resources"] if r["type"] == "Microsoft.Web/sites")
    site["dependsOn"].append(
        "[resourceId('Microsoft.Storage/storageAccounts', parameters('storageAccountName'))]"
    )
    with pytest.raises(ArmError, match="not deployed here"):
        ArmTemplate(template, existing=_ADOPTED_ON_AZURE).check()


def test_arm_at_a_stage_without_adoption_creates_the_data_account(built: Builder) -> None:
    _, main = _arm(built, "dev")
    main.check()
    account = main.value("[parameters('storageAccountName')]")
    assert account != "acmedata"
    assert (_STORAGE, account) in main.resources
    assert (f"{_STORAGE}/queueServices/queues", f"{account}/default/jobs") in main.resources


def test_azure_refuses_adopted_resources_in_two_accounts(tmp_path: Path) -> None:
    source = tmp_path / "app"
    source.mkdir()
    (source / "app.py").write_text(
        "from polyfn import App, Request, Response\n"
        "app = App('legacy')\n"
        "a = app.bucket('a', existing={'prod': {'azure': 'one/aaa'}})\n"
        "b = app.bucket('b', existing={'prod': {'azure': 'two/bbb'}})\n"
        "@app.get('/')\n"
        "def home(req: Request) -> Response:\n"
        "    return Response.json([a.exists('x'), b.exists('x')])\n"
    )
    options = BuildOptions(cloud="azure", stage="prod", install_dependencies=False)
    with pytest.raises(ConfigError, match=r"one storage account.*one, two"):
        build(str(source), tmp_path / "out", options)


# ----------------------------------------------------------------------------- Google Cloud


def test_deploy_sh_uses_the_existing_names_and_creates_none_of_them(built: Builder) -> None:
    out = built(ADOPT, "gcp", stage="prod", **NO_DEPS).out
    script = (out / "deploy.sh").read_text()
    assert 'BUCKET_UPLOADS="acme-uploads"' in script
    assert 'QUEUE_JOBS="acme-jobs"' in script
    assert 'EVENT_BUS_ORDERS="acme-orders"' in script
    assert 'TABLE_USERS="acme-users"' in script
    for created in (
        'buckets create "gs://${BUCKET_UPLOADS}"',
        'topics create "${QUEUE_JOBS}"',
        'topics create "${EVENT_BUS_ORDERS}"',
    ):
        assert created not in script
    # The app's own dead-letter topic next to the adopted one, and the images bucket.
    assert 'QUEUE_JOBS_DLQ="legacy-prod-jobs-dead-letter"' in script
    assert 'topics create "${QUEUE_JOBS_DLQ}"' in script
    assert 'buckets create "gs://${BUCKET_IMAGES}"' in script
    # Permissions bind on the adopted resources themselves.
    assert re.search(r'topics add-iam-policy-binding "\$\{QUEUE_JOBS\}"', script)
    subprocess.run(["bash", "-n", str(out / "deploy.sh")], check=True)
    assert check_script(out / "deploy.sh") > 20
    indexes = json.loads((out / "firestore.indexes.json").read_text())
    assert {i["collectionGroup"] for i in indexes.get("indexes", [])} <= {"acme-users"}


def test_deploy_sh_without_adoption_creates_its_own(built: Builder) -> None:
    script = (built(ADOPT, "gcp", stage="dev", **NO_DEPS).out / "deploy.sh").read_text()
    assert 'BUCKET_UPLOADS="legacy-dev-uploads-${PROJECT_ID}"' in script
    assert 'topics create "${QUEUE_JOBS}"' in script


def test_preview_names_the_adopted_resources() -> None:
    from polyfn.loading import load_app

    app = load_app(str(ADOPT / "app.py"))
    text = json.dumps(describe(build_model(app, stage="prod", source_root=ADOPT), "gcp", []))
    assert "acme-jobs (existing, adopted: not created)" in text


# ----------------------------------------------------------------------------- ids


@pytest.mark.parametrize(
    ("kind", "cloud", "physical", "problem"),
    [
        ("bucket", "aws", "Acme_Uploads", "S3 bucket"),
        ("bucket", "aws", "arn:aws:s3:eu-west-1:123456789012:acme", "S3 bucket ARN"),
        ("queue", "aws", "arn:aws:sns:eu-west-1:123456789012:topic", "SQS queue ARN"),
        ("table", "aws", "arn:aws:dynamodb:eu-west-1:123456789012:stream/x", "DynamoDB"),
        ("event_bus", "aws", "default", "custom EventBridge bus"),
        ("bucket", "azure", "uploads", "<storage account>/<container>"),
        ("table", "azure", "acmedata/acme-users", "<storage account>/<table>"),
        ("queue", "gcp", "projects/p/topics/t", "Pub/Sub topic id"),
        ("bucket", "gcp", "goog-bucket", "Cloud Storage bucket"),
    ],
)
def test_an_existing_id_a_cloud_would_refuse_is_a_config_error(
    kind: str, cloud: str, physical: str, problem: str
) -> None:
    app = App("ids")
    resource = getattr(app, kind)("thing", existing={"prod": {cloud: physical}})
    parse = {"aws": aws_existing, "azure": azure_existing, "gcp": gcp_existing}[cloud]
    with pytest.raises(ConfigError, match=re.escape(problem)):
        parse(resource, "prod")
    assert parse(resource, "dev") is None


def test_existing_is_checked_when_declared() -> None:
    app = App("ids")
    with pytest.raises(ConfigError, match="cloud 'amazon'"):
        app.bucket("a", existing={"prod": {"amazon": "x"}})
    with pytest.raises(ConfigError, match="existing names stage 'Prod'"):
        app.bucket("s", existing={"Prod": {"aws": "x"}})
    with pytest.raises(ConfigError, match="non-empty string"):
        app.queue("b", existing={"prod": {"aws": " b"}})
    table = app.table("c", existing={"prod": {"gcp": "c"}})
    assert app.table("c") is table  # a later declaration may leave existing out
    with pytest.raises(ConfigError, match="declared twice with different existing"):
        app.table("c", existing={"prod": {"gcp": "d"}})


@given(
    kind=st.sampled_from(["bucket", "queue", "table", "event_bus"]),
    cloud=st.sampled_from(["aws", "azure", "gcp"]),
    physical=st.text(min_size=1, max_size=80).filter(lambda t: t == t.strip()),
)
def test_any_existing_id_parses_or_is_a_config_error(kind: str, cloud: str, physical: str) -> None:
    app = App("fuzz")
    resource = getattr(app, kind)("thing", existing={"prod": {cloud: physical}})
    parse = {"aws": aws_existing, "azure": azure_existing, "gcp": gcp_existing}[cloud]
    try:
        parse(resource, "prod")
    except ConfigError:
        pass
