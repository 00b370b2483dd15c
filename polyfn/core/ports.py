"""The ports: what a cloud's backend must offer for buckets, queues, tables and event buses.

Adapters implement these (S3/SQS/DynamoDB, Blob/Queue/Table storage, Cloud Storage/Pub/Sub/
Firestore, folder/SQLite; EventBridge, Event Grid, Pub/Sub, in-process for event buses); the
handles in ``polyfn.core.resources`` and ``polyfn.core.event_bus`` call them. They are
protocols, checked by type checkers only, so nothing imports this module at run time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from polyfn.core.event_bus import EventBus, OutgoingEvent
    from polyfn.core.resources import Bucket, Item, ObjectInfo, Page, Queue, Table
    from polyfn.core.table_conditions import Condition
    from polyfn.core.table_keys import Query
    from polyfn.core.table_transactions import Prepared

    Key = tuple[str, str | None]

__all__ = [
    "BackendProvider",
    "BucketBackend",
    "EventBusBackend",
    "QueueBackend",
    "TableBackend",
]


class BucketBackend(Protocol):
    def read(self, key: str) -> bytes: ...  # raises ObjectNotFound
    # ``metadata``: user metadata stored with the object (the writer's trace), returned
    # by ``metadata(key)`` in ``ObjectInfo.metadata``.
    def write(
        self, key: str, data: bytes, content_type: str | None, metadata: Mapping[str, str]
    ) -> ObjectInfo: ...
    def exists(self, key: str) -> bool: ...
    def metadata(self, key: str) -> ObjectInfo | None: ...
    def list(self, prefix: str, limit: int, cursor: str | None) -> Page[ObjectInfo]: ...
    def delete(self, key: str) -> None: ...  # deleting a missing key is not an error


class QueueBackend(Protocol):
    def send(self, body: bytes, attributes: Mapping[str, str], delay_seconds: int) -> str: ...
    def send_batch(
        self, bodies: list[bytes], attributes: Mapping[str, str], delay_seconds: int
    ) -> list[str]: ...


class TableBackend(Protocol):
    # A key is (partition, sort), sort None on a table without a sort key. Conditions
    # (ConditionFailed when they do not hold) are checked atomically with the write.
    def get(self, key: Key) -> Item | None: ...
    def put(self, item: Item, condition: Condition | None = None) -> None: ...
    def put_if_absent(self, item: Item) -> bool: ...
    def update(
        self, key: Key, changes: Mapping[str, Any], condition: Condition | None = None
    ) -> Item: ...  # KeyError if missing
    def delete(self, key: Key, condition: Condition | None = None) -> None: ...
    # Cursors here are the backend's own positions; Table wraps and checks them.
    def query(self, query: Query) -> Page[Item]: ...
    def scan(self, limit: int, cursor: str | None) -> Page[Item]: ...
    # Chunked to the cloud's batch limits, unprocessed items retried.
    def batch_get(self, keys: list[Key]) -> list[Item | None]: ...
    def batch_write(self, puts: list[Item], deletes: list[Key]) -> None: ...
    # All or nothing; ConditionFailed, or UnsupportedTransaction before any write.
    def transact(self, operations: list[Prepared]) -> None: ...


class EventBusBackend(Protocol):
    # The id subscribers will see; raises when the cloud refused the event.
    def publish(self, event: OutgoingEvent) -> str: ...


class BackendProvider(Protocol):
    """What a runtime binds to an App: a factory of backends, called once per resource."""

    cloud: str

    def bucket(self, resource: Bucket) -> BucketBackend: ...
    def queue(self, resource: Queue) -> QueueBackend: ...
    def table(self, resource: Table) -> TableBackend: ...
    def event_bus(self, resource: EventBus) -> EventBusBackend: ...
