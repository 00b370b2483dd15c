"""``Client``: drive one App through one runtime's native events, in a test.

The client speaks in the app's own terms (a path, a queue's logical name, a bucket and a
key, a function name) and hands each input to a runtime ``Host``, which builds the
cloud's native event with the same generators as ``polyfn events`` and runs it through
that cloud's adapter. The app's buckets, queues and tables stay on the local backends in
the test's data directory unless the test bound a cloud backend itself.
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import Mapping, Sequence
from typing import Any

from polyfn.core.app import App
from polyfn.hosts.base import Host, HttpResult

__all__ = ["Body", "Client", "encode_body"]

Body = bytes | str | dict[str, Any] | list[Any]
Query = Mapping[str, str | Sequence[str]]
HeaderInput = Mapping[str, str] | Sequence[tuple[str, str]]


def encode_body(body: Body) -> bytes:
    """Bytes as they are, text as UTF-8, dicts and lists as compact JSON."""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode()
    if isinstance(body, dict | list):
        return jsonlib.dumps(body, separators=(",", ":")).encode()
    raise TypeError(f"a body must be bytes, str, dict or list, not {type(body).__name__}")


class Client:
    """A test client bound to one App and one runtime host (``polyfn.hosts``)."""

    def __init__(self, app: App, host: Host) -> None:
        if not isinstance(app, App):
            raise TypeError(f"polyfn_client needs a polyfn App, got {type(app).__name__}")
        self.app = app
        self.host = host

    @property
    def runtime(self) -> str:
        """The runtime the handlers see in ``Context.cloud`` (aws, azure, gcp, local)."""
        return self.host.cloud

    # ------------------------------------------------------------------ HTTP

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Query | None = None,
        headers: HeaderInput | None = None,
        body: Body | None = None,
        json: Any = None,
    ) -> HttpResult:
        """Send one request; ``path`` may carry a query string (``/users?limit=5``)."""
        path, _, query_string = path.partition("?")
        query_lists = _query_lists(query_string, query)
        header_list = _header_list(headers)
        payload: bytes | None = None
        if json is not None:
            if body is not None:
                raise ValueError("give body or json, not both")
            payload = jsonlib.dumps(json).encode()
            if not any(name.lower() == "content-type" for name, _ in header_list):
                header_list.append(("content-type", "application/json"))
        elif body is not None:
            payload = encode_body(body)
        return self.host.http(
            self.app,
            method.upper(),
            path,
            query=query_lists or None,
            headers=header_list or None,
            body=payload,
        )

    def get(self, path: str, **kwargs: Any) -> HttpResult:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> HttpResult:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> HttpResult:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> HttpResult:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> HttpResult:
        return self.request("DELETE", path, **kwargs)

    def head(self, path: str, **kwargs: Any) -> HttpResult:
        return self.request("HEAD", path, **kwargs)

    def options(self, path: str, **kwargs: Any) -> HttpResult:
        return self.request("OPTIONS", path, **kwargs)

    # ------------------------------------------------------------------ messages

    def send(
        self, queue: str, *bodies: Body, attributes: Mapping[str, str] | None = None
    ) -> list[int]:
        """Deliver ``bodies`` to the consumer of ``queue`` as the platform does (an SQS batch,
        one Azure invocation or Pub/Sub push each); returns the indices that would be
        redelivered because their handler raised."""
        self._check_declared(queue, self.app.queues, "queue")
        if not bodies:
            raise ValueError("send needs at least one message body")
        encoded = [encode_body(body) for body in bodies]
        return list(self.host.messages(self.app, queue, encoded, attributes=attributes))

    # ------------------------------------------------------------------ table changes

    def changes(
        self,
        table: str,
        *changes: tuple[str, Mapping[str, Any] | None, Mapping[str, Any] | None],
    ) -> list[int]:
        """Deliver changes ``(kind, new, old)`` of ``table`` to its on_change function as
        the platform does (a DynamoDB stream batch, one Firestore event each, the local
        change log); returns the indices that would be delivered again. Azure Table
        Storage has no change feed: there this raises ``NoChangeFeed``."""
        self._check_declared(table, self.app.tables, "table")
        if not changes:
            raise ValueError("changes needs at least one (kind, new, old)")
        return list(self.host.changes(self.app, table, list(changes)))

    # ------------------------------------------------------------------ objects

    def upload(
        self, bucket: str, key: str, data: bytes | str, content_type: str | None = None
    ) -> None:
        """Write the object to the bucket, then deliver its object-created event."""
        self._check_declared(bucket, self.app.buckets, "bucket")
        info = self.app.buckets[bucket].write(key, data, content_type)
        self.object_created(
            bucket, key, size=info.size, content_type=info.content_type or content_type
        )

    def remove(self, bucket: str, key: str) -> None:
        """Delete the object from the bucket, then deliver its object-deleted event."""
        self._check_declared(bucket, self.app.buckets, "bucket")
        self.app.buckets[bucket].delete(key)
        self.object_deleted(bucket, key)

    def object_created(
        self, bucket: str, key: str, *, size: int = 0, content_type: str | None = None
    ) -> None:
        """Deliver an object-created event only (the object itself is not written)."""
        self._check_declared(bucket, self.app.buckets, "bucket")
        self.host.object_event(
            self.app, "created", bucket, key, size=size, content_type=content_type
        )

    def object_deleted(self, bucket: str, key: str) -> None:
        """Deliver an object-deleted event only."""
        self._check_declared(bucket, self.app.buckets, "bucket")
        self.host.object_event(self.app, "deleted", bucket, key)

    # ------------------------------------------------------------------ schedules, events

    def fire(self, function: str) -> None:
        """Run the scheduled function named ``function`` once, as the scheduler would."""
        fn = self.app.function(function)
        if fn.trigger.kind != "schedule":
            raise ValueError(f"{function!r} is not a scheduled function ({fn.trigger.describe()})")
        self.host.schedule(self.app, function)

    def emit(self, source: str, type: str, data: Any = None, *, subject: str | None = None) -> None:
        """Deliver one generic event (EventBridge, Event Grid, CloudEvent) by source and type."""
        self.host.event(self.app, source, type, data, subject=subject)

    # ------------------------------------------------------------------ helpers

    def _check_declared(self, name: str, registry: Mapping[str, Any], kind: str) -> None:
        if name not in registry:
            known = ", ".join(sorted(registry)) or "none"
            raise ValueError(f"app {self.app.name} declares no {kind} {name!r} (known: {known})")

    def __repr__(self) -> str:
        return f"<polyfn Client {self.app.name} via {self.host.name}>"


def _query_lists(query_string: str, query: Query | None) -> dict[str, list[str]]:
    from urllib.parse import parse_qsl

    lists: dict[str, list[str]] = {}
    for name, value in parse_qsl(query_string, keep_blank_values=True):
        lists.setdefault(name, []).append(value)
    for name, values in (query or {}).items():
        items = [values] if isinstance(values, str) else list(values)
        lists.setdefault(name, []).extend(items)
    return lists


def _header_list(headers: HeaderInput | None) -> list[tuple[str, str]]:
    if headers is None:
        return []
    if isinstance(headers, Mapping):
        return [(str(name), str(value)) for name, value in headers.items()]
    return [(str(name), str(value)) for name, value in headers]
