"""Queues with different max_receives in one Function App: host.json has one
maxDequeueCount (the largest), and the queue trigger of a queue with a lower
max_receives moves its failed message to ``<queue>-poison`` itself, on Azurite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from azure.storage.queue import BinaryBase64DecodePolicy, QueueServiceClient
from azure_native import invoke

from polyfn import App, Message
from polyfn.adapters.azure import MessageFailed, function_app
from polyfn.hosts.events import azure as events
from polyfn.testing.emulators import AzuriteEmulator, azurite


@pytest.fixture(scope="module")
def emulator() -> Iterator[AzuriteEmulator]:
    with azurite() as running:
        yield running


@pytest.fixture
def poison(emulator: AzuriteEmulator, monkeypatch: pytest.MonkeyPatch) -> object:
    for name in ("PolyfnStorage", "AzureWebJobsStorage"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", emulator.connection_string)
    service = QueueServiceClient.from_connection_string(emulator.connection_string)
    queue = service.get_queue_client(
        "quick-poison", message_decode_policy=BinaryBase64DecodePolicy()
    )
    try:
        queue.create_queue()
    except Exception:
        queue.clear_messages()
    return queue


def _app() -> App:
    app = App("poisoned")
    quick = app.queue("quick", max_receives=2)
    patient = app.queue("patient", max_receives=6)

    @app.on_message(quick)
    def fast(msg: Message) -> None:
        raise RuntimeError("always fails")

    @app.on_message(patient)
    def slow(msg: Message) -> None:
        raise RuntimeError("always fails")

    return app


def test_a_lower_max_receives_poisons_at_its_own_count(
    poison: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POLYFN_AZURE_MAX_DEQUEUE_COUNT", "6")
    native = function_app(_app(), backends="keep")
    # Receive 1 of 2: retried by the host as usual.
    with pytest.raises(MessageFailed):
        invoke(native, "fast", "msg", events.queue_message(b'{"n": 1}', dequeue_count=1))
    # Receive 2 of 2, while the host would go on to 6: polyfn moves it and completes.
    assert invoke(native, "fast", "msg", events.queue_message(b'{"n": 1}', dequeue_count=2)) is None
    moved = [m.content for m in poison.receive_messages()]  # type: ignore[attr-defined]
    assert moved == [b'{"n": 1}']
    # The queue whose count is the host's is left to the host.
    with pytest.raises(MessageFailed):
        invoke(native, "slow", "msg", events.queue_message(b"x", dequeue_count=6))


def test_without_the_setting_the_host_decides(
    poison: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("POLYFN_AZURE_MAX_DEQUEUE_COUNT", raising=False)
    native = function_app(_app(), backends="keep")
    with pytest.raises(MessageFailed):
        invoke(native, "fast", "msg", events.queue_message(b"x", dequeue_count=2))
    assert list(poison.receive_messages()) == []  # type: ignore[attr-defined]
