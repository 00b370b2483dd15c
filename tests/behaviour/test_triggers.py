"""Messages, object events, schedules and other events, through each runtime's shapes."""

from __future__ import annotations

import json

import pytest

from polyfn.hosts import Host

from .behaviour_app import build


def test_a_failing_message_is_the_only_one_redelivered(driver: Host) -> None:
    app, seen = build()
    bodies = [json.dumps({"n": i, "fail": i == 6}).encode() for i in range(10)]
    failed = driver.messages(app, "jobs", bodies)
    assert failed == [6]
    assert sorted(n for n, _, _ in seen["messages"]) == [0, 1, 2, 3, 4, 5, 7, 8, 9]
    assert {queue for _, _, queue in seen["messages"]} == {"jobs"}


def test_message_attributes_reach_the_handler(driver: Host) -> None:
    app, seen = build()
    failed = driver.messages(app, "jobs", [b'{"n": 1}'], attributes={"origin": "test"})
    assert failed == []
    assert seen["messages"][0][1].get("origin") == "test"


def test_malformed_message_fails_rather_than_vanishing(driver: Host) -> None:
    app, seen = build()
    assert driver.messages(app, "jobs", [b"{broken", b'{"n": 2}']) == [0]
    assert [n for n, _, _ in seen["messages"]] == [2]


@pytest.mark.parametrize("key", ["in/photo.jpg", "in/my photo+1.jpg", "in/caf\u00e9 %41.jpg"])
def test_object_created_with_awkward_keys(driver: Host, key: str) -> None:
    app, seen = build()
    driver.object_event(app, "created", "files", key, size=1234)
    assert seen["objects"] == [("created", "files", key, 1234)]


def test_object_filters_apply(driver: Host) -> None:
    app, seen = build()
    driver.object_event(app, "created", "files", "in/readme.txt", size=1)
    driver.object_event(app, "created", "files", "out/photo.jpg", size=1)
    assert seen["objects"] == []


def test_object_deleted(driver: Host) -> None:
    app, seen = build()
    driver.object_event(app, "deleted", "files", "anything/at all.bin")
    assert seen["objects"] == [("deleted", "files", "anything/at all.bin")]


def test_schedule_fires_the_function(driver: Host) -> None:
    app, seen = build()
    driver.schedule(app, "tick")
    assert seen["ticks"] == ["tick"]


def test_a_tick_resolves_to_the_longest_matching_function(driver: Host) -> None:
    # ``tick`` is declared first and its name ends ``fast_tick``'s: the rule is the
    # longest match of the physical rule or job name, the same on every cloud.
    app, seen = build()
    driver.schedule(app, "fast_tick")
    driver.schedule(app, "tick")
    assert seen["ticks"] == ["fast_tick", "tick"]


def test_other_events_match_source_and_type(driver: Host) -> None:
    app, seen = build()
    driver.event(app, "shop.orders", "OrderPlaced", {"order": 7})
    driver.event(app, "shop.orders", "OrderCancelled", {"order": 8})
    assert seen["events"] == [("shop.orders", "OrderPlaced", {"order": 7})]
