"""The inline key checks of the table's hot paths (``Table.get``, ``Table.batch_write``)
decide exactly as the per-item checks they stand in for: the same key for a good item,
the same typed error for a bad one, before anything reaches a backend."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from polyfn import App
from polyfn.adapters.local.backends import LocalBackends
from polyfn.core import resources
from polyfn.core.resources import Table
from polyfn.core.table_keys import SHORT_KEY_CHARS, InvalidKey

# Values around every edge of a key: empty, NUL, the short-key bound, over the UTF-16
# limit, astral characters (4 bytes of UTF-16), not a string, a str subclass.
_EDGES = st.sampled_from(
    [
        "",
        "\x00",
        "a\x00b",
        "x" * SHORT_KEY_CHARS,
        "x" * (SHORT_KEY_CHARS + 1),
        "x" * 512,
        "x" * 513,
        "\U0001f600" * 256,
        "\U0001f600" * 257,
        None,
        1,
        True,
        b"k",
    ]
)


class Name(str):
    """A str subclass: not the fast path's exact str, valid all the same."""


KEY_VALUES = st.one_of(
    _EDGES, st.text(max_size=20), st.text(max_size=20).map(Name), st.integers(), st.none()
)


def _table(tmp_path: Path) -> tuple[App, Table, Table]:
    app = App("fast")
    app.bind(LocalBackends(tmp_path / "data", "fast"))
    plain = app.table("plain", key="id", indexes={"by_email": "email"})
    sorted_ = app.table(
        "sorted",
        key="customer",
        sort="created",
        indexes={"by_status": ("status", "created"), "by_sku": ("sku", "status")},
    )
    return app, plain, sorted_


def _outcome(call: Any) -> Any:
    try:
        return ("ok", call())
    except (InvalidKey, ValueError, TypeError) as exc:
        return (type(exc), str(exc))


def test_the_short_key_bound_is_the_one_table_keys_uses() -> None:
    assert resources._SHORT_KEY_CHARS == SHORT_KEY_CHARS


@settings(max_examples=300, deadline=None)
@given(
    values=st.dictionaries(
        st.sampled_from(["id", "email", "customer", "created", "status", "sku"]), KEY_VALUES
    ),
    as_mapping=st.booleans(),
)
def test_batch_items_are_checked_as_one_item_is(
    tmp_path_factory: pytest.TempPathFactory, values: dict[str, Any], as_mapping: bool
) -> None:
    app, plain, sorted_ = _table(tmp_path_factory.mktemp("t"))
    try:
        item: Any = values
        if as_mapping:
            from types import MappingProxyType

            item = MappingProxyType(values)
        for table in (plain, sorted_):
            one = _outcome(lambda table=table: table._checked_item_and_key(item))
            batch = _outcome(lambda table=table: table._checked_items([item]))
            if one[0] == "ok":
                copied, key = one[1]
                assert batch == ("ok", ([copied], [key]))
                assert type(batch[1][0][0]) is dict and batch[1][0][0] is not item
            else:
                assert batch == one
    finally:
        app.unbind()


@settings(max_examples=300, deadline=None)
@given(key=KEY_VALUES, sort=KEY_VALUES)
def test_get_checks_its_key_as_key_does(
    tmp_path_factory: pytest.TempPathFactory, key: Any, sort: Any
) -> None:
    app, plain, sorted_ = _table(tmp_path_factory.mktemp("t"))
    try:
        for table in (plain, sorted_):
            expected = _outcome(lambda table=table: table._key(key, sort))
            got = _outcome(lambda table=table: table.get(key, sort))
            if expected[0] == "ok":
                assert got == ("ok", None)  # checked and looked up: nothing stored
            else:
                assert got == expected
    finally:
        app.unbind()
