"""Legacy background events (Cloud Functions 1st gen) and raw Pub/Sub pushes.

functions-framework converts both into CloudEvents before a ``cloudevent`` function sees
them (``event_conversion.background_event_to_cloud_event``). ``polyfn inspect`` reads such
documents without a server, so it runs that same conversion on a request built from the
document; the translation then is the function's own. Shapes accepted:

- nested: ``{"context": {"eventId", "timestamp", "eventType", "resource"}, "data": ...}``
- flat (the oldest): ``{"eventId", "timestamp", "eventType", "resource", "data"}``
- a Pub/Sub push body: ``{"message": {"data", "messageId", ...}, "subscription": ...}``;
  the topic is read from the push URL's path (``/projects/P/topics/T``) when it has one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from polyfn.core.errors import UnrecognizedEvent

__all__ = ["is_legacy", "is_pubsub_push", "to_cloudevent"]

_EXPECTED = "a legacy background event ({context, data}) or a Pub/Sub push body"


def is_legacy(document: Any) -> bool:
    if not isinstance(document, Mapping):
        return False
    context = document.get("context")
    if isinstance(context, Mapping):
        return isinstance(context.get("eventType"), str) and "data" in document
    return (
        isinstance(document.get("eventType"), str)
        and "eventId" in document
        and "resource" in document
    )


def is_pubsub_push(document: Any) -> bool:
    if not isinstance(document, Mapping) or "context" in document:
        return False
    message = document.get("message")
    return (
        "subscription" in document
        and isinstance(message, Mapping)
        and "data" in message
        and "messageId" in message
    )


def to_cloudevent(document: Mapping[str, Any], path: str = "/") -> Any:
    """The ``cloudevents`` CloudEvent functions-framework makes of ``document``."""
    from flask import Request
    from functions_framework.event_conversion import background_event_to_cloud_event
    from functions_framework.exceptions import EventConversionException
    from werkzeug.test import EnvironBuilder

    builder = EnvironBuilder(
        path=path, method="POST", data=json.dumps(document), content_type="application/json"
    )
    try:
        request = builder.get_request(Request)
        return background_event_to_cloud_event(request)
    except EventConversionException as exc:
        raise UnrecognizedEvent(
            f"cannot convert the background event: {exc}", expected=_EXPECTED
        ) from None
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise UnrecognizedEvent(
            f"malformed background event ({type(exc).__name__}: {exc})", expected=_EXPECTED
        ) from None
    finally:
        builder.close()
