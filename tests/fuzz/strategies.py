"""Hypothesis strategies that mutate valid native events into malformed ones.

A fuzz case starts from an event a cloud really sends (the generators of ``polyfn
events``) and applies a few mutations at random places in it: a key dropped, a value
replaced by one of another JSON type or by an odd string, a value wrapped in lists and
objects, a number or object turned into text. Entry points must answer each one with a
typed ``UnrecognizedEvent`` (or a 4xx), never an untyped exception or a 500.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

__all__ = [
    "FUZZ",
    "ODD_STRINGS",
    "json_values",
    "mutated",
    "odd_text",
    "paths_of",
]

# Strings that broke parsers in the past: an unclosed IPv6 URL, bad percent escapes,
# control characters, lone surrogates' neighbours, JSON-looking text, path tricks.
ODD_STRINGS = (
    "",
    " ",
    "http://[::1/api/x",
    "http://[::1]:99999/x",
    "https://",
    "//",
    "%",
    "%zz",
    "%00",
    "\x00",
    "\r\n",
    "\ufeff{}",
    "é/ü?ß=✓",
    "{}",
    "[",
    "null",
    "5",
    '{"a": 1}',
    "../../etc/passwd",
    "/",
    "a" * 300,
    "arn:aws:sqs",
    "aws:s3",
    "Microsoft.Storage.BlobCreated",
    "/subscriptions/x/resourceGroups",
    "GET",
    "0",
    "-1",
    "1e999",
    "true",
)

odd_text = st.one_of(st.sampled_from(ODD_STRINGS), st.text(max_size=12))

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=False, allow_infinity=False),
    odd_text,
)

json_values = st.recursive(
    _scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(odd_text, children, max_size=3),
    ),
    max_leaves=6,
)

# Bounded and deterministic: each entry point takes a few seconds, so `make test` stays
# fast, and a case found once is found again on every run (derandomize, no database).
# POLYFN_FUZZ_EXAMPLES raises the count for a longer hunt; POLYFN_FUZZ_RANDOM=1 draws new
# cases on each run instead of the fixed ones.
FUZZ = settings(
    max_examples=int(os.environ.get("POLYFN_FUZZ_EXAMPLES", "150")),
    deadline=None,
    derandomize=not os.environ.get("POLYFN_FUZZ_RANDOM"),
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

Path = tuple[Any, ...]


def paths_of(document: Any, prefix: Path = ()) -> Iterator[Path]:
    """Every place in ``document`` (the root included), depth first."""
    yield prefix
    if isinstance(document, dict):
        for key, value in document.items():
            yield from paths_of(value, (*prefix, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield from paths_of(value, (*prefix, index))


def _get(document: Any, path: Path) -> Any:
    for step in path:
        document = document[step]
    return document


def _set(document: Any, path: Path, value: Any) -> Any:
    if not path:
        return value
    _get(document, path[:-1])[path[-1]] = value
    return document


def _drop(document: Any, path: Path) -> Any:
    if not path:
        return {}
    parent = _get(document, path[:-1])
    del parent[path[-1]]
    return document


_MUTATIONS = ("drop", "replace", "odd", "nest", "stringify", "empty")


@st.composite
def mutated(draw: st.DrawFn, event: Any, max_mutations: int = 3) -> Any:
    """``event`` (left untouched) with 1..``max_mutations`` mutations applied."""
    document = copy.deepcopy(event)
    for _ in range(draw(st.integers(min_value=1, max_value=max_mutations))):
        path = draw(st.sampled_from(list(paths_of(document))))
        mutation = draw(st.sampled_from(_MUTATIONS))
        current = _get(document, path)
        if mutation == "drop":
            document = _drop(document, path)
        elif mutation == "replace":
            document = _set(document, path, draw(json_values))
        elif mutation == "odd":
            document = _set(document, path, draw(st.sampled_from(ODD_STRINGS)))
        elif mutation == "nest":
            depth = draw(st.integers(min_value=1, max_value=4))
            for _ in range(depth):
                current = draw(st.sampled_from(([current], {"x": current})))
            document = _set(document, path, current)
        elif mutation == "stringify":
            document = _set(document, path, str(current))
        else:
            document = _set(document, path, type(current)() if current is not None else None)
    return document
