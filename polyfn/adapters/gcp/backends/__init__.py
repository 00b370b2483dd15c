"""Google Cloud backends of polyfn's ports: bucket = Cloud Storage, queue = a Pub/Sub
topic, table = a Firestore collection (in the project's default database).

This module is the provider an App is bound to; each port lives in its own module
(``bucket``, ``queue``, ``table``), imported on first use so that binding the backends
imports no Google code, and those modules never import this one. Clients are made and
shared by ``clients``, failures mapped by ``errors``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from polyfn.adapters.common.errors import ResourceRef, class_names
from polyfn.adapters.gcp.backends.clients import google_client
from polyfn.adapters.gcp.backends.errors import guard

if TYPE_CHECKING:
    from polyfn.adapters.gcp.backends.bucket import StorageBucket
    from polyfn.adapters.gcp.backends.event_bus import PubSubBus
    from polyfn.adapters.gcp.backends.queue import PubSubTopic
    from polyfn.adapters.gcp.backends.table import FirestoreCollection
    from polyfn.adapters.gcp.backends.workflow import WorkflowsExecutions
    from polyfn.core.event_bus import EventBus
    from polyfn.core.resources import Bucket, Queue, Table
    from polyfn.core.workflow import Workflow

__all__ = ["GcpBackends"]


class GcpBackends:
    """Backends on Google Cloud for every bucket, queue and table of an App."""

    cloud = "gcp"

    def bucket(self, resource: Bucket) -> StorageBucket:
        from polyfn.adapters.gcp.backends.bucket import StorageBucket

        return StorageBucket(resource.name, resource.physical_name)

    def queue(self, resource: Queue) -> PubSubTopic:
        from polyfn.adapters.gcp.backends.queue import PubSubTopic

        return PubSubTopic(resource.name, resource.physical_name)

    def table(self, resource: Table) -> FirestoreCollection:
        from polyfn.adapters.gcp.backends.table import FirestoreCollection

        return FirestoreCollection(resource.name, resource.physical_name, resource.schema, resource)

    def event_bus(self, resource: EventBus) -> PubSubBus:
        from polyfn.adapters.gcp.backends.event_bus import PubSubBus

        return PubSubBus(resource.name, resource.physical_name)

    def workflow(self, resource: Workflow) -> WorkflowsExecutions:
        from polyfn.adapters.gcp.backends.workflow import WorkflowsExecutions

        return WorkflowsExecutions(resource)

    # ------------------------------------------------------------------ for tests and dev
    # Deploy creates the real bucket and topic (Firestore collections need no creating);
    # these make them on an emulator or in a scratch project. Each is idempotent.

    def ensure_bucket(self, resource: Bucket) -> None:
        ref = ResourceRef(self.cloud, "bucket", resource.name, resource.physical_name)
        client = google_client("storage", ref)

        def create() -> None:
            try:
                client.create_bucket(resource.physical_name)
            except Exception as exc:
                if "Conflict" not in class_names(exc):
                    raise

        guard(ref, create)

    def ensure_queue(self, resource: Queue) -> None:
        from polyfn.adapters.gcp.backends.queue import PubSubTopic

        topic = PubSubTopic(resource.name, resource.physical_name)
        publisher = google_client("pubsub", topic.ref)

        def create() -> None:
            try:
                publisher.create_topic(name=topic.path)
            except Exception as exc:
                if "AlreadyExists" not in class_names(exc):
                    raise

        guard(topic.ref, create)
