"""JSON log lines with the invocation's fields: Cloud Logging's special fields, extras
that JSON cannot hold written as their repr, exceptions as fields (issue 17, item 1)."""

from __future__ import annotations

import json
import logging

import pytest

from polyfn.adapters.common.log_json import JsonLineFormatter, TextFormatter
from polyfn.core.context import Context, _reset_current, _set_current, install_log_fields

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def _record(caplog: pytest.LogCaptureFixture, **extra: object) -> logging.LogRecord:
    install_log_fields()
    ctx = Context("gcp", "checkout", "req-9", cold_start=True)
    ctx._carrier = {"traceparent": TRACEPARENT, "x-correlation-id": "c-9"}
    token = _set_current(ctx)
    try:
        with caplog.at_level(logging.INFO):
            try:
                raise ValueError("no stock")
            except ValueError:
                logging.getLogger("shop").exception("order failed", extra=extra)
    finally:
        _reset_current(token)
    return caplog.records[-1]


class Opaque:
    def __repr__(self) -> str:
        return "<Opaque thing>"


def test_a_record_made_in_an_invocation_carries_its_fields(
    caplog: pytest.LogCaptureFixture,
) -> None:
    document = json.loads(JsonLineFormatter().format(_record(caplog, order=7)))
    assert {k: document[k] for k in ("level", "message", "logger", "order")} == {
        "level": "ERROR", "message": "order failed", "logger": "shop", "order": 7,
    }  # fmt: skip
    assert document["function"] == "checkout"
    assert document["requestId"] == "req-9"
    assert document["correlationId"] == "c-9"
    assert document["traceId"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert document["coldStart"] is True
    assert document["exception"]["type"] == "ValueError"
    assert document["exception"]["message"] == "no stock"
    assert "raise ValueError" in "".join(document["exception"]["stackTrace"])
    assert "severity" not in document


def test_cloud_logging_fields(caplog: pytest.LogCaptureFixture) -> None:
    formatter = JsonLineFormatter(cloud_logging=True, google_project="shop-prod")
    document = json.loads(formatter.format(_record(caplog)))
    assert document["severity"] == "ERROR"
    assert document["logging.googleapis.com/trace"] == (
        "projects/shop-prod/traces/4bf92f3577b34da6a3ce929d0e0e4736"
    )
    assert document["logging.googleapis.com/spanId"] == document["spanId"]
    assert document["logging.googleapis.com/labels"]["function"] == "checkout"


def test_extras_json_cannot_hold_are_written_as_their_repr(
    caplog: pytest.LogCaptureFixture,
) -> None:
    document = json.loads(JsonLineFormatter().format(_record(caplog, thing=Opaque(), raw=b"\xff")))
    assert document["thing"] == "<Opaque thing>"
    assert document["raw"] == "b'\\xff'"


def test_a_record_outside_an_invocation_is_left_alone(caplog: pytest.LogCaptureFixture) -> None:
    install_log_fields()
    with caplog.at_level(logging.INFO):
        logging.getLogger("shop").info("starting")
    document = json.loads(JsonLineFormatter().format(caplog.records[-1]))
    assert "traceId" not in document and document["message"] == "starting"


def test_the_text_form_is_one_readable_line(caplog: pytest.LogCaptureFixture) -> None:
    line = TextFormatter().format(_record(caplog)).splitlines()[0]
    assert "ERROR" in line and "checkout: order failed" in line and "correlation c-9" in line
