"""``plan --from`` with DynamoDB stream event sources (issue 18, item 4): serverless.yml's
``stream`` events and SAM's ``DynamoDB`` events become ``on_change`` on the table (no
longer blocked), with batch size, starting position and retries carried; a Kinesis
stream stays blocked; the plan says what the feed is on each cloud and that Azure Table
Storage has none; the scaffold declares the function."""

from __future__ import annotations

from pathlib import Path

import pytest

from polyfn.core.functions import ChangeTrigger
from polyfn.loading import load_app
from polyfn.plan.importers import import_aws_app
from polyfn.plan.planner import build_plan
from polyfn.plan.scaffold import write_scaffold
from polyfn.plan.traffic import TrafficProfile

SERVERLESS = """
service: ledger
provider:
  name: aws
  runtime: python3.12
functions:
  audit:
    handler: handlers.audit
    events:
      - stream:
          type: dynamodb
          arn: !GetAtt EntriesTable.StreamArn
          batchSize: 25
          startingPosition: TRIM_HORIZON
          maximumRetryAttempts: 4
  replicate:
    handler: handlers.replicate
    events:
      - stream: arn:aws:dynamodb:eu-west-1:123456789012:table/entries/stream/2026-01-01T00:00:00.000
  clicks:
    handler: handlers.clicks
    events:
      - stream:
          type: kinesis
          arn: arn:aws:kinesis:eu-west-1:123456789012:stream/clicks
resources:
  Resources:
    EntriesTable:
      Type: AWS::DynamoDB::Table
      Properties:
        TableName: entries
        AttributeDefinitions:
          - {AttributeName: id, AttributeType: S}
        KeySchema:
          - {AttributeName: id, KeyType: HASH}
        BillingMode: PAY_PER_REQUEST
        StreamSpecification:
          StreamViewType: NEW_AND_OLD_IMAGES
"""


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "serverless.yml"
    path.write_text(SERVERLESS)
    (tmp_path / "handlers.py").write_text("def audit(e, c): ...\ndef replicate(e, c): ...\n")
    return path


def test_stream_events_import_as_on_change_with_their_settings(source: Path) -> None:
    imported = import_aws_app(source)
    app = imported.build_app()
    audit = app.functions["audit"].trigger
    assert isinstance(audit, ChangeTrigger)
    assert audit.table is app.tables["entries"]
    assert (audit.batch_size, audit.start, audit.retries) == (25, "oldest", 4)
    # A literal stream ARN names the table by its physical name.
    replicate = app.functions["replicate"].trigger
    assert isinstance(replicate, ChangeTrigger) and replicate.table is app.tables["entries"]
    assert (replicate.start, replicate.batch_size) == ("latest", 100)
    blocked = {(n.function, n.impact) for n in imported.notes}
    assert ("audit", "blocked") not in blocked and ("replicate", "blocked") not in blocked
    assert ("clicks", "blocked") in blocked  # Kinesis: no table's feed


def test_the_plan_maps_the_feed_per_cloud_and_blocks_azure(source: Path) -> None:
    imported = import_aws_app(source)
    plan = build_plan(imported.plan_inputs(("aws", "azure", "gcp"), TrafficProfile()))
    mapped = {(m.function, m.cloud): m for m in plan.triggers}
    assert "DynamoDB Streams" in mapped[("audit", "aws")].native
    assert "google.cloud.firestore.document.v1.written" in mapped[("audit", "gcp")].native
    azure = mapped[("audit", "azure")]
    (refusal,) = [n for n in azure.notes if n.topic == "change feed"]
    assert refusal.impact == "blocked"
    assert "Azure Table Storage has no change feed" in refusal.text
    assert any(n.topic == "ordering" for n in mapped[("audit", "gcp")].notes)


def test_the_scaffold_declares_the_change_functions(source: Path, tmp_path: Path) -> None:
    imported = import_aws_app(source)
    target = write_scaffold(imported, tmp_path / "ported")
    text = target.read_text()
    assert '@app.on_change(entries, batch_size=25, start="oldest", retries=4' in text
    app = load_app(str(target))
    trigger = app.functions["audit"].trigger
    assert isinstance(trigger, ChangeTrigger) and trigger.table.name == "entries"


def test_stream_batches_are_priced_as_one_invocation_each_on_aws_only() -> None:
    from polyfn.plan.cost import workload
    from polyfn.plan.traffic import FunctionTraffic

    traffic = FunctionTraffic(
        invocations=100_000,
        duration_ms=20,
        memory_mb=128,
        architecture="arm64",
        payload_kb=1,
        avg_batch=10,
        filter_match_ratio=None,
        peak_factor=1,
        listed=True,
    )
    aws = workload("audit", "change", False, traffic, "aws")
    gcp = workload("audit", "change", False, traffic, "gcp")
    assert (aws.invocations, aws.duration_ms) == (10_000, 200)
    assert gcp.invocations == 100_000  # one Firestore event per write
    assert any("not batched" in note for note in gcp.notes)
