"""Firestore TTL for expiring items (issue 18): a table that holds @idempotent's records
writes each record's expiry a second time, as a Firestore timestamp, since a TTL policy
deletes by a timestamp field only; reads never show that field. On gcloud's emulator."""

from __future__ import annotations

from typing import Any

import pytest
from resource_harness import Harness

from polyfn.adapters.gcp.backends.table import EXPIRY_FIELD
from polyfn.core.errors import UnsupportedValue
from polyfn.core.events import Message
from polyfn.core.idempotency import idempotent

pytestmark = pytest.mark.emulator


def _raw(table: Any) -> list[dict[str, Any]]:
    """The stored documents, as Firestore holds them."""
    return [snapshot.to_dict() for snapshot in table.backend._collection.stream()]


def test_idempotency_records_carry_their_expiry_as_a_timestamp(gcp_harness: Harness) -> None:
    table = gcp_harness.table()

    @idempotent(table, expires_after=600)
    def charge(msg: Message) -> str:
        return "charged"

    assert charge(Message(id="m-1", body=b"{}", queue="orders")) == "charged"
    (record,) = table.scan(limit=10)
    assert record["status"] == "completed" and EXPIRY_FIELD not in record
    (stored,) = _raw(table)
    assert stored[EXPIRY_FIELD].timestamp() == record["expires"]  # a Timestamp, same instant

    table.update(record["id"], {"expires": record["expires"] + 60})
    (stored,) = _raw(table)
    assert stored[EXPIRY_FIELD].timestamp() == record["expires"] + 60
    assert EXPIRY_FIELD not in table.get(record["id"])

    with pytest.raises(UnsupportedValue, match=EXPIRY_FIELD):
        table.put({"id": "mine", EXPIRY_FIELD: 1})


def test_a_table_without_expiring_items_writes_no_timestamp(gcp_harness: Harness) -> None:
    table = gcp_harness.table()
    table.put({"id": "a", "expires": 1_900_000_000, EXPIRY_FIELD: "a field of the user's"})
    (stored,) = _raw(table)
    assert stored == {"id": "a", "expires": 1_900_000_000, EXPIRY_FIELD: "a field of the user's"}
    assert table.get("a") == stored
