"""The Functions host's invocation payloads (``{"Data": ..., "Metadata": ...}``) as models.

The host posts this JSON to a custom handler, and it carries what the Python worker gets
as typed data: the trigger value under the binding's name in ``Data`` and the trigger
metadata in ``Metadata`` ("Azure Functions custom handlers", request payload, page dated
2025-11-12, read 2026-11). ``polyfn inspect`` reads such a document by handing it to the
worker's own converters, which build the same ``azure.functions`` objects a trigger
receives, and then translating those with the trigger path's code.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from polyfn.adapters.azure.events import message_from_queue, object_event_from_blob
from polyfn.adapters.azure.http import AzureRequest
from polyfn.core.errors import UnrecognizedEvent

__all__ = ["EXPECTED_PAYLOAD", "describe_payload", "is_payload"]

EXPECTED_PAYLOAD = (
    'a Functions host invocation payload {"Data": {binding: value}, "Metadata": {...}} '
    "of an HTTP, queue, blob or timer trigger"
)


def is_payload(document: Any) -> bool:
    return (
        isinstance(document, Mapping)
        and isinstance(document.get("Data"), Mapping)
        and isinstance(document.get("Metadata"), Mapping)
        and len(document["Data"]) >= 1
    )


def describe_payload(document: Mapping[str, Any]) -> dict[str, Any]:
    """The inspect model of one invocation payload."""
    data: Mapping[str, Any] = document["Data"]
    metadata: Mapping[str, Any] = document["Metadata"]
    value = next(iter(data.values()))
    if isinstance(value, Mapping) and "Url" in value and "Method" in value:
        return {"cloud": "azure", "trigger": "http", "request": _http(value, metadata)}
    if "DequeueCount" in metadata:
        message = message_from_queue(_queue_message(value, metadata))
        return {"cloud": "azure", "trigger": "message", "messages": [message.to_dict()]}
    if "BlobTrigger" in metadata:
        event = object_event_from_blob(_input_stream(value, metadata))
        return {"cloud": "azure", "trigger": "object", "events": [event.to_dict()]}
    if isinstance(value, Mapping) and ("ScheduleStatus" in value or "IsPastDue" in value):
        system = _system(metadata)
        return {
            "cloud": "azure",
            "trigger": "schedule",
            "schedule": {"time": system.get("UtcNow"), "name": system.get("MethodName", "")},
        }
    raise UnrecognizedEvent(
        "this host payload is of no trigger polyfn knows", expected=EXPECTED_PAYLOAD
    )


def _system(metadata: Mapping[str, Any]) -> Mapping[str, Any]:
    system = metadata.get("sys")
    return system if isinstance(system, Mapping) else {}


def _datum(value: Any) -> Any:
    from azure.functions import meta

    if isinstance(value, bytes):
        return meta.Datum(value, "bytes")
    if isinstance(value, str):
        return meta.Datum(value, "string")
    if isinstance(value, bool | int):
        return meta.Datum(int(value), "int")
    return meta.Datum(json.dumps(value), "json")


def _http(request: Mapping[str, Any], metadata: Mapping[str, Any]) -> dict[str, Any]:
    from azure.functions import meta
    from azure.functions.http import HttpRequestConverter

    headers = {
        str(name): ", ".join(values) if isinstance(values, list) else str(values)
        for name, values in (request.get("Headers") or {}).items()
    }
    query = request.get("Query") or {}
    if isinstance(query, str):  # the documented sample sends the map as JSON text
        query = json.loads(query or "{}")
    body = request.get("Body")
    body_bytes = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    native = HttpRequestConverter.decode(
        meta.Datum(
            {
                "method": meta.Datum(str(request["Method"]), "string"),
                "url": meta.Datum(str(request["Url"]), "string"),
                "headers": {name: meta.Datum(v, "string") for name, v in headers.items()},
                "query": {name: meta.Datum(str(v), "string") for name, v in query.items()},
                "params": {
                    name: meta.Datum(str(v), "string")
                    for name, v in (request.get("Params") or {}).items()
                },
                "body": meta.Datum(b"" if body is None else body_bytes, "bytes"),
            },
            "http",
        ),
        trigger_metadata=None,
    )
    system = _system(metadata)
    prefix = _route_prefix(str(request["Url"]))
    view = AzureRequest(native, prefix, str(system.get("RandGuid", "")))
    raw = view.body
    try:
        text: str | None = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    return {
        "method": view.method,
        "path": view.path,
        "query": view.query.to_lists(),
        "headers": view.headers.to_lists(),
        "cookies": view.cookies,
        "body": text,
        "body_base64": base64.b64encode(raw).decode(),
        "client_ip": view.client_ip,
        "request_id": view.request_id,
    }


def _route_prefix(url: str) -> str:
    # The payload does not say the host's routePrefix; "api" is the default and the
    # only one a URL shows unambiguously.
    return "api" if urlsplit(url).path.lower().startswith("/api/") else ""


def _queue_message(value: Any, metadata: Mapping[str, Any]) -> Any:
    from azure.functions.queue import QueueMessageInConverter

    body = value if isinstance(value, str | bytes) else json.dumps(value)
    fields = {
        key: _datum(metadata[key])
        for key in ("Id", "DequeueCount", "InsertionTime", "ExpirationTime", "NextVisibleTime")
        if metadata.get(key) is not None
    }
    return QueueMessageInConverter.decode(_datum(body), trigger_metadata=fields)


def _input_stream(value: Any, metadata: Mapping[str, Any]) -> Any:
    from azure.functions.blob import BlobConverter

    body = value if isinstance(value, str | bytes) else json.dumps(value)
    fields = {
        key: _datum(metadata[key])
        for key in ("BlobTrigger", "Uri", "Properties", "Metadata")
        if metadata.get(key) is not None
    }
    return BlobConverter.decode(_datum(body), trigger_metadata=fields)
