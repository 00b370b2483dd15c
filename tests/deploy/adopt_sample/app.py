"""An app migrating next to data that exists: at stage ``prod`` it adopts an existing
bucket, queue, table and event bus on each cloud; at ``dev`` it creates its own. The
``images`` bucket is always the app's own (its object trigger subscribes it)."""

from __future__ import annotations

from polyfn import App, Event, Message, ObjectEvent, Request, Response

app = App("legacy")
uploads = app.bucket(
    "uploads",
    existing={"prod": {"aws": "acme-uploads", "azure": "acmedata/uploads", "gcp": "acme-uploads"}},
)
images = app.bucket("images")
jobs = app.queue(
    "jobs",
    max_receives=4,
    existing={
        "prod": {
            "aws": "arn:aws:sqs:eu-central-1:123456789012:acme-jobs",
            "azure": "acmedata/acme-jobs",
            "gcp": "acme-jobs",
        }
    },
)
users = app.table(
    "users",
    indexes={"by_email": "email"},
    existing={
        "prod": {
            "aws": "arn:aws:dynamodb:eu-central-1:123456789012:table/acme-users",
            "azure": "acmedata/acmeusers",
            "gcp": "acme-users",
        }
    },
)
orders = app.event_bus(
    "orders",
    existing={"prod": {"aws": "acme-orders", "azure": "acme-orders", "gcp": "acme-orders"}},
)


@app.get("/users/{id}")
def get_user(req: Request) -> Response:
    user = users.get(req.path_params["id"])
    return Response.json(user or {}, 200 if user else 404)


@app.get("/users")
def by_email(req: Request) -> Response:
    page = users.query(req.query.get("email", ""), index="by_email")
    return Response.json([dict(item) for item in page])


@app.post("/uploads/{key}")
def upload(req: Request) -> Response:
    uploads.write(req.path_params["key"], req.body)
    jobs.send({"key": req.path_params["key"]})
    return Response.json({"ok": True}, 202)


@app.on_message(jobs)
def work(msg: Message) -> None:
    data = uploads.read(msg.json()["key"])
    orders.publish(source="legacy.jobs", type="JobDone", data={"size": len(data)})


@app.on_event(bus=orders, source="legacy.jobs", type="JobDone")
def job_done(event: Event) -> None:
    print(event.data)


@app.on_object_created(images, suffix=".jpg")
def thumbnail(event: ObjectEvent) -> None:
    print(event.key)


@app.on_object_created(uploads, prefix="in/", suffix=".csv")
def imported(event: ObjectEvent) -> None:
    print(event.key)
