"""The table port on a Cloud Firestore collection (native mode, default database).

The document id is the item's key and the document holds the whole item, key included.
Values are Firestore's own: str, int (64-bit), float, bool, None, bytes, lists and maps
round-trip. Firestore cannot hold a list directly inside a list, an int beyond 64 bits or
a map key like ``__x__``; those are ``UnsupportedValue`` at write time.

``query(prefix)`` orders by document id from ``prefix`` on and stops at the first id
that no longer starts with it, one page (``limit`` + 1 documents) per request.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from polyfn.adapters.common.errors import ResourceRef, TooLarge, Unstorable, class_names
from polyfn.adapters.gcp.backends.clients import google_client
from polyfn.adapters.gcp.backends.errors import guard
from polyfn.core.errors import PayloadTooLarge
from polyfn.core.resources import Item, Page

__all__ = ["MAX_DOCUMENT_BYTES", "FirestoreCollection", "document_size"]

# Firestore "Usage and limits" (checked 2026-11): a document is at most 1 MiB (1,048,576
# bytes, by the storage size rules); ids are at most 1,500 bytes, cannot contain '/', be
# '.' or '..', or match __.*__; field names cannot match __.*__; maps and arrays nest at
# most 20 deep; integers are 64-bit.
MAX_DOCUMENT_BYTES = 1_048_576
_MAX_ID_BYTES = 1500
_MAX_DEPTH = 20
_RESERVED = re.compile(r"^__.*__$")
_INT64 = range(-(2**63), 2**63)


def storable_id(key: str) -> bool:
    return (
        0 < len(key.encode()) <= _MAX_ID_BYTES
        and "/" not in key
        and key not in (".", "..")
        and not _RESERVED.match(key)
    )


class FirestoreCollection:
    """Items of one Firestore collection."""

    def __init__(self, name: str, physical: str, key: str) -> None:
        self.ref = ResourceRef("gcp", "table", name, physical)
        self._key = key
        self._collection_ref: Any = None

    @property
    def _collection(self) -> Any:
        if self._collection_ref is None:
            client = google_client("firestore", self.ref)
            self._collection_ref = client.collection(self.ref.physical)
        return self._collection_ref

    def get(self, key: str) -> Item | None:
        if not storable_id(key):
            return None  # no document can have this id
        snapshot = guard(self.ref, lambda: self._collection.document(key).get(retry=None))
        return self._item(snapshot) if snapshot.exists else None

    def put(self, item: Item) -> None:
        document = self._checked(item)
        guard(
            self.ref, lambda: self._collection.document(item[self._key]).set(document, retry=None)
        )

    def put_if_absent(self, item: Item) -> bool:
        document = self._checked(item)

        def create() -> bool:
            try:
                self._collection.document(item[self._key]).create(document, retry=None)
            except Exception as exc:
                if class_names(exc) & {"AlreadyExists", "Conflict"}:
                    return False
                raise
            return True

        return guard(self.ref, create)

    def update(self, key: str, changes: Mapping[str, Any]) -> Item:
        from google.cloud.firestore_v1.field_path import FieldPath

        changes = {name: value for name, value in changes.items() if name != self._key}
        if not storable_id(key):
            raise KeyError(key)
        if changes:

            def update() -> bool:
                for name, value in changes.items():
                    _check_field(name, value, name, 1)  # Unstorable: UnsupportedValue
                # Quoted field paths: a top-level name with a '.' is that name, not a path.
                fields = {FieldPath(name).to_api_repr(): value for name, value in changes.items()}
                try:
                    # Firestore's update requires the document to exist.
                    self._collection.document(key).update(fields, retry=None)
                except Exception as exc:
                    if "NotFound" in class_names(exc):
                        return False
                    raise
                return True

            if not guard(self.ref, update):
                raise KeyError(key)
        item = self.get(key)
        if item is None:
            raise KeyError(key)
        return item

    def delete(self, key: str) -> None:
        if not storable_id(key):
            return
        guard(self.ref, lambda: self._collection.document(key).delete(retry=None))

    def query(self, prefix: str, limit: int, cursor: str | None) -> Page[Item]:
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
        return self.query("", limit, cursor)

    def _item(self, snapshot: Any) -> Item:
        item: Item = dict(snapshot.to_dict() or {})
        item[self._key] = snapshot.id
        return item

    def _checked(self, item: Item) -> dict[str, Any]:
        key = item[self._key]
        if not storable_id(key):
            raise self.ref.unsupported(
                f"{key!r} cannot be a Firestore document id (at most 1,500 bytes, no '/', "
                "not '.', '..' or __name__-like)"
            )
        try:
            for name, value in item.items():
                _check_field(name, value, name, 1)
            size = document_size(self.ref.physical, key, item)
            if size > MAX_DOCUMENT_BYTES:
                raise TooLarge(f"item {key!r}", size, MAX_DOCUMENT_BYTES, "Firestore document")
        except Unstorable as exc:
            raise self.ref.unsupported(str(exc)) from exc
        except TooLarge as exc:
            raise self.ref.error(PayloadTooLarge, str(exc)) from exc
        return dict(item)


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
    return 0
