"""Azure Functions cases: polyfn's FunctionApp against hand-written v2-model functions.

Both handlers of a case get the same ``azure.functions`` object, built once by the
generators the Azure tests use (the worker's own converters), so what the worker costs
to build it is outside every figure and what remains is each handler's own work.
"""

from __future__ import annotations

import json
from typing import Any

import azure.functions as func
import cases as shared  # the module; ``cases()`` below is this module's entry point
import handwritten

from polyfn.adapters.azure import function_app
from polyfn.hosts.events import azure as events

HOST = "x.azurewebsites.net"


def http_get(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(
        json.dumps({"id": req.route_params["id"]}), mimetype="application/json"
    )


def queue_message(msg: func.QueueMessage) -> None:
    handwritten.business(json.loads(msg.get_body()))


def _user_functions(native: func.FunctionApp) -> dict[str, Any]:
    # What the worker calls after indexing: the decorated callable of each function.
    return {str(fn.get_function_name()): fn.get_user_function() for fn in native.get_functions()}


def cases() -> list[shared.Case]:
    polyfn = _user_functions(function_app(shared._app(), backends="keep"))
    result = []

    # route_params is what the host fills from polyfn's route "users/{id}"; the
    # hand-written function reads it, polyfn routes the path itself.
    req = events.http_request(
        "GET", "/users/123", headers=shared.TEN_HEADERS, route_params={"id": "123"}, host=HOST
    )
    # The worker passes a context only to functions that declare one; polyfn's do, so it
    # gets one built once, like the request, since the worker builds it either way.
    get_ctx = events.invocation_context("get_user")
    get_user = polyfn["get_user"]
    case = shared.Case("Azure HTTP GET /users/{id}", 2.0)
    case.candidates["hand-written"] = lambda: http_get(req=req)
    case.candidates["polyfn"] = lambda: get_user(req=req, context=get_ctx)
    result.append(case)

    msg = events.queue_message(
        json.dumps({"n": 1, "fail": False}),
        dequeue_count=1,
        id="5f1a2b3c-0000-4000-8000-000000000001",
    )
    work_ctx = events.invocation_context("work")
    work = polyfn["work"]
    case = shared.Case("Azure queue message", None)
    case.candidates["hand-written"] = lambda: queue_message(msg=msg)
    case.candidates["polyfn"] = lambda: work(msg=msg, context=work_ctx)
    result.append(case)
    return result
