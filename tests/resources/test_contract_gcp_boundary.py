"""Pub/Sub and Firestore backends at the client libraries' boundary.

No Pub/Sub or Firestore emulator runs in the test environment (both need Java), so the
real ``google.cloud.pubsub_v1.PublisherClient`` and ``firestore.Client`` are pointed (by
their emulator variables) at an in-test gRPC fake that records each request. The tests
assert the exact requests polyfn makes and that values survive the real client's
encoding both ways.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fake_google_server import FakeGoogle, start_fake_google

from polyfn import App
from polyfn.core.errors import (
    CredentialsError,
    PayloadTooLarge,
    ResourceNotFound,
    UnsupportedValue,
)
from polyfn.core.resources import Queue, Table, binding_variable

PROJECT = "polyfn-test"
DOCUMENTS = f"projects/{PROJECT}/databases/(default)/documents"


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGoogle]:
    server, fake = start_fake_google()
    for variable in ("STORAGE_EMULATOR_HOST", "GCLOUD_PROJECT"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", fake.address)
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", fake.address)
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", PROJECT)
    try:
        yield fake
    finally:
        server.stop(grace=None)


@pytest.fixture
def app(fake: FakeGoogle, monkeypatch: pytest.MonkeyPatch) -> App:
    from polyfn.adapters.gcp.backends import GcpBackends

    app = App("boundary")
    app.bind(GcpBackends())
    monkeypatch.setenv(binding_variable("queue", "orders"), "orders-topic")
    monkeypatch.setenv(binding_variable("table", "users"), "users-collection")
    return app


@pytest.fixture
def topic(app: App, fake: FakeGoogle) -> Queue:
    from polyfn.adapters.gcp.backends import GcpBackends

    queue = app.queue("orders")
    GcpBackends().ensure_queue(queue)
    return queue


@pytest.fixture
def users(app: App) -> Table:
    return app.table("users", key="id")


TOPIC = f"projects/{PROJECT}/topics/orders-topic"


# ----------------------------------------------------------------------------- Pub/Sub


def test_ensure_queue_creates_the_topic(topic: Queue, fake: FakeGoogle) -> None:
    [request] = fake.sent("CreateTopic")
    assert request.name == TOPIC
    from polyfn.adapters.gcp.backends import GcpBackends

    GcpBackends().ensure_queue(topic)  # already exists: fine
    assert len(fake.sent("CreateTopic")) == 2


def test_send_publishes_one_message_to_the_bound_topic(topic: Queue, fake: FakeGoogle) -> None:
    message_id = topic.send({"order": 42})

    [request] = fake.sent("Publish")
    assert request.topic == TOPIC
    [message] = request.messages
    assert message.data == b'{"order":42}'
    assert dict(message.attributes) == {}
    assert message.ordering_key == ""
    assert message_id.endswith(':{"order":42}')


def test_attributes_are_pubsub_attributes(topic: Queue, fake: FakeGoogle) -> None:
    topic.send(b"\x00binary\xff", attributes={"origin": "web", "trace-id": "abc"})

    [message] = fake.sent("Publish")[0].messages
    assert message.data == b"\x00binary\xff"
    assert dict(message.attributes) == {"origin": "web", "trace-id": "abc"}


def test_send_batch_publishes_each_message_once_and_returns_ids_in_order(
    topic: Queue, fake: FakeGoogle
) -> None:
    bodies: list[Any] = [f"m{n}" for n in range(25)]

    ids = topic.send_batch(bodies, attributes={"batch": "1"})

    published = [m for request in fake.sent("Publish") for m in request.messages]
    assert all(request.topic == TOPIC for request in fake.sent("Publish"))
    assert sorted(m.data.decode() for m in published) == sorted(bodies)
    assert all(dict(m.attributes) == {"batch": "1"} for m in published)
    assert [message_id.split(":", 1)[1] for message_id in ids] == bodies


def test_what_pubsub_cannot_send_fails_before_any_request(topic: Queue, fake: FakeGoogle) -> None:
    before = len(fake.requests)
    for send in (
        lambda: topic.send("x", delay_seconds=5),
        lambda: topic.send("x", attributes={"goog-reserved": "v"}),
        lambda: topic.send("x", attributes={"timeout": "v"}),
        lambda: topic.send("x", attributes={"k": "v" * 1025}),
        lambda: topic.send(b""),
    ):
        with pytest.raises(UnsupportedValue) as caught:
            send()
        assert (caught.value.cloud, caught.value.resource) == ("gcp", "orders")
    with pytest.raises(PayloadTooLarge):
        topic.send(b"x" * 10_000_001)
    assert len(fake.requests) == before


def test_a_missing_topic_is_resource_not_found(app: App, fake: FakeGoogle) -> None:
    queue = app.queue("orders")  # bound, but the topic was never created

    with pytest.raises(ResourceNotFound) as caught:
        queue.send("x")
    assert "orders-topic" in str(caught.value)
    assert type(caught.value.__cause__).__name__ == "NotFound"


# ----------------------------------------------------------------------------- Firestore

ITEM: dict[str, Any] = {
    "id": "u1",
    "name": "Ada",
    "age": 36,
    "score": 1.5,
    "admin": True,
    "nick": None,
    "avatar": b"\x89PNG",
    "tags": ["a", 1, None],
    "address": {"city": "London", "geo": {"lat": 51.5}},
}


def test_put_writes_the_whole_document_with_typed_values(users: Table, fake: FakeGoogle) -> None:
    users.put(ITEM)

    [commit] = fake.sent("Commit")
    [write] = commit.writes
    assert write.update.name == f"{DOCUMENTS}/users-collection/u1"
    assert "current_document" not in write and "update_mask" not in write
    fields = write.update.fields
    assert fields["id"].string_value == "u1"
    assert fields["age"].integer_value == 36
    assert fields["score"].double_value == 1.5
    assert fields["admin"].boolean_value is True
    assert "null_value" in fields["nick"]
    assert fields["avatar"].bytes_value == b"\x89PNG"
    assert [v.string_value or v.integer_value for v in fields["tags"].array_value.values[:2]] == [
        "a",
        1,
    ]
    assert fields["address"].map_value.fields["city"].string_value == "London"


def test_get_reads_one_document_and_values_round_trip(users: Table, fake: FakeGoogle) -> None:
    users.put(ITEM)

    assert users.get("u1") == ITEM
    assert type(users.get("u1")["age"]) is int  # type: ignore[index]
    assert users.get("nobody") is None
    requests = fake.sent("BatchGetDocuments")
    assert [list(r.documents) for r in requests] == [
        [f"{DOCUMENTS}/users-collection/u1"],
        [f"{DOCUMENTS}/users-collection/u1"],
        [f"{DOCUMENTS}/users-collection/nobody"],
    ]


def test_put_if_absent_is_a_create_with_a_must_not_exist_precondition(
    users: Table, fake: FakeGoogle
) -> None:
    assert users.put_if_absent({"id": "u1", "v": 1}) is True
    assert users.put_if_absent({"id": "u1", "v": 2}) is False

    commits = fake.sent("Commit")
    assert [c.writes[0].current_document.exists for c in commits] == [False, False]
    assert users.get("u1") == {"id": "u1", "v": 1}


def test_update_sets_top_level_fields_of_an_existing_document(
    users: Table, fake: FakeGoogle
) -> None:
    users.put({"id": "u1", "name": "Ada", "address": {"city": "London"}})

    updated = users.update("u1", {"age": 36, "with.dot": "x", "address": {"zip": "N1"}})

    expected = {"id": "u1", "name": "Ada", "age": 36, "with.dot": "x", "address": {"zip": "N1"}}
    assert updated == expected
    write = fake.sent("Commit")[-1].writes[0]
    assert write.current_document.exists is True
    assert sorted(write.update_mask.field_paths) == sorted(["address", "age", "`with.dot`"])
    assert users.get("u1") == expected


def test_update_of_a_missing_document_is_key_error(users: Table, fake: FakeGoogle) -> None:
    with pytest.raises(KeyError):
        users.update("ghost", {"x": 1})
    assert users.get("ghost") is None


def test_delete_is_a_delete_write(users: Table, fake: FakeGoogle) -> None:
    users.put({"id": "u1"})

    users.delete("u1")
    users.delete("never-was")

    deletes = [c.writes[0].delete for c in fake.sent("Commit")[1:]]
    assert deletes == [
        f"{DOCUMENTS}/users-collection/u1",
        f"{DOCUMENTS}/users-collection/never-was",
    ]
    assert users.get("u1") is None


def _fill(users: Table) -> list[str]:
    keys = [f"user-{n:02d}" for n in range(8)]
    for key in [*reversed(keys), "order-1", "zeta"]:
        users.put({"id": key})
    return keys


def test_query_by_prefix_is_an_id_range_one_page_per_request(
    users: Table, fake: FakeGoogle
) -> None:
    keys = _fill(users)

    pages = []
    cursor = None
    while True:
        page = users.query("user-", limit=3, cursor=cursor)
        pages.append([item["id"] for item in page])
        if page.cursor is None:
            break
        cursor = page.cursor

    assert pages == [keys[0:3], keys[3:6], keys[6:8]]
    first, second, _ = fake.sent("RunQuery")
    query = first.structured_query
    assert first.parent == DOCUMENTS
    assert query.from_[0].collection_id == "users-collection"
    assert query.where.field_filter.field.field_path == "__name__"
    assert query.where.field_filter.op.name == "GREATER_THAN_OR_EQUAL"
    assert query.where.field_filter.value.reference_value == f"{DOCUMENTS}/users-collection/user-"
    assert [(o.field.field_path, o.direction.name) for o in query.order_by] == [
        ("__name__", "ASCENDING")
    ]
    assert query.limit == 4
    assert "start_at" not in query
    cursor_value = second.structured_query.start_at
    assert cursor_value.before is False
    assert cursor_value.values[0].reference_value == f"{DOCUMENTS}/users-collection/user-02"


def test_scan_pages_through_every_document(users: Table, fake: FakeGoogle) -> None:
    keys = _fill(users)

    first = users.scan(limit=6)
    second = users.scan(limit=6, cursor=first.cursor)

    assert [i["id"] for i in first] + [i["id"] for i in second] == ["order-1", *keys, "zeta"]
    assert second.cursor is None
    assert "where" not in fake.sent("RunQuery")[0].structured_query


def test_what_firestore_cannot_store_fails_before_any_request(
    users: Table, fake: FakeGoogle
) -> None:
    for item in (
        {"id": "a", "grid": [[1, 2], [3, 4]]},
        {"id": "a", "big": 2**63},
        {"id": "a", "__name__": "x"},
        {"id": "a", "m": {"": 1}},
        {"id": "a/b"},
        {"id": "a", "when": object()},
    ):
        with pytest.raises(UnsupportedValue) as caught:
            users.put(item)
        assert (caught.value.cloud, caught.value.kind) == ("gcp", "table")
    with pytest.raises(UnsupportedValue):
        users.update("a", {"grid": [[1]]})
    with pytest.raises(PayloadTooLarge):
        users.put({"id": "big", "blob": b"x" * 1_048_577})
    assert fake.sent("Commit") == []
    assert users.get("a/b") is None


def test_permission_denied_is_credentials_error(users: Table, fake: FakeGoogle) -> None:
    fake.forbidden_prefixes.append("users-collection")

    with pytest.raises(CredentialsError) as caught:
        users.get("u1")
    assert type(caught.value.__cause__).__name__ == "PermissionDenied"
