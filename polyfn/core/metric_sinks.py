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

__all__ = ["SINKS", "builtin_enabled", "register_sink"]

SINKS: dict[str, Sink] = {}
# Whether polyfn's own metrics (ColdStart, Errors, ...) are on when the deployment does
# not say (POLYFN_BUILTIN_METRICS): on where the entry point runs on its platform, off
# where a test or a script calls it, whose output they would clutter.
_BUILTIN_BY_DEFAULT: dict[str, bool] = {}


def register_sink(cloud: str, sink: Sink, *, builtin: bool = False) -> None:
    """Who writes an invocation's points on ``cloud``: ``sink(ctx, namespace, points)``;
    ``builtin``: polyfn's own metrics are on unless ``POLYFN_BUILTIN_METRICS=0``."""
    SINKS[cloud] = sink
    _BUILTIN_BY_DEFAULT[cloud] = builtin


def builtin_enabled(cloud: str) -> bool:
    """Whether polyfn emits its own metrics for an invocation on ``cloud``."""
    from polyfn.core.settings import settings

    setting = settings().get("POLYFN_BUILTIN_METRICS", "")
    if setting in ("0", "1"):
        return setting == "1"
    return _BUILTIN_BY_DEFAULT.get(cloud, False)
