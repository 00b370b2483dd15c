"""Apps the Azure adapter tests run, and a helper to call an indexed function's user code."""

from __future__ import annotations

import json
import weakref
from typing import Any

import azure.functions as func

from polyfn import App, Context, Event, HTTPError, Message, ObjectEvent, Request, Response, Schedule
from polyfn.hosts.events import azure as events


def build_shop() -> tuple[App, dict[str, list[Any]]]:
    """One function per trigger kind, recording what each handler saw."""
    app = App("shop")
    uploads = app.bucket("uploads")
    emails = app.queue("emails", max_receives=4)
    seen: dict[str, list[Any]] = {
        "contexts": [],
        "objects": [],
        "messages": [],
        "ticks": [],
        "events": [],
    }

    @app.get("/users/{id}")
    def get_user(req: Request, ctx: Context) -> Response:
        seen["contexts"].append(ctx)
        if req.path_params["id"] == "missing":
            raise HTTPError(404, "User not found")
        if req.path_params["id"] == "crash":
            raise RuntimeError("database password is hunter2")
        return Response.json({"id": req.path_params["id"]})

    @app.put("/users/{id}")
    def put_user(req: Request) -> Response:
        return Response.json({"id": req.path_params["id"], "body": req.json()})

    @app.route("/echo", ["GET", "POST"])
    def echo(req: Request) -> Response:
        return Response.json(
            {
                "path": req.path,
                "query": req.query.to_lists(),
                "headers": req.headers.to_lists(),
                "cookies": req.cookies,
                "body": req.text,
                "length": len(req.body),
                "client_ip": req.client_ip,
            }
        )

    @app.post("/reverse")
    def reverse(req: Request) -> Response:
        return Response.binary(req.body[::-1], "application/octet-stream")

    @app.get("/login")
    def login(req: Request) -> Response:
        response = Response.text("welcome")
        response.set_cookie("session", "abc123")
        response.set_cookie("theme", "dark", http_only=False, max_age=3600)
        response.headers.add("vary", "accept")
        response.headers.add("vary", "cookie")
        return response

    @app.get("/files/{path+}")
    def read_file(req: Request) -> dict[str, str]:
        return {"path": req.path_params["path"]}

    @app.on_object_created(uploads, prefix="in/", suffix=".jpg")
    def thumbnail(event: ObjectEvent) -> None:
        if event.key.endswith("broken.jpg"):
            raise ValueError("cannot decode image")
        seen["objects"].append(("thumbnail", event.action, event.bucket, event.key, event.size))

    @app.on_object_created(uploads)
    def audit(event: ObjectEvent) -> None:
        seen["objects"].append(("audit", event.action, event.bucket, event.key, event.size))

    @app.on_object_deleted(uploads, prefix="in/")
    def forget(event: ObjectEvent) -> None:
        seen["objects"].append(("forget", event.action, event.bucket, event.key, event.size))

    @app.on_message(emails, batch_size=16)
    def send_email(msg: Message) -> None:
        payload = msg.json()
        if payload.get("fail"):
            raise RuntimeError("smtp refused")
        seen["messages"].append((payload, dict(msg.attributes), msg.receive_count, msg.queue))

    @app.schedule("rate(5 minutes)")
    def cleanup(tick: Schedule, ctx: Context) -> None:
        seen["ticks"].append((tick.name, tick.time, ctx.function_name))

    @app.schedule("0 3 * * MON-FRI")
    def nightly(tick: Schedule) -> None:
        seen["ticks"].append((tick.name, tick.time, "nightly"))

    @app.on_event(source="/subscriptions/*", type="Shop.OrderPlaced")
    def order_placed(event: Event) -> None:
        seen["events"].append(("order_placed", event.id, event.source, event.type, event.data))

    @app.on_event(type="Shop.*")
    def any_shop_event(event: Event) -> None:
        seen["events"].append(("any_shop_event", event.id, event.source, event.type, event.data))

    return app, seen


_INDEXES: weakref.WeakKeyDictionary[func.FunctionApp, dict[str, Any]] = weakref.WeakKeyDictionary()


def functions_of(native: func.FunctionApp) -> dict[str, Any]:
    """The indexed functions by name, as the worker sees them.

    ``get_functions()`` may run once per FunctionApp (a second call reports every name
    as a duplicate), as in the worker, so the index is kept.
    """
    index = _INDEXES.get(native)
    if index is None:
        index = _INDEXES[native] = {fn.get_function_name(): fn for fn in native.get_functions()}
    return index


def bindings_of(native: func.FunctionApp, name: str) -> list[dict[str, Any]]:
    """The function's bindings as the worker reports them to the host (function.json)."""
    bindings: list[dict[str, Any]] = json.loads(functions_of(native)[name].get_function_json())[
        "bindings"
    ]
    return bindings


def trigger_of(native: func.FunctionApp, name: str) -> dict[str, Any]:
    return bindings_of(native, name)[0]


def invoke(native: func.FunctionApp, name: str, arg: str, value: Any, **context: Any) -> Any:
    """Call one indexed function's user code with a worker-style context."""
    user_function = functions_of(native)[name].get_user_function()
    ctx = events.invocation_context(name, **context)
    return user_function(**{arg: value, "context": ctx})
