"""One App exercising every trigger; the behaviour tests drive it through each runtime."""

from __future__ import annotations

from typing import Any

from polyfn import App, Context, Event, HTTPError, Message, ObjectEvent, Request, Response, Schedule


def build() -> tuple[App, dict[str, list[Any]]]:
    """A fresh app and the record of what its handlers saw."""
    app = App("behaviour")
    files = app.bucket("files")
    jobs = app.queue("jobs", max_receives=3)
    seen: dict[str, list[Any]] = {
        "objects": [],
        "messages": [],
        "ticks": [],
        "events": [],
        "contexts": [],
    }

    @app.get("/users/{id}")
    def get_user(req: Request, ctx: Context) -> Response:
        seen["contexts"].append((ctx.cloud, ctx.function_name, ctx.request_id, ctx.remaining_ms))
        if req.path_params["id"] == "missing":
            raise HTTPError(404, "User not found")
        if req.path_params["id"] == "crash":
            raise RuntimeError("secret-token-123 leaked")
        return Response.json({"id": req.path_params["id"]})

    @app.post("/users")
    def create_user(req: Request) -> Response:
        return Response.json({"created": req.json()}, 201, headers={"location": "/users/1"})

    @app.route("/echo", ["GET", "POST", "PUT"])
    def echo(req: Request) -> Response:
        return Response.json(
            {
                "method": req.method,
                "path": req.path,
                "query": req.query.to_lists(),
                "tags": req.headers.getlist("x-tag"),
                "from": req.headers.getlist("from"),
                "content_types": req.headers.getlist("content-type"),
                "cookies": req.cookies,
                "body": req.text,
                "length": len(req.body),
                "content_type": req.headers.get("content-type"),
            }
        )

    @app.post("/binary")
    def binary(req: Request) -> Response:
        return Response.binary(req.body[::-1], "image/png")

    @app.get("/cookies")
    def cookies(req: Request) -> Response:
        response = Response.text("set")
        response.set_cookie("session", "abc")
        response.set_cookie("theme", "dark", http_only=False)
        return response

    @app.get("/files/{path+}")
    def files_route(req: Request) -> dict[str, str]:
        return {"path": req.path_params["path"]}

    @app.on_object_created(files, prefix="in/", suffix=".jpg")
    def on_upload(event: ObjectEvent) -> None:
        seen["objects"].append(("created", event.bucket, event.key, event.size))

    @app.on_object_deleted(files)
    def on_delete(event: ObjectEvent) -> None:
        seen["objects"].append(("deleted", event.bucket, event.key))

    @app.on_message(jobs, batch_size=10)
    def work(msg: Message) -> None:
        payload = msg.json()
        if payload.get("fail"):
            raise ValueError("this job always fails")
        seen["messages"].append((payload["n"], dict(msg.attributes), msg.queue))

    @app.schedule("rate(5 minutes)")
    def tick(schedule: Schedule) -> None:
        seen["ticks"].append(schedule.name)

    # Declared after ``tick``, whose name ends its own: a tick for ``fast_tick``'s rule
    # or job (``behaviour-fast-tick``) must run this one on every cloud.
    @app.schedule("rate(1 minute)")
    def fast_tick(schedule: Schedule) -> None:
        seen["ticks"].append(schedule.name)

    @app.on_event(source="shop.orders", type="OrderPlaced")
    def order_placed(event: Event) -> None:
        seen["events"].append((event.source, event.type, event.data))

    return app, seen
