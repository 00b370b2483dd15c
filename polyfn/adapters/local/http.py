"""HTTP for the local runtime: the app served through functions-framework, as on Google
Cloud, by werkzeug's threaded WSGI server.

The request translation is the Google Cloud adapter's (``polyfn.adapters.gcp.http_function``
with ``cloud="local"``), so a route behaves locally exactly as it does on Cloud Functions
and Cloud Run; functions-framework's app around it is built by the same adapter's
``serving.framework_app``.

The server is werkzeug's ``ThreadedWSGIServer`` (one thread per connection, HTTP/1.1 keep
alive): a real server with no extra dependency, enough for development and load tests on
one machine. ``InFlight`` counts the requests being answered so that a shutdown can let
them finish; ``InvocationLog`` writes each request's invocation line.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from polyfn.adapters.local.invocations import Invocations
from polyfn.adapters.local.limits import (
    DEFAULT_MAX_BODY_BYTES,
    BodyTooLarge,
    ClientGone,
    ServerLimits,
    buffer_body,
)
from polyfn.core.app import App
from polyfn.core.errors import ConfigError
from polyfn.core.routing import MethodNotAllowed, NotFound

if TYPE_CHECKING:
    from werkzeug.serving import BaseWSGIServer

__all__ = ["HttpServer", "InFlight", "InvocationLog", "build_wsgi_app"]

_log = logging.getLogger("polyfn.local.http")

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class InvocationLog:
    """WSGI middleware writing each request's invocation line (see ``invocations``), and
    answering what the app never sees: a body over ``max_body`` (413, as the clouds'
    front ends do) and a client that leaves before sending its whole body (no answer).

    It sits around functions-framework's app rather than inside the App, so nothing of
    the App is replaced. What the handler knows and the WSGI layer does not is recovered
    from the same sources the translation uses: the request id from the request's trace
    header (which this middleware adds when a client sent none, as Google's front end
    adds ``X-Cloud-Trace-Context`` to every request, so the log line, ``ctx.request_id``
    and an error body name one id), and the function from the App's own router.

    The line says what the client got: it is written once the body has been sent (or the
    client has left: ``"client_gone": true``), with the status actually sent, which is a
    500 when the app's headers cannot be sent (a value outside Latin-1, a line break).
    """

    def __init__(
        self,
        wsgi: WsgiApp,
        app: App,
        invocations: Invocations,
        *,
        max_body: int = DEFAULT_MAX_BODY_BYTES,
    ) -> None:
        self.wsgi = wsgi
        self.app = app
        self.invocations = invocations
        self.max_body = max_body

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        from polyfn.adapters.gcp.http import new_request_id, request_id_from_environ

        started = time.perf_counter()
        request_id = request_id_from_environ(environ)
        if request_id is None:
            request_id = new_request_id()
            # o=1: the local runtime traces every request (an OpenTelemetry exporter the
            # user set up sees each one; o=0 would tell it the trace is not sampled).
            environ["HTTP_X_CLOUD_TRACE_CONTEXT"] = f"{request_id}/1;o=1"
        sent: dict[str, Any] = {}

        def log(**fields: Any) -> None:
            self._log(environ, request_id, started, fields)

        try:
            buffer_body(environ, self.max_body)
        except BodyTooLarge as exc:
            body = _error_body(413, "Payload Too Large", request_id)
            start_response(
                "413 Request Entity Too Large",
                [
                    ("Content-Type", "application/json"),
                    ("Content-Length", str(len(body))),
                    ("Connection", "close"),
                ],
            )
            log(status=413, outcome="ok", refused=str(exc))
            return [body]
        except ClientGone as exc:
            log(status=None, outcome="client_gone", client_gone=True, reason=str(exc))
            # Nobody is there to read it; the server needs an answer all the same.
            start_response("400 BAD REQUEST", [("Content-Length", "0"), ("Connection", "close")])
            return []

        def start_response_checked(status_line: str, headers: Any, exc_info: Any = None) -> Any:
            unsendable = _unsendable_header(headers)
            if unsendable is not None:
                sent["unsendable"] = unsendable
                return lambda data: None  # the 500 below replaces this answer
            if environ.get("REQUEST_METHOD") == "HEAD":
                # Core empties a HEAD answer's body, so a length computed from it (0) is
                # not the GET's; send none rather than a wrong one.
                headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
            sent["status"] = int(status_line.split(" ", 1)[0])
            return start_response(status_line, headers, exc_info)

        try:
            result = self.wsgi(environ, start_response_checked)
        except BaseException:
            log(status=sent.get("status", 500), outcome="error")
            raise
        if "unsendable" in sent:
            _close(result)
            _log.error(
                "unsendable response header %s (request %s): answered 500",
                sent["unsendable"],
                request_id,
            )
            body = _error_body(500, "Internal Server Error", request_id)
            start_response(
                "500 INTERNAL SERVER ERROR",
                [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
            )
            sent["status"] = 500
            result = [body]
        return self._logged_when_sent(result, sent, log)

    @staticmethod
    def _logged_when_sent(
        result: Iterable[bytes], sent: dict[str, Any], log: Callable[..., None]
    ) -> Iterator[bytes]:
        """The body, logged once the server has written all of it or the client left."""
        finished = False
        try:
            yield from result
            finished = True
        finally:
            _close(result)
            status = sent.get("status", 500)
            outcome = "error" if status >= 500 else "ok"
            if finished:
                log(status=status, outcome=outcome)
            else:
                # The server stopped asking for the body: the client went away mid-answer.
                log(status=status, outcome=outcome, client_gone=True)

    def _log(
        self, environ: dict[str, Any], request_id: str, started: float, fields: dict[str, Any]
    ) -> None:
        from werkzeug.wrappers import Request as WerkzeugRequest

        # The path as Flask decodes it, for the translation routes on that one.
        native = WerkzeugRequest(environ, shallow=True)
        method, path = native.method.upper(), native.path or "/"
        outcome = fields.pop("outcome")
        self.invocations.log(
            self.app,
            "http",
            self._function(method, path),
            request_id,
            started,
            {"outcome": outcome, "method": method, "path": path, **fields},
        )

    def _function(self, method: str, path: str) -> str | None:
        """The function the App routes this request to; None when it routes it nowhere."""
        try:
            fn, _ = self.app.router.match(method, path)
        except (NotFound, MethodNotAllowed):
            return None
        return fn.name


def _unsendable_header(headers: Any) -> str | None:
    """The first header HTTP/1.1 cannot carry (a line break, a character outside
    Latin-1, which http.server encodes headers in), named for the log; None if all can."""
    for name, value in headers:
        text = f"{name}: {value}"
        if "\r" in text or "\n" in text:
            return f"{name!r} (a line break)"
        try:
            text.encode("latin-1")
        except UnicodeEncodeError:
            return f"{name!r} (a character outside Latin-1)"
    return None


def _error_body(status: int, message: str, request_id: str) -> bytes:
    # The shape of core's error answers (core.dispatch.error_response).
    return json.dumps(
        {"error": {"status": status, "message": message, "request_id": request_id}},
        separators=(",", ":"),
    ).encode()


def _close(result: Iterable[bytes]) -> None:
    close = getattr(result, "close", None)
    if close is not None:
        close()


def build_flask_app(app: App) -> Any:
    """functions-framework's Flask app serving ``app`` with ``Context.cloud == "local"``,
    behind ``api_docs.ApiDocs``."""
    try:
        # Imported here too, so that a missing package is this ConfigError, not an
        # ImportError from inside framework_app.
        import functions_framework  # noqa: F401

        from polyfn.adapters.gcp import http_function
        from polyfn.adapters.gcp.serving import framework_app
    except ImportError as exc:
        raise ConfigError(
            "the local runtime serves HTTP through functions-framework and "
            f"polyfn.adapters.gcp.http_function, and cannot import them: {exc} "
            "(pip install 'polyfn[local]')"
        ) from exc
    # The local scheduler fires the schedules itself: an HTTP request is never a tick here,
    # whatever its headers say (a forged X-CloudScheduler is an ordinary request).
    flask_app = framework_app(http_function(app, cloud="local", scheduler_ticks=False), "http")
    from werkzeug.exceptions import HTTPException

    flask_app.register_error_handler(HTTPException, _flask_error_answer)
    # The App's /openapi.json and /docs, where the App routes nothing itself (api_docs).
    from polyfn.adapters.local.api_docs import ApiDocs

    return ApiDocs(flask_app, app)


def _flask_error_answer(exc: Any) -> Any:
    """What Flask answers itself (a path its catch-all rule does not match, such as one
    with a newline) in polyfn's one JSON error body instead of Flask's HTML page."""
    from flask import request

    from polyfn.adapters.gcp.http import request_id_from_environ
    from polyfn.core.dispatch import error_response

    status = exc.code or 500
    answer = error_response(
        status, exc.name or "Error", request_id_from_environ(request.environ) or ""
    )
    return answer.body, status, {"content-type": "application/json"}


class InFlight:
    """WSGI middleware counting requests until their response has been sent."""

    def __init__(self, wsgi: WsgiApp) -> None:
        self.wsgi = wsgi
        self.count = 0
        self._condition = threading.Condition()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        from werkzeug.wsgi import ClosingIterator

        with self._condition:
            self.count += 1
        try:
            result = self.wsgi(environ, start_response)
        except BaseException:
            self._done()
            raise
        return ClosingIterator(result, [self._done])

    def _done(self) -> None:
        with self._condition:
            self.count -= 1
            self._condition.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no request is being answered; False if some still were at ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while self.count > 0:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._condition.wait(remaining)
        return True


def build_wsgi_app(
    app: App,
    invocations: Invocations,
    platform_key: str | None = None,
    *,
    max_body: int = DEFAULT_MAX_BODY_BYTES,
) -> InFlight:
    """The WSGI app ``polyfn run`` serves (and the local host calls, with a quiet log).

    ``platform_key``: the key a ``platform-key`` route's caller must present
    (``platform_key.py``); None checks none (the clouds' hosts do not either: there the
    platform checks before the function runs). ``max_body``: the largest request body
    taken (``limits``)."""
    wsgi: WsgiApp = build_flask_app(app)
    if platform_key is not None:
        from polyfn.adapters.local.platform_key import PlatformKeyGate

        wsgi = PlatformKeyGate(wsgi, app, platform_key)
    return InFlight(InvocationLog(wsgi, app, invocations, max_body=max_body))


_BUSY_BODY = b'{"error":{"status":503,"message":"Service Unavailable: too many connections"}}'
_BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
    b"Content-Length: %d\r\nRetry-After: 1\r\nConnection: close\r\n\r\n" % len(_BUSY_BODY)
) + _BUSY_BODY


class HttpServer:
    """The threaded WSGI server on ``host:port`` (port 0: a free one), in its own thread.

    Each connection is a thread; ``limits`` bounds them: a connection silent for
    ``idle_timeout`` seconds is closed, and past ``max_connections`` at once a new one is
    answered 503 at once instead of getting a thread.
    """

    def __init__(
        self, wsgi: InFlight, host: str, port: int, limits: ServerLimits | None = None
    ) -> None:
        from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

        bounds = limits or ServerLimits()

        class QuietHandler(WSGIRequestHandler):
            timeout = bounds.idle_timeout  # socketserver sets it on the connection

            def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
                pass  # the runtime logs each invocation as JSON instead

            def log_error(self, format: str, *args: Any) -> None:
                # A connection closed by the idle timeout is the limit working, not an error.
                if format.startswith("Request timed out"):
                    _log.info("closed a connection idle for %g s", bounds.idle_timeout)
                    return
                super().log_error(format, *args)

        slots = threading.BoundedSemaphore(bounds.max_connections)

        class BoundedServer(ThreadedWSGIServer):
            def process_request(self, request: Any, client_address: Any) -> None:
                if not slots.acquire(blocking=False):
                    _turn_away(request)
                    self.shutdown_request(request)
                    return
                try:
                    super().process_request(request, client_address)
                except BaseException:
                    slots.release()
                    raise

            def process_request_thread(self, request: Any, client_address: Any) -> None:
                try:
                    super().process_request_thread(request, client_address)
                finally:
                    slots.release()

        self.wsgi = wsgi
        self.limits = bounds
        # Bind here rather than in werkzeug, which answers a taken port with sys.exit(1):
        # the OSError lets ``polyfn run`` say so in one line and tests catch it.
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        listener = socket.create_server((host, port), family=family, backlog=128)
        try:
            self._server: BaseWSGIServer = BoundedServer(
                host,
                port,
                wsgi,
                QuietHandler,
                fd=listener.fileno(),  # werkzeug duplicates the descriptor
            )
        finally:
            listener.close()
        self.host = host
        self.port = int(self._server.port)  # the bound one, when asked for port 0
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.2},
            name="polyfn-http",
            daemon=True,
        )

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self, grace: float) -> bool:
        """Stop accepting, let requests in flight finish (up to ``grace`` s), close."""
        if self._thread.is_alive():
            # Only a running serve loop can be shut down: ``shutdown()`` waits for the
            # loop to acknowledge, forever when it never started (a failed start).
            self._server.shutdown()
        finished = self.wsgi.wait_idle(grace)
        self._server.server_close()
        return finished


def _turn_away(connection: socket.socket) -> None:
    """Answer 503 on a connection over the cap, from the accepting thread. What the client
    already sent is read first (briefly), so that closing does not reset the connection
    and lose the answer before the client reads it."""
    _log.warning("too many connections: answered 503")
    try:
        connection.settimeout(0.05)
        try:
            connection.recv(_READ_BEFORE_503)
        except OSError:
            pass  # nothing sent yet
        connection.sendall(_BUSY)
    except OSError:
        pass  # the client is gone already


_READ_BEFORE_503 = 64 * 1024
