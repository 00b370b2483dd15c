"""A table's changes on AWS: real DynamoDB stream records, written through polyfn's
DynamoDB backend on moto's server and read from moto's DynamoDB Streams API, handed to
the Lambda entry as the event source mapping does, in this process and through Lambda's
own runtime client (awslambdaric, the bundle ``polyfn deploy build`` writes)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dynamodb_streams import stream_event

from polyfn import App, Change
from polyfn.adapters.aws import lambda_handler
from polyfn.adapters.aws.backends import AwsBackends
from polyfn.core.errors import UnrecognizedEvent
from polyfn.testing.emulators import AwsEmulator
from polyfn.testing.lambda_runtime_api import LambdaProcess, LambdaRuntimeApi, build_task_root

RUNTIME_APP = Path(__file__).resolve().parents[1] / "adapters/aws/runtime_client/runtime_app.py"


def _feed_app(physical: str, monkeypatch: pytest.MonkeyPatch) -> tuple[App, Any, list[Change]]:
    monkeypatch.setenv("POLYFN_TABLE_NOTES", physical)
    app = App("feeds")
    notes = app.table("notes", key="id")
    seen: list[Change] = []

    @app.on_change(notes)
    def note_changed(change: Change) -> None:
        if change.new is not None and change.new.get("poison"):
            raise ValueError("poisoned note")
        seen.append(change)

    app.bind(AwsBackends())
    AwsBackends().ensure_table(notes)
    return app, notes, seen


@pytest.fixture
def feed(aws_env: AwsEmulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    yield aws_env
    aws_env.reset()


def test_real_stream_records_become_inserts_modifies_and_removes(
    feed: AwsEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, notes, seen = _feed_app("notes-real", monkeypatch)
    notes.put({"id": "n1", "text": "first", "n": 1, "blob": b"\x00\xff", "ratio": 0.5})
    notes.update("n1", {"text": "second"})
    notes.put({"id": "n2", "tags": ["a", "b"], "meta": {"deep": None, "ok": True}})
    notes.delete("n1")
    event = stream_event("notes-real", endpoint=feed.url, region=feed.region)
    assert [r["eventName"] for r in event["Records"]] == ["INSERT", "MODIFY", "INSERT", "REMOVE"]
    answer = lambda_handler(app, backends="keep", function="")(event)
    assert answer == {"batchItemFailures": []}
    assert [(c.kind, c.keys) for c in seen] == [
        ("insert", {"id": "n1"}),
        ("modify", {"id": "n1"}),
        ("insert", {"id": "n2"}),
        ("remove", {"id": "n1"}),
    ]
    first, modified, second, removed = seen
    # The images are the items as table.get returns them: bytes, floats, lists, maps.
    assert first.new == {"id": "n1", "text": "first", "n": 1, "blob": b"\x00\xff", "ratio": 0.5}
    assert first.old is None
    assert modified.old == first.new and modified.new == {**first.new, "text": "second"}
    assert second.new == notes.get("n2")
    assert removed.new is None and removed.old == modified.new
    assert {c.table for c in seen} == {"notes"}
    assert [c.id for c in seen] == [r["dynamodb"]["SequenceNumber"] for r in event["Records"]]


def test_a_failing_record_is_reported_by_its_sequence_number(
    feed: AwsEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, notes, seen = _feed_app("notes-partial", monkeypatch)
    notes.put({"id": "a"})
    notes.put({"id": "b", "poison": True})
    notes.put({"id": "c"})
    event = stream_event("notes-partial", endpoint=feed.url, region=feed.region)
    answer = lambda_handler(app, backends="keep", function="")(event)
    sequence = [r["dynamodb"]["SequenceNumber"] for r in event["Records"]]
    # Lambda resumes the shard at the lowest sequence number reported: the poisoned
    # record and the one after it come again; the first is acknowledged.
    assert answer == {"batchItemFailures": [{"itemIdentifier": s} for s in sequence[1:]]}
    assert [c.keys["id"] for c in seen] == ["a"]


def test_a_malformed_record_fails_the_whole_batch(
    feed: AwsEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, notes, seen = _feed_app("notes-malformed", monkeypatch)
    notes.put({"id": "a"})
    notes.put({"id": "b"})
    event = stream_event("notes-malformed", endpoint=feed.url, region=feed.region)
    event["Records"][1]["dynamodb"]["NewImage"]["id"] = {"S": 7}
    with pytest.raises(UnrecognizedEvent, match="malformed DynamoDB stream record"):
        lambda_handler(app, backends="keep", function="")(event)
    # Nothing ran, so nothing is acknowledged: Lambda retries (and bisects) the batch.
    assert seen == []


def test_stream_records_through_the_runtime_client(
    feed: AwsEmulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _, notes, _ = _feed_app("notes-ric", monkeypatch)
    notes.put({"id": "r1", "text": "hello"})
    notes.put({"id": "r2", "fail": True})
    event = stream_event("notes-ric", endpoint=feed.url, region=feed.region)
    task_root = build_task_root(str(RUNTIME_APP), tmp_path)
    environ = {"POLYFN_TABLE_NOTES": "notes-ric"}
    with (
        LambdaRuntimeApi("ric-changes") as api,
        LambdaProcess(api, task_root, environ=environ) as process,
    ):
        answer = process.invoke(event)
        assert answer.kind == "response", answer.body
        failed = answer.json()["batchItemFailures"]
        lines = process.wait_for_lines(
            lambda lines: any('"kind": "change"' in line for line in lines)
        )
    assert failed == [{"itemIdentifier": event["Records"][1]["dynamodb"]["SequenceNumber"]}]
    seen = [json.loads(line.partition("SEEN ")[2]) for line in lines if "SEEN " in line]
    changes = [doc for doc in seen if doc["kind"] == "change"]
    assert changes == [
        {"kind": "change", "change": "insert", "keys": {"id": "r1"}, "table": "notes"}
    ]
