"""The App every fuzz test drives: one function per trigger, each reading its input fully.

Handlers never fail on their own, so any 500 or untyped exception a fuzz case produces
comes from reading the malformed event, not from the handler.
"""

from __future__ import annotations

from typing import Any

from polyfn import App, Change, Event, Message, ObjectEvent, Request, Response, Schedule


def build() -> App:
    app = App("fuzz")
    uploads = app.bucket("uploads")
    jobs = app.queue("jobs")
    items = app.table("items")

    @app.route("/items/{id}", methods=["GET", "POST", "PUT", "DELETE"])
    def item(req: Request) -> Response:
        # Everything a handler may read: each must give a value or a 400, never a 500.
        seen: dict[str, Any] = {
            "id": req.path_params.get("id"),
            "query": {name: req.query.getlist(name) for name in req.query},
            "headers": len(list(req.headers.items())),
            "cookies": dict(req.cookies),
            "client_ip": req.client_ip,
            "method": req.method,
            "path": req.path,
        }
        if req.body:
            seen["json"] = req.json()
        return Response.json({"seen": str(seen)[:100]})

    @app.on_object_created(uploads, prefix="in/")
    def on_created(event: ObjectEvent) -> None:
        assert isinstance(event.key, str)

    @app.on_object_deleted(uploads)
    def on_deleted(event: ObjectEvent) -> None:
        assert isinstance(event.key, str)

    @app.on_message(jobs)
    def on_job(msg: Message) -> None:
        assert isinstance(msg.text, str)
        dict(msg.attributes)

    @app.schedule("rate(1 hour)")
    def tick(schedule: Schedule) -> None:
        assert isinstance(schedule.name, str)

    @app.on_event(source="shop.orders", type="OrderPlaced")
    def on_order(event: Event) -> None:
        assert isinstance(event.source, str)

    @app.on_change(items)
    def on_change(change: Change) -> None:
        assert change.kind in ("insert", "modify", "remove")
        assert isinstance(change.keys, dict) and isinstance(change.id, str)

    return app
