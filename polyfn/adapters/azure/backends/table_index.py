"""Secondary indexes on Azure Table Storage, which has none: index entities polyfn keeps.

Every polyfn index of table ``T`` lives in the companion table ``T`` + ``ix``. An item in
index ``by_status`` (partition ``status``, sort ``created``) has one index entity:

* ``PartitionKey`` = ``by_status|<status>`` (index names hold no ``|``);
* ``RowKey`` = ``enc(created) + "  " + enc(item partition) + "  " + enc(item sort)``,
  where ``enc`` writes each space as ``" !"``. Two spaces end a part, and sort below any
  character a part can continue with (the lowest a key may hold is the space), so the
  RowKey order is the order of (index sort, item key): a sort condition is one RowKey
  range;
* properties ``p`` and ``s``: the item's partition and sort key, to read it back.

Index entities are written *after* the item (the item is the truth), so an index can
briefly lag a write, and a crash between the two leaves it behind until the item is
written again. Reads through an index therefore read each item and keep it only if it
still has the index's values: a stale entity is never returned, and a missing one means
a just-written item may be missed for that moment. The deploy artifact and ``polyfn
plan`` say so, and that each index doubles the writes (an upsert, and a delete when the
indexed value changes).
"""

from __future__ import annotations

from typing import Any

from polyfn.core.table_keys import KeySchema, SortCondition, TableIndex, successor

__all__ = ["IndexEntry", "entries_of", "row_range", "suffix"]

SUFFIX = "ix"
_END = "  "
_SPACE = " !"


def suffix(physical: str) -> str:
    """The companion table's name."""
    return physical + SUFFIX


def _enc(part: str) -> str:
    return part.replace(" ", _SPACE)


class IndexEntry:
    """One index entity: where it is and which item it points to."""

    __slots__ = ("item_key", "partition", "row")

    def __init__(self, partition: str, row: str, item_key: tuple[str, str | None]) -> None:
        self.partition = partition
        self.row = row
        self.item_key = item_key

    def entity(self) -> dict[str, Any]:
        return {
            "PartitionKey": self.partition,
            "RowKey": self.row,
            "p": self.item_key[0],
            "s": self.item_key[1] or "",
        }

    def __eq__(self, other: object) -> bool:
        return isinstance(other, IndexEntry) and (self.partition, self.row) == (
            other.partition,
            other.row,
        )

    def __hash__(self) -> int:
        return hash((self.partition, self.row))


def index_partition(index: TableIndex, value: str) -> str:
    return f"{index.name}|{value}"


def entries_of(schema: KeySchema, item: dict[str, Any] | None) -> set[IndexEntry]:
    """The index entities ``item`` should have (none for None)."""
    if item is None:
        return set()
    partition, sort = schema.key_of(item)
    entries = set()
    for index in schema.indexes.values():
        index_key = schema.index_key(index, item)
        if index_key is None:
            continue
        row = _enc(index_key[1]) + _END + _enc(partition) + _END + _enc(sort or "")
        entries.add(IndexEntry(index_partition(index, index_key[0]), row, (partition, sort)))
    return entries


def row_range(condition: SortCondition | None) -> tuple[str | None, str | None]:
    """(lowest RowKey included, RowKey above the range) of the index entities whose index
    sort value meets ``condition``; None is unbounded."""
    if condition is None:
        return None, None
    low, low_in, high, high_in = condition.bounds()
    lowest = None
    if low is not None:
        # Entities of exactly ``low`` are enc(low) + END + ...; every greater value starts
        # at or above enc(low) + " !" (a space continues it) or differs earlier.
        lowest = _enc(low) if low_in else _enc(low) + _SPACE
    above = None
    if high is not None:
        above = _enc(high) + _SPACE if high_in else _enc(high)
    if condition.op == "begins_with":
        following = successor(condition.values[0])
        above = None if following is None else _enc(following)
    return lowest, above
