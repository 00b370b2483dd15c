"""Azure backends of polyfn's ports: bucket = Blob container, queue = Queue Storage,
table = Table Storage, all in one storage account.

The account is named by a connection string: ``AZURE_STORAGE_CONNECTION_STRING``, or
else ``AzureWebJobsStorage`` (the Functions host's own setting, so a Function App works
with no extra configuration). Azurite's connection string points everything at the
emulator. Importing this module imports no Azure code; the SDK loads on first use, and
one service client per account and service lives as long as the process.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from polyfn.adapters.azure.errors import error_code, guard
from polyfn.adapters.common.clients import ClientCache
from polyfn.adapters.common.errors import ResourceRef
from polyfn.core.errors import CredentialsError

if TYPE_CHECKING:
    from polyfn.adapters.azure.backends_blob import BlobContainer
    from polyfn.adapters.azure.backends_queue import StorageQueue
    from polyfn.adapters.azure.backends_table import StorageTable
    from polyfn.core.resources import Bucket, Queue, Table

__all__ = [
    "CONNECTION_SETTINGS",
    "AzureBackends",
    "connection_string",
    "poison_queue_name",
    "service_client",
]

# Looked up in this order.
CONNECTION_SETTINGS = ("AZURE_STORAGE_CONNECTION_STRING", "AzureWebJobsStorage")

_clients = ClientCache()


def connection_string(ref: ResourceRef) -> str:
    for setting in CONNECTION_SETTINGS:
        value = os.environ.get(setting)
        if value:
            return value
    raise ref.error(
        CredentialsError,
        "no storage account configured: set AZURE_STORAGE_CONNECTION_STRING or "
        "AzureWebJobsStorage to a connection string (identity-based connections are "
        "not supported yet)",
    )


def service_client(service: str, ref: ResourceRef) -> Any:
    """The process-wide ``blob``, ``queue`` or ``table`` service client of the account."""
    conn = connection_string(ref)
    key = (service, conn)
    return _clients.get(key, lambda: _make_client(service, conn, ref))


def _make_client(service: str, conn: str, ref: ResourceRef) -> Any:
    # polyfn retries itself (polyfn.adapters.common.retry): the SDK's own retry policy is off.
    options: dict[str, Any] = {"retry_total": 0, "connection_timeout": 5}
    try:
        if service == "blob":
            from azure.storage.blob import BlobServiceClient

            return BlobServiceClient.from_connection_string(conn, **options)
        if service == "queue":
            from azure.storage.queue import QueueServiceClient

            return QueueServiceClient.from_connection_string(conn, **options)
        from azure.data.tables import TableServiceClient

        return TableServiceClient.from_connection_string(conn, **options)
    except ValueError as exc:
        raise ref.error(
            CredentialsError, f"the storage connection string is malformed ({exc})"
        ) from exc


def poison_queue_name(queue_name: str) -> str:
    """Where the Functions host moves a message after ``maxDequeueCount`` failed receives."""
    return f"{queue_name}-poison"


class AzureBackends:
    """Backends on Azure Storage for every bucket, queue and table of an App."""

    cloud = "azure"

    def bucket(self, resource: Bucket) -> BlobContainer:
        from polyfn.adapters.azure.backends_blob import BlobContainer

        return BlobContainer(resource.name, resource.physical_name)

    def queue(self, resource: Queue) -> StorageQueue:
        from polyfn.adapters.azure.backends_queue import StorageQueue

        return StorageQueue(resource.name, resource.physical_name)

    def table(self, resource: Table) -> StorageTable:
        from polyfn.adapters.azure.backends_table import StorageTable

        return StorageTable(resource.name, resource.physical_name, resource.key)

    # ------------------------------------------------------------------ for tests and dev
    # Deploy creates the real containers, queues and tables; these make them on Azurite or
    # a scratch account. Each is idempotent.

    def ensure_bucket(self, resource: Bucket) -> None:
        ref = ResourceRef(self.cloud, "bucket", resource.name, resource.physical_name)
        blobs = service_client("blob", ref)
        _create(ref, lambda: blobs.create_container(resource.physical_name))

    def ensure_queue(self, resource: Queue) -> None:
        """Create the queue and ``<name>-poison``, where the host puts failed messages."""
        ref = ResourceRef(self.cloud, "queue", resource.name, resource.physical_name)
        queues = service_client("queue", ref)
        for name in (resource.physical_name, poison_queue_name(resource.physical_name)):
            _create(ref, partial(queues.create_queue, name))

    def ensure_table(self, resource: Table) -> None:
        ref = ResourceRef(self.cloud, "table", resource.name, resource.physical_name)
        tables = service_client("table", ref)
        _create(ref, lambda: tables.create_table(resource.physical_name))


def _create(ref: ResourceRef, create: Callable[[], object]) -> None:
    def attempt() -> None:
        try:
            create()
        except Exception as exc:
            already = "ResourceExistsError" in {c.__name__ for c in type(exc).__mro__}
            if not already and error_code(exc) not in (
                "ContainerAlreadyExists",
                "QueueAlreadyExists",
            ):
                raise

    guard(ref, attempt)
