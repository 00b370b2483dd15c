"""The table port's contract on every backend (local, DynamoDB on moto, Table Storage on
Azurite, Firestore on gcloud's emulator)."""

from __future__ import annotations

from typing import Any

import pytest
from resource_harness import Harness

from polyfn.core.errors import UnsupportedValue
from polyfn.core.resources import Table

pytestmark = [
    pytest.mark.emulator,
    pytest.mark.parametrize("harness", ["local", "aws", "azure", "gcp"], indirect=True),
]

# Every kind of value the port promises to round-trip, nested too.
VALUES: dict[str, Any] = {
    "text": "héllo, wörld ✓",
    "empty_text": "",
    "small": 1,
    "negative": -42,
    "zero": 0,
    "large": 2**53 + 1,
    "int64": -(2**63),
    "ratio": 1.5,
    "tiny": 1e-7,
    "negative_float": -0.25,
    "yes": True,
    "no": False,
    "nothing": None,
    "raw": b"\x00\x01\xfe\xff",
    "empty_list": [],
    "mixed": [1, "two", 3.5, None, True, b"\x01", {"k": "v"}, [1, [2]]],
    "mapping": {"nested": {"deep": [1, 2, {"x": None}]}, "bytes": b"\xff", "f": 2.5},
    "empty_map": {},
    "with-dash": "names that are not identifiers",
    "polyfn_json": "a name polyfn itself uses on Azure",
}


def _all_pages(fetch: Any) -> list[list[dict[str, Any]]]:
    pages = []
    cursor = None
    while True:
        page = fetch(cursor)
        pages.append(list(page))
        if page.cursor is None:
            return pages
        cursor = page.cursor


def _values(cloud: str) -> dict[str, Any]:
    if cloud != "gcp":
        return VALUES
    # Firestore cannot hold a list directly inside a list (the backend refuses it at write
    # time: test_contract_gcp.py); everything else round-trips.
    return {**VALUES, "mixed": VALUES["mixed"][:-1]}


def test_put_then_get_round_trips_every_value_type(harness: Harness) -> None:
    table = harness.table()
    values = _values(harness.cloud)
    item = {"id": "u1", **values}

    table.put(item)
    stored = table.get("u1")

    assert stored == item
    for name, value in values.items():
        assert type(stored[name]) is type(value), name  # type: ignore[index]
    assert type(stored["mapping"]["f"]) is float  # type: ignore[index]


def test_get_of_a_missing_key_is_none(harness: Harness) -> None:
    table = harness.table()

    assert table.get("nobody") is None


def test_put_replaces_the_whole_item(harness: Harness) -> None:
    table = harness.table()
    table.put({"id": "u1", "name": "Ada", "age": 36})

    table.put({"id": "u1", "name": "Grace"})

    assert table.get("u1") == {"id": "u1", "name": "Grace"}


def test_put_if_absent_writes_once(harness: Harness) -> None:
    table = harness.table()

    assert table.put_if_absent({"id": "u1", "v": 1}) is True
    assert table.put_if_absent({"id": "u1", "v": 2}) is False
    assert table.get("u1") == {"id": "u1", "v": 1}


def test_update_merges_and_returns_the_new_item(harness: Harness) -> None:
    table = harness.table()
    table.put({"id": "u1", "name": "Ada", "tags": ["a"], "address": {"city": "London"}})

    updated = table.update(
        "u1", {"tags": ["a", "b"], "age": 36, "address": {"zip": "N1"}, "nick": None}
    )

    expected = {
        "id": "u1",
        "name": "Ada",
        "tags": ["a", "b"],
        "age": 36,
        "address": {"zip": "N1"},  # a top-level attribute is replaced, not deep-merged
        "nick": None,
    }
    assert updated == expected
    assert table.get("u1") == expected


def test_update_of_a_missing_item_is_key_error_and_creates_nothing(harness: Harness) -> None:
    table = harness.table()

    with pytest.raises(KeyError):
        table.update("ghost", {"x": 1})
    assert table.get("ghost") is None


def test_delete_removes_and_deleting_a_missing_key_is_fine(harness: Harness) -> None:
    table = harness.table()
    table.put({"id": "u1"})

    table.delete("u1")
    table.delete("u1")
    table.delete("never-was")

    assert table.get("u1") is None


def test_a_custom_key_attribute(harness: Harness) -> None:
    table = harness.table(key="sku")

    table.put({"sku": "A-1", "price": 10})
    table.update("A-1", {"price": 12})

    assert table.get("A-1") == {"sku": "A-1", "price": 12}
    assert [item["sku"] for item in table.query("A-")] == ["A-1"]


def _fill(table: Table) -> list[str]:
    users = [f"user-{n:02d}" for n in range(23)]
    for key in [*reversed(users), "order-01", "order-02", "useless", "zeta"]:
        table.put({"id": key, "n": len(key)})
    return users


def test_query_by_prefix_in_key_order_across_pages(harness: Harness) -> None:
    table = harness.table()
    users = _fill(table)

    pages = _all_pages(lambda cursor: table.query("user-", limit=7, cursor=cursor))

    assert all(len(page) <= 7 for page in pages)
    assert len(pages) >= 4
    assert [item["id"] for page in pages for item in page] == users
    assert pages[0][0] == {"id": "user-00", "n": 7}


def test_query_without_prefix_and_with_no_match(harness: Harness) -> None:
    table = harness.table()
    users = _fill(table)

    everything = [item["id"] for item in table.query(limit=1000)]

    assert everything == sorted([*users, "order-01", "order-02", "useless", "zeta"])
    assert list(table.query("nobody-")) == []


def test_scan_visits_every_item_once_across_pages(harness: Harness) -> None:
    table = harness.table()
    users = _fill(table)

    pages = _all_pages(lambda cursor: table.scan(limit=10, cursor=cursor))

    keys = [item["id"] for page in pages for item in page]
    assert all(len(page) <= 10 for page in pages)
    assert len(keys) == len(set(keys))
    assert set(keys) == {*users, "order-01", "order-02", "useless", "zeta"}


def test_what_a_table_cannot_store_is_unsupported_at_write_time(harness: Harness) -> None:
    table = harness.table()

    with pytest.raises(UnsupportedValue) as caught:
        table.put({"id": "u1", "when": object()})
    assert caught.value.resource == table.name
    with pytest.raises(UnsupportedValue):
        table.put({"id": "u2", "nested": {1: "non-string map key"}})
    assert table.get("u1") is None and table.get("u2") is None
