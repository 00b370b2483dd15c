"""The local driver: runs an App through the local runtime's own in-process paths.

HTTP goes through the WSGI app ``polyfn run`` serves (functions-framework + the Google
Cloud translation, with ``cloud="local"``) via werkzeug's test client; messages are sent
to a queue in a throwaway data directory and processed by the runtime's queue worker;
object events go through the dispatch the folder watcher uses; schedules fire as the
scheduler fires them. See ``polyfn.adapters.local.invoke``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from polyfn.adapters.local import invoke
from polyfn.core.app import App
from polyfn.core.datastructures import Headers
from polyfn.core.errors import ConfigError, UnrecognizedEvent
from polyfn.core.functions import Function, ObjectTrigger
from polyfn.hosts.base import Host, HttpResult
from polyfn.hosts.outcome import Outcome, http_outcome
from polyfn.hosts.samples import SAMPLE_MESSAGE, check_fits, sample_options
from polyfn.hosts.vocabulary import EventOptionError

__all__ = ["GENERATORS", "HOSTS", "LocalHost", "build_local_event", "describe", "looks_like"]


class LocalHost:
    """``Host`` for the local runtime; see the module docstring."""

    name = "local"
    cloud = "local"

    def invoke(self, app: App, fn: Function, event: Any) -> Outcome:
        return invoke_native(app, fn, event)

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
        response = invoke.invoke_http(app, method, path, query=query, headers=headers, body=body)
        read_back = Headers()
        for name, value in response.headers.items():
            read_back.add(name, value)
        return HttpResult(response.status_code, read_back, response.get_data(), response)

    def messages(
        self,
        app: App,
        queue: str,
        bodies: Sequence[bytes],
        *,
        attributes: Mapping[str, str] | None = None,
    ) -> list[int]:
        return invoke.invoke_messages(app, queue, bodies, attributes=attributes)

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
        if action not in ("created", "deleted"):
            raise ValueError(f"an object event is 'created' or 'deleted', not {action!r}")
        invoke.invoke_object(
            app,
            "created" if action == "created" else "deleted",
            bucket,
            key,
            size=size if action == "created" else None,
            content_type=content_type,
        )

    def schedule(self, app: App, function: str) -> None:
        invoke.invoke_schedule(app, function)

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
        invoke.invoke_event(app, source, type, data, subject=subject)


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


LOCAL_KINDS = ("http", "messages", "object", "schedule", "event")
_TRIGGER_KIND = {
    "http": "http",
    "message": "messages",
    "object": "object",
    "schedule": "schedule",
    "event": "event",
}
_EXPECTED = "a JSON object with one of " + ", ".join(f"{kind!r}" for kind in LOCAL_KINDS)
# Which of polyfn events' options each local kind takes.
_OPTIONS: dict[str, frozenset[str]] = {
    "http": frozenset({"method", "path", "query", "header", "body"}),
    "messages": frozenset({"queue", "message"}),
    "object": frozenset({"action", "bucket", "key"}),
    "schedule": frozenset(),
    "event": frozenset({"source", "type", "data"}),
}


def build_local_event(fn: Function, kind: str | None, given: Mapping[str, Any]) -> dict[str, Any]:
    """The local input document for ``fn`` from ``polyfn events``-style options."""
    kind = kind or _TRIGGER_KIND[fn.trigger.kind]
    if kind not in LOCAL_KINDS:
        raise EventOptionError(
            f"unknown local event kind {kind!r}; expected one of {', '.join(LOCAL_KINDS)}"
        )
    for name in given:
        if name not in _OPTIONS[kind]:
            flag = name.replace("option:", "--option ") if name.startswith("option:") else name
            raise EventOptionError(f"local {kind} does not take --{flag.removeprefix('--')}")
    options = {
        name: value
        for name, value in sample_options(fn).items()
        if name in _OPTIONS[kind] and name not in given
    }
    options.update(given)
    if kind == "http":
        return {
            "http": {
                "method": options.get("method", "GET"),
                "path": options.get("path", "/"),
                "query": options.get("query", {}),
                "headers": [list(pair) for pair in options.get("header", [])],
                "body": options.get("body", ""),
            }
        }
    if kind == "messages":
        return {
            "messages": {
                "queue": options.get("queue", ""),
                "bodies": list(options.get("message", [SAMPLE_MESSAGE])),
            }
        }
    if kind == "object":
        return {
            "object": {
                "action": options.get("action", "created"),
                "bucket": options.get("bucket", ""),
                "key": options.get("key", "sample.txt"),
            }
        }
    if kind == "schedule":
        return {"schedule": {"function": fn.name}}
    return {
        "event": {
            "source": options.get("source", "polyfn.sample"),
            "type": options.get("type", "Sample"),
            "data": options.get("data"),
        }
    }


def invoke_native(app: App, fn: Function, event: Any) -> Outcome:
    from polyfn.adapters.local import invoke as local

    if not isinstance(event, Mapping) or len(event) != 1 or next(iter(event)) not in LOCAL_KINDS:
        raise UnrecognizedEvent("not a local invocation document", expected=_EXPECTED)
    kind, spec = next(iter(event.items()))
    if not isinstance(spec, Mapping):
        raise UnrecognizedEvent(f"{kind!r} must hold a JSON object", expected=_EXPECTED)
    if kind == "http":
        method, path = str(spec.get("method", "GET")), str(spec.get("path", "/"))
        check_fits(app, fn, "http", method, path)
        body = spec.get("body") or ""
        response = local.invoke_http(
            app,
            method,
            path,
            query={
                str(k): [str(v) for v in _list(vs)] for k, vs in (spec.get("query") or {}).items()
            },
            headers=[(str(name), str(value)) for name, value in spec.get("headers") or []],
            body=body.encode() if isinstance(body, str) else None,
        )
        from polyfn.core.datastructures import Headers

        headers = Headers()
        for name, value in response.headers.items():
            headers.add(name, value)
        return http_outcome(response.status_code, headers, response.get_data())
    if kind == "messages":
        check_fits(app, fn, "message")
        queue = app.queue_by_physical(str(spec.get("queue", "")))
        if queue is None:
            raise UnrecognizedEvent(f"app {app.name} has no queue {spec.get('queue')!r}")
        bodies = [b.encode() if isinstance(b, str) else bytes(b) for b in _list(spec.get("bodies"))]
        attributes = {str(k): str(v) for k, v in (spec.get("attributes") or {}).items()}
        failed = local.invoke_messages(app, queue.name, bodies, attributes=attributes, log=True)
        return Outcome(
            {"failed": failed},
            failed=bool(failed),
            reason=f"failed message index(es): {', '.join(map(str, failed))}",
        )
    if kind == "object":
        check_fits(app, fn, "object")
        bucket = app.bucket_by_physical(str(spec.get("bucket", "")))
        if bucket is None:
            raise UnrecognizedEvent(f"app {app.name} has no bucket {spec.get('bucket')!r}")
        action = spec.get("action", "created")
        if action not in ("created", "deleted"):
            raise UnrecognizedEvent(f"object action must be created or deleted, not {action!r}")
        from polyfn.adapters.local.events import deliver_object_event, make_object_event
        from polyfn.adapters.local.invocations import Invocations

        size = spec.get("size")
        content_type = spec.get("content_type")
        native = make_object_event(
            action,
            bucket.physical_name,
            str(spec.get("key", "")),
            size=int(size) if isinstance(size, int | float | str) and str(size).isdigit() else None,
            content_type=str(content_type) if content_type else None,
        )
        # Only the pinned function runs, as in a one-function deployment; an event its
        # filters refuse runs nothing, which the output says.
        trigger = fn.trigger
        ran = 0
        if (
            isinstance(trigger, ObjectTrigger)
            and trigger.bucket is bucket
            and trigger.matches(native)
        ):
            deliver_object_event(app, native, fn, Invocations())
            ran = 1
        return Outcome({"ok": True, "ran": ran})
    if kind == "schedule":
        check_fits(app, fn, "schedule")
        result = local.invoke_schedule(app, fn.name, log=True)
        return Outcome({"ok": True} if result is None else result)
    check_fits(app, fn, "event")
    ran = local.invoke_event(
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
