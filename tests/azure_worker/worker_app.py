"""The app the worker tests run: each handler answers or records what it was given.

The worker runs in its own process, so handlers that answer nothing (queue, timer, blob, event)
append what they saw, as one JSON line, to the file named by ``WORKER_RECORD``.
"""

from __future__ import annotations

import json
import os
from typing import Any

from polyfn import App, Context, Event, HTTPError, Message, ObjectEvent, Request, Response, Schedule

app = App("worker")
files = app.bucket("files")
jobs = app.queue("jobs", max_receives=3)


def record(kind: str, **seen: Any) -> None:
    with open(os.environ["WORKER_RECORD"], "a", encoding="utf-8") as out:
        out.write(json.dumps({"kind": kind, **seen}) + "\n")


@app.get("/items/{id}")
def get_item(req: Request, ctx: Context) -> Response:
    if req.path_params["id"] == "missing":
        raise HTTPError(404, "no such item")
    if req.path_params["id"] == "crash":
        raise RuntimeError("secret-token-123 leaked")
    return Response.json(
        {
            "id": req.path_params["id"],
            "query": dict(req.query),
            "header": req.headers.get("x-test"),
            "request_id": ctx.request_id,
            "function": ctx.function_name,
        }
    )


@app.post("/items")
def create_item(req: Request) -> Response:
    response = Response.json({"created": req.json()}, 201, headers={"location": "/items/1"})
    response.set_cookie("session", "abc")
    return response


@app.on_message(jobs)
def work(msg: Message, ctx: Context) -> None:
    record(
        "message",
        id=msg.id,
        body=msg.text,
        receive_count=msg.receive_count,
        request_id=ctx.request_id,
        trace_id=ctx.trace.trace_id,
        trace_parent=ctx.trace.parent_id,
    )
    if msg.text == "fail":
        raise RuntimeError("the job failed")


@app.schedule("rate(5 minutes)")
def tick(schedule: Schedule) -> None:
    record("tick", name=schedule.name)


@app.on_object_created(files, prefix="uploads/")
def on_upload(event: ObjectEvent) -> None:
    record("object", key=event.key, size=event.size, action=event.action, bucket=event.bucket)


@app.on_event(source="shop.orders", type="OrderPlaced")
def order_placed(event: Event) -> None:
    record("event", source=event.source, type=event.type, data=event.data)
