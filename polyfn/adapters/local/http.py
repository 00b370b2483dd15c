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

import socket
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from polyfn.adapters.local.invocations import Invocations
from polyfn.core.app import App
from polyfn.core.errors import ConfigError
from polyfn.core.routing import MethodNotAllowed, NotFound

if TYPE_CHECKING:
    from werkzeug.serving import BaseWSGIServer

__all__ = ["HttpServer", "InFlight", "InvocationLog", "build_wsgi_app"]

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class InvocationLog:
    """WSGI middleware writing each request's invocation line (see ``invocations``).

    It sits around functions-framework's app rather than inside the App, so nothing of
    the App is replaced. What the handler knows and the WSGI layer does not is recovered
    from the same sources the translation uses: the request id from the request's trace
    header (which this middleware adds when a client sent none, as Google's front end
    adds ``X-Cloud-Trace-Context`` to every request, so the log line, ``ctx.request_id``
    and an error body name one id), and the function from the App's own router.
    """

    def __init__(self, wsgi: WsgiApp, app: App, invocations: Invocations) -> None:
        self.wsgi = wsgi
        self.app = app
        self.invocations = invocations

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        from polyfn.adapters.gcp.http import new_request_id, request_id_from_environ

        started = time.perf_counter()
        request_id = request_id_from_environ(environ)
        if request_id is None:
            request_id = new_request_id()
            environ["HTTP_X_CLOUD_TRACE_CONTEXT"] = f"{request_id}/1;o=0"
        status: list[int] = []

        def start_response_seen(status_line: str, headers: Any, exc_info: Any = None) -> Any:
            status[:] = [int(status_line.split(" ", 1)[0])]
            return start_response(status_line, headers, exc_info)

        try:
            return self.wsgi(environ, start_response_seen)
        finally:
            self._log(environ, request_id, status[0] if status else 500, started)

    def _log(self, environ: dict[str, Any], request_id: str, status: int, started: float) -> None:
        from werkzeug.wrappers import Request as WerkzeugRequest

        # The path as Flask decodes it, for the translation routes on that one.
        native = WerkzeugRequest(environ, shallow=True)
        method, path = native.method.upper(), native.path or "/"
        self.invocations.log(
            self.app,
            "http",
            self._function(method, path),
            request_id,
            started,
            {
                "outcome": "error" if status >= 500 else "ok",
                "method": method,
                "path": path,
                "status": status,
            },
        )

    def _function(self, method: str, path: str) -> str | None:
        """The function the App routes this request to; None when it routes it nowhere."""
        try:
            fn, _ = self.app.router.match(method, path)
        except (NotFound, MethodNotAllowed):
            return None
        return fn.name


def build_flask_app(app: App) -> Any:
    """functions-framework's Flask app serving ``app`` with ``Context.cloud == "local"``."""
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
    return framework_app(http_function(app, cloud="local", scheduler_ticks=False), "http")


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


def build_wsgi_app(app: App, invocations: Invocations, platform_key: str | None = None) -> InFlight:
    """The WSGI app ``polyfn run`` serves (and the local host calls, with a quiet log).

    ``platform_key``: the key a ``platform-key`` route's caller must present
    (``platform_key.py``); None checks none (the clouds' hosts do not either: there the
    platform checks before the function runs)."""
    wsgi: WsgiApp = build_flask_app(app)
    if platform_key is not None:
        from polyfn.adapters.local.platform_key import PlatformKeyGate

        wsgi = PlatformKeyGate(wsgi, app, platform_key)
    return InFlight(InvocationLog(wsgi, app, invocations))


class HttpServer:
    """The threaded WSGI server on ``host:port`` (port 0: a free one), in its own thread."""

    def __init__(self, wsgi: InFlight, host: str, port: int) -> None:
        from werkzeug.serving import WSGIRequestHandler, make_server

        class QuietHandler(WSGIRequestHandler):
            def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
                pass  # the runtime logs each invocation as JSON instead

        self.wsgi = wsgi
        # Bind here rather than in werkzeug, which answers a taken port with sys.exit(1):
        # the OSError lets ``polyfn run`` say so in one line and tests catch it.
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        listener = socket.create_server((host, port), family=family, backlog=128)
        try:
            self._server: BaseWSGIServer = make_server(
                host,
                port,
                wsgi,
                threaded=True,
                request_handler=QuietHandler,
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
        self._server.shutdown()
        finished = self.wsgi.wait_idle(grace)
        self._server.server_close()
        return finished
