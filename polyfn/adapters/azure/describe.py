"""How polyfn reads an Azure document (``polyfn inspect --cloud azure``).

Two kinds of document are Azure's:

- Event Grid events, in the Event Grid or the CloudEvents schema, alone or in an array.
  The translation is the trigger path's own (``polyfn.adapters.azure.events``): a
  document is read into a core ``Event`` exactly as the worker's ``EventGridEvent`` is,
  then turned into object events or generic events. An array whose every event is a
  BlobCreated or BlobDeleted describes object events; an array without any describes
  generic events, which is what an ``on_event`` function would receive for each element
  (the host invokes the function once per array element); an array mixing both is
  ``"mixed"``, each element read as what it is and tagged with its ``trigger``.
- The host's invocation payloads of HTTP, queue, blob and timer triggers
  (``polyfn.adapters.azure.payloads``, which needs ``azure.functions``).
"""

from __future__ import annotations

from typing import Any

from polyfn.adapters.azure.events import (
    EXPECTED_EVENT_GRID,
    grid_event_from_document,
    is_blob_event,
    is_grid_document,
    object_event_from_grid,
)
from polyfn.adapters.azure.payloads import EXPECTED_PAYLOAD, describe_payload, is_payload
from polyfn.core.errors import UnrecognizedEvent
from polyfn.core.events import Event, ObjectEvent

__all__ = ["describe", "looks_like"]

CLOUD = "azure"


def looks_like(document: Any) -> bool:
    """Whether ``document`` is an Event Grid event (or a non-empty array) or a host payload."""
    if isinstance(document, list):
        return bool(document) and all(is_grid_document(item) for item in document)
    return is_grid_document(document) or is_payload(document)


def describe(document: Any) -> dict[str, Any]:
    """The common model of an Azure document, as ``polyfn inspect`` prints it."""
    try:
        return _describe(document)
    except UnrecognizedEvent:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        # A host payload whose fields have the wrong JSON types: the worker's own
        # converters (which payloads runs) refuse them with these.
        raise UnrecognizedEvent(
            f"malformed Azure document ({type(exc).__name__}: {exc})",
            expected=f"{EXPECTED_EVENT_GRID}, or {EXPECTED_PAYLOAD}",
        ) from None


def _describe(document: Any) -> dict[str, Any]:
    if is_payload(document):
        return describe_payload(document)
    items = document if isinstance(document, list) else [document]
    if not items or not looks_like(document):
        raise UnrecognizedEvent(
            "this is not an Azure event", expected=f"{EXPECTED_EVENT_GRID}, or {EXPECTED_PAYLOAD}"
        )
    grids = [grid_event_from_document(item) for item in items]
    if all(is_blob_event(grid) for grid in grids):
        objects = [object_event_from_grid(grid) for grid in grids]
        return {
            "cloud": CLOUD,
            "trigger": "object",
            "events": [event.to_dict() for event in objects if isinstance(event, ObjectEvent)],
        }
    if not any(is_blob_event(grid) for grid in grids):
        return {"cloud": CLOUD, "trigger": "event", "events": [grid.to_dict() for grid in grids]}
    # A delivery that mixes blob events with others (one subscription on a storage account
    # and a custom topic, say): each element as what it is, in delivery order.
    return {"cloud": CLOUD, "trigger": "mixed", "events": [_element(grid) for grid in grids]}


def _element(grid: Event) -> dict[str, Any]:
    if is_blob_event(grid):
        obj = object_event_from_grid(grid)
        assert obj is not None  # a blob event always reads as one
        return {"trigger": "object", **obj.to_dict()}
    return {"trigger": "event", **grid.to_dict()}
