"""polyfn run's log formats and metrics: ``--log-format json`` writes each record as one
JSON object with the invocation's fields, the default text form is one readable line,
the metrics summary is printed on exit and ``polyfn metrics`` reads it back."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest

from polyfn.cli import main

from .processes import RunningApp

APP = Path(__file__).resolve().parent / "apps" / "observed.py"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


def _post(running: RunningApp, n: int) -> int:
    request = urllib.request.Request(
        running.url + "/orders",
        data=json.dumps({"n": n}).encode(),
        method="POST",
        headers={
            "content-type": "application/json",
            "traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-01",
            "x-correlation-id": f"order-{n}",
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        # Read the answer before closing, as the harness does: a client that closes
        # unread can leave polyfn run's shutdown waiting out its 30 s grace.
        response.read()
        return int(response.status)


def test_json_logs_carry_the_trace_and_metrics_are_summed_on_exit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    running = RunningApp(data, tmp_path / "logs", ["--log-format", "json"], app=APP)
    try:
        assert _post(running, 1) == 201
        assert _post(running, 2) == 201
    finally:
        assert running.terminate() == 0
    lines = [
        json.loads(line) for line in running.stderr_text().splitlines() if line.startswith("{")
    ]
    placed = [line for line in lines if line.get("message") == "order placed"]
    assert [line["correlationId"] for line in placed] == ["order-1", "order-2"]
    for line in placed:
        assert line["traceId"] == TRACE_ID
        assert line["function"] == "place_order" and line["cloud"] == "local"
        assert line["level"] == "INFO" and line["logger"] == "polyfn.fn.place_order"
    assert [line["order"] for line in placed] == [1, 2]
    stderr = running.stderr_text()
    assert "metrics:" in stderr
    assert "polyfn/OrdersPlaced" in stderr and "total 2 Count (2 invocations)" in stderr

    assert main(["metrics", str(APP), "--data-dir", str(data), "--format", "json"]) == 0
    rows = {row["name"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows["OrdersPlaced"]["total"] == 2
    assert (rows["BasketValue"]["min"], rows["BasketValue"]["max"]) == (10, 20)
    # polyfn's own: the local runtime is the platform, so it counts and times each one.
    assert rows["Invocations"]["total"] == 2
    assert rows["Duration"]["count"] == 2 and rows["Duration"]["min"] >= 0
    assert main(["metrics", str(APP), "--data-dir", str(data)]) == 0
    assert "polyfn/BasketValue" in capsys.readouterr().out


def test_text_logs_are_readable_lines(tmp_path: Path) -> None:
    running = RunningApp(tmp_path / "data", tmp_path / "logs", app=APP)
    try:
        assert _post(running, 3) == 201
    finally:
        assert running.terminate() == 0
    (line,) = [line for line in running.stderr_text().splitlines() if "order placed" in line]
    assert "INFO" in line and "place_order: order placed" in line
    assert f"trace {TRACE_ID} correlation order-3" in line


def test_metrics_before_any_run_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["metrics", str(APP), "--data-dir", str(tmp_path / "none")]) == 2
    assert "run it with polyfn run first" in capsys.readouterr().err
