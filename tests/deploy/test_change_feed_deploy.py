"""The artifacts of change feeds (issue 18, item 4): on AWS the table's stream and an
event source mapping with partial batch answers, bisection, bounded retries and an
on-failure queue, transformed by aws-sam-translator and linted by cfn-lint; on Google
Cloud a Firestore trigger that gcloud's own command tree accepts; on Azure, whose Table
Storage has no change feed, a build error naming the function, the table and what to use
instead. A handler that writes into the table it reads is warned about."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploy.conftest import Builder
from deploy.gcloud_check import check_script
from deploy.sam_check import lint_errors, load_template, transform
from polyfn.core.errors import ConfigError

FEEDS = Path(__file__).resolve().parent / "changes_sample"
NO_DEPS = {"install_dependencies": False}


def test_aws_streams_and_event_source_mappings_transform_and_lint_clean(built: Builder) -> None:
    result = built(FEEDS, "aws", **NO_DEPS)
    template = load_template((result.out / "template.yaml").read_text())
    resources = template["Resources"]
    for table in ("OrdersTable", "AuditTable"):
        assert resources[table]["Properties"]["StreamSpecification"] == {
            "StreamViewType": "NEW_AND_OLD_IMAGES"
        }
    mapping = resources["OrderChangedFunction"]["Properties"]["Events"]["Changes"]
    assert mapping == {
        "Type": "DynamoDB",
        "Properties": {
            "Stream": {"Fn::GetAtt": ["OrdersTable", "StreamArn"]},
            "StartingPosition": "TRIM_HORIZON",
            "BatchSize": 50,
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "BisectBatchOnFunctionError": True,
            "MaximumRetryAttempts": 5,
            "DestinationConfig": {
                "OnFailure": {
                    "Type": "SQS",
                    "Destination": {"Fn::GetAtt": ["OrderChangedFailures", "Arn"]},
                }
            },
        },
    }
    audit = resources["AuditChangedFunction"]["Properties"]["Events"]["Changes"]["Properties"]
    assert (audit["StartingPosition"], audit["BatchSize"], audit["MaximumRetryAttempts"]) == (
        "LATEST",
        100,
        3,
    )
    assert resources["OrderChangedFailures"]["Type"] == "AWS::SQS::Queue"
    # A stream's records are read by the mapping, not sent: no asynchronous invoke config.
    assert "EventInvokeConfig" not in resources["OrderChangedFunction"]["Properties"]
    cfn = transform(template)
    assert lint_errors(cfn) == []
    mappings = [
        r["Properties"]
        for r in cfn["Resources"].values()
        if r["Type"] == "AWS::Lambda::EventSourceMapping"
    ]
    assert len(mappings) == 2
    assert all(m["FunctionResponseTypes"] == ["ReportBatchItemFailures"] for m in mappings)
    # The role reads the stream (SAM's managed policy) and may send to its failures queue.
    role = cfn["Resources"]["OrderChangedFunctionRole"]["Properties"]
    assert any(arn.endswith("AWSLambdaDynamoDBExecutionRole") for arn in role["ManagedPolicyArns"])
    statements = [s for p in role["Policies"] for s in p["PolicyDocument"]["Statement"]]
    assert {
        "Action": "sqs:SendMessage",
        "Effect": "Allow",
        "Resource": {"Fn::GetAtt": ["OrderChangedFailures", "Arn"]},
    } in statements


def test_gcp_firestore_triggers_parse_against_gclouds_command_tree(built: Builder) -> None:
    result = built(FEEDS, "gcp", **NO_DEPS)
    script = (result.out / "deploy.sh").read_text()
    assert 'type=google.cloud.firestore.document.v1.written"' in script
    assert '--trigger-event-filters-path-pattern "document=${TABLE_ORDERS}/{doc}"' in script
    assert '--trigger-event-filters-path-pattern "document=${TABLE_AUDIT}/{doc}"' in script
    assert 'FIRESTORE_LOCATION="${FIRESTORE_LOCATION:-${REGION}}"' in script
    assert script.count('--trigger-location "${FIRESTORE_LOCATION}"') == 2
    assert check_script(result.out / "deploy.sh") > 10
    # Eventarc delivers one document per invocation and only writes made from now on.
    warned = {(w.function, w.limit) for w in result.warnings}
    assert {("order_changed", "batch_size"), ("order_changed", "start")} <= warned


def test_azure_build_refuses_change_feeds_naming_function_table_and_alternatives(
    built: Builder,
) -> None:
    with pytest.raises(ConfigError) as refused:
        built(FEEDS, "azure", **NO_DEPS)
    message = str(refused.value)
    assert "function order_changed reads the changes of table 'orders'" in message
    assert "function audit_changed reads the changes of table 'audit'" in message
    assert "Azure Table Storage has no change feed" in message
    assert "@app.on_message" in message and "Cosmos DB" in message


@pytest.mark.parametrize("cloud", ["aws", "gcp"])
def test_a_handler_writing_into_the_table_it_reads_is_warned_about(
    built: Builder, cloud: str
) -> None:
    result = built(FEEDS, cloud, **NO_DEPS)
    loops = [w for w in result.warnings if w.limit == "recursive loop"]
    # order_changed writes the audit table, not its own: only audit_changed loops.
    assert [w.function for w in loops] == ["audit_changed"]
    assert "writes to table audit, whose every change triggers it" in loops[0].message
    assert "carry no hop count" in loops[0].message


@pytest.mark.parametrize(
    ("cloud", "expected"),
    [
        ("aws", "DynamoDB stream of orders, batches of 50, partial batch failures, 5 retries"),
        ("gcp", "Eventarc Firestore document written in orders, one per invocation"),
    ],
)
def test_deploy_preview_names_each_clouds_feed(
    cloud: str, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from polyfn.cli import main

    assert main(["deploy", "preview", str(FEEDS), "--cloud", cloud]) == 0
    assert expected in capsys.readouterr().out


def test_on_change_on_an_adopted_table_is_refused_by_name(tmp_path: Path) -> None:
    from polyfn import App, Change
    from polyfn.deploy.aws_sam import sam_template
    from polyfn.deploy.model import build_model

    (tmp_path / "app.py").write_text("")
    app = App("adopting")
    ledger = app.table("ledger", existing={"prod": {"aws": "acme-ledger"}})

    @app.on_change(ledger)
    def ledger_changed(change: Change) -> None: ...

    with pytest.raises(ConfigError, match="ledger_changed reads the changes of table 'ledger'"):
        sam_template(build_model(app, stage="prod", source_root=tmp_path))
    # At a stage that does not adopt it, the stack owns the table and its stream.
    template = sam_template(build_model(app, stage="dev", source_root=tmp_path))
    assert "StreamSpecification" in template["Resources"]["LedgerTable"]["Properties"]
