"""``polyfn plan --from serverless.yml`` on a realistic file: every variable the file,
the defaults or the environment knows is resolved, a disabled schedule is not live, and
everything else is either mapped or listed as not carried, never dropped."""

from __future__ import annotations

from pathlib import Path

import pytest

from polyfn.core.errors import ConfigError
from polyfn.deploy.builder import BuildOptions, build
from polyfn.plan.import_resources import eventbridge_to_portable
from polyfn.plan.importers import import_aws_app
from polyfn.plan.planner import build_plan
from polyfn.plan.scaffold import write_scaffold
from polyfn.plan.traffic import TrafficProfile

FIDELITY = Path(__file__).parent / "fixtures" / "fidelity" / "serverless.yml"


@pytest.fixture
def imported(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.delenv("POLYFN_TEST_ARCHIVE_BUCKET", raising=False)
    return import_aws_app(FIDELITY)


def _notes(imported, function: str = "") -> list[str]:  # type: ignore[no-untyped-def]
    return [n.text for n in imported.notes if n.function == function]


def test_variables_resolve_from_the_file_the_defaults_and_the_environment(
    imported, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    physical = {b.name: b.physical for b in imported.buckets.values()}
    # ${self:provider.environment.UPLOAD_BUCKET} -> ${self:service}-uploads-${sls:stage},
    # with the stage from ${opt:stage, 'prod'}; before, a bucket
    # 'self-provider-environment-upload-bucket' that blocked the app on AWS.
    assert physical["uploads"] == "orders-uploads-prod"
    assert physical["archive"] == "orders-archive"  # ${env:...} unset: the default
    assert not any("self" in name or "provider" in name for name in physical)
    assert {q.physical for q in imported.queues.values()} == {"orders-jobs-prod"}
    plan = build_plan(imported.plan_inputs(("aws",), TrafficProfile()))
    statuses = {s.function: s.status for s in plan.statuses if s.cloud == "aws"}
    assert statuses["upload"] == statuses["archive"] == "portable"

    monkeypatch.setenv("POLYFN_TEST_ARCHIVE_BUCKET", "team-archive")
    again = import_aws_app(FIDELITY)
    assert "team-archive" in {b.physical for b in again.buckets.values()}

    # What neither the file nor the environment knows is said, not invented.
    assert any("${ssm:/orders/secret}" in t and "not known" in t for t in _notes(imported))


def test_a_disabled_schedule_is_neither_live_nor_priced(imported) -> None:  # type: ignore[no-untyped-def]
    nightly = next(f for f in imported.functions if f.name == "nightly")
    assert nightly.triggers == []
    assert any("disabled (enabled: false)" in t for t in _notes(imported, "nightly"))
    plan = build_plan(imported.plan_inputs(("aws",), TrafficProfile()))
    assert "nightly" not in {c.function for c in plan.costs[0].functions}


def test_every_setting_is_mapped_or_listed_as_not_carried(imported) -> None:  # type: ignore[no-untyped-def]
    app_notes = " | ".join(_notes(imported))
    for expected in (
        "plugin serverless-python-requirements: mapped",
        "plugin serverless-step-functions: not carried",
        "plugin serverless-domain-manager: not carried",
        "provider IAM role statements not carried",
        "dynamodb:PutItem, dynamodb:Query",
        "provider.httpApi.cors not carried",
        # The composite key and the GSI are carried (issue 18): the index becomes a
        # query on it; the stream is said to become on_change for a function reading it.
        "OrdersTable index byPlaced becomes query(..., index='by_placed')",
        "DynamoDB stream",
    ):
        assert expected in app_notes, expected
    orders = next(t for t in imported.tables.values() if t.name == "orders")
    assert orders.sort is not None
    assert any("cors on get orders not carried" in t for t in _notes(imported, "list_orders"))
    assert any("maximumBatchingWindow 5 s not carried" in t for t in _notes(imported, "work"))
    # The route's custom authorizer is the app's authorizer now, said to be ported (issue 16).
    assert any("becomes @app.authorizer authorize" in t for t in _notes(imported, "authorize"))
    assert any("port the check" in t for t in _notes(imported, "authorize"))
    app = imported.build_app()
    assert app.functions["list_orders"].trigger.guard is app.authorizers["authorize"]
    undecided = {u.function: u.reasons for u in imported.undecided}
    assert "authorize" not in undecided and "month_end" in undecided


def test_six_field_crons_say_which_clouds_cannot_run_them() -> None:
    assert eventbridge_to_portable("cron(30 6 ? * MON-FRI *)") == "30 6 * * MON-FRI"
    assert eventbridge_to_portable("cron(0 9 ? * 2 *)") == "0 9 * * MON"
    for expression, meaning in (
        ("cron(0 23 L * ? *)", "last"),
        ("cron(0 8 15W * ? *)", "nearest weekday"),
        ("cron(0 9 ? * 2#1 *)", "nth weekday"),
    ):
        with pytest.raises(ConfigError) as caught:
            eventbridge_to_portable(expression)
        message = str(caught.value)
        assert meaning in message
        assert "cannot be expressed on Azure" in message and "Google Cloud" in message


def test_the_scaffold_builds_on_all_three_clouds(imported, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    target = write_scaffold(imported, tmp_path / "ported")
    for cloud in ("aws", "azure", "gcp"):
        result = build(
            str(target), tmp_path / cloud, BuildOptions(cloud=cloud, install_dependencies=False)
        )
        assert result.files, cloud


def test_the_scaffold_adopts_the_named_resources_at_the_files_stage(  # type: ignore[no-untyped-def]
    imported, tmp_path: Path
) -> None:
    from deploy.sam_check import lint_errors, load_template, transform

    target = write_scaffold(imported, tmp_path / "ported")
    source = target.read_text()
    assert 'existing={"prod": {"aws": "orders-jobs-prod"}}' in source
    assert 'existing={"prod": {"aws": "orders-orders-prod"}}' in source
    # The buckets feed object triggers: adopting them needs EventBridge switched on first.
    assert 'app.bucket("uploads")' in source
    result = build(
        str(target),
        tmp_path / "aws-prod",
        BuildOptions(cloud="aws", stage="prod", install_dependencies=False),
    )
    template = load_template((result.out / "template.yaml").read_text())
    assert "JobsQueue" not in template["Resources"]
    assert "OrdersTable" not in template["Resources"]
    assert lint_errors(transform(template)) == []


def test_a_disabled_sam_schedule_is_not_live(tmp_path: Path) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(
        "Transform: AWS::Serverless-2016-10-31\n"
        "Resources:\n"
        "  Nightly:\n"
        "    Type: AWS::Serverless::Function\n"
        "    Properties:\n"
        "      Handler: app.nightly\n"
        "      Events:\n"
        "        Tick:\n"
        "          Type: Schedule\n"
        "          Properties: {Schedule: rate(1 day), Enabled: false}\n"
        "        Weekly:\n"
        "          Type: ScheduleV2\n"
        "          Properties: {ScheduleExpression: rate(7 days), State: DISABLED}\n"
    )
    imported = import_aws_app(template)
    assert imported.functions[0].triggers == []
    assert len([n for n in imported.notes if "is disabled" in n.text]) == 2
