"""Object (bucket) events, the same on every runtime: keys arrive decoded whatever they
hold, each subscriber gets what its prefix and suffix let through, deletions, a failing
handler fails the invocation, and the handler sees the logical bucket name."""

from __future__ import annotations

import pytest

from polyfn.hosts import Host

from .behaviour_app import build


@pytest.mark.parametrize(
    "key",
    [
        "in/photo.jpg",
        "in/my photo+1.jpg",
        "in/caf\u00e9 %41.jpg",
        "in/a+b.jpg",
        "in/100%.txt",
        "in/caf\u00e9 %41&=?.txt",
        "in/deep/er/k\u00e9y",
    ],
)
def test_object_keys_with_reserved_characters_arrive_decoded(driver: Host, key: str) -> None:
    app, seen = build()
    driver.object_event(app, "created", "files", key, size=1234)
    assert seen["audits"] == [(key, 1234)]  # takes every key
    uploads = [("created", "files", key, 1234)] if key.endswith(".jpg") else []
    assert seen["objects"] == uploads  # in/*.jpg only


def test_each_subscriber_of_a_bucket_gets_what_its_filters_let_through(driver: Host) -> None:
    app, seen = build()
    driver.object_event(app, "created", "files", "in/cat photo.jpg", size=5)
    driver.object_event(app, "created", "files", "in/readme.txt", size=1)
    driver.object_event(app, "created", "files", "out/photo.jpg", size=1)
    assert seen["objects"] == [("created", "files", "in/cat photo.jpg", 5)]
    assert sorted(seen["audits"]) == [
        ("in/cat photo.jpg", 5),
        ("in/readme.txt", 1),
        ("out/photo.jpg", 1),
    ]


def test_object_deleted(driver: Host) -> None:
    app, seen = build()
    driver.object_event(app, "deleted", "files", "anything/at all.bin")
    assert seen["objects"] == [("deleted", "files", "anything/at all.bin")]


def test_a_failing_object_handler_fails_the_invocation(driver: Host) -> None:
    # The platform then retries the delivery: raising is how a handler asks for that. What
    # is raised is the platform's own failure (an HTTP 500 through functions-framework,
    # the handler's exception elsewhere): only that the invocation failed is portable.
    app, seen = build()
    with pytest.raises(Exception):  # noqa: B017
        driver.object_event(app, "created", "files", "in/broken.jpg", size=1)
    assert seen["objects"] == []


def test_a_physical_bucket_name_reaches_the_handler_as_the_logical_one(
    driver: Host, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POLYFN_BUCKET_FILES", "prod-files-7f3a")
    app, seen = build()
    driver.object_event(app, "created", "files", "in/a.jpg", size=1)
    assert seen["objects"] == [("created", "files", "in/a.jpg", 1)]
