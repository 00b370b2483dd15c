"""The shop's own tests: every handler, through the native events of every runtime.

Each test marked ``@all_runtimes`` runs four times, as an AWS Lambda, an Azure Function,
a Google Cloud Function and on the local runtime. The app's table, bucket and queue are
the local backends in a fresh data directory per test, whichever runtime runs the code.
"""

from __future__ import annotations

import io
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from polyfn import App
from polyfn.loading import load_app
from polyfn.testing import all_runtimes
from polyfn.testing.client import Client
from polyfn.testing.responses import assert_declared_response

ClientFactory = Callable[[App], Client]

# The same loader as `polyfn run examples/shop`, so the test sees the app the CLI serves.
shop = load_app(str(Path(__file__).resolve().parents[1]))


def jpeg(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


@all_runtimes
def test_create_then_read_a_user(polyfn_client: ClientFactory) -> None:
    client = polyfn_client(shop)
    created = client.post("/users", json={"name": "Ada", "email": "ada@example.com"})
    assert created.status == 201
    assert_declared_response(shop, "POST", "/users", created)
    user = created.json()
    assert created.headers["location"] == f"/users/{user['id']}"

    fetched = client.get(f"/users/{user['id']}")
    assert fetched.status == 200
    assert_declared_response(shop, "GET", f"/users/{user['id']}", fetched)
    assert fetched.json() == user


@all_runtimes
def test_update_and_list_users(polyfn_client: ClientFactory) -> None:
    client = polyfn_client(shop)
    user = client.post("/users", json={"name": "Ada", "email": "ada@example.com"}).json()
    updated = client.put(f"/users/{user['id']}", json={"name": "Ada Lovelace"})
    assert updated.status == 200
    assert updated.json()["name"] == "Ada Lovelace"
    assert updated.json()["email"] == "ada@example.com"

    listing = client.get("/users", query={"limit": "10"})
    assert listing.status == 200
    assert_declared_response(shop, "GET", "/users", listing)
    assert [u["id"] for u in listing.json()["users"]] == [user["id"]]


@all_runtimes
def test_find_users_by_email_through_the_index(polyfn_client: ClientFactory) -> None:
    client = polyfn_client(shop)
    ada = [
        client.post("/users", json={"name": f"Ada {n}", "email": "ada@example.com"}).json()
        for n in range(3)
    ]
    client.post("/users", json={"name": "Bob", "email": "bob@example.com"})

    first = client.get("/users", query={"email": "ada@example.com", "limit": "2"}).json()
    second = client.get(
        "/users", query={"email": "ada@example.com", "limit": "2", "cursor": first["cursor"]}
    ).json()
    foreign = client.get("/users", query={"email": "bob@example.com", "cursor": first["cursor"]})

    assert sorted(u["id"] for u in first["users"] + second["users"]) == sorted(u["id"] for u in ada)
    assert second["cursor"] is None
    assert foreign.status == 400  # a cursor of another listing, not a listing from elsewhere
    assert client.get("/users", query={"email": "nobody@example.com"}).json()["users"] == []


@all_runtimes
@pytest.mark.parametrize(
    ("method", "path", "payload", "status"),
    [
        ("GET", "/users/nobody", None, 404),
        ("PUT", "/users/nobody", {"name": "X"}, 404),
        ("POST", "/users", {"name": "Ada"}, 422),
        ("POST", "/users", {"name": "Ada", "email": "not-an-address"}, 422),
        ("POST", "/users", {"name": "Ada", "email": "a@b.c", "admin": True}, 422),
        ("POST", "/users", {"name": "", "email": "a@b.c"}, 422),
        ("GET", "/users?cursor=forged", None, 400),
        ("PUT", "/users/1", {"name": 7}, 422),
        ("GET", "/users?limit=500", None, 400),
        ("GET", "/users?limit=ten", None, 400),
        ("DELETE", "/users/1", None, 405),
    ],
)
def test_bad_requests_get_clear_answers(
    polyfn_client: ClientFactory, method: str, path: str, payload: object, status: int
) -> None:
    response = polyfn_client(shop).request(method, path, json=payload)
    assert response.status == status
    assert_declared_response(shop, method, path, response)
    assert response.json()["error"]["status"] == status


@all_runtimes
def test_a_body_that_does_not_fit_the_model_lists_every_field_error(
    polyfn_client: ClientFactory,
) -> None:
    response = polyfn_client(shop).post("/users", json={"name": 1, "admin": True})
    assert response.status == 422
    assert response.json()["error"]["errors"] == [
        {
            "location": ["body", "name"],
            "type": "type",
            "message": "expected a string, got a number",
        },
        {"location": ["body", "email"], "type": "missing", "message": "field required"},
        {"location": ["body", "admin"], "type": "extra", "message": "unknown field"},
    ]


@all_runtimes
def test_malformed_json_is_a_400_not_a_crash(polyfn_client: ClientFactory) -> None:
    response = polyfn_client(shop).post(
        "/users", body=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status == 400


@all_runtimes
def test_a_jpg_upload_gets_a_thumbnail(polyfn_client: ClientFactory) -> None:
    client = polyfn_client(shop)
    client.upload("uploads", "uploads/holiday photo.jpg", jpeg(640, 480), "image/jpeg")

    thumbnail = shop.buckets["uploads"].read("thumbnails/holiday photo.jpg")
    with Image.open(io.BytesIO(thumbnail)) as image:
        assert image.format == "JPEG"
        assert max(image.size) == 128
        assert image.size == (128, 96)  # the aspect ratio is kept


@all_runtimes
def test_other_uploads_get_no_thumbnail(polyfn_client: ClientFactory) -> None:
    client = polyfn_client(shop)
    client.upload("uploads", "uploads/notes.txt", b"hello", "text/plain")
    client.upload("uploads", "elsewhere/photo.jpg", jpeg(10, 10), "image/jpeg")
    assert [info.key for info in shop.buckets["uploads"].iter("thumbnails/")] == []


@all_runtimes
def test_only_the_bad_emails_are_retried(polyfn_client: ClientFactory) -> None:
    client = polyfn_client(shop)
    failed = client.send(
        "emails",
        {"to": "ada@example.com", "template": "welcome"},
        {"to": "nobody", "template": "welcome"},
        b"{not json",
        {"to": "grace@example.com", "template": "receipt"},
    )
    assert failed == [1, 2]
    sent = shop.tables["outbox"].scan().items
    assert sorted((mail["to"], mail["template"]) for mail in sent) == [
        ("ada@example.com", "welcome"),
        ("grace@example.com", "receipt"),
    ]


def _age(data_dir: Path, key: str, days: float) -> None:
    """Backdate an object of the local uploads bucket: its files' mtime is its age."""
    path = data_dir / "shop" / "buckets" / "uploads" / key
    then = time.time() - days * 86400
    os.utime(path, (then, then))


@all_runtimes
def test_cleanup_removes_old_orphaned_thumbnails_only(
    polyfn_client: ClientFactory, polyfn_data_dir: Path
) -> None:
    client = polyfn_client(shop)
    uploads = shop.buckets["uploads"]
    for name in ("orphan.jpg", "kept.jpg", "fresh.jpg"):
        uploads.write(f"thumbnails/{name}", jpeg(4, 4), "image/jpeg")
    uploads.write("uploads/kept.jpg", jpeg(4, 4), "image/jpeg")
    _age(polyfn_data_dir, "thumbnails/orphan.jpg", days=2)
    _age(polyfn_data_dir, "thumbnails/kept.jpg", days=2)

    client.fire("cleanup")

    # Old and without its upload: gone. Old with its upload, or fresh: kept.
    remaining = sorted(info.key for info in uploads.iter("thumbnails/"))
    assert remaining == ["thumbnails/fresh.jpg", "thumbnails/kept.jpg"]


def test_each_test_starts_with_empty_data(polyfn_client: ClientFactory) -> None:
    client = polyfn_client(shop)  # the local runtime: the test is not marked
    assert client.runtime == "local"
    assert client.get("/users").json()["users"] == []


def _finished(execution_id: str) -> str:
    """The execution's status once it has ended (it runs on a thread of the local executor)."""
    deadline = time.monotonic() + 60  # generous: a loaded CI machine may be slow
    while True:
        status = shop.workflows["order"].execution(execution_id).status
        if status != "running" or time.monotonic() > deadline:
            return status
        time.sleep(0.05)


@all_runtimes
@pytest.mark.parametrize(
    ("stock", "card", "status"),
    [
        (5, "ok", "fulfilled"),
        (0, "ok", "out_of_stock"),
        (5, "declined", "payment_failed"),
    ],
)
def test_an_order_goes_through_the_workflow(
    polyfn_client: ClientFactory, stock: int, card: str, status: str
) -> None:
    client = polyfn_client(shop)
    shop.tables["stock"].put({"sku": "mug", "available": stock})
    placed = client.post(
        "/orders",
        json={"items": [{"sku": "mug", "qty": 2}], "card": card, "email": "ada@example.com"},
    )
    assert placed.status == 202
    order_id = placed.json()["id"]
    assert placed.json()["execution"] == f"order-{order_id}"
    assert _finished(f"order-{order_id}") == "succeeded"
    order = client.get(f"/orders/{order_id}").json()
    assert order["status"] == status
    execution = shop.workflows["order"].execution(f"order-{order_id}")
    if status == "fulfilled":
        assert order["total"] == 20
        assert execution.summary["path"] == [
            "validate_order",
            "check_inventory",
            "charge_payment",
            "fulfill_order",
        ]
    else:
        # The customer is told: an email waits on the queue for send_email.
        assert order["reason"]
        assert execution.summary["path"][-1] == f"notify_{status}"


@all_runtimes
def test_an_order_without_items_is_a_400_and_an_unknown_one_a_404(
    polyfn_client: ClientFactory,
) -> None:
    client = polyfn_client(shop)
    assert client.post("/orders", json={"card": "ok"}).status == 400
    assert client.get("/orders/nope").status == 404
