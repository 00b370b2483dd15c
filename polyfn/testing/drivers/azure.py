"""The Azure driver: runs an App through ``function_app(app)`` as the Functions host would.

The FunctionApp is indexed with the library's own ``get_functions()``; the driver then
does what the host does with that index: it picks the function whose trigger binding
fits the input (for HTTP, the first route in function-name order that matches, which is
how the host orders overlapping routes), builds the worker's native object with
``polyfn.testing.events.azure`` and calls the registered callable with it and a
``context``. HTTP answers go through the worker's own response converter, so what is
read back (status, headers, one ``Set-Cookie`` per cookie, body bytes) is what the
worker hands the host.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Mapping, Sequence
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import unquote

from polyfn.adapters.azure import envelope
from polyfn.adapters.azure.runtime import ROOT_ROUTE
from polyfn.core.app import App
from polyfn.core.datastructures import Headers
from polyfn.core.errors import ConfigError
from polyfn.core.functions import EventTrigger, ObjectTrigger
from polyfn.testing.drivers.base import Driver, HttpResult
from polyfn.testing.events import azure as events

__all__ = ["DRIVERS", "AzureDriver", "IndexedApp"]

_ROUTE_PARAM = re.compile(r"\{(\*?)([A-Za-z_][A-Za-z0-9_]*)\}")


class IndexedApp:
    """A polyfn App's FunctionApp and the functions its indexing produced."""

    def __init__(self, app: App, route_prefix: str = "api") -> None:
        from polyfn.adapters.azure import function_app

        self.app = app
        self.route_prefix = route_prefix
        self.native = function_app(app)
        self.functions = {str(fn.get_function_name()): fn for fn in self.native.get_functions()}
        # The host sorts routes by function name, not by how specific the template is.
        self.routes = sorted(
            (
                (name, _compile_route(self._binding(fn)["route"]), self._methods(fn))
                for name, fn in self.functions.items()
                if self._binding(fn)["type"] == "httpTrigger"
            ),
            key=lambda route: route[0].lower(),
        )

    @staticmethod
    def _binding(fn: Any) -> dict[str, Any]:
        binding: dict[str, Any] = fn.get_trigger().get_dict_repr()
        return binding

    def _methods(self, fn: Any) -> frozenset[str] | None:
        methods = self._binding(fn).get("methods")
        return frozenset(str(m).upper() for m in methods) if methods else None

    def trigger(self, name: str) -> dict[str, Any]:
        return self._binding(self.functions[name])

    def call(self, name: str, arg: str, value: Any) -> Any:
        """Invoke one function's user code as the worker does: binding argument + context."""
        user_function = self.functions[name].get_user_function()
        return user_function(**{arg: value, "context": events.invocation_context(name)})

    def named(self, binding_type: str) -> list[str]:
        return [name for name in self.functions if self.trigger(name)["type"] == binding_type]

    def match_route(self, method: str, path: str) -> tuple[str, dict[str, str]] | None:
        """The function the host would invoke for ``method path`` and its route params."""
        route_path = path.lstrip("/")
        for name, pattern, methods in self.routes:
            found = pattern.match(route_path)
            if found is not None and (methods is None or method.upper() in methods):
                return name, {key: value for key, value in found.groupdict().items() if value}
        return None


def _compile_route(template: str) -> re.Pattern[str]:
    """An Azure route template as a regex: ``{x}`` one segment, ``{*x}`` the rest."""
    if template == ROOT_ROUTE:
        return re.compile("^/?$")
    pattern = []
    position = 0
    for found in _ROUTE_PARAM.finditer(template):
        literal = template[position : found.start()].replace("{{", "{").replace("}}", "}")
        pattern.append(re.escape(literal))
        greedy, name = found.groups()
        pattern.append(f"(?P<{name}>.*)" if greedy else f"(?P<{name}>[^/]+)")
        position = found.end()
    pattern.append(re.escape(template[position:]))
    return re.compile("^" + "".join(pattern) + "/?$", re.IGNORECASE | re.DOTALL)


class AzureDriver:
    """``Driver`` for Azure Functions; see the module docstring."""

    name = "azure"
    cloud = "azure"

    def __init__(self) -> None:
        self._indexed: weakref.WeakKeyDictionary[App, IndexedApp] = weakref.WeakKeyDictionary()

    def index(self, app: App) -> IndexedApp:
        indexed = self._indexed.get(app)
        if indexed is None:
            indexed = self._indexed[app] = IndexedApp(app)
        return indexed

    def http(
        self,
        app: App,
        method: str,
        path: str,
        *,
        query: Mapping[str, Sequence[str]] | None = None,
        headers: Sequence[tuple[str, str]] | None = None,
        body: bytes | None = None,
    ) -> HttpResult:
        indexed = self.index(app)
        matched = indexed.match_route(method, path)
        if matched is None:
            return HttpResult(404, Headers(), b"")  # the host's own answer, no function ran
        name, route_params = matched
        request = events.http_request(
            method,
            path,
            query=query,
            headers=headers,
            body=body,
            route_params={key: unquote(value) for key, value in route_params.items()},
            route_prefix=indexed.route_prefix,
        )
        return read_response(indexed.call(name, "req", request))

    def messages(
        self,
        app: App,
        queue: str,
        bodies: Sequence[bytes],
        *,
        attributes: Mapping[str, str] | None = None,
    ) -> list[int]:
        indexed = self.index(app)
        physical = app.queues[queue].physical_name
        consumers = [
            name
            for name in indexed.named("queueTrigger")
            if indexed.trigger(name)["queueName"] == physical
        ]
        if not consumers:
            return list(range(len(bodies)))  # nobody dequeues them: they all stay queued
        failed: list[int] = []
        for index, body in enumerate(bodies):
            message = events.queue_message(envelope.wrap(body, attributes or {}))
            try:
                indexed.call(consumers[0], "msg", message)
            except Exception:
                failed.append(index)
        return failed

    def object_event(
        self,
        app: App,
        action: str,
        bucket: str,
        key: str,
        *,
        size: int = 0,
        content_type: str | None = None,
    ) -> None:
        indexed = self.index(app)
        container = app.buckets[bucket].physical_name
        if action == "created":
            for name in indexed.named("blobTrigger"):
                path = indexed.trigger(name)["path"]
                if _blob_path_matches(path, container, key):
                    blob = events.blob(
                        container,
                        key,
                        b"\0" * size,
                        content_type=content_type or "application/octet-stream",
                    )
                    indexed.call(name, "blob", blob)
        for name in indexed.named("eventGridTrigger"):
            trigger = app.functions[name].trigger
            if isinstance(trigger, ObjectTrigger) and trigger.action == action:
                # The deploy step's subscription delivers only this event type.
                document = (
                    events.blob_created(
                        bucket=container,
                        key=key,
                        size=size,
                        content_type=content_type or "application/octet-stream",
                    )
                    if action == "created"
                    else events.blob_deleted(bucket=container, key=key)
                )
                indexed.call(name, "event", events.event_grid_event(document))

    def schedule(self, app: App, function: str) -> None:
        indexed = self.index(app)
        if function not in indexed.named("timerTrigger"):
            raise ConfigError(f"no timer-triggered Azure function named {function!r}")
        indexed.call(function, "timer", events.timer())

    def event(
        self,
        app: App,
        source: str,
        type: str,
        data: Any,
        *,
        subject: str | None = None,
    ) -> None:
        indexed = self.index(app)
        document = events.eventgrid(source=source, type=type, subject=subject or "", data=data)
        for name in indexed.named("eventGridTrigger"):
            if isinstance(app.functions[name].trigger, EventTrigger):
                indexed.call(name, "event", events.event_grid_event(document))


def _blob_path_matches(path: str, container: str, key: str) -> bool:
    """Whether a blob trigger path ``container/prefix{name}`` fires for ``key``."""
    path_container, _, pattern = path.partition("/")
    if path_container != container:
        return False
    prefix = pattern[: pattern.rfind("{name}")].replace("{{", "{").replace("}}", "}")
    return key.startswith(prefix) and len(key) > len(prefix)


def read_response(native: Any) -> HttpResult:
    """Read an ``HttpResponse`` back through the worker's converter, cookies included."""
    from azure.functions.http import HttpResponseConverter

    datum = HttpResponseConverter.encode(native, expected_type=None)
    value = datum.value
    headers = Headers()
    for name, header in value["headers"].items():
        headers.add(name, header.value)
    for cookie in value.get("cookies") or ():
        assert isinstance(cookie, SimpleCookie)
        for morsel in cookie.values():
            headers.add("set-cookie", morsel.OutputString())
    return HttpResult(int(value["status_code"].value), headers, value["body"].value, native)


DRIVERS: list[Driver] = [AzureDriver()]
