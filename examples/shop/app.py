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
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, TypedDict

from orders import add_orders

from polyfn import App, Check, HTTPError, Message, ObjectEvent, Request, Response, Schedule

app = App("shop")
# "by_email" answers GET /users?email=: a DynamoDB GSI, a Firestore field query, index
# entities polyfn keeps on Table Storage, an index of the local SQLite store.
users = app.table("users", key="id", indexes={"by_email": "email"})
uploads = app.bucket("uploads")
emails = app.queue("emails", max_receives=3)
outbox = app.table("outbox", key="id")  # what send_email delivered, for audits and tests
add_orders(app, emails)  # POST /orders, GET /orders/{id} and the order workflow

THUMBNAIL_SIZE = (128, 128)


# A name is not empty; an email address has an "@". Declared on the models, these are
# checked before a handler runs and shown to clients in the OpenAPI document.
Name = Annotated[str, Check(min_length=1, max_length=200)]
Email = Annotated[str, Check(pattern="@", max_length=320)]
PageSize = Annotated[int, Check(ge=1, le=100)]
EmailAddress = Annotated[str, Check(pattern="@")]


@dataclass
class NewUser:
    """A user to create."""

    name: Name
    email: Email


@dataclass
class UserChanges:
    """The fields of a user to change; those left out keep their value."""

    name: Name | None = None
    email: Email | None = None


class User(TypedDict):
    id: str
    name: str
    email: str
    created: str


class UserPage(TypedDict):
    users: list[User]
    cursor: str | None


def _given(fields: dict[str, str | None]) -> dict[str, str]:
    """The fields a client sent (the models checked them)."""
    return {field: value for field, value in fields.items() if value is not None}


@app.get(
    "/users",
    query={"limit": PageSize | None, "cursor": str | None, "email": EmailAddress | None},
    response=UserPage,
)
def list_users(req: Request) -> Response:
    """List users, a page at a time (``cursor`` from the previous page), or find them by
    email through the ``by_email`` index."""
    limit, cursor, email = req.params["limit"] or 50, req.params["cursor"], req.params["email"]
    try:
        if email is not None:
            page = users.query(email, index="by_email", limit=limit, cursor=cursor)
        else:
            page = users.scan(limit=limit, cursor=cursor)
    except ValueError:
        # A cursor comes from the client: one this listing never gave is the client's error.
        raise HTTPError(400, "cursor is not one a previous page gave") from None
    return Response.json({"users": page.items, "cursor": page.cursor})


@app.get("/users/{id}", response=User)
def get_user(req: Request) -> Response:
    """One user by id."""
    user = users.get(req.path_params["id"])
    if user is None:
        raise HTTPError(404, "User not found")
    return Response.json(user)


@app.post("/users", body=NewUser, responses={201: User})
def create_user(req: Request) -> Response:
    """Create a user and send the welcome email."""
    new: NewUser = req.model
    user = _given({"name": new.name, "email": new.email})
    user["id"] = uuid.uuid4().hex[:12]
    user["created"] = datetime.now(UTC).isoformat()
    users.put(user)
    emails.send({"to": user["email"], "template": "welcome", "user": user["id"]})
    return Response.json(user, 201, headers={"location": f"/users/{user['id']}"})


@app.put("/users/{id}", body=UserChanges, response=User)
def update_user(req: Request) -> Response:
    """Change a user's name or email."""
    changes: UserChanges = req.model
    fields = _given({"name": changes.name, "email": changes.email})
    try:
        user = users.update(req.path_params["id"], fields)
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
