"""Import cost and peak memory, each measured in fresh interpreters.

The child times its own imports with perf_counter, so interpreter start-up noise stays
out; memory is the child's peak RSS (``ru_maxrss``) after serving one invocation, minus
a bare interpreter that serves the hand-written handler.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

TEN_ROUTE_APP = """
from polyfn import App, Response
app = App("bench")
def make(i):
    def handler(req):
        return Response.json({"id": req.path_params["id"], "route": i})
    handler.__name__ = f"route_{i}"
    return handler
for i in range(10):
    app.get(f"/r{i}/{{id}}")(make(i))
"""

SNIPPETS = {
    "bare python": "pass",
    "polyfn + aws adapter + 10-route app": (
        "import polyfn\nimport polyfn.adapters.aws as aws\n"
        + TEN_ROUTE_APP
        + "handler = aws.lambda_handler(app)\n"
    ),
    "Chalice app": (
        "from chalice import Chalice\napp = Chalice(app_name='b')\n"
        "@app.route('/users/{i}')\ndef g(i): return {'id': i}\n"
    ),
    "Powertools HTTP resolver": (
        "from aws_lambda_powertools.event_handler import APIGatewayHttpResolver\n"
        "r = APIGatewayHttpResolver()\n"
    ),
    "apig-wsgi + Flask": (
        "from apig_wsgi import make_lambda_handler\nfrom flask import Flask\n"
        "h = make_lambda_handler(Flask('b'))\n"
    ),
    "Mangum + Starlette": (
        "from mangum import Mangum\nfrom starlette.applications import Starlette\n"
        "h = Mangum(Starlette(), lifespan='off')\n"
    ),
}

_IMPORT_CHILD = """
import sys, time
t = time.perf_counter()
exec(compile({code!r}, "<bench>", "exec"))
elapsed = time.perf_counter() - t
third_party = sorted({{m.split('.')[0] for m in sys.modules}} & {{'boto3', 'botocore', 'azure',
    'google', 'flask', 'werkzeug', 'asyncio', 'functions_framework', 'requests', 'urllib3'}})
print(elapsed * 1000, ",".join(third_party))
"""

_MEMORY_CHILD = """
import resource, json
{setup}
event = json.loads({event!r})
handler(event, None)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""

_HANDWRITTEN_SETUP = """
def handler(event, context):
    return {"statusCode": 200, "headers": {"content-type": "application/json"},
            "body": json.dumps({"id": event["pathParameters"]["id"]})}
"""


def _run(code: str) -> str:
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        env={"PYTHONDONTWRITEBYTECODE": "", "PATH": "/usr/bin:/bin"},
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip().splitlines()[-1] if out.stderr else "child failed")
    return out.stdout.strip()


def import_costs(runs: int = 15) -> dict[str, dict[str, object]]:
    """Median import milliseconds of each snippet, bare interpreter subtracted."""
    results: dict[str, dict[str, object]] = {}
    for name, code in SNIPPETS.items():
        try:
            _run(_IMPORT_CHILD.format(code=code))  # warm the .pyc cache first
            samples, modules = [], ""
            for _ in range(runs):
                ms, _, modules = _run(_IMPORT_CHILD.format(code=code)).partition(" ")
                samples.append(float(ms))
            results[name] = {"ms": statistics.median(samples), "third_party": modules}
        except RuntimeError as exc:
            results[name] = {"ms": None, "error": str(exc)}
    return results


def peak_memory(event: dict[str, object], runs: int = 15) -> dict[str, float]:
    """Peak RSS in MB: hand-written vs polyfn (10-route app), one v2 invocation each."""
    setups = {"hand-written": _HANDWRITTEN_SETUP, "polyfn": _polyfn_setup()}
    text = json.dumps(event)
    medians = {}
    for name, setup in setups.items():
        samples = [
            int(_run(_MEMORY_CHILD.format(setup=setup, event=text))) / 1024 for _ in range(runs)
        ]
        medians[name] = statistics.median(samples)
    return medians


def _polyfn_setup() -> str:
    return (
        "import polyfn.adapters.aws as aws\n"
        + TEN_ROUTE_APP
        + "def get_user(req):\n    return {'id': req.path_params['id']}\n"
        + "app.get('/users/{id}')(get_user)\n"
        + "handler = aws.lambda_handler(app)\n"
    )
