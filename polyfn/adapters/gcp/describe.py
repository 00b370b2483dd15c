"""``polyfn inspect`` for Google Cloud: the core model a document becomes, as plain data.

Accepted documents, each translated by the code the functions run:

- a CloudEvent in structured JSON form, parsed by the CloudEvents SDK as
  functions-framework parses it, then ``events.translate``;
- a legacy background event or a raw Pub/Sub push, converted by functions-framework's
  own conversion (``legacy``), then translated;
- an HTTP request document (``polyfn events gcp http``), turned into the Flask request
  functions-framework would build and read by ``FlaskRequest``; one marked by Cloud
  Scheduler is a schedule tick.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from polyfn.adapters.gcp.events import translate
from polyfn.adapters.gcp.http import FlaskRequest, new_request_id, request_id_from
from polyfn.adapters.gcp.legacy import (
    is_legacy,
    is_pubsub_push,
    to_cloudevent,
    with_push_fields,
)
from polyfn.adapters.gcp.request_documents import is_request_document, werkzeug_request
from polyfn.adapters.gcp.scheduler import tick_from_headers
from polyfn.core.changes import Change
from polyfn.core.errors import UnrecognizedEvent
from polyfn.core.events import Event, Message, ObjectEvent, Schedule

__all__ = ["describe", "looks_like"]

_EXPECTED = (
    "a Google Cloud CloudEvent in structured JSON form, a legacy background event, "
    "a Pub/Sub push body or an HTTP request document (polyfn events gcp http)"
)


def _is_cloudevent(document: Any) -> bool:
    return isinstance(document, Mapping) and all(
        isinstance(document.get(name), str) for name in ("specversion", "id", "source", "type")
    )


def looks_like(document: Any) -> bool:
    """Whether ``document`` has the shape of something Google Cloud sends a function."""
    return (
        _is_cloudevent(document)
        or is_legacy(document)
        or is_pubsub_push(document)
        or is_request_document(document)
    )


def describe(document: Any) -> dict[str, Any]:
    """The inspect model of ``document``; ``UnrecognizedEvent`` for anything else."""
    try:
        if _is_cloudevent(document):
            model = _translated(_parse_structured(document))
            model["source"] = "cloudevent"
        elif is_legacy(document) or is_pubsub_push(document):
            model = _translated(to_cloudevent(document), document)
            model["source"] = "legacy" if is_legacy(document) else "pubsub-push"
        elif is_request_document(document):
            model = _http(document)
            model["source"] = "http"
        else:
            raise UnrecognizedEvent("not a Google Cloud event", expected=_EXPECTED)
    except UnrecognizedEvent:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise UnrecognizedEvent(
            f"malformed Google Cloud event ({type(exc).__name__}: {exc})", expected=_EXPECTED
        ) from None
    return model


def _parse_structured(document: Mapping[str, Any]) -> Any:
    from cloudevents.exceptions import GenericException
    from cloudevents.http import from_http

    try:
        return from_http({"content-type": "application/cloudevents+json"}, json.dumps(document))
    except GenericException as exc:
        raise UnrecognizedEvent(f"not a valid CloudEvent: {exc}", expected=_EXPECTED) from None


def _translated(cloudevent: Any, push: Any = None) -> dict[str, Any]:
    data = with_push_fields(cloudevent.get_data(), push)  # what the conversion dropped
    inbound = translate(cloudevent.get_attributes(), data, raw=cloudevent)
    if isinstance(inbound, ObjectEvent):
        return {"cloud": "gcp", "trigger": "object", "events": [inbound.to_dict()]}
    if isinstance(inbound, Message):
        return {"cloud": "gcp", "trigger": "message", "messages": [inbound.to_dict()]}
    if isinstance(inbound, Schedule):
        return {"cloud": "gcp", "trigger": "schedule", "schedule": inbound.to_dict()}
    if isinstance(inbound, Change):
        return {"cloud": "gcp", "trigger": "change", "changes": [inbound.to_dict()]}
    assert isinstance(inbound, Event)
    return {"cloud": "gcp", "trigger": "event", "events": [inbound.to_dict()]}


def _http(document: Mapping[str, Any]) -> dict[str, Any]:
    native = werkzeug_request(document)
    tick = tick_from_headers(native.headers, raw=native)
    if tick is not None:
        return {"cloud": "gcp", "trigger": "schedule", "schedule": tick.to_dict()}
    request = FlaskRequest(native, request_id_from(native.headers) or new_request_id())
    return {"cloud": "gcp", "trigger": "http", "request": request.to_dict()}
