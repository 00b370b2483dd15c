"""Defaults every runtime shares, so a function behaves the same wherever it runs.

One place, read by the deploy artifacts (SAM, host.json, deploy.sh), the cloud adapters
(the deadline behind ``Context.remaining_ms`` when the platform does not say) and the
local runtime: a function that declares no timeout gets the same one on every cloud.
"""

from __future__ import annotations

from polyfn.core.functions import Function, MessageTrigger

__all__ = ["DEFAULT_TIMEOUT_SECONDS", "effective_timeout"]

# 30 s: what API Gateway's HTTP API allows an integration before it answers 504, so an
# HTTP function's default never outlives the request that started it on AWS
# (docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html, read
# 2026-11); within every cloud's maximum (Lambda 900 s, Azure Consumption 600 s, Cloud
# Functions 540 s for events).
DEFAULT_TIMEOUT_SECONDS = 30


def effective_timeout(fn: Function) -> int:
    """The function's timeout, or the default; a queue consumer's default fits its queue.

    A queue consumer must finish before its message becomes visible again, or the message
    is handed to a second consumer while the first still works on it (and Lambda refuses
    the event source mapping outright), so its default never exceeds the visibility timeout.
    """
    if fn.options.timeout is not None:
        return fn.options.timeout
    trigger = fn.trigger
    if isinstance(trigger, MessageTrigger):
        return max(1, min(DEFAULT_TIMEOUT_SECONDS, trigger.queue.visibility_timeout))
    return DEFAULT_TIMEOUT_SECONDS
