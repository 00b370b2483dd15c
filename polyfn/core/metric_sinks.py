"""Who writes an invocation's metrics on each cloud: the registry adapters fill.

Apart from ``core.metrics`` so that an entry point can register its cloud's writer
without loading the metrics machinery: a function that never adds a metric never loads
it.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (cheap_typing.py)
if TYPE_CHECKING:
    from collections.abc import Callable

    from polyfn.core.context import Context
    from polyfn.core.metrics import MetricPoint

    Sink = Callable[[Context, str, list[MetricPoint]], None]

__all__ = ["INVOCATIONS", "SINKS", "TIMED", "builtin_enabled", "register_sink"]

SINKS: dict[str, Sink] = {}
# Whether polyfn's own metrics (ColdStart, Errors, ...) are on when the deployment does
# not say (POLYFN_BUILTIN_METRICS): on where the entry point runs on its platform, off
# where a test or a script calls it, whose output they would clutter.
_BUILTIN_BY_DEFAULT: dict[str, bool] = {}
# Whether every invocation writes Invocations and Duration when the deployment does not
# say: only where polyfn is the platform (the local runtime). Lambda, Azure Functions and
# Cloud Run count and time every invocation themselves, for free (AWS/Lambda Invocations
# and Duration, Application Insights requests, run.googleapis.com request_count and
# request_latencies); a metric line of polyfn's own on each warm invocation would cost
# more than the whole observability budget of the HTTP path (docs/observability.md,
# "Performance"). POLYFN_BUILTIN_METRICS=1 turns them on anywhere, =0 off. Decided when
# the entry point registers its sink, not per invocation: a platform fixes the
# environment for the process, and reading os.environ on every invocation (a missing
# key raises inside it) costs more than the whole check should.
INVOCATIONS: dict[str, bool] = {}
# Whether any cloud of this process counts invocations: the one check a warm invocation
# makes (a list cell, so that dispatch reads it without a call).
TIMED = [False]


def register_sink(
    cloud: str, sink: Sink, *, builtin: bool = False, invocations: bool = False
) -> None:
    """Who writes an invocation's points on ``cloud``: ``sink(ctx, namespace, points)``;
    ``builtin``: polyfn's own metrics are on unless ``POLYFN_BUILTIN_METRICS=0``;
    ``invocations``: so are Invocations and Duration, written by every invocation."""
    from polyfn.core.settings import settings

    SINKS[cloud] = sink
    _BUILTIN_BY_DEFAULT[cloud] = builtin
    setting = settings().get("POLYFN_BUILTIN_METRICS", "")
    INVOCATIONS[cloud] = setting == "1" if setting in ("0", "1") else invocations
    TIMED[0] = any(INVOCATIONS.values())


def builtin_enabled(cloud: str) -> bool:
    """Whether polyfn emits its own metrics for an invocation on ``cloud``."""
    from polyfn.core.settings import settings

    setting = settings().get("POLYFN_BUILTIN_METRICS", "")
    if setting in ("0", "1"):
        return setting == "1"
    return _BUILTIN_BY_DEFAULT.get(cloud, False)
