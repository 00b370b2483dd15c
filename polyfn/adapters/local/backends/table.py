"""The table port on SQLite: one row per item, the item as type-tagged JSON text.

The row's ``key`` is the item's key: the partition key alone on a table without a sort
key (as it always was), ``partition NUL sort`` with one. Key values hold no NUL
(``core.table_keys``), so the BINARY collation orders rows by partition, then sort, in
code-point order: the order ``query`` promises, and a partition is one range of the
primary key. Each secondary index is a set of rows in ``index_rows`` (one per item in the
index: the item's row key and its index key ``partition NUL sort``, ordered by a SQLite
index), written in the same transaction as the item, so an index is never behind here.
Cursors carry the last row key (and, for an index, the last index key) returned.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from polyfn.adapters.common.errors import ResourceRef, Unstorable
from polyfn.adapters.local.backends.cursors import decode_cursor, encode_cursor
from polyfn.adapters.local.backends.store import Store
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

    def __init__(self, store: Store, ref: ResourceRef, schema: KeySchema) -> None:
        self._store = store
        self.ref = ref
        self._table = ref.physical
        self._schema = schema
        self._key = schema.key
        self._indexes = list(schema.indexes.values())

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
        row = self._store.fetch_one(
            "SELECT value FROM items WHERE tbl = ? AND key = ?", (self._table, _row_key(key))
        )
        return decode_item(str(row[0])) if row else None

    def _current(self, conn: Any, row_key: str) -> Item | None:
        row = conn.execute(
            "SELECT value FROM items WHERE tbl = ? AND key = ?", (self._table, row_key)
        ).fetchone()
        return decode_item(row[0]) if row else None

    def _check(self, conn: Any, row_key: str, condition: Condition | None) -> None:
        if condition is not None and not condition.holds(self._current(conn, row_key)):
            raise self.ref.error(ConditionFailed, f"condition {condition!r} does not hold")

    def _write(self, conn: Any, item: Item, text: str, row_key: str) -> None:
        conn.execute(
            "INSERT OR REPLACE INTO items (tbl, key, value) VALUES (?, ?, ?)",
            (self._table, row_key, text),
        )
        if self._indexes:
            self._reindex(conn, row_key, item)

    def _reindex(self, conn: Any, row_key: str, item: Item | None) -> None:
        self._reindex_many(conn, [(row_key, item)])

    def _reindex_many(self, conn: Any, items: list[tuple[str, Item | None]]) -> None:
        """One statement for the index rows the items have (replacing their old ones) and
        one for the rows of indexes they are no longer in (usually none)."""
        present: list[tuple[str, str, str, str]] = []
        absent: list[tuple[str, str, str]] = []
        for row_key, item in items:
            for index in self._indexes:
                index_key = None if item is None else self._schema.index_key(index, item)
                if index_key is None:
                    absent.append((self._table, index.name, row_key))
                else:
                    present.append((self._table, index.name, row_key, _SEP.join(index_key)))
        if present:
            conn.executemany(
                "INSERT OR REPLACE INTO index_rows (tbl, idx, key, ikey) VALUES (?, ?, ?, ?)",
                present,
            )
        if absent:
            conn.executemany("DELETE FROM index_rows WHERE tbl = ? AND idx = ? AND key = ?", absent)

    def put(self, item: Item, condition: Condition | None = None) -> None:
        text, row_key = self._encoded(item), self._item_row_key(item)
        with self._store.write() as conn:
            self._check(conn, row_key, condition)
            self._write(conn, item, text, row_key)

    def put_if_absent(self, item: Item) -> bool:
        text, row_key = self._encoded(item), self._item_row_key(item)
        with self._store.write() as conn:
            cursor = conn.execute(
                "INSERT OR IGNORE INTO items (tbl, key, value) VALUES (?, ?, ?)",
                (self._table, row_key, text),
            )
            written = cursor.rowcount == 1
            if written and self._indexes:
                self._reindex(conn, row_key, item)
            return written

    def update(
        self, key: Key, changes: Mapping[str, Any], condition: Condition | None = None
    ) -> Item:
        row_key = _row_key(key)
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
            conn.execute("DELETE FROM items WHERE tbl = ? AND key = ?", (self._table, row_key))
            if self._indexes:
                self._reindex(conn, row_key, None)

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
        rows = [(self._table, self._item_row_key(item), self._encoded(item)) for item in puts]
        gone = [(self._table, _row_key(key)) for key in deletes]
        with self._store.write() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO items (tbl, key, value) VALUES (?, ?, ?)", rows
            )
            conn.executemany("DELETE FROM items WHERE tbl = ? AND key = ?", gone)
            if self._indexes:
                items: list[tuple[str, Item | None]] = [
                    (row_key, item) for item, (_, row_key, _) in zip(puts, rows, strict=True)
                ]
                self._reindex_many(conn, items + [(row_key, None) for _, row_key in gone])

    def transact(self, operations: list[Prepared]) -> None:
        texts = [self._encoded(op.item) if op.item is not None else "" for op in operations]
        with self._store.write() as conn:
            for op in operations:
                self._check(conn, _row_key(op.key), op.condition)
            for op, text in zip(operations, texts, strict=True):
                row_key = _row_key(op.key)
                if op.kind == "put":
                    assert op.item is not None
                    self._write(conn, op.item, text, row_key)
                elif op.kind == "delete":
                    conn.execute(
                        "DELETE FROM items WHERE tbl = ? AND key = ?", (self._table, row_key)
                    )
                    if self._indexes:
                        self._reindex(conn, row_key, None)

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
        low, low_in, high, high_in = _range(query)
        order = "DESC" if query.descending else "ASC"
        conditions = [
            "e.tbl = ?",
            "e.idx = ?",
            f"e.ikey {'>=' if low_in else '>'} ?",
            f"e.ikey {'<=' if high_in else '<'} ?",
        ]
        params: list[Any] = [self._table, index.name, low, high]
        position = decode_cursor(query.position, self.ref)
        if position is not None:
            try:
                last_ikey, last_key = json.loads(position)
            except ValueError:
                raise ValueError(f"table {self.ref.name!r}: not a cursor of this index") from None
            conditions.append(
                "(e.ikey, e.key) < (?, ?)" if query.descending else "(e.ikey, e.key) > (?, ?)"
            )
            params += [last_ikey, last_key]
        with self._store.read() as conn:
            rows = conn.execute(
                "SELECT e.ikey, e.key, i.value FROM index_rows e JOIN items i "
                "ON i.tbl = e.tbl AND i.key = e.key "
                f"WHERE {' AND '.join(conditions)} "
                f"ORDER BY e.ikey {order}, e.key {order} LIMIT ?",
                (*params, query.limit + 1),
            ).fetchall()
        more = len(rows) > query.limit
        rows = rows[: query.limit]
        items = [decode_item(value) for _, _, value in rows]
        cursor = encode_cursor(json.dumps([rows[-1][0], rows[-1][1]])) if more else None
        return Page(items, cursor)

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
        return Page(items, encode_cursor(rows[-1][0]) if more else None)


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
