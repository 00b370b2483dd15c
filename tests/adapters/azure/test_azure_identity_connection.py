"""The deployed app reaches storage through its managed identity: the settings deploy
writes choose the triggers' connection and make the backends' clients use the identity."""

from __future__ import annotations

import pytest
from azure.identity import ManagedIdentityCredential
from azure.storage.queue import QueueServiceClient

from polyfn.adapters.azure.backends import clients
from polyfn.adapters.azure.settings import blob_source, storage_connection
from polyfn.adapters.common.errors import ResourceRef
from polyfn.core.errors import ConfigError, CredentialsError

_REF = ResourceRef("azure", "queue", "jobs", "jobs")
_URI = "https://polyfndata.queue.core.windows.net/"


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in (
        "AZURE_STORAGE_CONNECTION_STRING", "PolyfnStorage", "AzureWebJobsStorage",
        "PolyfnStorage__queueServiceUri", "PolyfnStorage__clientId",
    ):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_an_identity_connection_makes_a_client_on_the_managed_identity(
    clean_env: pytest.MonkeyPatch,
) -> None:
    clean_env.setenv("PolyfnStorage__queueServiceUri", _URI)
    client = clients.service_client("queue", _REF)
    assert isinstance(client, QueueServiceClient)
    assert client.url == _URI
    assert client.credential.__class__ is ManagedIdentityCredential
    assert client.account_name == "polyfndata"


def test_a_connection_string_still_wins_for_local_runs(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("PolyfnStorage__queueServiceUri", _URI)
    clean_env.setenv("PolyfnStorage", "UseDevelopmentStorage=true")
    assert clients.account("queue", _REF) == ("connection", "UseDevelopmentStorage=true")
    clean_env.delenv("PolyfnStorage")
    clean_env.setenv("AzureWebJobsStorage", "UseDevelopmentStorage=true")
    # The data account's identity connection comes before the host's own storage.
    assert clients.account("queue", _REF) == ("identity", _URI)


def test_no_storage_setting_is_a_credentials_error_naming_every_way(
    clean_env: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(CredentialsError, match="PolyfnStorage__queueServiceUri"):
        clients.account("queue", _REF)


def test_the_triggers_connection_and_blob_source_follow_the_settings() -> None:
    assert storage_connection({}) == "AzureWebJobsStorage"
    assert storage_connection({"PolyfnStorage": "UseDevelopmentStorage=true"}) == "PolyfnStorage"
    assert storage_connection({"PolyfnStorage__blobServiceUri": "https://a"}) == "PolyfnStorage"
    assert blob_source({}) is None
    assert blob_source({"POLYFN_AZURE_BLOB_SOURCE": "EventGrid"}) == "EventGrid"
    with pytest.raises(ConfigError, match="EventGrid"):
        blob_source({"POLYFN_AZURE_BLOB_SOURCE": "polling"})
