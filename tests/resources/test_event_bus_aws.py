"""The EventBridge event bus backend against moto's server: PutEvents on a custom bus,
read back through a rule on that bus that targets an SQS queue (as a deployed rule
targets the function), then handed to the Lambda adapter as the rule would."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from polyfn import App, Event
from polyfn.adapters.aws import lambda_handler
from polyfn.adapters.aws.backends import AwsBackends
from polyfn.core.errors import ResourceError
from polyfn.testing.emulators import AwsEmulator


@pytest.fixture
def bus_with_rule(aws_env: AwsEmulator) -> Iterator[tuple[str, Any, str]]:
    """A custom bus ``shop-orders`` whose rule sends source shop.orders / OrderPlaced
    events to an SQS queue; yields (bus name, sqs client, queue url)."""
    region = aws_env.region
    events = boto3.client("events", endpoint_url=aws_env.url, region_name=region)
    sqs = boto3.client("sqs", endpoint_url=aws_env.url, region_name=region)
    events.create_event_bus(Name="shop-orders")
    url = sqs.create_queue(QueueName="bus-tap")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events.put_rule(
        Name="orders-placed",
        EventBusName="shop-orders",
        EventPattern=json.dumps({"source": ["shop.orders"], "detail-type": ["OrderPlaced"]}),
    )
    events.put_targets(
        Rule="orders-placed", EventBusName="shop-orders", Targets=[{"Id": "tap", "Arn": arn}]
    )
    yield "shop-orders", sqs, url
    aws_env.reset()


def _received(sqs: Any, url: str) -> list[dict[str, Any]]:
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
    return [json.loads(m["Body"]) for m in messages.get("Messages", [])]


def test_publish_puts_source_type_and_detail_on_the_bus_and_the_rule_matches_them(
    bus_with_rule: tuple[str, Any, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    bus_name, sqs, url = bus_with_rule
    app = App("shop")
    orders = app.event_bus("orders")
    seen: list[Event] = []

    @app.on_event(bus=orders, source="shop.orders", type="OrderPlaced")
    def placed(event: Event) -> None:
        seen.append(event)

    monkeypatch.setenv(orders.binding_variable, bus_name)
    app.bind(AwsBackends())
    event_id = orders.publish(
        source="shop.orders", type="OrderPlaced", data={"order": 7}, subject="orders/7"
    )
    orders.publish(source="shop.returns", type="OrderPlaced", data={"order": 8})

    (delivered,) = _received(sqs, url)  # the rule let the first through, not the second
    assert delivered["source"] == "shop.orders"
    assert delivered["detail-type"] == "OrderPlaced"
    assert delivered["detail"] == {"order": 7}
    assert delivered["resources"] == ["orders/7"]
    assert delivered["id"] == event_id

    lambda_handler(app, backends="keep")(delivered, None)
    assert [(e.source, e.type, e.subject, e.data) for e in seen] == [
        ("shop.orders", "OrderPlaced", "orders/7", {"order": 7})
    ]


def test_publish_to_a_bus_that_does_not_exist_raises_a_resource_error(
    aws_env: AwsEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = App("shop")
    orders = app.event_bus("orders")
    monkeypatch.setenv(orders.binding_variable, "no-such-bus")
    app.bind(AwsBackends())
    with pytest.raises(ResourceError):
        orders.publish(source="shop.orders", type="OrderPlaced")


def test_an_event_published_in_an_invocation_carries_its_trace_through_eventbridge(
    bus_with_rule: tuple[str, Any, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # PutEvents has no place for extension attributes: the trace rides in the detail (and
    # X-Ray's header in TraceHeader), and the Lambda adapter takes it out again.
    from polyfn.core.context import _reset_current, _set_current, new_context
    from polyfn.core.trace_context import trace_from

    bus_name, sqs, url = bus_with_rule
    app = App("shop")
    orders = app.event_bus("orders")
    seen: list[Event] = []

    @app.on_event(bus=orders, source="shop.orders", type="OrderPlaced")
    def placed(event: Event) -> None:
        seen.append(event)

    monkeypatch.setenv(orders.binding_variable, bus_name)
    app.bind(AwsBackends())
    ctx = new_context("aws", "place_order", "req-1", None, False, None)
    ctx._trace = trace_from(
        {"traceparent": f"00-{'4bf92f3577b34da6a3ce929d0e0e4736'}-00f067aa0ba902b7-01"}
    )
    token = _set_current(ctx)
    try:
        orders.publish(source="shop.orders", type="OrderPlaced", data={"order": 7})
    finally:
        _reset_current(token)

    (delivered,) = _received(sqs, url)
    assert delivered["detail"]["order"] == 7
    assert delivered["detail"]["_polyfn"]["polyfnhops"] == "1"
    lambda_handler(app, backends="keep")(delivered, None)
    (event,) = seen
    assert event.data == {"order": 7}  # as published: the trace is taken out
    assert event.trace["traceparent"] == ctx.trace.traceparent
    assert event.trace["polyfn-hops"] == "1"
