"""The table port on Azure Table Storage (entity layout: ``table_codec``; secondary
indexes: ``table_index``).

Without a sort key every item lives in PartitionKey ``"polyfn"`` with its key as RowKey;
with one, PartitionKey is the partition key and RowKey the sort key, so a partition's
query is a RowKey range of one partition, in RowKey order. Table Storage only reads
forwards: a descending query walks the range up to the cursor and keeps the last page,
so it costs more as a partition grows.

Conditional writes read the entity, check the condition and write with ``If-Match`` on
the ETag read (an insert when there was none, which fails if one appeared meanwhile);
a lost race is read again, a few times. ``batch_write`` sends entity-group
transactions of at most 100 upserts of one partition (the service's limit), except on a
table with indexes, whose items are written one by one so that each keeps its index
entities right. ``batch_get`` is one point read per item: the service has no batch read.
"""

from __future__ import annotations

import base64
import json
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from functools import cached_property, partial
from itertools import islice
from typing import Any

from polyfn.adapters.azure.backends.clients import service_client
from polyfn.adapters.azure.backends.errors import error_code, guard
from polyfn.adapters.azure.backends.table_codec import (
    PARTITION,
    decode_entity,
    encode_entity,
    storable_key,
)
from polyfn.adapters.azure.backends.table_index import (
    IndexEntry,
    entries_of,
    index_partition,
    row_range,
    suffix,
)
from polyfn.adapters.common.errors import ResourceRef, class_names
from polyfn.core.errors import ConditionFailed
from polyfn.core.resources import Item, Page
from polyfn.core.table_conditions import Condition, If
from polyfn.core.table_keys import KeySchema, Query, successor
from polyfn.core.table_transactions import Prepared, UnsupportedTransaction

__all__ = ["BATCH_OPERATIONS", "StorageTable"]

# update() and conditional writes are read-check-write guarded by the entity's ETag; a
# writer that keeps losing the race gives up after this many rounds rather than spinning.
_UPDATE_ROUNDS = 5
# "Performing entity group transactions": at most 100 operations, one partition, 4 MiB
# (learn.microsoft.com, checked 2026-12).
BATCH_OPERATIONS = 100
Key = tuple[str, str | None]


class StorageTable:
    """Items of one Table Storage table."""

    def __init__(self, name: str, physical: str, schema: KeySchema) -> None:
        self.ref = ResourceRef("azure", "table", name, physical)
        self._schema = schema
        self._key = schema.key
        self._sort = schema.sort

    @cached_property
    def _table(self) -> Any:
        # Made on first use: binding a table needs neither the SDK nor credentials.
        return service_client("table", self.ref).get_table_client(self.ref.physical)

    @cached_property
    def _index_table(self) -> Any:
        return service_client("table", self.ref).get_table_client(suffix(self.ref.physical))

    def _address(self, key: Key) -> tuple[str, str] | None:
        partition, sort = key
        address = (PARTITION, partition) if self._sort is None else (partition, sort or "")
        return address if all(storable_key(part) for part in address) else None

    def _encode(self, item: Item) -> dict[str, Any]:
        return encode_entity(self._key, item, self._sort)

    def _decode(self, entity: Any) -> Item:
        return decode_entity(self._key, entity, self._sort)

    def _entity(self, key: Key) -> Any:
        """The stored entity (with its ETag in ``.metadata``), or None."""
        address = self._address(key)
        if address is None:
            return None  # no entity can have this key

        def fetch() -> Any:
            try:
                return self._table.get_entity(*address)
            except Exception as exc:
                if error_code(exc) == "ResourceNotFound":
                    return None  # the entity; a missing table is TableNotFound
                raise

        return guard(self.ref, fetch)

    def get(self, key: Key) -> Item | None:
        entity = self._entity(key)
        return self._decode(entity) if entity is not None else None

    # ------------------------------------------------------------------ writes

    def put(self, item: Item, condition: Condition | None = None) -> None:
        from azure.data.tables import UpdateMode

        entity = guard(self.ref, lambda: self._encode(item))  # refused before any write
        if condition is None and not self._schema.indexes:
            guard(self.ref, lambda: self._table.upsert_entity(entity, mode=UpdateMode.REPLACE))
            return
        key = self._schema.key_of(item)
        self._guarded_write(key, condition, lambda current: entity)

    def put_if_absent(self, item: Item) -> bool:
        entity = guard(self.ref, lambda: self._encode(item))
        if self._schema.indexes:
            try:
                self.put(item, If.absent())
            except ConditionFailed:
                return False
            return True

        def create() -> bool:
            try:
                self._table.create_entity(entity)
            except Exception as exc:
                if "ResourceExistsError" in class_names(exc):
                    return False
                raise
            return True

        return guard(self.ref, create)

    def update(
        self, key: Key, changes: Mapping[str, Any], condition: Condition | None = None
    ) -> Item:
        missing = key[0] if key[1] is None else key

        def merged(current: Item | None) -> dict[str, Any]:
            if current is None:
                raise KeyError(missing)
            item = {**current, **changes}
            item[self._key] = key[0]
            if self._sort is not None:
                item[self._sort] = key[1]
            return self._encode(item)

        if self._address(key) is None:
            raise KeyError(missing)
        entity = self._guarded_write(key, condition, merged, must_exist=True)
        assert entity is not None
        return self._decode(entity)

    def delete(self, key: Key, condition: Condition | None = None) -> None:
        if self._address(key) is None:
            if condition is not None and not condition.holds(None):
                self._refuse(condition)
            return
        if condition is None and not self._schema.indexes:
            address = self._address(key)
            assert address is not None
            # The SDK treats a missing entity as deleted already.
            guard(self.ref, lambda: self._table.delete_entity(*address))
            return
        self._guarded_write(key, condition, lambda current: None)

    def _refuse(self, condition: Condition | None) -> None:
        raise self.ref.error(ConditionFailed, f"condition {condition!r} does not hold")

    def _guarded_write(
        self,
        key: Key,
        condition: Condition | None,
        new_entity: Callable[[Item | None], dict[str, Any] | None],
        *,
        must_exist: bool = False,
    ) -> dict[str, Any] | None:
        """Read the entity, check ``condition``, write ``new_entity(current)`` (None:
        delete) with If-Match on the ETag read; then bring the index entities in step."""
        from azure.core import MatchConditions
        from azure.data.tables import UpdateMode

        for _ in range(_UPDATE_ROUNDS):
            stored = self._entity(key)
            current = self._decode(stored) if stored is not None else None
            if condition is not None and not condition.holds(current):
                if must_exist and current is None:
                    raise KeyError(key[0] if key[1] is None else key)
                self._refuse(condition)
            entity = new_entity(current)

            def write(entity: dict[str, Any] | None = entity, stored: Any = stored) -> bool:
                try:
                    if stored is None and entity is None:
                        return True
                    if stored is None:
                        self._table.create_entity(entity)
                    elif entity is None:
                        self._table.delete_entity(
                            stored["PartitionKey"],
                            stored["RowKey"],
                            etag=stored.metadata["etag"],
                            match_condition=MatchConditions.IfNotModified,
                        )
                    else:
                        self._table.update_entity(
                            entity,
                            mode=UpdateMode.REPLACE,
                            etag=stored.metadata["etag"],
                            match_condition=MatchConditions.IfNotModified,
                        )
                except Exception as exc:
                    names = class_names(exc)
                    if names & {
                        "ResourceModifiedError",
                        "ResourceNotFoundError",
                        "ResourceExistsError",
                    }:
                        return False  # changed, deleted or created meanwhile: read again
                    raise
                return True

            if guard(self.ref, write):
                if self._schema.indexes:
                    after = self._decode(entity) if entity is not None else None
                    self._reindex(current, after)
                return entity
        raise self.ref.error(
            ConditionFailed, f"item {key!r} kept changing during the write ({_UPDATE_ROUNDS} tries)"
        )

    def _reindex(self, before: Item | None, after: Item | None) -> None:
        """Upsert the index entities ``after`` has, then delete those only ``before`` had."""
        from azure.data.tables import UpdateMode

        old, new = entries_of(self._schema, before), entries_of(self._schema, after)
        for entry in new - old:
            guard(
                self.ref,
                partial(self._index_table.upsert_entity, entry.entity(), mode=UpdateMode.REPLACE),
            )
        for entry in old - new:
            guard(
                self.ref,
                partial(self._index_table.delete_entity, entry.partition, entry.row),
            )

    # ------------------------------------------------------------------ batches

    def batch_get(self, keys: list[Key]) -> list[Item | None]:
        return [self.get(key) for key in keys]

    def batch_write(self, puts: list[Item], deletes: list[Key]) -> None:
        entities = [guard(self.ref, partial(self._encode, item)) for item in puts]
        if self._schema.indexes:
            for item in puts:
                self.put(item)
            for key in deletes:
                self.delete(key)
            return
        by_partition: dict[str, list[dict[str, Any]]] = {}
        for entity in entities:
            by_partition.setdefault(entity["PartitionKey"], []).append(entity)
        for group in by_partition.values():
            for start in range(0, len(group), BATCH_OPERATIONS):
                operations = [
                    ("upsert", entity, {"mode": "replace"})
                    for entity in group[start : start + BATCH_OPERATIONS]
                ]
                guard(self.ref, partial(self._table.submit_transaction, operations))
        for key in deletes:
            self.delete(key)

    def transact(self, operations: list[Prepared]) -> None:
        """One entity-group transaction, with If-Match on every entity read; a lost race
        is read and checked again. A check that an item is *absent* is made when it is
        read: the service has no operation that asserts absence without creating."""
        from azure.core import MatchConditions

        if self._schema.indexes:
            raise UnsupportedTransaction(
                f"table {self.ref.name!r} on Azure Table Storage: a table with indexes cannot "
                "have transactions (its index entities live in another table, and an "
                "entity-group transaction spans one table)"
            )
        addresses = [self._address(op.key) for op in operations]
        if len({a[0] for a in addresses if a is not None}) > 1:
            raise UnsupportedTransaction(
                f"table {self.ref.name!r} on Azure Table Storage: a transaction spans one "
                "partition (entity-group transactions); these items are in several"
            )
        entities = [
            guard(self.ref, partial(self._encode, op.item)) if op.item is not None else None
            for op in operations
        ]
        for _ in range(_UPDATE_ROUNDS):
            stored = [self._entity(op.key) for op in operations]
            for op, entity in zip(operations, stored, strict=True):
                current = self._decode(entity) if entity is not None else None
                if op.condition is not None and not op.condition.holds(current):
                    self._refuse(op.condition)
            batch: list[Any] = []
            for op, old, new in zip(operations, stored, entities, strict=True):
                if old is None:
                    if op.kind == "put":
                        batch.append(("create", new))
                    continue
                guarded = {
                    "etag": old.metadata["etag"],
                    "match_condition": MatchConditions.IfNotModified,
                }
                address = {"PartitionKey": old["PartitionKey"], "RowKey": old["RowKey"]}
                if op.kind == "put":
                    batch.append(("update", new, {"mode": "replace", **guarded}))
                elif op.kind == "delete":
                    batch.append(("delete", address, guarded))
                else:  # check: an empty merge, refused if the entity changed since read
                    batch.append(("update", address, {"mode": "merge", **guarded}))
            if not batch:
                return

            def submit(batch: list[Any] = batch) -> bool:
                try:
                    self._table.submit_transaction(batch)
                except Exception as exc:
                    if "TableTransactionError" in class_names(exc):
                        return False  # an entity changed, appeared or went: read again
                    raise
                return True

            if guard(self.ref, submit):
                return
        raise self.ref.error(
            ConditionFailed,
            f"the items kept changing during the transaction ({_UPDATE_ROUNDS} tries)",
        )

    # ------------------------------------------------------------------ listings

    def query(self, query: Query) -> Page[Item]:
        if query.by_prefix:
            return self._prefix_query(query.prefix, query.limit, query.position)
        if query.index is not None:
            return self._index_query(query)
        assert query.partition is not None
        conditions = ["PartitionKey eq @partition"]
        parameters = {"partition": query.partition}
        if query.sort is not None:
            low, low_in, high, high_in = query.sort.bounds()
            if low is not None:
                conditions.append(f"RowKey {'ge' if low_in else 'gt'} @low")
                parameters["low"] = low
            if high is not None:
                conditions.append(f"RowKey {'le' if high_in else 'lt'} @high")
                parameters["high"] = high
        if query.position is not None:
            conditions.append(f"RowKey {'lt' if query.descending else 'gt'} @after")
            parameters["after"] = query.position
        entities = self._read(conditions, parameters, query.limit, query.descending)
        page = entities[: query.limit]
        more = len(entities) > query.limit
        return Page([self._decode(e) for e in page], page[-1]["RowKey"] if more else None)

    def _read(
        self,
        conditions: list[str],
        parameters: dict[str, str],
        limit: int,
        descending: bool,
        table: Any = None,
    ) -> list[Any]:
        """The first ``limit`` + 1 entities in RowKey order (the last, reversed, when
        descending: the service reads forwards only)."""
        client = table if table is not None else self._table
        text = " and ".join(conditions)

        def read() -> list[Any]:
            found: Iterable[Any] = client.query_entities(
                text, parameters=parameters, results_per_page=min(limit + 1, 1000)
            )
            if descending:
                return list(reversed(deque(found, maxlen=limit + 1)))
            return list(islice(found, limit + 1))

        return guard(self.ref, read)

    def _index_query(self, query: Query) -> Page[Item]:
        index = query.index
        assert index is not None and query.partition is not None
        conditions = ["PartitionKey eq @partition"]
        parameters = {"partition": index_partition(index, query.partition)}
        lowest, above = row_range(query.sort)
        if lowest is not None:
            conditions.append("RowKey ge @low")
            parameters["low"] = lowest
        if above is not None:
            conditions.append("RowKey lt @high")
            parameters["high"] = above
        if query.position is not None:
            conditions.append(f"RowKey {'lt' if query.descending else 'gt'} @after")
            parameters["after"] = query.position
        found = self._read(
            conditions, parameters, query.limit, query.descending, table=self._index_table
        )
        page = found[: query.limit]
        items = []
        for entity in page:
            entry = IndexEntry(entity["PartitionKey"], entity["RowKey"], (entity["p"], None))
            sort = entity["s"] if self._sort is not None else None
            item = self.get((entity["p"], sort))
            # An entity the item no longer matches is stale (the index lags its item):
            # skip it rather than return an item the query does not describe.
            if item is not None and entry in entries_of(self._schema, item):
                items.append(item)
        more = len(found) > query.limit
        return Page(items, page[-1]["RowKey"] if more else None)

    def _prefix_query(self, prefix: str, limit: int, cursor: str | None) -> Page[Item]:
        conditions = ["PartitionKey eq @partition"]
        parameters = {"partition": PARTITION}
        if prefix:
            conditions.append("RowKey ge @low")
            parameters["low"] = prefix
            high = successor(prefix)
            if high is not None:
                conditions.append("RowKey lt @high")
                parameters["high"] = high
        return self._page(" and ".join(conditions), parameters, limit, cursor)

    def scan(self, limit: int, cursor: str | None) -> Page[Item]:
        if self._sort is None:
            return self._prefix_query("", limit, cursor)
        return self._page("", {}, limit, cursor)

    def _page(
        self, query: str, parameters: dict[str, str], limit: int, cursor: str | None
    ) -> Page[Item]:
        token = _decode_cursor(cursor)

        def one_page() -> tuple[list[Any], Any]:
            if query:
                pager = self._table.query_entities(
                    query, parameters=parameters, results_per_page=limit
                )
            else:
                pager = self._table.list_entities(results_per_page=limit)
            pages = pager.by_page(continuation_token=token)
            entities = list(next(pages))
            return entities, pages.continuation_token

        entities, next_token = guard(self.ref, one_page)
        items = [self._decode(entity) for entity in entities]
        return Page(items, _encode_cursor(next_token))


# The SDK's continuation token is a dict (next partition and row key); a polyfn cursor is
# a string, so it travels as URL-safe base64 of its JSON.
def _encode_cursor(token: Any) -> str | None:
    if not token:
        return None
    return base64.urlsafe_b64encode(json.dumps(token).encode()).decode("ascii")


def _decode_cursor(cursor: str | None) -> Any:
    if not cursor:
        return None
    try:
        return json.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
    except ValueError:
        raise ValueError(f"not a cursor of this table: {cursor!r}") from None
