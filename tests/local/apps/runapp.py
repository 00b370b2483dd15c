"""The small app the ``polyfn run`` process tests serve. Every handler records what it saw
in the ``seen`` table, which the test reads back from the same data directory."""

from __future__ import annotations

import time
import uuid

from polyfn import App, HTTPError, Message, ObjectEvent, Request, Response, Schedule

app = App("runapp")
notes = app.table("notes")
seen = app.table("seen")
drops = app.bucket("drops")
jobs = app.queue("jobs", max_receives=3)


@app.post("/notes")
def create_note(req: Request) -> Response:
    note = req.json()
    if not isinstance(note, dict) or not isinstance(note.get("id"), str):
        raise HTTPError(400, "a note needs a string id")
    notes.put(note)
    return Response.json(note, 201)


@app.get("/notes/{id}")
def get_note(req: Request) -> Response:
    note = notes.get(req.path_params["id"])
    if note is None:
        raise HTTPError(404, "no such note")
    return Response.json(note)


@app.get("/slow")
def slow(req: Request) -> Response:
    seconds = float(req.query.get("seconds", "1"))
    time.sleep(seconds)
    return Response.json({"slept": seconds})


@app.on_object_created(drops, suffix=".txt")
def on_drop(event: ObjectEvent) -> None:
    seen.put({"id": f"object-{event.key}", "size": event.size, "bucket": event.bucket})


@app.on_message(jobs, batch_size=5)
def work(message: Message) -> None:
    job = message.json()
    time.sleep(job.get("sleep", 0))
    if job.get("fail"):
        raise RuntimeError(f"job {job['n']} always fails")
    seen.put(
        {
            "id": f"msg-{job['n']:03d}-{uuid.uuid4().hex[:8]}",
            "n": job["n"],
            "receive_count": message.receive_count,
        }
    )


@app.schedule("rate(1 day)")
def daily(tick: Schedule) -> None:
    seen.put({"id": "tick-daily", "time": tick.time, "name": tick.name})
