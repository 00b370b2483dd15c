"""``function_app(app)``: a polyfn App as an Azure Functions (Python v2 model) FunctionApp.

Every polyfn function becomes one Azure function of the same name whose trigger is the
Azure counterpart of its polyfn trigger. The registered Python callables (``req``,
``msg``, ``blob``, ``timer`` or ``event``, plus ``context``) translate the worker's
objects to the core model and call the App's dispatcher, so routing, 404/405/500,
filters and failure handling are the ones every runtime shares.

Names of buckets and queues in trigger bindings are the physical names resolved when
``function_app`` runs (``POLYFN_BUCKET_<NAME>``/``POLYFN_QUEUE_<NAME>`` or the logical
name), not ``%SETTING%`` expressions: the worker indexes the functions in the process
that has the app settings as environment variables, so the names are known then, and a
missing setting means the logical name, as on every polyfn runtime, instead of a host
that refuses to index the function.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import azure.functions as func

from polyfn.adapters.azure.events import (
    grid_event_from_native,
    message_from_queue,
    object_event_from_blob,
    object_event_from_grid,
)
from polyfn.adapters.azure.http import AzureRequest, to_azure_response
from polyfn.adapters.common.binding import choose_backends
from polyfn.adapters.common.coldstart import take_cold_start
from polyfn.adapters.common.environment import timeout_seconds
from polyfn.core.context import Context, new_context
from polyfn.core.dispatch import error_response
from polyfn.core.errors import ConfigError, PolyfnError
from polyfn.core.events import Schedule
from polyfn.core.functions import (
    HTTP_METHODS,
    EventTrigger,
    Function,
    HttpTrigger,
    MessageTrigger,
    ObjectTrigger,
    ScheduleTrigger,
)
from polyfn.core.routing import MethodNotAllowed, NotFound, Router
from polyfn.core.schedule import to_ncrontab

if TYPE_CHECKING:
    from polyfn.core.app import App
    from polyfn.core.ports import BackendProvider

__all__ = [
    "DEFAULT_TIMEOUT_SECONDS",
    "FALLBACK_FUNCTION",
    "HTTP_RESPONSE_LIMIT_SECONDS",
    "ROOT_ROUTE",
    "STORAGE_CONNECTION",
    "MessageFailed",
    "function_app",
]

# "Function app timeout duration" (learn.microsoft.com, functions-timeout-duration include
# dated 2024-06-27, read 2026-11): Consumption plan default 5 min, maximum 10 min; and
# whatever the setting, an HTTP-triggered function has 230 s to respond (the front end's
# load balancer idle timeout). Deploy writes host.json's functionTimeout and
# POLYFN_TIMEOUT_SECONDS together.
DEFAULT_TIMEOUT_SECONDS = 300.0
HTTP_RESPONSE_LIMIT_SECONDS = 230.0
# Blob and queue triggers read the storage account named by this app setting: the
# Function App's own storage account, which deploy creates the containers and queues in.
STORAGE_CONNECTION = "AzureWebJobsStorage"
# The catch-all HTTP function that gives unknown paths and wrong methods polyfn's JSON
# 404/405 instead of the host's empty 404.
FALLBACK_FUNCTION = "polyfn_fallback"
# The host replaces an empty route with the function's name, so the app's "/" needs an
# optional parameter that can only be empty (github.com/Azure/Azure-Functions issue 2473).
ROOT_ROUTE = "{polyfn_root:maxlength(0)?}"
_AUTH_ORDER = ("anonymous", "function", "admin")

_log = logging.getLogger("polyfn.azure")


class MessageFailed(PolyfnError):
    """A queue message's handler raised; raising this makes the host retry the message.

    After ``maxDequeueCount`` receives (``max_receives``, in host.json) the host moves the
    message to ``<queue>-poison``. The handler's own exception is already logged.
    """


def function_app(
    app: App, *, auth_level: str = "anonymous", backends: str = "auto"
) -> func.FunctionApp:
    """An ``azure.functions.FunctionApp`` that runs ``app``; put it in ``function_app.py``.

    ``auth_level`` is the least key requirement of every HTTP function; a route declared
    with ``auth="function"`` needs a function key even when it is ``"anonymous"``.
    """
    if auth_level not in _AUTH_ORDER:
        raise ConfigError(f"auth_level must be one of {', '.join(_AUTH_ORDER)}, got {auth_level!r}")
    if FALLBACK_FUNCTION in app.functions:
        raise ConfigError(f"the function name {FALLBACK_FUNCTION!r} is reserved on Azure")
    _bind_backends(app, backends)
    settings = _Settings(app, auth_level)
    native = func.FunctionApp(http_auth_level=func.AuthLevel[auth_level.upper()])
    for fn in app.functions.values():
        _register(native, settings, fn)
    _register_fallback(native, settings)
    return native


def _bind_backends(app: App, choice: str) -> None:
    """``azure``: bind Blob/Queue/Table storage; ``keep``: leave the App alone; ``auto``:
    bind them inside the Functions host (it sets ``FUNCTIONS_WORKER_RUNTIME``) when the App
    has no binding yet, so tests and the local runtime keep theirs. No storage SDK is
    imported here: each backend creates its client on first use."""
    choose_backends(app, choice, "azure", on_platform=_in_functions_host, provider=_azure_backends)


def _in_functions_host() -> bool:
    return "FUNCTIONS_WORKER_RUNTIME" in os.environ


def _azure_backends() -> BackendProvider:
    from polyfn.adapters.azure.backends import AzureBackends

    return AzureBackends()


class _Settings:
    """What every registered callable of one FunctionApp shares."""

    __slots__ = ("app", "auth_level", "http_timeout", "levels", "route_prefix", "router", "timeout")

    def __init__(self, app: App, auth_level: str) -> None:
        self.app = app
        self.auth_level = auth_level
        self.timeout = timeout_seconds(DEFAULT_TIMEOUT_SECONDS)
        self.http_timeout = min(self.timeout, HTTP_RESPONSE_LIMIT_SECONDS)
        # host.json's extensions.http.routePrefix; deploy keeps the two the same.
        self.route_prefix = os.environ.get("POLYFN_AZURE_ROUTE_PREFIX", "api")
        self.levels = {fn.name: _stricter(auth_level, trigger.auth) for fn, trigger in _http(app)}
        # Only needed when key requirements differ between routes (see _guard).
        self.router: Router[Function] | None = None
        if len(set(self.levels.values())) > 1:
            self.router = Router()
            for fn, trigger in _http(app):
                self.router.add(trigger.path, trigger.methods, fn)

    def context(self, name: str, native: func.Context | None, http: bool = False) -> Context:
        cold = take_cold_start()
        deadline = time.time() + (self.http_timeout if http else self.timeout)
        request_id = getattr(native, "invocation_id", None) or str(uuid.uuid4())
        return new_context("azure", name, request_id, deadline, cold, native)


def _stricter(first: str, second: str) -> str:
    return max(first, second, key=_AUTH_ORDER.index)


def _http(app: App) -> list[tuple[Function, HttpTrigger]]:
    return [
        (fn, fn.trigger) for fn in app.functions.values() if isinstance(fn.trigger, HttpTrigger)
    ]


# ----------------------------------------------------------------------------- registration


def _register(native: func.FunctionApp, settings: _Settings, fn: Function) -> None:
    trigger = fn.trigger
    handler: Callable[..., Any]
    decorator: Callable[[Callable[..., Any]], Any]
    if isinstance(trigger, HttpTrigger):
        handler = _http_handler(settings, fn.name, settings.levels[fn.name])
        decorator = native.route(
            route=trigger.template.format("azure") or ROOT_ROUTE,
            methods=_azure_methods(settings.app, trigger.methods),
            auth_level=settings.levels[fn.name].upper(),
            trigger_arg_name="req",
        )
    elif isinstance(trigger, ObjectTrigger) and trigger.action == "created":
        handler = _blob_handler(settings, fn)
        decorator = native.blob_trigger(
            arg_name="blob",
            path=_blob_path(trigger.bucket.physical_name, trigger.prefix),
            connection=STORAGE_CONNECTION,
        )
    elif isinstance(trigger, ObjectTrigger):
        # Blob triggers never see deletes; an Event Grid subscription on the storage
        # account (created by deploy, filtered to BlobDeleted) delivers them.
        handler = _blob_event_handler(settings, fn, trigger)
        decorator = native.event_grid_trigger(arg_name="event")
    elif isinstance(trigger, MessageTrigger):
        handler = _queue_handler(settings, fn, trigger)
        decorator = native.queue_trigger(
            arg_name="msg",
            queue_name=trigger.queue.physical_name,
            connection=STORAGE_CONNECTION,
        )
    elif isinstance(trigger, ScheduleTrigger):
        handler = _timer_handler(settings, fn.name)
        decorator = native.timer_trigger(arg_name="timer", schedule=to_ncrontab(trigger.expression))
    else:
        assert isinstance(trigger, EventTrigger)
        handler = _event_handler(settings, fn.name)
        decorator = native.event_grid_trigger(arg_name="event")
    handler.__name__ = handler.__qualname__ = fn.name
    native.function_name(name=fn.name)(decorator(handler))


def _azure_methods(app: App, methods: tuple[str, ...]) -> list[str]:
    """The route's methods plus what the core answers for it: HEAD for GET, CORS preflight."""
    wanted = set(methods)
    if "GET" in wanted:
        wanted.add("HEAD")
    if app.cors is not None:
        wanted.add("OPTIONS")
    return [method for method in HTTP_METHODS if method in wanted]


def _blob_path(container: str, prefix: str) -> str:
    # Braces are binding-expression syntax in blob paths; doubled they are literal.
    literal = prefix.replace("{", "{{").replace("}", "}}")
    return f"{container}/{literal}{{name}}"


def _register_fallback(native: func.FunctionApp, settings: _Settings) -> None:
    """A catch-all route so unmatched requests get polyfn's 404/405 and HEAD/OPTIONS work.

    The host orders routes by function name rather than by specificity, so the fallback
    may receive requests meant for other routes; that is harmless because the core router
    decides what runs. It is safe only when every route needs the same key, so with mixed
    requirements there is no fallback and the host answers unknown paths itself.
    """
    levels = set(settings.levels.values())
    if len(levels) != 1:
        return
    for _, trigger in _http(settings.app):
        if trigger.template.greedy and trigger.template.format("azure").startswith("{*"):
            return  # a root catch-all of the app's own already receives every path
    level = levels.pop()
    handler = _http_handler(settings, FALLBACK_FUNCTION, level)
    handler.__name__ = handler.__qualname__ = FALLBACK_FUNCTION
    decorator = native.route(
        route="{*polyfn_path}",
        methods=list(HTTP_METHODS),
        auth_level=level.upper(),
        trigger_arg_name="req",
    )
    native.function_name(name=FALLBACK_FUNCTION)(decorator(handler))


def _worker_signature(handler: Callable[..., Any], arg: str, arg_type: type, returns: Any) -> None:
    """State the exact types the Python worker checks when it loads the function.

    The worker compares ``typing.get_type_hints`` of each parameter with its binding and
    wants ``context`` to be exactly ``azure.functions.Context``; the ``| None`` default
    that lets tests call the function without a context would not pass that check.
    """
    handler.__annotations__ = {arg: arg_type, "context": func.Context, "return": returns}


# ----------------------------------------------------------------------------- handlers


def _http_handler(
    settings: _Settings, name: str, level: str
) -> Callable[[func.HttpRequest, func.Context | None], func.HttpResponse]:
    app, route_prefix = settings.app, settings.route_prefix
    guarded = settings.router is not None  # only when routes need different keys

    def handle(req: func.HttpRequest, context: func.Context | None = None) -> func.HttpResponse:
        ctx = settings.context(name, context, True)
        request = AzureRequest(req, route_prefix, ctx.request_id)
        refused = None
        if guarded:
            refused = _guard(settings, request.method, request.path, level, ctx)
        response = refused if refused is not None else app.handle_http(request, ctx)
        try:
            return to_azure_response(response)
        except ValueError:
            ctx.logger.exception("response of %s %s cannot be sent", request.method, request.path)
            return to_azure_response(error_response(500, "Internal Server Error", ctx.request_id))

    _worker_signature(handle, "req", func.HttpRequest, func.HttpResponse)
    return handle


def _guard(settings: _Settings, method: str, path: str, level: str, ctx: Context) -> Any:
    """Refuse a request that reached a function with a weaker key than its route needs.

    The host picks among overlapping routes by function name, so ``/users/me`` (keyed)
    may arrive at the anonymous ``/users/{id}``; the core router would then run the keyed
    handler without a key. Failing closed is the only safe answer.
    """
    router = settings.router
    if router is None:
        return None
    try:
        target, _ = router.match(method, path)
    except (NotFound, MethodNotAllowed):
        return None
    needed = settings.levels[target.name]
    if _AUTH_ORDER.index(needed) <= _AUTH_ORDER.index(level):
        return None
    _log.warning(
        "%s %s needs a %s key but arrived at %s (%s); refused (request %s)",
        method,
        path,
        needed,
        ctx.function_name,
        level,
        ctx.request_id,
    )
    return error_response(401, "Unauthorized", ctx.request_id)


def _blob_handler(settings: _Settings, fn: Function) -> Callable[..., None]:
    app, name = settings.app, fn.name

    def handle(blob: func.InputStream, context: func.Context | None = None) -> None:
        ctx = settings.context(name, context)
        app.handle_object(object_event_from_blob(blob), ctx, function=name)

    _worker_signature(handle, "blob", func.InputStream, None)
    return handle


def _blob_event_handler(
    settings: _Settings, fn: Function, trigger: ObjectTrigger
) -> Callable[..., None]:
    app, name = settings.app, fn.name

    def handle(event: func.EventGridEvent, context: func.Context | None = None) -> None:
        ctx = settings.context(name, context)
        grid = grid_event_from_native(event)
        obj = object_event_from_grid(grid)
        container = trigger.bucket.physical_name
        if obj is None or obj.bucket != container or obj.action != trigger.action:
            # A subscription wider than this function: acknowledge, since retrying a
            # delivery that is not ours would never succeed.
            _log.warning(
                "%s ignored Event Grid event %s (%s on %s); it handles %s in %s",
                name,
                grid.id,
                grid.type,
                grid.subject,
                trigger.action,
                container,
            )
            return
        app.handle_object(obj, ctx, function=name)

    _worker_signature(handle, "event", func.EventGridEvent, None)
    return handle


def _queue_handler(
    settings: _Settings, fn: Function, trigger: MessageTrigger
) -> Callable[..., None]:
    app, name, queue = settings.app, fn.name, trigger.queue

    def handle(msg: func.QueueMessage, context: func.Context | None = None) -> None:
        ctx = settings.context(name, context)
        message = message_from_queue(msg)
        # The host triggers this function for this queue only: its consumer is known, and
        # naming it spares reading the bindings from the environment per message.
        if app.handle_messages(None, [message], ctx, function=name):
            raise MessageFailed(
                f"message {message.id} failed in {name} (receive {message.receive_count} of "
                f"{queue.max_receives}); the Functions host retries it, then moves it to "
                f"{queue.physical_name}-poison"
            )

    _worker_signature(handle, "msg", func.QueueMessage, None)
    return handle


def _timer_handler(settings: _Settings, name: str) -> Callable[..., None]:
    app = settings.app

    def handle(timer: func.TimerRequest, context: func.Context | None = None) -> None:
        ctx = settings.context(name, context)
        now = datetime.now(UTC).isoformat(timespec="milliseconds")
        tick = Schedule(now.replace("+00:00", "Z"), name, raw=timer)
        app.handle_schedule(tick, ctx, function=name)

    _worker_signature(handle, "timer", func.TimerRequest, None)
    return handle


def _event_handler(settings: _Settings, name: str) -> Callable[..., None]:
    app = settings.app

    def handle(event: func.EventGridEvent, context: func.Context | None = None) -> None:
        ctx = settings.context(name, context)
        app.handle_event(grid_event_from_native(event), ctx, function=name)

    _worker_signature(handle, "event", func.EventGridEvent, None)
    return handle
