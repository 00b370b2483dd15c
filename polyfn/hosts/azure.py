"""The Azure host: runs an App through ``function_app(app)`` as the Functions host would.

The FunctionApp is indexed with the library's own ``get_functions()``; the driver then
does what the host does with that index: it picks the function whose trigger binding
fits the input (for HTTP, the first route in function-name order that matches, which is
how the host orders overlapping routes), builds the worker's native object with
``polyfn.hosts.events.azure`` and calls the registered callable with it and a
``context``. HTTP answers go through the worker's own response converter, so what is
read back (status, headers, one ``Set-Cookie`` per cookie, body bytes) is what the
worker hands the host.
"""

from __future__ import annotations

import json
import re
import weakref
from collections.abc import Mapping, Sequence
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from polyfn.adapters.azure import envelope
from polyfn.adapters.azure.http import ROOT_ROUTE, request_path
from polyfn.adapters.azure.invocation import route_prefix
from polyfn.core.app import App
from polyfn.core.datastructures import Headers
from polyfn.core.errors import ConfigError, UnrecognizedEvent
from polyfn.core.event_bus import EventBus, OutgoingEvent
from polyfn.core.functions import EventTrigger, Function, ObjectTrigger
from polyfn.core.routing import MethodNotAllowed, NotFound
from polyfn.hosts.base import Host, HttpResult, stored_metadata
from polyfn.hosts.events import azure as events
from polyfn.hosts.events.azure import GENERATORS
from polyfn.hosts.outcome import Outcome, http_outcome, observed
from polyfn.hosts.samples import check_fits, native_sample

__all__ = ["GENERATORS", "HOSTS", "AzureHost", "IndexedApp", "describe", "looks_like"]

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


class AzureHost:
    """``Host`` for Azure Functions; see the module docstring."""

    name = "azure"
    cloud = "azure"

    def __init__(self) -> None:
        self._indexed: weakref.WeakKeyDictionary[App, IndexedApp] = weakref.WeakKeyDictionary()

    def invoke(self, app: App, fn: Function, event: Any) -> Outcome:
        # The entry point is pinned to fn by argument, as deploy pins it by POLYFN_FUNCTION.
        return observed(lambda: invoke_native(app, fn, event))

    def sample(self, fn: Function, kind: str | None, options: Mapping[str, Any]) -> Any:
        return native_sample("azure", GENERATORS, fn, kind, options)

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

    def changes(
        self,
        app: App,
        table: str,
        changes: Sequence[tuple[str, Mapping[str, Any] | None, Mapping[str, Any] | None]],
    ) -> list[int]:
        from polyfn.core.changes import NoChangeFeed

        resource = app.tables.get(table)
        readers = [
            fn.name
            for fn in app.functions_of("change")
            if fn.trigger.table is resource  # type: ignore[union-attr]
        ]
        raise NoChangeFeed(", ".join(readers) or "(none)", table)

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
                        blob_metadata=stored_metadata(app, bucket, key),
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

    def bus_event(self, app: App, bus: EventBus, event: OutgoingEvent) -> None:
        from polyfn.adapters.azure.backends.event_bus import cloud_event_document

        # The CloudEvent the topic received, delivered unchanged by each function's
        # subscription (CloudEvents delivery schema, as deploy writes it).
        document = cloud_event_document(event)
        indexed = self.index(app)
        for fn in bus.subscribers():
            indexed.call(fn.name, "event", events.event_grid_event(document))


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


HOSTS: list[Host] = [AzureHost()]


def looks_like(document: Any) -> bool:
    from polyfn.adapters.azure.describe import looks_like as azure_looks_like

    return azure_looks_like(document)


def describe(document: Any) -> dict[str, Any]:
    from polyfn.adapters.azure.describe import describe as azure_describe

    return azure_describe(document)


# ---------------------------------------------------------------- native events (polyfn invoke)
# ``polyfn invoke --cloud azure``: one invocation through ``azure.function_app(app)``.


_EXPECTED = (
    "an Azure host invocation payload with Data.req, Data.msg, Data.blob or Data.timer, "
    "or an Event Grid event (polyfn events azure KIND prints each)"
)
# The binding argument each trigger type's function takes (polyfn.adapters.azure.entry).
_ARGUMENTS = {
    "httpTrigger": "req",
    "queueTrigger": "msg",
    "blobTrigger": "blob",
    "timerTrigger": "timer",
    "eventGridTrigger": "event",
}


def invoke_native(app: App, fn: Function, event: Any) -> Outcome:
    from polyfn.adapters.azure.events import is_grid_document

    driver = AzureHost()
    indexed = driver.index(app)
    if isinstance(event, Mapping) and isinstance(event.get("Data"), Mapping):
        data: Mapping[str, Any] = event["Data"]
        metadata: Mapping[str, Any] = event.get("Metadata") or {}
        if "req" in data:
            return _http(driver, app, fn, data["req"])
        for binding in ("msg", "blob", "timer"):
            if binding in data:
                return _call(indexed, fn, *_native(binding, data[binding], metadata))
    documents = event if isinstance(event, list) else [event]
    if documents and all(is_grid_document(document) for document in documents):
        outcome = Outcome({"ok": True})
        for document in documents:
            # The host invokes an Event Grid function once per event of a delivery.
            outcome = _call(indexed, fn, "eventGridTrigger", events.event_grid_event(document))
        return outcome
    raise UnrecognizedEvent("not an Azure Functions invocation", expected=_EXPECTED)


def _http(driver: AzureHost, app: App, fn: Function, req: Mapping[str, Any]) -> Outcome:
    raw_url = str(req.get("Url", ""))
    url = urlsplit(raw_url)
    # The adapter's own rule, so invoke strips the route prefix exactly as the app will.
    path = request_path(raw_url, route_prefix())
    query: dict[str, list[str]] = {}
    for name, value in parse_qsl(url.query, keep_blank_values=True):
        query.setdefault(name, []).append(value)
    headers: list[tuple[str, str]] = []
    for name, values in (req.get("Headers") or {}).items():
        items = values if isinstance(values, list) else [values]
        headers.extend((str(name), str(value)) for value in items)
    method = str(req.get("Method", "GET"))
    check_fits(fn, "http")
    try:
        routed, _ = app.router.match(method.upper(), path)
    except (NotFound, MethodNotAllowed):
        routed = fn  # no route: the answer (404, 405) is worth seeing
    if routed is not fn:
        # One Function App serves every route and the Functions host picks the function
        # by route, so this request never reaches fn there: it is not run, as on the
        # pinned deployments of the other clouds.
        why = f"it is {routed.name}'s route, which the Functions host never sends to {fn.name}"
        return Outcome({"ok": True, "ran": 0, "skipped": why}, skipped=f"{method} {path}: {why}")
    body = req.get("Body") or ""
    payload = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    result = driver.http(
        app,
        method,
        path,
        query=query or None,
        headers=headers or None,
        body=payload or None,
    )
    return http_outcome(result.status, result.headers, result.body)


def _native(binding: str, value: Any, metadata: Mapping[str, Any]) -> tuple[str, Any]:
    if binding == "msg":
        text = value if isinstance(value, str) else json.dumps(value)
        message = events.queue_message(
            text,
            dequeue_count=int(metadata.get("DequeueCount") or 1),
            id=metadata.get("Id"),
        )
        return "queueTrigger", message
    if binding == "blob":
        container, _, name = str(metadata.get("BlobTrigger", "")).partition("/")
        if not container or not name:
            raise UnrecognizedEvent(
                "a blob payload needs Metadata.BlobTrigger as 'container/name'",
                expected=_EXPECTED,
            )
        properties = metadata.get("Properties") or {}
        data = value.encode() if isinstance(value, str) else bytes(value or b"")
        content_type = str(properties.get("ContentType") or "application/octet-stream")
        return "blobTrigger", events.blob(container, name, data, content_type=content_type)
    past_due = bool((value or {}).get("IsPastDue", False)) if isinstance(value, Mapping) else False
    return "timerTrigger", events.timer(past_due)


def _call(indexed: IndexedApp, fn: Function, trigger_type: str, native: Any) -> Outcome:
    """Call ``fn``'s registered function with ``native``, as the worker would."""
    if fn.name not in indexed.functions:
        raise UnrecognizedEvent(f"{fn.name} is not an Azure function of this app")
    declared = indexed.trigger(fn.name)["type"]
    if declared != trigger_type:
        raise UnrecognizedEvent(
            f"{fn.name} is triggered by {declared}, and this event is for a {trigger_type}",
            expected=f"an event for a {declared} (see polyfn events azure)",
        )
    result = indexed.call(fn.name, _ARGUMENTS[declared], native)
    return Outcome({"ok": True} if result is None else result)
