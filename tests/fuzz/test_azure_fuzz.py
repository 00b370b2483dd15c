"""Mutated inputs through ``azure.function_app``'s functions, as the worker passes them
(``azure.functions`` objects made by the worker's own converters): typed refusals or a
4xx, nothing else."""

from __future__ import annotations

import json
from typing import Any

import azure.functions as func
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from fuzz.fuzz_app import build
from fuzz.strategies import FUZZ, ODD_STRINGS, mutated, odd_text
from polyfn.adapters.azure.envelope import wrap
from polyfn.core.errors import UnrecognizedEvent
from polyfn.hosts.azure import IndexedApp
from polyfn.hosts.events import azure as events

_urls = st.one_of(
    st.sampled_from(ODD_STRINGS),
    st.builds(lambda tail: "https://fuzz.azurewebsites.net/api/items/" + tail, odd_text),
    st.builds(lambda head: head + "/api/items/1?a=1&a=2", odd_text),
)
_pairs = st.dictionaries(odd_text, odd_text, max_size=4)


@pytest.fixture(scope="module")
def indexed() -> IndexedApp:
    return IndexedApp(build())


def test_mutated_http_requests_get_4xx_at_worst(indexed: IndexedApp) -> None:
    @FUZZ
    @given(
        method=st.one_of(st.sampled_from(["GET", "POST", "PUT", "DELETE", "HEAD"]), odd_text),
        url=_urls,
        headers=_pairs,
        params=_pairs,
        body=st.one_of(st.binary(max_size=40), st.sampled_from([b"{", b"[1,", b'{"a": 1}'])),
        function=st.sampled_from(["item", "polyfn_fallback"]),
    )
    def run(
        method: str,
        url: str,
        headers: dict[str, str],
        params: dict[str, str],
        body: bytes,
        function: str,
    ) -> None:
        request = func.HttpRequest(method, url, headers=headers, params=params, body=body)
        response = indexed.call(function, "req", request)
        assert response.status_code < 500, (response.status_code, response.get_body())

    run()


def _grid_base(kind: str) -> dict[str, Any]:
    if kind == "eventgrid":
        return events.eventgrid(source="shop.orders", type="OrderPlaced", data={"n": 1})
    if kind == "eventgrid-cloudevent":
        return events.eventgrid_cloudevent(source="shop.orders", type="OrderPlaced", data={})
    document: dict[str, Any] = events.GENERATORS[kind](bucket="uploads", key="in/a.jpg")
    return document


@pytest.mark.parametrize(
    "kind", ["eventgrid", "eventgrid-cloudevent", "blob-deleted", "blob-deleted-cloudevent"]
)
@pytest.mark.parametrize("function", ["on_order", "on_deleted"])
def test_mutated_event_grid_events_get_typed_refusals(
    indexed: IndexedApp, kind: str, function: str
) -> None:
    base = _grid_base(kind)
    indexed.call(function, "event", events.event_grid_event(base))  # served

    @FUZZ
    @given(mutated(base))
    def run(document: Any) -> None:
        try:
            native = events.event_grid_event(document)
        except Exception:  # the worker's converter refuses it: it never reaches polyfn
            assume(False)
        try:
            indexed.call(function, "event", native)
        except UnrecognizedEvent:
            pass

    run()


def test_mutated_queue_messages_get_typed_refusals(indexed: IndexedApp) -> None:
    @FUZZ
    @given(
        body=st.one_of(odd_text, st.binary(max_size=40), st.just('{"polyfn": 1, "body": 5}')),
        dequeue_count=st.integers(min_value=0, max_value=10),
        message_id=odd_text,
    )
    def run(body: str | bytes, dequeue_count: int, message_id: str) -> None:
        message = events.queue_message(body, dequeue_count=dequeue_count, id=message_id or None)
        try:
            indexed.call("on_job", "msg", message)
        except UnrecognizedEvent:
            pass

    run()


def test_mutated_blobs_get_typed_refusals(indexed: IndexedApp) -> None:
    @FUZZ
    @given(container=odd_text, name=odd_text, content_type=odd_text, etag=odd_text)
    def run(container: str, name: str, content_type: str, etag: str) -> None:
        try:
            blob = events.blob(container, name, b"x", content_type=content_type, etag=etag)
        except Exception:
            assume(False)
        try:
            indexed.call("on_created", "blob", blob)
        except UnrecognizedEvent:
            pass

    run()


def test_envelope_lookalike_queue_bodies(indexed: IndexedApp) -> None:
    # polyfn's own queue envelope, mutated: attributes and body of every JSON type.
    base = json.loads(wrap(b"hello", {"a": "b"}))

    @FUZZ
    @given(mutated(base))
    def run(document: Any) -> None:
        # Serialised as wrap does, so the mutated document still starts like an envelope.
        text = json.dumps(document, separators=(",", ":"), ensure_ascii=False)
        message = events.queue_message(text)
        try:
            indexed.call("on_job", "msg", message)
        except UnrecognizedEvent:
            pass

    run()
