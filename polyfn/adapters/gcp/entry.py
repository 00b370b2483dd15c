"""The entry points: ``http = gcp.http_function(app)`` and ``events = gcp.event_function(app)``.

Both return plain functions, the only kind of target functions-framework accepts, for
``functions-framework --target http`` (signature ``http``) and ``--target events``
(signature ``cloudevent``). Each also registers its signature type through
functions-framework's own decorators (``functions_framework.http`` / ``cloud_event``),
so ``create_app(target, source)`` and the CLI find the right one without a flag. That is
done only when functions-framework is already loaded, which it always is when it is the
one importing ``main.py``: importing it here would cost every other importer (a test, a
script) Flask and the CloudEvents SDK for nothing.

- HTTP: the Flask request becomes a ``FlaskRequest`` (``http``), ``app.handle_http``
  answers, the answer becomes a werkzeug response. A request that Cloud Scheduler marks
  is a tick instead only in a process pinned to a scheduled function (``scheduler``
  says why: a header alone proves nothing); elsewhere it is an ordinary request. A
  process pinned to a workflow task answers Cloud Workflows' calls (``task_endpoint``).
- CloudEvents: ``events.translate`` gives an object event, a message, a tick or another
  event, which ``events.serve`` dispatches. A failure raises ``InvocationFailed`` (a 500,
  so the platform redelivers); an event that cannot be read is a 400.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from polyfn.adapters.common.binding import choose_backends
from polyfn.adapters.common.coldstart import take_cold_start
from polyfn.adapters.common.environment import (
    front_kinds,
    pinned_function,
    timeout_seconds,
    with_front,
)
from polyfn.adapters.gcp.events import (
    PUBSUB_PUBLISHED,
    InvocationFailed,
    serve,
    serve_http_tick,
    translate,
)
from polyfn.adapters.gcp.http import (
    FlaskRequest,
    GatewayFlaskRequest,
    new_request_id,
    request_id_from_environ,
    to_flask_response,
)
from polyfn.adapters.gcp.legacy import with_push_fields
from polyfn.adapters.gcp.refusal import REFUSED_EVENT_DESCRIPTION, install_in_current_app
from polyfn.adapters.gcp.scheduler import SCHEDULER_HEADER, tick_from_headers
from polyfn.adapters.gcp.task_endpoint import serve_task
from polyfn.core import defaults
from polyfn.core.app import App
from polyfn.core.auth import GATEWAY_SETTING
from polyfn.core.context import Context, install_log_fields, new_context
from polyfn.core.dispatch import error_response
from polyfn.core.errors import ConfigError, UnrecognizedEvent
from polyfn.core.metrics import register_sink

if TYPE_CHECKING:
    from polyfn.core.ports import BackendProvider

__all__ = [
    "DEFAULT_TIMEOUT_SECONDS",
    "BackendsChoice",
    "InvocationFailed",
    "bind_backends",
    "event_function",
    "http_function",
]

BackendsChoice = Literal["auto", "gcp", "keep"]
SignatureType = Literal["http", "cloudevent"]
# When POLYFN_TIMEOUT_SECONDS is unset (polyfn's deploy.sh always sets it, with --timeout):
# polyfn's one default, not Cloud Functions' own 60 s, so remaining_ms is the same everywhere.
DEFAULT_TIMEOUT_SECONDS = defaults.DEFAULT_TIMEOUT_SECONDS
_SCHEDULER_MARKER = "HTTP_" + SCHEDULER_HEADER.upper().replace("-", "_")  # its WSGI name
_logger = logging.getLogger("polyfn.gcp")


def http_function(
    app: App,
    *,
    cloud: str = "gcp",
    backends: BackendsChoice = "auto",
    target: str = "http",
    scheduler_ticks: bool = True,
    function: str | None = None,
) -> Callable[[Any], Any]:
    """The HTTP target serving ``app``: ``http = gcp.http_function(app)`` in ``main.py``.

    ``cloud`` is what handlers see in ``Context.cloud`` (the local runtime passes
    ``"local"``); ``target`` is the name ``main.py`` gives the function. ``function``
    pins the target to one function (its routes only: any other is a 404); ``None``
    reads the pin deploy sets, ``POLYFN_FUNCTION``, and ``""`` pins nothing.
    ``scheduler_ticks=False`` never reads a request as a Cloud Scheduler tick (the local
    runtime, whose own scheduler fires the schedules); otherwise a marked request is a
    tick only when the process is pinned to a scheduled function (``scheduler``).
    """
    bind_backends(app, backends, cloud)
    _observe()
    timeout, pinned = timeout_seconds(DEFAULT_TIMEOUT_SECONDS), _pin(function)
    # Only a pinned process can take ticks: deploy pins each scheduled function and makes
    # it private, so Google's front end has checked the job's OIDC token before the request
    # arrives. An unpinned function may be public, where anyone can send the header.
    ticks = scheduler_ticks and bool(pinned)
    # Google's front end appends the caller's address to X-Forwarded-For; locally the
    # socket's peer is the caller (``http.client_address``).
    trust_forwarded = cloud == "gcp"
    # API Gateway in front (deploy's POLYFN_AUTH_FRONT), on Google Cloud only: nothing
    # fronts ``polyfn run``, whatever the shell's environment says.
    base = FlaskRequest
    if cloud == "gcp" and os.environ.get(GATEWAY_SETTING):
        base = GatewayFlaskRequest  # the client's Authorization and address (gcp/http.py)
    view = with_front(base, front_kinds() if cloud == "gcp" else frozenset())
    # Bound once, like the pin and the timeout: nothing replaces an App's handle_http later.
    handle_http = app.handle_http

    def http_target(request: Any) -> Any:
        environ = request.environ
        ctx = _context(cloud, pinned, request_id_from_environ(environ) or new_request_id(), timeout)
        ctx.raw = request
        if pinned:
            pinned_fn = app.functions.get(pinned)
            if pinned_fn is not None and pinned_fn.trigger.kind == "task":
                # A workflow's http.post to the task's own private function (deploy pins
                # and protects it); only a pinned process runs tasks: they are not routes.
                return to_flask_response(serve_task(app, pinned, request, ctx))
        # Only a request Cloud Scheduler marked can be a tick; the marker is looked up in
        # the environ first, which is cheap for the many requests without it.
        tick = None
        if _SCHEDULER_MARKER in environ:
            if ticks:
                tick = tick_from_headers(request.headers, raw=request)
            else:
                ctx.logger.warning(
                    "%s header ignored (request %s): only a function pinned to a schedule "
                    "(POLYFN_FUNCTION) runs Cloud Scheduler ticks; served as an ordinary "
                    "request",
                    SCHEDULER_HEADER,
                    ctx.request_id,
                )
        if tick is not None:
            try:
                fn = app.scheduled_function(tick.name, pinned)
            except ConfigError:  # POLYFN_FUNCTION names no function of this app
                ctx.logger.exception(
                    "cannot resolve job %r (request %s)", tick.name, ctx.request_id
                )
                return to_flask_response(
                    error_response(500, "Internal Server Error", ctx.request_id)
                )
            if fn is not None:
                return serve_http_tick(app, fn, tick, ctx)
        request_view = view(request, ctx.request_id, trust_forwarded)
        response = handle_http(request_view, ctx, None, pinned)
        try:
            return to_flask_response(response)
        except ValueError:
            ctx.logger.exception("unsendable response headers (request %s)", ctx.request_id)
            return to_flask_response(error_response(500, "Internal Server Error", ctx.request_id))

    return _register(http_target, target, "http")


def event_function(
    app: App,
    *,
    cloud: str = "gcp",
    backends: BackendsChoice = "auto",
    target: str = "events",
    function: str | None = None,
) -> Callable[[Any], Any]:
    """The CloudEvent target serving ``app``: ``events = gcp.event_function(app)``.

    ``function`` pins it as in ``http_function``."""
    bind_backends(app, backends, cloud)
    _observe()
    timeout, pinned = timeout_seconds(DEFAULT_TIMEOUT_SECONDS), _pin(function)

    def events_target(event: Any) -> None:
        attributes = event.get_attributes()
        ctx = _context(cloud, pinned, str(attributes.get("id") or new_request_id()), timeout)
        ctx.raw = event
        data = event.get_data()
        if (
            attributes.get("type") == PUBSUB_PUBLISHED
            and isinstance(data, dict)
            and "deliveryAttempt" not in data
        ):
            # A raw Pub/Sub push that functions-framework converted lost its delivery
            # attempt on the way (legacy.py); the request it came in still has it.
            data = with_push_fields(data, _request_json())
        try:
            serve(app, translate(attributes, data, raw=event), ctx, pinned)
        except UnrecognizedEvent as exc:
            # The reason names values from the event (a bucket, a job, a field): it goes to
            # the log, and the caller gets a fixed sentence, as on every cloud.
            _logger.error(
                "refused CloudEvent %s (request %s): %s",
                attributes.get("type"),
                ctx.request_id,
                exc,
            )
            # werkzeug is loaded: functions-framework is what called this target.
            from werkzeug.exceptions import BadRequest

            raise BadRequest(REFUSED_EVENT_DESCRIPTION) from None

    return _register(events_target, target, "cloudevent")


def _pin(function: str | None) -> str:
    """The pinned function: the one given, else ``POLYFN_FUNCTION``; "" for none."""
    return (pinned_function() if function is None else function) or ""


def _request_json() -> Any:
    """The JSON body of the request functions-framework is serving, if any (flask is
    loaded whenever functions-framework called the target; otherwise there is none)."""
    flask = sys.modules.get("flask")
    if flask is None or not flask.has_request_context():
        return None
    return flask.request.get_json(silent=True)


def _context(cloud: str, function_name: str, request_id: str, timeout: float) -> Context:
    # A Cloud Run instance serves many invocations; take_cold_start is True for its first.
    deadline = time.time() + timeout
    return new_context(cloud, function_name, request_id, deadline, take_cold_start(), None)


def _register(
    function: Callable[[Any], Any], name: str, signature: SignatureType
) -> Callable[[Any], Any]:
    """``function`` named ``name``, with its signature type registered where
    functions-framework looks it up when it is already loaded."""
    if not name.isidentifier():
        raise ConfigError(f"a functions-framework target name must be an identifier, got {name!r}")
    function.__name__ = function.__qualname__ = name
    framework = sys.modules.get("functions_framework")
    if framework is not None:
        decorator = framework.http if signature == "http" else framework.cloud_event
        # The decorator registers ``name`` -> signature type, which is all that is needed
        # of it; the wrapper it returns only forwards the call, so the target itself is
        # kept and each request spares that extra frame.
        decorator(function)
        if signature == "cloudevent":
            # functions-framework's own 400 quotes the request: answer a fixed sentence.
            install_in_current_app()
    return function


_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def _observe() -> None:
    """Metrics as structured entries; log records with the invocation's fields, and on
    Google Cloud, when nothing else set up logging, written as Cloud Logging reads them."""
    from polyfn.adapters.gcp.metrics import write_entries

    register_sink("gcp", write_entries, builtin=running_on_google_cloud())
    install_log_fields()
    root = logging.getLogger()
    if running_on_google_cloud() and not root.handlers:
        from polyfn.adapters.common.log_json import JsonLineFormatter

        handler = logging.StreamHandler(sys.stdout)
        project = os.environ.get("GOOGLE_CLOUD_PROJECT") or os.environ.get("GCP_PROJECT")
        handler.setFormatter(JsonLineFormatter(cloud_logging=True, google_project=project))
        root.addHandler(handler)
        level = os.environ.get("POLYFN_LOG_LEVEL", "INFO").upper()
        root.setLevel(level if level in _LEVELS else "INFO")


def running_on_google_cloud() -> bool:
    """True on Cloud Functions (2nd gen) and Cloud Run, which set ``K_SERVICE``."""
    return "K_SERVICE" in os.environ


def bind_backends(app: App, choice: BackendsChoice, cloud: str) -> None:
    """``gcp``: bind Cloud Storage / Pub/Sub / Firestore; ``keep``: leave the App alone;
    ``auto``: bind them on Google Cloud when the App has no binding yet and ``cloud`` is
    ``gcp`` (the local runtime and tests keep theirs). No Google library is imported
    here: each backend creates its client on first use."""
    if cloud != "gcp" and choice == "auto":
        return  # the local runtime serves through this adapter and binds its own
    choose_backends(app, choice, "gcp", on_platform=running_on_google_cloud, provider=_gcp_backends)


def _gcp_backends() -> BackendProvider:
    from polyfn.adapters.gcp.backends import GcpBackends

    return GcpBackends()
