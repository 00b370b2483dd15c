"""The invocation line of an HTTP request, written around functions-framework's app."""

from __future__ import annotations

import io
import json
from typing import Any

from polyfn import App, Context, Request, Response
from polyfn.adapters.local.http import build_wsgi_app
from polyfn.adapters.local.invocations import Invocations


def serve(app: App) -> tuple[Any, io.StringIO]:
    from werkzeug.test import Client

    class Buffered(Client):
        # The line is written once the answer has been sent, so the client reads it all
        # (as a server does) before the test looks at the log.
        def open(self, *args: Any, **kwargs: Any) -> Any:
            return super().open(*args, buffered=True, **kwargs)

    log = io.StringIO()
    return Buffered(build_wsgi_app(app, Invocations(log)), use_cookies=False), log


def lines(log: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.getvalue().splitlines()]


def test_each_request_is_one_line_naming_function_status_and_request_id() -> None:
    app = App("logged")
    seen: list[str] = []

    @app.get("/items/{id}")
    def get_item(req: Request, ctx: Context) -> Response:
        seen.append(ctx.request_id)
        if req.path_params["id"] == "crash":
            raise RuntimeError("boom")
        return Response.json({"id": req.path_params["id"]})

    client, log = serve(app)
    assert client.get("/items/7").status_code == 200
    crashed = client.get("/items/crash")
    assert client.get("/nowhere").status_code == 404
    assert client.post("/items/7").status_code == 405
    ok, error, missing, wrong = lines(log)
    assert (ok["function"], ok["trigger"], ok["status"], ok["outcome"]) == (
        "get_item",
        "http",
        200,
        "ok",
    )
    assert (ok["method"], ok["path"]) == ("GET", "/items/7")
    # One id in the line, the handler's Context and the error body.
    assert ok["request_id"] == seen[0]
    assert error["request_id"] == seen[1] == crashed.get_json()["error"]["request_id"]
    assert (error["status"], error["outcome"]) == (500, "error")
    assert (missing["function"], missing["status"]) == (None, 404)
    assert (wrong["function"], wrong["status"], wrong["method"]) == (None, 405, "POST")


def test_a_trace_header_sent_by_the_client_names_the_request() -> None:
    app = App("traced")
    seen: list[str] = []

    @app.get("/")
    def index(ctx: Context) -> str:
        seen.append(ctx.request_id)
        return "ok"

    client, log = serve(app)
    trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    client.get("/", headers={"traceparent": f"00-{trace}-00f067aa0ba902b7-01"})
    (line,) = lines(log)
    assert line["request_id"] == seen[0] == trace


def test_the_app_is_served_as_declared() -> None:
    # The log is written around the App, never by replacing its methods.
    app = App("untouched")

    @app.get("/")
    def index() -> str:
        return "ok"

    serve(app)
    assert "handle_http" not in vars(app)
