"""Run one function of an App once, in this process, with ``Context.cloud == "local"``.

Each call goes through the same code the running ``polyfn run`` uses, without starting it:

- ``invoke_http``: the WSGI app the server serves, through werkzeug's test client;
- ``invoke_messages``: the bodies are sent to the queue in a throwaway data directory and
  the queue worker processes them (receive, ``handle_messages``, acknowledge), so what
  counts as failed is what the runtime would give back to the queue;
- ``invoke_object``: the object-event dispatch of the pump and the folder watcher;
- ``invoke_schedule``: the scheduler's firing;
- ``invoke_event``: ``App.handle_event`` with a local Context (the local runtime has no
  event bus; this is how such a function runs locally).

The handlers' own resources stay on whatever the App is bound to (the local backends of
``POLYFN_DATA_DIR`` unless something else was bound).
"""

from __future__ import annotations

import tempfile
import threading
import uuid
import weakref
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from polyfn.adapters.local.backends import LocalBackends
from polyfn.adapters.local.events import (
    deliver_object_event,
    make_object_event,
    subscribers,
)
from polyfn.adapters.local.http import InFlight, build_wsgi_app
from polyfn.adapters.local.invocations import Invocations
from polyfn.adapters.local.scheduler import fire_schedule
from polyfn.adapters.local.worker import QueueWorker
from polyfn.core.app import App
from polyfn.core.errors import ConfigError
from polyfn.core.events import Event, ObjectAction

if TYPE_CHECKING:
    from werkzeug.test import TestResponse

__all__ = [
    "invoke_event",
    "invoke_http",
    "invoke_messages",
    "invoke_object",
    "invoke_schedule",
    "wsgi_app_for",
]

# Long enough that a message failed in this call is not received again by it.
_INVOKE_VISIBILITY_SECONDS = 3600

_wsgi_apps: weakref.WeakKeyDictionary[App, InFlight] = weakref.WeakKeyDictionary()
_wsgi_lock = threading.Lock()


# Shared, so that cold starts are counted per process as a runtime counts them.
_QUIET = Invocations(log=False)
_LOGGED = Invocations()


def _invocations(log: bool) -> Invocations:
    return _LOGGED if log else _QUIET


def wsgi_app_for(app: App) -> InFlight:
    """The served WSGI app of ``app``, built once per App (functions-framework is slow to
    set up compared with a request)."""
    with _wsgi_lock:
        wsgi = _wsgi_apps.get(app)
        if wsgi is None:
            wsgi = _wsgi_apps[app] = build_wsgi_app(app, _QUIET)
    return wsgi


def invoke_http(
    app: App,
    method: str,
    path: str,
    *,
    query: Mapping[str, Sequence[str]] | None = None,
    headers: Sequence[tuple[str, str]] | None = None,
    body: bytes | None = None,
) -> TestResponse:
    """Send one request; ``path`` is decoded (it is percent-encoded here, as a client would)."""
    from werkzeug.datastructures import Headers
    from werkzeug.test import Client

    client = Client(wsgi_app_for(app), use_cookies=False)
    query_string = urlencode([(k, v) for k, values in (query or {}).items() for v in values])
    return client.open(
        quote(path, safe="/:@!$&'()*+,;=-._~"),
        method=method.upper(),
        query_string=query_string or None,
        headers=Headers(list(headers or [])),
        data=body,
    )


def invoke_messages(
    app: App,
    queue: str,
    bodies: Sequence[bytes],
    *,
    attributes: Mapping[str, str] | None = None,
    log: bool = False,
) -> list[int]:
    """Deliver ``bodies`` to the consumer of logical queue ``queue``; returns the indices
    of the messages the runtime would give back to the queue (their handler raised)."""
    resource = app.queues.get(queue)
    if resource is None:
        raise ConfigError(f"no queue {queue!r} in app {app.name}")
    consumer = app.consumer_of(resource.physical_name)
    if consumer is None:
        return list(range(len(bodies)))  # nobody receives them: they all stay queued
    with tempfile.TemporaryDirectory(prefix="polyfn-invoke-") as folder:
        delivery = LocalBackends(Path(folder), app.name)
        try:
            backend = delivery.queue(resource)
            ids = backend.send_batch(list(bodies), dict(attributes or {}), 0)
            worker = QueueWorker(
                app,
                consumer,
                backend,
                _invocations(log),
                visibility_timeout=_INVOKE_VISIBILITY_SECONDS,
            )
            failed: set[str] = set()
            while True:
                result = worker.process_batch()
                if not result.received:
                    break
                failed.update(result.failed)
        finally:
            delivery.close()
    return [index for index, message_id in enumerate(ids) if message_id in failed]


def invoke_object(
    app: App,
    action: ObjectAction,
    bucket: str,
    key: str,
    *,
    size: int | None = None,
    content_type: str | None = None,
    log: bool = False,
) -> int:
    """Deliver one object event for logical ``bucket`` to every subscriber; returns how
    many ran. Each runs even if another fails; the first failure is then raised."""
    resource = app.buckets.get(bucket)
    if resource is None:
        raise ConfigError(f"no bucket {bucket!r} in app {app.name}")
    if action not in ("created", "deleted"):
        raise ValueError(f"an object event is 'created' or 'deleted', not {action!r}")
    event = make_object_event(
        action, resource.physical_name, key, size=size, content_type=content_type
    )
    invocations = _invocations(log)
    errors: list[Exception] = []
    functions = subscribers(app, event)
    for function in functions:
        try:
            deliver_object_event(app, event, function, invocations)
        except Exception as exc:
            errors.append(exc)
    if errors:
        raise errors[0]
    return len(functions)


def invoke_schedule(app: App, function: str, *, log: bool = False) -> Any:
    """Fire the scheduled function ``function`` once, as the scheduler does."""
    return fire_schedule(app, function, _invocations(log))


def invoke_event(
    app: App,
    source: str,
    type: str,
    data: Any,
    *,
    subject: str | None = None,
    log: bool = False,
) -> int:
    """Deliver one generic event; returns how many functions ran."""
    event = Event(
        uuid.uuid4().hex,
        source,
        type,
        subject=subject,
        time=datetime.now(UTC).isoformat(),
        data=data,
        raw={"source": "polyfn-local", "type": type},
    )
    invocations = _invocations(log)
    ctx = invocations.context(app, "event")
    with invocations.record(app, "event", ctx, source=source, type=type):
        return app.handle_event(event, ctx)
