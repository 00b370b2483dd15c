"""The envelope that carries message attributes through Azure Queue Storage.

Queue Storage messages are a body and nothing else, while polyfn messages may carry
string attributes (SQS message attributes, Pub/Sub attributes). When a message is sent
*with* attributes, the body and the attributes travel wrapped in one JSON document::

    {"polyfn-envelope": 1, "attributes": {"origin": "web"}, "body": "<base64 of the body>"}

The key ``polyfn-envelope`` comes first, so a receiver recognises an envelope by its first
bytes without parsing every message. A message sent without attributes is the body
exactly, so other producers and consumers of the queue see what they expect.

The sending side (the Queue Storage backend) calls ``wrap``; the queue trigger calls
``unwrap``, which gives a non-envelope body back untouched.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping

__all__ = ["ENVELOPE_KEY", "ENVELOPE_VERSION", "unwrap", "wrap"]

ENVELOPE_KEY = "polyfn-envelope"
ENVELOPE_VERSION = 1
_PREFIX = b'{"' + ENVELOPE_KEY.encode() + b'"'
_FIELDS = frozenset((ENVELOPE_KEY, "attributes", "body"))


def wrap(body: bytes, attributes: Mapping[str, str]) -> bytes:
    """The message text for ``body`` with ``attributes``; just ``body`` when there are none."""
    if not attributes:
        return body
    document = {
        ENVELOPE_KEY: ENVELOPE_VERSION,
        "attributes": dict(attributes),
        "body": base64.b64encode(body).decode("ascii"),
    }
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def unwrap(message: bytes) -> tuple[bytes, dict[str, str]]:
    """The body and attributes of a received message (no attributes when not an envelope).

    Anything that is not exactly a version-1 envelope is an ordinary body: a producer
    that happens to send JSON starting with the same key loses nothing.
    """
    if not message.startswith(_PREFIX):
        return message, {}
    try:
        document = json.loads(message)
    except (ValueError, UnicodeDecodeError):
        return message, {}
    if not isinstance(document, dict) or set(document) != _FIELDS:
        return message, {}
    attributes, encoded = document["attributes"], document["body"]
    if document[ENVELOPE_KEY] != ENVELOPE_VERSION or not isinstance(encoded, str):
        return message, {}
    if not isinstance(attributes, dict) or not all(
        isinstance(value, str) for value in attributes.values()
    ):
        return message, {}
    try:
        body = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return message, {}
    return body, attributes
