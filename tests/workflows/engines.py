"""The engines one workflow test runs on, each driven the way that engine runs a workflow.

- ``local``: polyfn's executor on SQLite (``adapters/local/backends/workflows.py``).
- ``asl``: the States Language definition ``polyfn deploy`` writes for Step Functions, run by
  ``aws-local-stepfunctions`` (npm) after ``asl-validator`` accepted it; each Task state calls
  back into this process (``TaskServer``), which runs the task as its Lambda would: polyfn's
  own ``lambda_handler(app)``, pinned to the task's function, invoked with the envelope the
  Task state's ``Parameters`` built and a Lambda context.
- ``durable``: the Durable Functions orchestrator ``function_app(app)`` registers, replayed by
  the ``azure-functions-durable`` library on histories ``durable_host.DurableHost`` writes as
  the Durable host does, each activity run through the function registered for it.

Each ``run`` returns the same summary: status, output or error and cause, and the path of
top-level states visited. ``trace`` is the starter's carrier (``TraceContext.outgoing``),
which each engine is given as its backend's ``start`` gives it (``core.workflow_trace``).
"""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Protocol

from polyfn import App
from polyfn.adapters.aws import lambda_handler
from polyfn.adapters.local.backends import LocalBackends
from polyfn.core.workflow import Workflow
from polyfn.core.workflow_trace import wrap
from polyfn.deploy.workflow_asl import ENTRY_STATES, to_asl
from polyfn.hosts.events.aws import lambda_context

ROOT = Path(__file__).resolve().parents[2]
NODE_BIN = ROOT / "node_modules" / ".bin"
RUNNER = Path(__file__).with_name("asl_runner.mjs")
ARN = "arn:aws:lambda:us-east-1:123456789012:function:{}"


class Engine(Protocol):
    name: str

    def run(
        self, app: App, workflow: str, data: Any, trace: dict[str, str] | None = None
    ) -> dict[str, Any]: ...


class LocalEngine:
    name = "local"

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir

    def run(
        self, app: App, workflow: str, data: Any, trace: dict[str, str] | None = None
    ) -> dict[str, Any]:
        app.bind(LocalBackends(self.data_dir, app.name))
        declared = app.workflows[workflow]
        backend = app.backend_for(declared)
        backend.background = False  # driven here, to its end
        execution = backend.start(declared, data, None, trace=trace)
        summary: dict[str, Any] = backend.run(execution.id).summary()
        summary.pop("id")
        return summary


class DurableEngine:
    name = "durable"

    def __init__(self) -> None:
        self.host: Any = None

    def run(
        self, app: App, workflow: str, data: Any, trace: dict[str, str] | None = None
    ) -> dict[str, Any]:
        from polyfn.adapters.azure import function_app
        from polyfn.adapters.azure.workflows import orchestrator_name, summary_from_status
        from workflows.durable_host import DurableHost

        self.host = DurableHost(function_app(app))
        started = wrap(data, trace)  # as DurableWorkflows.start sends it
        outcome = self.host.run(orchestrator_name(workflow), started, "execution-1")
        summary = summary_from_status(
            "execution-1", outcome.status, outcome.output, outcome.custom_status
        )
        summary.pop("id")
        return summary


class TaskServer:
    """Runs the task a Task state names, as its Lambda function would, for the ASL runner.

    Each task resource is polyfn's Lambda handler pinned to that task's function (as deploy
    pins each function with ``POLYFN_FUNCTION``); the event is what the Task state's
    ``Parameters`` made of the state's data. A raised exception is answered as Lambda reports
    it to Step Functions: the error is its class name (``errorType``), the cause its message.
    """

    def __init__(self) -> None:
        self.tasks: dict[str, tuple[str, Any]] = {}
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                function_name, handler = owner.tasks[request["resource"]]
                try:
                    answer = {"result": handler(request["input"], lambda_context(function_name))}
                except Exception as error:
                    answer = {"error": type(error).__name__, "cause": str(error)}
                body = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/"

    def serve(self, workflow: Workflow) -> None:
        for name in workflow.tasks:
            handler = lambda_handler(workflow.app, backends="keep", function=name)
            self.tasks[ARN.format(name)] = (name, handler)


@contextmanager
def task_server() -> Iterator[TaskServer]:
    server = TaskServer()
    server.thread.start()
    try:
        yield server
    finally:
        server.server.shutdown()
        server.server.server_close()
        server.thread.join()


class AslEngine:
    name = "asl"

    def __init__(self, server: TaskServer, work_dir: Path) -> None:
        self.server = server
        self.work_dir = work_dir

    def definition(self, declared: Workflow) -> dict[str, Any]:
        return to_asl(declared.graph, ARN.format, workflow=declared.name, timeout=declared.timeout)

    def run(
        self, app: App, workflow: str, data: Any, trace: dict[str, str] | None = None
    ) -> dict[str, Any]:
        declared = app.workflows[workflow]
        self.server.serve(declared)
        definition_file = self.work_dir / f"{workflow}.asl.json"
        definition_file.write_text(json.dumps(self.definition(declared)))
        validate(definition_file)
        input_file = self.work_dir / "input.json"
        input_file.write_text(json.dumps(wrap(data, trace)))  # as StepFunctionsWorkflow sends it
        finished = subprocess.run(
            ["node", str(RUNNER), str(definition_file), str(input_file), self.server.url, "0"],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=ROOT,
        )
        assert finished.returncode == 0, finished.stderr
        summary: dict[str, Any] = json.loads(finished.stdout)
        # As the backend reads an execution's path: without polyfn's own entry states.
        summary["path"] = [name for name in summary["path"] if name not in ENTRY_STATES]
        return summary


def validate(definition_file: Path) -> None:
    """asl-validator's verdict on a definition; fails loudly when npm's tools are missing."""
    validator = NODE_BIN / "asl-validator"
    assert validator.exists(), f"{validator} is missing: `make test` installs it (npm install)"
    checked = subprocess.run(
        [str(validator), "--json-path", str(definition_file)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
