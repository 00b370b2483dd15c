"""Memory sweep: the cheapest memory setting per function and cloud, from measurements.

The CSV has one row per measurement, ``function,memory_mb,duration_ms``. More memory
buys more CPU on Lambda and Cloud Run functions, so a CPU-bound function often gets
cheaper as memory grows: at 2048 MB it may finish in half the time it takes at 1024 MB
and cost less. Each point is priced for the function's monthly invocations (from the
traffic profile) on each cloud, without free tiers, and the cheapest point wins.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from polyfn.plan.cost import Workload, single_function_cost
from polyfn.plan.model import PlanInputError, SweepChoice, SweepPoint
from polyfn.plan.prices import Prices
from polyfn.plan.traffic import FunctionTraffic

__all__ = ["Measurement", "load_sweep", "sweep"]

Measurement = tuple[int, float]  # (memory_mb, duration_ms)


def load_sweep(path: Path) -> dict[str, list[Measurement]]:
    """Read ``function,memory_mb,duration_ms`` rows (a header row is required)."""
    try:
        handle = path.open(newline="", encoding="utf-8")
    except OSError as exc:
        raise PlanInputError(f"cannot read {path}: {exc.strerror or exc}") from None
    with handle:
        reader = csv.DictReader(handle)
        expected = ["function", "memory_mb", "duration_ms"]
        header = [name.strip() for name in reader.fieldnames or []]
        if header != expected:
            raise PlanInputError(
                f"{path}: the header must be {','.join(expected)}, got {','.join(header)}"
            )
        result: dict[str, list[Measurement]] = {}
        for row in reader:
            line = reader.line_num
            name = (row.get("function") or "").strip()
            try:
                memory = int((row.get("memory_mb") or "").strip())
                duration = float((row.get("duration_ms") or "").strip())
            except ValueError:
                raise PlanInputError(
                    f"{path} line {line}: memory_mb must be a whole number and duration_ms a number"
                ) from None
            if not name or memory < 128 or duration <= 0:
                raise PlanInputError(
                    f"{path} line {line}: need a function name, memory_mb >= 128 and "
                    "duration_ms > 0"
                )
            result.setdefault(name, []).append((memory, duration))
    if not result:
        raise PlanInputError(f"{path}: no measurements")
    return result


# Azure plans where a function's memory is not a choice that changes the bill.
_NO_MEMORY_SETTING = {
    "consumption": "Consumption bills the memory a function uses, not a setting; "
    "use Flex Consumption to choose an instance size",
    "premium": "Premium bills its EP1 instances whatever memory a function is given; "
    "use Flex Consumption to choose an instance size",
}


def sweep(
    measurements: Mapping[str, Sequence[Measurement]],
    clouds: Sequence[str],
    azure_plan: str,
    traffic_of: Callable[[str], FunctionTraffic],
    known_functions: Sequence[str],
    prices: Prices,
) -> list[SweepChoice]:
    unknown = sorted(set(measurements) - set(known_functions))
    if unknown:
        raise PlanInputError(f"memory sweep names function(s) the app lacks: {', '.join(unknown)}")
    choices: list[SweepChoice] = []
    for name, points in measurements.items():
        traffic = traffic_of(name)
        for cloud in clouds:
            plan = {"aws": "lambda", "azure": azure_plan, "gcp": "gen2"}[cloud]
            priced = tuple(
                SweepPoint(
                    memory,
                    duration,
                    single_function_cost(
                        cloud,
                        plan,
                        Workload(name, traffic.invocations, duration, memory, traffic.architecture),
                        prices,
                    ),
                )
                for memory, duration in sorted(points)
            )
            if cloud == "azure" and plan in _NO_MEMORY_SETTING:
                choices.append(SweepChoice(name, cloud, None, priced, _NO_MEMORY_SETTING[plan]))
                continue
            best = min(priced, key=lambda point: (point.monthly_cost, point.memory_mb))
            smallest = priced[0]
            note = f"{best.memory_mb} MB costs ${best.monthly_cost:,.2f}/month"
            if best.memory_mb != smallest.memory_mb and smallest.monthly_cost > 0:
                saving = 1 - best.monthly_cost / smallest.monthly_cost
                note += (
                    f", {saving:.0%} less than {smallest.memory_mb} MB "
                    f"(${smallest.monthly_cost:,.2f}) because it runs "
                    f"{smallest.duration_ms / best.duration_ms:.1f}x faster"
                )
            choices.append(SweepChoice(name, cloud, best.memory_mb, priced, note))
    return choices
