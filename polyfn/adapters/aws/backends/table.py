"""The table port on Amazon DynamoDB: one table per polyfn table, with the partition key
(and sort key) as its string HASH (and RANGE) key and each polyfn index a global
secondary index (projection ALL) of the same name.

Reads of the table are strongly consistent, so a handler reads its own writes as on every
other backend (at twice the read-capacity cost of an eventually consistent read). Reads
through an index cannot be: DynamoDB's GSIs are eventually consistent.

``query(partition, sort condition)`` and ``query(..., index=...)`` are DynamoDB Queries.
``query(prefix)`` on a table *without* a sort key cannot be one (a hash key cannot be
range-queried): it is a Scan filtered with ``begins_with`` and sorted, which reads the
whole table on every page. It logs a WARNING once per table saying so; a table with a
sort key designed for the access pattern is the right tool.
"""

from __future__ import annotations

import heapq
import json
import logging
import time
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
from polyfn.adapters.aws.backends.table_expressions import (
    Expression,
    condition_expression,
    key_condition,
)
from polyfn.adapters.common.errors import ResourceRef, Unstorable
from polyfn.adapters.common.retry import DEFAULT_POLICY
from polyfn.core.errors import ConditionFailed, Throttled
from polyfn.core.resources import Item, Page
from polyfn.core.table_conditions import Condition
from polyfn.core.table_keys import KeySchema, Query
from polyfn.core.table_transactions import Prepared

__all__ = ["DynamoDbTable"]

_LIMIT_SOURCE = "DynamoDB item size quota"
# BatchWriteItem takes at most 25 put/delete requests, BatchGetItem at most 100 keys
# (DynamoDB API Reference, checked 2026-12).
BATCH_WRITE_ITEMS = 25
BATCH_GET_ITEMS = 100
# Rounds of re-sending what DynamoDB left unprocessed before giving up as Throttled.
_UNPROCESSED_ROUNDS = 8
_logger = logging.getLogger("polyfn.table")
Key = tuple[str, str | None]


class DynamoDbTable:
    """Items of one DynamoDB table."""

    def __init__(self, name: str, physical: str, schema: KeySchema) -> None:
        self.ref = ResourceRef("aws", "table", name, physical)
        self._table = physical
        self._schema = schema
        self._key = schema.key
        self._sort = schema.sort
        self._warned_scan = False

    @cached_property
    def _client(self) -> Any:
        # Made on first use: building a backend (binding an App, a test) creates no client.
        return aws_client("dynamodb")

    def _key_of(self, key: Key) -> dict[str, Any]:
        partition, sort = key
        if self._sort is None or sort is None:
            return {self._key: {"S": partition}}
        return {self._key: {"S": partition}, self._sort: {"S": sort}}

    def _item_key(self, item: Item) -> Key:
        return self._schema.key_of(item)

    def get(self, key: Key) -> Item | None:
        if not all(_storable_key(part) for part in key if part is not None):
            return None  # no item can have this key
        response = guard(
            self.ref,
            lambda: self._client.get_item(
                TableName=self._table, Key=self._key_of(key), ConsistentRead=True
            ),
        )
        attributes = response.get("Item")
        return decode_item(attributes) if attributes else None

    def put(self, item: Item, condition: Condition | None = None) -> None:
        params: dict[str, Any] = {}
        if condition is not None:
            params = condition_expression(condition, self._key).params("ConditionExpression")

        def put() -> bool:
            try:
                self._client.put_item(TableName=self._table, Item=self._encoded(item), **params)
            except Exception as exc:
                if condition is not None and error_code(exc) == "ConditionalCheckFailedException":
                    return False
                raise
            return True

        if not guard(self.ref, put):
            raise self.ref.error(ConditionFailed, f"condition {condition!r} does not hold")

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

    def update(
        self, key: Key, changes: Mapping[str, Any], condition: Condition | None = None
    ) -> Item:
        key_names = set(self._schema.key_attributes())
        changes = {name: value for name, value in changes.items() if name not in key_names}
        missing = key[0] if key[1] is None else key
        if not changes or not all(_storable_key(part) for part in key if part is not None):
            current = self.get(key)
            if current is None:
                raise KeyError(missing)
            if condition is not None and not condition.holds(current):
                raise self.ref.error(ConditionFailed, f"condition {condition!r} does not hold")
            return current
        expression = Expression()
        expression.parts.append(f"attribute_exists({expression.name(self._key)})")
        if condition is not None:
            condition_expression(condition, self._key, expression)
        assignments = []
        for name, value in changes.items():
            placeholder = expression.name(name)
            values_before = len(expression.values)
            assignments.append(f"{placeholder} = :u{values_before}")
            expression.values[f":u{values_before}"] = encode_value(value, name)

        def update() -> dict[str, Any] | None:
            try:
                return dict(
                    self._client.update_item(
                        TableName=self._table,
                        Key=self._key_of(key),
                        UpdateExpression="SET " + ", ".join(assignments),
                        ReturnValues="ALL_NEW",
                        **expression.params("ConditionExpression"),
                    )
                )
            except Exception as exc:
                if error_code(exc) == "ConditionalCheckFailedException":
                    return None
                raise

        response = guard(self.ref, update)
        if response is None:
            if condition is not None and self.get(key) is not None:
                raise self.ref.error(ConditionFailed, f"condition {condition!r} does not hold")
            raise KeyError(missing)
        return decode_item(response["Attributes"])

    def delete(self, key: Key, condition: Condition | None = None) -> None:
        if not all(_storable_key(part) for part in key if part is not None):
            if condition is not None and not condition.holds(None):
                raise self.ref.error(ConditionFailed, f"condition {condition!r} does not hold")
            return
        params: dict[str, Any] = {}
        if condition is not None:
            params = condition_expression(condition, self._key).params("ConditionExpression")

        def delete() -> bool:
            try:
                self._client.delete_item(TableName=self._table, Key=self._key_of(key), **params)
            except Exception as exc:
                if condition is not None and error_code(exc) == "ConditionalCheckFailedException":
                    return False
                raise
            return True

        if not guard(self.ref, delete):
            raise self.ref.error(ConditionFailed, f"condition {condition!r} does not hold")

    def query(self, query: Query) -> Page[Item]:
        if query.by_prefix:
            return self._prefix_scan(query.prefix, query.limit, query.position)
        assert query.partition is not None
        index = query.index
        attribute = index.partition if index else self._key
        sort_attribute = index.sort if index else self._sort
        expression = key_condition(attribute, query.partition, sort_attribute, query.sort)
        params: dict[str, Any] = {
            "TableName": self._table,
            # One more than asked: the extra item says whether another page follows, so
            # the last page is never an empty one.
            "Limit": query.limit + 1,
            "ScanIndexForward": not query.descending,
            **expression.params("KeyConditionExpression"),
        }
        if index is not None:
            params["IndexName"] = index.name  # GSIs cannot be read consistently
        else:
            params["ConsistentRead"] = True
        if query.position:
            params["ExclusiveStartKey"] = self._start_key(query.position)
        response = guard(self.ref, lambda: self._client.query(**params))
        raw = response.get("Items", [])
        page = raw[: query.limit]
        cursor = None
        if len(raw) > query.limit:
            names = list(self._schema.key_attributes())
            if index is not None:
                names += [a for a in index.attributes if a not in names]
            cursor = json.dumps({name: page[-1][name] for name in names}, sort_keys=True)
        return Page([decode_item(item) for item in page], cursor)

    def _start_key(self, position: str) -> dict[str, Any]:
        try:
            start = json.loads(position)
            valid = isinstance(start, dict) and all(
                isinstance(v, dict) and list(v) == ["S"] and isinstance(v["S"], str)
                for v in start.values()
            )
        except ValueError:
            valid = False
        if not valid:
            raise ValueError(f"table {self.ref.name!r}: not a cursor of this query")
        return dict(start)

    def _prefix_scan(self, prefix: str, limit: int, cursor: str | None) -> Page[Item]:
        if not self._warned_scan:
            self._warned_scan = True
            _logger.warning(
                "table %r: query(prefix) on a table without a sort key is a DynamoDB Scan "
                "that reads the whole table on every page; declare sort=... and query a "
                "partition for a Query",
                self.ref.name,
            )
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
            params["ExclusiveStartKey"] = self._start_key(cursor)
        response = guard(self.ref, lambda: self._client.scan(**params))
        items = [decode_item(item) for item in response.get("Items", [])]
        last = response.get("LastEvaluatedKey")
        return Page(items, json.dumps(last, sort_keys=True) if last else None)

    def batch_get(self, keys: list[Key]) -> list[Item | None]:
        found: dict[Key, Item] = {}
        storable = [k for k in keys if all(_storable_key(p) for p in k if p is not None)]
        for start in range(0, len(storable), BATCH_GET_ITEMS):
            request = {
                self._table: {
                    "Keys": [self._key_of(k) for k in storable[start : start + BATCH_GET_ITEMS]],
                    "ConsistentRead": True,
                }
            }
            for attributes in self._unprocessed_rounds(
                "batch_get_item", request, "UnprocessedKeys"
            ):
                item = decode_item(attributes)
                found[self._item_key(item)] = item
        return [found.get(key) for key in keys]

    def batch_write(self, puts: list[Item], deletes: list[Key]) -> None:
        # Every item is encoded, and refused, before the first request is sent.
        requests = [{"PutRequest": {"Item": self._encoded(item)}} for item in puts]
        requests += [
            {"DeleteRequest": {"Key": self._key_of(key)}}
            for key in deletes
            if all(_storable_key(p) for p in key if p is not None)
        ]
        for start in range(0, len(requests), BATCH_WRITE_ITEMS):
            chunk = {self._table: requests[start : start + BATCH_WRITE_ITEMS]}
            for _ in self._unprocessed_rounds("batch_write_item", chunk, "UnprocessedItems"):
                pass

    def transact(self, operations: list[Prepared]) -> None:
        actions = []
        for op in operations:
            entry: dict[str, Any] = {"TableName": self._table}
            if op.kind == "put":
                assert op.item is not None
                entry["Item"] = self._encoded(op.item)
                action = "Put"
            else:
                entry["Key"] = self._key_of(op.key)
                action = "Delete" if op.kind == "delete" else "ConditionCheck"
            if op.condition is not None:
                entry.update(
                    condition_expression(op.condition, self._key).params("ConditionExpression")
                )
            actions.append({action: entry})

        def transact() -> bool:
            try:
                self._client.transact_write_items(TransactItems=actions)
            except Exception as exc:
                if error_code(exc) != "TransactionCanceledException":
                    raise
                reasons = getattr(exc, "response", {}).get("CancellationReasons") or []
                if any(r.get("Code") == "ConditionalCheckFailed" for r in reasons):
                    return False
                raise
            return True

        if not guard(self.ref, transact):
            raise self.ref.error(ConditionFailed, "a condition of the transaction does not hold")

    def _unprocessed_rounds(
        self, operation: str, request: dict[str, Any], unprocessed: str
    ) -> Iterator[dict[str, Any]]:
        """Send ``request`` and re-send what DynamoDB left unprocessed (with backoff),
        yielding the items read."""
        call = getattr(self._client, operation)
        for round_number in range(1, _UNPROCESSED_ROUNDS + 1):
            response = guard(self.ref, partial(call, RequestItems=request))
            yield from response.get("Responses", {}).get(self._table, [])
            request = response.get(unprocessed) or {}
            if not request:
                return
            time.sleep(DEFAULT_POLICY.delay(round_number))
        raise self.ref.error(
            Throttled, f"{operation}: items still unprocessed after {_UNPROCESSED_ROUNDS} rounds"
        )

    def _encoded(self, item: Item) -> dict[str, Any]:
        for part in self._item_key(item):
            if part is not None and not _storable_key(part):
                raise self.ref.unsupported(f"a DynamoDB key is at most {MAX_KEY_BYTES} bytes")
        try:
            encoded = encode_item(item)
        except Unstorable as exc:
            raise self.ref.unsupported(str(exc)) from exc
        size = item_size(encoded)
        if size > MAX_ITEM_BYTES:
            raise self.ref.too_large(
                f"item {item[self._key]!r}", size, MAX_ITEM_BYTES, _LIMIT_SOURCE
            )
        return encoded


def _storable_key(key: str) -> bool:
    return 0 < len(key.encode()) <= MAX_KEY_BYTES
