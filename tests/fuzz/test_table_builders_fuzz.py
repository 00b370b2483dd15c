"""Fuzz the table's query and condition builders where they are pure: sort conditions
against their meaning, the Table Storage index-entity RowKey ranges, cursors.

(tests/resources/test_table_fuzz.py fuzzes the same builders against the backends.)
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fuzz.strategies import FUZZ
from polyfn import App
from polyfn.adapters.azure.backends.table_index import entries_of, row_range
from polyfn.core.table_cursors import InvalidCursor, unwrap, wrap
from polyfn.core.table_keys import InvalidKey, Sort, SortCondition

# Key text that stresses the encodings: the space (Table Storage's escape), '!', the
# lowest and highest characters a key may hold, astral characters.
KEY_TEXT = st.text(
    alphabet=st.sampled_from([" ", "!", "a", "b", "~", "é", "\uffff", "\U0001f600", "\U0010ffff"]),
    min_size=1,
    max_size=6,
)


def sort_conditions(values: st.SearchStrategy[str] = KEY_TEXT) -> st.SearchStrategy[SortCondition]:
    single = st.sampled_from([Sort.equals, Sort.begins_with, Sort.lt, Sort.le, Sort.gt, Sort.ge])
    pair = st.tuples(values, values).map(lambda p: Sort.between(min(p), max(p)))
    return st.one_of(st.builds(lambda f, v: f(v), single, values), pair)


@FUZZ
@given(condition=sort_conditions(), value=KEY_TEXT)
def test_sort_condition_bounds_agree_with_matches(condition: SortCondition, value: str) -> None:
    low, low_in, high, high_in = condition.bounds()
    in_range = (low is None or value > low or (low_in and value == low)) and (
        high is None or value < high or (high_in and value == high)
    )
    assert condition.matches(value) == in_range
    op, operand = condition.op, condition.values[0]
    expected = {
        "=": value == operand,
        "begins_with": value.startswith(operand),
        "<": value < operand,
        "<=": value <= operand,
        ">": value > operand,
        ">=": value >= operand,
        "between": condition.values[0] <= value <= condition.values[-1],
    }[op]
    assert condition.matches(value) == expected


_TABLE = App("fuzz").table(
    "orders", key="customer", sort="created", indexes={"by_status": ("status", "created")}
)


@FUZZ
@given(condition=st.one_of(st.none(), sort_conditions()), created=KEY_TEXT, customer=KEY_TEXT)
def test_index_entity_row_ranges_select_exactly_the_matching_items(
    condition: SortCondition | None, created: str, customer: str
) -> None:
    item = {"customer": customer, "created": created, "status": "open"}
    (entry,) = entries_of(_TABLE.schema, item)
    lowest, above = row_range(condition)

    selected = (lowest is None or entry.row >= lowest) and (above is None or entry.row < above)

    assert selected == (condition is None or condition.matches(created))


@FUZZ
@given(a=KEY_TEXT, b=KEY_TEXT, ka=KEY_TEXT, kb=KEY_TEXT)
def test_index_entity_rows_sort_like_their_sort_values(a: str, b: str, ka: str, kb: str) -> None:
    (first,) = entries_of(_TABLE.schema, {"customer": ka, "created": a, "status": "s"})
    (second,) = entries_of(_TABLE.schema, {"customer": kb, "created": b, "status": "s"})
    if a != b:
        assert (first.row < second.row) == (a < b)


@FUZZ
@given(text=st.text(max_size=80))
def test_any_text_as_a_cursor_is_refused_typed(text: str) -> None:
    try:
        result = unwrap("t", "scope", text)
    except InvalidCursor:
        return
    assert text == "" and result is None


@FUZZ
@given(position=st.text(max_size=40), index=st.integers(min_value=0), char=st.characters())
def test_a_changed_cursor_never_unwraps(position: str, index: int, char: str) -> None:
    cursor = wrap("scope", position)
    assert cursor is not None
    index %= len(cursor)
    changed = cursor[:index] + char + cursor[index + 1 :]
    if changed == cursor:
        return
    try:
        unwrapped = unwrap("t", "scope", changed)
    except InvalidCursor:
        return
    # base64 ignores nothing here (validate=True), but padding bits can alias: then the
    # position is still the one that was signed.
    assert unwrapped == position


@FUZZ
@given(value=st.one_of(st.integers(), st.none(), st.binary(), st.text(max_size=3)))
def test_query_partitions_that_are_not_keys_are_invalid_keys(value: object) -> None:
    if isinstance(value, str) and value and "\x00" not in value:
        return
    with pytest.raises(InvalidKey):
        _TABLE.query(value)  # type: ignore[arg-type]
