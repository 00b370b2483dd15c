"""Nothing of the observability machinery's optional parts is imported unless asked:
no OpenTelemetry without ``polyfn.otel.instrument()``, and no logging, metrics or
trace parsing module on the AWS handler's import path (issue 17, performance)."""

from __future__ import annotations

import json
import subprocess
import sys

CODE = """
import json, sys
from polyfn import App, Request
import polyfn.adapters.aws as aws
app = App("imports")
@app.get("/x")
def x(req: Request) -> str:
    return "ok"
handler = aws.lambda_handler(app)
event = {"version": "2.0", "routeKey": "$default", "rawPath": "/x", "rawQueryString": "",
         "headers": {"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
         "requestContext": {"http": {"method": "GET", "path": "/x"}, "requestId": "r"},
         "isBase64Encoded": False}
assert handler(event, None)["statusCode"] == 200
watched = ("opentelemetry", "polyfn", "logging", "random")
print(json.dumps(sorted(m for m in sys.modules if m.startswith(watched))))
"""


def _loaded(**environ: str) -> tuple[set[str], str]:
    completed = subprocess.run(
        [sys.executable, "-S", "-c", CODE], capture_output=True, text=True, check=True,
        env={"PYTHONPATH": ":".join(sys.path), **environ},
    )  # fmt: skip
    *printed, modules = completed.stdout.splitlines()
    return set(json.loads(modules)), "\n".join(printed)


def test_the_cold_start_is_counted_in_emf() -> None:
    # On Lambda (the runtime sets AWS_LAMBDA_FUNCTION_NAME) polyfn's own metrics are on.
    loaded, printed = _loaded(AWS_LAMBDA_FUNCTION_NAME="probe")
    assert "polyfn.adapters.aws.metrics" in loaded and "opentelemetry" not in loaded
    (line,) = printed.splitlines()
    document = json.loads(line)
    assert document["ColdStart"] == 1 and document["function"] == "x"


def test_a_request_that_logs_nothing_loads_no_observability_module() -> None:
    # Built-in metrics off (a script, not Lambda; or POLYFN_BUILTIN_METRICS=0 on Lambda):
    # the cold start is not counted, and nothing else asks.
    loaded, printed = _loaded()
    assert printed == ""
    loaded, printed = _loaded(AWS_LAMBDA_FUNCTION_NAME="probe", POLYFN_BUILTIN_METRICS="0")
    assert printed == ""
    assert "polyfn.adapters.aws" in loaded
    unexpected = {
        "opentelemetry",
        "logging",
        "random",
        "polyfn.otel",
        "polyfn.core.trace_context",
        "polyfn.core.metrics",
        "polyfn.core.log_fields",
        "polyfn.core.loop_guard",
        "polyfn.adapters.aws.metrics",
    }
    assert loaded & unexpected == set()
