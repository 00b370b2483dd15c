"""The static half of the recursive-loop guard: a function that writes into what
triggers it, with no filter that could keep its own output out, is a warning when the
artifacts are built (``polyfn deploy build``) and planned (``polyfn deploy plan``).

The run-time half (``core.loop_guard``) stops such a chain after 16 hops, on every cloud
and under ``polyfn run``; every hop before that still runs and is billed, which is why
the shape is worth a warning before it is deployed. What is warned about:

- an object trigger with neither ``prefix`` nor ``suffix`` on a bucket the function
  writes to (the thumbnail written back into the uploads bucket): every write triggers it;
- a queue consumer that sends to its own queue (a queue has no filter);
- an ``on_event`` subscriber with neither source nor type filter that publishes to its
  own bus;
- an ``on_change`` function that writes into the table whose changes it reads: each
  write is a change that runs it again. Stream records and Firestore events carry no
  polyfn metadata, so the run-time hop count cannot see this loop: this warning is the
  guard (a handler that writes only when something actually changed ends it).

A filter is taken to exclude the function's output: the keys it writes are not known
before it runs. AWS's own recursive loop detection stops some SQS, SNS and S3 loops
after about 16 invocations (https://docs.aws.amazon.com/lambda/latest/dg/invocation-recursion.html);
it does not cover other services, Azure or Google Cloud.
"""

from __future__ import annotations

from typing import Literal

from polyfn.core.functions import ChangeTrigger, EventTrigger, MessageTrigger, ObjectTrigger
from polyfn.core.loop_guard import DEFAULT_MAX_HOPS
from polyfn.deploy.limits import LimitFinding
from polyfn.deploy.model import DeployModel

__all__ = ["loop_findings"]

_SOURCE = "polyfn loop guard (docs: README, Observability)"


def loop_findings(model: DeployModel, cloud: Literal["aws", "azure", "gcp"]) -> list[LimitFinding]:
    """A warning for each function that triggers itself with what it writes."""
    findings = []
    for function in model.functions:
        fn = function.fn
        trigger = fn.trigger
        usage = function.usage
        limit = fn.options.max_hops if fn.options.max_hops is not None else DEFAULT_MAX_HOPS
        what = None
        consequence = (
            f"a loop, stopped by polyfn after {limit} hops, each of them run and billed; "
            "filter its output out or write elsewhere"
        )
        if isinstance(trigger, ObjectTrigger) and not trigger.prefix and not trigger.suffix:
            if "write" in usage.access("bucket", trigger.bucket.name):
                what = (
                    f"writes to bucket {trigger.bucket.name}, whose every new object triggers "
                    "it (no prefix= or suffix= keeps its own output out)"
                )
        elif isinstance(trigger, MessageTrigger):
            if "send" in usage.access("queue", trigger.queue.name):
                what = f"sends to queue {trigger.queue.name}, which triggers it"
        elif isinstance(trigger, EventTrigger) and trigger.bus is not None:
            unfiltered = not trigger.source and not trigger.type
            if unfiltered and "publish" in usage.access("event_bus", trigger.bus.name):
                what = f"publishes to event bus {trigger.bus.name}, whose every event triggers it"
        elif isinstance(trigger, ChangeTrigger):
            writes = usage.access("table", trigger.table.name) & {"write", "batch_write"}
            if writes:
                what = f"writes to table {trigger.table.name}, whose every change triggers it"
                consequence = (
                    "a loop that change records cannot stop (they carry no hop count), run "
                    "and billed until the handler stops writing; write only when the item "
                    "would change, or write elsewhere"
                )
        if what is not None:
            findings.append(
                LimitFinding(
                    "warn", cloud, fn.name, "recursive loop", f"{what}: {consequence}", _SOURCE
                )
            )
    return findings
