"""The local host: run one function of an App once, in this process, as ``polyfn run`` would.

Each input goes through the code the running ``polyfn run`` uses, without starting it:

- HTTP: the WSGI app the server serves (functions-framework and the Google Cloud
  translation, with ``cloud="local"``), through werkzeug's test client;
- messages: the bodies are sent to the queue in a throwaway data directory and the
  runtime's queue worker processes them (receive, ``handle_messages``, acknowledge), so
  what counts as failed is what the runtime would give back to the queue;
- object events: the dispatch the event pump and the folder watcher use;
- schedules: the scheduler's firing;
- generic events: ``adapters.local.events.deliver_event``;
- events published to an event bus: ``adapters.local.bus``, as the runtime's bus pump.

The handlers' own resources stay on whatever the App is bound to (the local backends of
``POLYFN_DATA_DIR`` unless something else was bound). ``invoke_*`` are this module's
public functions for the background triggers (one invocation each, answering how many
functions ran, which ``polyfn invoke`` reports); ``LocalHost`` is the ``Host`` built on
them, and sends HTTP requests itself.
"""

from __future__ import annotations

import tempfile
import threading
import weakref
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote, urlencode

from polyfn.core.app import App
from polyfn.core.datastructures import Headers
from polyfn.core.errors import ConfigError, UnrecognizedEvent
from polyfn.core.event_bus import EventBus, OutgoingEvent
from polyfn.core.functions import Function, ObjectTrigger
from polyfn.hosts.base import Host, HttpResult
from polyfn.hosts.events.changes import ChangeSpec
from polyfn.hosts.events.local import LOCAL_KINDS, build_local_event
from polyfn.hosts.outcome import Outcome, http_outcome, observed
from polyfn.hosts.samples import check_fits

if TYPE_CHECKING:
    from polyfn.adapters.local.http import InFlight
    from polyfn.adapters.local.invocations import Invocations

__all__ = [
    "GENERATORS",
    "HOSTS",
    "LocalHost",
    "build_local_event",
    "describe",
    "invoke_bus_event",
    "invoke_event",
    "invoke_messages",
    "invoke_object",
    "invoke_schedule",
    "looks_like",
    "wsgi_app_for",
]

# Long enough that a message failed in this call is not received again by it.
_INVOKE_VISIBILITY_SECONDS = 3600

_wsgi_apps: weakref.WeakKeyDictionary[App, InFlight] = weakref.WeakKeyDictionary()
_wsgi_lock = threading.Lock()
_invocations: dict[bool, Invocations] = {}


def _log(log: bool) -> Invocations:
    """The invocation framing, quiet or logging like the runtime; made on first use so
    importing the host registry imports no part of the local runtime."""
    invocations = _invocations.get(log)
    if invocations is None:
        from polyfn.adapters.local.invocations import Invocations

        invocations = _invocations.setdefault(log, Invocations(log=log))
    return invocations


# ---------------------------------------------------------------- one invocation each


def wsgi_app_for(app: App) -> InFlight:
    """The served WSGI app of ``app``, built once per App (functions-framework is slow to
    set up compared with a request)."""
    from polyfn.adapters.local.http import build_wsgi_app

    with _wsgi_lock:
        wsgi = _wsgi_apps.get(app)
        if wsgi is None:
            wsgi = _wsgi_apps[app] = build_wsgi_app(app, _log(False))
    return wsgi


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
    from polyfn.adapters.local.backends import LocalBackends
    from polyfn.adapters.local.worker import QueueWorker

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
                app, consumer, backend, _log(log), visibility_timeout=_INVOKE_VISIBILITY_SECONDS
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


def invoke_changes(
    app: App, table: str, changes: Sequence[ChangeSpec], *, log: bool = False
) -> list[int]:
    """Deliver ``changes`` ``(kind, new, old)`` of logical table ``table`` through the
    local change log and its worker (one batch after another, as ``polyfn run`` does);
    returns the indices of the changes the runtime would deliver again."""
    from polyfn.adapters.local.backends import LocalBackends
    from polyfn.adapters.local.backends.change_log import ChangeLog, log_change, reader_name
    from polyfn.adapters.local.backends.table_codec import encode_item
    from polyfn.adapters.local.change_worker import ChangeWorker

    resource = app.tables.get(table)
    if resource is None:
        raise ConfigError(f"no table {table!r} in app {app.name}")
    consumers = [
        fn
        for fn in app.functions_of("change")
        if fn.trigger.table is resource  # type: ignore[union-attr]
    ]
    if not consumers:
        return list(range(len(changes)))  # nobody reads the feed: nothing is acknowledged
    with tempfile.TemporaryDirectory(prefix="polyfn-invoke-") as folder:
        delivery = LocalBackends(Path(folder), app.name)
        try:
            physical = delivery.table(resource).ref.physical
            # Every reader of the table has its own position in the log, as on DynamoDB.
            readers = [
                (fn, ChangeLog(delivery.store, physical, reader_name(app.name, fn.name)))
                for fn in consumers
            ]
            for _, change_log in readers:
                change_log.open("latest")
            ids = []
            with delivery.store.write() as conn:
                for kind, new, old in changes:
                    new_text = encode_item(dict(new)) if new is not None else None
                    old_text = encode_item(dict(old)) if old is not None else None
                    ids.append(str(log_change(conn, physical, kind, new_text, old_text)))
            # One pass per reader: a change not done waits for its retry pause, which an
            # invocation does not sit out; it is reported as the platform's redelivery is.
            not_done: set[str] = set()
            for consumer, change_log in readers:
                worker = ChangeWorker(app, consumer, change_log, _log(log))
                while True:
                    batch = worker.process_batch()
                    if not batch.received:
                        break
                    if batch.not_done:
                        not_done.update(batch.not_done)
                        break
        finally:
            delivery.close()
    return [index for index, change_id in enumerate(ids) if change_id in not_done]


def invoke_object(
    app: App,
    action: str,
    bucket: str,
    key: str,
    *,
    size: int | None = None,
    content_type: str | None = None,
    only: Function | None = None,
    log: bool = False,
) -> int:
    """Deliver one object event for logical ``bucket`` to every subscriber (or to ``only``,
    if it subscribes); returns how many ran. Each runs even if another fails; the first
    failure is then raised."""
    from polyfn.adapters.local.events import deliver_object_event, make_object_event, subscribers

    resource = app.buckets.get(bucket)
    if resource is None:
        raise ConfigError(f"no bucket {bucket!r} in app {app.name}")
    if action not in ("created", "deleted"):
        raise ValueError(f"an object event is 'created' or 'deleted', not {action!r}")
    event = make_object_event(
        _object_action(action), resource.physical_name, key, size=size, content_type=content_type
    )
    functions = [fn for fn in subscribers(app, event) if only is None or fn is only]
    errors: list[Exception] = []
    for function in functions:
        try:
            deliver_object_event(app, event, function, _log(log))
        except Exception as exc:
            errors.append(exc)
    if errors:
        raise errors[0]
    return len(functions)


def invoke_schedule(app: App, function: str, *, log: bool = False) -> Any:
    """Fire the scheduled function ``function`` once, as the scheduler does."""
    from polyfn.adapters.local.scheduler import fire_schedule

    return fire_schedule(app, function, _log(log))


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
    from polyfn.adapters.local.events import deliver_event

    return deliver_event(app, source, type, data, _log(log), subject=subject)


def invoke_bus_event(app: App, bus: EventBus, event: OutgoingEvent, *, log: bool = False) -> int:
    """Deliver one event published to ``bus`` to each matching subscriber, as the running
    runtime's bus pump does (one invocation each, without its retries); how many ran."""
    from polyfn.adapters.local.bus import bus_subscribers, deliver_bus_event, event_from_published

    delivered = event_from_published(event, bus.physical_name)
    functions = bus_subscribers(app, bus.physical_name, delivered)
    for fn in functions:
        deliver_bus_event(app, delivered, fn, _log(log))
    return len(functions)


def _object_action(action: str) -> Literal["created", "deleted"]:
    return "created" if action == "created" else "deleted"


# ---------------------------------------------------------------- the Host


class LocalHost:
    """``Host`` for the local runtime; see the module docstring."""

    name = "local"
    cloud = "local"

    def invoke(self, app: App, fn: Function, event: Any) -> Outcome:
        return observed(lambda: invoke_native(app, fn, event))

    def sample(self, fn: Function, kind: str | None, options: Mapping[str, Any]) -> Any:
        return build_local_event(fn, kind, options)

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
        """Send one request; ``path`` is decoded (it is percent-encoded here, as a client would)."""
        return _send(wsgi_app_for(app), method, path, query=query, headers=headers, body=body)

    def messages(
        self,
        app: App,
        queue: str,
        bodies: Sequence[bytes],
        *,
        attributes: Mapping[str, str] | None = None,
    ) -> list[int]:
        return invoke_messages(app, queue, bodies, attributes=attributes)

    def changes(self, app: App, table: str, changes: Sequence[ChangeSpec]) -> list[int]:
        return invoke_changes(app, table, changes)

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
        invoke_object(
            app,
            action,
            bucket,
            key,
            size=size if action == "created" else None,
            content_type=content_type,
        )

    def schedule(self, app: App, function: str) -> None:
        invoke_schedule(app, function)

    def event(
        self,
        app: App,
        source: str,
        type: str,
        data: Any,
        *,
        subject: str | None = None,
    ) -> None:
        if not source or not type:
            raise ConfigError("an event needs a source and a type")
        invoke_event(app, source, type, data, subject=subject)

    def bus_event(self, app: App, bus: EventBus, event: OutgoingEvent) -> None:
        invoke_bus_event(app, bus, event)


def _send(
    wsgi: Any,
    method: str,
    path: str,
    *,
    query: Mapping[str, Sequence[str]] | None = None,
    headers: Sequence[tuple[str, str]] | None = None,
    body: bytes | None = None,
) -> HttpResult:
    """One request to a WSGI app, as a client sends it; the answer read back."""
    from werkzeug.datastructures import Headers as WerkzeugHeaders
    from werkzeug.test import Client

    client = Client(wsgi, use_cookies=False)
    query_string = urlencode([(k, v) for k, values in (query or {}).items() for v in values])
    response = client.open(
        quote(path, safe="/:@!$&'()*+,;=-._~"),
        method=method.upper(),
        query_string=query_string or None,
        headers=WerkzeugHeaders(list(headers or [])),
        data=body,
        # The socket peer polyfn run's server would see, which is its client_ip.
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )
    read_back = Headers()
    for name, value in response.headers.items():
        read_back.add(name, value)
    return HttpResult(response.status_code, read_back, response.get_data(), response)


HOSTS: list[Host] = [LocalHost()]

# The local runtime has no native event format of its own: its input documents are
# described in the section below, and ``polyfn events`` / ``polyfn inspect`` skip it.
GENERATORS: dict[str, Any] = {}


def looks_like(document: Any) -> bool:
    return False


def describe(document: Any) -> dict[str, Any]:
    raise UnrecognizedEvent("the local runtime has no native events to describe")


# ---------------------------------------------------------------- native events (polyfn invoke)
# ``polyfn invoke --cloud local``: one invocation through the local runtime's own paths.


_EXPECTED = "a JSON object with one of " + ", ".join(f"{kind!r}" for kind in LOCAL_KINDS)


def _change_spec(entry: Any) -> ChangeSpec:
    """One ``{"kind", "new", "old"}`` of a local changes document, checked."""
    if not isinstance(entry, Mapping):
        raise UnrecognizedEvent("each change is an object with kind, new and old")
    kind, new, old = entry.get("kind"), entry.get("new"), entry.get("old")
    wanted = {"insert": (True, False), "modify": (True, True), "remove": (False, True)}
    if kind not in wanted:
        raise UnrecognizedEvent(f"a change's kind is insert, modify or remove, not {kind!r}")
    for image, needed, name in ((new, wanted[kind][0], "new"), (old, wanted[kind][1], "old")):
        if needed and not isinstance(image, Mapping):
            raise UnrecognizedEvent(f"a {kind} change needs its {name} item (an object)")
        if not needed and image is not None:
            raise UnrecognizedEvent(f"a {kind} change has no {name} item")
    return (str(kind), new, old)


def invoke_native(app: App, fn: Function, event: Any) -> Outcome:
    """Run one local input document (``build_local_event``'s shape) pinned to ``fn``."""
    if not isinstance(event, Mapping) or len(event) != 1 or next(iter(event)) not in LOCAL_KINDS:
        raise UnrecognizedEvent("not a local invocation document", expected=_EXPECTED)
    kind, spec = next(iter(event.items()))
    if not isinstance(spec, Mapping):
        raise UnrecognizedEvent(f"{kind!r} must hold a JSON object", expected=_EXPECTED)
    if kind == "http":
        method, path = str(spec.get("method", "GET")), str(spec.get("path", "/"))
        check_fits(fn, "http")
        body = spec.get("body") or ""
        from polyfn.adapters.gcp.entry import http_function
        from polyfn.adapters.gcp.serving import framework_app

        # Pinned to fn, as a one-function deployment is: another function's route is a 404.
        pinned = framework_app(http_function(app, cloud="local", function=fn.name), "http")
        result = _send(
            pinned,
            method,
            path,
            query={
                str(k): [str(v) for v in _list(vs)] for k, vs in (spec.get("query") or {}).items()
            },
            headers=[(str(name), str(value)) for name, value in spec.get("headers") or []],
            body=body.encode() if isinstance(body, str) else None,
        )
        return http_outcome(result.status, result.headers, result.body)
    if kind == "messages":
        check_fits(fn, "message")
        queue = app.queue_by_physical(str(spec.get("queue", "")))
        if queue is None:
            raise UnrecognizedEvent(f"app {app.name} has no queue {spec.get('queue')!r}")
        bodies = [b.encode() if isinstance(b, str) else bytes(b) for b in _list(spec.get("bodies"))]
        attributes = {str(k): str(v) for k, v in (spec.get("attributes") or {}).items()}
        failed = invoke_messages(app, queue.name, bodies, attributes=attributes, log=True)
        return Outcome(
            {"failed": failed},
            failed=bool(failed),
            reason=f"failed message index(es): {', '.join(map(str, failed))}",
        )
    if kind == "changes":
        check_fits(fn, "change")
        table = app.table_by_physical(str(spec.get("table", "")))
        if table is None:
            raise UnrecognizedEvent(f"app {app.name} has no table {spec.get('table')!r}")
        specs = [_change_spec(entry) for entry in _list(spec.get("changes"))]
        failed = invoke_changes(app, table.name, specs, log=True)
        return Outcome(
            {"failed": failed},
            failed=bool(failed),
            reason=f"change index(es) to deliver again: {', '.join(map(str, failed))}",
        )
    if kind == "object":
        check_fits(fn, "object")
        bucket = app.bucket_by_physical(str(spec.get("bucket", "")))
        if bucket is None:
            raise UnrecognizedEvent(f"app {app.name} has no bucket {spec.get('bucket')!r}")
        action = spec.get("action", "created")
        if action not in ("created", "deleted"):
            raise UnrecognizedEvent(f"object action must be created or deleted, not {action!r}")
        size, content_type = spec.get("size"), spec.get("content_type")
        digits = isinstance(size, int | float | str) and str(size).isdigit()
        # Only the pinned function runs, as in a one-function deployment; an event its
        # filters refuse runs nothing, which the output says.
        ran = 0
        if isinstance(fn.trigger, ObjectTrigger) and fn.trigger.bucket is bucket:
            ran = invoke_object(
                app,
                action,
                bucket.name,
                str(spec.get("key", "")),
                size=int(str(size)) if digits else None,
                content_type=str(content_type) if content_type else None,
                only=fn,
                log=True,
            )
        if ran:
            return Outcome({"ok": True, "ran": ran})
        # The local runtime filters before dispatch (its subscribers), so the reason
        # dispatch gives on the clouds is given here, in the same words.
        trigger = fn.trigger
        if isinstance(trigger, ObjectTrigger) and trigger.bucket is bucket:
            why = f"{fn.name} {trigger.mismatch(str(action), str(spec.get('key', '')))}"
        else:
            why = f"{fn.name} is triggered by {trigger.describe()}"
        arrived = f"object {action} {bucket.physical_name}/{spec.get('key', '')}"
        skipped = f"{arrived}: {why}"
        return Outcome({"ok": True, "ran": 0, "skipped": skipped}, skipped=skipped)
    if kind == "schedule":
        check_fits(fn, "schedule")
        result = invoke_schedule(app, fn.name, log=True)
        return Outcome({"ok": True} if result is None else result)
    check_fits(fn, "event")
    ran = invoke_event(
        app,
        str(spec.get("source", "")),
        str(spec.get("type", "")),
        spec.get("data"),
        subject=spec.get("subject"),
        log=True,
    )
    return Outcome({"ok": True, "ran": ran})


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]
