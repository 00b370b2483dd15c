"""``polyfn events``, ``inspect`` and ``invoke`` for table changes (issue 18, item 4):
DynamoDB stream records and Firestore document events are generated, recognised and
run; locally the change log's worker runs them; Azure, with no change feed, says so."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import CliRunner

FEEDS_APP = str(Path(__file__).with_name("feeds_app.py"))
FEED_CLOUDS = ("aws", "gcp", "local")


@pytest.mark.parametrize(
    ("cloud", "kind"), [("aws", "dynamodb-stream"), ("gcp", "firestore-document")]
)
def test_generated_change_events_are_inspected_as_changes(
    cli: CliRunner, tmp_path: Path, cloud: str, kind: str
) -> None:
    result = cli(
        "events",
        cloud,
        kind,
        "--table",
        "orders",
        "--change",
        "modify",
        "--key",
        "o1",
        "--data",
        '{"total": 5}',
    )
    assert result.code == 0, result.err
    path = tmp_path / "event.json"
    path.write_text(result.out)
    inspected = cli("inspect", str(path))
    assert inspected.code == 0, inspected.err
    model = inspected.json()
    assert (model["cloud"], model["trigger"]) == (cloud, "change")
    (change,) = model["changes"]
    assert (change["kind"], change["table"]) == ("modify", "orders")
    assert change["new"] == {"id": "o1", "total": 5}
    assert change["old"] == {"id": "o1", "note": "before"}


@pytest.mark.parametrize("cloud", FEED_CLOUDS)
def test_invoke_runs_a_change_and_a_failing_one_exits_1(cli: CliRunner, cloud: str) -> None:
    ok = cli(
        "invoke",
        FEEDS_APP,
        "order_changed",
        "--cloud",
        cloud,
        "--key",
        "o7",
        "--change",
        "insert",
        "--data",
        '{"total": 3}',
    )
    assert ok.code == 0, ok.err
    printed = [line for line in ok.out.splitlines() if line.startswith("CHANGE ")]
    assert [json.loads(line.removeprefix("CHANGE ")) for line in printed] == [
        {"kind": "insert", "keys": {"order": "o7"}, "new": {"order": "o7", "total": 3}, "old": None}
    ]
    failing = cli(
        "invoke", FEEDS_APP, "order_changed", "--cloud", cloud, "--data", '{"fail": true}'
    )
    assert failing.code == 1, failing.out + failing.err
    assert "failed on purpose" in failing.err
    assert "Traceback" not in failing.err
    if cloud == "aws":
        answer = json.loads(failing.out[failing.out.index("{") :])
        assert len(answer["batchItemFailures"]) == 1


def test_azure_has_no_change_event(cli: CliRunner) -> None:
    result = cli("invoke", FEEDS_APP, "order_changed", "--cloud", "azure")
    assert result.code != 0
    assert "azure has no event for order_changed" in result.err


@pytest.mark.parametrize("runtime", FEED_CLOUDS)
def test_the_test_client_delivers_changes(runtime: str) -> None:
    from polyfn.hosts import host_named
    from polyfn.loading import load_app
    from polyfn.testing.client import Client

    app = load_app(FEEDS_APP)
    client = Client(app, host_named(runtime))
    assert client.changes("orders", ("insert", {"order": "o1"}, None)) == []
    assert client.changes("orders", ("modify", {"order": "o1", "fail": True}, {"order": "o1"})) == [
        0
    ]
    with pytest.raises(ValueError, match="declares no table"):
        client.changes("nope", ("insert", {"order": "o1"}, None))
