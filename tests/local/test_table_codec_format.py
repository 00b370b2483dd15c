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
