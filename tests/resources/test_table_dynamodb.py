"""DynamoDB specifics of the table port: a partition's query is a Query (never a silent
Scan), and the one query that must scan says so."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from resource_harness import Harness

from polyfn.core.table_keys import Sort

pytestmark = [
    pytest.mark.emulator,
    pytest.mark.parametrize("harness", ["aws"], indirect=True),
]


def _operations(table: Any) -> list[str]:
    """Record the DynamoDB operations the table's client sends from now on."""
    seen: list[str] = []
    client = table.backend._client
    client.meta.events.register(
        "before-call.dynamodb.*", lambda model, **_: seen.append(model.name)
    )
    return seen


def test_a_partition_and_an_index_are_queried_not_scanned(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    table = harness.table(
        key="customer", sort="created", indexes={"by_status": ("status", "created")}
    )
    table.batch_write([{"customer": "c1", "created": f"d{n}", "status": "open"} for n in range(5)])
    seen = _operations(table)

    with caplog.at_level(logging.WARNING, logger="polyfn.table"):
        pages = [
            table.query("c1", Sort.begins_with("d"), limit=2),
            table.query("open", index="by_status", limit=10, descending=True),
        ]

    assert seen == ["Query", "Query"]
    assert [len(page) for page in pages] == [2, 5]
    assert not [r for r in caplog.records if r.name == "polyfn.table"]


def test_a_prefix_query_on_a_hash_only_table_scans_and_says_so_once(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    table = harness.table()
    table.put({"id": "user-1"})
    seen = _operations(table)

    with caplog.at_level(logging.WARNING, logger="polyfn.table"):
        table.query("user-")
        table.query("user-")

    assert set(seen) == {"Scan"}
    warnings = [r.getMessage() for r in caplog.records if r.name == "polyfn.table"]
    assert len(warnings) == 1 and "is a DynamoDB Scan" in warnings[0]
