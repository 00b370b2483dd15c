"""Import cost, cold start and peak memory, each measured in fresh interpreters.

The child times its own imports with perf_counter, so interpreter start-up noise stays
out; memory is the child's peak RSS (``VmHWM``) after serving one invocation, minus
a bare interpreter that serves the hand-written handler.

Children run with ``-S`` and import ``os`` themselves, which is what ``site`` imports,
without processing the environment's ``.pth`` files: the editable install's finder and
the namespace-package hooks there load ``re``, ``pathlib`` and more at start-up, which a
Lambda function does not have, and would hide what polyfn's own import costs. polyfn is
imported from the source tree (as from a bundle); the peers from site-packages.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import sysconfig
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
    "hand-written handler module (imports json)": "import json\n",
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

_PRELUDE = """
import os, sys
sys.path[:0] = [{root!r}]
sys.path.append({site!r})
"""

_IMPORT_CHILD = """
import sys, time
t = time.perf_counter()
exec(compile({code!r}, "<bench>", "exec"))
elapsed = time.perf_counter() - t
third_party = sorted({{m.split('.')[0] for m in sys.modules}} & {{'boto3', 'botocore', 'azure',
    'google', 'flask', 'werkzeug', 'asyncio', 'functions_framework', 'requests', 'urllib3'}})
print(elapsed * 1000, ",".join(third_party))
"""

# Peak RSS of this process image: VmHWM from /proc. ru_maxrss would do elsewhere, but on
# Linux it carries over the forked parent's peak across exec (40 MB of benchmark runner).
_MEMORY_CHILD = """
{setup}
event = {event!r}
handler(event, None)
try:
    with open("/proc/self/status") as status:
        print(next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")))
except OSError:
    import resource
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""

# From nothing to the first answer: import, define, serve one v2 request. The event is
# a Python literal, so json is imported only if the handler's side needs it.
_FIRST_RESPONSE_CHILD = """
import time
event = {event!r}
t = time.perf_counter()
exec(compile({setup!r} + "\\nhandler(event, None)\\n", "<bench>", "exec"))
print((time.perf_counter() - t) * 1000)
"""

_HANDWRITTEN_SETUP = """
import json
def handler(event, context):
    return {"statusCode": 200, "headers": {"content-type": "application/json"},
            "body": json.dumps({"id": event["pathParameters"]["id"]})}
"""


def _run(code: str) -> str:
    prelude = _PRELUDE.format(root=str(ROOT), site=sysconfig.get_paths()["purelib"])
    out = subprocess.run(
        [sys.executable, "-S", "-c", prelude + code],
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
    medians = {}
    for name, setup in _setups().items():
        samples = [
            int(_run(_MEMORY_CHILD.format(setup=setup, event=event))) / 1024 for _ in range(runs)
        ]
        medians[name] = statistics.median(samples)
    return medians


def first_response(event: dict[str, object], runs: int = 15) -> dict[str, float]:
    """Median ms from nothing imported to the first v2 answer: hand-written vs polyfn."""
    return {
        name: statistics.median(
            float(_run(_FIRST_RESPONSE_CHILD.format(setup=setup, event=event))) for _ in range(runs)
        )
        for name, setup in _setups().items()
    }


def _setups() -> dict[str, str]:
    return {"hand-written": _HANDWRITTEN_SETUP, "polyfn": _polyfn_setup()}


def _polyfn_setup() -> str:
    return (
        "import polyfn.adapters.aws as aws\n"
        + TEN_ROUTE_APP
        + "def get_user(req):\n    return {'id': req.path_params['id']}\n"
        + "app.get('/users/{id}')(get_user)\n"
        + "handler = aws.lambda_handler(app)\n"
    )
