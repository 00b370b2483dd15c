"""The carrier a workflow execution's input holds beside the user's (core.workflow_trace)."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from polyfn.core.workflow_trace import carrier, unwrap, wrap

CARRIED = {
    "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    "x-correlation-id": "c-1",
    "polyfn-hops": "2",
}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=12,
)


@given(json_values)
def test_what_is_wrapped_comes_back_as_it_was(data: Any) -> None:
    assert unwrap(wrap(data, CARRIED)) == (data, CARRIED)


@given(json_values)
def test_no_trace_leaves_the_input_as_it_is(data: Any) -> None:
    assert wrap(data, None) is data
    assert wrap(data, {}) is data


@given(json_values)
def test_any_json_unwraps_without_failing_and_yields_only_carried_text(value: Any) -> None:
    data, found = unwrap(value)
    assert set(found) <= {"traceparent", "tracestate", "x-correlation-id", "polyfn-hops"}
    assert all(isinstance(v, str) for v in found.values())
    wrapper = (
        isinstance(value, dict)
        and set(value) == {"polyfnTrace", "polyfnInput"}
        and isinstance(value["polyfnTrace"], dict)
    )
    assert data is (value["polyfnInput"] if wrapper else value)


def test_an_input_that_only_looks_like_the_wrapper_is_the_users() -> None:
    three_keys = {"polyfnTrace": {}, "polyfnInput": 1, "other": 2}
    assert unwrap(three_keys) == (three_keys, {})
    not_a_map = {"polyfnTrace": "x", "polyfnInput": 1}
    assert unwrap(not_a_map) == (not_a_map, {})


def test_a_carrier_keeps_only_polyfns_names_and_short_text() -> None:
    assert carrier(
        {
            **CARRIED,
            "polyfn-hops": 3,  # not text: not written by polyfn
            "tracestate": "x" * 600,  # past what polyfn ever writes
            "authorization": "Bearer secret",
        }
    ) == {k: v for k, v in CARRIED.items() if k != "polyfn-hops"}
    assert carrier(["traceparent"]) == {}
    assert carrier(None) == {}
