"""Local indexes live in slots of the items rows: an index declared on a table that has
items is filled from them, and one no longer declared frees its slot without leaking
its entries into the index that takes the slot next."""

from __future__ import annotations

from pathlib import Path

from polyfn import App
from polyfn.adapters.local.backends import LocalBackends


def _table(data: Path, indexes: dict[str, str]) -> object:
    app = App("slots")
    app.bind(LocalBackends(data, app.name))
    return app.table("users", indexes=indexes)


def test_a_new_index_covers_the_items_already_there(tmp_path: Path) -> None:
    before = _table(tmp_path, {})
    before.put({"id": "u1", "email": "a@x", "team": "red"})  # type: ignore[attr-defined]

    after = _table(tmp_path, {"by_email": "email"})

    assert list(after.query("a@x", index="by_email")) == [  # type: ignore[attr-defined]
        {"id": "u1", "email": "a@x", "team": "red"}
    ]


def test_a_dropped_index_frees_its_slot_cleanly(tmp_path: Path) -> None:
    first = _table(tmp_path, {"by_email": "email"})
    first.put({"id": "u1", "email": "red", "team": "blue"})  # type: ignore[attr-defined]

    second = _table(tmp_path, {"by_team": "team"})  # takes the slot by_email had

    assert list(second.query("red", index="by_team")) == []  # type: ignore[attr-defined]
    assert [i["id"] for i in second.query("blue", index="by_team")] == ["u1"]  # type: ignore[attr-defined]
