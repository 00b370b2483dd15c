"""S3, SQS, SNS and EventBridge through lambda_handler: the AWS specifics."""

from __future__ import annotations

import base64
import json

import pytest
from aws_native import invoke
from behaviour.behaviour_app import build

from polyfn import App, Event, Message, ObjectEvent, Schedule
from polyfn.core.errors import UnrecognizedEvent
from polyfn.hosts.events import aws as events

# What the shared app's handlers recorded when none of them ran.
NOTHING_SEEN = {"calls": [], "objects": [], "audits": [], "messages": [], "ticks": [], "events": []}

# ----------------------------------------------------------------------------- S3 keys


def test_s3_key_encodings_as_s3_writes_them() -> None:
    # The generator the hosts send encodes keys as S3 does (so the behaviour suite's key
    # cases reach the adapter encoded), and the adapter decodes each form S3 writes.
    sent = events.s3("created", "files", "in/caf\u00e9 %41&=?.txt")
    assert sent["Records"][0]["s3"]["object"]["key"] == "in/caf%C3%A9+%2541%26%3D%3F.txt"
    app, seen = build()
    event = events.s3("created", "files", "x")
    for encoded in ("a+b.jpg", "a%2Bb.jpg", "a%20b+c%2Fd"):
        event["Records"][0]["s3"]["object"]["key"] = encoded
        invoke(app, event)
    assert [key for key, _ in seen["audits"]] == ["a b.jpg", "a+b.jpg", "a b c/d"]


def test_s3_record_fields() -> None:
    # The shared app records a few fields of each object event; this one keeps it whole.
    app = App("s3-record-fields")
    uploads = app.bucket("uploads")
    received_events: list[ObjectEvent] = []

    @app.on_object_created(uploads)
    def created(event: ObjectEvent) -> None:
        received_events.append(event)

    event = events.s3("created", "uploads", "k.txt", size=5, etag="abc123")
    invoke(app, event)
    received = received_events[0]
    record = event["Records"][0]
    assert received.etag == "abc123"
    assert received.time == record["eventTime"]
    assert received.id == record["s3"]["object"]["sequencer"]
    assert received.raw is record


def test_s3_delete_has_no_size() -> None:
    # The shared app records no size or etag of a deletion; this one keeps the event whole.
    app = App("s3-delete-fields")
    uploads = app.bucket("uploads")
    received_events: list[ObjectEvent] = []

    @app.on_object_deleted(uploads)
    def deleted(event: ObjectEvent) -> None:
        received_events.append(event)

    invoke(app, events.s3("deleted", "uploads", "gone.txt"))
    (received,) = received_events
    assert (received.action, received.key, received.size, received.etag) == (
        "deleted",
        "gone.txt",
        None,
        None,
    )


def test_s3_bucket_physical_name_maps_to_the_logical_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLYFN_BUCKET_FILES", "shop-prod-files-1a2b")
    app, seen = build()
    invoke(app, events.s3("created", "shop-prod-files-1a2b", "in/k.jpg", size=5))
    assert seen["objects"] == [("created", "files", "in/k.jpg", 5)]


def test_s3_handler_failure_propagates_so_lambda_retries() -> None:
    app, _ = build()
    with pytest.raises(ValueError, match="cannot decode image"):
        invoke(app, events.s3("created", "files", "in/broken.jpg"))


def test_s3_event_types_polyfn_does_not_model_are_refused() -> None:
    app, seen = build()
    event = events.s3("created", "files", "in/k.jpg")
    event["Records"][0]["eventName"] = "ObjectRestore:Completed"
    with pytest.raises(UnrecognizedEvent, match="ObjectRestore:Completed"):
        invoke(app, event)
    assert seen["objects"] == [] and seen["audits"] == []


def test_lifecycle_expiration_is_a_deletion() -> None:
    app, seen = build()
    event = events.s3("deleted", "files", "old.log")
    event["Records"][0]["eventName"] = "LifecycleExpiration:Delete"
    invoke(app, event)
    assert seen["objects"] == [("deleted", "files", "old.log")]


def test_s3_test_event_is_skipped_everywhere() -> None:
    app, seen = build()
    test_event = events.s3_test_event("files")
    assert invoke(app, test_event) is None
    via_sqs = events.sqs("files-events", [json.dumps(test_event)])
    assert invoke(app, via_sqs) == {"batchItemFailures": []}
    via_sns = events.sns("files-events", json.dumps(test_event))
    assert invoke(app, via_sns) is None
    assert seen == NOTHING_SEEN


@pytest.mark.parametrize("via", ["sns", "sqs", "sqs+sns", "eventbridge"])
def test_s3_notifications_through_other_services(via: str) -> None:
    app, seen = build()
    key = "in/my photo+1.jpg"
    if via == "sns":
        event = events.s3_via_sns("created", "files", key, size=3)
    elif via == "eventbridge":
        event = events.s3_via_eventbridge("created", "files", key, size=3)
    else:
        event = events.s3_via_sqs("created", "files", key, size=3, via_sns=via == "sqs+sns")
    answer = invoke(app, event)
    assert answer == ({"batchItemFailures": []} if via.startswith("sqs") else None)
    assert seen["objects"] == [("created", "files", key, 3)]
    assert seen["audits"] == [(key, 3)]
    assert seen["events"] == []


def test_s3_deleted_through_eventbridge() -> None:
    app, seen = build()
    invoke(app, events.s3_via_eventbridge("deleted", "files", "a b.txt"))
    assert seen["objects"] == [("deleted", "files", "a b.txt")]


def test_s3_via_sqs_partial_failure_reports_only_that_message() -> None:
    app, seen = build()
    bodies = [
        json.dumps(events.s3("created", "files", key))
        for key in ("in/1.jpg", "in/broken.jpg", "in/3.jpg")
    ]
    event = events.sqs("files-events", bodies)
    answer = invoke(app, event)
    failed_id = event["Records"][1]["messageId"]
    assert answer == {"batchItemFailures": [{"itemIdentifier": failed_id}]}
    assert [o[2] for o in seen["objects"]] == ["in/1.jpg", "in/3.jpg"]


def test_queue_without_consumer_fails_plain_messages_instead_of_losing_them() -> None:
    app, seen = build()
    event = events.sqs("not-a-declared-queue", ['{"n": 1}', json.dumps(events.s3_test_event())])
    answer = invoke(app, event)
    assert answer == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}
    assert seen["messages"] == []


def test_queue_with_a_consumer_gets_s3_shaped_bodies_as_messages() -> None:
    # The shared app's consumer needs an "n" in each body and records no text: this one
    # takes any JSON body and keeps the message whole.
    app = App("s3-shaped-messages")
    uploads = app.bucket("uploads")
    jobs = app.queue("jobs")
    objects: list[ObjectEvent] = []
    messages: list[Message] = []

    @app.on_object_created(uploads)
    def created(event: ObjectEvent) -> None:
        objects.append(event)

    @app.on_message(jobs)
    def work(message: Message) -> None:
        if message.json().get("fail"):
            raise ValueError("this job fails")
        messages.append(message)

    body = json.dumps(events.s3("created", "uploads", "k.jpg")) + " "
    answer = invoke(app, events.sqs("jobs", [body]))
    # The consumer parses the body and finds no "fail": it ran, as a message.
    assert answer == {"batchItemFailures": []}
    assert [m.text for m in messages] == [body]
    assert objects == []


# ----------------------------------------------------------------------------- SQS


def test_message_fields_attributes_and_receive_count() -> None:
    # The shared app records a message's payload, attributes and queue; this one keeps the
    # whole message, for its id, receive count and native record.
    app = App("sqs-message-fields")
    jobs = app.queue("jobs")
    received_messages: list[Message] = []

    @app.on_message(jobs)
    def work(message: Message) -> None:
        received_messages.append(message)

    event = events.sqs("jobs", ['{"n": 1}'], attributes={"origin": "test"}, receive_count=3)
    record = event["Records"][0]
    record["messageAttributes"]["count"] = {"stringValue": "42", "dataType": "Number"}
    record["messageAttributes"]["blob"] = {
        "binaryValue": base64.b64encode(b"\x00\x01").decode(),
        "dataType": "Binary",
    }
    invoke(app, event)
    (message,) = received_messages
    assert message.id == record["messageId"]
    assert message.queue == "jobs"
    assert message.receive_count == 3
    assert dict(message.attributes) == {"origin": "test", "count": "42", "blob": "AAE="}
    assert message.raw is record


def test_queue_physical_name_maps_to_the_consumer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLYFN_QUEUE_JOBS", "shop-prod-jobs-9z")
    app, seen = build()
    answer = invoke(app, events.sqs("shop-prod-jobs-9z", ['{"n": 1}']))
    assert answer == {"batchItemFailures": []}
    assert seen["messages"] == [(1, {}, "jobs", "aws")]


def test_fifo_stops_at_the_first_failure_and_reports_the_rest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The queue's AWS name carries the .fifo suffix a logical name cannot.
    monkeypatch.setenv("POLYFN_QUEUE_ORDERS", "orders.fifo")
    app = App("fifo")
    orders = app.queue("orders")
    ran: list[int] = []

    @app.on_message(orders)
    def work(message: Message) -> None:
        n = message.json()["n"]
        ran.append(n)
        if n == 3:
            raise ValueError("fails")

    event = events.sqs("orders.fifo", [json.dumps({"n": n}) for n in range(6)])
    answer = invoke(app, event)
    ids = [record["messageId"] for record in event["Records"]]
    assert answer == {"batchItemFailures": [{"itemIdentifier": i} for i in ids[3:]]}
    assert ran == [0, 1, 2, 3]


# ----------------------------------------------------------------------------- SNS


def test_sns_is_an_event() -> None:
    # An SNS notification is an event of type aws.sns, which no portable app subscribes to.
    app = App("sns-notifications")
    received_events: list[Event] = []

    @app.on_event(type="aws.sns")
    def notifications(event: Event) -> None:
        received_events.append(event)

    event = events.sns("orders", '{"order": 7}', subject="New order")
    invoke(app, event)
    (received,) = received_events
    sns = event["Records"][0]["Sns"]
    assert received.id == sns["MessageId"]
    assert received.source == sns["TopicArn"]
    assert received.type == "aws.sns"
    assert received.subject == "New order"
    assert received.time == sns["Timestamp"]
    assert received.data == {"order": 7}


def test_sns_text_message_stays_text() -> None:
    app = App("sns-text-notifications")
    received_events: list[Event] = []

    @app.on_event(type="aws.sns")
    def notifications(event: Event) -> None:
        received_events.append(event)

    invoke(app, events.sns("orders", "42 apples"))
    invoke(app, events.sns("orders", "{broken json"))
    assert [e.data for e in received_events] == ["42 apples", "{broken json"]


def test_sns_handler_failure_propagates() -> None:
    app = App("sns-fail")

    @app.on_event(type="aws.sns")
    def boom(event: object) -> None:
        raise RuntimeError("no")

    with pytest.raises(RuntimeError):
        invoke(app, events.sns())


# ----------------------------------------------------------------------------- EventBridge


def test_eventbridge_custom_event() -> None:
    app, seen = build()
    event = events.eventbridge(
        "shop.orders", "OrderPlaced", {"order": 7}, resources=["arn:aws:x:::order/7"]
    )
    invoke(app, event)
    # The exact subscriber and the source pattern both get it, as the same event.
    assert [name for name, _ in seen["events"]] == ["order_placed", "any_shop_source"]
    (_, received), (_, again) = seen["events"]
    assert again is received
    assert (received.id, received.source, received.type) == (
        event["id"],
        "shop.orders",
        "OrderPlaced",
    )
    assert received.subject == "arn:aws:x:::order/7"
    assert received.time == event["time"]
    assert received.data == {"order": 7}


def test_schedule_finds_its_function_by_rule_name() -> None:
    app, seen = build()
    event = events.schedule("behaviour-nightly", time="2026-11-27T03:00:00Z")
    invoke(app, event)
    assert seen["ticks"] == [("nightly", "aws", "2026-11-27T03:00:00Z")]
    # The shared app records no native event: the same rule, on an app keeping the tick.
    report = App("aws-triggers")
    received_ticks: list[Schedule] = []

    @report.schedule("0 3 * * *")
    def nightly_report(tick: Schedule) -> None:
        received_ticks.append(tick)

    event = events.schedule("aws-triggers-nightly-report", time="2026-11-27T03:00:00Z")
    invoke(report, event)
    (tick,) = received_ticks
    assert tick.name == "nightly_report"
    assert tick.time == "2026-11-27T03:00:00Z"
    assert tick.raw is event


def test_schedule_that_matches_no_function_is_an_error() -> None:
    app, _ = build()
    with pytest.raises(UnrecognizedEvent, match="which scheduled function"):
        invoke(app, events.schedule("some-other-rule"))


# ----------------------------------------------------------------------------- unknown


@pytest.mark.parametrize(
    "event",
    [
        {},
        [],
        "hello",
        None,
        {"Records": []},
        {"Records": [{"eventSource": "aws:kinesis"}]},
        {"Records": "nope"},
        {"key1": "value1", "key2": "value2"},
        {"requestContext": {"accountId": "1"}},
    ],
)
def test_unknown_shapes_are_refused_with_what_was_expected(event: object) -> None:
    app, seen = build()
    with pytest.raises(UnrecognizedEvent) as raised:
        invoke(app, event)
    assert raised.value.expected
    assert "expected" in str(raised.value)
    assert seen == NOTHING_SEEN


@pytest.mark.parametrize(
    "event",
    [
        {"version": "2.0", "requestContext": {"http": {}}},
        {"httpMethod": "GET", "requestContext": {"elb": {}}, "multiValueHeaders": "x"},
        {"Records": [{"eventSource": "aws:sqs"}]},
        {"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put"}]},
        {"detail-type": "X", "source": "y"},
    ],
)
def test_malformed_events_of_a_known_source_are_refused(event: object) -> None:
    app, _ = build()
    with pytest.raises(UnrecognizedEvent, match=r"malformed|without"):
        invoke(app, event)
