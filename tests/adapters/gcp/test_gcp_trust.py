"""What a Google Cloud function trusts: a Cloud Scheduler tick only in a process pinned to a
scheduled function (the header alone proves nothing), and an event it refuses answered
with a fixed sentence while the reason, with the values that caused it, goes to the log."""

from __future__ import annotations

import base64
import json
import os
import re
import sys
from pathlib import Path

import pytest
from behaviour.behaviour_app import build
from gcp_native import event_client, http_client, post_binary, send

from polyfn import App, Schedule
from polyfn.adapters.gcp.refusal import REFUSED_EVENT_DESCRIPTION
from polyfn.deploy.gcp_script import deploy_script
from polyfn.deploy.model import build_model
from polyfn.hosts.events import gcp as events


def _real_scheduler_request(job: str, path: str = "/") -> dict[str, object]:
    """The POST a Cloud Scheduler job with an OIDC service account makes, as the function
    receives it behind Google's front end: the ID token with its signature removed."""
    document = events.scheduler(job, schedule_time="2026-12-04T03:00:00Z", path=path)
    header = base64.urlsafe_b64encode(b'{"alg":"RS256","typ":"JWT"}').rstrip(b"=").decode()
    claims = {"aud": "https://x.run.app", "email": "sa@p.iam.gserviceaccount.com"}
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    headers = dict(document["headers"])  # type: ignore[call-overload]
    headers["Authorization"] = [f"Bearer {header}.{payload}.SIGNATURE_REMOVED_BY_GOOGLE"]
    return {**document, "headers": headers}


# ----------------------------------------------------------------------------- item 13


def test_a_forged_scheduler_header_on_an_unpinned_function_runs_no_schedule(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The two-line main.py of the GCP guide: http_function(app), no POLYFN_FUNCTION. A
    # forged request naming a real job exactly as deploy names it is an ordinary request:
    # "/" is no route (404), "/echo" is answered by echo, and no tick runs.
    app, seen = build()
    client = http_client(app)
    forged = _real_scheduler_request("behaviour-dev-tick-schedule")
    assert send(client, forged).status_code == 404
    on_route = _real_scheduler_request("tick", path="/echo")
    answer = send(client, on_route)
    assert answer.status_code == 200 and answer.get_json()["path"] == "/echo"
    assert seen["ticks"] == []
    assert "X-CloudScheduler header ignored" in caplog.text


def test_a_pinned_scheduled_function_takes_the_real_cloud_scheduler_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As deploy runs it: pinned to the function, the job's token already checked by
    # Google's front end (the function is deployed --no-allow-unauthenticated).
    monkeypatch.setenv("POLYFN_FUNCTION", "nightly")
    app, seen = build()
    response = send(http_client(app), _real_scheduler_request("behaviour-dev-nightly-schedule"))
    assert response.status_code == 200
    assert response.get_json()["function"] == "nightly"
    assert seen["ticks"] == [("nightly", "gcp", "2026-12-04T03:00:00Z")]


def test_a_function_pinned_to_a_route_never_takes_a_tick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLYFN_FUNCTION", "echo")
    app, seen = build()
    answer = send(http_client(app), _real_scheduler_request("tick", path="/echo"))
    assert answer.status_code == 200 and answer.get_json()["path"] == "/echo"
    assert seen["ticks"] == []


def test_the_local_runtimes_translation_never_takes_a_tick(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # polyfn run serves through http_function(..., scheduler_ticks=False): its own
    # scheduler fires the schedules, even with POLYFN_FUNCTION left set in the shell.
    monkeypatch.setenv("POLYFN_FUNCTION", "tick")
    app, seen = build()
    from polyfn.adapters.gcp import http_function
    from polyfn.adapters.gcp.serving import framework_app

    target = http_function(app, cloud="local", backends="keep", scheduler_ticks=False)
    client = framework_app(target, "http").test_client(use_cookies=False)
    assert send(client, _real_scheduler_request("tick")).status_code == 404
    assert seen["ticks"] == []


def test_deploy_makes_scheduled_functions_private_pinned_and_oidc_called() -> None:
    # What the pinned rule relies on: deploy.sh pins the function, deploys it private and
    # has the job send an OIDC token whose audience is the function's URL, for a service
    # account granted the invoker role, so Google's front end checks the caller.
    app = App("clock")

    @app.schedule("0 3 * * *", uses=[])
    def nightly(tick: Schedule) -> None:
        pass

    script = deploy_script(build_model(app), "europe-west1")
    deploy = re.search(
        r"^gcloud functions deploy clock-dev-nightly .*?[^\\]\n", script, re.M | re.S
    )
    assert deploy is not None
    assert "POLYFN_FUNCTION=nightly" in deploy.group(0)
    assert deploy.group(0).rstrip().endswith("--trigger-http --no-allow-unauthenticated")
    invoker = re.search(r"add-invoker-policy-binding clock-dev-nightly .*?[^\\]\n", script, re.S)
    assert invoker is not None and '"serviceAccount:${SA_NIGHTLY}"' in invoker.group(0)
    url = re.search(r'^URL="\$\(gcloud functions describe clock-dev-nightly .*', script, re.M)
    assert url is not None and "value(serviceConfig.uri)" in url.group(0)
    jobs = re.findall(r"gcloud scheduler jobs (?:create|update) http .*", script)
    assert len(jobs) == 2
    for job in jobs:
        assert '--uri "${URL}"' in job
        assert '--oidc-service-account-email "${SA_NIGHTLY}"' in job
        assert '--oidc-token-audience "${URL}"' in job


# ----------------------------------------------------------------------------- item 17


def test_a_refused_event_answers_a_fixed_sentence_and_logs_the_reason(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app, seen = build()
    job = "nobody-secret-job-7"
    response = post_binary(event_client(app), events.scheduler_pubsub(job))
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert job not in body
    assert REFUSED_EVENT_DESCRIPTION in body
    assert job in caplog.text and "refused CloudEvent" in caplog.text
    assert seen["ticks"] == []


def test_functions_frameworks_own_refusal_quotes_nothing_of_the_request(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A body that is neither a CloudEvent nor a background event: functions-framework
    # refuses it with a description quoting the headers and the data.
    app, _ = build()
    response = event_client(app).post(
        "/",
        data=b'{"secret-field-99": 1}',
        headers={"X-Secret": "hdr-42", "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert body == REFUSED_EVENT_DESCRIPTION + "\n"
    assert "secret-field-99" in caplog.text and "hdr-42" in caplog.text


def test_main_py_served_by_functions_framework_answers_the_fixed_sentence(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # As on Cloud Functions: functions-framework imports main.py itself, and the refusal
    # answer is installed from event_function, inside the app functions-framework builds.
    import functions_framework

    (tmp_path / "main.py").write_text(
        "from polyfn import App\n"
        "from polyfn.adapters import gcp\n"
        "app = App('plain')\n"
        "events = gcp.event_function(app, backends='keep')\n",
        encoding="utf-8",
    )
    saved_path, saved_env = list(sys.path), dict(os.environ)
    try:
        flask_app = functions_framework.create_app(
            target="events", source=str(tmp_path / "main.py")
        )
    finally:
        sys.path[:] = saved_path
        os.environ.clear()
        os.environ.update(saved_env)
        sys.modules.pop("main", None)
    client = flask_app.test_client()
    refused = client.post("/", data=b'{"secret-field-99": 1}', content_type="application/json")
    assert refused.status_code == 400
    assert refused.get_data(as_text=True) == REFUSED_EVENT_DESCRIPTION + "\n"
    job = events.scheduler_pubsub("nobody-secret-job-8")
    headers, body = events.binary_mode(job)
    ours = client.post("/", headers=headers, data=body)
    assert ours.status_code == 400
    assert ours.get_data(as_text=True) == REFUSED_EVENT_DESCRIPTION + "\n"
    assert "secret-field-99" in caplog.text and "nobody-secret-job-8" in caplog.text
