"""``polyfn invoke --cloud azure``: one invocation through ``azure.function_app(app)``.

The event is a JSON document of ``polyfn events azure``: the host's invocation payload
(``{"Data": {"req" | "msg" | "blob" | "timer": ...}, "Metadata": ...}``) or an Event Grid
event. It is turned into the worker's native object with the test generators (the
library's own converters) and passed to the registered function, as the Python worker
does; an HTTP request goes through the host's routing first.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from polyfn.cli.invoke_outcome import Outcome, http_outcome
from polyfn.cli.invoke_samples import check_fits
from polyfn.core.app import App
from polyfn.core.errors import UnrecognizedEvent
from polyfn.core.functions import Function

__all__ = ["invoke"]

_EXPECTED = (
    "an Azure host invocation payload with Data.req, Data.msg, Data.blob or Data.timer, "
    "or an Event Grid event (polyfn events azure KIND prints each)"
)
# The binding argument each trigger type's function takes (polyfn.adapters.azure.runtime).
_ARGUMENTS = {
    "httpTrigger": "req",
    "queueTrigger": "msg",
    "blobTrigger": "blob",
    "timerTrigger": "timer",
    "eventGridTrigger": "event",
}


def invoke(app: App, fn: Function, event: Any) -> Outcome:
    from polyfn.adapters.azure.events import is_grid_document
    from polyfn.testing.drivers.azure import AzureDriver

    driver = AzureDriver()
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
        from polyfn.testing.events.azure import event_grid_event

        outcome = Outcome({"ok": True})
        for document in documents:
            # The host invokes an Event Grid function once per event of a delivery.
            outcome = _call(indexed, fn, "eventGridTrigger", event_grid_event(document))
        return outcome
    raise UnrecognizedEvent("not an Azure Functions invocation", expected=_EXPECTED)


def _http(driver: Any, app: App, fn: Function, req: Mapping[str, Any]) -> Outcome:
    url = urlsplit(str(req.get("Url", "")))
    path = unquote(url.path)
    prefix = "/" + os.environ.get("POLYFN_AZURE_ROUTE_PREFIX", "api").strip("/")
    if prefix != "/" and (path == prefix or path.startswith(prefix + "/")):
        path = path[len(prefix) :] or "/"
    query: dict[str, list[str]] = {}
    for name, value in parse_qsl(url.query, keep_blank_values=True):
        query.setdefault(name, []).append(value)
    headers: list[tuple[str, str]] = []
    for name, values in (req.get("Headers") or {}).items():
        items = values if isinstance(values, list) else [values]
        headers.extend((str(name), str(value)) for value in items)
    method = str(req.get("Method", "GET"))
    check_fits(app, fn, "http", method, path)
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
    from polyfn.testing.events import azure as events

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


def _call(indexed: Any, fn: Function, trigger_type: str, native: Any) -> Outcome:
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
