"""The Google Cloud driver: an App through functions-framework, as Cloud Functions runs it.

``http_function(app)`` and ``event_function(app)`` are served by functions-framework's own
Flask app (``create_app``, the one its CLI and Cloud Functions 2nd gen run), called
through Flask's test client; nothing is called around it. Inputs are the documents of
``polyfn.hosts.events.gcp``:

- HTTP: the request document, sent as a client would (path percent-encoded);
- messages: one Pub/Sub push per body (a push carries one message), each a
  messagePublished CloudEvent in binary content mode as Eventarc delivers it; a non-2xx
  answer is what makes Pub/Sub redeliver, so it marks that index failed;
- object events: a Cloud Storage CloudEvent in binary mode;
- schedules: the POST of a Cloud Scheduler HTTP job named as ``polyfn deploy`` names it;
- other events: a CloudEvent in binary mode.

A non-2xx answer to an object event, schedule or event raises ``InvocationError``.
"""

from __future__ import annotations

import json
import weakref
from collections.abc import Mapping, Sequence
from typing import Any

from polyfn.adapters.gcp.entry import event_function, http_function
from polyfn.adapters.gcp.request_documents import is_request_document
from polyfn.adapters.gcp.serving import framework_app
from polyfn.core.app import App
from polyfn.core.datastructures import Headers
from polyfn.core.errors import UnrecognizedEvent
from polyfn.core.event_bus import EventBus, OutgoingEvent
from polyfn.core.functions import Function
from polyfn.core.resources import physical_name
from polyfn.hosts.base import Host, HttpResult, stored_metadata
from polyfn.hosts.events import gcp as events
from polyfn.hosts.events.changes import firestore_document
from polyfn.hosts.events.gcp import GENERATORS
from polyfn.hosts.outcome import Outcome, http_outcome, observed
from polyfn.hosts.samples import check_fits, native_sample

__all__ = ["GENERATORS", "HOSTS", "GcpHost", "InvocationError", "describe", "looks_like"]


class InvocationError(RuntimeError):
    """functions-framework answered an event with a status the platform counts as failed."""

    def __init__(self, status: int, body: bytes) -> None:
        super().__init__(f"the function answered {status}: {body[:200].decode('utf-8', 'replace')}")
        self.status = status
        self.body = body


class GcpHost:
    """``Host`` for Google Cloud; see the module docstring."""

    name = "gcp"
    cloud = "gcp"

    def __init__(self) -> None:
        self._apps: weakref.WeakKeyDictionary[App, dict[str, Any]] = weakref.WeakKeyDictionary()

    def __repr__(self) -> str:
        return "<GcpHost>"

    def invoke(self, app: App, fn: Function, event: Any) -> Outcome:
        # The entry point is pinned to fn by argument, as deploy pins it by POLYFN_FUNCTION.
        return observed(lambda: invoke_native(app, fn, event))

    def sample(self, fn: Function, kind: str | None, options: Mapping[str, Any]) -> Any:
        return native_sample("gcp", GENERATORS, fn, kind, options)

    def client(self, app: App, signature_type: str, *, pinned_to: str | None = None) -> Any:
        """Flask's test client of the functions-framework app serving ``app``; built once
        per App, signature type (``http`` or ``cloudevent``) and pin (``pinned_to``, the
        ``POLYFN_FUNCTION`` deploy gives a one-function deployment)."""
        built = self._apps.setdefault(app, {})
        key = f"{signature_type}:{pinned_to or ''}"
        flask_app = built.get(key)
        if flask_app is None:
            pin = pinned_to or ""  # "" pins nothing, whatever POLYFN_FUNCTION says
            if signature_type == "http":
                flask_app = framework_app(http_function(app, backends="keep", function=pin), "http")
            else:
                target = event_function(app, backends="keep", function=pin)
                flask_app = framework_app(target, "cloudevent")
            built[key] = flask_app
        # Without its cookie jar: a Cookie header goes through as given, and nothing
        # set by one request leaks into the next.
        return flask_app.test_client(use_cookies=False)

    def post_event(self, app: App, event: Mapping[str, Any]) -> Any:
        """POST one CloudEvent in binary content mode; returns the test response."""
        headers, body = events.binary_mode(event)
        return self.client(app, "cloudevent").post("/", headers=headers, data=body)

    # ------------------------------------------------------------------ Host

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
        document = events.http(
            method, path, query=query, headers=_through_front_end(headers), body=body
        )
        return self._send(app, document)

    def messages(
        self,
        app: App,
        queue: str,
        bodies: Sequence[bytes],
        *,
        attributes: Mapping[str, str] | None = None,
    ) -> list[int]:
        topic = physical_name("queue", queue)
        failed = []
        for index, body in enumerate(bodies):
            response = self.post_event(app, events.pubsub(topic, body, attributes))
            if not 200 <= response.status_code < 300:
                failed.append(index)
        return failed

    def changes(
        self,
        app: App,
        table: str,
        changes: Sequence[tuple[str, Mapping[str, Any] | None, Mapping[str, Any] | None]],
    ) -> list[int]:
        resource = app.tables[table]
        failed = []
        # Eventarc delivers each document write as its own event, in no promised order:
        # each is redelivered alone when its invocation fails.
        for index, spec in enumerate(changes):
            _, new, old = spec
            item = new if new is not None else old
            assert item is not None
            document_id = str(item[resource.key])
            if resource.sort is not None:
                document_id += "|" + str(item[resource.sort])
            event = firestore_document(resource.physical_name, spec=spec, document_id=document_id)
            response = self.post_event(app, event)
            if not 200 <= response.status_code < 300:
                failed.append(index)
        return failed

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
        physical = physical_name("bucket", bucket)
        metadata = stored_metadata(app, bucket, key) if action == "created" else None
        event = events.storage(
            action, physical, key, size=size, content_type=content_type, metadata=metadata
        )
        _check(self.post_event(app, event))

    def schedule(self, app: App, function: str) -> None:
        # Named as polyfn deploy names the job: <app>-<stage>-<function>-schedule, and sent
        # to the function deployed for it, which deploy pins (only a pinned function takes
        # Cloud Scheduler's ticks: adapters.gcp.scheduler).
        document = events.scheduler(events.job_name_for(function, app.name))
        result = self._send(app, document, pinned_to=function)
        if not 200 <= result.status < 300:
            raise InvocationError(result.status, result.body)

    def event(
        self,
        app: App,
        source: str,
        type: str,
        data: Any,
        *,
        subject: str | None = None,
    ) -> None:
        _check(self.post_event(app, events.cloudevent(source, type, data, subject)))

    def bus_event(self, app: App, bus: EventBus, event: OutgoingEvent) -> None:
        from polyfn.adapters.gcp.backends.event_bus import message_attributes

        # The Pub/Sub message the bus published, as each function's Eventarc trigger on
        # the topic delivers it: a messagePublished CloudEvent, one deployment per function.
        delivered = events.pubsub(
            bus.physical_name.rsplit("/", 1)[-1],
            event.data_json.encode(),
            message_attributes(event),
        )
        headers, body = events.binary_mode(delivered)
        for fn in bus.subscribers():
            target = framework_app(
                event_function(app, backends="keep", function=fn.name), "cloudevent"
            )
            response = target.test_client(use_cookies=False).post("/", headers=headers, data=body)
            _check(response)

    def _send(
        self, app: App, document: Mapping[str, Any], *, pinned_to: str | None = None
    ) -> HttpResult:
        client = self.client(app, "http", pinned_to=pinned_to)
        response = client.open(**events.flask_kwargs(document))
        return HttpResult(response.status_code, _headers(response), response.get_data(), response)


# The address Google's front end sees the test client at (a documentation address, RFC 5737).
FRONT_END_PEER = "198.51.100.7"


def _through_front_end(headers: Sequence[tuple[str, str]] | None) -> list[tuple[str, str]]:
    """``headers`` as Google's front end forwards them: the address it received the request
    from appended to any ``X-Forwarded-For`` the client sent (adapters.gcp.http)."""
    given = list(headers or ())
    sent = [value for name, value in given if name.lower() == "x-forwarded-for"]
    kept = [pair for pair in given if pair[0].lower() != "x-forwarded-for"]
    return [*kept, ("X-Forwarded-For", ", ".join([*sent, FRONT_END_PEER]))]


def _check(response: Any) -> None:
    if not 200 <= response.status_code < 300:
        raise InvocationError(response.status_code, response.get_data())


def _headers(response: Any) -> Headers:
    """A werkzeug test response's headers, each repeated one (Set-Cookie) kept."""
    read_back = Headers()
    for name, value in response.headers.items():
        read_back.add(name, value)
    return read_back


HOSTS: list[Host] = [GcpHost()]


def looks_like(document: Any) -> bool:
    from polyfn.adapters.gcp.describe import looks_like as gcp_looks_like

    return gcp_looks_like(document)


def describe(document: Any) -> dict[str, Any]:
    from polyfn.adapters.gcp.describe import describe as gcp_describe

    return gcp_describe(document)


# ---------------------------------------------------------------- native events (polyfn invoke)
# ``polyfn invoke --cloud gcp``: one request or event through functions-framework.


def invoke_native(app: App, fn: Function, event: Any) -> Outcome:
    # The inspect model is the adapter's own reading: it tells the trigger (a request
    # Cloud Scheduler marks is a schedule) and, for HTTP, the route's method and path.
    model = describe(event)
    check_fits(fn, str(model.get("trigger")))
    if is_request_document(event):
        flask_app = framework_app(http_function(app, function=fn.name), "http")
        client = flask_app.test_client(use_cookies=False)
        response = client.open(**events.flask_kwargs(event))
        return http_outcome(response.status_code, _headers(response), response.get_data())
    if not isinstance(event, Mapping):
        raise UnrecognizedEvent("a Google Cloud event is a JSON object")
    # A structured CloudEvent keeps its media type; a legacy background event or Pub/Sub
    # push is plain JSON, which functions-framework converts, as it does on Cloud Run.
    content_type = "application/cloudevents+json" if "specversion" in event else "application/json"
    client = framework_app(event_function(app, function=fn.name), "cloudevent").test_client(
        use_cookies=False
    )
    response = client.post("/", data=json.dumps(event), headers={"content-type": content_type})
    status = response.status_code
    if status == 400:
        raise UnrecognizedEvent(
            "functions-framework refused the event: "
            + response.get_data().decode("utf-8", "replace")[:200].replace("\n", " ")
        )
    return Outcome(
        {"ok": status < 300, "status": status},
        failed=status >= 300,
        reason=f"functions-framework answered {status}; the platform redelivers the event",
    )
