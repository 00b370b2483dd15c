"""The AWS drivers the cross-cloud behaviour suite runs on."""

from __future__ import annotations

from typing import Any

import pytest

from polyfn.hosts import hosts_for
from polyfn.hosts.aws import HOSTS, AwsHost, _read_alb, _read_v2


def test_one_driver_per_http_source() -> None:
    assert [driver.name for driver in HOSTS] == ["aws-v1", "aws-v2", "aws-alb", "aws-url"]
    assert {driver.cloud for driver in hosts_for("aws")} == {"aws"}
    with pytest.raises(ValueError, match="source must be"):
        AwsHost("v3")


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
