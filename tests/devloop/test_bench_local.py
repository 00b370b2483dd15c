"""``polyfn bench-local``: the load generator on its own, then against a real ``polyfn run``."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from polyfn.cli.loadgen import LoadSpec, percentile, run_load

from .conftest import APP_FILE, CliRunner


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the load generator expects

    def do_GET(self) -> None:
        status = 500 if self.path.endswith("/boom") else 200
        body = b'{"ok": true}'
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet


@pytest.fixture
def plain_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_percentile_is_nearest_rank() -> None:
    values = [float(n) for n in range(1, 101)]
    assert percentile(values, 0.5) == 50.0
    assert percentile(values, 0.9) == 90.0
    assert percentile(values, 0.99) == 99.0
    assert percentile([3.0], 0.99) == 3.0
    assert percentile([], 0.5) == 0.0


def test_load_sends_exactly_n_requests(plain_server: str) -> None:
    result = run_load(LoadSpec(url=plain_server, path="/x", requests=300, concurrency=4))
    assert result.completed == 300
    assert result.statuses == {200: 300}
    assert result.errors == 0
    assert result.requests_per_second > 0
    assert 0 < result.latency_ms(0.5) <= result.latency_ms(0.99)


def test_server_errors_are_counted(plain_server: str) -> None:
    result = run_load(LoadSpec(url=plain_server, path="/boom", requests=20, concurrency=2))
    assert result.statuses == {500: 20}
    assert result.errors == 20


def test_a_dead_server_gives_transport_errors_not_a_hang() -> None:
    from polyfn.cli.loadgen import free_port

    spec = LoadSpec(url=f"http://127.0.0.1:{free_port()}", requests=5, concurrency=1)
    result = run_load(spec)
    assert result.completed == 0
    assert result.errors == 5


def test_time_budget_bounds_the_run(plain_server: str) -> None:
    spec = LoadSpec(url=plain_server, requests=10_000_000, concurrency=2, duration=0.5)
    result = run_load(spec)
    assert result.stopped_by_time
    # The clock ended it, not the request count (no wall-clock threshold: CI load varies).
    assert 0 < result.completed < spec.requests


def test_bench_local_against_a_running_url(cli: CliRunner, plain_server: str) -> None:
    result = cli("bench-local", "--url", plain_server, "-n", "50", "-c", "2", "--json")
    assert result.code == 0, result.err
    [summary] = result.json().values()
    assert summary["requests"] == 50
    assert summary["errors"] == 0
    assert set(summary["latency_ms"]) == {"p50", "p90", "p99", "max"}


def test_bench_local_serves_the_app_with_polyfn_run(cli: CliRunner) -> None:
    result = cli("bench-local", APP_FILE, "--path", "/items/1", "-n", "200", "-c", "4", "--json")
    assert result.code == 0, result.err
    [(name, summary)] = result.json().items()
    assert name.startswith("polyfn run ")
    assert summary["requests"] == 200
    assert summary["statuses"] == {"200": 200}
    assert summary["requests_per_s"] > 0


def test_bench_local_reports_errors_with_exit_1(cli: CliRunner) -> None:
    result = cli("bench-local", APP_FILE, "--path", "/items/fail", "-n", "20", "-c", "2")
    assert result.code == 1
    assert "errors       20" in result.out


def test_compare_with_functions_framework(cli: CliRunner) -> None:
    result = cli("bench-local", "--compare-functions-framework", "-n", "200", "-c", "4", "--json")
    assert result.code == 0, result.err
    document = result.json()
    assert set(document) == {
        "polyfn run",
        "polyfn on functions-framework",
        "functions-framework",
    }
    for summary in document.values():
        assert summary["requests"] == 200
        assert summary["statuses"] == {"200": 200}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("bench-local",), "give an APP"),
        (("bench-local", APP_FILE, "--url", "http://127.0.0.1:1"), "not both"),
        (("bench-local", "--url", "http://127.0.0.1:1", "-n", "0"), "at least 1"),
        (("bench-local", "--url", "ftp://x"), "http://host:port"),
        (("bench-local", "--url", "http://127.0.0.1:1", "--header", "bad"), "--header expects"),
        (("bench-local", "no/such/app.py", "-n", "1"), "exited with code"),
    ],
)
def test_bad_arguments_exit_2(cli: CliRunner, args: tuple[str, ...], message: str) -> None:
    result = cli(*args)
    assert result.code == 2
    assert message in result.err


def test_json_output_is_parseable_for_scripts(cli: CliRunner, plain_server: str) -> None:
    result = cli("bench-local", "--url", plain_server, "-n", "10", "-c", "1", "--json")
    json.loads(result.out)
