"""``polyfn events``: every kind of every cloud prints JSON the cloud's inspect path reads."""

from __future__ import annotations

import importlib

import pytest

from polyfn.cli.errors import UsageError
from polyfn.cli.events import CLOUDS, generators
from polyfn.cli.inspect import describe

from .conftest import CliRunner

MISSING = "(generators missing)"


def _kinds() -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for cloud in CLOUDS:
        try:
            found.extend((cloud, kind) for kind in generators(cloud))
        except UsageError:
            found.append((cloud, MISSING))  # fails below, naming the cloud
    return found


KINDS = _kinds()

# The JSON kinds each cloud's `polyfn inspect` must understand. Azure's host invocation
# payloads (http, queue, blob, timer) are read by `polyfn invoke --cloud azure`, not by
# inspect, which reads Event Grid documents only.
NOT_INSPECTABLE = {("azure", "http"), ("azure", "queue"), ("azure", "blob"), ("azure", "timer")}


@pytest.mark.parametrize(("cloud", "kind"), KINDS, ids=[f"{c}-{k}" for c, k in KINDS])
def test_every_kind_prints_json_that_inspect_reads(cli: CliRunner, cloud: str, kind: str) -> None:
    if kind == MISSING:
        pytest.fail(f"polyfn.hosts.events.{cloud} cannot be imported")
    result = cli("events", cloud, kind)
    assert result.code == 0, result.err
    document = result.json()
    inspector = importlib.import_module(f"polyfn.adapters.{cloud}.describe")
    if (cloud, kind) in NOT_INSPECTABLE:
        assert isinstance(document, dict) and "Data" in document and "Metadata" in document
        return
    assert inspector.looks_like(document), f"{cloud} inspect does not recognise {kind}"
    model = describe(document, cloud)
    assert model["cloud"] == cloud
    assert model["trigger"] in {"http", "object", "message", "schedule", "event", "change"}
    # Detection without --cloud lands on the same cloud.
    assert describe(document)["cloud"] == cloud


@pytest.mark.parametrize("cloud", CLOUDS)
def test_without_a_kind_the_kinds_are_listed(cli: CliRunner, cloud: str) -> None:
    result = cli("events", cloud)
    assert result.code == 0
    listed = [line.split()[0] for line in result.out.splitlines()]
    assert listed == list(generators(cloud))
    assert all(len(line.split()) > 2 for line in result.out.splitlines())  # a description


def test_http_options_reach_the_event(cli: CliRunner) -> None:
    result = cli(
        "events", "aws", "apigw-v2",
        "--method", "POST", "--path", "/users/ada lovelace",
        "--query", "tag=a", "--query", "tag=b",
        "--header", "X-Tag: one", "--body", '{"name": "Ada"}',
    )  # fmt: skip
    assert result.code == 0, result.err
    request = describe(result.json(), "aws")["request"]
    assert request["method"] == "POST"
    assert request["path"] == "/users/ada lovelace"
    assert request["query"] == {"tag": ["a", "b"]}
    assert request["headers"]["x-tag"] == ["one"]
    assert request["body"] == '{"name": "Ada"}'


def test_body_file(cli: CliRunner, tmp_path: object) -> None:
    from pathlib import Path

    body = Path(str(tmp_path)) / "body.json"
    body.write_text('{"from": "file"}', encoding="utf-8")
    result = cli("events", "aws", "apigw-v1", "--method", "PUT", "--body-file", str(body))
    assert result.code == 0, result.err
    assert describe(result.json(), "aws")["request"]["body"] == '{"from": "file"}'


def test_several_messages_make_one_batch(cli: CliRunner) -> None:
    result = cli("events", "aws", "sqs", "--queue", "emails", "--message", "a", "--message", "b")
    assert result.code == 0, result.err
    records = result.json()["Records"]
    assert [record["body"] for record in records] == ["a", "b"]
    assert all(record["eventSourceARN"].endswith(":emails") for record in records)


def test_object_options_and_generic_options(cli: CliRunner) -> None:
    result = cli(
        "events", "aws", "s3", "--bucket", "photos", "--key", "in/my photo.jpg",
        "--action", "deleted",
    )  # fmt: skip
    assert result.code == 0, result.err
    [event] = describe(result.json(), "aws")["events"]
    assert (event["action"], event["bucket"], event["key"]) == (
        "deleted",
        "photos",
        "in/my photo.jpg",
    )

    sized = cli("events", "aws", "s3", "--option", "size=42")
    assert sized.json()["Records"][0]["s3"]["object"]["size"] == 42


def test_event_options(cli: CliRunner) -> None:
    result = cli(
        "events", "azure", "eventgrid", "--source", "/shop", "--type", "OrderPlaced",
        "--data", '{"order": 9}',
    )  # fmt: skip
    assert result.code == 0, result.err
    [event] = describe(result.json(), "azure")["events"]
    assert (event["source"], event["type"], event["data"]) == ("/shop", "OrderPlaced", {"order": 9})


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("events", "ibm"), "unknown cloud 'ibm'"),
        (("events", "aws", "kinesis"), "unknown aws event kind 'kinesis'"),
        (("events", "aws", "schedule", "--path", "/x"), "does not take --path"),
        (("events", "aws", "s3", "--option", "colour=red"), "has no option 'colour'"),
        (("events", "aws", "apigw-v2", "--header", "no colon"), "--header expects"),
        (("events", "aws", "apigw-v2", "--query", "novalue"), "--query expects"),
        (("events", "aws", "eventbridge", "--data", "{not json"), "--data must be JSON"),
        (("events", "azure", "queue", "--message", "a", "--message", "b"), "takes one --message"),
        (("events", "aws", "apigw-v2", "--body-file", "/no/such/file"), "cannot read"),
        (("events", "aws", "--path", "/x"), "name a KIND"),
    ],
)
def test_bad_arguments_are_one_line_errors(
    cli: CliRunner, args: tuple[str, ...], message: str
) -> None:
    result = cli(*args)
    assert result.code == 2
    assert result.out == ""
    assert message in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert "Traceback" not in result.err
