"""HTTP for the local runtime: the app served through functions-framework, as on Google
Cloud, by werkzeug's threaded WSGI server.

The request translation is the Google Cloud adapter's (``polyfn.adapters.gcp.http_function``
with ``cloud="local"``), so a route behaves locally exactly as it does on Cloud Functions
and Cloud Run; functions-framework's app around it is built by the same adapter's
``serving.framework_app``.

The server is werkzeug's ``ThreadedWSGIServer`` (one thread per connection, HTTP/1.1 keep
alive): a real server with no extra dependency, enough for development and load tests on
one machine. ``InFlight`` counts the requests being answered so that a shutdown can let
them finish.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from polyfn.adapters.local.invocations import Invocations
from polyfn.core.app import App
from polyfn.core.context import Context
from polyfn.core.errors import ConfigError
from polyfn.core.http import Request, Response

if TYPE_CHECKING:
    from werkzeug.serving import BaseWSGIServer

__all__ = ["HttpServer", "InFlight", "build_wsgi_app", "instrument_http"]

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def instrument_http(app: App, invocations: Invocations) -> None:
    """Log every HTTP invocation of ``app`` as one JSON line.

    The request is translated by the Google Cloud adapter, which calls ``app.handle_http``;
    wrapping that one method on this App (and only in the process that serves it) is
    where function, status, duration and request id are all known.
    """
    if getattr(app.handle_http, "_polyfn_logged", False):
        return
    handle = app.handle_http

    def logged_handle_http(request: Request, ctx: Context) -> Response:
        started = time.perf_counter()
        response = handle(request, ctx)
        function = ctx.function_name if ctx.function_name in app.functions else None
        invocations.log(
            app,
            "http",
            function,
            ctx.request_id,
            started,
            {
                "outcome": "error" if response.status >= 500 else "ok",
                "method": request.method,
                "path": request.path,
                "status": response.status,
            },
        )
        return response

    logged_handle_http._polyfn_logged = True  # type: ignore[attr-defined]
    vars(app)["handle_http"] = logged_handle_http  # shadows the method on this instance only


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
    return framework_app(http_function(app, cloud="local"), "http")


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


def build_wsgi_app(app: App, invocations: Invocations | None = None) -> InFlight:
    """The WSGI app ``polyfn run`` serves (and the local test driver calls)."""
    if invocations is not None:
        instrument_http(app, invocations)
    return InFlight(build_flask_app(app))


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
