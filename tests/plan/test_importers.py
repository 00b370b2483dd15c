"""Reading serverless.yml and SAM templates, and the polyfn app scaffolded from them.

The scaffolded app.py is loaded with ``load_app`` (the way ``polyfn run`` would) and one
native Lambda event of each trigger kind goes through ``polyfn.adapters.aws``'s
``lambda_handler``: each must reach the handler the file declared for it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from polyfn.adapters.aws import lambda_handler
from polyfn.core.errors import ConfigError
from polyfn.core.functions import (
    ChangeTrigger,
    EventTrigger,
    HttpTrigger,
    MessageTrigger,
    ObjectTrigger,
    ScheduleTrigger,
)
from polyfn.loading import load_app
from polyfn.plan.cfn_yaml import load_yaml
from polyfn.plan.import_resources import eventbridge_to_portable
from polyfn.plan.importers import import_aws_app
from polyfn.plan.model import PlanInputError
from polyfn.plan.planner import build_plan
from polyfn.plan.scaffold import write_scaffold
from polyfn.plan.traffic import TrafficProfile

FIXTURES = Path(__file__).parent / "fixtures"
SERVERLESS = FIXTURES / "serverless" / "serverless.yml"
SAM = FIXTURES / "sam" / "template.yaml"


def test_cloudformation_tags_load_as_long_form() -> None:
    document = load_yaml(
        "a: !Ref Queue\nb: !GetAtt Queue.Arn\nc: !Sub '${Queue.Arn}'\nd: !Join [',', [x, y]]\n",
        "t.yaml",
    )
    assert document == {
        "a": {"Ref": "Queue"},
        "b": {"Fn::GetAtt": ["Queue", "Arn"]},
        "c": {"Fn::Sub": "${Queue.Arn}"},
        "d": {"Fn::Join": [",", ["x", "y"]]},
    }


def test_bad_yaml_is_a_typed_error_with_the_line() -> None:
    with pytest.raises(PlanInputError, match=r"t\.yaml line 2: not valid YAML"):
        load_yaml("a: 1\n  b: 2\n", "t.yaml")


@pytest.mark.parametrize(
    ("expression", "portable"),
    [
        ("rate(5 minutes)", "rate(5 minutes)"),
        ("cron(0 3 * * ? *)", "0 3 * * *"),
        ("cron(30 2 ? * MON-FRI *)", "30 2 * * MON-FRI"),
        ("cron(0 12 ? * 2-6 *)", "0 12 * * MON-FRI"),
    ],
)
def test_eventbridge_schedules_become_portable(expression: str, portable: str) -> None:
    assert eventbridge_to_portable(expression) == portable


@pytest.mark.parametrize(
    "expression", ["cron(0 0 L * ? *)", "cron(0 0 ? * 2#1 *)", "cron(0 0 * * ? 2027)"]
)
def test_eventbridge_schedules_unix_cron_cannot_say_are_refused(expression: str) -> None:
    with pytest.raises(ConfigError):
        eventbridge_to_portable(expression)


def test_serverless_functions_events_and_resources() -> None:
    imported = import_aws_app(SERVERLESS)
    assert imported.kind == "serverless.yml" and imported.name == "shop-api"
    app = imported.build_app()
    assert set(app.buckets) == {"uploads"}
    assert set(app.tables) == {"users"} and app.tables["users"].key == "id"
    assert set(app.queues) == {"email"}  # the dead-letter queue is polyfn's own business
    assert app.queues["email"].max_receives == 3 and app.queues["email"].visibility_timeout == 60
    assert imported.buckets["shop-api-uploads-dev"].physical == "shop-api-uploads-dev"
    fns = app.functions
    assert (
        isinstance(fns["get_user"].trigger, HttpTrigger)
        and fns["get_user"].trigger.path == "/users/{id}"
    )
    assert fns["list_users"].trigger.methods == ("GET",)  # type: ignore[union-attr]
    thumb = fns["thumbnail"].trigger
    assert isinstance(thumb, ObjectTrigger) and (thumb.prefix, thumb.suffix) == ("uploads/", ".jpg")
    assert fns["thumbnail"].options.memory == 1024 and fns["thumbnail"].options.timeout == 60
    assert isinstance(fns["send_email"].trigger, MessageTrigger)
    assert fns["send_email"].options.reserved_concurrency == 5
    cleanup = fns["cleanup"].trigger
    assert isinstance(cleanup, ScheduleTrigger) and cleanup.expression.text == "0 3 * * *"
    payment = fns["on_payment"].trigger
    assert isinstance(payment, EventTrigger) and (payment.source, payment.type) == (
        "shop.payments",
        "PaymentReceived",
    )
    assert fns["get_user"].options.memory == 256  # provider default


def test_sam_template_with_what_polyfn_cannot_express() -> None:
    imported = import_aws_app(SAM)
    assert imported.kind == "SAM template" and imported.name == "media-service"
    app = imported.build_app()
    # Two API paths on one Lambda become two polyfn functions; GET and PUT merge.
    assert app.functions["users_api"].trigger.methods == ("GET", "PUT")  # type: ignore[union-attr]
    assert app.functions["users_api_2"].trigger.path == "/users"  # type: ignore[union-attr]
    assert app.tables["users"].key == "pk"
    assert app.queues["email"].max_receives == 4
    assert app.functions["email_worker"].options.provisioned_concurrency == 2
    texts = " ".join(note.text for note in imported.notes)
    assert "DynamoDB stream" in texts
    assert app.tables["users"].sort == "sk"  # a RANGE key is the sort key, no redesign
    blocked = {(n.function, n.impact) for n in imported.notes}
    assert ("nightly_cleanup", "blocked") in blocked  # cron(0 0 L * ? *)
    # The DynamoDB stream event is imported as on_change (issue 18), not blocked.
    stream_reader = app.functions["audit_3"].trigger
    assert isinstance(stream_reader, ChangeTrigger)
    assert stream_reader.table is app.tables["users"] and stream_reader.start == "latest"


def test_plan_of_an_imported_app_scans_the_lambda_code() -> None:
    imported = import_aws_app(SERVERLESS)
    plan = build_plan(imported.plan_inputs(("aws", "azure", "gcp"), TrafficProfile()))
    by_what = {(f.file, f.what): f for f in plan.lockin}
    get_item = by_what[("src/handlers/users.py", "DynamoDB get_item()")]
    assert get_item.functions == ("get_user",) and "table.get" in get_item.replacement
    # create_user reaches SQS through a helper in another module.
    send = by_what[("src/handlers/mail_client.py", "SQS send_message()")]
    assert send.functions == ("create_user",)
    conditional = by_what[("src/handlers/users.py", "DynamoDB put_item()")]
    assert "put_if_absent" in conditional.replacement
    assert plan.status_of("get_user", "aws").status == "portable"  # type: ignore[union-attr]
    assert plan.status_of("get_user", "gcp").status == "needs changes"  # type: ignore[union-attr]
    sam = build_plan(import_aws_app(SAM).plan_inputs(("aws", "gcp"), TrafficProfile()))
    assert sam.status_of("audit", "aws").status == "blocked"  # type: ignore[union-attr]
    gcs = [f for f in sam.lockin if f.cloud == "gcp" and f.category == "sdk"]
    assert gcs and all(f.functions == ("thumbnail",) for f in gcs)


def test_neither_format_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.yml"
    path.write_text("name: x\n")
    with pytest.raises(PlanInputError, match=r"neither a serverless\.yml"):
        import_aws_app(path)


def _api(method: str, path: str) -> dict[str, Any]:
    return {
        "version": "2.0",
        "routeKey": f"{method} {path}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"content-type": "application/json"},
        "requestContext": {
            "http": {"method": method, "path": path, "sourceIp": "198.51.100.7"},
            "requestId": "req-1",
            "domainName": "abc.execute-api.eu-west-1.amazonaws.com",
            "stage": "$default",
        },
        "isBase64Encoded": False,
    }


def _s3(bucket: str, key: str) -> dict[str, Any]:
    record = {
        "eventSource": "aws:s3",
        "eventName": "ObjectCreated:Put",
        "eventTime": "2026-11-27T00:00:00.000Z",
        "s3": {"bucket": {"name": bucket}, "object": {"key": key, "size": 3, "sequencer": "1"}},
    }
    return {"Records": [record]}


def _sqs(queue: str) -> dict[str, Any]:
    record = {
        "messageId": "m-1",
        "body": json.dumps({"to": "a@example.com"}),
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:eu-west-1:123456789012:{queue}",
    }
    return {"Records": [record]}


def _eventbridge(
    source: str, detail_type: str, resources: list[str] | None = None
) -> dict[str, Any]:
    return {
        "version": "0",
        "id": "e-1",
        "detail-type": detail_type,
        "source": source,
        "account": "123456789012",
        "time": "2026-11-27T03:00:00Z",
        "region": "eu-west-1",
        "resources": resources or [],
        "detail": {},
    }


def _sns() -> dict[str, Any]:
    sns = {
        "MessageId": "n-1",
        "TopicArn": "arn:aws:sns:eu-west-1:123456789012:order-shipped",
        "Message": "{}",
        "Timestamp": "2026-11-27T00:00:00.000Z",
    }
    return {"Records": [{"EventSource": "aws:sns", "Sns": sns}]}


def test_scaffolded_app_loads_and_each_trigger_reaches_its_handler(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    imported = import_aws_app(SERVERLESS)
    plan = build_plan(imported.plan_inputs(("aws",), TrafficProfile()))
    target = write_scaffold(imported, tmp_path / "ported", plan.lockin)
    source = target.read_text()
    assert source.count("TODO(port)") == len(imported.functions)  # one per handler, no more
    assert "DynamoDB get_item() -> table.get(key)" in source
    app = load_app(str(target))
    assert set(app.functions) == set(imported.build_app().functions)
    monkeypatch.delenv("POLYFN_FUNCTION", raising=False)
    handler = lambda_handler(app, backends="keep")

    response = handler(_api("GET", "/users/42"))
    assert response["statusCode"] == 501
    assert "get_user is not ported yet" in response["body"]
    assert handler(_api("POST", "/users"))["statusCode"] == 501
    assert handler(_api("DELETE", "/users"))["statusCode"] == 405

    failed = handler(_sqs("email"))
    assert failed == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}  # retried, not lost

    for event, name in [
        (_s3("uploads", "uploads/cat.jpg"), "thumbnail"),
        (
            _eventbridge(
                "aws.events", "Scheduled Event", ["arn:aws:events:eu-west-1:1:rule/cleanup"]
            ),
            "cleanup",
        ),
        (_eventbridge("shop.payments", "PaymentReceived"), "on_payment"),
        (_sns(), "on_order_shipped"),
    ]:
        with pytest.raises(NotImplementedError, match=name):
            handler(event)
    # A key outside the prefix/suffix filter runs nothing, so nothing raises.
    handler(_s3("uploads", "other/cat.jpg"))


def test_scaffold_refuses_to_overwrite(tmp_path: Path) -> None:
    imported = import_aws_app(SAM)
    write_scaffold(imported, tmp_path)
    with pytest.raises(PlanInputError, match="exists"):
        write_scaffold(imported, tmp_path)
    app = load_app(str(tmp_path / "app.py"))
    assert "users_api_2" in app.functions
