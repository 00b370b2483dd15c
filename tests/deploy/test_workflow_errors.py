"""A catch or retry on an error name no task of the workflow raises: warned about at deploy
build and in ``polyfn plan``, from the tasks' source."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from workflows.order_workflow import build as order_app

from polyfn import App, Fail, Parallel, Retry
from polyfn.deploy.builder import BuildOptions, build
from polyfn.deploy.workflow_errors import raised_names, unraisable_error_warnings
from polyfn.plan.planner import PlanInputs, build_plan
from polyfn.plan.report_md import render_markdown
from polyfn.plan.traffic import TrafficProfile

HERE = Path(__file__).resolve().parent


class OutOfStock(Exception):
    pass


class PaymentError(Exception):
    pass


class CardDeclined(PaymentError):
    pass


Renamed = OutOfStock  # an alias: what is raised is still named OutOfStock


def reserve_stock(data: Any) -> None:
    if data.get("stock") == "out":
        raise OutOfStock("out")


def charge_card(data: Any) -> None:
    check_card(data)


def check_card(data: Any) -> None:
    if data.get("card") == "declined":
        raise CardDeclined("declined")


def _app(*catches: tuple[str, str], retry: str | None = None) -> App:
    app = App("shop")
    flow = app.workflow("flow")

    @flow.task(retry=Retry(retry) if retry else None)
    def check(data: Any) -> Any:
        reserve_stock(data)  # raises OutOfStock: followed into the helper
        return data

    @flow.task
    def charge(data: Any) -> Any:
        charge_card(data)  # raises CardDeclined two helpers down
        return data

    @flow.task
    def notify(data: Any) -> Any:
        return data

    steps: dict[str, Any] = {"check": check, "charge": charge}
    for state, name in catches:
        steps[state] = steps[state].catch(name, notify)
    flow.flow(steps["check"], steps["charge"])
    return app


def test_the_order_workflow_draws_no_warning() -> None:
    assert unraisable_error_warnings(order_app()) == []


def test_a_catch_of_a_name_nothing_raises_is_named() -> None:
    warnings = unraisable_error_warnings(_app(("check", "OutOfStok")))
    assert warnings == [
        "workflow 'flow', state 'check': the catch on 'OutOfStok' never matches: no task of "
        "the workflow raises 'OutOfStok' (errors match by the exception's class name)"
    ]


def test_a_retry_of_a_name_nothing_raises_is_named() -> None:
    [warning] = unraisable_error_warnings(_app(retry="Throttled"))
    assert "state 'check': the retry on 'Throttled' never matches" in warning


def test_names_raised_in_helpers_are_found() -> None:
    app = _app(("check", "OutOfStock"), ("charge", "CardDeclined"))
    assert unraisable_error_warnings(app) == []


def test_a_base_class_is_not_a_match_since_errors_match_by_class_name() -> None:
    [warning] = unraisable_error_warnings(_app(("charge", "PaymentError")))
    assert "'PaymentError' never matches" in warning


def test_engine_names_and_builtin_exceptions_are_never_warned_about() -> None:
    app = _app(("check", "States.ALL"), ("charge", "KeyError"), retry="States.Timeout")
    assert unraisable_error_warnings(app) == []


def test_what_raise_statements_name() -> None:
    def aliased(data: Any) -> None:
        raise Renamed("x")

    def reraises(data: Any) -> None:
        try:
            reserve_stock(data)
        except (PaymentError, LookupError):
            raise

    def opaque(data: Any) -> None:
        error = RuntimeError("x")
        raise error

    class Local(Exception):
        pass

    def local(data: Any) -> None:
        raise Local

    assert raised_names(aliased) == {"OutOfStock"}
    assert raised_names(reraises) == {"OutOfStock", "PaymentError", "LookupError"}
    assert raised_names(opaque) == set()
    assert raised_names(local) == {"Local"}


def test_a_fail_states_error_can_be_caught() -> None:
    app = App("branches")
    flow = app.workflow("flow")

    @flow.task
    def done(data: Any) -> Any:
        return data

    flow.flow(Parallel([done], [Fail("Rejected")]).catch("Rejected", done))
    assert unraisable_error_warnings(app) == []


def test_deploy_build_and_plan_warn(tmp_path: Path) -> None:
    result = build(
        str(HERE / "workflow_typo"),
        tmp_path / "out",
        BuildOptions(cloud="gcp", install_dependencies=False),
    )
    [warning] = result.workflow_warnings
    assert "state 'charge_payment': the catch on 'PaymentFailed' never matches" in warning

    from polyfn.loading import load_app

    app = load_app(str(HERE / "workflow_typo"))
    plan = build_plan(PlanInputs(app, ("gcp",), TrafficProfile(), root=HERE / "workflow_typo"))
    [note] = [n for n in plan.import_notes if "never matches" in n.text]
    assert (note.impact, note.text) == ("info", f"warning: {warning}")
    assert f"warning: {warning}" in render_markdown(plan)


def test_polyfn_deploy_build_prints_the_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from polyfn.cli import main

    out = tmp_path / "out"
    app_dir = str(HERE / "workflow_typo")
    assert main(["deploy", "build", app_dir, "--cloud", "gcp", "--out", str(out), "--no-deps"]) == 0
    printed = capsys.readouterr().out
    expected = "warning: workflow 'order', state 'charge_payment': the catch on 'PaymentFailed'"
    assert expected in printed
    assert (out / "workflows" / "order.yaml").is_file()
