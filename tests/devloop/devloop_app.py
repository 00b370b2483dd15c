"""A small app with one function per trigger kind, each able to succeed or fail on demand.

``polyfn invoke`` tests run it through every cloud's adapter: a handler fails when its
input says ``fail`` (a path parameter, a message body, an object key, event data), and
the scheduled one fails when ``DEVLOOP_TICK_FAILS`` is set.
"""

from __future__ import annotations

import os

from polyfn import App, Event, HTTPError, Message, ObjectEvent, Request, Response, Schedule

app = App("devloop")
files = app.bucket("files")
jobs = app.queue("jobs", max_receives=3)
log = app.table("log", key="id")


@app.get("/items/{id}")
def get_item(req: Request) -> Response:
    item_id = req.path_params["id"]
    if item_id == "fail":
        raise RuntimeError("the item store is down")
    if item_id == "missing":
        raise HTTPError(404, "No such item")
    return Response.json({"id": item_id, "query": req.query.get("q")})


@app.post("/items")
def create_item(req: Request) -> Response:
    return Response.json({"created": req.json()}, 201)


@app.on_object_created(files, prefix="in/", suffix=".txt")
def on_file(event: ObjectEvent) -> None:
    if "fail" in event.key:
        raise ValueError(f"cannot process {event.key}")
    log.put({"id": f"file-{event.key}", "bucket": event.bucket})


@app.on_object_deleted(files)
def on_file_deleted(event: ObjectEvent) -> None:
    if "fail" in event.key:
        raise ValueError(f"cannot forget {event.key}")


@app.on_message(jobs, batch_size=10)
def work(msg: Message) -> None:
    payload = msg.json()
    if payload.get("fail"):
        raise ValueError("this job always fails")
    log.put({"id": f"job-{msg.id}", "n": payload.get("n")})


@app.schedule("rate(5 minutes)")
def tick(schedule: Schedule) -> None:
    if os.environ.get("DEVLOOP_TICK_FAILS"):
        raise RuntimeError("tick failed on purpose")


@app.on_event(source="shop.orders", type="Order*")
def on_order(event: Event) -> None:
    if isinstance(event.data, dict) and event.data.get("fail"):
        raise ValueError("order event failed on purpose")
