"""Peak concurrency a traffic profile implies, against each cloud's scaling ceiling.

Concurrency is rate x duration (Little's law): 100 requests a second that each take
200 ms keep 20 executions busy. The profile gives a month's events, so the mean rate is
events / seconds in a month, and the peak is that times the profile's peak factor.
Lambda's ceiling is per account and region (all functions share it), Azure's is per
function app (instances), Cloud Run functions' is per function (instances x concurrency).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from polyfn.plan.cost import azure_plan_key
from polyfn.plan.model import ConcurrencyCheck
from polyfn.plan.prices import Prices
from polyfn.plan.traffic import FunctionTraffic

__all__ = ["check_concurrency", "peak_concurrency"]


def peak_concurrency(traffic: FunctionTraffic, month_hours: float) -> float:
    mean_rate = traffic.invocations / (month_hours * 3600)
    return mean_rate * traffic.peak_factor * traffic.duration_ms / 1000


def check_concurrency(
    clouds: Sequence[str],
    azure_plan: str,
    traffic: Sequence[tuple[str, FunctionTraffic]],
    prices: Prices,
    declared: Mapping[str, int] | None = None,
) -> list[ConcurrencyCheck]:
    """``declared``: the functions' ``concurrency=`` (requests per instance), which deploy
    gives Cloud Run as ``--concurrency``; the others run the platform's default."""
    declared = declared or {}
    peaks = {name: peak_concurrency(t, prices.month_hours) for name, t in traffic}
    total = sum(peaks.values())
    checks: list[ConcurrencyCheck] = []
    for cloud in clouds:
        if cloud == "aws":
            limit = prices.value("aws.scaling.account_concurrency")
            over = total > limit
            checks.append(
                ConcurrencyCheck(
                    cloud="aws",
                    scope="account",
                    peak_concurrency=total,
                    limit=limit,
                    level="warn" if over else "pass",
                    message=(
                        f"all functions together need about {total:,.2f} concurrent executions "
                        f"at peak; the account's default is {limit:,.0f} per region"
                        + (
                            " - request a quota increase before moving, or requests are "
                            "throttled (429)"
                            if over
                            else ""
                        )
                    ),
                    source=prices.source("aws.scaling.account_concurrency"),
                )
            )
        elif cloud == "azure":
            key = azure_plan_key(azure_plan)
            limit = prices.value(f"{key}.scaling.max_instances")
            over = total > limit
            checks.append(
                ConcurrencyCheck(
                    cloud="azure",
                    scope="app",
                    peak_concurrency=total,
                    limit=limit,
                    level="warn" if over else "pass",
                    message=(
                        f"the function app needs about {total:,.2f} concurrent executions at "
                        f"peak; {azure_plan.capitalize()} scales to {limit:,.0f} instances"
                        + (
                            ", so each instance must run several executions at once (tune "
                            "the worker's concurrency) or the app falls behind"
                            if over
                            else ""
                        )
                    ),
                    source=prices.source(f"{key}.scaling.max_instances"),
                )
            )
        elif cloud == "gcp":
            instances = prices.value("gcp.gen2.scaling.max_instances_default")
            default = prices.value("gcp.gen2.scaling.concurrency_default")
            limits = {name: instances * declared.get(name, default) for name in peaks}
            exceeded = {name: peak for name, peak in peaks.items() if peak > limits[name]}
            shown = exceeded or (
                {max(peaks, key=peaks.__getitem__): max(peaks.values())} if peaks else {}
            )
            for name, peak in shown.items():
                scope = name if exceeded else "each function"
                per_instance = declared.get(name, default)
                limit = instances * per_instance
                checks.append(
                    ConcurrencyCheck(
                        cloud="gcp",
                        scope=scope,
                        peak_concurrency=peak,
                        limit=limit,
                        level="warn" if exceeded else "pass",
                        message=(
                            f"{name} needs about {peak:,.2f} concurrent executions at peak"
                            + ("" if exceeded else " (the busiest function)")
                            + f"; by default a function runs {instances:,.0f} instances of "
                            f"{per_instance:g} request(s) each"
                            + (" (its concurrency=)" if name in declared else "")
                            + (
                                " - raise --max-instances or set --concurrency, or requests "
                                "are rejected (429)"
                                if exceeded
                                else ""
                            )
                        ),
                        source=prices.source("gcp.gen2.scaling.max_instances_default"),
                    )
                )
    return checks
