"""Defaults every runtime shares, so a function behaves the same wherever it runs.

One place, read by the deploy artifacts (SAM, host.json, deploy.sh), the cloud adapters
(the deadline behind ``Context.remaining_ms`` when the platform does not say) and the
local runtime: a function that declares no timeout gets the same one on every cloud.
"""

from __future__ import annotations

from polyfn.core.functions import Function, MessageTrigger
from polyfn.core.resources import DEFAULT_RETRY_DELAY_SECONDS, Queue

__all__ = [
    "DEFAULT_RETRY_DELAY_SECONDS",
    "DEFAULT_TIMEOUT_SECONDS",
    "MAX_VISIBILITY_SECONDS",
    "VISIBILITY_FACTOR",
    "deployed_visibility",
    "effective_timeout",
]

# 30 s: what API Gateway's HTTP API allows an integration before it answers 504, so an
# HTTP function's default never outlives the request that started it on AWS
# (docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html, read
# 2026-11); within every cloud's maximum (Lambda 900 s, Azure Consumption 600 s, Cloud
# Functions 540 s for events).
DEFAULT_TIMEOUT_SECONDS = 30

# "Set the source queue's visibility timeout to at least six times the timeout that you
# configure on your function" (docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html,
# read 2026-11): deploy applies it to SQS, and to Pub/Sub's ack deadline within its cap.
VISIBILITY_FACTOR = 6
MAX_VISIBILITY_SECONDS = 43200  # SQS's maximum, 12 h


def effective_timeout(fn: Function) -> int:
    """The function's timeout, or the default; a queue consumer's default fits its queue.

    A queue consumer must finish before its message becomes visible again, or the message
    is handed to a second consumer while the first still works on it (and Lambda refuses
    the event source mapping outright), so its default never exceeds the visibility timeout.
    """
    if fn.options.timeout is not None:
        return fn.options.timeout
    trigger = fn.trigger
    if isinstance(trigger, MessageTrigger) and trigger.queue.visibility_declared:
        return max(1, min(DEFAULT_TIMEOUT_SECONDS, trigger.queue.visibility_timeout))
    return DEFAULT_TIMEOUT_SECONDS


def deployed_visibility(queue: Queue, consumer_timeout: int | None) -> int:
    """The visibility timeout a cloud queue is deployed with: the declared one, else
    ``VISIBILITY_FACTOR`` x the consumer's timeout (the default timeout when the queue has
    no consumer in this app), capped at SQS's 12 h."""
    if queue.visibility_declared:
        return queue.visibility_timeout
    timeout = DEFAULT_TIMEOUT_SECONDS if consumer_timeout is None else consumer_timeout
    return min(MAX_VISIBILITY_SECONDS, VISIBILITY_FACTOR * timeout)
