"""The "do the math" comparison: the same traffic on an always-on container.

Serverless bills per event; a container bills per hour whether or not events come. For
each cloud the plan prices the container that would carry the profile's peak (Fargate,
Container Apps, Cloud Run with minimum instances) and the event rate at which the
serverless bill would equal it: below that rate serverless is cheaper, above it the
container is, for as long as the same number of instances carries the traffic.

Sizing, stated so it can be argued with (``container`` in the traffic profile overrides
each figure): one instance has ``vcpu`` vCPUs and the memory of the largest function
rounded up to a whole GB (at least ``memory_gb``) and runs ``concurrency`` executions at a
time; there are enough instances for the peak concurrency (each function's mean
concurrency, invocations x duration over the month, times its peak factor), and at least
``min_instances``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from polyfn.plan.model import CloudCost, ContainerComparison
from polyfn.plan.prices import Prices
from polyfn.plan.traffic import FunctionTraffic

__all__ = ["CONTAINER_DEFAULTS", "compare_containers", "peak_concurrency"]

MONTH_SECONDS = 730 * 3600
CONTAINER_DEFAULTS: dict[str, float] = {
    "vcpu": 1.0,
    "memory_gb": 2.0,
    "concurrency": 10.0,
    "min_instances": 1.0,
}


def peak_concurrency(traffic: Sequence[FunctionTraffic]) -> float:
    """Executions in flight at the month's peak, over all functions."""
    return sum(
        t.invocations / MONTH_SECONDS * t.duration_ms / 1000 * t.peak_factor for t in traffic
    )


def _hourly(cloud: str, vcpu: float, memory_gb: float, prices: Prices) -> float:
    if cloud == "aws":
        return vcpu * prices.value("containers.aws.vcpu_hour") + memory_gb * prices.value(
            "containers.aws.gb_hour"
        )
    return 3600 * (
        vcpu * prices.value(f"containers.{cloud}.vcpu_second")
        + memory_gb * prices.value(f"containers.{cloud}.gib_second")
    )


def compare_containers(
    costs: Sequence[CloudCost],
    traffic: Sequence[FunctionTraffic],
    events: float,
    prices: Prices,
    settings: Mapping[str, float] | None = None,
) -> list[ContainerComparison]:
    """One comparison per priced cloud; ``events`` is the month's events the handlers see."""
    size = {**CONTAINER_DEFAULTS, **(settings or {})}
    largest_mb = max((t.memory_mb for t in traffic), default=512)
    memory_gb = max(size["memory_gb"], math.ceil(largest_mb / 1024))
    peak = peak_concurrency(traffic)
    instances = max(int(size["min_instances"]), math.ceil(peak / size["concurrency"]))
    out: list[ContainerComparison] = []
    for cost in costs:
        monthly = instances * 730 * _hourly(cost.cloud, size["vcpu"], memory_gb, prices)
        per_event = cost.total / events if events > 0 else 0.0
        crossover = monthly / per_event if per_event > 0 else None
        out.append(
            ContainerComparison(
                cloud=cost.cloud,
                label=str(prices.node(f"containers.{cost.cloud}.label")),
                instances=instances,
                vcpu=size["vcpu"],
                memory_gb=memory_gb,
                peak_concurrency=peak,
                monthly_cost=monthly,
                serverless_cost=cost.total,
                crossover_events_per_month=crossover,
                crossover_per_second=crossover / MONTH_SECONDS if crossover else None,
                unconfirmed_prices=tuple(prices.unconfirmed(f"containers.{cost.cloud}")),
            )
        )
    return out
