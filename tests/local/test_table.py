"""The SQLite table: exact value round-trips, conditional writes, key-ordered pages."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from polyfn import App
from polyfn.core.errors import PayloadTooLarge, UnsupportedValue

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
    | st.binary(max_size=64)
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def same(a: Any, b: Any) -> bool:
    """Equal and of the same type all the way down (True == 1 would hide a lost bool)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(attributes=st.dictionaries(st.text(min_size=1, max_size=10), values, max_size=5))
def test_every_value_round_trips_exactly(app: App, attributes: dict[str, Any]) -> None:
    table = app.table("things")
    item = {**attributes, "id": "k"}
    table.put(item)
    assert same(table.get("k"), item)


def test_tricky_values_round_trip(app: App) -> None:
    table = app.table("things")
    item = {
        "id": "tricky",
        "bytes": b"\x00\xff\xfe",
        "empty_bytes": b"",
        "looks_like_a_tag": {"b": "AAAA", "m": {"x": 1}},
        "nested": [{"deep": [b"\x01", 1.0, 1, True, None, "1"]}],
        "big": 2**70,
        "float": 0.1 + 0.2,
        "unicode": "caf\u00e9 \U0001f600",
        "empty": {},
    }
    table.put(item)
    assert same(table.get("tricky"), item)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ({1, 2}, "a set cannot be stored"),
        (datetime(2026, 1, 1), "a datetime cannot be stored"),
        (float("nan"), "not a storable number"),
        (float("inf"), "not a storable number"),
        ({1: "x"}, "map keys must be strings"),
        ("\ud800", "unpaired surrogates"),
    ],
)
def test_unstorable_values_are_refused_at_write_time(app: App, value: Any, reason: str) -> None:
    table = app.table("things")
    with pytest.raises(UnsupportedValue, match=reason):
        table.put({"id": "bad", "value": value})
    assert table.get("bad") is None


def test_an_item_over_the_portable_limit_is_refused(app: App) -> None:
    with pytest.raises(PayloadTooLarge, match="DynamoDB item size"):
        app.table("things").put({"id": "huge", "blob": b"x" * (400 * 1024)})


def test_put_if_absent_update_and_delete(app: App) -> None:
    table = app.table("users")
    assert table.put_if_absent({"id": "u1", "name": "Ada"}) is True
    assert table.put_if_absent({"id": "u1", "name": "Someone else"}) is False
    assert table.update("u1", {"email": "ada@example.com", "name": "Ada L"}) == {
        "id": "u1",
        "name": "Ada L",
        "email": "ada@example.com",
    }
    assert table.get("u1") == {"id": "u1", "name": "Ada L", "email": "ada@example.com"}
    with pytest.raises(KeyError):
        table.update("missing", {"x": 1})
    with pytest.raises(UnsupportedValue):
        table.update("u1", {"when": datetime(2026, 1, 1)})
    assert table.get("u1") == {"id": "u1", "name": "Ada L", "email": "ada@example.com"}
    table.delete("u1")
    table.delete("u1")
    assert table.get("u1") is None


def test_query_by_prefix_and_scan_page_in_key_order(app: App) -> None:
    table = app.table("events", key="pk")
    keys = ["user#2", "user#10", "user#1", "order#1", "user", "userx", "z\u00e9"]
    for key in keys:
        table.put({"pk": key, "v": key})

    def all_pages(fetch: Any) -> list[str]:
        seen: list[str] = []
        cursor = None
        while True:
            page = fetch(cursor)
            seen += [item["pk"] for item in page]
            if page.cursor is None:
                return seen
            cursor = page.cursor

    assert all_pages(lambda c: table.query("user#", limit=2, cursor=c)) == [
        "user#1",
        "user#10",
        "user#2",
    ]
    assert all_pages(lambda c: table.query("user", limit=1, cursor=c)) == sorted(
        k for k in keys if k.startswith("user")
    )
    assert all_pages(lambda c: table.scan(limit=3, cursor=c)) == sorted(keys)
    assert table.query("nobody").items == []
    with pytest.raises(ValueError, match="not a cursor"):
        table.scan(cursor="k1.!!!")


def test_tables_are_separate(app: App) -> None:
    app.table("a").put({"id": "same", "from": "a"})
    app.table("b").put({"id": "same", "from": "b"})
    assert app.table("a").get("same") == {"id": "same", "from": "a"}
    assert [i["from"] for i in app.table("b").scan()] == ["b"]
