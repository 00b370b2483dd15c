"""ctx.metrics: points grouped per invocation, flushed once, and the limits backends
set refused at the call site under test and dropped with a WARNING in production."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from polyfn.core.context import Context
from polyfn.core.metrics import (
    MAX_DIMENSIONS,
    MAX_METRICS,
    MetricError,
    MetricPoint,
    register_sink,
    set_strict,
)

written: list[tuple[str, list[MetricPoint]]] = []


@pytest.fixture
def ctx() -> Iterator[Context]:
    written.clear()
    register_sink(
        "metrics-test", lambda _ctx, namespace, points: written.append((namespace, points))
    )
    yield Context("metrics-test", "fn", "req-1")


def test_points_are_aggregated_per_kind_and_flushed_once(ctx: Context) -> None:
    ctx.metrics.count("Orders")
    ctx.metrics.count("Orders", 2)
    ctx.metrics.count("Orders", region="eu")
    ctx.metrics.gauge("Depth", 3)
    ctx.metrics.gauge("Depth", 5)
    ctx.metrics.histogram("Latency", 10)
    ctx.metrics.histogram("Latency", 30)
    ctx.metrics.flush()
    ctx.metrics.flush()  # nothing new: nothing written
    ((namespace, points),) = written
    assert namespace == "polyfn"
    assert {(p.name, tuple(p.dimensions.items())): p.value for p in points} == {
        ("Orders", ()): 3,
        ("Orders", (("region", "eu"),)): 1,
        ("Depth", ()): 5,
        ("Latency", ()): [10, 30],
    }


@pytest.mark.parametrize(
    ("add", "match"),
    [
        (lambda m: m.count(""), "1-255 characters"),
        (lambda m: m.count("x" * 256), "1-255 characters"),
        (lambda m: m.count("n", unit="Furlongs"), "unknown unit"),
        (lambda m: m.gauge("n", float("nan")), "finite number"),
        (lambda m: m.gauge("n", float("inf")), "finite number"),
        (lambda m: m.gauge("n", "3"), "finite number"),
        (lambda m: m.count("n", **{f"d{i}": "v" for i in range(MAX_DIMENSIONS + 1)}), "dimensions"),
        (lambda m: m.count("n", region=""), "dimension 'region'"),
        (lambda m: m.count("n", region=3), "dimension 'region'"),
        (lambda m: [m.count(f"n{i}") for i in range(MAX_METRICS + 1)], "more than 100 metrics"),
        (lambda m: [m.count("n"), m.gauge("n", 1)], "is a counter, not a gauge"),
    ],
)
def test_what_a_backend_refuses_is_an_error_at_the_call_site_under_test(
    ctx: Context, add: object, match: str
) -> None:
    set_strict(True)
    with pytest.raises(MetricError, match=match):
        add(ctx.metrics)  # type: ignore[operator]


def test_in_production_a_refused_metric_is_a_warning_and_the_invocation_goes_on(
    ctx: Context, caplog: pytest.LogCaptureFixture
) -> None:
    set_strict(False)
    try:
        ctx.metrics.gauge("Depth", float("nan"))
        ctx.metrics.count("Orders")
    finally:
        set_strict(True)
    ctx.metrics.flush()
    ((_, points),) = written
    assert [p.name for p in points] == ["Orders"]
    (warning,) = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert "metric dropped" in warning.getMessage()


def test_a_failing_sink_never_fails_the_invocation(caplog: pytest.LogCaptureFixture) -> None:
    def broken(*_: object) -> None:
        raise OSError("stdout closed")

    register_sink("broken-sink", broken)
    ctx = Context("broken-sink", "fn", "req-2")
    ctx.metrics.count("Orders")
    ctx.metrics.flush()
    assert "metrics not written: OSError" in caplog.text
