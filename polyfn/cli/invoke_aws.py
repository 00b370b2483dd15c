"""``polyfn invoke --cloud aws``: one Lambda event through ``aws.lambda_handler(app)``.

The handler is the deployed one, called with the event and a Lambda context from the
test generators, so the event takes exactly the path it takes on Lambda: detection,
translation, dispatch, and the response dict the Lambda service reads.
"""

from __future__ import annotations

from typing import Any

from polyfn.cli.invoke_outcome import Outcome
from polyfn.cli.invoke_samples import check_fits
from polyfn.core.app import App
from polyfn.core.functions import Function

__all__ = ["invoke"]


def invoke(app: App, fn: Function, event: Any) -> Outcome:
    from polyfn.adapters.aws import lambda_handler
    from polyfn.adapters.aws.sources import HTTP_KINDS, SQS, detect
    from polyfn.cli.inspect import describe
    from polyfn.testing.events.aws import lambda_context

    source = detect(event)  # an event of no AWS source is bad input: UnrecognizedEvent
    model = describe(event, "aws")
    request = model.get("request") or {}
    check_fits(app, fn, str(model.get("trigger")), request.get("method"), request.get("path"))
    handler = lambda_handler(app)
    # The deployed function's name: the app's name and the function's, as deploy names it.
    context = lambda_context(function_name=f"{app.name}-{fn.name}".replace("_", "-"))
    result = handler(event, context)
    if source in HTTP_KINDS:
        status = int(result.get("statusCode", 0))
        return Outcome(result, failed=status >= 500, reason=f"HTTP {status}")
    if source == SQS:
        failures = result.get("batchItemFailures") or []
        ids = ", ".join(str(item.get("itemIdentifier")) for item in failures)
        return Outcome(result, failed=bool(failures), reason=f"failed message(s): {ids}")
    return Outcome({"ok": True} if result is None else result)
