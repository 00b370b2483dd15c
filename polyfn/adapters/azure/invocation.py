"""What every registered callable of one FunctionApp shares, and the worker's type check.

``entry`` builds one ``Invocations`` per ``function_app(app)``; the serving code in
``http`` and ``events`` reads the App, the key levels and the timeouts from it and makes
each invocation's ``Context`` with it, so the three agree on the deadline and the request
id without reading the environment per call.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from polyfn.adapters.common.coldstart import take_cold_start
from polyfn.adapters.common.environment import timeout_seconds
from polyfn.core import defaults
from polyfn.core.context import Context, new_context
from polyfn.core.functions import Function, HttpTrigger
from polyfn.core.routing import Router

if TYPE_CHECKING:
    import azure.functions as func

    from polyfn.core.app import App

__all__ = [
    "AUTH_ORDER",
    "DEFAULT_TIMEOUT_SECONDS",
    "HTTP_RESPONSE_LIMIT_SECONDS",
    "Invocations",
    "http_functions",
    "route_prefix",
    "worker_signature",
]

# "Function app timeout duration" (learn.microsoft.com, functions-timeout-duration include
# dated 2024-06-27, read 2026-11): whatever the setting, an HTTP-triggered function has
# 230 s to respond (the front end's load balancer idle timeout). Deploy writes host.json's
# functionTimeout and POLYFN_TIMEOUT_SECONDS together; unset, polyfn's one default applies
# (not the Consumption plan's 5 min), as on every other runtime.
DEFAULT_TIMEOUT_SECONDS = float(defaults.DEFAULT_TIMEOUT_SECONDS)
HTTP_RESPONSE_LIMIT_SECONDS = 230.0
# Function key requirements, weakest first.
AUTH_ORDER = ("anonymous", "function", "admin")


class Invocations:
    """The App, its timeouts and each HTTP function's key level, for one FunctionApp."""

    __slots__ = ("app", "auth_level", "http_timeout", "levels", "route_prefix", "router", "timeout")

    def __init__(self, app: App, auth_level: str) -> None:
        self.app = app
        self.auth_level = auth_level
        self.timeout = timeout_seconds(DEFAULT_TIMEOUT_SECONDS)
        self.http_timeout = min(self.timeout, HTTP_RESPONSE_LIMIT_SECONDS)
        self.route_prefix = route_prefix()
        self.levels = {
            fn.name: stricter(auth_level, trigger.auth) for fn, trigger in http_functions(app)
        }
        # Only needed when key requirements differ between routes (see http._guard).
        self.router: Router[Function] | None = None
        if len(set(self.levels.values())) > 1:
            self.router = Router()
            for fn, trigger in http_functions(app):
                self.router.add(trigger.path, trigger.methods, fn)

    def context(self, name: str, native: func.Context | None, http: bool = False) -> Context:
        cold = take_cold_start()
        deadline = time.time() + (self.http_timeout if http else self.timeout)
        request_id = getattr(native, "invocation_id", None) or str(uuid.uuid4())
        return new_context(
            "azure", name, request_id, deadline, cold, native, AzureInvocationContext
        )


class AzureInvocationContext(Context):
    """The Context of an Azure invocation: the host's trace context (W3C, from the
    caller's ``traceparent`` or Application Insights' own) when the event has none."""

    __slots__ = ()

    def _platform_trace(self) -> dict[str, str] | None:
        trace_context = getattr(self.raw, "trace_context", None)
        traceparent = getattr(trace_context, "trace_parent", None)
        if not traceparent:
            return None
        return {
            "traceparent": traceparent,
            "tracestate": getattr(trace_context, "trace_state", None) or "",
        }


def route_prefix() -> str:
    """host.json's ``extensions.http.routePrefix``, which deploy also writes to this setting."""
    return os.environ.get("POLYFN_AZURE_ROUTE_PREFIX", "api")


def stricter(first: str, second: str) -> str:
    return max(first, second, key=AUTH_ORDER.index)


def http_functions(app: App) -> list[tuple[Function, HttpTrigger]]:
    return [
        (fn, fn.trigger) for fn in app.functions.values() if isinstance(fn.trigger, HttpTrigger)
    ]


def worker_signature(handler: Callable[..., Any], arg: str, arg_type: type, returns: Any) -> None:
    """State the exact types the Python worker checks when it loads the function.

    The worker compares ``typing.get_type_hints`` of each parameter with its binding and
    wants ``context`` to be exactly ``azure.functions.Context``; the ``| None`` default
    that lets tests call the function without a context would not pass that check.
    """
    import azure.functions as func

    handler.__annotations__ = {arg: arg_type, "context": func.Context, "return": returns}
