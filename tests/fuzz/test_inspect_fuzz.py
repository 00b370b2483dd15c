"""Mutated native events through ``polyfn inspect``'s reading (auto-detected and with
``--cloud``): a model or ``UnrecognizedEvent``, nothing else."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fuzz.strategies import FUZZ, mutated
from polyfn.cli.inspect import describe
from polyfn.core.errors import UnrecognizedEvent
from polyfn.hosts import runtime_hosts

_KINDS = [
    (cloud, kind)
    for cloud in ("aws", "azure", "gcp")
    for kind in sorted(runtime_hosts(cloud).GENERATORS)
]


@pytest.mark.parametrize(("cloud", "kind"), _KINDS, ids=[f"{c}-{k}" for c, k in _KINDS])
def test_mutated_events_are_described_or_refused(cloud: str, kind: str) -> None:
    base = runtime_hosts(cloud).GENERATORS[kind]()
    json.dumps(describe(base, cloud))  # the event as generated is described, as JSON

    @FUZZ
    @given(mutated(base), st.booleans())
    def run(document: Any, detect: bool) -> None:
        try:
            model = describe(document, None if detect else cloud)
        except UnrecognizedEvent:
            return
        json.dumps(model)

    run()
