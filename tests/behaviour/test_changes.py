"""Table change feeds, the same on every runtime that has one (DynamoDB Streams on AWS,
Firestore document events on Google Cloud, the SQLite change log locally): inserts,
modifies and removes reach the handler with their keys and images, and a failing change
is reported for redelivery without losing the changes around it. Azure Table Storage has
no change feed: the Azure host refuses, as the deploy build does."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from polyfn import App, Change, Context
from polyfn.core.changes import NoChangeFeed
from polyfn.hosts import Host


def _build() -> tuple[App, list[tuple[str, dict[str, Any], Any, Any, str, str]]]:
    app = App("behaviour-feeds")
    notes = app.table("notes", key="id")
    app.table("plain", key="id")  # no on_change function reads it
    lines = app.table("lines", key="order", sort="line")
    seen: list[tuple[str, dict[str, Any], Any, Any, str, str]] = []

    @app.on_change(lines)
    def line_changed(change: Change, ctx: Context) -> None:
        seen.append((change.kind, change.keys, change.new, change.old, change.table, ctx.cloud))

    @app.on_change(notes, batch_size=10)
    def note_changed(change: Change, ctx: Context) -> None:
        if change.new is not None and change.new.get("fail"):
            raise ValueError(f"note {change.keys} refused")
        seen.append((change.kind, change.keys, change.new, change.old, change.table, ctx.cloud))

    return app, seen


def _refused_on_azure(driver: Host, app: App, changes: list[Any]) -> bool:
    """Azure's host refuses any change delivery, naming the function and what to use."""
    if driver.cloud != "azure":
        return False
    with pytest.raises(NoChangeFeed, match="Azure Table Storage has no change feed") as refused:
        driver.changes(app, "notes", changes)
    assert "note_changed" in str(refused.value) and "on_message" in str(refused.value)
    return True


def test_inserts_modifies_and_removes_reach_the_handler(driver: Host) -> None:
    app, seen = _build()
    changes = [
        ("insert", {"id": "a", "text": "first", "n": 1, "tags": ["x"]}, None),
        ("modify", {"id": "a", "text": "second", "n": 2, "tags": []}, {"id": "a", "text": "first"}),
        ("remove", None, {"id": "b", "text": "gone", "ok": True}),
    ]
    if _refused_on_azure(driver, app, changes):
        return
    assert driver.changes(app, "notes", changes) == []
    assert [(kind, keys) for kind, keys, *_ in seen] == [
        ("insert", {"id": "a"}),
        ("modify", {"id": "a"}),
        ("remove", {"id": "b"}),
    ]
    inserted, modified, removed = seen
    assert inserted[2] == {"id": "a", "text": "first", "n": 1, "tags": ["x"]}
    assert inserted[3] is None
    assert modified[2] == {"id": "a", "text": "second", "n": 2, "tags": []}
    assert modified[3] == {"id": "a", "text": "first"}
    assert removed[2] is None
    assert removed[3] == {"id": "b", "text": "gone", "ok": True}
    assert {(table, cloud) for *_, table, cloud in seen} == {("notes", driver.cloud)}


def test_a_failing_change_is_redelivered_and_the_others_are_not_lost(driver: Host) -> None:
    app, seen = _build()
    changes = [
        ("insert", {"id": "a"}, None),
        ("insert", {"id": "b", "fail": True}, None),
        ("insert", {"id": "c"}, None),
    ]
    if _refused_on_azure(driver, app, changes):
        return
    failed = driver.changes(app, "notes", changes)
    # The failing change is reported. A feed ordered per item (DynamoDB Streams, the local
    # log) also gives back every change after it; Firestore's events stand alone.
    assert failed[0] == 1
    assert failed in ([1], [1, 2])
    delivered = [keys["id"] for _, keys, *_ in seen]
    assert delivered == [c[1]["id"] for i, c in enumerate(changes) if i not in failed]


def test_changes_of_a_table_nobody_reads_are_all_given_back(driver: Host) -> None:
    app, seen = _build()
    changes = [("insert", {"id": "a"}, None), ("remove", None, {"id": "a"})]
    if _refused_on_azure(driver, app, changes):
        return
    assert driver.changes(app, "plain", changes) == [0, 1]
    assert seen == []


def test_a_sort_key_table_names_both_key_parts(driver: Host) -> None:
    app, seen = _build()
    changes = [
        ("insert", {"order": "o1", "line": "002", "qty": 2}, None),
        ("remove", None, {"order": "o1", "line": "001", "qty": 1}),
    ]
    if driver.cloud == "azure":
        with pytest.raises(NoChangeFeed):
            driver.changes(app, "lines", changes)
        return
    assert driver.changes(app, "lines", changes) == []
    assert [(kind, keys, table) for kind, keys, _, _, table, _ in seen] == [
        ("insert", {"order": "o1", "line": "002"}, "lines"),
        ("remove", {"order": "o1", "line": "001"}, "lines"),
    ]


def test_a_change_batch_is_counted_and_timed_as_any_invocation(
    driver: Host,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from .test_observability import _metrics

    # On by default on a platform only; these hosts call the entry points in a test.
    monkeypatch.setenv("POLYFN_BUILTIN_METRICS", "1")
    app, _ = _build()
    changes = [("insert", {"id": "a"}, None), ("insert", {"id": "b", "fail": True}, None)]
    if _refused_on_azure(driver, app, changes):
        return
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="polyfn.metrics")  # local: DEBUG only
    capsys.readouterr()
    driver.changes(app, "notes", changes)
    metrics = _metrics(driver, capsys.readouterr().out, caplog.records)
    assert metrics["Invocations"][0] >= 1
    assert metrics["Invocations"][1]["function"] == "note_changed"
    assert metrics["Duration"][1]["function"] == "note_changed"
    assert metrics["BatchItemFailures"][0] >= 1
