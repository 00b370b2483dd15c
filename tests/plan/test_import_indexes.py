"""``plan --from``: DynamoDB sort keys, GSIs and LSIs become polyfn sort keys and
indexes (no longer a redesign), with what each index becomes and costs on every cloud."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from polyfn.loading import load_app
from polyfn.plan.importers import import_aws_app
from polyfn.plan.scaffold import write_scaffold

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  UsersFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      CodeUri: src/
      Events:
        Get:
          Type: HttpApi
          Properties: {Path: /users, Method: GET}
  UsersTable:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions:
        - {AttributeName: pk, AttributeType: S}
        - {AttributeName: sk, AttributeType: S}
        - {AttributeName: email, AttributeType: S}
        - {AttributeName: status, AttributeType: S}
        - {AttributeName: created, AttributeType: N}
      KeySchema:
        - {AttributeName: pk, KeyType: HASH}
        - {AttributeName: sk, KeyType: RANGE}
      GlobalSecondaryIndexes:
        - IndexName: EmailIndex
          KeySchema: [{AttributeName: email, KeyType: HASH}]
          Projection: {ProjectionType: KEYS_ONLY}
        - IndexName: StatusCreated
          KeySchema:
            - {AttributeName: status, KeyType: HASH}
            - {AttributeName: created, KeyType: RANGE}
          Projection: {ProjectionType: ALL}
      LocalSecondaryIndexes:
        - IndexName: ByCreated
          KeySchema:
            - {AttributeName: pk, KeyType: HASH}
            - {AttributeName: created, KeyType: RANGE}
          Projection: {ProjectionType: ALL}
"""


def _imported(tmp_path: Path) -> object:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text("def handler(event, context):\n    return {}\n")
    template = tmp_path / "template.yaml"
    template.write_text(TEMPLATE)
    return import_aws_app(template)


def test_sort_key_gsis_and_lsis_become_the_tables_keys_and_indexes(tmp_path: Path) -> None:
    imported = _imported(tmp_path)

    table = imported.build_app().tables["users"]  # type: ignore[attr-defined]

    assert (table.key, table.sort) == ("pk", "sk")
    assert {name: index.attributes for name, index in table.indexes.items()} == {
        "email_index": ("email",),
        "status_created": ("status", "created"),
        "by_created": ("pk", "created"),
    }
    notes = [(n.impact, n.text) for n in imported.notes]  # type: ignore[attr-defined]
    assert not [text for impact, text in notes if impact == "blocked"]
    texts = " ".join(text for _, text in notes)
    assert "composite key" not in texts and "second table" not in texts
    assert "'created' has type N" in texts  # a number key: convert (zero-pad) it
    assert "projects KEYS_ONLY" in texts
    assert "local index ByCreated" in texts
    for cloud_word in ("GSI with its own write units", "companion table", "doubled",
                       "composite indexes", "automatic single-field index"):  # fmt: skip
        assert cloud_word in texts, cloud_word


def test_the_scaffold_declares_the_sort_key_and_indexes(tmp_path: Path) -> None:
    imported = _imported(tmp_path)

    target = write_scaffold(imported, tmp_path / "ported")  # type: ignore[arg-type]
    app = load_app(str(target))

    table = app.tables["users"]
    assert table.sort == "sk"
    assert table.indexes["status_created"].attributes == ("status", "created")


SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop"


def test_the_plan_of_an_app_with_an_index_says_what_it_becomes_on_each_cloud(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from polyfn.cli import main

    assert main(["plan", str(SHOP)]) == 0
    markdown = capsys.readouterr().out
    assert main(["plan", str(SHOP), "--format", "json", "--to", "azure"]) == 0
    report = json.loads(capsys.readouterr().out)

    tables = markdown.split("## Tables", 1)[1].split("\n## ", 1)[0]
    assert "AWS: table 'users' index 'by_email' (email) is a global secondary index" in tables
    assert "Azure: table 'users' index 'by_email'" in tables and "briefly" in tables
    assert "automatic single-field index" in tables
    assert len(report["table_notes"]) == 1 and "index entities" in report["table_notes"][0]
