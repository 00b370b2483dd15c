"""The table port on Azure Table Storage (entity layout: ``table_codec``)."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from functools import cached_property
from typing import Any

from polyfn.adapters.azure.backends.clients import service_client
from polyfn.adapters.azure.backends.errors import error_code, guard
from polyfn.adapters.azure.backends.table_codec import (
    PARTITION,
    decode_entity,
    encode_entity,
    storable_key,
)
from polyfn.adapters.common.errors import ResourceRef, class_names
from polyfn.core.errors import ConditionFailed
from polyfn.core.resources import Item, Page

__all__ = ["StorageTable"]

# update() is read-merge-write guarded by the entity's ETag; a writer that keeps losing
# the race gives up after this many rounds rather than spinning.
_UPDATE_ROUNDS = 5


class StorageTable:
    """Items of one Table Storage table."""

    def __init__(self, name: str, physical: str, key: str) -> None:
        self.ref = ResourceRef("azure", "table", name, physical)
        self._key = key

    @cached_property
    def _table(self) -> Any:
        # Made on first use: binding a table needs neither the SDK nor credentials.
        return service_client("table", self.ref).get_table_client(self.ref.physical)

    def _entity(self, key: str) -> Any:
        """The stored entity (with its ETag in ``.metadata``), or None."""

        def fetch() -> Any:
            try:
                return self._table.get_entity(PARTITION, key)
            except Exception as exc:
                if error_code(exc) == "ResourceNotFound":
                    return None  # the entity; a missing table is TableNotFound
                raise

        return guard(self.ref, fetch)

    def get(self, key: str) -> Item | None:
        if not storable_key(key):
            return None  # no item can have this key
        entity = self._entity(key)
        return decode_entity(self._key, entity) if entity is not None else None

    def put(self, item: Item) -> None:
        from azure.data.tables import UpdateMode

        guard(
            self.ref,
            lambda: self._table.upsert_entity(
                encode_entity(self._key, item), mode=UpdateMode.REPLACE
            ),
        )

    def put_if_absent(self, item: Item) -> bool:
        def create() -> bool:
            entity = encode_entity(self._key, item)
            try:
                self._table.create_entity(entity)
            except Exception as exc:
                if "ResourceExistsError" in class_names(exc):
                    return False
                raise
            return True

        return guard(self.ref, create)

    def update(self, key: str, changes: Mapping[str, Any]) -> Item:
        from azure.core import MatchConditions
        from azure.data.tables import UpdateMode

        if not storable_key(key):
            raise KeyError(key)
        for _ in range(_UPDATE_ROUNDS):
            entity = self._entity(key)
            if entity is None:
                raise KeyError(key)
            merged = {**decode_entity(self._key, entity), **changes, self._key: key}
            etag = entity.metadata["etag"]

            def replace(merged: Item = merged, etag: str = etag) -> bool:
                try:
                    self._table.update_entity(
                        encode_entity(self._key, merged),
                        mode=UpdateMode.REPLACE,
                        etag=etag,
                        match_condition=MatchConditions.IfNotModified,
                    )
                except Exception as exc:
                    names = class_names(exc)
                    if "ResourceModifiedError" in names or "ResourceNotFoundError" in names:
                        return False  # changed or deleted meanwhile: read again
                    raise
                return True

            if guard(self.ref, replace):
                return merged
        raise self.ref.error(
            ConditionFailed, f"item {key!r} kept changing during update ({_UPDATE_ROUNDS} tries)"
        )

    def delete(self, key: str) -> None:
        if not storable_key(key):
            return
        # The SDK treats a missing entity as deleted already.
        guard(self.ref, lambda: self._table.delete_entity(PARTITION, key))

    def query(self, prefix: str, limit: int, cursor: str | None) -> Page[Item]:
        conditions = ["PartitionKey eq @partition"]
        parameters = {"partition": PARTITION}
        if prefix:
            conditions.append("RowKey ge @low")
            parameters["low"] = prefix
            high = _successor(prefix)
            if high is not None:
                conditions.append("RowKey lt @high")
                parameters["high"] = high
        return self._page(" and ".join(conditions), parameters, limit, cursor)

    def scan(self, limit: int, cursor: str | None) -> Page[Item]:
        return self.query("", limit, cursor)

    def _page(
        self, query: str, parameters: dict[str, str], limit: int, cursor: str | None
    ) -> Page[Item]:
        token = _decode_cursor(cursor)

        def one_page() -> tuple[list[Any], Any]:
            pages = self._table.query_entities(
                query, parameters=parameters, results_per_page=limit
            ).by_page(continuation_token=token)
            entities = list(next(pages))
            return entities, pages.continuation_token

        entities, next_token = guard(self.ref, one_page)
        items = [decode_entity(self._key, entity) for entity in entities]
        return Page(items, _encode_cursor(next_token))


def _successor(prefix: str) -> str | None:
    """The smallest string greater than every string starting with ``prefix``."""
    chars = list(prefix)
    while chars:
        last = ord(chars.pop())
        if last < 0x10FFFF:
            following = 0xE000 if last + 1 == 0xD800 else last + 1  # skip the surrogates
            return "".join(chars) + chr(following)
    return None


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
