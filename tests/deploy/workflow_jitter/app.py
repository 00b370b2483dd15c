"""A workflow Cloud Workflows cannot express: a retry with jitter (a Workflows backoff
has none). Step Functions can, so only the Google Cloud build refuses it."""

from __future__ import annotations

from typing import Any

from polyfn import App, Retry

app = App("jittery")
flow = app.workflow("flow")


@flow.task(retry=Retry("Throttled", attempts=2, jitter=True))
def call_partner(data: Any) -> Any:
    return data


flow.flow(call_partner)
