"""The one interface every runtime driver offers to behaviour tests.

A driver takes an App and a cloud-neutral description of an input (an HTTP request, a
batch of message bodies, an object event, a schedule tick, a generic event), builds the
platform's *native* event with the same generators as ``polyfn events``, runs it through
that platform's adapter, and reads the native answer back. A behaviour test written once
against this interface therefore exercises the real translation of every cloud.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from polyfn.core.app import App
from polyfn.core.datastructures import Headers

__all__ = ["Driver", "HttpResult"]


class HttpResult:
    """An HTTP answer read back from a platform's native response."""

    __slots__ = ("body", "headers", "native", "status")

    def __init__(self, status: int, headers: Headers, body: bytes, native: Any = None) -> None:
        self.status = status
        self.headers = headers
        self.body = body
        self.native = native

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode()

    def __repr__(self) -> str:
        return f"<HttpResult {self.status} {self.body[:80]!r}>"


class Driver(Protocol):
    """Runs an App through one runtime's native event shapes.

    ``name`` identifies the variant (``aws-v2``, ``aws-alb``, ``azure``, ``gcp``, ...);
    ``cloud`` is the runtime the handler sees in ``Context.cloud``.
    """

    name: str
    cloud: str

    def http(
        self,
        app: App,
        method: str,
        path: str,
        *,
        query: Mapping[str, Sequence[str]] | None = None,
        headers: Sequence[tuple[str, str]] | None = None,
        body: bytes | None = None,
    ) -> HttpResult:
        """Send one request; ``path`` is decoded, ``query`` values are decoded strings."""
        ...

    def messages(
        self,
        app: App,
        queue: str,
        bodies: Sequence[bytes],
        *,
        attributes: Mapping[str, str] | None = None,
    ) -> list[int]:
        """Deliver ``bodies`` to the consumer of logical queue ``queue`` the way the platform
        does (one SQS batch; one Azure invocation or Pub/Sub push per message) and return
        the indices of the messages the platform would redeliver."""
        ...

    def object_event(
        self,
        app: App,
        action: str,
        bucket: str,
        key: str,
        *,
        size: int = 0,
        content_type: str | None = None,
    ) -> None:
        """Deliver one object created/deleted event for logical ``bucket``; raises what the
        platform would see as a failed invocation."""
        ...

    def schedule(self, app: App, function: str) -> None:
        """Fire the named scheduled function once, as the platform's scheduler would."""
        ...

    def event(
        self,
        app: App,
        source: str,
        type: str,
        data: Any,
        *,
        subject: str | None = None,
    ) -> None:
        """Deliver one generic event (EventBridge, Event Grid, CloudEvent)."""
        ...
