"""The servers ``polyfn bench-local`` measures, each a child process it starts and stops.

``serve`` starts a command line on 127.0.0.1 and a port, waits until it answers HTTP,
yields its URL, and stops the process it started (terminate, then kill). The built-in
benchmark apps are written to a temporary folder: one route answering JSON with a path
parameter and one queue consumer, written once for polyfn and the route once by hand for
functions-framework, so both servers do the same work per request.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from polyfn.cli.errors import UsageError
from polyfn.cli.loadgen import free_port

__all__ = [
    "BENCH_PATH",
    "BENCH_QUEUE",
    "BenchApps",
    "functions_framework_command",
    "polyfn_command",
    "polyfn_run_command",
    "serve",
    "write_bench_apps",
]

_READY_TIMEOUT = 30.0
_STOP_GRACE = 5.0

# The built-in benchmark apps (see the module docstring).
_POLYFN_COMPARE_APP = """\
from polyfn import App, Message, Request, Response

app = App("bench")
jobs = app.queue("jobs")


@app.get("/hello/{name}")
def hello(req: Request) -> Response:
    return Response.json({"hello": req.path_params["name"]})


@app.on_message(jobs, batch_size=10)
def work(msg: Message) -> None:
    msg.json()  # parse the body, as a real consumer would, and do nothing else
"""

_FLASK_COMPARE_APP = """\
import json

import functions_framework


@functions_framework.http
def hello(request):
    parts = request.path.split("/")
    if len(parts) != 3 or parts[1] != "hello" or not parts[2]:
        return (json.dumps({"error": "Not Found"}), 404, {"content-type": "application/json"})
    if request.method != "GET":
        return (json.dumps({"error": "Method Not Allowed"}), 405, {"allow": "GET"})
    return (json.dumps({"hello": parts[2]}), 200, {"content-type": "application/json"})
"""
BENCH_PATH = "/hello/bench"
BENCH_QUEUE = "jobs"


# The polyfn app as Google Cloud runs it: the ``main.py`` deploy writes, on
# functions-framework's own server. Against the hand-written handler on that same server
# it isolates what polyfn's translation costs from what the servers differ by.
_POLYFN_ON_FUNCTIONS_FRAMEWORK = """\
from polyfn.adapters import gcp
from polyfn_bench_app import app

http = gcp.http_function(app)
"""


@dataclass(frozen=True)
class BenchApps:
    polyfn_app: Path  # for ``polyfn run``
    polyfn_main: Path  # functions-framework source, target ``http``
    flask_main: Path  # functions-framework source, target ``hello``


def write_bench_apps(folder: Path) -> BenchApps:
    """The built-in benchmark apps, written into ``folder``."""
    apps = BenchApps(
        folder / "polyfn_bench_app.py", folder / "polyfn_main.py", folder / "flask_main.py"
    )
    apps.polyfn_app.write_text(_POLYFN_COMPARE_APP, encoding="utf-8")
    apps.polyfn_main.write_text(_POLYFN_ON_FUNCTIONS_FRAMEWORK, encoding="utf-8")
    apps.flask_main.write_text(_FLASK_COMPARE_APP, encoding="utf-8")
    return apps


def polyfn_run_command(app: str, data_dir: Path) -> list[str]:
    """The ``polyfn run`` command line; ``{port}`` is filled in when it starts."""
    return [
        *polyfn_command(),
        "run",
        app,
        "--host",
        "127.0.0.1",
        "--port",
        "{port}",
        "--data-dir",
        str(data_dir),
    ]


def polyfn_command() -> list[str]:
    """The ``polyfn`` command as this interpreter runs it.

    Not ``python -m polyfn.cli``: run as ``__main__`` that module defines a second
    ``UsageError`` class, which the subcommands' (``polyfn.cli.UsageError``) is not.
    """
    return [sys.executable, "-c", "import sys; from polyfn.cli import main; sys.exit(main())"]


def functions_framework_command(source: Path, target: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "functions_framework",
        "--target",
        target,
        "--source",
        str(source),
        "--host",
        "127.0.0.1",
        "--port",
        "{port}",
    ]


@contextlib.contextmanager
def serve(
    command: Sequence[str], port: int, workdir: Path, env: Mapping[str, str] | None = None
) -> Iterator[str]:
    """Start ``command`` on ``port`` (0: a free one), yield its URL once it answers, stop it.

    Its output goes to a log file in ``workdir``, whose last lines explain a failed start.
    """
    port = port or free_port()
    argv = [part.replace("{port}", str(port)) for part in command]
    log_path = workdir / f"server-{port}.log"
    env = {**os.environ, **(env or {})}
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_answering(url, process, log_path)
        yield url
    finally:
        _stop(process)


def _wait_until_answering(url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + _READY_TIMEOUT
    while True:
        if process.poll() is not None:
            raise UsageError(
                f"the server exited with code {process.returncode} before answering: "
                f"{_tail(log_path)}"
            )
        try:
            with urllib.request.urlopen(url + "/", timeout=1.0):
                return
        except urllib.error.HTTPError:
            return  # any HTTP answer, 404 included, means it is serving
        except OSError:
            if time.monotonic() > deadline:
                raise UsageError(
                    f"the server did not answer on {url} within {_READY_TIMEOUT:.0f} s: "
                    f"{_tail(log_path)}"
                ) from None
            time.sleep(0.1)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(_STOP_GRACE)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(_STOP_GRACE)


def _tail(log_path: Path) -> str:
    try:
        lines = log_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    except OSError:
        return "(no output)"
    return " | ".join(lines[-3:]) or "(no output)"
