"""Sort keys, secondary indexes, queries with sort conditions, cursors, conditional and
batch writes: one contract on every backend (local SQLite, DynamoDB on moto, Table
Storage on Azurite, Firestore on gcloud's emulator)."""

from __future__ import annotations

from typing import Any

import pytest
from resource_harness import Harness

from polyfn.core.errors import ConditionFailed, PayloadTooLarge
from polyfn.core.http import HTTPError
from polyfn.core.resources import Page, Table
from polyfn.core.table_conditions import If, UnsupportedCondition
from polyfn.core.table_cursors import InvalidCursor
from polyfn.core.table_keys import InvalidKey, Sort
from polyfn.core.table_transactions import Tx, UnsupportedTransaction

pytestmark = [
    pytest.mark.emulator,
    pytest.mark.parametrize("harness", ["local", "aws", "azure", "gcp"], indirect=True),
]

INDEXES = {"by_email": "email", "by_status": ("status", "created")}


def _orders(harness: Harness) -> Table:
    return harness.table(key="customer", sort="created", indexes=INDEXES)


def _all(fetch: Any) -> tuple[list[Page[dict[str, Any]]], list[dict[str, Any]]]:
    pages = []
    cursor = None
    while True:
        page = fetch(cursor)
        pages.append(page)
        if page.cursor is None:
            return pages, [item for p in pages for item in p]
        cursor = page.cursor


def _fill(table: Table) -> None:
    statuses = ["open", "paid", "open", "shipped", "paid", "open"]
    table.batch_write(
        [
            {
                "customer": customer,
                "created": f"2026-12-{day:02d}",
                "status": statuses[day % len(statuses)],
                "total": day,
                **({"email": f"{customer}@example.com"} if day == 1 else {}),
            }
            for customer in ("ada", "bob", "ada-2")
            for day in range(1, 13)
        ]
    )


def test_an_item_is_named_by_both_parts_of_its_key(harness: Harness) -> None:
    table = _orders(harness)
    table.put({"customer": "ada", "created": "2026-12-01", "total": 3})
    table.put({"customer": "ada", "created": "2026-12-02", "total": 4})

    assert table.get("ada", "2026-12-01") == {
        "customer": "ada",
        "created": "2026-12-01",
        "total": 3,
    }
    assert table.get("ada", "2026-12-03") is None
    assert table.update("ada", {"total": 5}, sort="2026-12-02")["total"] == 5
    table.delete("ada", "2026-12-01")
    assert table.get("ada", "2026-12-01") is None
    assert table.get("ada", "2026-12-02") == {
        "customer": "ada",
        "created": "2026-12-02",
        "total": 5,
    }
    with pytest.raises(InvalidKey, match="both parts"):
        table.get("ada")


@pytest.mark.parametrize(
    ("condition", "days"),
    [
        (None, list(range(1, 13))),
        (Sort.equals("2026-12-05"), [5]),
        (Sort.begins_with("2026-12-1"), [10, 11, 12]),
        (Sort.between("2026-12-03", "2026-12-05"), [3, 4, 5]),
        (Sort.lt("2026-12-03"), [1, 2]),
        (Sort.le("2026-12-03"), [1, 2, 3]),
        (Sort.gt("2026-12-10"), [11, 12]),
        (Sort.ge("2026-12-10"), [10, 11, 12]),
    ],
)
def test_query_a_partition_with_each_sort_condition(
    harness: Harness, condition: Any, days: list[int]
) -> None:
    table = _orders(harness)
    _fill(table)

    _, items = _all(lambda cursor: table.query("ada", condition, limit=5, cursor=cursor))
    _, backwards = _all(
        lambda cursor: table.query("ada", condition, limit=2, cursor=cursor, descending=True)
    )

    assert [item["total"] for item in items] == days
    assert {item["customer"] for item in items} <= {"ada"}  # not "ada-2": no key prefix
    assert [item["total"] for item in backwards] == list(reversed(days))


def test_pages_respect_the_limit_and_end_with_no_cursor(harness: Harness) -> None:
    table = _orders(harness)
    _fill(table)

    pages, items = _all(lambda cursor: table.query("bob", limit=5, cursor=cursor))

    assert [len(page) for page in pages] == [5, 5, 2]
    assert len({item["created"] for item in items}) == 12


def test_query_an_index_with_and_without_a_sort_key(harness: Harness) -> None:
    table = _orders(harness)
    _fill(table)

    by_email = list(table.query("bob@example.com", index="by_email"))
    _, open_orders = _all(
        lambda cursor: table.query(
            "open", Sort.ge("2026-12-06"), index="by_status", limit=2, cursor=cursor
        )
    )
    _, newest_first = _all(
        lambda cursor: table.query(
            "paid", index="by_status", limit=4, cursor=cursor, descending=True
        )
    )

    assert by_email == [
        {
            "customer": "bob",
            "created": "2026-12-01",
            "status": "paid",
            "total": 1,
            "email": "bob@example.com",
        }
    ]
    # In sort-key order; items with the same index key come in no promised order
    # (DynamoDB does not order them).
    created = [i["created"] for i in open_orders]
    assert created == sorted(created)
    assert sorted((i["created"], i["customer"]) for i in open_orders) == [
        (f"2026-12-{day:02d}", customer)
        for day in (6, 8, 11, 12)
        for customer in sorted(["ada", "bob", "ada-2"])
    ]
    created = [i["created"] for i in newest_first]
    assert created == sorted(created, reverse=True) and len(created) == 12
    assert {i["status"] for i in newest_first} == {"paid"}


def test_an_index_follows_puts_updates_and_deletes(harness: Harness) -> None:
    table = harness.table(indexes={"by_email": "email"})
    table.put({"id": "u1", "email": "a@example.com"})
    table.put({"id": "u2", "email": "a@example.com"})
    table.put({"id": "u3"})  # no email: not in the index

    table.update("u1", {"email": "b@example.com"})
    table.delete("u2")

    assert list(table.query("a@example.com", index="by_email")) == []
    assert list(table.query("b@example.com", index="by_email")) == [
        {"id": "u1", "email": "b@example.com"}
    ]
    table.put({"id": "u1", "name": "Ada"})  # the email is gone: so is the index entry
    assert list(table.query("b@example.com", index="by_email")) == []


def test_a_tampered_or_foreign_cursor_is_a_400_not_another_listing(harness: Harness) -> None:
    table = _orders(harness)
    other = _orders(harness)
    _fill(table)
    _fill(other)
    cursor = table.query("ada", limit=2).cursor
    assert cursor is not None
    body, _, mac = cursor.rpartition(".")

    tampered = [
        body[:-2] + ("AA" if body[-2:] != "AA" else "BB") + "." + mac,
        cursor + "x",
        "c1.." + mac,
        "garbage",
    ]
    for bad in tampered:
        with pytest.raises(InvalidCursor) as caught:
            table.query("ada", limit=2, cursor=bad)
        assert isinstance(caught.value, HTTPError) and caught.value.status == 400
    for foreign in (
        lambda: other.query("ada", limit=2, cursor=cursor),  # another table
        lambda: table.query("bob", limit=2, cursor=cursor),  # another partition
        lambda: table.query("ada", limit=2, cursor=cursor, descending=True),
        lambda: table.query("open", index="by_status", limit=2, cursor=cursor),
        lambda: table.scan(limit=2, cursor=cursor),
    ):
        with pytest.raises(InvalidCursor):
            foreign()
    assert len(table.query("ada", limit=2, cursor=cursor)) == 2  # the real one still works


def test_conditional_writes(harness: Harness) -> None:
    table = harness.table()

    table.put({"id": "u1", "version": 1, "status": "new"}, condition=If.absent())
    with pytest.raises(ConditionFailed):
        table.put({"id": "u1", "version": 9}, condition=If.absent())
    table.put({"id": "u1", "version": 2, "status": "new"}, condition=If.version("version", 1))
    with pytest.raises(ConditionFailed):  # a stale writer loses
        table.put({"id": "u1", "version": 2, "status": "lost"}, condition=If.version("version", 1))
    with pytest.raises(ConditionFailed):
        table.put({"id": "u9"}, condition=If.present())
    with pytest.raises(ConditionFailed):
        table.update("u1", {"status": "x"}, condition=If.equals("status", "paid"))
    updated = table.update(
        "u1", {"status": "paid"}, condition=If.equals("status", "new") & If.not_exists("owner")
    )
    with pytest.raises(ConditionFailed):
        table.delete("u1", condition=If.exists("owner"))

    assert updated == {"id": "u1", "version": 2, "status": "paid"}
    assert table.get("u1") == updated
    assert table.get("u9") is None
    table.delete("u1", condition=If.equals("version", 2) & If.present())
    assert table.get("u1") is None


def test_a_version_condition_on_a_new_item(harness: Harness) -> None:
    table = harness.table()

    table.put({"id": "u1", "version": 1}, condition=If.version("version", None))
    with pytest.raises(ConditionFailed):
        table.put({"id": "u1", "version": 1}, condition=If.version("version", None))
    with pytest.raises(ConditionFailed):
        table.put({"id": "u1", "version": 2}, condition=If.equals("version", 2))
    assert table.get("u1") == {"id": "u1", "version": 1}


def test_batches_beyond_every_cloud_chunk_size(harness: Harness) -> None:
    table = _orders(harness)
    items = [
        {"customer": f"c{n % 3}", "created": f"2026-{n:04d}", "n": n, "status": "open"}
        for n in range(130)
    ]

    table.batch_write(items)
    got = table.batch_get(
        [(item["customer"], item["created"]) for item in items] + [("c1", "never")]
    )
    table.batch_write(deletes=[(item["customer"], item["created"]) for item in items[:120]])

    assert got == [*items, None]
    _, left = _all(lambda cursor: table.query("open", index="by_status", cursor=cursor))
    assert sorted(item["n"] for item in left) == list(range(120, 130))


def test_bad_input_is_typed_and_writes_nothing(harness: Harness) -> None:
    table = _orders(harness)
    good = {"customer": "ada", "created": "2026-12-01"}

    with pytest.raises(InvalidKey):
        table.put({"customer": "ada", "created": 20261201})
    with pytest.raises(InvalidKey):
        table.put({"customer": "ada"})
    with pytest.raises(InvalidKey, match="by_status"):
        table.put({**good, "status": 3})
    with pytest.raises(InvalidKey):
        table.batch_write([good, {"customer": "bob", "created": "x\x00y"}])
    with pytest.raises(PayloadTooLarge):
        table.batch_write([good, {"customer": "bob", "created": "x", "blob": "x" * 1_100_000}])
    with pytest.raises(UnsupportedCondition):
        table.put(good, condition=If.equals("tags", ["a"]))  # type: ignore[arg-type]
    with pytest.raises(InvalidKey):
        table.query("ada", Sort.begins_with("2026"), index="by_email")

    assert table.batch_get([("ada", "2026-12-01"), ("bob", "x")]) == [None, None]


def test_a_transaction_writes_everything_or_nothing(harness: Harness) -> None:
    table = harness.table(key="account", sort="entry")
    table.put({"account": "a1", "entry": "balance", "amount": 10, "version": 1})
    table.put({"account": "a1", "entry": "hold-1", "amount": 3})

    with pytest.raises(ConditionFailed):
        table.transact(
            [
                Tx.put({"account": "a1", "entry": "balance", "amount": 7, "version": 2}),
                Tx.delete("a1", "hold-1"),
                Tx.check("a1", "limit", condition=If.equals("amount", 99)),  # does not hold
            ]
        )
    assert table.get("a1", "hold-1") == {"account": "a1", "entry": "hold-1", "amount": 3}
    assert table.get("a1", "balance")["amount"] == 10  # type: ignore[index]

    table.transact(
        [
            Tx.put(
                {"account": "a1", "entry": "balance", "amount": 7, "version": 2},
                condition=If.version("version", 1),
            ),
            Tx.delete("a1", "hold-1", condition=If.exists("amount")),
            Tx.put({"account": "a1", "entry": "log-1", "moved": 3}, condition=If.absent()),
        ]
    )
    assert [item["entry"] for item in table.query("a1")] == ["balance", "log-1"]
    assert table.get("a1", "balance")["amount"] == 7  # type: ignore[index]
    with pytest.raises(UnsupportedTransaction):
        table.transact([Tx.delete("a1", "x"), Tx.delete("a1", "x")])


def test_where_a_transaction_cannot_be_atomic_it_is_refused_before_any_write(
    harness: Harness,
) -> None:
    table = harness.table(key="account", sort="entry")
    operations = [
        Tx.put({"account": "a1", "entry": "e"}),
        Tx.put({"account": "a2", "entry": "e"}),
    ]

    if harness.cloud == "azure":  # entity-group transactions span one partition
        with pytest.raises(UnsupportedTransaction, match="one partition"):
            table.transact(operations)
        assert table.get("a1", "e") is None
    else:
        table.transact(operations)
        assert table.get("a2", "e") == {"account": "a2", "entry": "e"}


def test_of_racing_writers_with_the_same_version_exactly_one_wins(harness: Harness) -> None:
    from concurrent.futures import ThreadPoolExecutor

    table = harness.table()
    table.put({"id": "counter", "version": 1, "by": "nobody"})
    table.get("counter")  # the client exists before the threads race to make it

    def write(writer: int) -> bool:
        try:
            table.put(
                {"id": "counter", "version": 2, "by": f"w{writer}"},
                condition=If.version("version", 1),
            )
        except ConditionFailed:
            return False
        return True

    with ThreadPoolExecutor(max_workers=6) as pool:
        won = list(pool.map(write, range(6)))

    assert won.count(True) == 1
    assert table.get("counter") == {"id": "counter", "version": 2, "by": f"w{won.index(True)}"}
