"""The storage account's service clients: one per account and service, for the process.

The account is found in this order: a connection string in
``AZURE_STORAGE_CONNECTION_STRING`` or ``PolyfnStorage`` (Azurite's points everything at
the emulator); an identity-based connection, ``PolyfnStorage__blobServiceUri`` /
``__queueServiceUri`` / ``__tableServiceUri``, which ``polyfn deploy`` writes so that no
account key is in the app settings (the client then authenticates as the Function App's
managed identity); else ``AzureWebJobsStorage`` (the host's own setting, so an app deployed
by hand works with no extra configuration). The SDKs are imported on the first client of
each service, so a function that never touches storage never loads them.
"""

from __future__ import annotations

import os
from typing import Any

from polyfn.adapters.azure.settings import DATA_CONNECTION, HOST_CONNECTION, service_uri
from polyfn.adapters.common.clients import ClientCache
from polyfn.adapters.common.errors import ResourceRef
from polyfn.core.errors import CredentialsError

__all__ = ["CONNECTION_SETTINGS", "account", "managed_identity", "service_client"]

# Connection strings, looked up in this order (the identity connection sits between).
CONNECTION_SETTINGS = ("AZURE_STORAGE_CONNECTION_STRING", DATA_CONNECTION, HOST_CONNECTION)

_clients = ClientCache()


def account(service: str, ref: ResourceRef) -> tuple[str, str]:
    """``("connection", string)`` or ``("identity", service URI)`` for ``service``."""
    for setting in CONNECTION_SETTINGS[:2]:
        value = os.environ.get(setting)
        if value:
            return "connection", value
    uri = service_uri(os.environ, service)
    if uri:
        return "identity", uri
    value = os.environ.get(HOST_CONNECTION)
    if value:
        return "connection", value
    raise ref.error(
        CredentialsError,
        "no storage account configured: set AZURE_STORAGE_CONNECTION_STRING, "
        f"{DATA_CONNECTION} or {HOST_CONNECTION} to a connection string, or "
        f"{DATA_CONNECTION}__{service}ServiceUri for an identity-based connection",
    )


def service_client(service: str, ref: ResourceRef) -> Any:
    """The process-wide ``blob``, ``queue`` or ``table`` service client of the account."""
    how, where = account(service, ref)
    key = (service, how, where)
    return _clients.get(key, lambda: _make_client(service, how, where, ref))


def managed_identity() -> Any:
    """The Function App's managed identity; a user-assigned one when
    ``PolyfnStorage__clientId`` names it (the identity-connection convention)."""
    from azure.identity import ManagedIdentityCredential

    client_id = os.environ.get(f"{DATA_CONNECTION}__clientId") or None
    return ManagedIdentityCredential(client_id=client_id)


def _make_client(service: str, how: str, where: str, ref: ResourceRef) -> Any:
    # polyfn retries itself (polyfn.adapters.common.retry): the SDK's own retry policy is off.
    options: dict[str, Any] = {"retry_total": 0, "connection_timeout": 5}
    try:
        if service == "blob":
            from azure.storage.blob import BlobServiceClient as Client
        elif service == "queue":
            from azure.storage.queue import QueueServiceClient as Client  # type: ignore[assignment]
        else:
            from azure.data.tables import TableServiceClient as Client  # type: ignore[assignment]
        if how == "identity":
            return Client(where, credential=managed_identity(), **options)
        return Client.from_connection_string(where, **options)
    except ValueError as exc:
        raise ref.error(
            CredentialsError, f"the storage {how} for {service} is malformed ({exc})"
        ) from exc
