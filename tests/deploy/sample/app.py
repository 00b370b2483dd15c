"""A small app with every trigger kind, for the deploy tests.

The handlers touch resources in different ways (read, list, write, delete, send) so the
permission tests have something to tell apart; those that the functions-framework tests
call record that they ran in the file ``SAMPLE_MARKERS`` names, and touch no resource.
"""

from __future__ import annotations

import os

from polyfn import App, Event, Message, ObjectEvent, Request, Response, Schedule

app = App("sampler")
files = app.bucket("files")
jobs = app.queue("jobs", max_receives=5, visibility_timeout=120)
items = app.table("items", key="sku")
orders = app.event_bus("orders")


def mark(line: str) -> None:
    path = os.environ.get("SAMPLE_MARKERS")
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")


def save(item: dict[str, str]) -> bool:
    return items.put_if_absent(item)


@app.get("/ping")
def ping(req: Request) -> Response:
    mark(f"ping {req.query.get('n', '')}")
    return Response.json({"pong": True})


@app.get("/items/{sku}")
def get_item(req: Request) -> Response:
    item = items.get(req.path_params["sku"])
    return Response.json(item or {}, 200 if item else 404)


@app.post("/items", memory=256, timeout=10)
def create_item(req: Request) -> Response:
    item = req.json()
    if not save(item):
        return Response.json({"error": "exists"}, 409)
    jobs.send({"sku": item["sku"]})
    return Response.json(item, 201)


@app.get("/files/{path+}", auth="function")
def read_file(req: Request) -> Response:
    return Response(files.read(req.path_params["path"]))


@app.on_object_created(files, prefix="in/", suffix=".csv", timeout=120)
def ingest(event: ObjectEvent) -> None:
    mark(f"ingest {event.bucket} {event.key}")
    if event.key.endswith("fail.csv"):
        raise ValueError("cannot ingest")
    if event.key.startswith("in/real/"):
        for line in files.read_text(event.key).splitlines():
            items.put({"sku": line})


@app.on_object_deleted(files, prefix="in/")
def forget(event: ObjectEvent) -> None:
    items.delete(event.key)


@app.on_message(jobs, batch_size=5, timeout=90)
def work(msg: Message) -> None:
    body = msg.json()
    mark(f"work {body.get('sku')} {msg.receive_count}")
    if body.get("fail"):
        raise RuntimeError("job failed")


@app.schedule("0 6 * * MON-FRI", reserved_concurrency=2, provisioned_concurrency=1)
def nightly(tick: Schedule) -> None:
    mark(f"nightly {tick.name}")
    if os.environ.get("SAMPLE_SCAN"):
        for item in items.scan().items:
            mark(f"seen {item['sku']}")


@app.on_event(bus=orders, source="sampler.orders", type="order.created")
def on_order(event: Event) -> None:
    mark(f"order {event.id}")
