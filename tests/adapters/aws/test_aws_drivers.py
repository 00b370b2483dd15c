"""The AWS drivers the cross-cloud behaviour suite runs on."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_apps import http_app, trigger_app

from polyfn.hosts import hosts_for
from polyfn.hosts.aws import HOSTS, AwsHost, _read_alb, _read_v2


def test_one_driver_per_http_source() -> None:
    assert [driver.name for driver in HOSTS] == ["aws-v1", "aws-v2", "aws-alb", "aws-url"]
    assert {driver.cloud for driver in hosts_for("aws")} == {"aws"}
    with pytest.raises(ValueError, match="source must be"):
        AwsHost("v3")


@pytest.mark.parametrize("driver", HOSTS, ids=lambda d: d.name)
def test_http_reads_the_native_answer_back(driver: AwsHost) -> None:
    app, _ = http_app()
    result = driver.http(
        app,
        "GET",
        "/echo",
        query={"tag": ["a b", "c"]},
        headers=[("X-Tag", "one"), ("X-Tag", "two"), ("Cookie", "k=v")],
    )
    assert result.status == 200
    echoed = result.json()
    assert echoed["query"] == {"tag": ["a b", "c"]}
    assert echoed["tags"] == ["one", "two"]
    assert echoed["cookies"] == {"k": "v"}
    cookies = driver.http(app, "GET", "/cookies").headers.getlist("set-cookie")
    assert [cookie.split("=")[0] for cookie in cookies] == ["session", "theme"]


@pytest.mark.parametrize("driver", HOSTS, ids=lambda d: d.name)
def test_messages_objects_schedules_and_events(driver: AwsHost) -> None:
    app, seen = trigger_app()
    bodies = [json.dumps({"n": n, "fail": n in (2, 5)}).encode() for n in range(8)]
    assert driver.messages(app, "jobs", bodies, attributes={"a": "1"}) == [2, 5]
    assert len(seen["messages"]) == 6
    driver.object_event(app, "created", "uploads", "in/a b+c.jpg", size=4)
    assert seen["objects"][0].key == "in/a b+c.jpg"
    driver.schedule(app, "cleanup")
    assert [tick.name for tick in seen["ticks"]] == ["cleanup"]
    driver.event(app, "shop.orders", "OrderPlaced", {"order": 1}, subject="order/1")
    assert seen["events"][0].subject == "order/1"


def test_readers_refuse_what_the_service_would_refuse() -> None:
    with pytest.raises(ValueError, match="statusCode"):
        _read_v2({"statusCode": "200"})
    with pytest.raises(ValueError, match="dict"):
        _read_v2("ok")
    good: dict[str, Any] = {"statusCode": 200, "statusDescription": "200 OK", "body": ""}
    assert _read_alb(good).status == 200
    with pytest.raises(ValueError, match="statusDescription"):
        _read_alb({**good, "statusDescription": "OK"})
    with pytest.raises(ValueError, match="multiValueHeaders"):
        _read_alb({**good, "headers": {"a": "b"}})
