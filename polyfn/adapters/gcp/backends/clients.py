"""The Google Cloud SDK clients the backends share: one per service, project and emulator.

The project comes from ``GOOGLE_CLOUD_PROJECT`` (or ``GCLOUD_PROJECT``), else from the
credentials. The client libraries read the emulator variables themselves
(``STORAGE_EMULATOR_HOST``, ``PUBSUB_EMULATOR_HOST``, ``FIRESTORE_EMULATOR_HOST``); they
are part of the cache key so that a test pointing a service at another emulator gets a
new client rather than one still talking to the old address. Each SDK is imported on
the first call that needs it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, Literal

from polyfn.adapters.common.clients import ClientCache
from polyfn.adapters.common.errors import ResourceRef
from polyfn.adapters.gcp.backends.errors import guard

__all__ = ["Service", "google_client", "project_id"]

Service = Literal["storage", "pubsub", "firestore"]

_EMULATOR_VARIABLES: dict[Service, str] = {
    "storage": "STORAGE_EMULATOR_HOST",
    "pubsub": "PUBSUB_EMULATOR_HOST",
    "firestore": "FIRESTORE_EMULATOR_HOST",
}
_clients = ClientCache()


def project_id() -> str | None:
    """The project named in the environment, if any (the clients can also find one)."""
    return os.environ.get("GOOGLE_CLOUD_PROJECT") or os.environ.get("GCLOUD_PROJECT") or None


def google_client(service: Service, ref: ResourceRef) -> Any:
    """The process-wide client for ``storage``, ``pubsub`` (publisher) or ``firestore``;
    a failure to create one is mapped to polyfn's errors for ``ref``."""
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


_FACTORIES: dict[Service, Callable[[], Any]] = {
    "storage": _storage,
    "pubsub": _publisher,
    "firestore": _firestore,
}
