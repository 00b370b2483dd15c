"""An app whose functions ask how many invocations one instance runs at once."""

from __future__ import annotations

from polyfn import App, Message, Request, Response

app = App("busy")
jobs = app.queue("jobs")


@app.get("/fast", concurrency=16)
def fast(req: Request) -> Response:
    return Response.json({"ok": True})


@app.get("/big", concurrency=40, memory=4096)
def big(req: Request) -> Response:
    return Response.json({"ok": True})


@app.get("/single")
def single(req: Request) -> Response:
    return Response.json({"ok": True})


@app.on_message(jobs, concurrency=4)
def work(msg: Message) -> None:
    print(msg.body)
