"""``function_app(app)``: a polyfn App as an Azure Functions (Python v2 model) FunctionApp.

Every polyfn function becomes one Azure function of the same name whose trigger is the
Azure counterpart of its polyfn trigger. The registered Python callables (``req``,
``msg``, ``blob``, ``timer`` or ``event``, plus ``context``) translate the worker's
objects to the core model and call the App's dispatcher, so routing, 404/405/500,
filters and failure handling are the ones every runtime shares. This module registers
them; ``http`` and ``events`` hold the callables, ``invocation`` what they share.

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
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import azure.functions as func

from polyfn.adapters.azure.events import (
    blob_event_handler,
    blob_handler,
    event_handler,
    queue_handler,
    timer_handler,
)
from polyfn.adapters.azure.http import ROOT_ROUTE, http_handler
from polyfn.adapters.azure.invocation import AUTH_ORDER, Invocations, http_functions
from polyfn.adapters.azure.settings import HOST_CONNECTION, blob_source, storage_connection
from polyfn.adapters.common.binding import choose_backends
from polyfn.core.context import install_log_fields
from polyfn.core.errors import ConfigError
from polyfn.core.functions import (
    HTTP_METHODS,
    EventTrigger,
    Function,
    HttpTrigger,
    MessageTrigger,
    ObjectTrigger,
    ScheduleTrigger,
)
from polyfn.core.metric_sinks import register_sink
from polyfn.core.metrics import log_sink
from polyfn.core.schedule import to_ncrontab

if TYPE_CHECKING:
    from polyfn.core.app import App
    from polyfn.core.ports import BackendProvider

__all__ = ["FALLBACK_FUNCTION", "ROOT_ROUTE", "STORAGE_CONNECTION", "function_app"]

# Blob and queue triggers read the storage account named by this app setting when deploy
# configured no data account (``settings.storage_connection`` picks it at indexing time).
STORAGE_CONNECTION = HOST_CONNECTION
# The catch-all HTTP function that gives unknown paths and wrong methods polyfn's JSON
# 404/405 instead of the host's empty 404.
FALLBACK_FUNCTION = "polyfn_fallback"


def function_app(
    app: App, *, auth_level: str = "anonymous", backends: str = "auto"
) -> func.FunctionApp:
    """An ``azure.functions.FunctionApp`` that runs ``app``; put it in ``function_app.py``.

    ``auth_level`` is the least key requirement of every HTTP function; a route declared
    with ``auth="function"`` needs a function key even when it is ``"anonymous"``.
    """
    if auth_level not in AUTH_ORDER:
        raise ConfigError(f"auth_level must be one of {', '.join(AUTH_ORDER)}, got {auth_level!r}")
    if FALLBACK_FUNCTION in app.functions:
        raise ConfigError(f"the function name {FALLBACK_FUNCTION!r} is reserved on Azure")
    _bind_backends(app, backends)
    # The worker sends every record to the host with its invocation id; the records
    # carry the invocation's fields too (core.log_fields). Metrics go the same way.
    install_log_fields()
    # Metrics go through the worker's logging (core.metrics.log_sink); polyfn's own are
    # on inside the Functions host.
    register_sink("azure", log_sink, builtin=_in_functions_host())
    invocations = Invocations(app, auth_level)
    native = func.FunctionApp(http_auth_level=func.AuthLevel[auth_level.upper()])
    for fn in app.functions.values():
        if fn.trigger.kind == "change":
            _no_change_feed(fn)
        elif fn.trigger.kind != "task":  # a workflow's tasks are its activities (below)
            _register(native, invocations, fn)
    _register_fallback(native, invocations)
    if app.workflows:
        from polyfn.adapters.azure.workflows import register_workflows

        register_workflows(app, native)
    return native


def _no_change_feed(fn: Function) -> None:
    """An on_change function cannot run on Azure (Table Storage has no change feed):
    ``polyfn deploy build --cloud azure`` refuses such an App; a hand-made project still
    serves the App's other functions, and says once why this one never runs."""
    from polyfn.core.changes import NoChangeFeed

    reason = NoChangeFeed(fn.name, fn.trigger.table.name)  # type: ignore[union-attr]
    logging.getLogger("polyfn.azure").warning("not registered: %s", reason)


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


# ----------------------------------------------------------------------------- registration


def _register(native: func.FunctionApp, invocations: Invocations, fn: Function) -> None:
    trigger = fn.trigger
    handler: Callable[..., Any]
    decorator: Callable[[Callable[..., Any]], Any]
    if isinstance(trigger, HttpTrigger):
        handler = http_handler(invocations, fn.name, invocations.levels[fn.name])
        decorator = native.route(
            route=trigger.template.format("azure") or ROOT_ROUTE,
            methods=_azure_methods(invocations.app, trigger.methods),
            auth_level=invocations.levels[fn.name].upper(),
            trigger_arg_name="req",
        )
    elif isinstance(trigger, ObjectTrigger) and trigger.action == "created":
        handler = blob_handler(invocations, fn)
        source = blob_source(os.environ)
        decorator = native.blob_trigger(
            arg_name="blob",
            path=_blob_path(trigger.bucket.physical_name, trigger.prefix),
            connection=storage_connection(os.environ),
            source=func.BlobSource(source) if source else None,
        )
    elif isinstance(trigger, ObjectTrigger):
        # Blob triggers never see deletes; an Event Grid subscription on the storage
        # account (created by deploy, filtered to BlobDeleted) delivers them.
        handler = blob_event_handler(invocations, fn, trigger)
        decorator = native.event_grid_trigger(arg_name="event")
    elif isinstance(trigger, MessageTrigger):
        handler = queue_handler(invocations, fn, trigger)
        decorator = native.queue_trigger(
            arg_name="msg",
            queue_name=trigger.queue.physical_name,
            connection=storage_connection(os.environ),
        )
    elif isinstance(trigger, ScheduleTrigger):
        handler = timer_handler(invocations, fn.name)
        decorator = native.timer_trigger(arg_name="timer", schedule=to_ncrontab(trigger.expression))
    else:
        assert isinstance(trigger, EventTrigger)
        handler = event_handler(invocations, fn.name)
        decorator = native.event_grid_trigger(arg_name="event")
    handler.__name__ = handler.__qualname__ = fn.name
    if invocations.app.workflows:
        # Any function may start a workflow: each gets the Durable client binding.
        from polyfn.adapters.azure.workflows import CLIENT_ARG, with_durable_client

        handler = with_durable_client(handler)
        client = native.generic_input_binding(arg_name=CLIENT_ARG, type="durableClient")
        native.function_name(name=fn.name)(decorator(client(handler)))
        return
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


def _register_fallback(native: func.FunctionApp, invocations: Invocations) -> None:
    """A catch-all route so unmatched requests get polyfn's 404/405 and HEAD/OPTIONS work.

    The host orders routes by function name rather than by specificity, so the fallback
    may receive requests meant for other routes; that is harmless because the core router
    decides what runs. It is safe only when every route needs the same key, so with mixed
    requirements there is no fallback and the host answers unknown paths itself.
    """
    levels = set(invocations.levels.values())
    if len(levels) != 1:
        return
    for _, trigger in http_functions(invocations.app):
        if trigger.template.greedy and trigger.template.format("azure").startswith("{*"):
            return  # a root catch-all of the app's own already receives every path
    level = levels.pop()
    handler = http_handler(invocations, FALLBACK_FUNCTION, level)
    handler.__name__ = handler.__qualname__ = FALLBACK_FUNCTION
    decorator = native.route(
        route="{*polyfn_path}",
        methods=list(HTTP_METHODS),
        auth_level=level.upper(),
        trigger_arg_name="req",
    )
    native.function_name(name=FALLBACK_FUNCTION)(decorator(handler))
