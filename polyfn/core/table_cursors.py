"""Table cursors that are safe to hand to a client.

A backend's own position (DynamoDB's LastEvaluatedKey, a Table Storage continuation
token, the last key read) is wrapped with the *scope* it belongs to (table, index,
partition, condition, direction) and a MAC over both:

    c1.<base64url of the position>.<base64url of 16 bytes of HMAC-SHA256>

The MAC key is the deployment setting ``POLYFN_CURSOR_SECRET`` when it is set: cursors
are then *signed*, and a client cannot forge one. Without it the MAC is an unkeyed
SHA-256, so cursors are *validated*: a typo, a truncation, a cursor of another table,
index or partition is still refused, but a determined client could build one for the
same query (which reads only what that query may read anyway). Either way a bad cursor
is ``InvalidCursor``, a ``ValueError`` and an ``HTTPError(400)``: raised in a handler, the
client gets a 400, never a listing that starts somewhere else.

The position itself is readable (base64 is no encryption): it holds the last key read.
"""

from __future__ import annotations

from polyfn.core.errors import PolyfnError
from polyfn.core.http import HTTPError
from polyfn.core.settings import settings

__all__ = ["SECRET_SETTING", "InvalidCursor", "unwrap", "wrap"]

SECRET_SETTING = "POLYFN_CURSOR_SECRET"
_VERSION = "c1."
_MAC_BYTES = 16
_MAX_CURSOR_CHARS = 8192


class InvalidCursor(HTTPError, PolyfnError, ValueError):
    """A cursor that this table did not give for this query."""

    def __init__(self, table: str, reason: str) -> None:
        super().__init__(400, f"not a cursor of this listing of table {table!r}: {reason}")
        self.table = table


def _mac(scope: str, position: bytes) -> bytes:
    import hashlib
    import hmac

    secret = settings().get(SECRET_SETTING, "")
    message = scope.encode("utf-8", "surrogatepass") + b"\x00" + position
    if secret:
        return hmac.new(secret.encode(), message, hashlib.sha256).digest()[:_MAC_BYTES]
    return hashlib.sha256(message).digest()[:_MAC_BYTES]


def _b64(data: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    import base64

    return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)


def wrap(scope: str, position: str | None) -> str | None:
    """The client's cursor for a backend position (None: the listing is over)."""
    if position is None:
        return None
    raw = position.encode("utf-8", "surrogatepass")
    return f"{_VERSION}{_b64(raw)}.{_b64(_mac(scope, raw))}"


def unwrap(table: str, scope: str, cursor: str | None) -> str | None:
    """The backend position a client's cursor holds, checked against ``scope``."""
    if cursor is None or cursor == "":
        return None
    if not isinstance(cursor, str):
        raise InvalidCursor(table, f"a cursor is a string, got a {type(cursor).__name__}")
    if len(cursor) > _MAX_CURSOR_CHARS or not cursor.startswith(_VERSION):
        raise InvalidCursor(table, "unknown format")
    body, _, mac_text = cursor[len(_VERSION) :].partition(".")
    try:
        raw, mac = _unb64(body), _unb64(mac_text)
    except ValueError:
        raise InvalidCursor(table, "malformed") from None
    import hmac

    if not hmac.compare_digest(mac, _mac(scope, raw)):
        raise InvalidCursor(table, "tampered with, or from another table, index or query")
    try:
        return raw.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        raise InvalidCursor(table, "malformed") from None
