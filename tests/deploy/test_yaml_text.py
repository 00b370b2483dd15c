"""The YAML writer: whatever it writes, a YAML parser reads back as the same document."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from polyfn.deploy.yaml_text import dump_yaml

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.text(max_size=20),
    st.sampled_from(["on", "off", "yes", "No", "null", "~", "1.5", "2026-11-27", "0x1f",
                     "-", "- x", "a: b", "#c", "*ref", "&a", "!Ref", "{x}", "'q'", '"d"',
                     "3e5", ".inf", "", " lead", "trail ", "tab\there", "new\nline"]),
)  # fmt: skip
KEYS = st.one_of(
    st.text(min_size=1, max_size=12), st.sampled_from(["Fn::Sub", "on", "1", "$schema"])
)
DOCUMENTS = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=4)),
    max_leaves=25,
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(KEYS, DOCUMENTS, max_size=5))
def test_round_trip(document: dict[str, Any]) -> None:
    assert yaml.safe_load(dump_yaml(document)) == (document or None)
