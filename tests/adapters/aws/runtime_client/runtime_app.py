"""The App the runtime-client tests deploy: ``polyfn deploy build`` bundles this file, and
``awslambdaric`` runs the bundle's ``polyfn_entry.handler`` in a process of its own.

The process shares no memory with the test, so the handlers report what they saw where a
Lambda function's observer would look: in the answer, or as a line on the log stream
(``print``, which Lambda writes to the function's log as it is).
"""

from __future__ import annotations

import json
from typing import Any

import polyfn
from polyfn import App, Change, Context, Message, ObjectEvent, Request, Response, Schedule

app = App("ric")
files = app.bucket("files")
jobs = app.queue("jobs")


def _report(kind: str, **facts: Any) -> None:
    print("SEEN " + json.dumps({"kind": kind, **facts}, sort_keys=True), flush=True)


@app.get("/hello/{name}")
def hello(req: Request, ctx: Context) -> Response:
    answer = Response.json(
        {
            "name": req.path_params["name"],
            "query": req.query.to_lists(),
            "cloud": ctx.cloud,
            "request_id": ctx.request_id,
            "function_name": ctx.function_name,
            "remaining_ms": ctx.remaining_ms,
            "cold_start": ctx.cold_start,
            "polyfn_file": polyfn.__file__,
        },
        headers={"x-answer": "yes"},
    )
    if req.query.get("cookie"):
        answer.set_cookie("session", "s1")
    return answer


@app.post("/echo")
def echo(req: Request) -> Response:
    return Response(req.body, headers={"content-type": req.headers.get("content-type") or ""})


@app.get("/crash")
def crash(req: Request, ctx: Context) -> Response:
    raise RuntimeError("secret-token-123 leaked")


@app.get("/log")
def log(req: Request, ctx: Context) -> Response:
    ctx.logger.warning("stock low for %s", req.query.get("item"))
    return Response.json({"request_id": ctx.request_id})


@app.on_message(jobs)
def work(msg: Message, ctx: Context) -> None:
    body = msg.json()
    if body.get("fail"):
        raise ValueError(f"job {body['n']} failed")
    _report("message", n=body["n"], queue=msg.queue, attributes=dict(msg.attributes))


@app.on_object_created(files)
def uploaded(event: ObjectEvent, ctx: Context) -> None:
    if event.key.startswith("poison/"):
        raise RuntimeError("secret-token-456 in an object handler")
    _report("object", bucket=event.bucket, key=event.key, size=event.size)


@app.schedule("rate(5 minutes)")
def tick(event: Schedule, ctx: Context) -> None:
    _report("tick", function=ctx.function_name, request_id=ctx.request_id)


restock = app.workflow("restock")


class OutOfStock(Exception):
    pass


@restock.task
def reserve(data: dict[str, Any], ctx: Context) -> dict[str, Any]:
    if data.get("stock") == "out":
        raise OutOfStock(f"sku {data['sku']} is out of stock")
    return {**data, "reserved": True, "function_name": ctx.function_name}


restock.flow(reserve)


notes = app.table("notes")


@app.on_change(notes)
def note_changed(change: Change, ctx: Context) -> None:
    if change.new is not None and change.new.get("fail"):
        raise ValueError(f"note {change.keys['id']} refused")
    _report("change", change=change.kind, keys=change.keys, table=change.table)
