"""log_event=True logs each input before the handler runs, the same on every runtime,
with credentials redacted and bodies reduced to their size (issue 17, item 1)."""

from __future__ import annotations

import logging

import pytest

from polyfn import App, Message, Request
from polyfn.hosts import Host

SECRET = "Bearer s3cr3t-token"


def _app() -> App:
    app = App("logged")
    jobs = app.queue("jobs")

    @app.post("/orders", log_event=True)
    def place_order(req: Request) -> str:
        return "ok"

    @app.get("/quiet")
    def quiet(req: Request) -> str:
        return "ok"

    @app.on_message(jobs, log_event=True)
    def work(msg: Message) -> None:
        pass

    return app


def test_the_incoming_event_is_logged_with_secrets_redacted(
    driver: Host, caplog: pytest.LogCaptureFixture
) -> None:
    app = _app()
    caplog.set_level(logging.INFO)
    headers = [
        ("authorization", SECRET),
        ("cookie", "session=sess-qwerty"),
        ("x-api-key", "key-999"),
        ("x-trace-note", "visible"),
    ]
    assert (
        driver.http(app, "POST", "/orders", headers=headers, body=b'{"card": "zz4111"}').status
        == 200
    )
    assert driver.http(app, "GET", "/quiet", headers=headers).status == 200
    assert (
        driver.messages(
            app, "jobs", [b"{}"], attributes={"session-token": "tok-7f3a", "origin": "a"}
        )
        == []
    )
    logged = [r for r in caplog.records if r.getMessage() == "event"]
    assert [r.__dict__["event"]["kind"] for r in logged] == ["http", "message"]
    request, message = (r.__dict__["event"] for r in logged)
    assert request["method"] == "POST" and request["path"] == "/orders"
    assert request["headers"]["x-trace-note"] == ["visible"]
    for name in ("authorization", "cookie", "x-api-key"):
        assert request["headers"][name] == ["[redacted]"], name
    assert request["body_bytes"] == 18
    everything = caplog.text + repr([r.__dict__ for r in logged])
    for secret in ("s3cr3t", "sess-qwerty", "key-999", "zz4111", "tok-7f3a"):
        assert secret not in everything
    assert message["attributes"]["origin"] == "a"
    assert message["attributes"]["session-token"] == "[redacted]"
