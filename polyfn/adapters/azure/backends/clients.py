"""The storage account's service clients: one per account and service, for the process.

The account is named by a connection string: ``AZURE_STORAGE_CONNECTION_STRING``, or
else ``AzureWebJobsStorage`` (the Functions host's own setting, so a Function App works
with no extra configuration). Azurite's connection string points everything at the
emulator. The SDK is imported on the first client of each service, so a function that
never touches storage never loads it.
"""

from __future__ import annotations

import os
from typing import Any

from polyfn.adapters.common.clients import ClientCache
from polyfn.adapters.common.errors import ResourceRef
from polyfn.core.errors import CredentialsError

__all__ = ["CONNECTION_SETTINGS", "connection_string", "service_client"]

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
