"""Legacy background events (Cloud Functions 1st gen) and raw Pub/Sub pushes.

functions-framework converts both into CloudEvents before a ``cloudevent`` function sees
them (``event_conversion.background_event_to_cloud_event``). ``polyfn inspect`` reads such
documents without a server, so it runs that same conversion on a request built from the
document; the translation then is the function's own. Shapes accepted:

- nested: ``{"context": {"eventId", "timestamp", "eventType", "resource"}, "data": ...}``
- flat (the oldest): ``{"eventId", "timestamp", "eventType", "resource", "data"}``
- a Pub/Sub push body: ``{"message": {"data", "messageId", ...}, "subscription": ...}``;
  the topic is read from the push URL's path (``/projects/P/topics/T``) when it has one.
  The conversion keeps only the message's data, attributes, id and publish time
  (``event_conversion.marshal_background_event_data``, functions-framework 3.x, read
  2026-12); ``with_push_fields`` puts back the body's ``deliveryAttempt``, which Pub/Sub
  sets when the subscription has a dead-letter policy ("Push subscriptions", Pub/Sub
  docs: the push request body), and ``subscription``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from polyfn.core.errors import UnrecognizedEvent

__all__ = ["is_legacy", "is_pubsub_push", "to_cloudevent", "with_push_fields"]

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


def with_push_fields(data: Any, push: Any) -> Any:
    """``data`` of the CloudEvent made from the raw push body ``push``, with the body's
    ``deliveryAttempt`` and ``subscription`` added where the conversion dropped them.
    Anything else (a CloudEvent that did not come from ``push``) is returned as it is."""
    if not is_pubsub_push(push) or not isinstance(data, Mapping):
        return data
    message = data.get("message")
    if not isinstance(message, Mapping) or message.get("messageId") != push["message"]["messageId"]:
        return data
    dropped = {
        name: push[name]
        for name in ("deliveryAttempt", "subscription")
        if push.get(name) is not None and name not in data
    }
    return {**data, **dropped} if dropped else data


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
