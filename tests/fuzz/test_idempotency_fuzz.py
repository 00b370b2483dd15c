"""Fuzz what @idempotent reads from outside: the Idempotency-Key header a client sends,
the key a key function returns, and the record a table hands back. Each ends as an
answer, a typed error or a 4xx; never a crash, never a second run of a completed key."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from fuzz.strategies import FUZZ
from polyfn import App, Message, Request
from polyfn.core.idempotency import IdempotencyRecordInvalid, _decode_result, _fields
from polyfn.core.idempotency_keys import IdempotencyKeyInvalid, digest
from polyfn.hosts import host_named

JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text() | st.binary(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


def _app() -> tuple[App, list[Any]]:
    app = App("fuzz-idem")
    runs: list[Any] = []

    @app.post("/orders")
    @app.idempotent()
    def create(req: Request) -> dict[str, int]:
        runs.append(1)
        return {"order": len(runs)}

    return app, runs


APP, RUNS = _app()
HOST = host_named("local")


@FUZZ
# What can travel in a header at all (no CR, LF or other controls), up to past the limit.
@given(
    key=st.text(
        alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
        min_size=1,
        max_size=1100,
    )
)
def test_any_header_is_an_answer_or_a_400(key: str) -> None:
    headers = [("Idempotency-Key", key)]
    first = HOST.http(APP, "POST", "/orders", headers=headers)
    again = HOST.http(APP, "POST", "/orders", headers=headers)
    assert first.status in (200, 400), first.body
    assert again.status == first.status
    if first.status == 200 and key.strip():
        assert again.json() == first.json()  # the stored answer, not a new run


@FUZZ
@given(value=JSONISH)
def test_any_key_value_hashes_or_is_a_typed_error(value: Any) -> None:
    try:
        hashed = digest("charge", value)
    except IdempotencyKeyInvalid as exc:
        assert exc.status == 400
    else:
        assert len(hashed) == 64
        assert hashed == digest("charge", value)


@FUZZ
@given(record=st.dictionaries(st.sampled_from(["expires", "status", "token", "result"]), JSONISH))
def test_any_stored_record_decodes_or_is_a_typed_error(record: dict[str, Any]) -> None:
    try:
        _fields(record)
        _decode_result(record)
    except IdempotencyRecordInvalid as exc:
        assert exc.status == 500


@FUZZ
@given(body=st.binary(max_size=64))
def test_a_message_key_read_from_any_body_runs_or_is_refused(body: bytes) -> None:
    app = App("fuzz-idem-messages")
    table = app.table("records")
    seen: list[bytes] = []

    from polyfn.core.idempotency import IdempotencyKeyInvalid, IdempotencyKeyMissing, idempotent

    @idempotent(table, key=lambda msg: msg.json()["id"])
    def handle(msg: Message) -> None:
        seen.append(msg.body)

    try:
        handle(Message(id="m", body=body))
    except (IdempotencyKeyMissing, IdempotencyKeyInvalid) as exc:
        assert exc.status == 400
