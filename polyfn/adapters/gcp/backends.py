"""Google Cloud backends of polyfn's ports: bucket = Cloud Storage, queue = a Pub/Sub
topic, table = a Firestore collection (in the project's default database).

The project comes from ``GOOGLE_CLOUD_PROJECT`` (or ``GCLOUD_PROJECT``), else from the
credentials. The client libraries read the emulator variables themselves:
``STORAGE_EMULATOR_HOST``, ``PUBSUB_EMULATOR_HOST`` and ``FIRESTORE_EMULATOR_HOST``.
Importing this module imports no Google code; each client is created on first use and
shared by the whole process.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from polyfn.adapters.common.clients import ClientCache
from polyfn.adapters.common.errors import ResourceRef
from polyfn.adapters.gcp.errors import guard

if TYPE_CHECKING:
    from polyfn.adapters.gcp.backends_firestore import FirestoreCollection
    from polyfn.adapters.gcp.backends_pubsub import PubSubTopic
    from polyfn.adapters.gcp.backends_storage import StorageBucket
    from polyfn.core.resources import Bucket, Queue, Table

__all__ = ["GcpBackends", "google_client", "project_id"]

_EMULATOR_VARIABLES = {
    "storage": "STORAGE_EMULATOR_HOST",
    "pubsub": "PUBSUB_EMULATOR_HOST",
    "firestore": "FIRESTORE_EMULATOR_HOST",
}
_clients = ClientCache()


def project_id() -> str | None:
    """The project named in the environment, if any (the clients can also find one)."""
    return os.environ.get("GOOGLE_CLOUD_PROJECT") or os.environ.get("GCLOUD_PROJECT") or None


def google_client(service: str, ref: ResourceRef) -> Any:
    """The process-wide client for ``storage``, ``pubsub`` (publisher) or ``firestore``."""
    key = (service, project_id(), os.environ.get(_EMULATOR_VARIABLES[service]))
    return _clients.get(key, lambda: guard(ref, _FACTORIES[service]))


def _storage() -> Any:
    from google.cloud.storage import Client

    return Client(project=project_id())


def _publisher() -> Any:
    from google.cloud.pubsub_v1 import PublisherClient

    return PublisherClient()


def _firestore() -> Any:
    from google.cloud.firestore import Client

    return Client(project=project_id())


_FACTORIES: dict[str, Callable[[], Any]] = {
    "storage": _storage,
    "pubsub": _publisher,
    "firestore": _firestore,
}


class GcpBackends:
    """Backends on Google Cloud for every bucket, queue and table of an App."""

    cloud = "gcp"

    def bucket(self, resource: Bucket) -> StorageBucket:
        from polyfn.adapters.gcp.backends_storage import StorageBucket

        return StorageBucket(resource.name, resource.physical_name)

    def queue(self, resource: Queue) -> PubSubTopic:
        from polyfn.adapters.gcp.backends_pubsub import PubSubTopic

        return PubSubTopic(resource.name, resource.physical_name)

    def table(self, resource: Table) -> FirestoreCollection:
        from polyfn.adapters.gcp.backends_firestore import FirestoreCollection

        return FirestoreCollection(resource.name, resource.physical_name, resource.key)

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
                if "Conflict" not in {cls.__name__ for cls in type(exc).__mro__}:
                    raise

        guard(ref, create)

    def ensure_queue(self, resource: Queue) -> None:
        from polyfn.adapters.gcp.backends_pubsub import PubSubTopic

        topic = PubSubTopic(resource.name, resource.physical_name)
        publisher = google_client("pubsub", topic.ref)

        def create() -> None:
            try:
                publisher.create_topic(name=topic.path)
            except Exception as exc:
                if "AlreadyExists" not in {cls.__name__ for cls in type(exc).__mro__}:
                    raise

        guard(topic.ref, create)
