"""The table port on SQLite: one row per item, the item as type-tagged JSON text.

The row's ``key`` is the item's key: the partition key alone on a table without a sort
key (as it always was), ``partition NUL sort`` with one. Key values hold no NUL
(``core.table_keys``), so the BINARY collation orders rows by partition, then sort, in
code-point order: the order ``query`` promises, and a partition is one range of the
primary key. Each secondary index has a slot of the items table (``store.INDEX_SLOTS``,
assigned per table in ``index_slots``): the row holds the item's index key ``partition
NUL sort`` in that column (NULL when the item is not in the index) and a partial SQLite
index orders it, so the one row write maintains every index, in the same transaction:
an index is never behind here. An index declared on a table that has items already is
filled from them when it gets its slot, as DynamoDB backfills a new GSI.
Cursors carry the last row key (and, for an index, the last index key) returned.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from polyfn.adapters.common.errors import ResourceRef, Unstorable
from polyfn.adapters.local.backends.change_log import log_change
from polyfn.adapters.local.backends.cursors import decode_cursor, encode_cursor
from polyfn.adapters.local.backends.store import (
    INDEX_SLOTS,
    Store,
    add_slot_column,
    index_slot_sql,
)
from polyfn.adapters.local.backends.table_codec import (
    MAX_ITEM_BYTES,
    decode_item,
    encode_item,
    fits,
)
from polyfn.core.errors import ConditionFailed
from polyfn.core.resources import Page
from polyfn.core.table_conditions import Condition
from polyfn.core.table_keys import KeySchema, Query, TableIndex
from polyfn.core.table_transactions import Prepared

__all__ = ["SqliteTable"]

Item = dict[str, Any]
Key = tuple[str, str | None]
_SEP = "\x00"
# SQLite's default limit of host parameters is 32766 (3.32+); batches stay far below.
_BATCH_READ = 500


def _row_key(key: Key) -> str:
    partition, sort = key
    return partition if sort is None else f"{partition}{_SEP}{sort}"


class SqliteTable:
    """Items of one logical table, keyed as ``schema`` says."""

    def __init__(
        self, store: Store, ref: ResourceRef, schema: KeySchema, *, feed: bool = False
    ) -> None:
        self._store = store
        # Whether writes are logged for an on_change function (change_log.py): each in
        # the transaction of the write it describes, so neither exists without the other.
        self._feed = feed
        self.ref = ref
        self._table = ref.physical
        self._schema = schema
        self._key = schema.key
        self._indexes = list(schema.indexes.values())
        # Per index, its items column (i<slot>); found or assigned on first use.
        self._columns: dict[str, str] | None = None
        self._insert = "INSERT OR REPLACE INTO items (tbl, key, value) VALUES (?, ?, ?)"
        self._insert_new = "INSERT OR IGNORE INTO items (tbl, key, value) VALUES (?, ?, ?)"

    def _index_columns(self) -> dict[str, str]:
        if self._columns is None:
            with self._store.write() as conn:
                self._columns = self._assign_slots(conn)
            names = ", ".join(self._columns[index.name] for index in self._indexes)
            values = "?, ?, ?" + ", ?" * len(self._indexes)
            into = f"INTO items (tbl, key, value, {names}) VALUES ({values})"
            self._insert = f"INSERT OR REPLACE {into}"
            self._insert_new = f"INSERT OR IGNORE {into}"
        return self._columns

    def _assign_slots(self, conn: Any) -> dict[str, str]:
        slots = dict(
            conn.execute("SELECT idx, slot FROM index_slots WHERE tbl = ?", (self._table,))
        )
        declared = {index.name for index in self._indexes}
        for name, slot in list(slots.items()):
            if name not in declared:  # an index no longer declared: free its column
                conn.execute(f"UPDATE items SET i{slot} = NULL WHERE tbl = ?", (self._table,))
                conn.execute(
                    "DELETE FROM index_slots WHERE tbl = ? AND idx = ?", (self._table, name)
                )
                del slots[name]
        for slot in slots.values():
            conn.execute(index_slot_sql(slot))
        for index in self._indexes:
            if index.name in slots:
                continue
            slot = min(set(range(1, INDEX_SLOTS + 1)) - set(slots.values()))
            conn.execute(
                "INSERT INTO index_slots (tbl, idx, slot) VALUES (?, ?, ?)",
                (self._table, index.name, slot),
            )
            slots[index.name] = slot
            add_slot_column(conn, slot)
            conn.execute(index_slot_sql(slot))
            # Fill the new index from the items already there.
            filled = []
            for row_key, value in conn.execute(
                "SELECT key, value FROM items WHERE tbl = ?", (self._table,)
            ).fetchall():
                index_key = self._schema.index_key(index, decode_item(value))
                if index_key is not None:
                    filled.append((_SEP.join(index_key), self._table, row_key))
            conn.executemany(f"UPDATE items SET i{slot} = ? WHERE tbl = ? AND key = ?", filled)
        return {name: f"i{slot}" for name, slot in slots.items()}

    def _row(self, row_key: str, text: str, item: Item) -> tuple[str | None, ...]:
        row: list[str | None] = [self._table, row_key, text]
        for index in self._indexes:
            index_key = self._schema.index_key(index, item)
            row.append(None if index_key is None else _SEP.join(index_key))
        return tuple(row)

    def _encoded(self, item: Item) -> str:
        try:
            text = encode_item(item)
        except Unstorable as exc:
            raise self.ref.unsupported(str(exc)) from exc
        size = fits(text, item)
        if size is not None and size > MAX_ITEM_BYTES:
            raise self.ref.too_large(
                f"item {item.get(self._key)!r}", size, MAX_ITEM_BYTES, "DynamoDB item size"
            )
        return text

    def _item_row_key(self, item: Item) -> str:
        return _row_key(self._schema.key_of(item))

    # ------------------------------------------------------------------ single items

    def get(self, key: Key) -> Item | None:
        partition, sort = key  # _row_key, inline: a point get is a few microseconds
        row = self._store.fetch_one(
            "SELECT value FROM items WHERE tbl = ? AND key = ?",
            (self._table, partition if sort is None else f"{partition}{_SEP}{sort}"),
        )
        return decode_item(row[0]) if row else None  # type: ignore[arg-type]

    def _current(self, conn: Any, row_key: str) -> Item | None:
        row = conn.execute(
            "SELECT value FROM items WHERE tbl = ? AND key = ?", (self._table, row_key)
        ).fetchone()
        return decode_item(row[0]) if row else None

    def _check(self, conn: Any, row_key: str, condition: Condition | None) -> None:
        if condition is not None and not condition.holds(self._current(conn, row_key)):
            raise self.ref.error(ConditionFailed, f"condition {condition!r} does not hold")

    def _write(self, conn: Any, item: Item, text: str, row_key: str) -> None:
        old = self._current_text(conn, row_key) if self._feed else None
        conn.execute(self._insert, self._row(row_key, text, item))
        if self._feed:
            log_change(conn, self._table, "insert" if old is None else "modify", text, old)

    def _remove(self, conn: Any, row_key: str) -> None:
        old = self._current_text(conn, row_key) if self._feed else None
        conn.execute("DELETE FROM items WHERE tbl = ? AND key = ?", (self._table, row_key))
        if old is not None:
            log_change(conn, self._table, "remove", None, old)

    def _current_text(self, conn: Any, row_key: str) -> str | None:
        row = conn.execute(
            "SELECT value FROM items WHERE tbl = ? AND key = ?", (self._table, row_key)
        ).fetchone()
        return str(row[0]) if row else None

    def put(self, item: Item, condition: Condition | None = None) -> None:
        text, row_key = self._encoded(item), self._item_row_key(item)
        if self._indexes:
            self._index_columns()
        with self._store.write() as conn:
            self._check(conn, row_key, condition)
            self._write(conn, item, text, row_key)

    def put_if_absent(self, item: Item) -> bool:
        text, row_key = self._encoded(item), self._item_row_key(item)
        if self._indexes:
            self._index_columns()
        with self._store.write() as conn:
            cursor = conn.execute(self._insert_new, self._row(row_key, text, item))
            inserted = bool(cursor.rowcount == 1)
            if inserted and self._feed:
                log_change(conn, self._table, "insert", text, None)
            return inserted

    def update(
        self, key: Key, changes: Mapping[str, Any], condition: Condition | None = None
    ) -> Item:
        row_key = _row_key(key)
        if self._indexes:
            self._index_columns()
        with self._store.write() as conn:
            item = self._current(conn, row_key)
            if item is None:
                raise KeyError(key[0] if key[1] is None else key)
            if condition is not None and not condition.holds(item):
                raise self.ref.error(ConditionFailed, f"condition {condition!r} does not hold")
            item.update(changes)
            self._write(conn, item, self._encoded(item), row_key)
        return item

    def delete(self, key: Key, condition: Condition | None = None) -> None:
        row_key = _row_key(key)
        with self._store.write() as conn:
            self._check(conn, row_key, condition)
            self._remove(conn, row_key)

    # ------------------------------------------------------------------ batches

    def batch_get(self, keys: list[Key]) -> list[Item | None]:
        found: dict[str, Item] = {}
        row_keys = [_row_key(key) for key in keys]
        with self._store.read() as conn:
            for start in range(0, len(row_keys), _BATCH_READ):
                chunk = row_keys[start : start + _BATCH_READ]
                marks = ",".join("?" * len(chunk))
                for row_key, value in conn.execute(
                    f"SELECT key, value FROM items WHERE tbl = ? AND key IN ({marks})",
                    (self._table, *chunk),
                ):
                    found[row_key] = decode_item(value)
        return [found.get(row_key) for row_key in row_keys]

    def batch_write(self, puts: list[Item], deletes: list[Key]) -> None:
        # Every item is encoded (and refused) before the transaction starts: nothing is
        # half-written. The whole batch is one transaction here.
        rows = self._rows(puts)
        gone = [(self._table, _row_key(key)) for key in deletes]
        if self._indexes:
            self._index_columns()
        with self._store.write() as conn:
            if self._feed:
                for item, row in zip(puts, rows, strict=True):
                    self._write(conn, item, str(row[2]), str(row[1]))
                for _, row_key in gone:
                    self._remove(conn, row_key)
                return
            if rows:
                conn.executemany(self._insert, rows)
            if gone:
                conn.executemany("DELETE FROM items WHERE tbl = ? AND key = ?", gone)

    def _rows(self, items: list[Item]) -> list[tuple[str | None, ...]]:
        """``_row`` of each item, with the per-item calls inlined (``_encoded``'s
        encoding and size bound, ``KeySchema.index_key``): a batch write is mostly this
        loop (benchmarks/table_sqlite.py)."""
        table, key, sort = self._table, self._schema.key, self._schema.sort
        # Per index, the attributes of its key (the sort attribute None for an index
        # without one, whose key is ``partition NUL``, as _SEP.join((partition, "")).
        index_attributes = [(index.partition, index.sort) for index in self._indexes]
        rows = []
        for item in items:
            try:
                text = encode_item(item)
            except Unstorable as exc:
                raise self.ref.unsupported(str(exc)) from exc
            if 4 * len(text) > MAX_ITEM_BYTES:
                self._encoded(item)  # near the limit: measure it (and refuse it) there
            # Table.batch_write has checked every item's key (check_item_keys): read it.
            row: list[str | None] = [
                table,
                item[key] if sort is None else f"{item[key]}{_SEP}{item[sort]}",
                text,
            ]
            for partition_attribute, sort_attribute in index_attributes:
                partition = item.get(partition_attribute)
                if not isinstance(partition, str):
                    row.append(None)  # a sparse index: the item is not in it
                elif sort_attribute is None:
                    row.append(partition + _SEP)
                else:
                    order = item.get(sort_attribute)
                    row.append(f"{partition}{_SEP}{order}" if isinstance(order, str) else None)
            rows.append(tuple(row))
        return rows

    def transact(self, operations: list[Prepared]) -> None:
        texts = [self._encoded(op.item) if op.item is not None else "" for op in operations]
        if self._indexes:
            self._index_columns()
        with self._store.write() as conn:
            for op in operations:
                self._check(conn, _row_key(op.key), op.condition)
            for op, text in zip(operations, texts, strict=True):
                row_key = _row_key(op.key)
                if op.kind == "put":
                    assert op.item is not None
                    self._write(conn, op.item, text, row_key)
                elif op.kind == "delete":
                    self._remove(conn, row_key)

    # ------------------------------------------------------------------ listings

    def query(self, query: Query) -> Page[Item]:
        if query.by_prefix:
            return self._prefix_query(query.prefix, query.limit, query.position)
        if query.index is not None:
            return self._index_query(query, query.index)
        assert query.partition is not None
        low, low_in, high, high_in = _range(query)
        order = "DESC" if query.descending else "ASC"
        conditions = [
            "tbl = ?",
            f"key {'>=' if low_in else '>'} ?",
            f"key {'<=' if high_in else '<'} ?",
        ]
        params: list[Any] = [self._table, low, high]
        after = decode_cursor(query.position, self.ref)
        if after is not None:
            conditions.append("key < ?" if query.descending else "key > ?")
            params.append(after)
        with self._store.read() as conn:
            rows = conn.execute(
                f"SELECT key, value FROM items WHERE {' AND '.join(conditions)} "
                f"ORDER BY key {order} LIMIT ?",
                (*params, query.limit + 1),
            ).fetchall()
        return self._page(rows, query.limit)

    def _index_query(self, query: Query, index: TableIndex) -> Page[Item]:
        column = self._index_columns()[index.name]
        low, low_in, high, high_in = _range(query)
        order = "DESC" if query.descending else "ASC"
        conditions = [
            "tbl = ?",
            f"{column} {'>=' if low_in else '>'} ?",
            f"{column} {'<=' if high_in else '<'} ?",
        ]
        params: list[Any] = [self._table, low, high]
        position = decode_cursor(query.position, self.ref)
        if position is not None:
            try:
                last_ikey, last_key = json.loads(position)
            except ValueError:
                raise ValueError(f"table {self.ref.name!r}: not a cursor of this index") from None
            conditions.append(f"({column}, key) {'<' if query.descending else '>'} (?, ?)")
            params += [last_ikey, last_key]
        with self._store.read() as conn:
            rows = conn.execute(
                f"SELECT {column}, key, value FROM items INDEXED BY items_{column} "
                f"WHERE {' AND '.join(conditions)} "
                f"ORDER BY {column} {order}, key {order} LIMIT ?",
                (*params, query.limit + 1),
            ).fetchall()
        more = len(rows) > query.limit
        rows = rows[: query.limit]
        items = [decode_item(value) for _, _, value in rows]
        if not more:
            return Page(items)
        last_index_key, last_key = rows[-1][0], rows[-1][1]
        return Page.deferred(items, lambda: encode_cursor(json.dumps([last_index_key, last_key])))

    def _prefix_query(self, prefix: str, limit: int, cursor: str | None) -> Page[Item]:
        after = decode_cursor(cursor, self.ref)
        # Start the walk of the primary key at the prefix (or just past the cursor);
        # substr() then ends it where the prefix's range ends.
        if after is None or after < prefix:
            start_clause, start = "key >= ?", prefix
        else:
            start_clause, start = "key > ?", after
        with self._store.read() as conn:
            rows = conn.execute(
                f"SELECT key, value FROM items WHERE tbl = ? AND {start_clause} "
                "AND substr(key, 1, ?) = ? ORDER BY key LIMIT ?",
                (self._table, start, len(prefix), prefix, limit + 1),
            ).fetchall()
        return self._page(rows, limit)

    def scan(self, limit: int, cursor: str | None) -> Page[Item]:
        after = decode_cursor(cursor, self.ref)
        with self._store.read() as conn:
            rows = conn.execute(
                "SELECT key, value FROM items WHERE tbl = ? AND key > ? ORDER BY key LIMIT ?",
                (self._table, after or "", limit + 1),
            ).fetchall()
        return self._page(rows, limit)

    def _page(self, rows: list[tuple[str, str]], limit: int) -> Page[Item]:
        more = len(rows) > limit
        rows = rows[:limit]
        items = [decode_item(value) for _, value in rows]
        if not more:
            return Page(items)
        last_key = rows[-1][0]
        return Page.deferred(items, lambda: encode_cursor(last_key))


def _range(query: Query) -> tuple[str, bool, str, bool]:
    """The range of ``partition NUL sort`` keys a query reads (low, inclusive, high,
    inclusive). A partition's keys all start with ``partition NUL``, so they lie below
    ``partition \\x01``."""
    assert query.partition is not None
    base = query.partition + _SEP
    end = query.partition + "\x01"
    if query.sort is None:
        return base, True, end, False
    low, low_in, high, high_in = query.sort.bounds()
    if low is None:
        low_key, low_in = base, True
    else:
        low_key = base + low
    if high is None:
        high_key, high_in = end, False
    else:
        high_key = base + high
    return low_key, low_in, high_key, high_in
