"""Fixtures every test folder can reach: gcloud's Pub/Sub and Firestore emulators.

The two emulators start together (in parallel, about 3 s) the first time a test asks for
either, once per test session, and stop when it ends. They are Java programs run by the
Google Cloud CLI; when ``gcloud`` or ``java`` is missing the test that needs them fails
with ``EmulatorUnavailable`` naming what to install (it never skips).

The fixtures only give addresses: a test points the client libraries at an emulator
with ``monkeypatch.setenv`` over ``emulator.environ`` (``PUBSUB_EMULATOR_HOST`` or
``FIRESTORE_EMULATOR_HOST``, and ``GOOGLE_CLOUD_PROJECT``), so nothing leaks into tests
that do not use it. The emulators keep state for the whole session: use unique topic
and collection names.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from polyfn.testing.emulators import FirestoreEmulator, PubSubEmulator, gcloud_emulators


@pytest.fixture(scope="session")
def gcloud_emulator_pair() -> Iterator[tuple[PubSubEmulator, FirestoreEmulator]]:
    with gcloud_emulators() as pair:
        yield pair


@pytest.fixture(scope="session")
def pubsub(gcloud_emulator_pair: tuple[PubSubEmulator, FirestoreEmulator]) -> PubSubEmulator:
    """gcloud's Pub/Sub emulator, running for the session."""
    return gcloud_emulator_pair[0]


@pytest.fixture(scope="session")
def firestore(
    gcloud_emulator_pair: tuple[PubSubEmulator, FirestoreEmulator],
) -> FirestoreEmulator:
    """gcloud's Firestore emulator (native mode), running for the session."""
    return gcloud_emulator_pair[1]
