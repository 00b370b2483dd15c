"""``@app.on_change`` and ``handle_changes`` in core alone: the options checked when
declared, a batch run in order that stops at the first failure, keys filled in from the
table's schema, and a table nobody (or several, unpinned) reads failing whole."""

from __future__ import annotations

import pytest

from polyfn import App, Change, Context
from polyfn.core.changes import MalformedChange
from polyfn.core.errors import ConfigError


def _ctx() -> Context:
    return Context("local", "", "req-1")


def test_on_change_checks_its_options() -> None:
    app = App("feeds")
    notes = app.table("notes")
    other = App("other").table("notes")
    for bad in (
        {"batch_size": 0},
        {"batch_size": 10001},
        {"start": "middle"},
        {"retries": -1},
        {"retries": 1.5},
    ):
        with pytest.raises(ConfigError):
            app.on_change(notes, **bad)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="declare the table"):
        app.on_change(other)
    with pytest.raises(MalformedChange):
        Change("upsert", "notes", {})  # type: ignore[arg-type]


def test_a_batch_runs_in_order_and_stops_at_the_first_failure() -> None:
    app = App("feeds")
    notes = app.table("notes", key="pk", sort="sk")
    seen: list[tuple[str, dict[str, str]]] = []

    @app.on_change(notes)
    def changed(change: Change) -> None:
        if (change.item or {}).get("fail"):
            raise ValueError("no")
        seen.append((change.kind, change.keys))

    changes = [
        # Keys left empty, as a Firestore event leaves them: filled in from the schema.
        Change("insert", "x", {}, new={"pk": "a", "sk": "1", "v": 1}, id="1"),
        Change("remove", "x", {}, old={"pk": "a", "sk": "0"}, id="2"),
        Change(
            "modify", "x", {"pk": "b", "sk": "1"}, new={"pk": "b", "sk": "1", "fail": True}, id="3"
        ),
        Change("insert", "x", {}, new={"pk": "c", "sk": "1"}, id="4"),
    ]
    not_done = app.handle_changes("notes", changes, _ctx())
    assert [c.id for c in not_done] == ["3", "4"]
    assert seen == [("insert", {"pk": "a", "sk": "1"}), ("remove", {"pk": "a", "sk": "0"})]
    assert {c.table for c in changes[:2]} == {"notes"}  # the logical name


def test_a_table_read_by_nobody_or_by_several_unpinned_fails_whole() -> None:
    app = App("feeds")
    notes = app.table("notes")
    app.table("plain")
    runs: list[str] = []

    @app.on_change(notes)
    def first(change: Change) -> None:
        runs.append("first")

    @app.on_change(notes)
    def second(change: Change) -> None:
        runs.append("second")

    batch = [Change("insert", "notes", {"id": "a"}, new={"id": "a"}, id="1")]
    assert app.handle_changes("plain", batch, _ctx()) == batch
    assert app.handle_changes("notes", batch, _ctx()) == batch
    assert runs == []
    # Pinned (as every deployment is), each reader runs on its own.
    assert app.handle_changes("notes", batch, _ctx(), function="second") == []
    assert runs == ["second"]
