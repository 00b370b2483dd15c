"""@idempotent, the same on every runtime: an HTTP request repeated with its
Idempotency-Key gets the first answer back without a second run, a concurrent duplicate
a 409, a reused key with another body a 422, a missing required key a 400; a redelivered
message is not handled twice, and one whose key is still being handled is given back to
the platform for later."""

from __future__ import annotations

import json
import threading
from typing import Any

from polyfn import App, Message, Request, Response
from polyfn.hosts import Host

JSON = ("Content-Type", "application/json")


def build() -> tuple[App, dict[str, Any]]:
    app = App("idem")
    jobs = app.queue("jobs")
    state: dict[str, Any] = {"orders": [], "charges": [], "hold": None}

    @app.post("/orders")
    @app.idempotent()
    def create_order(req: Request) -> Response:
        hold = state["hold"]
        if hold is not None:
            hold[0].set()  # the test now knows this run is in progress
            assert hold[1].wait(30)
        state["orders"].append(req.json())
        answer = Response.json({"order": len(state["orders"])}, 201)
        answer.headers.set("location", f"/orders/{len(state['orders'])}")
        answer.set_cookie("last", str(len(state["orders"])))
        return answer

    @app.post("/payments")
    @app.idempotent(required=True, check_payload=True)
    def pay(req: Request) -> dict[str, Any]:
        return {"paid": req.json()["amount"]}

    @app.on_message(jobs)
    @app.idempotent(key=lambda msg: msg.json()["charge"])
    def charge(msg: Message) -> None:
        state["charges"].append(msg.json()["charge"])

    return app, state


def _post(driver: Host, app: App, path: str, body: Any, key: str | None = None) -> Any:
    headers = [JSON] if key is None else [JSON, ("Idempotency-Key", key)]
    return driver.http(app, "POST", path, headers=headers, body=json.dumps(body).encode())


def test_a_repeated_request_gets_the_first_answer_without_a_second_run(driver: Host) -> None:
    app, state = build()
    first = _post(driver, app, "/orders", {"sku": "a"}, key="k-1")
    again = _post(driver, app, "/orders", {"sku": "a"}, key="k-1")
    assert state["orders"] == [{"sku": "a"}]
    assert (again.status, again.json()) == (first.status, first.json()) == (201, {"order": 1})
    assert again.headers["location"] == first.headers["location"] == "/orders/1"
    assert again.headers.getlist("set-cookie") == first.headers.getlist("set-cookie")
    assert again.headers.get("idempotent-replayed") == "true"
    assert _post(driver, app, "/orders", {"sku": "b"}, key="k-2").json() == {"order": 2}


def test_a_request_without_the_header_runs_every_time_unless_required(driver: Host) -> None:
    app, state = build()
    assert _post(driver, app, "/orders", {"sku": "a"}).status == 201
    assert _post(driver, app, "/orders", {"sku": "a"}).status == 201
    assert len(state["orders"]) == 2
    refused = _post(driver, app, "/payments", {"amount": 5})
    assert refused.status == 400
    assert "Idempotency-Key" in refused.json()["error"]["message"]


def test_a_key_reused_with_another_body_is_a_422(driver: Host) -> None:
    app, _ = build()
    assert _post(driver, app, "/payments", {"amount": 5}, key="p-1").json() == {"paid": 5}
    assert _post(driver, app, "/payments", {"amount": 5}, key="p-1").json() == {"paid": 5}
    reused = _post(driver, app, "/payments", {"amount": 500}, key="p-1")
    assert reused.status == 422
    assert reused.json()["error"]["status"] == 422


def test_a_duplicate_while_the_first_runs_is_a_409_with_retry_after(driver: Host) -> None:
    app, state = build()
    started, release = threading.Event(), threading.Event()
    state["hold"] = (started, release)
    handler = app.function("create_order").handler
    first = threading.Thread(
        target=handler,
        args=(Request("POST", "/orders", headers={"Idempotency-Key": "k-1"}, body=b"{}"),),
    )
    first.start()
    try:
        assert started.wait(30)
        state["hold"] = None
        duplicate = _post(driver, app, "/orders", {}, key="k-1")
    finally:
        release.set()
        first.join(30)
    assert duplicate.status == 409
    assert "still running" in duplicate.json()["error"]["message"]
    assert int(duplicate.headers["retry-after"]) >= 1
    assert state["orders"] == [{}]
    assert _post(driver, app, "/orders", {}, key="k-1").json() == {"order": 1}


def test_a_redelivered_message_is_not_handled_twice(driver: Host) -> None:
    app, state = build()
    body = json.dumps({"charge": "c-1"}).encode()
    assert driver.messages(app, "jobs", [body, json.dumps({"charge": "c-2"}).encode()]) == []
    assert driver.messages(app, "jobs", [body]) == []  # acknowledged, not run again
    assert state["charges"] == ["c-1", "c-2"]


def test_a_message_whose_key_is_being_handled_goes_back_for_later(driver: Host) -> None:
    app, state = build()
    started, hold = threading.Event(), threading.Event()

    def slow_charge(msg: Message) -> None:
        started.set()
        assert hold.wait(30)

    # The same key, held by a run in another process: its record says "in progress".
    busy = app.function("charge").handler.idempotency  # type: ignore[attr-defined]
    runner = threading.Thread(
        target=busy.run,
        args=(slow_charge, False, Message(id="x", body=b'{"charge": "c-1"}'), None),
    )
    runner.start()
    try:
        assert started.wait(30)
        failed = driver.messages(
            app, "jobs", [b'{"charge": "c-1"}', json.dumps({"charge": "c-2"}).encode()]
        )
    finally:
        hold.set()
        runner.join(30)
    assert failed == [0]  # redelivered later, never acknowledged while the first may fail
    assert state["charges"] == ["c-2"]
