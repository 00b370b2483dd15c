"""Mutated Lambda events through ``aws.lambda_handler``: typed refusals or 4xx, nothing else."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given

from fuzz.fuzz_app import build
from fuzz.strategies import FUZZ, mutated
from polyfn.adapters import aws
from polyfn.core.errors import UnrecognizedEvent
from polyfn.hosts.aws import GENERATORS, AwsHost

# Which function of the fuzz app each event kind is fitted to.
_FUNCTION_OF = {
    "apigw-v1": "item",
    "apigw-v2": "item",
    "alb": "item",
    "function-url": "item",
    "s3": "on_created",
    "s3-sns": "on_created",
    "s3-sqs": "on_created",
    "s3-eventbridge": "on_created",
    "sqs": "on_job",
    "sns": "on_order",
    "eventbridge": "on_order",
    "schedule": "tick",
    "dynamodb-stream": "on_change",
}


def test_every_aws_kind_is_fuzzed() -> None:
    assert set(_FUNCTION_OF) == set(GENERATORS)


def check_answer(handler: Any, event: Any) -> None:
    try:
        answer = handler(event)
    except UnrecognizedEvent:
        return
    if isinstance(answer, dict) and "statusCode" in answer:
        assert answer["statusCode"] < 500, answer


@pytest.mark.parametrize("kind", sorted(_FUNCTION_OF))
def test_mutated_aws_events_get_typed_answers(kind: str) -> None:
    app = build()
    base = AwsHost("v2").sample(app.functions[_FUNCTION_OF[kind]], kind, {})
    handler = aws.lambda_handler(app, backends="keep")
    check_answer(handler, base)  # the unmutated event is served

    @FUZZ
    @given(mutated(base))
    def run(event: Any) -> None:
        check_answer(handler, event)

    run()
