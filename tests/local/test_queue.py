"""The SQLite queue's consumer side: visibility, receive counts, dead letters, concurrency."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

import pytest

from polyfn import App
from polyfn.adapters.local.backends import LocalBackends
from polyfn.adapters.local.backends.queue import MAX_MESSAGE_BYTES, SqliteQueue
from polyfn.core.errors import PayloadTooLarge

from .consumers import drain


def backend_of(app: App, name: str = "jobs", **options: int) -> SqliteQueue:
    queue = app.queue(name, **options)
    backend: SqliteQueue = queue.backend
    return backend


def test_the_state_file_is_in_wal_mode(app: App, backends: LocalBackends) -> None:
    app.queue("jobs").send("x")
    assert backends.store.journal_mode() == "wal"
    assert (backends.app_dir / "state.sqlite3").is_file()


def test_send_receive_ack_with_attributes(app: App) -> None:
    queue = app.queue("jobs")
    first = queue.send({"n": 1}, attributes={"origin": "test"})
    queue.send_batch(["two", b"three"])
    backend = backend_of(app)
    batch = backend.receive(10)
    assert [d.body for d in batch] == [b'{"n":1}', b"two", b"three"]
    assert batch[0].id == first
    assert batch[0].attributes == {"origin": "test"}
    assert {d.receive_count for d in batch} == {1}
    message = batch[0].to_message("jobs")
    assert (message.json(), message.receive_count, message.queue) == ({"n": 1}, 1, "jobs")
    assert backend.ack(batch) == 3
    assert backend.receive(10) == []


def test_a_received_message_is_invisible_until_its_timeout(app: App) -> None:
    app.queue("jobs").send("once")
    backend = backend_of(app)
    assert len(backend.receive(10, visibility_timeout=0.3)) == 1
    assert backend.receive(10) == []
    time.sleep(0.35)
    again = backend.receive(10, visibility_timeout=0.3)
    assert [d.receive_count for d in again] == [2]


def test_failing_makes_a_message_visible_after_the_delay(app: App) -> None:
    app.queue("jobs").send("retry me")
    backend = backend_of(app)
    batch = backend.receive(1, visibility_timeout=60)
    assert backend.fail(batch, retry_after=0.2) == []
    assert backend.receive(1) == []
    time.sleep(0.25)
    assert [d.body for d in backend.receive(1)] == [b"retry me"]


def test_a_stale_receipt_neither_acks_nor_fails(app: App) -> None:
    app.queue("jobs").send("contested")
    backend = backend_of(app)
    first = backend.receive(1, visibility_timeout=0.1)
    time.sleep(0.15)
    second = backend.receive(1, visibility_timeout=60)
    assert backend.ack(first) == 0  # its timeout ran out and someone else holds it now
    assert backend.fail(first) == []
    assert backend.depth().in_flight == 1
    assert backend.ack(second) == 1


def test_dead_letter_after_max_receives(app: App, backends: LocalBackends) -> None:
    queue = app.queue("jobs", max_receives=3)
    queue.send("poison", attributes={"k": "v"})
    queue.send("fine")
    backend = backend_of(app, max_receives=3)
    for attempt in range(1, 4):
        batch = {d.body: d for d in backend.receive(10, visibility_timeout=60)}
        assert batch[b"poison"].receive_count == attempt
        if b"fine" in batch:
            backend.ack([batch[b"fine"]])
        dead = backend.fail([batch[b"poison"]], retry_after=0)
        assert dead == ([batch[b"poison"].id] if attempt == 3 else [])
    assert backend.receive(10) == []
    letters = backends.dead_letters(queue)
    assert [(d.body, d.attributes, d.receive_count) for d in letters] == [
        (b"poison", {"k": "v"}, 3)
    ]
    assert backend.depth().dead == 1


def test_a_consumer_that_died_holding_the_last_receive_dead_letters_on_the_next(
    app: App,
) -> None:
    app.queue("jobs", max_receives=1).send("orphan")
    backend = backend_of(app, max_receives=1)
    assert len(backend.receive(1, visibility_timeout=0.05)) == 1  # and never settled
    time.sleep(0.1)
    assert backend.receive(1) == []
    assert [d.text for d in backend.dead_letters()] == ["orphan"]


def test_delayed_messages_wait(app: App) -> None:
    app.queue("jobs").send("later", delay_seconds=1)
    backend = backend_of(app)
    assert backend.receive(1) == []
    assert backend.depth().delayed == 1
    time.sleep(1.05)
    assert [d.body for d in backend.receive(1)] == [b"later"]


def test_an_oversized_message_is_refused(app: App) -> None:
    with pytest.raises(PayloadTooLarge, match="SQS message quota"):
        app.queue("jobs").send(b"x" * (MAX_MESSAGE_BYTES + 1))


def test_concurrent_receivers_never_get_the_same_message(
    app: App, data_dir: Path, tmp_path: Path
) -> None:
    count = 300
    app.queue("jobs").send_batch([f"m{i}" for i in range(count)])
    spawn = multiprocessing.get_context("spawn")
    start = spawn.Barrier(4)
    outputs = [tmp_path / f"consumer-{i}.txt" for i in range(4)]
    processes = [
        spawn.Process(target=drain, args=(str(data_dir), "jobs", str(out), start))
        for out in outputs
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(30)
        assert process.exitcode == 0
    received = [line for out in outputs for line in out.read_text().splitlines() if line]
    assert len(received) == count
    assert len(set(received)) == count
    assert sum(1 for out in outputs if out.read_text()) >= 2  # they did run side by side
