"""Azure Functions inputs, native and as JSON, for tests and ``polyfn events azure KIND``.

- Native objects (``http_request``, ``queue_message``, ``blob``, ``timer``,
  ``event_grid_event``, ``invocation_context``) are real ``azure.functions`` objects made
  by the worker's own converters: see ``azure_native``.
- JSON documents (``GENERATORS``): Event Grid events in both schemas and the host's
  invocation payloads: see ``azure_documents``. Every generator takes keyword options
  with defaults, so ``GENERATORS[kind]()`` gives a realistic document.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from polyfn.hosts.events.azure_documents import (
    blob_created,
    blob_created_cloudevent,
    blob_deleted,
    blob_deleted_cloudevent,
    blob_payload,
    eventgrid,
    eventgrid_cloudevent,
    http_payload,
    queue_payload,
    timer_payload,
)
from polyfn.hosts.events.azure_native import (
    blob,
    event_grid_event,
    http_request,
    invocation_context,
    queue_message,
    timer,
)

__all__ = [
    "GENERATORS",
    "blob",
    "blob_created",
    "blob_created_cloudevent",
    "blob_deleted",
    "blob_deleted_cloudevent",
    "blob_payload",
    "event_grid_event",
    "eventgrid",
    "eventgrid_cloudevent",
    "http_payload",
    "http_request",
    "invocation_context",
    "queue_message",
    "queue_payload",
    "timer",
    "timer_payload",
]

GENERATORS: dict[str, Callable[..., Any]] = {
    "http": http_payload,
    "queue": queue_payload,
    "blob": blob_payload,
    "timer": timer_payload,
    "blob-created": blob_created,
    "blob-deleted": blob_deleted,
    "blob-created-cloudevent": blob_created_cloudevent,
    "blob-deleted-cloudevent": blob_deleted_cloudevent,
    "eventgrid": eventgrid,
    "eventgrid-cloudevent": eventgrid_cloudevent,
}
