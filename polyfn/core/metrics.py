"""Metrics, one API on every cloud: counters, gauges and histograms with dimensions.

A handler adds points to ``ctx.metrics`` (``count``, ``gauge``, ``histogram``); dispatch
flushes them once when the invocation ends, through the sink its cloud registered
(``register_sink``): CloudWatch Embedded Metric Format lines on AWS, structured log
entries on Google Cloud, the worker's logging channel on Azure, a summary locally. An
invocation that adds no point pays one attribute test.

What a backend would refuse is refused when the point is added: more than 100 metrics in
one invocation or 30 dimensions on one (the EMF limits:
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html),
a name or dimension that is empty or too long, a unit CloudWatch does not know, a value
that is not a finite number. Under test (``set_strict(True)``, which polyfn's pytest
plugin does) that is a ``MetricError`` at the call site; in production a WARNING and the
point is dropped: a metric never fails an invocation.
"""

from __future__ import annotations

from polyfn.core.errors import PolyfnError
from polyfn.core.metric_sinks import SINKS, register_sink
from polyfn.core.settings import settings

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (cheap_typing.py)
if TYPE_CHECKING:
    from polyfn.core.context import Context

__all__ = [
    "MAX_DIMENSIONS",
    "MAX_METRICS",
    "UNITS",
    "MetricError",
    "MetricPoint",
    "Metrics",
    "register_sink",
    "set_strict",
]

MAX_METRICS = 100
MAX_DIMENSIONS = 30
MAX_VALUES = 100  # values of one metric in one EMF document
MAX_NAME_CHARS = 255
MAX_DIMENSION_VALUE_CHARS = 1024
# CloudWatch's units (MetricDatum.Unit), which EMF accepts; the other clouds take any label.
UNITS = frozenset(
    {
        "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes",
        "Gigabytes", "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits",
        "Percent", "Count", "Bytes/Second", "Kilobytes/Second", "Megabytes/Second",
        "Gigabytes/Second", "Terabytes/Second", "Bits/Second", "Kilobits/Second",
        "Megabits/Second", "Gigabits/Second", "Terabits/Second", "Count/Second", "None",
    }
)  # fmt: skip

_strict: list[bool] = [False]


class MetricError(PolyfnError, ValueError):
    """A metric no backend would accept (raised only in strict mode: tests)."""


def set_strict(strict: bool) -> None:
    """Raise ``MetricError`` for a refused point (tests) instead of logging a WARNING."""
    _strict[0] = strict


class MetricPoint:
    """One metric of one invocation: its values under one set of dimension values."""

    __slots__ = ("dimensions", "kind", "name", "unit", "values")

    def __init__(self, name: str, kind: str, unit: str, dimensions: dict[str, str]) -> None:
        self.name = name
        self.kind = kind  # counter (values summed), gauge (last value), histogram (all)
        self.unit = unit
        self.dimensions = dimensions
        self.values: list[float] = []

    @property
    def value(self) -> float | list[float]:
        """What is written: a counter's sum, a gauge's last value, a histogram's values."""
        if self.kind == "counter":
            return sum(self.values)
        if self.kind == "gauge":
            return self.values[-1]
        return list(self.values)

    def __repr__(self) -> str:
        return f"<MetricPoint {self.kind} {self.name}={self.value} {self.dimensions}>"


class Metrics:
    """The points one invocation adds; ``ctx.metrics``."""

    __slots__ = ("_ctx", "_points")

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self._points: dict[tuple[str, tuple[tuple[str, str], ...]], MetricPoint] = {}

    def count(self, name: str, value: float = 1, *, unit: str = "Count", **dimensions: str) -> None:
        """Add ``value`` to counter ``name`` (summed over the invocation)."""
        self._add("counter", name, value, unit, dimensions)

    def gauge(self, name: str, value: float, *, unit: str = "None", **dimensions: str) -> None:
        """Set gauge ``name`` (the last value of the invocation is written)."""
        self._add("gauge", name, value, unit, dimensions)

    def histogram(
        self, name: str, value: float, *, unit: str = "Milliseconds", **dimensions: str
    ) -> None:
        """Record one observation of ``name`` (every value is written)."""
        self._add("histogram", name, value, unit, dimensions)

    @property
    def points(self) -> list[MetricPoint]:
        """What would be written if the invocation ended now."""
        return list(self._points.values())

    def flush(self) -> None:
        """Write the points through the cloud's sink, once; never raises."""
        points = self._points
        if not points:
            return
        self._points = {}
        ctx = self._ctx
        namespace = settings().get("POLYFN_METRICS_NAMESPACE") or "polyfn"
        sink = SINKS.get(ctx.cloud, log_sink)
        try:
            sink(ctx, namespace, list(points.values()))
        except Exception as exc:  # metrics never fail an invocation
            ctx.logger.warning("metrics not written: %s: %s", type(exc).__name__, exc)

    def _add(
        self, kind: str, name: str, value: float, unit: str, dimensions: dict[str, str]
    ) -> None:
        problem = _problem(name, value, unit, dimensions)
        key = (name, tuple(sorted(dimensions.items())))
        point = self._points.get(key)
        if problem is None and point is None and len(self._points) >= MAX_METRICS:
            problem = f"more than {MAX_METRICS} metrics in one invocation"
        if problem is None and point is not None and point.kind != kind:
            problem = f"metric {name!r} is a {point.kind}, not a {kind}"
        if problem is None and point is not None and len(point.values) >= MAX_VALUES:
            problem = f"more than {MAX_VALUES} values of metric {name!r} in one invocation"
        if problem is not None:
            if _strict[0]:
                raise MetricError(problem)
            self._ctx.logger.warning("metric dropped: %s", problem)
            return
        if point is None:
            point = self._points[key] = MetricPoint(name, kind, unit, dict(dimensions))
        point.values.append(float(value))


def _problem(name: str, value: float, unit: str, dimensions: dict[str, str]) -> str | None:
    if not isinstance(name, str) or not 0 < len(name) <= MAX_NAME_CHARS:
        return f"a metric name must be 1-{MAX_NAME_CHARS} characters, got {name!r}"
    if unit not in UNITS:
        return f"metric {name!r}: unknown unit {unit!r} (one of CloudWatch's: Count, ...)"
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        return f"metric {name!r}: the value must be a finite number, got {value!r}"
    if value in (float("inf"), float("-inf")):
        return f"metric {name!r}: the value must be a finite number, got {value!r}"
    if len(dimensions) > MAX_DIMENSIONS:
        return f"metric {name!r}: {len(dimensions)} dimensions, at most {MAX_DIMENSIONS}"
    for key, label in dimensions.items():
        if not isinstance(label, str) or not 0 < len(label) <= MAX_DIMENSION_VALUE_CHARS:
            return (
                f"metric {name!r}: dimension {key!r} must be a str of "
                f"1-{MAX_DIMENSION_VALUE_CHARS} characters, got {label!r}"
            )
        if len(key) > MAX_NAME_CHARS or key.startswith(":"):
            return f"metric {name!r}: invalid dimension name {key!r}"
    return None


def log_sink(ctx: Context, namespace: str, points: list[MetricPoint], level: int = 20) -> None:
    """The sink of a cloud that registered none (Azure: the worker's logging channel
    carries it to the host and Application Insights): one record per point, at ``level``
    (INFO), on logger ``polyfn.metrics``, its fields as the record's extras."""
    import logging

    logger = logging.getLogger("polyfn.metrics")
    if not logger.isEnabledFor(level):
        return
    for point in points:
        logger.log(
            level,
            "metric %s %s=%s %s",
            namespace,
            point.name,
            point.value,
            point.dimensions,
            extra={
                "metric": {
                    "namespace": namespace,
                    "name": point.name,
                    "kind": point.kind,
                    "unit": point.unit,
                    "value": point.value,
                    "dimensions": point.dimensions,
                }
            },
        )
