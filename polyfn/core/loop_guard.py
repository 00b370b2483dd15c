"""The recursive-loop guard: a function reached through too many polyfn sends is not run.

Every message polyfn sends for an invocation carries the hop count it arrived with plus
one (``TraceContext.outgoing``). A function that sends into the queue that triggers it,
directly or through others, raises the count on every round; once it is over the limit
the input is logged at ERROR with the trace and correlation ids that lead back to the
first request, counted in the ``LoopStopped`` metric, and acknowledged without running
the handler, so the loop ends instead of running (and billing) forever.

The limit is 16 unless the function says otherwise (``max_hops=`` on its decorator) or
the deployment does (``POLYFN_MAX_HOPS``). AWS stops some loops itself (Lambda's
recursive loop detection ends SQS, SNS and S3 loops after about 16 invocations carrying
the same trace header: https://docs.aws.amazon.com/lambda/latest/dg/invocation-recursion.html),
but not loops through other services or other clouds; polyfn's guard is the same on all.
"""

from __future__ import annotations

from polyfn.core.settings import settings

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (cheap_typing.py)
if TYPE_CHECKING:
    from polyfn.core.context import Context
    from polyfn.core.functions import Function

__all__ = ["DEFAULT_MAX_HOPS", "hop_limit", "stop"]

DEFAULT_MAX_HOPS = 16


def hop_limit(fn: Function) -> int:
    """The hop count over which ``fn`` is not run."""
    if fn.options.max_hops is not None:
        return fn.options.max_hops
    configured = settings().get("POLYFN_MAX_HOPS", "")
    return int(configured) if configured.isdigit() else DEFAULT_MAX_HOPS


def stop(
    ctx: Context, fn: Function, what: str, hops: int, limit: int, outcome: str = "acknowledged"
) -> None:
    """Log and count one input the guard refused; ``outcome`` what the caller does with it
    (a message or event is acknowledged; a workflow task fails with ``LoopStopped``)."""
    trace = ctx.trace
    ctx.logger.error(
        "recursive loop stopped: %s reached %s after %d polyfn writes or sends (limit %d); "
        "not run, %s; trace %s, correlation id %s leads back to the request that started "
        "the chain (request %s)",
        what,
        fn.name,
        hops,
        limit,
        outcome,
        trace.trace_id,
        trace.correlation_id,
        ctx.request_id,
        extra={"hops": hops, "hopLimit": limit},
    )
    from polyfn.core.metric_sinks import builtin_enabled

    if builtin_enabled(ctx.cloud):
        ctx.metrics.count("LoopStopped", function=fn.name)
