"""Portable cases the AWS adapter tests used to check on Lambda alone, now on every runtime.

Each was a test in ``tests/adapters/aws`` that asserted a semantic every runtime keeps
but that the rest of the behaviour suite did not pin yet; it runs here through each
runtime's host, so a runtime that drifts from it fails here rather than nowhere.
"""

from __future__ import annotations

from typing import Any

import pytest

from polyfn import App, Event, ObjectEvent, Request
from polyfn.hosts import Host

from .behaviour_app import build


def test_a_plus_in_a_repeated_query_value_stays_a_plus(driver: Host) -> None:
    # "+" means a space only in an encoded query; a value that holds a literal "+" must
    # reach the handler as one, next to repeats of the same key.
    app, _ = build()
    result = driver.http(app, "GET", "/echo", query={"tag": ["a b", "c&d", "e+f"]})
    assert result.json()["query"] == {"tag": ["a b", "c&d", "e+f"]}


def test_head_answers_like_get_without_a_body(driver: Host) -> None:
    app, _ = build()
    result = driver.http(app, "HEAD", "/users/7")
    assert result.status == 200
    assert result.body == b""
    assert result.headers["content-type"] == "application/json"


def test_a_handler_that_returns_nothing_answers_204_with_no_body(driver: Host) -> None:
    app = App("nothing")

    @app.get("/nothing")
    def nothing(req: Request) -> None:
        return None

    result = driver.http(app, "GET", "/nothing")
    assert result.status == 204
    assert result.body == b""


@pytest.mark.parametrize(
    "key",
    ["in/a+b.jpg", "in/100%.txt", "in/caf\u00e9 %41&=?.txt", "in/deep/er/k\u00e9y"],
)
def test_object_keys_with_reserved_characters_arrive_decoded(driver: Host, key: str) -> None:
    # The shared app filters on ".jpg"; these keys need a handler that takes every key.
    app = App("keys")
    files = app.bucket("files")
    seen: list[tuple[str, int | None]] = []

    @app.on_object_created(files)
    def created(event: ObjectEvent) -> None:
        seen.append((event.key, event.size))

    driver.object_event(app, "created", "files", key, size=12)
    assert seen == [(key, 12)]


def test_an_event_subject_reaches_the_handler(driver: Host) -> None:
    app = App("subjects")
    seen: list[Any] = []

    @app.on_event(source="shop.orders")
    def order(event: Event) -> None:
        seen.append((event.type, event.subject, event.data))

    driver.event(app, "shop.orders", "OrderPlaced", {"order": 1}, subject="order/1")
    assert seen == [("OrderPlaced", "order/1", {"order": 1})]
