"""@idempotent's keys and its refusals, on the local table: the default key of each input
kind, a key function that cannot find its part, an oversized or non-JSON key, the
declaration's checks, and the table deploy turns TTL on for.

(tests/resources/test_contract_idempotency.py runs the records on every backend;
tests/behaviour/test_idempotency.py the answers on every runtime.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from polyfn import App, Event, Message, ObjectEvent, Request, Schedule
from polyfn.core.errors import ConfigError
from polyfn.core.idempotency import (
    EXPIRES,
    IdempotencyKeyInvalid,
    IdempotencyKeyMissing,
    idempotent,
    ttl_attribute,
)
from polyfn.core.idempotency_keys import MAX_KEY_BYTES, default_key, digest
from polyfn.hosts import host_named


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLYFN_DATA_DIR", str(tmp_path / "data"))


def test_each_input_kind_has_the_key_its_platform_keeps_across_redeliveries() -> None:
    request = Request("POST", "/", headers={"idempotency-key": "k-1"})
    assert default_key(request) == "k-1"
    assert default_key(Request("POST", "/")) is None
    assert default_key(Message(id="m-1", body=b"x")) == "m-1"
    created = ObjectEvent("created", "uploads", "a.jpg", etag="e1")
    assert default_key(created) == ["uploads", "a.jpg", "e1"]
    assert default_key(Schedule("2026-12-05T07:00:00Z", "nightly")) == [
        "nightly",
        "2026-12-05T07:00:00Z",
    ]
    assert default_key(Event(id="ev-1", source="shop", type="order.paid")) == ["shop", "ev-1"]


def test_keys_are_hashed_within_their_function() -> None:
    assert digest("charge", "k-1") == digest("charge", "k-1")
    assert digest("charge", "k-1") != digest("refund", "k-1")
    # a string and bytes, or a list and its JSON text, are different keys
    assert digest("f", "k") != digest("f", b"k")
    assert digest("f", ["a", 1]) != digest("f", '["a",1]')
    assert digest("f", {"b": 1, "a": 2}) == digest("f", {"a": 2, "b": 1})


def test_an_oversized_or_non_json_key_is_a_typed_400() -> None:
    with pytest.raises(IdempotencyKeyInvalid) as oversized:
        digest("f", "k" * (MAX_KEY_BYTES + 1))
    assert oversized.value.status == 400
    assert len(digest("f", "k" * MAX_KEY_BYTES)) == 64
    with pytest.raises(IdempotencyKeyInvalid, match="JSON"):
        digest("f", object())
    with pytest.raises(IdempotencyKeyInvalid):
        digest("f", float("nan"))


def test_a_key_function_that_cannot_find_its_part_is_a_missing_key() -> None:
    app = App("keys")
    table = app.table("records")
    runs: list[Any] = []

    @idempotent(table, key=lambda msg: msg.json()["order"])
    def handle(msg: Message) -> None:
        runs.append(msg)

    for body in (b"{}", b"not json", b"[1]"):
        with pytest.raises(IdempotencyKeyMissing) as missing:
            handle(Message(id="m", body=body))
        assert missing.value.status == 400
    assert runs == []


def test_a_key_that_is_absent_runs_the_handler_unless_required() -> None:
    app = App("keys")
    table = app.table("records")
    runs: list[str] = []

    @idempotent(table, key=lambda msg: msg.attributes.get("order"))
    def loose(msg: Message) -> None:
        runs.append("loose")

    @idempotent(table, key=lambda msg: msg.attributes.get("order"), required=True)
    def strict(msg: Message) -> None:
        runs.append("strict")

    loose(Message(id="m", body=b""))
    loose(Message(id="m", body=b""))
    with pytest.raises(IdempotencyKeyMissing):
        strict(Message(id="m", body=b""))
    assert runs == ["loose", "loose"]


def test_an_http_key_over_the_limit_is_a_400_not_a_crash() -> None:
    app = App("keys")

    @app.post("/orders")
    @app.idempotent()
    def create(req: Request) -> dict[str, str]:
        return {"ok": "yes"}

    host = host_named("local")
    long = host.http(app, "POST", "/orders", headers=[("Idempotency-Key", "k" * 2000)], body=b"")
    assert long.status == 400
    assert "over 1024 bytes" in long.json()["error"]["message"]
    assert host.http(app, "POST", "/orders", headers=[("Idempotency-Key", "k")]).status == 200


def test_the_declaration_is_checked_when_the_module_loads() -> None:
    app = App("keys")
    other = App("other").table("records")
    with pytest.raises(ConfigError, match="another App"):
        app.idempotent(table=other)
    with pytest.raises(ConfigError, match="expires_after"):
        app.idempotent(expires_after=0)(lambda msg: None)
    with pytest.raises(ConfigError, match="table"):
        idempotent("records")(lambda msg: None)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="key"):
        app.idempotent(key="order")(lambda msg: None)  # type: ignore[arg-type]
    jobs = app.queue("jobs")
    with pytest.raises(ConfigError, match="below the trigger decorator"):

        @app.idempotent()
        @app.on_message(jobs)
        def upside_down(msg: Message) -> None:
            pass


def test_the_decorator_is_part_of_the_public_face() -> None:
    import polyfn

    assert polyfn.idempotent is idempotent
    assert polyfn.IdempotencyInProgress.status_code == 409


def test_the_records_table_is_the_one_deploy_gives_a_ttl() -> None:
    app = App("ttl")
    jobs = app.queue("jobs")
    plain = app.table("users")

    @app.on_message(jobs)
    @app.idempotent()
    def charge(msg: Message) -> None:
        pass

    assert ttl_attribute(app, app.tables["idempotency"]) == EXPIRES
    assert ttl_attribute(app, plain) is None
    # the wrapper keeps the handler's name and arity for the App and for deploy
    assert app.function("charge").handler.__wrapped__.__name__ == "charge"  # type: ignore[attr-defined]
