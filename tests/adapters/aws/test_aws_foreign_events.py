"""How documented AWS events polyfn does not serve (or serves differently) are read:
``polyfn inspect`` with and without ``--cloud``, and ``lambda_handler`` (issue 13, item 12)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest
from adapters.aws import foreign_events as foreign

from polyfn import App, Request, Response, Schedule
from polyfn.adapters import aws
from polyfn.cli import inspect as inspect_command
from polyfn.cli.inspect import describe as inspect
from polyfn.core.errors import UnrecognizedEvent


def test_a_token_authorizer_input_is_refused_as_an_authorizer() -> None:
    # polyfn deploys REQUEST authorizers; a TOKEN input names no request to read.
    event = foreign.TOKEN_AUTHORIZER
    for cloud in (None, "aws"):
        with pytest.raises(UnrecognizedEvent, match="authorizer input"):
            inspect(event, cloud)
    app = App("a")

    @app.get("/request")
    def request(req: Request) -> Response:
        return Response.text("served")

    with pytest.raises(UnrecognizedEvent, match="authorizer input"):
        aws.lambda_handler(app, backends="keep")(event)


@pytest.mark.parametrize(
    "event",
    [foreign.REST_REQUEST_AUTHORIZER, foreign.HTTP_API_REQUEST_AUTHORIZER],
    ids=["rest-request", "http-api-request"],
)
def test_request_authorizer_inputs_are_inspected_as_authorizer_calls(
    event: dict[str, Any],
) -> None:
    model = inspect(event, "aws")
    assert model["trigger"] == "authorizer"
    assert model["request"]["path"] == "/request"
    assert model["request"]["client_ip"] == "203.0.113.7"


@pytest.mark.parametrize(
    "event",
    [foreign.REST_REQUEST_AUTHORIZER, foreign.HTTP_API_REQUEST_AUTHORIZER],
    ids=["rest-request", "http-api-request"],
)
def test_an_app_without_authorizers_refuses_an_authorizer_call(event: dict[str, Any]) -> None:
    # The route's function is never run on an authorizer's input.
    app = App("a")
    served: list[Request] = []

    @app.get("/request")
    def request(req: Request) -> Response:
        served.append(req)
        return Response.text("served")

    with pytest.raises(UnrecognizedEvent, match="0 authorizers"):
        aws.lambda_handler(app, backends="keep")(event)
    assert served == []


def test_the_documented_dynamodb_stream_event_is_a_change() -> None:
    model = inspect(foreign.DYNAMODB_STREAM)
    assert model["trigger"] == "change"
    (change,) = model["changes"]
    assert change["kind"] == "insert"
    assert change["table"] == "Example"
    assert change["keys"] == {"Id": 101}
    assert change["new"] == {"Message": "New item!", "Id": 101}
    assert change["old"] is None
    assert change["id"] == "111"


def test_vpc_lattice_is_not_read_as_a_google_request_document() -> None:
    with pytest.raises(UnrecognizedEvent, match="VPC Lattice"):
        inspect(foreign.VPC_LATTICE_V2)
    with pytest.raises(UnrecognizedEvent):
        inspect(foreign.VPC_LATTICE_V2, "gcp")


def test_eventbridge_scheduler_payload_is_a_schedule() -> None:
    model = inspect(foreign.EVENTBRIDGE_SCHEDULER)
    assert model["trigger"] == "schedule"
    assert model["schedule"]["name"] == "nightly"
    app = App("s")
    ticks: list[Schedule] = []

    @app.schedule("rate(1 day)")
    def nightly(tick: Schedule) -> None:
        ticks.append(tick)

    aws.lambda_handler(app, backends="keep")(dict(foreign.EVENTBRIDGE_SCHEDULER))
    assert [tick.name for tick in ticks] == ["nightly"]


@pytest.mark.parametrize(
    ("event", "source"),
    [
        (foreign.KINESIS_STREAM, "aws:kinesis"),
        (foreign.SES_RECEIPT, "aws:ses"),
    ],
)
def test_unsupported_records_keep_their_reason_with_auto_detection(
    event: dict[str, Any], source: str
) -> None:
    with pytest.raises(UnrecognizedEvent, match=f"records from '{source}' are not handled"):
        inspect(event)


def test_websocket_event_is_refused_without_attribute_error_text() -> None:
    for cloud in (None, "aws"):
        with pytest.raises(UnrecognizedEvent) as raised:
            inspect(foreign.WEBSOCKET_CONNECT, cloud)
        assert "WebSocket" in str(raised.value)
        assert "AttributeError" not in str(raised.value)


def test_inspect_reads_a_file_that_starts_with_a_byte_order_mark(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Windows editors and PowerShell's Out-File write UTF-8 with a BOM.
    path = tmp_path / "event.json"
    path.write_text(json.dumps(foreign.EVENTBRIDGE_SCHEDULER), encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert inspect_command.run(argparse.Namespace(event=str(path), cloud=None)) == 0
    assert json.loads(capsys.readouterr().out)["trigger"] == "schedule"
