"""The queue port's contract on every backend (local, SQS on moto, Queue Storage on
Azurite, Pub/Sub on gcloud's emulator); each test reads what was sent back with the
cloud's own SDK."""

from __future__ import annotations

import json
import time

import pytest
from resource_harness import Harness

from polyfn.core.errors import UnsupportedValue

pytestmark = [
    pytest.mark.emulator,
    pytest.mark.parametrize("harness", ["local", "aws", "azure", "gcp"], indirect=True),
]


def test_send_one_text_message(harness: Harness) -> None:
    queue = harness.queue()

    message_id = queue.send("héllo wörld")

    assert isinstance(message_id, str) and message_id
    [received] = harness.receive(queue, 1)
    assert received.body == "héllo wörld".encode()
    assert received.attributes == {}


def test_dicts_and_lists_are_sent_as_json(harness: Harness) -> None:
    queue = harness.queue()

    queue.send({"order": 42, "items": ["a", "b"]})
    queue.send([1, 2, 3])

    bodies = sorted(json.dumps(json.loads(m.body)) for m in harness.receive(queue, 2))
    assert bodies == sorted([json.dumps({"order": 42, "items": ["a", "b"]}), "[1, 2, 3]"])


def test_attributes_travel_with_the_message(harness: Harness) -> None:
    queue = harness.queue()

    queue.send(b"payload", attributes={"origin": "web", "trace-id": "abc.123"})

    [received] = harness.receive(queue, 1)
    assert received.body == b"payload"
    assert received.attributes == {"origin": "web", "trace-id": "abc.123"}


def test_send_batch_over_ten_sends_every_message_once(harness: Harness) -> None:
    queue = harness.queue()
    bodies: list[bytes | str | dict[str, object] | list[object]] = [
        f"message {n}" for n in range(23)
    ]

    ids = queue.send_batch(bodies, attributes={"batch": "yes"})

    assert len(ids) == 23 and len(set(ids)) == 23
    received = harness.receive(queue, 23)
    assert sorted(m.body.decode() for m in received) == sorted(str(b) for b in bodies)
    assert all(m.attributes == {"batch": "yes"} for m in received)
    assert harness.receive(queue, 1, timeout=0.5) == []


def test_an_empty_batch_sends_nothing(harness: Harness) -> None:
    queue = harness.queue()

    assert queue.send_batch([]) == []
    assert harness.receive(queue, 1, timeout=0.3) == []


def test_a_delayed_message_is_invisible_until_its_delay_passed(harness: Harness) -> None:
    queue = harness.queue()
    if harness.cloud == "gcp":
        # Pub/Sub has no per-message delay: refused, never delivered early.
        with pytest.raises(UnsupportedValue, match="delay"):
            queue.send("later", delay_seconds=2)
        assert harness.receive(queue, 1, timeout=0.5) == []
        return
    sent = time.monotonic()

    queue.send("later", delay_seconds=2)
    queue.send("now")

    first = harness.receive(queue, 2, timeout=1.0)
    assert [m.body for m in first] == [b"now"]
    [late] = harness.receive(queue, 1, timeout=6.0)
    assert late.body == b"later"
    assert time.monotonic() - sent >= 1.5
