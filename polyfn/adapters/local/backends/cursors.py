"""Listing cursors of the local bucket and table: the last key returned, made opaque.

A cursor is URL-safe base64 of the key, so it travels in a query string unchanged and a
caller is not tempted to build one by hand. A cursor that does not decode is the caller's
mistake, reported as ``ValueError`` naming the resource.
"""

from __future__ import annotations

import base64
import binascii

from polyfn.adapters.common.errors import ResourceRef

__all__ = ["decode_cursor", "encode_cursor"]

_PREFIX = "k1."  # a version mark, so that a future cursor format can be told apart


def encode_cursor(last_key: str) -> str:
    return _PREFIX + base64.urlsafe_b64encode(last_key.encode()).decode("ascii")


def decode_cursor(cursor: str | None, ref: ResourceRef) -> str | None:
    if not cursor:
        return None
    if not cursor.startswith(_PREFIX):
        raise ValueError(f"{ref.kind} {ref.name!r}: {cursor!r} is not a cursor this listing gave")
    try:
        encoded = cursor[len(_PREFIX) :].encode("ascii")
        return base64.b64decode(encoded, altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeError, ValueError):
        raise ValueError(
            f"{ref.kind} {ref.name!r}: {cursor!r} is not a cursor this listing gave"
        ) from None
