"""The host protocol: call an App exactly as one platform's host does, from a native event.

A host takes an App and either a cloud-neutral description of an input (an HTTP request,
a batch of message bodies, an object event, a schedule tick, a generic event) or a native
event as the platform delivers it. It builds the platform's *native* event with the same
generators as ``polyfn events``, runs it through that platform's adapter entry point the
way the platform's host calls it, and reads the native answer back.

``polyfn invoke``, the pytest plugin and the behaviour suite all go through hosts, so a
behaviour test written once against this interface exercises the real translation of
every cloud, and ``polyfn invoke --cloud X`` runs exactly what those tests run.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from polyfn.core.app import App
from polyfn.core.datastructures import Headers
from polyfn.core.event_bus import EventBus, OutgoingEvent
from polyfn.core.functions import Function
from polyfn.hosts.outcome import Outcome

__all__ = ["Host", "HttpResult", "RuntimeHosts"]


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


class Host(Protocol):
    """Runs an App through one runtime's native event shapes.

    ``name`` identifies the variant (``aws-v2``, ``aws-alb``, ``azure``, ``gcp``, ...);
    ``cloud`` is the runtime the handler sees in ``Context.cloud``.
    """

    name: str
    cloud: str

    def invoke(self, app: App, fn: Function, event: Any) -> Outcome:
        """Run one native ``event`` (as ``polyfn events`` prints it, or as captured from
        the platform) through the deployed entry point pinned to ``fn``, as the
        platform's host would; raises ``UnrecognizedEvent`` for an event that is not
        this platform's or does not fit ``fn``'s trigger."""
        ...

    def sample(self, fn: Function, kind: str | None, options: Mapping[str, Any]) -> Any:
        """The native event that fits ``fn``: of ``kind`` (default: the kind the platform
        delivers ``fn``'s trigger with), with the user's ``options`` in ``polyfn events``'
        vocabulary (``path``, ``key``, ``message``...) over values fitted to ``fn``."""
        ...

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

    def changes(
        self,
        app: App,
        table: str,
        changes: Sequence[tuple[str, Mapping[str, Any] | None, Mapping[str, Any] | None]],
    ) -> list[int]:
        """Deliver ``changes`` ``(kind, new, old)`` of logical ``table`` to its on_change
        function the way the platform does (one DynamoDB stream batch; one Firestore
        event per change; the local change log's worker) and return the indices of the
        changes the platform would deliver again. A runtime without a change feed raises
        ``NoChangeFeed``."""
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

    def bus_event(self, app: App, bus: EventBus, event: OutgoingEvent) -> None:
        """Deliver ``event``, published to ``bus``, to each function subscribed to the bus,
        as the platform does: in the form its event bus backend publishes (EventBridge
        entry, Event Grid CloudEvent, Pub/Sub message with ce- attributes, in-process),
        as the platform's subscription hands it over; raises what the platform would see
        as a failed invocation."""
        ...


class RuntimeHosts(Protocol):
    """What the registry finds in each runtime's host module (``polyfn.hosts.<runtime>``)."""

    HOSTS: Sequence[Host]
    """Every variant, the primary one first (AWS has one per HTTP event source)."""

    GENERATORS: Mapping[str, Callable[..., Any]]
    """Native event generators by kind, for ``polyfn events`` (empty where the runtime
    has no native format of its own)."""

    def looks_like(self, document: Any) -> bool:
        """Whether ``document`` is plausibly this platform's event (for ``polyfn inspect``)."""
        ...

    def describe(self, document: Any) -> dict[str, Any]:
        """The core model ``document`` becomes, as plain data (``polyfn inspect``)."""
        ...


def stored_metadata(app: App, bucket: str, key: str) -> dict[str, str]:
    """An object's user metadata as a platform reads it into the event it sends (Cloud
    Storage's object resource, the blob trigger's ``Metadata``): from the App's bound
    bucket; empty for an object that is not there or a bucket that cannot be read."""
    try:
        info = app.buckets[bucket].metadata(key)
    except Exception:
        return {}
    return dict(info.metadata or {}) if info is not None else {}
