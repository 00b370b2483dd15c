"""Imported functions polyfn cannot give a trigger stay in the plan as "needs a decision".

A function invoked directly and a schedule only EventBridge can say (``cron(0 0 L * ? *)``)
once made ``polyfn plan --from`` crash in ``trigger_groups`` and ``--scaffold`` write
nothing. Each must be reported with the reason, from serverless.yml and SAM alike, while
the rest of the app is planned and scaffolded as usual. A Lambda that only a Step
Functions state machine calls (``charge``) is no longer undecided: the state machine is
imported as a workflow and the Lambda as its task. Nor is the Lambda authorizer
(``authorize``): it becomes the app's ``@app.authorizer`` (issue 16; tests/plan/
test_import_auth.py has the rest).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from polyfn.cli.main import main
from polyfn.loading import load_app
from polyfn.plan.import_model import ImportedFunction, trigger_groups
from polyfn.plan.importers import import_aws_app
from polyfn.plan.planner import build_plan
from polyfn.plan.report_html import render_html
from polyfn.plan.report_md import render_markdown
from polyfn.plan.scaffold import write_scaffold
from polyfn.plan.traffic import TrafficProfile

FIXTURES = Path(__file__).parent / "fixtures" / "unfed"
SOURCES = [FIXTURES / "serverless.yml", FIXTURES / "sam" / "template.yaml"]
CLOUDS = ("aws", "azure", "gcp")
# Each unfed function and a phrase of the reason the plan must give for it.
EXPECTED = {
    "reindex": "invoked directly",
    "month_end": "cron(0 0 L * ? *)",
}
# The authorizer's polyfn name: the function's key, or the SAM authorizer's name.
AUTHORIZER = {"serverless": "authorize", "sam": "token_auth"}


def test_a_function_without_triggers_has_no_groups() -> None:
    fn = ImportedFunction("solo", "solo", "solo.handler", None, None)
    assert trigger_groups(fn) == []


@pytest.mark.parametrize("source", SOURCES, ids=["serverless", "sam"])
def test_unfed_functions_need_a_decision_with_the_reason(source: Path) -> None:
    imported = import_aws_app(source)
    plan = build_plan(imported.plan_inputs(CLOUDS, TrafficProfile()))
    assert sorted(f.name for f in plan.functions) == ["charge", "list_invoices"]
    undecided = {u.function: u for u in plan.undecided}
    assert set(undecided) == set(EXPECTED)
    for name, phrase in EXPECTED.items():
        assert any(phrase in reason for reason in undecided[name].reasons), name
        for cloud in CLOUDS:
            status = plan.status_of(name, cloud)
            assert status is not None and status.status == "needs a decision"
            assert status.reasons == undecided[name].reasons
    assert "charge" not in undecided
    assert "authorize" not in undecided  # the app's authorizer now
    markdown = render_markdown(plan)
    html = render_html(plan)
    for name in EXPECTED:
        assert f"`{name}` on AWS (needs a decision)" in markdown
        assert f"<code>{name}</code>" in html


@pytest.mark.parametrize("source", SOURCES, ids=["serverless", "sam"])
def test_scaffold_writes_the_rest_and_lists_the_unfed(source: Path, tmp_path: Path) -> None:
    imported = import_aws_app(source)
    target = write_scaffold(imported, tmp_path / "ported")
    text = target.read_text()
    assert "NEEDS A DECISION" in text
    for name in EXPECTED:
        assert f"# - {name} (was " in text
    assert "# - authorize (was " not in text
    app = load_app(str(target))
    assert set(app.functions) == {"list_invoices", "charge"}
    assert app.functions["charge"].trigger.kind == "task"  # of the imported state machine
    (authorizer,) = app.authorizers  # the Lambda authorizer, scaffolded
    assert authorizer in AUTHORIZER.values()


def test_cli_plan_and_scaffold_of_a_file_with_only_an_unfed_function(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "serverless.yml"
    source.write_text(
        "service: jobs\nprovider:\n  name: aws\nfunctions:\n  worker:\n    handler: w.run\n"
    )
    report = tmp_path / "plan.json"
    code = main(
        [
            "plan",
            "--from",
            str(source),
            "--format",
            "json",
            "--out",
            str(report),
            "--scaffold",
            str(tmp_path / "out"),
        ]
    )
    assert code == 0
    document = json.loads(report.read_text())
    assert [u["function"] for u in document["undecided"]] == ["worker"]
    assert {s["status"] for s in document["statuses"]} == {"needs a decision"}
    assert "worker (was w.run)" in (tmp_path / "out" / "app.py").read_text()
    assert "wrote" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("source", "kind"), list(zip(SOURCES, AUTHORIZER, strict=True)), ids=AUTHORIZER
)
def test_a_route_behind_the_authorizer_stays_closed(source: Path, kind: str) -> None:
    # serverless.yml names the authorizer on the route; the SAM template only on its API
    # (Auth.DefaultAuthorizer), which once read as an open route.
    app = import_aws_app(source).build_app()
    trigger = app.functions["list_invoices"].trigger
    assert getattr(trigger, "guard", None) is app.authorizers[AUTHORIZER[kind]]
