"""The table port on Amazon DynamoDB: one table per polyfn table, keyed by a string hash
key named like ``table.key``.

Reads are strongly consistent, so a handler reads its own writes as on every other
backend (at twice the read-capacity cost of an eventually consistent read).

``query(prefix)`` is a Scan: a hash key cannot be range-queried, so DynamoDB must look at
every item and polyfn filters with ``begins_with`` and sorts. Each page reads the whole
table; that is fine for small tables and slow and costly for large ones, where a table
with a sort key designed for the access pattern (not portable) is the right tool.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Mapping
from functools import cached_property, partial
from typing import Any

from polyfn.adapters.aws.backends.clients import aws_client
from polyfn.adapters.aws.backends.dynamodb_codec import (
    MAX_ITEM_BYTES,
    MAX_KEY_BYTES,
    decode_item,
    encode_item,
    encode_value,
    item_size,
)
from polyfn.adapters.aws.backends.errors import error_code, guard
from polyfn.adapters.common.errors import ResourceRef, TooLarge, Unstorable
from polyfn.core.resources import Item, Page

__all__ = ["DynamoDbTable"]

_LIMIT_SOURCE = "DynamoDB item size quota"


class DynamoDbTable:
    """Items of one DynamoDB table."""

    def __init__(self, name: str, physical: str, key: str) -> None:
        self.ref = ResourceRef("aws", "table", name, physical)
        self._table = physical
        self._key = key

    @cached_property
    def _client(self) -> Any:
        # Made on first use: building a backend (binding an App, a test) creates no client.
        return aws_client("dynamodb")

    def _key_of(self, key: str) -> dict[str, Any]:
        return {self._key: {"S": key}}

    def get(self, key: str) -> Item | None:
        if not _storable_key(key):
            return None  # no item can have this key
        response = guard(
            self.ref,
            lambda: self._client.get_item(
                TableName=self._table, Key=self._key_of(key), ConsistentRead=True
            ),
        )
        attributes = response.get("Item")
        return decode_item(attributes) if attributes else None

    def put(self, item: Item) -> None:
        guard(
            self.ref,
            lambda: self._client.put_item(TableName=self._table, Item=self._encoded(item)),
        )

    def put_if_absent(self, item: Item) -> bool:
        def put() -> bool:
            try:
                self._client.put_item(
                    TableName=self._table,
                    Item=self._encoded(item),
                    ConditionExpression="attribute_not_exists(#k)",
                    ExpressionAttributeNames={"#k": self._key},
                )
            except Exception as exc:
                if error_code(exc) == "ConditionalCheckFailedException":
                    return False
                raise
            return True

        return guard(self.ref, put)

    def update(self, key: str, changes: Mapping[str, Any]) -> Item:
        changes = {name: value for name, value in changes.items() if name != self._key}
        if not changes or not _storable_key(key):
            current = self.get(key)
            if current is None:
                raise KeyError(key)
            return current
        names = {"#k": self._key}
        assignments = []
        for index, name in enumerate(changes):
            names[f"#a{index}"] = name
            assignments.append(f"#a{index} = :v{index}")

        def update() -> dict[str, Any] | None:
            values = {f":v{i}": encode_value(v, n) for i, (n, v) in enumerate(changes.items())}
            try:
                return dict(
                    self._client.update_item(
                        TableName=self._table,
                        Key=self._key_of(key),
                        UpdateExpression="SET " + ", ".join(assignments),
                        ConditionExpression="attribute_exists(#k)",
                        ExpressionAttributeNames=names,
                        ExpressionAttributeValues=values,
                        ReturnValues="ALL_NEW",
                    )
                )
            except Exception as exc:
                if error_code(exc) == "ConditionalCheckFailedException":
                    return None
                raise

        response = guard(self.ref, update)
        if response is None:
            raise KeyError(key)
        return decode_item(response["Attributes"])

    def delete(self, key: str) -> None:
        if not _storable_key(key):
            return
        guard(
            self.ref,
            lambda: self._client.delete_item(TableName=self._table, Key=self._key_of(key)),
        )

    def query(self, prefix: str, limit: int, cursor: str | None) -> Page[Item]:
        conditions: list[str] = []
        values: dict[str, Any] = {}
        if prefix:
            conditions.append("begins_with(#k, :prefix)")
            values[":prefix"] = {"S": prefix}
        if cursor:
            conditions.append("#k > :after")
            values[":after"] = {"S": cursor}
        params: dict[str, Any] = {"TableName": self._table, "ConsistentRead": True}
        if conditions:
            params["FilterExpression"] = " AND ".join(conditions)
            params["ExpressionAttributeNames"] = {"#k": self._key}
            params["ExpressionAttributeValues"] = values
        # Keep only the limit+1 smallest keys while scanning: memory stays one page, and
        # the extra item tells whether another page follows.
        smallest = heapq.nsmallest(
            limit + 1, self._scan_all(params), key=lambda item: str(item[self._key]["S"])
        )
        page = smallest[:limit]
        next_cursor = str(page[-1][self._key]["S"]) if len(smallest) > limit else None
        return Page([decode_item(item) for item in page], next_cursor)

    def _scan_all(self, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        page_params = dict(params)
        while True:
            response = guard(self.ref, partial(self._client.scan, **page_params))
            yield from response.get("Items", [])
            start = response.get("LastEvaluatedKey")
            if not start:
                return
            page_params = {**params, "ExclusiveStartKey": start}

    def scan(self, limit: int, cursor: str | None) -> Page[Item]:
        params: dict[str, Any] = {"TableName": self._table, "Limit": limit, "ConsistentRead": True}
        if cursor:
            params["ExclusiveStartKey"] = self._key_of(cursor)
        response = guard(self.ref, lambda: self._client.scan(**params))
        items = [decode_item(item) for item in response.get("Items", [])]
        last = response.get("LastEvaluatedKey")
        return Page(items, str(last[self._key]["S"]) if last else None)

    def _encoded(self, item: Item) -> dict[str, Any]:
        key = item[self._key]
        if not _storable_key(key):
            raise Unstorable(f"a DynamoDB key is at most {MAX_KEY_BYTES} bytes", self._key)
        encoded = encode_item(item)
        size = item_size(encoded)
        if size > MAX_ITEM_BYTES:
            raise TooLarge(f"item {key!r}", size, MAX_ITEM_BYTES, _LIMIT_SOURCE)
        return encoded


def _storable_key(key: str) -> bool:
    return 0 < len(key.encode()) <= MAX_KEY_BYTES
