"""``polyfn invoke --cloud gcp``: one request or event through functions-framework.

The targets are the deployed ones, ``gcp.http_function(app)`` and
``gcp.event_function(app)``, served by functions-framework's own Flask app (the one
``functions-framework --target`` runs and Cloud Functions / Cloud Run host) and called
through its test client. So the input takes the platform's path: an HTTP request
document (Cloud Scheduler's POST included) goes to the HTTP target; a structured
CloudEvent is parsed by functions-framework and a legacy background event converted by
it; a failure is the 5xx it answers, which makes Pub/Sub and Eventarc redeliver.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from polyfn.cli.invoke_outcome import Outcome, http_outcome
from polyfn.cli.invoke_samples import check_fits
from polyfn.core.app import App
from polyfn.core.datastructures import Headers
from polyfn.core.errors import UnrecognizedEvent
from polyfn.core.functions import Function

__all__ = ["invoke"]


def invoke(app: App, fn: Function, event: Any) -> Outcome:
    from polyfn.adapters.gcp import event_function, http_function
    from polyfn.adapters.gcp.request_documents import flask_kwargs, is_request_document
    from polyfn.adapters.gcp.serving import framework_app
    from polyfn.cli.inspect import describe

    # The inspect model is the adapter's own reading: it tells the trigger (a request
    # Cloud Scheduler marks is a schedule) and, for HTTP, the route's method and path.
    model = describe(event, "gcp")
    request = model.get("request") or {}
    check_fits(app, fn, str(model.get("trigger")), request.get("method"), request.get("path"))
    if is_request_document(event):
        client = framework_app(http_function(app), "http").test_client(use_cookies=False)
        response = client.open(**flask_kwargs(event))
        headers = Headers()
        for name, value in response.headers.items():
            headers.add(name, value)
        return http_outcome(response.status_code, headers, response.get_data())
    if not isinstance(event, Mapping):
        raise UnrecognizedEvent("a Google Cloud event is a JSON object")
    # A structured CloudEvent keeps its media type; a legacy background event or Pub/Sub
    # push is plain JSON, which functions-framework converts, as it does on Cloud Run.
    content_type = "application/cloudevents+json" if "specversion" in event else "application/json"
    client = framework_app(event_function(app), "cloudevent").test_client(use_cookies=False)
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
