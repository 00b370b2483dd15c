"""Emulators (one per test session) and per-backend harnesses for the resource suite.

gcloud's Pub/Sub and Firestore emulators are session fixtures of tests/conftest.py
(``pubsub``, ``firestore``), which other folders share.

Each emulator starts the first time a test asks for it and stops when the session ends.
A test's environment points the SDKs at the emulator through monkeypatched variables,
so nothing leaks into other tests. A missing emulator fails the test that needs it.

``harness`` is parametrised indirectly by backend name::

    @pytest.mark.parametrize("harness", ["local", "aws", "azure", "gcp"], indirect=True)
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from resource_harness import AwsHarness, AzureHarness, GcpHarness, Harness, LocalHarness

from polyfn.testing.emulators import (
    AwsEmulator,
    AzuriteEmulator,
    GcsEmulator,
    azurite,
    gcs_emulator,
    moto_server,
)

# Variables that would point an SDK somewhere other than the emulator under test.
_FOREIGN = (
    "POLYFN_AWS_ENDPOINT_URL",
    "AWS_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_ENDPOINT_URL_S3",
    "AWS_ENDPOINT_URL_SQS",
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AZURE_STORAGE_CONNECTION_STRING",
    "AzureWebJobsStorage",
    "STORAGE_EMULATOR_HOST",
    "PUBSUB_EMULATOR_HOST",
    "FIRESTORE_EMULATOR_HOST",
)


@pytest.fixture(scope="session")
def moto() -> Iterator[AwsEmulator]:
    with moto_server() as emulator:
        yield emulator


@pytest.fixture(scope="session")
def azurite_emulator() -> Iterator[AzuriteEmulator]:
    with azurite() as emulator:
        yield emulator


@pytest.fixture(scope="session")
def gcs() -> Iterator[GcsEmulator]:
    with gcs_emulator() as emulator:
        yield emulator


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for variable in _FOREIGN:
        monkeypatch.delenv(variable, raising=False)
    return monkeypatch


@pytest.fixture
def aws_env(moto: AwsEmulator, clean_env: pytest.MonkeyPatch) -> AwsEmulator:
    for variable, value in moto.environ.items():
        clean_env.setenv(variable, value)
    return moto


@pytest.fixture
def azure_env(azurite_emulator: AzuriteEmulator, clean_env: pytest.MonkeyPatch) -> AzuriteEmulator:
    for variable, value in azurite_emulator.environ.items():
        clean_env.setenv(variable, value)
    return azurite_emulator


@pytest.fixture
def gcp_env(gcs: GcsEmulator, clean_env: pytest.MonkeyPatch) -> GcsEmulator:
    for variable, value in gcs.environ.items():
        clean_env.setenv(variable, value)
    return gcs


@pytest.fixture
def aws_harness(aws_env: AwsEmulator, monkeypatch: pytest.MonkeyPatch) -> Harness:
    from polyfn.adapters.aws.backends import AwsBackends

    return AwsHarness("aws", AwsBackends(), monkeypatch)


@pytest.fixture
def azure_harness(azure_env: AzuriteEmulator, monkeypatch: pytest.MonkeyPatch) -> Harness:
    from polyfn.adapters.azure.backends import AzureBackends

    harness = AzureHarness("azure", AzureBackends(), monkeypatch)
    harness.connection_string = azure_env.connection_string
    return harness


@pytest.fixture
def gcp_harness(
    gcp_env: GcsEmulator, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Harness:
    from polyfn.adapters.gcp.backends import GcpBackends

    harness = GcpHarness("gcp", GcpBackends(), monkeypatch)
    # Pub/Sub and Firestore (tests/conftest.py) start when the test first makes a queue or
    # a table, not for the many bucket-only tests.
    harness.request = request
    return harness


@pytest.fixture
def local_harness(
    tmp_path: Path, clean_env: pytest.MonkeyPatch, monkeypatch: pytest.MonkeyPatch
) -> Harness:
    from polyfn.adapters.local.backends import LocalBackends

    monkeypatch.setenv("POLYFN_DATA_DIR", str(tmp_path / "data"))
    return LocalHarness("local", LocalBackends.from_env("contract"), monkeypatch)


@pytest.fixture
def harness(request: pytest.FixtureRequest) -> Harness:
    backend: Harness = request.getfixturevalue(f"{request.param}_harness")
    return backend
