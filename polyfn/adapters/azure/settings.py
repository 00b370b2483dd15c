"""The app settings that tie a deployed Function App to its storage, read by the adapter.

``polyfn deploy`` writes them (``polyfn.deploy.azure_arm``); the adapter reads them when
the host indexes the functions and when a backend makes its first client. One module, so
the names the template writes are the names the code reads.

Storage is reached through identity-based connections ("Identity-based connections" in
"Azure Functions developer guide", learn.microsoft.com, read 2026-12): a setting prefix
``<connection>`` with ``<connection>__blobServiceUri`` / ``__queueServiceUri`` /
``__tableServiceUri`` (or a plain connection string under ``<connection>`` itself, as
Azurite's ``UseDevelopmentStorage=true`` for ``func start``).
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = [
    "BLOB_SOURCE_SETTING",
    "DATA_CONNECTION",
    "HOST_CONNECTION",
    "MAX_DEQUEUE_SETTING",
    "blob_source",
    "host_max_dequeue",
    "service_uri",
    "storage_connection",
]

# The host's own storage account; every Function App has it.
HOST_CONNECTION = "AzureWebJobsStorage"
# The app's data account (containers, queues, tables), separate from the host's so that
# the managed identity's roles can be scoped to each resource.
DATA_CONNECTION = "PolyfnStorage"
# "EventGrid" on Flex Consumption, which has no polling blob trigger.
BLOB_SOURCE_SETTING = "POLYFN_AZURE_BLOB_SOURCE"
# host.json's maxDequeueCount, written by deploy when the app's queues differ in
# max_receives: one value per Function App, so it is the largest, and polyfn moves the
# message of a queue with a lower max_receives to its poison queue itself.
MAX_DEQUEUE_SETTING = "POLYFN_AZURE_MAX_DEQUEUE_COUNT"


def host_max_dequeue(environ: Mapping[str, str]) -> int | None:
    value = environ.get(MAX_DEQUEUE_SETTING, "").strip()
    return int(value) if value.isdigit() else None


def storage_connection(environ: Mapping[str, str]) -> str:
    """The connection the blob and queue triggers name: the data account's when deploy
    configured one, else the host's (an app deployed by hand, the worker tests)."""
    if DATA_CONNECTION in environ or any(k.startswith(f"{DATA_CONNECTION}__") for k in environ):
        return DATA_CONNECTION
    return HOST_CONNECTION


def service_uri(environ: Mapping[str, str], service: str) -> str | None:
    """The data account's ``blob``/``queue``/``table`` endpoint of an identity connection."""
    return environ.get(f"{DATA_CONNECTION}__{service}ServiceUri") or None


def blob_source(environ: Mapping[str, str]) -> str | None:
    """``EventGrid`` when the blob trigger must take Event Grid's events, else ``None``
    (the extension's polling default)."""
    value = environ.get(BLOB_SOURCE_SETTING, "").strip()
    if not value:
        return None
    if value != "EventGrid":
        from polyfn.core.errors import ConfigError

        raise ConfigError(f"{BLOB_SOURCE_SETTING} must be 'EventGrid' or unset, got {value!r}")
    return value
