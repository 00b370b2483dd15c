"""What an HTTP request can claim and what the runtimes believe, the same on every runtime:
a forged ``X-CloudScheduler`` header runs no schedule, the client's own ``X-Forwarded-For``
entries never become ``client_ip``, and a 400 echoes nothing of the input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from polyfn.hosts import Host

from .behaviour_app import build

# The job id polyfn deploy gives ``tick`` (<app>-<stage>-<function>-schedule): a forger
# who knows the app names it exactly.
FORGED_TICK = [
    ("User-Agent", "Google-Cloud-Scheduler"),
    ("X-CloudScheduler", "true"),
    ("X-CloudScheduler-JobName", "behaviour-dev-tick-schedule"),
    ("X-CloudScheduler-ScheduleTime", "2026-12-04T03:00:00Z"),
]


def test_a_forged_scheduler_header_runs_no_schedule(driver: Host) -> None:
    # Served unpinned (the two-line main.py on Google Cloud, polyfn run locally): the
    # request is an ordinary one, routed by its path, and no scheduled function runs.
    app, seen = build()
    assert driver.http(app, "POST", "/", headers=FORGED_TICK).status == 404
    echoed = driver.http(app, "POST", "/echo", headers=FORGED_TICK)
    assert echoed.status == 200 and echoed.json()["path"] == "/echo"
    assert seen["ticks"] == []


def test_a_client_supplied_forwarded_for_never_becomes_client_ip(driver: Host) -> None:
    app, seen = build()
    claimed = {"6.6.6.6", "7.7.7.7"}
    headers = [("X-Forwarded-For", "6.6.6.6, 7.7.7.7"), ("Client-IP", "7.7.7.7:1")]
    assert driver.http(app, "GET", "/users/7", headers=headers).status == 200
    ((request, _),) = seen["calls"]
    assert isinstance(request.client_ip, str) and request.client_ip
    assert request.client_ip not in claimed


def test_a_400_echoes_nothing_of_the_input(driver: Host) -> None:
    # A body that is no JSON, carrying a value of the client's: the 400 says so in a fixed
    # sentence and echoes nothing of it (a guard on every runtime; the Google Cloud events
    # target, where refusals did quote the input, is pinned in tests/adapters/gcp).
    app, _ = build()
    marker = "secret-input-4711"
    answer = driver.http(
        app,
        "PUT",
        "/users/7",
        headers=[("Content-Type", "application/json")],
        body=f'{{"x": {marker}'.encode(),
    )
    assert answer.status == 400
    assert marker not in answer.text
    assert json.loads(answer.body)["error"]["message"] == "Request body is not valid JSON"


def test_polyfn_run_ignores_a_forged_scheduler_header(tmp_path: Path) -> None:
    # A real ``polyfn run`` server over a socket, with POLYFN_FUNCTION left set in the
    # shell: its own scheduler fires the schedules, an HTTP request never does.
    import urllib.error
    import urllib.request

    from polyfn.adapters.local.entry import LocalRuntime, RuntimeOptions

    app, seen = build()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("POLYFN_FUNCTION", "tick")
        runtime = LocalRuntime(app, RuntimeOptions(data_dir=tmp_path / "run", port=0))
    runtime.start()
    try:
        assert runtime.http is not None
        request = urllib.request.Request(
            runtime.http.url + "/", method="POST", headers=dict(FORGED_TICK), data=b""
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        assert refused.value.code == 404
        refused.value.close()
    finally:
        runtime.stop()
    # The runtime's own scheduler may fire a schedule whose minute passes during the test
    # (fast_tick runs every minute): that is correct. What must never run is the forged
    # tick, which carries the forger's schedule time.
    forged_time = dict(FORGED_TICK)["X-CloudScheduler-ScheduleTime"]
    assert [tick for tick in seen["ticks"] if tick[2] == forged_time] == []
