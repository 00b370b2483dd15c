"""Queue messages, the same on every runtime: partial batch failure (only the failing
message comes back), attributes, the queue and cloud a handler sees, malformed bodies,
and a queue no function consumes."""

from __future__ import annotations

import json

from polyfn.hosts import Host

from .behaviour_app import build


def test_a_failing_message_is_the_only_one_redelivered(driver: Host) -> None:
    app, seen = build()
    bodies = [json.dumps({"n": i, "fail": i == 6}).encode() for i in range(10)]
    failed = driver.messages(app, "jobs", bodies)
    assert failed == [6]
    assert sorted(n for n, *_ in seen["messages"]) == [0, 1, 2, 3, 4, 5, 7, 8, 9]
    assert {queue for _, _, queue, _ in seen["messages"]} == {"jobs"}


def test_message_attributes_reach_the_handler(driver: Host) -> None:
    app, seen = build()
    failed = driver.messages(app, "jobs", [b'{"n": 1}'], attributes={"origin": "test"})
    assert failed == []
    assert seen["messages"][0][1].get("origin") == "test"


def test_a_message_handler_sees_its_cloud(driver: Host) -> None:
    app, seen = build()
    assert driver.messages(app, "jobs", [b'{"n": 1}', b'{"n": 2}']) == []
    assert sorted((n, cloud) for n, _, _, cloud in seen["messages"]) == [
        (1, driver.cloud),
        (2, driver.cloud),
    ]


def test_a_malformed_message_fails_rather_than_vanishing(driver: Host) -> None:
    app, seen = build()
    assert driver.messages(app, "jobs", [b"{broken", b'{"n": 2}']) == [0]
    assert [n for n, *_ in seen["messages"]] == [2]


def test_a_queue_without_consumer_gives_every_message_back(driver: Host) -> None:
    app, _ = build()
    assert driver.messages(app, "orphans", [b"x", b"y"]) == [0, 1]
