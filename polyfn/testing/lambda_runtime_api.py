"""The Lambda Runtime API on 127.0.0.1, and a Lambda function process that talks to it.

On Lambda, a Python function does not get called: the runtime client (``awslambdaric``)
runs in the function's process, asks the Runtime API for the next event, builds the
context object from the answer's headers, calls the handler, and posts the JSON it
marshals (or an error document it formats) back. ``LambdaRuntimeApi`` is that API for
tests, so the handler can run under the real runtime client instead of being called with
a hand-made context::

    with LambdaRuntimeApi("shop-api") as api, LambdaProcess(api, task_root) as function:
        answer = function.invoke({"rawPath": "/", ...})
        assert answer.kind == "response" and answer.json()["statusCode"] == 200

The four endpoints and their headers are the documented ones (AWS Lambda Developer Guide,
"Using the Lambda runtime API for custom runtimes",
https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html, read 2026-12):

- ``GET /2018-06-01/runtime/invocation/next`` blocks until an event is queued and answers
  it with ``Lambda-Runtime-Aws-Request-Id``, ``Lambda-Runtime-Deadline-Ms`` (the deadline
  in Unix milliseconds), ``Lambda-Runtime-Invoked-Function-Arn`` and
  ``Lambda-Runtime-Trace-Id``;
- ``POST /2018-06-01/runtime/invocation/{id}/response`` and ``.../{id}/error`` answer
  ``202 Accepted``, and ``400`` for a request id that is not in flight. The guide has the
  error's type in a ``Lambda-Runtime-Function-Error-Type`` header; awslambdaric 4.2 sends
  it with ``/init/error`` only, and for an invocation puts it in the JSON document
  (``errorType``), so ``Invocation.error_type`` is None there;
- ``POST /2018-06-01/runtime/init/error`` reports a function that could not start.

The process environment is the one the guide's "Defined runtime environment variables"
lists (``LAMBDA_TASK_ROOT``, ``AWS_LAMBDA_FUNCTION_NAME``, memory, version, log group...).
``LambdaProcess`` starts ``python -m awslambdaric HANDLER`` and stops it by its own pid;
``build_task_root`` makes the folder it runs in from an App, as ``polyfn deploy build
--cloud aws`` bundles it.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
import uuid
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

__all__ = [
    "Invocation",
    "LambdaProcess",
    "LambdaRuntimeApi",
    "RuntimeApiProcess",
    "RuntimeFailed",
    "build_task_root",
]

_PREFIX = "/2018-06-01/runtime"
_ERROR_TYPE_HEADER = "Lambda-Runtime-Function-Error-Type"
# The caller's side over HTTP, for a runtime client in another process than the server's
# (``RemoteRuntimeApi``): queue an event, then wait for its answer.
_CONTROL = "/polyfn-test/invocations"
_CONTROL_WAIT = 60.0
_STOP_GRACE = 5.0


class RuntimeFailed(RuntimeError):
    """The function process reported an init error, exited, or did not answer in time."""


@dataclass
class Invocation:
    """One event's fate: what the runtime client posted back for it."""

    request_id: str
    timeout_ms: int
    deadline_ms: int = 0  # set when the runtime client takes the event, as Lambda does
    kind: str = ""  # "response" or "error", once posted
    body: bytes = b""
    error_type: str | None = None  # the Lambda-Runtime-Function-Error-Type header
    content_type: str | None = None
    answered_at: float = 0.0  # time.perf_counter() when the answer was posted
    done: threading.Event = field(default_factory=threading.Event, repr=False)

    def json(self) -> Any:
        return json.loads(self.body)


class LambdaRuntimeApi:
    """The Runtime API of one execution environment, on a free port of 127.0.0.1."""

    def __init__(
        self,
        function_name: str = "function",
        *,
        region: str = "us-east-1",
        account: str = "123456789012",
        timeout_ms: int = 3000,
    ) -> None:
        self.function_name = function_name
        self.region = region
        self.function_arn = f"arn:aws:lambda:{region}:{account}:function:{function_name}"
        self.timeout_ms = timeout_ms
        self._events: queue.Queue[tuple[Invocation, bytes] | None] = queue.Queue()
        self._in_flight: dict[str, Invocation] = {}
        self._submitted: dict[str, Invocation] = {}  # every one, for the control endpoint
        self._lock = threading.Lock()
        self.init_error: dict[str, Any] | None = None
        self.init_failed = threading.Event()
        self._server = _RuntimeApiServer(("127.0.0.1", 0), _RuntimeApiHandler)
        self._server.api = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="lambda-runtime-api", daemon=True
        )
        self._thread.start()

    @property
    def address(self) -> str:
        """``host:port``, the value of ``AWS_LAMBDA_RUNTIME_API``."""
        return f"127.0.0.1:{self._server.server_address[1]}"

    def close(self) -> None:
        self._events.put(None)  # releases a runtime client blocked on /next
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=_STOP_GRACE)

    def __enter__(self) -> LambdaRuntimeApi:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ the caller's side

    def submit(self, event: Any, *, timeout_ms: int | None = None) -> Invocation:
        """Queue ``event`` (a JSON document, or bytes as they are) for the next /next."""
        body = event if isinstance(event, bytes) else json.dumps(event).encode()
        invocation = Invocation(str(uuid.uuid4()), timeout_ms or self.timeout_ms)
        with self._lock:
            self._in_flight[invocation.request_id] = invocation
            self._submitted[invocation.request_id] = invocation
        self._events.put((invocation, body))
        return invocation

    # ------------------------------------------------------------------ the runtime's side

    def _next(self) -> tuple[Invocation, bytes] | None:
        item = self._events.get()
        if item is None:
            self._events.put(None)  # every later /next is released too
        return item

    def _finish(self, request_id: str, kind: str, body: bytes, headers: Any) -> bool:
        with self._lock:
            invocation = self._in_flight.pop(request_id, None)
        if invocation is None:
            return False
        invocation.kind = kind
        invocation.body = body
        invocation.error_type = headers.get(_ERROR_TYPE_HEADER)
        invocation.content_type = headers.get("Content-Type")
        invocation.answered_at = time.perf_counter()
        invocation.done.set()
        return True

    def _fail_init(self, body: bytes) -> None:
        try:
            self.init_error = json.loads(body)
        except ValueError:
            self.init_error = {"errorMessage": body.decode(errors="replace")}
        self.init_failed.set()


class _RuntimeApiServer(ThreadingHTTPServer):
    daemon_threads = True
    api: LambdaRuntimeApi

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A function process stopped while its connection was open is how every test
        # ends; anything else is a bug of this server and is printed as usual.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _RuntimeApiHandler(BaseHTTPRequestHandler):
    # HTTP/1.1 keeps the runtime client's connection open between invocations, as Lambda's
    # does; every answer carries a Content-Length.
    protocol_version = "HTTP/1.1"
    # Headers and body in one segment, sent at once: with Nagle's algorithm a small body
    # written after the headers waits for the client's delayed ACK (~40 ms an answer).
    disable_nagle_algorithm = True
    wbufsize = 1 << 16  # flushed by handle_one_request after each answer

    server: _RuntimeApiServer

    @property
    def api(self) -> LambdaRuntimeApi:
        return self.server.api

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the runtime client polls, and the test's output is about the function."""

    def do_GET(self) -> None:
        if self.path.startswith(f"{_CONTROL}/"):
            self._control_result(self.path.removeprefix(f"{_CONTROL}/"))
            return
        if self.path != f"{_PREFIX}/invocation/next":
            self._answer(404, {"errorMessage": f"no such endpoint {self.path}"})
            return
        item = self.api._next()
        if item is None:
            # Shutting down: the process asking has been stopped already, so nobody reads.
            self.close_connection = True
            return
        invocation, body = item
        invocation.deadline_ms = int(time.time() * 1000) + invocation.timeout_ms
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Lambda-Runtime-Aws-Request-Id", invocation.request_id)
        self.send_header("Lambda-Runtime-Deadline-Ms", str(invocation.deadline_ms))
        self.send_header("Lambda-Runtime-Invoked-Function-Arn", self.api.function_arn)
        self.send_header("Lambda-Runtime-Trace-Id", _trace_id())
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.path == _CONTROL:
            timeout = int(self.headers.get("X-Timeout-Ms") or 0) or None
            invocation = self.api.submit(body, timeout_ms=timeout)
            self._answer(201, {"request_id": invocation.request_id})
            return
        if self.path == f"{_PREFIX}/init/error":
            self.api._fail_init(body)
            self._answer(202, {"status": "OK"})
            return
        prefix = f"{_PREFIX}/invocation/"
        request_id, _, outcome = self.path.removeprefix(prefix).partition("/")
        if not self.path.startswith(prefix) or outcome not in ("response", "error"):
            self._answer(404, {"errorMessage": f"no such endpoint {self.path}"})
            return
        if not self.api._finish(request_id, outcome, body, self.headers):
            self._answer(400, {"errorMessage": f"request {request_id} is not in flight"})
            return
        self._answer(202, {"status": "OK"})

    def _control_result(self, request_id: str) -> None:
        invocation = self.api._submitted.get(request_id)
        if invocation is None:
            self._answer(404, {"errorMessage": f"no invocation {request_id}"})
            return
        if not invocation.done.wait(_CONTROL_WAIT):
            self._answer(504, {"errorMessage": f"no answer for {request_id}"})
            return
        self.api._submitted.pop(request_id, None)
        self.send_response(200)
        self.send_header("Content-Length", str(len(invocation.body)))
        self.send_header("X-Kind", invocation.kind)
        if invocation.error_type:
            self.send_header("X-Error-Type", invocation.error_type)
        self.end_headers()
        self.wfile.write(invocation.body)

    def _answer(self, status: int, document: Mapping[str, Any]) -> None:
        body = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _trace_id() -> str:
    # The X-Ray header format: Root=1-{8 hex digits of epoch seconds}-{24 hex digits}.
    root = f"1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}"
    return f"Root={root};Parent={uuid.uuid4().hex[:16]};Sampled=0"


class RuntimeApiProcess:
    """A ``LambdaRuntimeApi`` in a child process, for a runtime client in *this* one.

    awslambdaric's C extension keeps the GIL while it waits for the Runtime API's answer,
    so a server on a thread of the same process could never answer it. The child prints
    its address, serves until its stdin closes, and takes events and gives answers back
    over two endpoints of its own (``POST`` and ``GET /polyfn-test/invocations``).
    """

    def __init__(self, function_name: str = "function", *, timeout_ms: int = 3000) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", __name__, function_name, str(timeout_ms)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        self.pid = self._process.pid
        assert self._process.stdout is not None
        self.address = self._process.stdout.readline().decode().strip()
        if not self.address:
            self.close()
            raise RuntimeFailed("the Runtime API process did not start")

    def _request(self, method: str, path: str, body: bytes | None = None) -> tuple[Any, bytes]:
        import http.client

        host, _, port = self.address.partition(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=_CONTROL_WAIT + 5)
        try:
            connection.request(method, path, body)
            response = connection.getresponse()
            return response, response.read()
        finally:
            connection.close()

    def submit(self, event: Any) -> str:
        """Queue ``event`` for the runtime client's next /next; its request id."""
        body = event if isinstance(event, bytes) else json.dumps(event).encode()
        response, answer = self._request("POST", _CONTROL, body)
        if response.status != 201:
            raise RuntimeFailed(f"the Runtime API refused the event: {answer!r}")
        return str(json.loads(answer)["request_id"])

    def result(self, request_id: str) -> Invocation:
        """The answer the runtime client posted for ``request_id`` (waits for it)."""
        response, body = self._request("GET", f"{_CONTROL}/{request_id}")
        if response.status != 200:
            raise RuntimeFailed(f"no answer for {request_id}: {body!r}")
        invocation = Invocation(request_id, 0, kind=response.getheader("X-Kind") or "", body=body)
        invocation.error_type = response.getheader("X-Error-Type")
        invocation.done.set()
        return invocation

    def close(self) -> None:
        """Close the child's stdin (it stops serving and exits); else stop it by pid."""
        if self._process.stdin is not None:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=_STOP_GRACE)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=_STOP_GRACE)
        if self._process.stdout is not None:
            self._process.stdout.close()


def _serve(argv: list[str]) -> None:
    """RuntimeApiProcess's child: ``python -m polyfn.testing.lambda_runtime_api NAME MS``."""
    api = LambdaRuntimeApi(argv[0], timeout_ms=int(argv[1]))
    print(api.address, flush=True)
    sys.stdin.read()  # until the parent closes it, or exits
    api.close()


def build_task_root(app_spec: str, folder: Path) -> Path:
    """The bundle ``polyfn deploy build APP --cloud aws`` writes, unzipped as Lambda
    unzips it into ``LAMBDA_TASK_ROOT``; returns ``folder / "task"``.

    The bundle's own copy of polyfn and its ``polyfn_entry.py`` are what the function
    process imports; the App's dependencies are not installed into it (the build's
    ``--no-deps``), so they come from the test's environment.
    """
    from polyfn.deploy.builder import BuildOptions, build

    result = build(app_spec, folder / "aws", BuildOptions("aws", install_dependencies=False))
    task_root = folder / "task"
    with zipfile.ZipFile(result.out / "bundle.zip") as bundle:
        bundle.extractall(task_root)
    return task_root


class LambdaProcess:
    """``python -m awslambdaric HANDLER`` in ``task_root``, served by ``api``.

    One process serves many invocations, one at a time, as one execution environment
    does. Its stdout and stderr (the function's log stream) are collected in ``lines``.
    """

    def __init__(
        self,
        api: LambdaRuntimeApi,
        task_root: Path,
        *,
        handler: str = "polyfn_entry.handler",
        memory_mb: int = 128,
        environ: Mapping[str, str] | None = None,
        python: str = sys.executable,
    ) -> None:
        self.api = api
        self.task_root = Path(task_root)
        self.handler = handler
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "PYTHONPATH": str(self.task_root),
            "_HANDLER": handler,
            "LAMBDA_TASK_ROOT": str(self.task_root),
            "LAMBDA_RUNTIME_DIR": str(Path(sys.prefix)),
            "AWS_LAMBDA_RUNTIME_API": api.address,
            "AWS_REGION": api.region,
            "AWS_DEFAULT_REGION": api.region,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_python{sys.version_info[0]}.{sys.version_info[1]}",
            "AWS_LAMBDA_FUNCTION_NAME": api.function_name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory_mb),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{api.function_name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": time.strftime("%Y/%m/%d/[$LATEST]") + uuid.uuid4().hex,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
        }
        env.update(environ or {})
        self.environ = env
        self.lines: list[str] = []
        self.started = time.perf_counter()  # what a cold start is counted from
        self._process = subprocess.Popen(
            [python, "-m", "awslambdaric", handler],
            cwd=self.task_root,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        self.pid = self._process.pid
        self._reader = threading.Thread(target=self._read, name=f"lambda-{self.pid}", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self._process.stdout is not None
        for raw in self._process.stdout:
            self.lines.append(raw.decode(errors="replace").rstrip("\n"))

    def invoke(
        self, event: Any, *, timeout_ms: int | None = None, wait: float = 30.0
    ) -> Invocation:
        """Queue ``event`` and wait until the runtime client posts its answer."""
        return self.wait(self.api.submit(event, timeout_ms=timeout_ms), wait)

    def wait(self, invocation: Invocation, wait: float = 30.0) -> Invocation:
        """Wait until the runtime client posts its answer to ``invocation``; raises
        ``RuntimeFailed`` if the function fails to start, exits, or takes ``wait`` s."""
        deadline = time.monotonic() + wait
        while not invocation.done.wait(0.05):
            if self.api.init_failed.is_set():
                raise RuntimeFailed(f"the function failed to start: {self.api.init_error}")
            if self._process.poll() is not None:
                raise RuntimeFailed(
                    f"the runtime client exited with {self._process.returncode}:\n"
                    + "\n".join(self.lines[-20:])
                )
            if time.monotonic() > deadline:
                raise RuntimeFailed(f"no answer within {wait}s:\n" + "\n".join(self.lines[-20:]))
        return invocation

    def wait_for_lines(self, enough: Callable[[list[str]], bool], wait: float = 10.0) -> list[str]:
        """The log lines so far, once ``enough`` says they are complete.

        The answer comes back over HTTP and the log lines through a pipe and a reader
        thread, so a line the handler wrote before answering can arrive after the answer.
        Raises ``RuntimeFailed`` if the lines are still not enough after ``wait`` s.
        """
        deadline = time.monotonic() + wait
        while True:
            lines = list(self.lines)
            if enough(lines):
                return lines
            if time.monotonic() > deadline:
                raise RuntimeFailed(
                    f"the log lines were not there within {wait}s:\n" + "\n".join(lines[-20:])
                )
            time.sleep(0.02)

    def stop(self) -> None:
        """Stop the process by its pid: terminate, then kill."""
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=_STOP_GRACE)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=_STOP_GRACE)
        self._reader.join(timeout=_STOP_GRACE)
        if self._process.stdout is not None:
            self._process.stdout.close()

    def __enter__(self) -> LambdaProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


if __name__ == "__main__":
    _serve(sys.argv[1:])
