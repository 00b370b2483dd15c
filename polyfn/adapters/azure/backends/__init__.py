"""Azure backends of polyfn's ports: bucket = Blob container, queue = Queue Storage,
table = Table Storage, all in one storage account (``clients`` says which).

Importing this package imports no Azure code: each port's module is imported when the
App first binds that kind of resource, and the SDK when the first client is made.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from polyfn.adapters.azure.backends.clients import service_client
from polyfn.adapters.azure.backends.errors import error_code, guard
from polyfn.adapters.common.errors import ResourceRef, class_names

if TYPE_CHECKING:
    from polyfn.adapters.azure.backends.bucket import BlobContainer
    from polyfn.adapters.azure.backends.event_bus import EventGridTopic
    from polyfn.adapters.azure.backends.queue import StorageQueue
    from polyfn.adapters.azure.backends.table import StorageTable
    from polyfn.adapters.azure.workflows import DurableWorkflows
    from polyfn.core.event_bus import EventBus
    from polyfn.core.resources import Bucket, Queue, Table
    from polyfn.core.workflow import Workflow

__all__ = ["AzureBackends", "poison_queue_name"]


def poison_queue_name(queue_name: str) -> str:
    """Where the Functions host moves a message after ``maxDequeueCount`` failed receives."""
    return f"{queue_name}-poison"


class AzureBackends:
    """Backends on Azure Storage for every bucket, queue and table of an App."""

    cloud = "azure"

    def bucket(self, resource: Bucket) -> BlobContainer:
        from polyfn.adapters.azure.backends.bucket import BlobContainer

        return BlobContainer(resource.name, resource.physical_name)

    def queue(self, resource: Queue) -> StorageQueue:
        from polyfn.adapters.azure.backends.queue import StorageQueue

        return StorageQueue(resource.name, resource.physical_name)

    def table(self, resource: Table) -> StorageTable:
        from polyfn.adapters.azure.backends.table import StorageTable

        return StorageTable(resource.name, resource.physical_name, resource.schema)

    def event_bus(self, resource: EventBus) -> EventGridTopic:
        from polyfn.adapters.azure.backends.event_bus import EventGridTopic

        return EventGridTopic(resource.name, resource.physical_name, resource.binding_variable)

    def workflow(self, resource: Workflow) -> DurableWorkflows:
        """Durable Functions: the client comes from the running invocation's binding."""
        from polyfn.adapters.azure.workflows import DurableWorkflows

        return DurableWorkflows()

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
        if resource.indexes:
            # The index entities' companion table (adapters/azure/backends/table_index.py).
            from polyfn.adapters.azure.backends.table_index import suffix

            _create(ref, lambda: tables.create_table(suffix(resource.physical_name)))


def _create(ref: ResourceRef, create: Callable[[], object]) -> None:
    def attempt() -> None:
        try:
            create()
        except Exception as exc:
            already = "ResourceExistsError" in class_names(exc)
            if not already and error_code(exc) not in (
                "ContainerAlreadyExists",
                "QueueAlreadyExists",
            ):
                raise

    guard(ref, attempt)
