"""AWS Lambda events as AWS sends them, for tests and ``polyfn events aws KIND``.

The generators live in ``aws_http`` (API Gateway REST and HTTP API, Function URL, ALB),
``aws_records`` (S3, SQS, SNS, EventBridge) and ``changes`` (DynamoDB Streams); this
module gathers them, adds the Lambda context object (lambda/latest/dg/python-context.html,
read 2026-11) and the ``GENERATORS`` registry the ``polyfn events`` command calls: every
entry takes keyword options with defaults, so ``GENERATORS[kind]()`` is already a
realistic event.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from polyfn.core.defaults import DEFAULT_TIMEOUT_SECONDS
from polyfn.hosts.events.aws_common import (
    ACCOUNT,
    CLIENT_IP,
    REGION,
    USER_AGENT,
    new_id,
    now,
)
from polyfn.hosts.events.aws_http import alb, apigw_v1, apigw_v2, function_url
from polyfn.hosts.events.aws_records import (
    eventbridge,
    s3,
    s3_test_event,
    s3_via_eventbridge,
    s3_via_sns,
    s3_via_sqs,
    schedule,
    sns,
    sqs,
)
from polyfn.hosts.events.changes import dynamodb_stream

__all__ = [
    "ACCOUNT",
    "CLIENT_IP",
    "GENERATORS",
    "REGION",
    "USER_AGENT",
    "LambdaContext",
    "alb",
    "apigw_v1",
    "apigw_v2",
    "dynamodb_stream",
    "eventbridge",
    "function_url",
    "lambda_context",
    "s3",
    "s3_test_event",
    "s3_via_eventbridge",
    "s3_via_sns",
    "s3_via_sqs",
    "schedule",
    "sns",
    "sqs",
]


class LambdaContext:
    """The attributes and method of the Python runtime's context object."""

    def __init__(
        self,
        function_name: str,
        timeout_ms: int,
        memory_limit_in_mb: int,
        request_id: str,
    ) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function_name}"
        self.memory_limit_in_mb = memory_limit_in_mb
        self.aws_request_id = request_id
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = f"{now():%Y/%m/%d}/[$LATEST]{os.urandom(16).hex()}"
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + timeout_ms / 1000

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))

    def __repr__(self) -> str:
        return f"<LambdaContext {self.function_name} {self.aws_request_id}>"


def lambda_context(
    function_name: str = "polyfn-function",
    timeout_ms: int = DEFAULT_TIMEOUT_SECONDS * 1000,
    *,
    memory_limit_in_mb: int = 128,
    request_id: str | None = None,
) -> LambdaContext:
    """A context whose deadline is ``timeout_ms`` from now, like a fresh invocation's."""
    return LambdaContext(function_name, timeout_ms, memory_limit_in_mb, request_id or new_id())


GENERATORS: dict[str, Callable[..., dict[str, Any]]] = {
    "apigw-v1": apigw_v1,
    "apigw-v2": apigw_v2,
    "alb": alb,
    "function-url": function_url,
    "s3": s3,
    "s3-sns": s3_via_sns,
    "s3-sqs": s3_via_sqs,
    "s3-eventbridge": s3_via_eventbridge,
    "sqs": sqs,
    "sns": sns,
    "eventbridge": eventbridge,
    "schedule": schedule,
    "dynamodb-stream": dynamodb_stream,
}
