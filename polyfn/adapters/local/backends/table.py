"""The table port on SQLite: one row per item, the item as type-tagged JSON text.

Keys sort by their UTF-8 bytes (SQLite's BINARY collation), which is code-point order:
the order ``query`` and ``scan`` promise. Cursors carry the last key returned.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from polyfn.adapters.common.errors import ResourceRef, Unstorable
from polyfn.adapters.local.backends.cursors import decode_cursor, encode_cursor
from polyfn.adapters.local.backends.store import Store
from polyfn.adapters.local.backends.table_codec import (
    MAX_ITEM_BYTES,
    decode_item,
    encode_item,
    item_size,
)
from polyfn.core.resources import Page

__all__ = ["SqliteTable"]

Item = dict[str, Any]


class SqliteTable:
    """Items of one logical table, keyed by the string attribute ``key_attribute``."""

    def __init__(self, store: Store, ref: ResourceRef, key_attribute: str) -> None:
        self._store = store
        self.ref = ref
        self._table = ref.physical
        self._key = key_attribute

    def _encoded(self, item: Item) -> str:
        size = item_size(item)
        if size > MAX_ITEM_BYTES:
            raise self.ref.too_large(
                f"item {item.get(self._key)!r}", size, MAX_ITEM_BYTES, "DynamoDB item size"
            )
        try:
            return encode_item(item)
        except Unstorable as exc:
            raise self.ref.unsupported(str(exc)) from exc

    def get(self, key: str) -> Item | None:
        with self._store.read() as conn:
            row = conn.execute(
                "SELECT value FROM items WHERE tbl = ? AND key = ?", (self._table, key)
            ).fetchone()
        return decode_item(row[0]) if row else None

    def put(self, item: Item) -> None:
        text = self._encoded(item)
        with self._store.write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO items (tbl, key, value) VALUES (?, ?, ?)",
                (self._table, item[self._key], text),
            )

    def put_if_absent(self, item: Item) -> bool:
        text = self._encoded(item)
        with self._store.write() as conn:
            cursor = conn.execute(
                "INSERT OR IGNORE INTO items (tbl, key, value) VALUES (?, ?, ?)",
                (self._table, item[self._key], text),
            )
            return cursor.rowcount == 1

    def update(self, key: str, changes: Mapping[str, Any]) -> Item:
        with self._store.write() as conn:
            row = conn.execute(
                "SELECT value FROM items WHERE tbl = ? AND key = ?", (self._table, key)
            ).fetchone()
            if row is None:
                raise KeyError(key)
            item = decode_item(row[0])
            item.update(changes)
            conn.execute(
                "UPDATE items SET value = ? WHERE tbl = ? AND key = ?",
                (self._encoded(item), self._table, key),
            )
        return item

    def delete(self, key: str) -> None:
        with self._store.write() as conn:
            conn.execute("DELETE FROM items WHERE tbl = ? AND key = ?", (self._table, key))

    def query(self, prefix: str, limit: int, cursor: str | None) -> Page[Item]:
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
