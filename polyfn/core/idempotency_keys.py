"""What makes two invocations "the same" for ``@idempotent``: the key and the payload.

The default key of each input kind is what its platform keeps across a redelivery:

- a queue message: its id (SQS ``messageId``, Queue Storage ``Id``, Pub/Sub ``messageId``
  stay the same on every delivery of one message);
- an object event: bucket, key and etag (the same object version, however many
  notifications name it);
- an HTTP request: the ``Idempotency-Key`` header (IETF draft
  "The Idempotency-Key HTTP Header Field"); none means the request is not idempotent;
- a schedule tick: the schedule's name and the tick's time;
- any other event: its source and id (CloudEvents: "source + id" is unique per event).

A key is any string, bytes or JSON value; it is stored hashed (SHA-256, with the
function's name), so its length and characters never meet a backend's key limits. A key
longer than ``MAX_KEY_BYTES`` is refused all the same: such a key is a bug (a whole body
used as a key), and the IETF draft's reference implementations refuse long keys too.
"""

from __future__ import annotations

from polyfn.core.errors import PolyfnError
from polyfn.core.events import Event, Message, ObjectEvent, Schedule
from polyfn.core.http import HTTPError, Request

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (cheap_typing.py)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

__all__ = [
    "HEADER",
    "MAX_KEY_BYTES",
    "IdempotencyError",
    "IdempotencyKeyInvalid",
    "IdempotencyKeyMissing",
    "default_key",
    "default_payload",
    "digest",
    "extract",
]

HEADER = "Idempotency-Key"
# Stripe's limit for its Idempotency-Key header is 255 characters; a composite key built
# by a key function (several attributes) gets more room, a whole document does not.
MAX_KEY_BYTES = 1024


class IdempotencyError(PolyfnError, HTTPError):
    """Base of the idempotency errors. Each is an ``HTTPError`` too, so an HTTP handler
    answers with its status and a JSON error body; on any other trigger it is the
    invocation's failure (a message is then redelivered, never acknowledged)."""

    status_code = 500

    def __init__(self, message: str, *, headers: dict[str, str] | None = None) -> None:
        HTTPError.__init__(self, self.status_code, message, headers=headers)


class IdempotencyKeyMissing(IdempotencyError):
    """The key cannot be taken from the input (no header, no attribute) and one is required."""

    status_code = 400


class IdempotencyKeyInvalid(IdempotencyError):
    """The key is over ``MAX_KEY_BYTES``, or of a type that is not str, bytes or JSON."""

    status_code = 400


def default_key(event: Any) -> Any:
    """The key an input of this kind has by default; None when it has none."""
    if isinstance(event, Request):
        return event.headers.get(HEADER)
    if isinstance(event, Message):
        return event.id or None
    if isinstance(event, ObjectEvent):
        if not event.etag:
            return None  # a deletion has no etag on most clouds: the same key is not enough
        return [event.bucket, event.key, event.etag]
    if isinstance(event, Schedule):
        return [event.name, event.time] if event.time else None
    if isinstance(event, Event):
        return [event.source, event.id] if event.id else None
    return None  # a workflow task's input: the user says what names it (key=...)


def default_payload(event: Any) -> Any:
    """What must be equal for a repeat to be a repeat (``check_payload=True``)."""
    if isinstance(event, Request):
        return [event.method, event.path, sorted(event.query.multi_items()), event.body]
    if isinstance(event, Message):
        return event.body
    if isinstance(event, ObjectEvent):
        return [event.action, event.bucket, event.key, event.etag, event.size]
    if isinstance(event, Schedule):
        return [event.name, event.time]
    if isinstance(event, Event):
        return [event.source, event.type, event.subject, event.data]
    return event


def extract(event: Any, key: Callable[[Any], Any] | None) -> Any:
    """The key of ``event`` (None: it has none). A key function that fails to find its
    part (KeyError, IndexError, AttributeError, a body that is not JSON) means the same
    as one that returns None: the input does not carry a key."""
    if key is None:
        return default_key(event)
    try:
        return key(event)
    except (LookupError, AttributeError, ValueError, TypeError) as exc:
        raise IdempotencyKeyMissing(
            f"the idempotency key cannot be read from this input ({type(exc).__name__})"
        ) from exc


def canonical(value: Any, what: str) -> bytes:
    """Bytes that name ``value`` the same way in every process (JSON with sorted keys)."""
    if isinstance(value, bytes | bytearray):
        return b"b" + bytes(value)
    if isinstance(value, str):
        return b"s" + value.encode("utf-8", "surrogatepass")
    import base64
    import json

    def default(part: Any) -> Any:
        if isinstance(part, bytes | bytearray):
            return {"$b64": base64.b64encode(part).decode()}
        if isinstance(part, tuple | set | frozenset):
            return sorted(part, key=repr) if not isinstance(part, tuple) else list(part)
        raise TypeError(f"{type(part).__name__} is not JSON")

    try:
        text = json.dumps(
            value, sort_keys=True, separators=(",", ":"), default=default, allow_nan=False
        )
    except (TypeError, ValueError, RecursionError) as exc:
        raise IdempotencyKeyInvalid(
            f"an idempotency {what} is a str, bytes or JSON value, got {type(value).__name__}"
        ) from exc
    return b"j" + text.encode("utf-8", "surrogatepass")


def digest(scope: str, value: Any, what: str = "key") -> str:
    """The SHA-256 of ``value`` within ``scope`` (the function's name), as hex."""
    data = canonical(value, what)
    if what == "key" and len(data) - 1 > MAX_KEY_BYTES:
        raise IdempotencyKeyInvalid(
            f"the idempotency key is over {MAX_KEY_BYTES} bytes; use a shorter, unique key"
        )
    import hashlib

    return hashlib.sha256(scope.encode() + b"\x00" + data).hexdigest()
