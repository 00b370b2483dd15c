"""Native ``azure.functions`` objects, built the way the Python worker builds them.

The worker receives typed data (``meta.Datum``) from the Functions host and decodes it
with the library's own converters; these generators hand the same data to the same
converters, so what a handler receives is what it receives on Azure. ``azure.functions``
is imported inside each generator, so importing this module costs nothing.

Sources: see ``polyfn.hosts.events.azure_documents``. The host joins repeated request
headers and query values with commas before the worker sees them
(github.com/Azure/azure-functions-host issue 5294, 2019, still so in 2025).
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from polyfn.hosts.events.azure_documents import (
    DEFAULT_ACCOUNT,
    DEFAULT_HOST,
    HeaderList,
    Query,
    eventgrid,
    grouped,
    header_pairs,
    now,
    query_pairs,
    request_url,
    storage_url,
    timer_payload,
)

if TYPE_CHECKING:
    import azure.functions as func

__all__ = [
    "blob",
    "event_grid_event",
    "http_request",
    "invocation_context",
    "queue_message",
    "timer",
]


def http_request(
    method: str = "GET",
    path: str = "/",
    *,
    query: Query | None = None,
    headers: HeaderList | None = None,
    body: bytes | str | None = None,
    route_params: Mapping[str, str] | None = None,
    host: str = DEFAULT_HOST,
    route_prefix: str = "api",
    client_ip: str | None = "203.0.113.7:50312",
) -> func.HttpRequest:
    """An ``azure.functions.HttpRequest`` as the worker decodes it from the host's message.

    ``path`` is the decoded path the app declares (``/users/42``); the URL gets the route
    prefix and percent-encoding. Repeated headers and query values are joined with commas
    as the host does; the URL keeps the full query string.
    """
    from azure.functions import meta
    from azure.functions.http import HttpRequestConverter

    pairs = header_pairs(headers)
    if client_ip:
        # App Service's front end appends the caller's ip:port to any X-Forwarded-For the
        # client sent, and sets CLIENT-IP, overwriting a client's own (adapters.azure.http).
        sent = [value for name, value in pairs if name.lower() == "x-forwarded-for"]
        pairs = [pair for pair in pairs if pair[0].lower() not in ("x-forwarded-for", "client-ip")]
        pairs.append(("X-Forwarded-For", ", ".join([*sent, client_ip])))
        pairs.append(("CLIENT-IP", client_ip))
    joined_headers = {
        name: ", ".join(values) for name, values in grouped(pairs, fold_case=True).items()
    }
    # The host drops query keys whose value is empty from the params map.
    params = {
        name: ",".join(values)
        for name, values in grouped(query_pairs(query), fold_case=False).items()
        if ",".join(values)
    }
    data = body.encode() if isinstance(body, str) else (body or b"")
    message = {
        "method": meta.Datum(method.upper(), "string"),
        "url": meta.Datum(request_url(path, query, host, route_prefix), "string"),
        "headers": {name: meta.Datum(value, "string") for name, value in joined_headers.items()},
        "query": {name: meta.Datum(value, "string") for name, value in params.items()},
        "params": {
            name: meta.Datum(value, "string") for name, value in (route_params or {}).items()
        },
        "body": meta.Datum(data, "bytes"),
    }
    request: func.HttpRequest = HttpRequestConverter.decode(
        meta.Datum(message, "http"), trigger_metadata=None
    )
    return request


def queue_message(
    body: bytes | str = b"hello",
    *,
    dequeue_count: int = 1,
    id: str | None = None,
    insertion_time: str | None = None,
) -> func.QueueMessage:
    """An ``azure.functions.QueueMessage`` with the metadata the queue trigger supplies.

    ``body`` is the message text after the host's base64 decoding (its default
    ``messageEncoding``), which is what the worker receives.
    """
    from azure.functions import meta
    from azure.functions.queue import QueueMessageInConverter

    inserted = insertion_time or now(timedelta(seconds=-2))
    metadata = {
        "Id": meta.Datum(id or str(uuid.uuid4()), "string"),
        "DequeueCount": meta.Datum(dequeue_count, "int"),
        "InsertionTime": meta.Datum(inserted, "string"),
        "ExpirationTime": meta.Datum(now(timedelta(days=7)), "string"),
        "NextVisibleTime": meta.Datum(now(timedelta(minutes=10)), "string"),
        "PopReceipt": meta.Datum(base64.b64encode(uuid.uuid4().bytes[:8]).decode(), "string"),
    }
    datum = meta.Datum(body, "string" if isinstance(body, str) else "bytes")
    message: func.QueueMessage = QueueMessageInConverter.decode(datum, trigger_metadata=metadata)
    return message


def blob(
    container: str = "uploads",
    name: str = "in/photo.jpg",
    data: bytes = b"\xff\xd8\xff\xe0 not really a jpeg",
    *,
    content_type: str = "application/octet-stream",
    etag: str = '"0x8DC2A1B2C3D4E5F"',
    account: str = DEFAULT_ACCOUNT,
    blob_metadata: Mapping[str, str] | None = None,
) -> func.InputStream:
    """A blob trigger's ``InputStream`` with ``BlobTrigger``, ``Uri``, ``Properties`` and
    the blob's ``Metadata``."""
    from azure.functions import meta
    from azure.functions.blob import BlobConverter

    properties = {
        "ContentLength": len(data),
        "ContentType": content_type,
        "ETag": etag,
        "BlobType": "BlockBlob",
        "Created": now(timedelta(seconds=-1)),
        "LastModified": now(timedelta(seconds=-1)),
    }
    metadata = {
        "BlobTrigger": meta.Datum(f"{container}/{name}", "string"),
        "Uri": meta.Datum(storage_url(account, container, name), "string"),
        "Properties": meta.Datum(json.dumps(properties), "json"),
        "Metadata": meta.Datum(json.dumps(dict(blob_metadata or {})), "json"),
    }
    stream: func.InputStream = BlobConverter.decode(
        meta.Datum(data, "bytes"), trigger_metadata=metadata
    )
    return stream


def timer(past_due: bool = False) -> func.TimerRequest:
    """A ``TimerRequest`` as the timer trigger passes it."""
    from azure.functions import meta
    from azure.functions.timer import TimerRequestConverter

    datum = meta.Datum(json.dumps(timer_payload(past_due=past_due)["Data"]["timer"]), "json")
    request: func.TimerRequest = TimerRequestConverter.decode(datum, trigger_metadata=None)
    return request


def event_grid_event(
    document: Mapping[str, Any] | None = None, **options: Any
) -> func.EventGridEvent | func.CloudEvent:
    """The worker's object for one Event Grid event (``document`` or ``eventgrid(**options)``).

    A CloudEvents-schema document gives an ``azure.functions.CloudEvent``, as the worker's
    converter does whatever the parameter's annotation says.
    """
    from azure.functions import meta
    from azure.functions.eventgrid import EventGridEventInConverter

    doc = dict(document) if document is not None else eventgrid(**options)
    event: func.EventGridEvent | func.CloudEvent = EventGridEventInConverter.decode(
        meta.Datum(json.dumps(doc), "json"), trigger_metadata=None
    )
    return event


def invocation_context(
    function_name: str, *, invocation_id: str | None = None, retry_count: int = 0
) -> func.Context:
    """The ``context`` argument the worker passes: invocation id, names, trace and retry."""
    import threading

    from azure.functions import _abc

    class Trace(_abc.TraceContext):
        def __init__(self) -> None:
            self._parent = f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-01"

        @property
        def trace_state(self) -> str:
            return ""

        @property
        def trace_parent(self) -> str:
            return self._parent

        @property
        def attributes(self) -> dict[str, str]:
            return {}

    class Retry(_abc.RetryContext):
        @property
        def retry_count(self) -> int:
            return retry_count

        @property
        def max_retry_count(self) -> int:
            return 0

        @property
        def exception(self) -> _abc.RpcException:
            raise AttributeError("no earlier attempt of this invocation failed")

    class Invocation(_abc.Context):
        def __init__(self) -> None:
            self._id = invocation_id or str(uuid.uuid4())
            self._trace = Trace()
            self._retry = Retry()

        @property
        def invocation_id(self) -> str:
            return self._id

        @property
        def thread_local_storage(self) -> type[threading.local]:
            return threading.local

        @property
        def function_name(self) -> str:
            return function_name

        @property
        def function_directory(self) -> str:
            return "/home/site/wwwroot"

        @property
        def trace_context(self) -> _abc.TraceContext:
            return self._trace

        @property
        def retry_context(self) -> _abc.RetryContext:
            return self._retry

    return Invocation()
