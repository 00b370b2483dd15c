"""A workflow task as the HTTPS endpoint Cloud Workflows calls.

``polyfn deploy`` gives each task of a workflow its own private Cloud Function pinned to it
(``POLYFN_FUNCTION``); the workflow's ``http.post`` step sends the workflow's data as the
JSON body, with an OIDC token Google's front end checks before the request arrives. The
answer follows the contract ``polyfn.deploy.workflow_gcp`` documents, so that errors keep
their names across the HTTP hop:

- success: ``200``, ``application/json``, the task's result;
- the task raised: ``500``, ``application/json``, ``{"Error": <the exception's class
  name>, "Cause": <its message>}``, which the YAML's retry predicates and ``except`` blocks
  read as ``e.body.Error`` (the traceback goes to the log, never to the caller);
- the task returned a value that is not JSON: ``500`` with ``Error`` ``States.Runtime``,
  as the local executor and the Durable activities fail such a task;
- a body that is not JSON: ``400`` (core's error body); a method other than POST: ``405``.

Only a process pinned to a task runs tasks: a task is not a route, so an unpinned HTTP
function (a public one, say) never reaches this module.
"""

from __future__ import annotations

import json
from typing import Any

from polyfn.core.app import App
from polyfn.core.context import Context
from polyfn.core.dispatch import error_response
from polyfn.core.http import Response
from polyfn.core.workflow_engine import RUNTIME_ERROR

__all__ = ["serve_task"]


def serve_task(app: App, task: str, request: Any, ctx: Context) -> Response:
    """Run ``task`` on the JSON body of the Flask ``request``; the answer as above."""
    if request.method != "POST":
        response = error_response(405, "Method Not Allowed", ctx.request_id)
        response.headers.set("Allow", "POST")
        return response
    try:
        data = json.loads(request.get_data(cache=False))
    except (ValueError, UnicodeDecodeError):
        return error_response(400, "the body must be the workflow's data as JSON", ctx.request_id)
    try:
        result = app.handle_task(task, data, ctx, _carried(request.headers))
    except Exception as exc:
        # The workflow matches retries and catches on the class name; the cause is the
        # message alone. The traceback stays in the function's log.
        ctx.logger.exception("task %s failed (request %s)", task, ctx.request_id)
        return _failure(type(exc).__name__, str(exc))
    try:
        body = json.dumps(result, allow_nan=False)
    except (TypeError, ValueError) as exc:
        ctx.logger.error(
            "task %s returned a value that is not JSON (request %s): %s",
            task,
            ctx.request_id,
            exc,
        )
        return _failure(RUNTIME_ERROR, f"task {task!r} returned a value that is not JSON")
    return Response(body, 200, content_type="application/json")


def _carried(headers: Any) -> dict[str, str]:
    """The starter's trace, which the workflow sends as headers of its http.post
    (``polyfn.deploy.workflow_gcp``); only the carried names, validated like any carrier."""
    from polyfn.core.workflow_trace import carrier

    return carrier({name: headers.get(name) for name in _CARRIED_HEADERS})


_CARRIED_HEADERS = ("traceparent", "tracestate", "x-correlation-id", "polyfn-hops")


def _failure(error: str, cause: str) -> Response:
    return Response(
        json.dumps({"Error": error, "Cause": cause}), 500, content_type="application/json"
    )
