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

__all__ = ["SINKS", "register_sink"]

SINKS: dict[str, Sink] = {}


def register_sink(cloud: str, sink: Sink) -> None:
    """Who writes an invocation's points on ``cloud``: ``sink(ctx, namespace, points)``."""
    SINKS[cloud] = sink
