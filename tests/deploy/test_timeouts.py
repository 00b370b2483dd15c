"""One default timeout in every artifact, and the SQS visibility check that depends on it.

A function that declares no timeout gets ``polyfn.core.defaults.DEFAULT_TIMEOUT_SECONDS``
in the SAM template, in deploy.sh and in Azure's host.json, whose one app-wide
``functionTimeout`` is the longest function timeout (not the Consumption plan's 5 min).
A queue whose visibility timeout is under 6x its consumer's timeout, declared or
default, is warned about by deploy and by plan (AWS recommends 6x).
"""

from __future__ import annotations

import re

from deploy.conftest import SHOP, Builder
from polyfn import App, Message, Request, Response
from polyfn.core.defaults import DEFAULT_TIMEOUT_SECONDS
from polyfn.deploy.azure_project import app_settings, host_json
from polyfn.deploy.limits import check_app
from polyfn.deploy.model import build_model
from polyfn.loading import load_app
from polyfn.plan.planner import PlanInputs, build_plan
from polyfn.plan.traffic import TrafficProfile


def _app(*timeouts: int | None) -> App:
    app = App("timeouts")
    for index, timeout in enumerate(timeouts):

        def handler(req: Request) -> Response:
            return Response.json({})

        app.get(f"/f{index}", name=f"f{index}", timeout=timeout)(handler)
    return app


def test_azure_function_timeout_is_the_longest_function_timeout() -> None:
    undeclared = build_model(_app(None, None))
    assert host_json(undeclared, "consumption")["functionTimeout"] == "00:00:30"
    assert app_settings(undeclared, "consumption")["POLYFN_TIMEOUT_SECONDS"] == str(
        DEFAULT_TIMEOUT_SECONDS
    )
    mixed = build_model(_app(None, 90, 10))
    assert host_json(mixed, "consumption")["functionTimeout"] == "00:01:30"
    short = build_model(_app(10, 5))  # shorter than the default: the default is not imposed
    assert host_json(short, "consumption")["functionTimeout"] == "00:00:10"


def test_an_undeclared_timeout_is_the_default_in_every_artifact(built: Builder) -> None:
    # list_users declares no timeout; thumbnail declares 60 s.
    template = (built(SHOP, "aws", install_dependencies=False).out / "template.yaml").read_text()
    list_users = template[template.index("ListUsersFunction:") :]
    timeout = re.search(r"Timeout: (\d+)", list_users)
    assert timeout is not None and int(timeout.group(1)) == DEFAULT_TIMEOUT_SECONDS
    script = (built(SHOP, "gcp").out / "deploy.sh").read_text()
    command = script[script.index("# --- function list_users:") :].split("\n\n")[0]
    assert f"--timeout {DEFAULT_TIMEOUT_SECONDS}s" in command
    assert f"POLYFN_TIMEOUT_SECONDS={DEFAULT_TIMEOUT_SECONDS}" in command


def _consumer(visibility: int, timeout: int | None) -> App:
    app = App("visibility")
    jobs = app.queue("jobs", visibility_timeout=visibility)

    @app.on_message(jobs, timeout=timeout)
    def consume(msg: Message) -> None:
        return None

    return app


def _visibility_warnings(app: App) -> list[str]:
    return [
        f.message
        for f in check_app(app, "aws")
        if f.limit == "visibility_timeout" and f.level == "warn"
    ]


def test_visibility_under_six_times_the_timeout_warns_even_with_the_default_timeout() -> None:
    # The bundled example declares no visibility: deploy gives it 6x, nothing to warn.
    assert _visibility_warnings(load_app(str(SHOP))) == []
    assert _visibility_warnings(_consumer(30, None))
    assert _visibility_warnings(_consumer(100, 20))
    assert _visibility_warnings(_consumer(6 * DEFAULT_TIMEOUT_SECONDS, None)) == []
    assert _visibility_warnings(_consumer(120, 20)) == []


def test_plan_flags_the_visibility_of_a_consumer_on_the_default_timeout() -> None:
    plan = build_plan(
        PlanInputs(app=_consumer(30, None), clouds=("aws",), traffic=TrafficProfile())
    )
    [mapping] = [m for m in plan.triggers if m.function == "consume"]
    retries = [n for n in mapping.notes if n.topic == "retries" and n.impact == "change"]
    assert retries and "at least 180 s" in retries[0].text
    compliant = build_plan(
        PlanInputs(app=_consumer(180, None), clouds=("aws",), traffic=TrafficProfile())
    )
    [ok] = [m for m in compliant.triggers if m.function == "consume"]
    assert not [n for n in ok.notes if n.topic == "retries" and n.impact == "change"]
