"""The AWS hosts with Lambda's runtime client in the loop, in the test's own process.

``polyfn.hosts.aws`` calls ``lambda_handler(app)(event, context)`` with a stand-in
context. On Lambda, ``awslambdaric`` sits between the two: it fetches the event over the
Runtime API, builds its ``LambdaContext`` from the response headers (request id,
deadline, function ARN), calls the handler, marshals the answer with its own JSON encoder
and posts it, or formats an exception as its error document. ``AwsRuntimeClientHost``
sends every event that way: ``LambdaRuntimeApi`` serves it, awslambdaric's own client
(its C extension) fetches it, and awslambdaric's ``handle_event_request`` (the body of its
invocation loop) runs the handler and posts the answer. The host then reads the posted
JSON as the service would.

The handler runs in this process, so what a test's handlers record stays visible to the
test; that is why the behaviour suite can drive its scenarios through it. The process
part of the runtime (``python -m awslambdaric``: loading the handler module, log set-up,
the loop itself) is what ``lambda_runtime_api.LambdaProcess`` runs instead.

The runtime client's C extension reads ``AWS_LAMBDA_RUNTIME_API`` once, when it is first
imported, so a process has one Runtime API for it: ``RuntimeClientLoop.shared()``.
"""

from __future__ import annotations

import atexit
import inspect
import os
import sys
import threading
from typing import Any

from polyfn.adapters.aws import lambda_handler
from polyfn.core.app import App
from polyfn.core.defaults import DEFAULT_TIMEOUT_SECONDS
from polyfn.hosts.aws import AwsHost
from polyfn.testing.lambda_runtime_api import Invocation, RuntimeApiProcess, RuntimeFailed

__all__ = ["AwsRuntimeClientHost", "LambdaFunctionError", "RuntimeClientLoop", "hosts"]

# polyfn's one default timeout, as a function deployed without timeout= gets it (the
# other hosts give the same deadline); a test about the deadline sets its own through
# LambdaProcess.
_TIMEOUT_MS = DEFAULT_TIMEOUT_SECONDS * 1000


class LambdaFunctionError(RuntimeError):
    """The invocation failed: ``document`` is the runtime client's error document."""

    def __init__(self, document: dict[str, Any]) -> None:
        super().__init__(f"{document.get('errorType')}: {document.get('errorMessage')}")
        self.document = document


class RuntimeClientLoop:
    """awslambdaric's invocation path, driven one event at a time from this process."""

    _shared: RuntimeClientLoop | None = None
    _lock = threading.Lock()

    def __init__(self) -> None:
        if "runtime_client" in sys.modules:
            raise RuntimeFailed(
                "awslambdaric's runtime client was imported before the Runtime API was "
                "started; it reads AWS_LAMBDA_RUNTIME_API once, on import"
            )
        try:
            import awslambdaric  # noqa: F401 - fails with a clear message when missing
        except ImportError as exc:
            raise RuntimeFailed(
                "awslambdaric is not installed: `make install` installs it "
                "(or `.venv/bin/pip install awslambdaric`)"
            ) from exc
        # In a process of its own: the runtime client's C extension keeps the GIL while it
        # waits for an answer, which a server thread of this process could not give.
        self.api = RuntimeApiProcess("polyfn-host", timeout_ms=_TIMEOUT_MS)
        previous = os.environ.get("AWS_LAMBDA_RUNTIME_API")
        os.environ["AWS_LAMBDA_RUNTIME_API"] = self.api.address
        try:
            from awslambdaric import bootstrap
            from awslambdaric.lambda_runtime_client import LambdaRuntimeClient
        finally:
            if previous is None:
                del os.environ["AWS_LAMBDA_RUNTIME_API"]
            else:
                os.environ["AWS_LAMBDA_RUNTIME_API"] = previous
        self._bootstrap = bootstrap
        self._client = LambdaRuntimeClient(self.api.address)
        self._log_sink = bootstrap.StandardLogSink()
        # handle_event_request gained parameters over awslambdaric's versions (tenant_id,
        # invocation_id); pass those this version takes.
        self._accepts = set(inspect.signature(bootstrap.handle_event_request).parameters)

    @classmethod
    def shared(cls) -> RuntimeClientLoop:
        with cls._lock:
            if cls._shared is None:
                cls._shared = cls()
                atexit.register(cls._shared.close)
            return cls._shared

    def close(self) -> None:
        """Stop the Runtime API's process."""
        self.api.close()

    def call(self, handler: Any, event: Any) -> Invocation:
        """One invocation of ``handler`` with ``event``, as the runtime client makes it."""
        request_id = self.api.submit(event)
        request = self._client.wait_next_invocation()
        if request.invoke_id != request_id:
            raise RuntimeFailed(f"fetched {request.invoke_id}, expected {request_id}")
        arguments = {
            "lambda_runtime_client": self._client,
            "request_handler": handler,
            "invoke_id": request.invoke_id,
            "event_body": request.event_body,
            "content_type": request.content_type,
            "client_context_json": request.client_context,
            "cognito_identity_json": request.cognito_identity,
            "invoked_function_arn": request.invoked_function_arn,
            "epoch_deadline_time_in_ms": request.deadline_time_in_ms,
            "tenant_id": getattr(request, "tenant_id", None),
            "log_sink": self._log_sink,
            "invocation_id": getattr(request, "invocation_id", None),
        }
        self._bootstrap.handle_event_request(
            **{name: value for name, value in arguments.items() if name in self._accepts}
        )
        return self.api.result(request_id)


class AwsRuntimeClientHost(AwsHost):
    """Runs an App as Lambda does, with awslambdaric between the event and the handler."""

    def __init__(self, source: str) -> None:
        super().__init__(source)
        self.name = f"aws-{source}-awslambdaric"

    def __repr__(self) -> str:
        return f"<AwsRuntimeClientHost {self.name}>"

    def _call(self, app: App, event: dict[str, Any], function: str = "") -> Any:
        handler = lambda_handler(app, backends="keep", function=function)
        answer = RuntimeClientLoop.shared().call(handler, event)
        if answer.kind == "error":
            raise LambdaFunctionError(answer.json())
        return answer.json()


def hosts() -> list[AwsRuntimeClientHost]:
    """One host per HTTP source, as ``polyfn.hosts.aws.HOSTS`` has."""
    return [AwsRuntimeClientHost(source) for source in ("v1", "v2", "alb", "url")]
