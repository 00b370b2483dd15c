"""The local item codec: plain JSON for items without bytes, tags otherwise, both read
back exactly; the size shortcut never lets an over-limit item through."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from polyfn.adapters.local.backends.table_codec import decode_item, encode_item, item_size

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=8),
    st.binary(max_size=8),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=12,
)
ITEMS = st.dictionaries(st.text(min_size=1, max_size=5), VALUES, max_size=6)


@settings(max_examples=300, deadline=None, database=None, derandomize=True)
@given(item=ITEMS)
def test_every_item_round_trips_and_its_size_is_bounded_by_its_text(item: dict[str, Any]) -> None:
    text = encode_item(item)

    assert decode_item(text) == item
    assert item_size(item) <= 4 * len(text)  # what table_codec.fits relies on


def test_items_without_bytes_are_plain_json_and_old_tagged_text_still_reads() -> None:
    assert encode_item({"id": "u1", "m": {"b": "x"}}) == '={"id":"u1","m":{"b":"x"}}'
    assert encode_item({"id": "u1", "raw": b"\x01"}) == '{"m":{"id":"u1","raw":{"b":"AQ=="}}}'
    # What the local store wrote before the plain form existed.
    assert decode_item('{"m":{"id":"u1","tags":[{"m":{"k":"v"}}]}}') == {
        "id": "u1",
        "tags": [{"k": "v"}],
    }


class _Label(str):
    pass


# What the fast path must send to the checks: NaN and infinities, unpaired surrogates,
# non-str keys, subclasses, tuples, sets, bytes, at any depth.
AWKWARD = st.one_of(
    SCALARS,
    st.floats(),
    st.text(max_size=4),  # surrogates included
    st.builds(_Label, st.text(max_size=3)),
    st.frozensets(st.integers(), max_size=2),
)
AWKWARD_VALUES = st.recursive(
    AWKWARD,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(st.one_of(st.text(max_size=3), st.integers()), inner, max_size=3),
    ),
    max_leaves=10,
)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(item=st.dictionaries(st.text(min_size=1, max_size=4), AWKWARD_VALUES, max_size=5))
def test_the_fast_path_writes_what_the_checks_write_or_refuses_alike(item: dict[str, Any]) -> None:
    from polyfn.adapters.common.errors import Unstorable
    from polyfn.adapters.local.backends.table_codec import encode_checked

    try:
        expected: str | type[Exception] = encode_checked(item)
    except Unstorable:
        expected = Unstorable
    try:
        got: str | type[Exception] = encode_item(item)
    except Unstorable:
        got = Unstorable
    assert got == expected
