"""Small apps and helpers shared by the AWS adapter tests."""

from __future__ import annotations

import base64
import json
from typing import Any

from polyfn import App, Context, Event, HTTPError, Message, ObjectEvent, Request, Response
from polyfn.adapters.aws import lambda_handler
from polyfn.hosts.events import aws as events

HTTP_SOURCES = ("apigw-v1", "apigw-v2", "alb", "alb-single", "function-url")
# The behaviour suite runs its portable HTTP cases on every source but ALB's single-value
# headers mode (no host drives it: it cannot carry the repeated headers the suite sends),
# so the portable cases that suite covers elsewhere are still checked here for that mode.
UNDRIVEN_SOURCES = ("alb-single",)


def http_app() -> tuple[App, list[Any]]:
    """An app whose routes echo what they received, and the requests they saw."""
    app = App("aws-http")
    seen: list[Any] = []

    @app.route("/echo", ["GET", "POST", "PUT"])
    def echo(req: Request, ctx: Context) -> Response:
        seen.append((req, ctx))
        return Response.json(
            {
                "method": req.method,
                "path": req.path,
                "query": req.query.to_lists(),
                "headers": req.headers.to_lists(),
                "tags": req.headers.getlist("x-tag"),
                "cookies": req.cookies,
                "body_b64": base64.b64encode(req.body).decode(),
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

    @app.get("/files/{path+}")
    def files(req: Request) -> dict[str, str]:
        return {"path": req.path_params["path"], "raw": req.path}

    @app.post("/reverse")
    def reverse(req: Request) -> Response:
        return Response.binary(req.body[::-1], "image/png")

    @app.get("/cookies")
    def cookies(req: Request) -> Response:
        response = Response.text("set")
        response.set_cookie("session", "abc")
        response.set_cookie("theme", "dark", http_only=False)
        return response

    return app, seen


def http_event(source: str, method: str, path: str, **options: Any) -> dict[str, Any]:
    """A native request event of one HTTP source (``alb`` multi-value, ``alb-single``)."""
    if source == "apigw-v1":
        return events.apigw_v1(method, path, **options)
    if source == "apigw-v2":
        return events.apigw_v2(method, path, **options)
    if source == "function-url":
        return events.function_url(method, path, **options)
    return events.alb(method, path, multi_value=source == "alb", **options)


def response_headers(native: dict[str, Any]) -> dict[str, list[str]]:
    """name -> values of a native response, whichever headers fields it uses."""
    headers: dict[str, list[str]] = {}
    for name, values in (native.get("multiValueHeaders") or {}).items():
        headers.setdefault(name.lower(), []).extend(values)
    for name, value in (native.get("headers") or {}).items():
        headers.setdefault(name.lower(), []).append(value)
    if native.get("cookies"):
        headers.setdefault("set-cookie", []).extend(native["cookies"])
    return headers


def response_body(native: dict[str, Any]) -> bytes:
    body = native.get("body") or ""
    if native.get("isBase64Encoded"):
        return base64.b64decode(body)
    return str(body).encode()


def response_json(native: dict[str, Any]) -> Any:
    return json.loads(response_body(native))


def invoke(app: App, event: Any, context: Any = "fresh") -> Any:
    """Run one event through ``lambda_handler`` (a fresh Lambda context unless given)."""
    if context == "fresh":
        context = events.lambda_context(function_name="aws-tests")
    return lambda_handler(app, backends="keep")(event, context)


def trigger_app() -> tuple[App, dict[str, list[Any]]]:
    """An app with object, message, schedule and event handlers recording what they saw."""
    app = App("aws-triggers")
    uploads = app.bucket("uploads")
    jobs = app.queue("jobs")
    seen: dict[str, list[Any]] = {"objects": [], "messages": [], "ticks": [], "events": []}

    @app.on_object_created(uploads)
    def created(event: ObjectEvent) -> None:
        if event.key.startswith("fail/"):
            raise RuntimeError(f"cannot process {event.key}")
        seen["objects"].append(event)

    @app.on_object_deleted(uploads)
    def deleted(event: ObjectEvent) -> None:
        seen["objects"].append(event)

    @app.on_message(jobs)
    def work(message: Message) -> None:
        payload = message.json()
        if payload.get("fail"):
            raise ValueError("this job fails")
        seen["messages"].append(message)

    @app.schedule("rate(5 minutes)")
    def cleanup(tick: Any) -> None:
        seen["ticks"].append(tick)

    @app.on_event(source="shop.*")
    def shop_events(event: Event) -> None:
        seen["events"].append(event)

    @app.on_event(type="aws.sns")
    def notifications(event: Event) -> None:
        seen["events"].append(event)

    return app, seen
