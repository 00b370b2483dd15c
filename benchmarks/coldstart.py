"""Import cost, cold start and peak memory, each measured in fresh interpreters.

The child times its own imports with perf_counter, so interpreter start-up noise stays
out; memory is the child's peak RSS (``VmHWM``) after serving one invocation, minus
a bare interpreter that serves the hand-written handler.

Children run with ``-S`` and import ``os`` themselves, which is what ``site`` imports,
without processing the environment's ``.pth`` files: the editable install's finder and
the namespace-package hooks there load ``re``, ``pathlib`` and more at start-up, which a
Lambda function does not have, and would hide what polyfn's own import costs. polyfn is
imported from the source tree (as from a bundle); the peers from site-packages.

``lambda_cold_start`` measures what a Lambda function pays instead: the child starts as
the runtime does, imports ``awslambdaric.bootstrap`` (Lambda's runtime client, which
loads json, logging, decimal, re, traceback... before any handler), and only then
imports the handler module with ``importlib.import_module``, as the runtime does. The
figure is that last import, and the modules it added. It runs with ``-S`` too: this venv's
``.pth`` files would load ``urllib.parse``, ``pathlib`` and ``importlib.util``, which the
runtime client does not, and an import of them by polyfn would go unseen.

``runtime_client_first_answer`` measures the whole cold start as Lambda runs it: a fresh
``python -m awslambdaric polyfn_entry.handler`` process in a task root, fetching its first
event from ``polyfn.testing.lambda_runtime_api`` (the event is queued before the process
starts), from the process's start to its answer arriving at the Runtime API. polyfn's
task root is the bundle ``polyfn deploy build --cloud aws`` writes; the hand-written one
is a single module. The bundle carries no ``.pyc`` files and Lambda's task root is
read-only, so a real cold start compiles polyfn's modules from source: the "as bundled"
row runs that way (``PYTHONDONTWRITEBYTECODE=1``, no ``__pycache__``), the ``.pyc`` row
with the bytecode written by a first run beforehand.
"""

from __future__ import annotations

import shutil
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

EVERY_TRIGGER_APP = (
    TEN_ROUTE_APP
    + """
files = app.bucket("files")
jobs = app.queue("jobs")
@app.on_object_created(files)
def uploaded(event):
    pass
@app.on_message(jobs)
def work(msg):
    pass
@app.schedule("rate(5 minutes)")
def tick(event):
    pass
@app.on_event(source="bench.*")
def other(event):
    pass
"""
)

# The handler modules of the Lambda figure, as a deployment would have them.
LAMBDA_HANDLERS = {
    "every trigger kind (10 routes, S3, SQS, schedule, event)": (
        "import polyfn\nimport polyfn.adapters.aws as aws\n"
        + EVERY_TRIGGER_APP
        + "handler = aws.lambda_handler(app)\n"
    ),
    "HTTP only (10 routes)": (
        "import polyfn\nimport polyfn.adapters.aws as aws\n"
        + TEN_ROUTE_APP
        + "handler = aws.lambda_handler(app)\n"
    ),
    "hand-written (import json)": (
        "import json\n"
        "def handler(event, context):\n"
        "    return {'statusCode': 200, 'body': json.dumps({'id': 1})}\n"
    ),
}

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

_LAMBDA_CHILD = """
import sys, time
sys.path.insert(0, {folder!r})
import awslambdaric.bootstrap  # what the runtime has imported before the handler
before = set(sys.modules)
import importlib
t = time.perf_counter()
importlib.import_module("bench_handler")
elapsed = time.perf_counter() - t
import json
added = sorted(set(sys.modules) - before - {{"bench_handler"}})
print(json.dumps({{"ms": elapsed * 1000, "added": added}}))
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


def lambda_cold_start(runs: int = 15) -> dict[str, dict[str, object]]:
    """Median ms to import each handler module after awslambdaric's imports, and the
    modules it added: ``flagged`` names ``typing`` and any module outside the standard
    library and polyfn (boto3 and the like)."""
    import json
    import tempfile

    results: dict[str, dict[str, object]] = {}
    for name, module in LAMBDA_HANDLERS.items():
        with tempfile.TemporaryDirectory() as folder:
            (Path(folder) / "bench_handler.py").write_text(module)
            code = _LAMBDA_CHILD.format(folder=folder)
            try:
                _run(code)  # writes the .pyc files, as a deployed bundle has them
                samples, added = [], []
                for _ in range(runs):
                    row = json.loads(_run(code))
                    samples.append(row["ms"])
                    added = row["added"]
            except RuntimeError as exc:
                results[name] = {"ms": None, "error": str(exc)}
                continue
        tops = {m.split(".")[0] for m in added}
        outside = sorted(tops - set(sys.stdlib_module_names) - {"polyfn"})
        flagged = (["typing"] if "typing" in added else []) + outside
        stdlib = [m for m in added if m.split(".")[0] in sys.stdlib_module_names]
        results[name] = {
            "ms": statistics.median(samples),
            "modules": len(added),
            "stdlib_added": stdlib,
            "flagged": flagged,
        }
    return results


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


_HANDWRITTEN_ENTRY = _HANDWRITTEN_SETUP.lstrip()


def runtime_client_first_answer(event: dict[str, object], runs: int = 15) -> dict[str, float]:
    """Median ms from starting ``python -m awslambdaric`` to its first answer, per handler.

    The runs of the handlers alternate, so a slower stretch of the machine hits all alike.
    """
    import tempfile

    from polyfn.testing.lambda_runtime_api import build_task_root

    with tempfile.TemporaryDirectory(prefix="polyfn-bench-ric-") as tmp:
        folder = Path(tmp)
        handwritten = folder / "handwritten"
        handwritten.mkdir()
        (handwritten / "polyfn_entry.py").write_text(_HANDWRITTEN_ENTRY)
        (folder / "app").mkdir()
        app_file = folder / "app" / "bench_app.py"
        app_file.write_text(
            "import polyfn\n" + TEN_ROUTE_APP + "def get_user(req):\n"
            "    return {'id': req.path_params['id']}\napp.get('/users/{id}')(get_user)\n"
        )
        bundled = build_task_root(str(app_file), folder / "polyfn")
        compiled = folder / "polyfn-pyc"
        shutil.copytree(bundled, compiled)
        variants = {
            "hand-written (one module)": (handwritten, True),
            "polyfn bundle as deployed (no .pyc)": (bundled, False),
            "polyfn bundle with .pyc": (compiled, True),
        }
        for root, writes_bytecode in variants.values():
            if writes_bytecode:
                _first_answer_ms(root, event, writes_bytecode)  # writes the .pyc files
        samples: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(runs):
            for name, (root, writes_bytecode) in variants.items():
                samples[name].append(_first_answer_ms(root, event, writes_bytecode))
    return {name: statistics.median(values) for name, values in samples.items()}


def _first_answer_ms(task_root: Path, event: dict[str, object], writes_bytecode: bool) -> float:
    from polyfn.testing.lambda_runtime_api import LambdaProcess, LambdaRuntimeApi

    environ = {} if writes_bytecode else {"PYTHONDONTWRITEBYTECODE": "1"}
    with LambdaRuntimeApi("bench") as api:
        invocation = api.submit(event)
        with LambdaProcess(api, task_root, environ=environ) as process:
            process.wait(invocation)
            if invocation.kind != "response":
                raise RuntimeError(f"{task_root.name}: {invocation.body!r}")
            return (invocation.answered_at - process.started) * 1000
