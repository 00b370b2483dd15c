"""Logging the incoming event: what arrived, as the handler sees it, secrets redacted.

Off by default; ``log_event=True`` on a function's decorator logs each input it runs on
at INFO (logger ``polyfn.fn.<function>``, message ``event``, the description in the
record's ``event`` field) before the handler runs. Credentials never reach the log:
the values of ``Authorization``, ``Proxy-Authorization``, ``Cookie``, ``Set-Cookie``,
API key headers (``X-Api-Key``, Azure's ``X-Functions-Key``), AWS session tokens and any
header or attribute whose name says token, secret, password or key are written as
``[redacted]``. Bodies are not logged, only their size.
"""

from __future__ import annotations

from polyfn.core.changes import Change
from polyfn.core.events import Event, Message, ObjectEvent, Schedule
from polyfn.core.http import Request

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (cheap_typing.py)
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

    from polyfn.core.context import Context

__all__ = ["REDACTED", "describe", "is_sensitive", "log_event"]

REDACTED = "[redacted]"
_SENSITIVE_NAMES = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-api-key",
        "api-key",
        "apikey",
        "x-functions-key",
        "x-amz-security-token",
        "ocp-apim-subscription-key",
    }
)
_SENSITIVE_PARTS = ("token", "secret", "password", "passwd", "credential", "api-key", "apikey")


def is_sensitive(name: str) -> bool:
    lowered = name.lower().replace("_", "-")
    return lowered in _SENSITIVE_NAMES or any(part in lowered for part in _SENSITIVE_PARTS)


def _redacted(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in pairs:
        out.setdefault(name, []).append(REDACTED if is_sensitive(name) else value)
    return out


def describe(event: Any) -> dict[str, Any]:
    """The event as plain data, with secrets redacted and bodies reduced to their size."""
    if isinstance(event, Request):
        try:
            headers = _redacted(event.headers.multi_items())
        except Exception:  # a malformed platform event: say so rather than fail
            headers = {"(unreadable)": [REDACTED]}
        return {
            "kind": "http",
            "method": event.method,
            "path": event.path,
            "query": {
                k: REDACTED if is_sensitive(k) else v for k, v in event.query.to_lists().items()
            },
            "headers": headers,
            "body_bytes": len(event.body),
        }
    if isinstance(event, Message):
        return {
            "kind": "message",
            "id": event.id,
            "queue": event.queue,
            "receive_count": event.receive_count,
            "attributes": {k: v[0] for k, v in _redacted(event.attributes.items()).items()},
            "body_bytes": len(event.body),
        }
    if isinstance(event, ObjectEvent):
        return {"kind": "object", **event.to_dict()}
    if isinstance(event, Schedule):
        return {"kind": "schedule", "name": event.name, "time": event.time}
    if isinstance(event, Event):
        return {
            "kind": "event",
            "id": event.id,
            "source": event.source,
            "type": event.type,
            "subject": event.subject,
        }
    if isinstance(event, Change):
        # The images are the user's data (emails, tokens): their attribute names only.
        return {
            "kind": "change",
            "change": event.kind,
            "table": event.table,
            "id": event.id,
            "keys": {k: REDACTED if is_sensitive(k) else v for k, v in event.keys.items()},
            "new_attributes": sorted(event.new) if event.new is not None else None,
        }
    return {"kind": type(event).__name__}


def log_event(ctx: Context, event: Any) -> None:
    ctx.logger.info("event", extra={"event": describe(event)})
