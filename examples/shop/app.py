"""The shop: the example polyfn app.

A users API on a table, a thumbnail for every ``.jpg`` uploaded under ``uploads/``, an
email queue whose handler may fail (dead-lettered after three receives), a cleanup that
runs every five minutes, and orders that go through the article's workflow
(``orders.py``). Nothing here names a cloud: the same file runs on AWS,
Azure, Google Cloud and locally.
"""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from orders import add_orders

from polyfn import App, HTTPError, Message, ObjectEvent, Request, Response, Schedule

app = App("shop")
# "by_email" answers GET /users?email=: a DynamoDB GSI, a Firestore field query, index
# entities polyfn keeps on Table Storage, an index of the local SQLite store.
users = app.table("users", key="id", indexes={"by_email": "email"})
uploads = app.bucket("uploads")
emails = app.queue("emails", max_receives=3)
outbox = app.table("outbox", key="id")  # what send_email delivered, for audits and tests
add_orders(app, emails)  # POST /orders, GET /orders/{id} and the order workflow

THUMBNAIL_SIZE = (128, 128)
USER_FIELDS = ("name", "email")


def _validated(payload: Any, *, partial: bool = False) -> dict[str, str]:
    if not isinstance(payload, dict):
        raise HTTPError(400, "Expected a JSON object")
    unknown = set(payload) - set(USER_FIELDS)
    if unknown:
        raise HTTPError(400, f"Unknown field(s): {', '.join(sorted(unknown))}")
    user: dict[str, str] = {}
    for field in USER_FIELDS:
        value = payload.get(field)
        if value is None:
            if not partial:
                raise HTTPError(400, f"Field {field!r} is required")
            continue
        if not isinstance(value, str) or not value.strip():
            raise HTTPError(400, f"Field {field!r} must be a non-empty string")
        user[field] = value.strip()
    if "email" in user and "@" not in user["email"]:
        raise HTTPError(400, "Field 'email' must be an email address")
    return user


@app.get("/users")
def list_users(req: Request) -> Response:
    limit = req.query.get("limit", "50")
    if not limit.isdigit() or not 1 <= int(limit) <= 100:
        raise HTTPError(400, "limit must be a number from 1 to 100")
    email = req.query.get("email")
    if email is not None:
        if "@" not in email:
            raise HTTPError(400, "email must be an email address")
        # A bad or foreign cursor raises InvalidCursor, an HTTPError(400).
        page = users.query(
            email, index="by_email", limit=int(limit), cursor=req.query.get("cursor")
        )
    else:
        page = users.scan(limit=int(limit), cursor=req.query.get("cursor"))
    return Response.json({"users": page.items, "cursor": page.cursor})


@app.get("/users/{id}")
def get_user(req: Request) -> Response:
    user = users.get(req.path_params["id"])
    if user is None:
        raise HTTPError(404, "User not found")
    return Response.json(user)


@app.post("/users")
def create_user(req: Request) -> Response:
    user = _validated(req.json())
    user["id"] = uuid.uuid4().hex[:12]
    user["created"] = datetime.now(UTC).isoformat()
    users.put(user)
    emails.send({"to": user["email"], "template": "welcome", "user": user["id"]})
    return Response.json(user, 201, headers={"location": f"/users/{user['id']}"})


@app.put("/users/{id}")
def update_user(req: Request) -> Response:
    changes = _validated(req.json(), partial=True)
    try:
        user = users.update(req.path_params["id"], changes)
    except KeyError:
        raise HTTPError(404, "User not found") from None
    return Response.json(user)


@app.on_object_created(uploads, prefix="uploads/", suffix=".jpg", memory=1024, timeout=60)
def thumbnail(event: ObjectEvent) -> None:
    # Pillow is imported here, not at the top, so the HTTP functions never pay for it.
    from PIL import Image

    original = uploads.read(event.key)
    with Image.open(io.BytesIO(original)) as image:
        image.thumbnail(THUMBNAIL_SIZE)
        out = io.BytesIO()
        image.convert("RGB").save(out, "JPEG", quality=85)
    name = event.key.removeprefix("uploads/")
    uploads.write(f"thumbnails/{name}", out.getvalue(), "image/jpeg")


class DeliveryFailed(Exception):
    """The mail provider refused the message; raising makes the queue retry it."""


@app.on_message(emails, batch_size=10)
def send_email(msg: Message) -> None:
    email = msg.json()
    if not isinstance(email, dict) or "@" not in str(email.get("to", "")):
        # A malformed message will never succeed; failing it sends it to the dead-letter
        # queue after max_receives, where a person can look at it.
        raise DeliveryFailed(f"message {msg.id} has no valid recipient")
    sent = {"id": f"sent-{msg.id}", "to": email["to"], "template": email.get("template")}
    outbox.put(sent)


@app.schedule("rate(5 minutes)")
def cleanup(tick: Schedule) -> None:
    """Delete thumbnails older than a day whose upload is gone."""
    cutoff = (tick.datetime - timedelta(days=1)).isoformat()
    for info in uploads.iter("thumbnails/"):
        original = "uploads/" + info.key.removeprefix("thumbnails/")
        if info.modified and info.modified < cutoff and not uploads.exists(original):
            uploads.delete(info.key)
