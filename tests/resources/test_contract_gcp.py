"""What only the Pub/Sub and Firestore backends promise, on gcloud's emulators.

The shared contract (test_contract_queue.py, test_contract_table.py) runs on them too;
these are the Google-specific parts: idempotent topic creation, what Pub/Sub and
Firestore cannot hold (refused before anything is sent), Firestore's field paths, and
how a refusal by the service maps onto polyfn's errors.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import grpc
import pytest
from resource_harness import Harness

from polyfn.core.errors import CredentialsError, PayloadTooLarge, UnsupportedValue

pytestmark = pytest.mark.emulator


def test_ensure_queue_is_idempotent(gcp_harness: Harness) -> None:
    queue = gcp_harness.queue()

    gcp_harness.provider.ensure_queue(queue)  # the topic exists already: fine

    queue.send("after")
    assert [m.body for m in gcp_harness.receive(queue, 1)] == [b"after"]


def test_binary_bodies_and_attributes_are_pubsubs_own(gcp_harness: Harness) -> None:
    queue = gcp_harness.queue()

    message_id = queue.send(b"\x00binary\xff", attributes={"origin": "web", "trace-id": "abc"})

    [received] = gcp_harness.receive(queue, 1)
    assert received.body == b"\x00binary\xff"
    assert received.attributes == {"origin": "web", "trace-id": "abc"}
    assert received.raw.message.message_id == message_id


def test_what_pubsub_cannot_send_is_refused_and_nothing_is_published(
    gcp_harness: Harness,
) -> None:
    queue = gcp_harness.queue()
    for send in (
        lambda: queue.send("x", delay_seconds=5),
        lambda: queue.send("x", attributes={"goog-reserved": "v"}),
        lambda: queue.send("x", attributes={"timeout": "v"}),
        lambda: queue.send("x", attributes={"k": "v" * 1025}),
        lambda: queue.send(b""),
    ):
        with pytest.raises(UnsupportedValue) as caught:
            send()
        assert (caught.value.cloud, caught.value.resource) == ("gcp", queue.name)
    with pytest.raises(PayloadTooLarge):
        queue.send(b"x" * 10_000_001)
    with pytest.raises(PayloadTooLarge):
        queue.send_batch(["fits", b"x" * 10_000_001])

    assert gcp_harness.receive(queue, 1, timeout=1.0) == []


def test_update_treats_a_dotted_name_as_one_top_level_field(gcp_harness: Harness) -> None:
    table = gcp_harness.table()
    table.put({"id": "u1", "name": "Ada", "with": {"dot": "kept"}})

    updated = table.update("u1", {"with.dot": "x", "age": 36})

    expected = {"id": "u1", "name": "Ada", "with": {"dot": "kept"}, "with.dot": "x", "age": 36}
    assert updated == expected
    assert table.get("u1") == expected


def test_what_firestore_cannot_store_is_refused_and_nothing_is_written(
    gcp_harness: Harness,
) -> None:
    table = gcp_harness.table()
    for item in (
        {"id": "a", "grid": [[1, 2], [3, 4]]},
        {"id": "a", "big": 2**63},
        {"id": "a", "__name__": "x"},
        {"id": "a", "m": {"": 1}},
        {"id": "a/b"},
        {"id": "__a__"},
    ):
        with pytest.raises(UnsupportedValue) as caught:
            table.put(item)
        assert (caught.value.cloud, caught.value.kind) == ("gcp", "table")
    table.put({"id": "a", "grid": []})
    with pytest.raises(UnsupportedValue):
        table.update("a", {"grid": [[1]]})
    with pytest.raises(PayloadTooLarge):
        table.put({"id": "big", "blob": b"x" * 1_048_577})

    assert [item["id"] for item in table.scan()] == ["a"]
    assert table.get("a") == {"id": "a", "grid": []}
    assert table.get("a/b") is None  # no document can have that id: not even asked


def test_keys_sort_as_firestore_sorts_document_ids(gcp_harness: Harness) -> None:
    table = gcp_harness.table()
    keys = ["b", "a-2", "a-10", "A", "a", "ä"]
    for key in keys:
        table.put({"id": key})

    assert [item["id"] for item in table.query("a")] == ["a", "a-10", "a-2"]
    assert [item["id"] for item in table.scan()] == sorted(keys, key=str.encode)


# ----------------------------------------------------------------------------- refusals

# The emulators cannot refuse: they run without IAM (Pub/Sub says "IAM integration is
# disabled") and the Firestore emulator lets the server client library bypass security
# rules. So permission denied is shown by the one fake kept here, a gRPC server that
# answers every call with PERMISSION_DENIED, as Google does for a principal without the
# role; the real client libraries talk to it through their emulator variables.


@pytest.fixture
def refusing_server(gcp_harness: Harness, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    def refuse(request: bytes, context: grpc.ServicerContext) -> bytes:
        context.abort(grpc.StatusCode.PERMISSION_DENIED, "Missing or insufficient permissions.")
        raise AssertionError("abort raises")

    class Refuse(grpc.GenericRpcHandler):
        def service(self, details: Any) -> grpc.RpcMethodHandler:
            if details.method.endswith(("/BatchGetDocuments", "/RunQuery")):
                return grpc.unary_stream_rpc_method_handler(lambda r, c: iter([refuse(r, c)]))
            return grpc.unary_unary_rpc_method_handler(refuse)

    server = grpc.server(ThreadPoolExecutor(max_workers=2))
    server.add_generic_rpc_handlers((Refuse(),))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.stop(grace=None)


def test_permission_denied_is_credentials_error(
    gcp_harness: Harness, refusing_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    queue = gcp_harness.queue(create=False)
    table = gcp_harness.table()
    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", refusing_server)
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", refusing_server)

    for operation in (lambda: queue.send("x"), lambda: table.get("u1")):
        with pytest.raises(CredentialsError) as caught:
            operation()
        assert caught.value.cloud == "gcp"
        assert type(caught.value.__cause__).__name__ == "PermissionDenied"
