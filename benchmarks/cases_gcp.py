"""Google Cloud cases: polyfn's functions-framework targets against hand-written ones.

functions-framework hands an HTTP target a ``flask.Request`` and a CloudEvent target a
``cloudevents.http.CloudEvent``; each is built once here and fed to both handlers, so
what Flask and the CloudEvents SDK cost to build them is outside every figure.
"""

from __future__ import annotations

import json
from typing import Any

import cases as shared  # the module; ``cases()`` below is this module's entry point
import flask
import handwritten
from cloudevents.http import CloudEvent
from werkzeug.test import EnvironBuilder

from polyfn.adapters.gcp import event_function, http_function
from polyfn.hosts.events import gcp as events

BUCKET = "files"


def http_get(request: flask.Request) -> flask.Response:
    user_id = request.path.rsplit("/", 1)[-1]
    return flask.Response(json.dumps({"id": user_id}), mimetype="application/json")


def storage_finalized(cloud_event: Any) -> None:
    data = cloud_event.data
    if data["bucket"] != BUCKET:  # polyfn routes by bucket; so does this one
        return
    handwritten.business({"key": data["name"], "size": int(data["size"])})


def cases() -> list[shared.Case]:
    app = shared._app()
    http = http_function(app, backends="keep")
    on_event = event_function(app, backends="keep")
    result = []

    # functions-framework calls the target inside a Flask request context, but neither
    # handler reads current_app or a body, so none is pushed: the figures would only
    # gain the same context-local lookups on both sides.
    environ = EnvironBuilder(
        path="/users/123",
        method="GET",
        base_url="https://bench-abc123-uc.a.run.app",
        headers=shared.TEN_HEADERS,
        environ_base={"REMOTE_ADDR": "169.254.1.1"},
    ).get_environ()
    request = flask.Request(environ)
    case = shared.Case("GCP HTTP GET /users/{id}", 2.0)
    case.candidates["hand-written"] = lambda: http_get(request)
    case.candidates["polyfn"] = lambda: http(request)
    result.append(case)

    document = events.storage_finalized(bucket=BUCKET, key="uploads/my photo+1.jpg", size=2048)
    data = document.pop("data")
    cloud_event = CloudEvent(document, data)
    case = shared.Case("GCP CloudEvent (Storage finalized)", None)
    case.candidates["hand-written"] = lambda: storage_finalized(cloud_event)
    case.candidates["polyfn"] = lambda: on_event(cloud_event)
    result.append(case)
    return result
