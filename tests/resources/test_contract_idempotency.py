"""@idempotent's records on every table backend (local SQLite, DynamoDB on moto, Table
Storage on Azurite, Firestore on gcloud's emulator): a repeat is not run again, two
concurrent invocations of one key run the handler once, a failure frees the key, an
expired record is replaced, a damaged one refuses rather than runs twice."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from resource_harness import Harness

from polyfn.core import idempotency
from polyfn.core.events import Message
from polyfn.core.http import Request, Response
from polyfn.core.idempotency import (
    IdempotencyInProgress,
    IdempotencyKeyReused,
    IdempotencyRecordInvalid,
    idempotent,
)

pytestmark = [
    pytest.mark.emulator,
    pytest.mark.parametrize("harness", ["local", "aws", "azure", "gcp"], indirect=True),
]


def _message(id: str, body: str = '{"order": 1}') -> Message:
    return Message(id=id, body=body.encode(), queue="orders")


def test_a_repeated_message_is_not_handled_again(harness: Harness) -> None:
    table = harness.table()
    runs: list[str] = []

    @idempotent(table)
    def charge(msg: Message) -> dict[str, Any]:
        runs.append(msg.id)
        return {"charged": len(runs)}

    assert charge(_message("m-1")) == {"charged": 1}
    assert charge(_message("m-1")) == {"charged": 1}  # the stored result, not a new run
    assert charge(_message("m-2")) == {"charged": 2}
    assert runs == ["m-1", "m-2"]


def test_two_concurrent_invocations_of_one_key_run_the_handler_once(harness: Harness) -> None:
    table = harness.table()
    both_called = threading.Barrier(2, timeout=30)
    release = threading.Event()
    runs: list[int] = []
    outcomes: list[str] = []

    @idempotent(table, in_progress_expires_after=60)
    def charge(msg: Message) -> str:
        runs.append(1)
        assert release.wait(30), "the other invocation never finished"
        return "done"

    def invoke() -> None:
        both_called.wait()
        try:
            outcomes.append(charge(_message("same")))
        except IdempotencyInProgress as exc:
            outcomes.append(f"in progress {exc.status}")
            release.set()  # the loser has answered; let the winner finish

    threads = [threading.Thread(target=invoke) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes) == ["done", "in progress 409"]
    assert runs == [1]
    assert charge(_message("same")) == "done"  # completed: a third delivery is a repeat


def test_a_failure_frees_the_key_for_the_retry(harness: Harness) -> None:
    table = harness.table()
    attempts: list[int] = []

    @idempotent(table)
    def flaky(msg: Message) -> int:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("the payment service is down")
        return len(attempts)

    with pytest.raises(RuntimeError):
        flaky(_message("m-1"))
    assert flaky(_message("m-1")) == 2
    assert flaky(_message("m-1")) == 2
    assert len(attempts) == 2


def test_an_expired_record_is_replaced(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    table = harness.table()
    runs: list[int] = []

    @idempotent(table, expires_after=60)
    def tick(msg: Message) -> int:
        runs.append(1)
        return len(runs)

    assert tick(_message("m-1")) == 1
    assert tick(_message("m-1")) == 1
    now = idempotency.clock()
    monkeypatch.setattr(idempotency, "clock", lambda: now + 61)
    assert tick(_message("m-1")) == 2
    assert tick(_message("m-1")) == 2


def test_a_run_that_died_holds_its_key_only_until_its_lease_ends(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = harness.table()
    runs: list[int] = []

    @idempotent(table, in_progress_expires_after=30)
    def job(msg: Message) -> int:
        runs.append(1)
        if len(runs) == 1:
            # The process is killed mid-run: no failure handling, the record stays.
            with pytest.raises(IdempotencyInProgress):
                job(msg)
            now = idempotency.clock()
            monkeypatch.setattr(idempotency, "clock", lambda: now + 31)
            assert job(msg) == 2  # the lease is over: the key is free again
            raise SystemExit  # the first run never gets to write its result
        return len(runs)

    with pytest.raises(SystemExit):
        job(_message("m-1"))
    assert job(_message("m-1")) == 2
    assert runs == [1, 1]


def test_a_key_reused_with_another_payload_is_refused(harness: Harness) -> None:
    table = harness.table()

    @idempotent(table, check_payload=True)
    def charge(msg: Message) -> str:
        return msg.text

    assert charge(_message("m-1", '{"amount": 5}')) == '{"amount": 5}'
    assert charge(_message("m-1", '{"amount": 5}')) == '{"amount": 5}'
    with pytest.raises(IdempotencyKeyReused) as refused:
        charge(_message("m-1", '{"amount": 500}'))
    assert refused.value.status == 422


def test_a_damaged_record_refuses_rather_than_runs_twice(harness: Harness) -> None:
    table = harness.table()
    runs: list[int] = []

    @idempotent(table)
    def charge(msg: Message) -> None:
        runs.append(1)

    charge(_message("m-1"))
    (record,) = [item for item in table.scan() if item["id"].startswith("idempotency-")]
    table.put({**record, "result": "{not json"})
    with pytest.raises(IdempotencyRecordInvalid):
        charge(_message("m-1"))
    table.put({**record, "expires": "soon"})
    with pytest.raises(IdempotencyRecordInvalid):
        charge(_message("m-1"))
    assert runs == [1]


def test_an_http_repeat_gets_the_same_answer(harness: Harness) -> None:
    table = harness.table(key="pk", sort="sk")  # single-table design: records share it
    runs: list[int] = []

    @idempotent(table)
    def create(req: Request) -> Response:
        runs.append(1)
        answer = Response.binary(b"\x00order-1\xff", "application/x-order", 201)
        answer.headers.add("set-cookie", "a=1")
        answer.headers.add("set-cookie", "b=2")
        return answer

    def request() -> Request:
        return Request("POST", "/orders", headers={"Idempotency-Key": "k-1"}, body=b"{}")

    first = create(request())
    again = create(request())
    assert runs == [1]
    assert (again.status, again.body, again.content_type) == (
        201,
        b"\x00order-1\xff",
        "application/x-order",
    )
    assert again.cookies == first.cookies == ["a=1", "b=2"]
    assert again.headers.get("idempotent-replayed") == "true"
