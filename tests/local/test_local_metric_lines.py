"""Under ``polyfn run``, polyfn's own per-invocation metrics stay out of the INFO log (the
invocation line says the same) but reach the summary; a handler's own metrics are logged."""

from __future__ import annotations

import logging

import pytest

from polyfn import Context
from polyfn.adapters.local import metrics
from polyfn.core.metrics import MetricPoint


def _point(name: str, dimensions: dict[str, str]) -> MetricPoint:
    point = MetricPoint(name, "counter", "Count", dimensions)
    point.values.append(1.0)
    return point


def test_polyfns_own_per_invocation_metrics_are_logged_at_debug_only(
    caplog: pytest.LogCaptureFixture,
) -> None:
    metrics.reset()
    own = _point("Invocations", {"function": "f"})
    users = _point("OrdersPlaced", {"function": "f"})
    with caplog.at_level(logging.INFO, logger="polyfn.metrics"):
        metrics.record(Context("local", "f"), "polyfn", [own, users])
    assert [r.getMessage() for r in caplog.records] == [
        "metric polyfn OrdersPlaced=1.0 {'function': 'f'}"
    ]
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="polyfn.metrics"):
        metrics.record(Context("local", "f"), "polyfn", [own])
    assert [r.levelno for r in caplog.records] == [logging.DEBUG]
    assert {row["name"] for row in metrics.summary()} == {"Invocations", "OrdersPlaced"}
    metrics.reset()
