"""An App exercising every trigger, and helpers to run it through functions-framework."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from polyfn import App, Context, Event, HTTPError, Message, ObjectEvent, Request, Response, Schedule
from polyfn.adapters.gcp import event_function, http_function
from polyfn.adapters.gcp.serving import framework_app
from polyfn.hosts.events import gcp as events

Seen = dict[str, list[Any]]


def build() -> tuple[App, Seen]:
    """A fresh app and the record of what its handlers saw."""
    app = App("shop")
    uploads = app.bucket("uploads")
    jobs = app.queue("jobs", max_receives=5)
    seen: Seen = {"objects": [], "messages": [], "ticks": [], "events": [], "contexts": []}

    @app.route("/echo", ["GET", "POST", "PUT", "DELETE"])
    def echo(req: Request, ctx: Context) -> Response:
        seen["contexts"].append(ctx)
        return Response.json(
            {
                "method": req.method,
                "path": req.path,
                "query": req.query.to_lists(),
                "headers": req.headers.to_lists(),
                "cookies": req.cookies,
                "body": req.text,
                "length": len(req.body),
                "client_ip": req.client_ip,
                "request_id": req.request_id,
            }
        )

    @app.get("/users/{id}")
    def get_user(req: Request) -> dict[str, str]:
        if req.path_params["id"] == "crash":
            raise RuntimeError("secret-token-123 leaked")
        if req.path_params["id"] == "missing":
            raise HTTPError(404, "User not found")
        return {"id": req.path_params["id"]}

    @app.post("/users")
    def create_user(req: Request) -> Response:
        return Response.json({"created": req.json()}, 201)

    @app.post("/binary")
    def binary(req: Request) -> Response:
        return Response.binary(req.body[::-1], "image/png")

    @app.get("/cookies")
    def cookies(req: Request) -> Response:
        response = Response.text("set")
        response.set_cookie("session", "abc")
        response.set_cookie("theme", "dark", http_only=False)
        response.headers.add("x-multi", "one")
        response.headers.add("x-multi", "two")
        return response

    @app.get("/nothing")
    def nothing(req: Request) -> None:
        return None

    @app.on_object_created(uploads, prefix="in/")
    def on_upload(event: ObjectEvent, ctx: Context) -> None:
        if event.key.endswith(".fail"):
            raise RuntimeError("secret-object-failure")
        seen["objects"].append(event)
        seen["contexts"].append(ctx)

    @app.on_object_deleted(uploads)
    def on_delete(event: ObjectEvent) -> None:
        seen["objects"].append(event)

    @app.on_message(jobs)
    def work(msg: Message, ctx: Context) -> None:
        if msg.json().get("fail"):
            raise ValueError("this job always fails")
        seen["messages"].append(msg)
        seen["contexts"].append(ctx)

    @app.schedule("rate(5 minutes)")
    def cleanup(tick: Schedule) -> None:
        seen["ticks"].append(tick)

    @app.schedule("0 3 * * *")
    def nightly_cleanup(tick: Schedule) -> None:
        headers = getattr(tick.raw, "headers", None)
        if headers is not None and headers.get("X-Fail") == "yes":
            raise RuntimeError("secret-tick-failure")
        seen["ticks"].append(tick)

    @app.on_event(source="//shop.example.com/*", type="com.example.order.*")
    def order_event(event: Event) -> None:
        if event.type.endswith("broken"):
            raise RuntimeError("secret-event-failure")
        seen["events"].append(event)

    return app, seen


def http_client(app: App, *, cloud: str = "gcp") -> Any:
    """functions-framework's test client for ``http_function(app)``."""
    target = http_function(app, cloud=cloud, backends="keep")
    return framework_app(target, "http").test_client(use_cookies=False)


def event_client(app: App) -> Any:
    """functions-framework's test client for ``event_function(app)``."""
    return framework_app(event_function(app, backends="keep"), "cloudevent").test_client()


def send(client: Any, document: Mapping[str, Any]) -> Any:
    """Send an HTTP request document through a test client."""
    return client.open(**events.flask_kwargs(document))


def post_binary(client: Any, event: Mapping[str, Any]) -> Any:
    headers, body = events.binary_mode(event)
    return client.post("/", headers=headers, data=body)


def post_structured(client: Any, event: Mapping[str, Any]) -> Any:
    headers, body = events.structured_mode(event)
    return client.post("/", headers=headers, data=body)


def post_legacy(client: Any, document: Mapping[str, Any]) -> Any:
    import json

    return client.post("/", data=json.dumps(document), content_type="application/json")
