"""The table port on a Cloud Firestore collection (native mode, default database).

The document id is the item's key and the document holds the whole item, key included.
Values are Firestore's own: str, int (64-bit), float, bool, None, bytes, lists and maps
round-trip. Firestore cannot hold a list directly inside a list, an int beyond 64 bits or
a map key like ``__x__``; those are ``UnsupportedValue`` at write time.

``query(prefix)`` orders by document id from ``prefix`` on and stops at the first id
that no longer starts with it, one page (``limit`` + 1 documents) per request.

With a sort key the document id is ``partition|sort`` (``%``, ``/`` and ``|`` escaped as
``%25``, ``%2F``, ``%7C``) and the key fields are in the document, so a partition's
query is ``where(key == partition)`` ordered by the sort field. A polyfn index is a field
query too (``where(partition field == value)`` ordered by its sort field, then the
document id); Firestore answers those from its automatic single-field indexes, and one
with a sort field needs a composite index, which the deploy artifact declares
(``firestore.indexes.json``). Conditional writes run in a Firestore transaction (read,
check, write; Firestore retries it on contention); batches are ``WriteBatch``es of at
most 500 writes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import partial
from typing import Any

from polyfn.adapters.common.errors import ResourceRef, TooLarge, Unstorable, class_names
from polyfn.adapters.gcp.backends.clients import google_client
from polyfn.adapters.gcp.backends.errors import guard
from polyfn.core.errors import ConditionFailed, PayloadTooLarge
from polyfn.core.resources import Item, Page, Table
from polyfn.core.table_conditions import Condition
from polyfn.core.table_keys import KeySchema, Query
from polyfn.core.table_transactions import Prepared

__all__ = ["EXPIRY_FIELD", "MAX_DOCUMENT_BYTES", "FirestoreCollection", "document_size"]

# Firestore "Usage and limits" (checked 2026-11): a document is at most 1 MiB (1,048,576
# bytes, by the storage size rules); ids are at most 1,500 bytes, cannot contain '/', be
# '.' or '..', or match __.*__; field names cannot match __.*__; maps and arrays nest at
# most 20 deep; integers are 64-bit.
MAX_DOCUMENT_BYTES = 1_048_576
_MAX_ID_BYTES = 1500
_MAX_DEPTH = 20
_RESERVED = re.compile(r"^__.*__$")
_INT64 = range(-(2**63), 2**63)
# A batched write holds at most 500 operations ("Usage and limits", checked 2026-12).
BATCH_WRITES = 500
BATCH_READS = 500
# The field that holds an expiring item's expiry as a Firestore timestamp, written beside
# the item's own number (seconds since the epoch, what DynamoDB TTL reads): a Firestore
# TTL policy deletes by a timestamp field only ("Manage data retention with TTL
# policies", checked 2026-12). Deploy names it in the policy; reads leave it out.
EXPIRY_FIELD = "polyfn_expires_at"
Key = tuple[str, str | None]


def _escape(part: str) -> str:
    return part.replace("%", "%25").replace("/", "%2F").replace("|", "%7C")


def storable_id(key: str) -> bool:
    return (
        0 < len(key.encode()) <= _MAX_ID_BYTES
        and "/" not in key
        and key not in (".", "..")
        and not _RESERVED.match(key)
    )


class FirestoreCollection:
    """Items of one Firestore collection."""

    def __init__(
        self, name: str, physical: str, schema: KeySchema, table: Table | None = None
    ) -> None:
        self.ref = ResourceRef("gcp", "table", name, physical)
        self._schema = schema
        # Read on each write, not here: @idempotent may mark the table after first use.
        self._table = table
        self._key = schema.key
        self._sort = schema.sort
        self._collection_ref: Any = None

    def _id(self, key: Key) -> str:
        partition, sort = key
        if self._sort is None or sort is None:
            return partition
        return f"{_escape(partition)}|{_escape(sort)}"

    def _item_id(self, item: Item) -> str:
        return self._id(self._schema.key_of(item))

    def _refuse(self, condition: Condition | None) -> None:
        raise self.ref.error(ConditionFailed, f"condition {condition!r} does not hold")

    @property
    def _collection(self) -> Any:
        if self._collection_ref is None:
            client = google_client("firestore", self.ref)
            self._collection_ref = client.collection(self.ref.physical)
        return self._collection_ref

    def get(self, key: Key) -> Item | None:
        doc_id = self._id(key)
        if not storable_id(doc_id):
            return None  # no document can have this id
        snapshot = guard(self.ref, lambda: self._collection.document(doc_id).get(retry=None))
        return self._item(snapshot) if snapshot.exists else None

    def put(self, item: Item, condition: Condition | None = None) -> None:
        document = self._checked(item)
        reference = self._collection.document(self._item_id(item))
        if condition is None:
            guard(self.ref, lambda: reference.set(document, retry=None))
            return

        def write(transaction: Any, current: Item | None) -> None:
            transaction.set(reference, document)

        self._conditionally(reference, condition, write)

    def _conditionally(self, reference: Any, condition: Condition, write: Any) -> Any:
        """Read the document, check ``condition``, ``write``: one transaction."""
        from google.cloud.firestore_v1.transaction import transactional

        @transactional
        def run(transaction: Any) -> tuple[bool, Any]:
            snapshot = reference.get(transaction=transaction)
            current = self._item(snapshot) if snapshot.exists else None
            if not condition.holds(current):
                return False, None
            return True, write(transaction, current)

        held, result = guard(self.ref, lambda: run(self._collection._client.transaction()))
        if not held:
            self._refuse(condition)
        return result

    def put_if_absent(self, item: Item) -> bool:
        document = self._checked(item)

        def create() -> bool:
            try:
                self._collection.document(self._item_id(item)).create(document, retry=None)
            except Exception as exc:
                if class_names(exc) & {"AlreadyExists", "Conflict"}:
                    return False
                raise
            return True

        return guard(self.ref, create)

    def update(
        self, key: Key, changes: Mapping[str, Any], condition: Condition | None = None
    ) -> Item:
        from google.cloud.firestore_v1.field_path import FieldPath

        key_names = set(self._schema.key_attributes())
        changes = {name: value for name, value in changes.items() if name not in key_names}
        doc_id = self._id(key)
        missing = key[0] if key[1] is None else key
        if not storable_id(doc_id):
            raise KeyError(missing)
        for name, value in changes.items():
            try:
                _check_field(name, value, name, 1)
            except Unstorable as exc:
                raise self.ref.unsupported(str(exc)) from exc
        # Quoted field paths: a top-level name with a '.' is that name, not a path.
        fields = {
            FieldPath(name).to_api_repr(): value
            for name, value in {**changes, **self._expiry_fields(changes)}.items()
        }
        reference = self._collection.document(doc_id)
        if condition is not None:

            def write(transaction: Any, current: Item | None) -> Item:
                if current is None:
                    raise KeyError(missing)
                if fields:
                    transaction.update(reference, fields)
                return {**current, **changes}

            try:
                return dict(self._conditionally(reference, condition, write))
            except ConditionFailed:
                if self.get(key) is None:
                    raise KeyError(missing) from None
                raise
        if changes:

            def update() -> bool:
                try:
                    # Firestore's update requires the document to exist.
                    reference.update(fields, retry=None)
                except Exception as exc:
                    if "NotFound" in class_names(exc):
                        return False
                    raise
                return True

            if not guard(self.ref, update):
                raise KeyError(missing)
        item = self.get(key)
        if item is None:
            raise KeyError(missing)
        return item

    def delete(self, key: Key, condition: Condition | None = None) -> None:
        doc_id = self._id(key)
        if not storable_id(doc_id):
            if condition is not None and not condition.holds(None):
                self._refuse(condition)
            return
        reference = self._collection.document(doc_id)
        if condition is None:
            guard(self.ref, lambda: reference.delete(retry=None))
            return

        def write(transaction: Any, current: Item | None) -> None:
            transaction.delete(reference)

        self._conditionally(reference, condition, write)

    def batch_get(self, keys: list[Key]) -> list[Item | None]:
        ids = [self._id(key) for key in keys]
        found: dict[str, Item] = {}
        client = self._collection._client
        storable = [doc_id for doc_id in ids if storable_id(doc_id)]
        for start in range(0, len(storable), BATCH_READS):
            references = [
                self._collection.document(i) for i in storable[start : start + BATCH_READS]
            ]
            snapshots: list[Any] = guard(self.ref, partial(_all, client, references))
            for snapshot in snapshots:
                if snapshot.exists:
                    found[snapshot.id] = self._item(snapshot)
        return [found.get(doc_id) for doc_id in ids]

    def batch_write(self, puts: list[Item], deletes: list[Key]) -> None:
        # Every item is checked before the first batch is committed.
        writes: list[tuple[str, dict[str, Any] | None]] = [
            (self._item_id(item), self._checked(item)) for item in puts
        ]
        writes += [(self._id(key), None) for key in deletes if storable_id(self._id(key))]
        client = self._collection._client
        for start in range(0, len(writes), BATCH_WRITES):
            batch = client.batch()
            for doc_id, document in writes[start : start + BATCH_WRITES]:
                reference = self._collection.document(doc_id)
                if document is None:
                    batch.delete(reference)
                else:
                    batch.set(reference, document)
            guard(self.ref, partial(batch.commit, retry=None))

    def transact(self, operations: list[Prepared]) -> None:
        from google.cloud.firestore_v1.transaction import transactional

        documents = [self._checked(op.item) if op.item is not None else None for op in operations]
        ids = [self._id(op.key) for op in operations]
        references = [self._collection.document(i) if storable_id(i) else None for i in ids]

        @transactional
        def run(transaction: Any) -> bool:
            # Firestore wants every read of a transaction before its first write.
            current = []
            for reference in references:
                snapshot = reference.get(transaction=transaction) if reference else None
                current.append(self._item(snapshot) if snapshot and snapshot.exists else None)
            for op, item in zip(operations, current, strict=True):
                if op.condition is not None and not op.condition.holds(item):
                    return False
            for op, reference, document in zip(operations, references, documents, strict=True):
                if reference is None:
                    continue  # a key no document can have: nothing to delete or check
                if op.kind == "put":
                    transaction.set(reference, document)
                elif op.kind == "delete":
                    transaction.delete(reference)
            return True

        if not guard(self.ref, lambda: run(self._collection._client.transaction())):
            raise self.ref.error(ConditionFailed, "a condition of the transaction does not hold")

    def query(self, query: Query) -> Page[Item]:
        if query.by_prefix:
            return self._prefix_query(query.prefix, query.limit, query.position)
        from google.cloud.firestore_v1.base_query import FieldFilter
        from google.cloud.firestore_v1.field_path import FieldPath
        from google.cloud.firestore_v1.query import Query as FirestoreQuery

        assert query.partition is not None
        index = query.index
        partition_field = index.partition if index else self._key
        sort_field = index.sort if index else self._sort
        direction = FirestoreQuery.DESCENDING if query.descending else FirestoreQuery.ASCENDING
        document_id = FieldPath.document_id()
        quoted_partition = FieldPath(partition_field).to_api_repr()
        found = self._collection.where(filter=FieldFilter(quoted_partition, "==", query.partition))
        quoted_sort = FieldPath(sort_field).to_api_repr() if sort_field else None
        if quoted_sort is not None:
            if query.sort is not None:
                low, low_in, high, high_in = query.sort.bounds()
                if low is not None:
                    found = found.where(
                        filter=FieldFilter(quoted_sort, ">=" if low_in else ">", low)
                    )
                if high is not None:
                    found = found.where(
                        filter=FieldFilter(quoted_sort, "<=" if high_in else "<", high)
                    )
            found = found.order_by(quoted_sort, direction=direction)
        found = found.order_by(document_id, direction=direction)
        if query.position:
            last_sort, last_id = self._position(query.position)
            after: dict[str, Any] = {document_id: self._collection.document(last_id)}
            if quoted_sort is not None:
                after[quoted_sort] = last_sort
            found = found.start_after(after)
        found = found.limit(query.limit + 1)
        snapshots = guard(self.ref, lambda: list(found.stream(retry=None)))
        page = snapshots[: query.limit]
        cursor = None
        if len(snapshots) > query.limit:
            last = page[-1]
            last_sort = last.get(quoted_sort) if quoted_sort is not None else None
            cursor = json.dumps([last_sort, last.id])
        return Page([self._item(s) for s in page], cursor)

    def _position(self, position: str) -> tuple[str | None, str]:
        try:
            last_sort, last_id = json.loads(position)
        except (ValueError, TypeError):
            raise ValueError(f"table {self.ref.name!r}: not a cursor of this query") from None
        if not isinstance(last_id, str) or not storable_id(last_id):
            raise ValueError(f"table {self.ref.name!r}: not a cursor of this query")
        return last_sort, last_id

    def _prefix_query(self, prefix: str, limit: int, cursor: str | None) -> Page[Item]:
        if "/" in prefix:
            return Page([])  # no document id holds a '/'
        from google.cloud.firestore_v1.base_query import FieldFilter
        from google.cloud.firestore_v1.field_path import FieldPath

        document_id = FieldPath.document_id()
        query = self._collection.order_by(document_id)
        if prefix and storable_id(prefix):
            start = self._collection.document(prefix)
            query = query.where(filter=FieldFilter(document_id, ">=", start))
        if cursor:
            query = query.start_after({document_id: self._collection.document(cursor)})
        query = query.limit(limit + 1)
        snapshots = guard(self.ref, lambda: list(query.stream(retry=None)))
        matching = [s for s in snapshots if s.id.startswith(prefix)]
        more = len(matching) > limit
        page = matching[:limit]
        return Page([self._item(s) for s in page], page[-1].id if more else None)

    def scan(self, limit: int, cursor: str | None) -> Page[Item]:
        if self._sort is None:
            return self._prefix_query("", limit, cursor)
        from google.cloud.firestore_v1.field_path import FieldPath

        document_id = FieldPath.document_id()
        found = self._collection.order_by(document_id)
        if cursor:
            found = found.start_after({document_id: self._collection.document(cursor)})
        snapshots = guard(self.ref, lambda: list(found.limit(limit + 1).stream(retry=None)))
        page = snapshots[:limit]
        more = len(snapshots) > limit
        return Page([self._item(s) for s in page], page[-1].id if more else None)

    @property
    def _expiry(self) -> str | None:
        return None if self._table is None else self._table.expiry

    def _item(self, snapshot: Any) -> Item:
        item: Item = dict(snapshot.to_dict() or {})
        if self._sort is None:
            item[self._key] = snapshot.id
        if self._expiry is not None:
            item.pop(EXPIRY_FIELD, None)
        return item

    def _expiry_fields(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """``{EXPIRY_FIELD: timestamp}`` when ``values`` hold the table's expiry number;
        else nothing (no expiry, or not a number a timestamp can hold: the item then
        never expires by TTL, and the reader's own check of the number still applies)."""
        expiry = self._expiry
        if expiry is None:
            return {}
        if EXPIRY_FIELD in values:
            raise self.ref.unsupported(
                f"{EXPIRY_FIELD!r} is polyfn's own field on a table with expiring items"
            )
        seconds = values.get(expiry)
        if isinstance(seconds, bool) or not isinstance(seconds, int | float):
            return {}
        from datetime import UTC, datetime

        try:
            return {EXPIRY_FIELD: datetime.fromtimestamp(seconds, UTC)}
        except (OverflowError, OSError, ValueError):
            return {}

    def _checked(self, item: Item) -> dict[str, Any]:
        key = self._item_id(item)
        if not storable_id(key):
            raise self.ref.unsupported(
                f"{key!r} cannot be a Firestore document id (at most 1,500 bytes, no '/', "
                "not '.', '..' or __name__-like)"
            )
        document = {**item, **self._expiry_fields(item)}
        try:
            for name, value in item.items():
                _check_field(name, value, name, 1)
            size = document_size(self.ref.physical, key, document)
            if size > MAX_DOCUMENT_BYTES:
                raise TooLarge(f"item {key!r}", size, MAX_DOCUMENT_BYTES, "Firestore document")
        except Unstorable as exc:
            raise self.ref.unsupported(str(exc)) from exc
        except TooLarge as exc:
            raise self.ref.error(PayloadTooLarge, str(exc)) from exc
        return document


def _all(client: Any, references: list[Any]) -> list[Any]:
    return list(client.get_all(references))


def _check_field(name: Any, value: Any, path: str, depth: int) -> None:
    if not isinstance(name, str) or not name:
        raise Unstorable("field names must be non-empty strings", path)
    if _RESERVED.match(name):
        raise Unstorable("Firestore reserves field names like __name__", path)
    _check_value(value, path, depth)


def _check_value(value: Any, path: str, depth: int) -> None:
    if value is None or isinstance(value, bool | str | bytes):
        return
    if isinstance(value, int):
        if value not in _INT64:
            raise Unstorable("Firestore integers are 64-bit", path)
        return
    if isinstance(value, float):
        return  # NaN and infinities are valid Firestore doubles
    if depth > _MAX_DEPTH:
        raise Unstorable(f"Firestore nests maps and lists at most {_MAX_DEPTH} deep", path)
    if isinstance(value, list | tuple):
        for index, inner in enumerate(value):
            if isinstance(inner, list | tuple):
                raise Unstorable("Firestore cannot hold a list directly inside a list", path)
            _check_value(inner, f"{path}[{index}]", depth + 1)
        return
    if isinstance(value, Mapping):
        for name, inner in value.items():
            _check_field(name, inner, f"{path}.{name}", depth + 1)
        return
    raise Unstorable(f"a {type(value).__name__} cannot be stored in Firestore", path)


def document_size(collection: str, document_id: str, fields: Mapping[str, Any]) -> int:
    """The document's size by Firestore's "Storage size calculations": its name, each
    field name and value, and 32 bytes."""
    name = len(collection.encode()) + 1 + len(document_id.encode()) + 1 + 16
    return name + sum(len(k.encode()) + 1 + _value_size(v) for k, v in fields.items()) + 32


def _value_size(value: Any) -> int:
    if value is None or isinstance(value, bool):
        return 1
    if isinstance(value, int | float):
        return 8
    if isinstance(value, str):
        return len(value.encode()) + 1
    if isinstance(value, bytes):
        return len(value)
    if isinstance(value, list | tuple):
        return sum(_value_size(v) for v in value)
    if isinstance(value, Mapping):
        return sum(len(str(k).encode()) + 1 + _value_size(v) for k, v in value.items())
    from datetime import datetime

    if isinstance(value, datetime):
        return 8  # a timestamp (EXPIRY_FIELD)
    return 0
