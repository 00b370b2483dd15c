"""The change-feed parsers under hypothesis: DynamoDB stream records of any JSON shape
and Firestore ``DocumentEventData`` payloads of any bytes give a ``Change`` or a
``MalformedChange``, nothing else; and a mutated stream batch through the Lambda entry
is refused whole (``UnrecognizedEvent``) or answered with failures that name records
of that batch only, so no record is acknowledged that did not run."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from fuzz.fuzz_app import build
from fuzz.strategies import FUZZ, json_values, mutated
from polyfn.adapters import aws
from polyfn.adapters.aws.stream_records import stream_change
from polyfn.adapters.gcp.firestore_events import document_change, encode_event_data
from polyfn.core.changes import Change, MalformedChange
from polyfn.core.errors import UnrecognizedEvent
from polyfn.hosts.events.changes import dynamodb_stream

_BATCH = dynamodb_stream(
    "items",
    changes=[
        ("insert", {"id": "a", "n": 1, "b": b"\x00", "l": [1.5, None, {"m": True}]}, None),
        ("modify", {"id": "a", "n": 2}, {"id": "a", "n": 1}),
        ("remove", None, {"id": "b"}),
    ],
)
_ATTRIBUTES = {
    "id": "e1",
    "source": "//firestore.googleapis.com/projects/p/databases/(default)",
    "type": "google.cloud.firestore.document.v1.written",
    "subject": "documents/items/a",
}
_PAYLOAD = encode_event_data("items", "a", {"id": "a", "n": 1, "tags": ["x"]}, {"id": "a"})


@FUZZ
@given(mutated(_BATCH["Records"][0]))
def test_a_mutated_stream_record_is_a_change_or_malformed(record: Any) -> None:
    try:
        change = stream_change(record)
    except MalformedChange:
        return
    assert isinstance(change, Change) and change.kind in ("insert", "modify", "remove")


@FUZZ
@given(json_values)
def test_any_json_value_as_a_stream_record_is_a_change_or_malformed(record: Any) -> None:
    try:
        stream_change(record)
    except MalformedChange:
        pass


@FUZZ
@given(mutated(_BATCH))
def test_a_mutated_stream_batch_is_refused_whole_or_answered_for_its_own_records(
    event: Any,
) -> None:
    handler = aws.lambda_handler(build(), backends="keep", function="on_change")
    try:
        answer = handler(event)
    except UnrecognizedEvent:
        return  # nothing ran, nothing acknowledged: Lambda retries the batch
    records = event["Records"]
    sequences = {r["dynamodb"]["SequenceNumber"] for r in records}
    assert isinstance(answer["batchItemFailures"], list)
    for failure in answer["batchItemFailures"]:
        assert failure["itemIdentifier"] in sequences


@FUZZ
@given(
    st.one_of(
        st.binary(max_size=200),
        # The real payload with bytes flipped, cut short or extended.
        st.builds(
            lambda cut, noise: _PAYLOAD[:cut] + noise,
            st.integers(min_value=0, max_value=len(_PAYLOAD)),
            st.binary(max_size=20),
        ),
    )
)
def test_any_bytes_as_a_firestore_payload_are_a_change_or_malformed(data: bytes) -> None:
    try:
        change = document_change(_ATTRIBUTES, data)
    except MalformedChange:
        return
    assert change.kind in ("insert", "modify", "remove")
    assert change.new is not None or change.old is not None


def test_the_unmutated_inputs_are_changes() -> None:
    assert [stream_change(r).kind for r in _BATCH["Records"]] == ["insert", "modify", "remove"]
    change = document_change(_ATTRIBUTES, _PAYLOAD)
    assert (change.kind, change.table, change.new) == (
        "modify",
        "items",
        {"id": "a", "n": 1, "tags": ["x"]},
    )
