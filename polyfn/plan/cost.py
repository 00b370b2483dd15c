"""The monthly cost model: each function's traffic, billed the way each cloud bills it.

Three steps, each a function here:

1. ``workload``: what one cloud actually runs for a function: SQS hands Lambda batches
   (fewer, longer invocations); Cloud Storage cannot filter by prefix/suffix, so every
   object in the bucket invokes the function and polyfn filters inside it.
2. ``usage``: the billed units of that workload after the platform's rounding (Lambda
   1 ms; Azure Consumption 1 ms with a 100 ms minimum and memory rounded up to 128 MB;
   Cloud Run functions 100 ms and the vCPU its memory size comes with). Azure Flex bills
   an instance's active time, at least 1,000 ms a period, so executions that overlap on
   an instance share it (``_flex_active_seconds``). Azure's Premium
   plan bills instances, not executions: a function's units there are the instance time
   its executions take (one at a time on an EP1 instance), of which only what the plan's
   always-on minimum cannot carry is billed on top of that minimum (its baseline).
3. ``price_cloud``: all functions together, because free tiers are per account and AWS
   tiers its GB-second price by the monthly total; each function is then given its
   share, so the per-function lines add up to the total.

Every rate comes from ``prices.json``; nothing is priced in code.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from polyfn.plan.model import CloudCost, FunctionCost
from polyfn.plan.prices import Prices
from polyfn.plan.resource_cost import price_path, resource_costs
from polyfn.plan.traffic import FunctionTraffic

__all__ = [
    "Usage",
    "Workload",
    "azure_plan_key",
    "price_cloud",
    "single_function_cost",
    "usage",
    "workload",
]

PLANS = {"aws": ("lambda",), "azure": ("consumption", "flex", "premium"), "gcp": ("gen2",)}


@dataclass(frozen=True)
class Workload:
    """One function as one cloud runs it: invocations per month and each one's shape."""

    function: str
    invocations: float
    duration_ms: float
    memory_mb: int
    architecture: str
    notes: tuple[str, ...] = ()
    kind: str = ""  # the trigger kind: "http" functions sit behind API Gateway on AWS
    payload_kb: float = 1.0
    log_kb: float = 0.0  # the month's log volume of the function, in KB (events x log_kb)
    provisioned: int = 0  # warm instances the app asks for (provisioned_concurrency)
    # Of ``invocations``, those that end at polyfn's prefix/suffix filter without running
    # the handler (Cloud Storage invokes the function for every object): each is billed
    # the platform's minimum duration, not the handler's.
    filtered_out: float = 0.0


@dataclass(frozen=True)
class Usage:
    billed_ms: float
    billed_memory_mb: float
    requests: float
    meters: dict[str, float]  # billed units other than requests


def azure_plan_key(plan: str) -> str:
    return f"azure.{plan}"


def workload(
    function: str,
    kind: str,
    filtered_objects: bool,
    traffic: FunctionTraffic,
    cloud: str,
    provisioned: int = 0,
) -> Workload:
    """The invocations a cloud performs for ``traffic`` events of a function."""
    invocations = traffic.invocations
    duration = traffic.duration_ms
    filtered_out = 0.0
    notes: list[str] = []
    if kind == "message" and cloud == "aws" and traffic.avg_batch > 1:
        # One Lambda invocation carries avg_batch messages and runs them in turn.
        invocations = traffic.invocations / traffic.avg_batch
        duration = traffic.duration_ms * traffic.avg_batch
        notes.append(f"SQS batches of {traffic.avg_batch:g} messages per invocation")
    if kind == "change" and cloud == "aws" and traffic.avg_batch > 1:
        # A stream batch is one invocation too; Lambda's reads of the stream are free
        # (DynamoDB pricing: "GetRecords API calls invoked by AWS Lambda triggers are
        # free", read 2026-12).
        invocations = traffic.invocations / traffic.avg_batch
        duration = traffic.duration_ms * traffic.avg_batch
        notes.append(f"DynamoDB stream batches of {traffic.avg_batch:g} changes per invocation")
    if kind == "change" and cloud == "gcp":
        notes.append("one invocation per document write (Firestore events are not batched)")
    if kind == "object" and cloud == "gcp" and filtered_objects:
        if traffic.filter_match_ratio is not None:
            invocations = traffic.invocations / traffic.filter_match_ratio
            filtered_out = invocations - traffic.invocations
            notes.append(
                f"every object in the bucket invokes the function; with "
                f"{traffic.filter_match_ratio:.0%} matching, {invocations:,.0f} invocations, "
                f"of which the {filtered_out:,.0f} that do not match end at polyfn's filter "
                "and are billed the minimum duration"
            )
        else:
            notes.append(
                "every object in the bucket invokes the function (the prefix/suffix filter "
                "runs inside it): set filter_match_ratio in the traffic profile to price it"
            )
    return Workload(
        function,
        invocations,
        duration,
        traffic.memory_mb,
        traffic.architecture,
        tuple(notes),
        kind=kind,
        payload_kb=traffic.payload_kb,
        log_kb=traffic.invocations * traffic.log_kb,
        provisioned=provisioned,
        filtered_out=filtered_out,
    )


def _billed_ms(duration_ms: float, granularity: float, minimum: float) -> float:
    if granularity > 0:
        duration_ms = math.ceil(duration_ms / granularity - 1e-9) * granularity
    return max(duration_ms, minimum)


def _gcp_tier(prices: Prices, memory_mb: int) -> tuple[int, float]:
    """The smallest Cloud Run functions memory size that holds ``memory_mb``, and its vCPU."""
    tiers = prices.raw_value("gcp.gen2.memory_vcpu")
    for tier_mb, vcpu in tiers:
        if memory_mb <= tier_mb:
            return int(tier_mb), float(vcpu)
    tier_mb, vcpu = tiers[-1]
    return int(tier_mb), float(vcpu)


def _flex_instance(prices: Prices, memory_mb: int) -> int:
    sizes = prices.raw_value("azure.flex.billing.instance_memory_mb")
    for size in sizes:
        if memory_mb <= size:
            return int(size)
    return int(sizes[-1])


def _on_flex_instance(
    workloads: Sequence[Workload], prices: Prices
) -> tuple[list[Workload], list[str]]:
    """Flex has one instance memory size per function app, the smallest that holds its
    largest function (deploy.azure_arm.flex_instance_memory), and bills that size for
    every execution: each function is priced on it, whatever its own memory, and a note
    says which functions that raises."""
    if not workloads:
        return [], []
    largest = max(workloads, key=lambda work: work.memory_mb)
    size = _flex_instance(prices, largest.memory_mb)
    raised = [w.function for w in workloads if _flex_instance(prices, w.memory_mb) < size]
    notes = (
        [
            f"Flex runs every function of the app on one instance size, {size:,} MB (deploy's "
            f"instanceMemoryMB: the smallest that holds the largest function, "
            f"{largest.function}'s {largest.memory_mb:,} MB), and bills that size: "
            + ", ".join(raised)
            + " would fit a smaller instance in an app of their own"
        ]
        if raised
        else []
    )
    return [replace(work, memory_mb=size) for work in workloads], notes


def _premium_instance(prices: Prices) -> tuple[float, float]:
    """The vCPUs and GB of the Premium instance deploy asks for (EP1)."""
    return (
        prices.value("azure.premium.instance.vcpu"),
        prices.value("azure.premium.instance.memory_gb"),
    )


def usage(cloud: str, plan: str, work: Workload, prices: Prices) -> Usage:
    """Billed units for a month of ``work`` on one cloud and plan."""
    inv = work.invocations
    if cloud == "azure" and plan == "premium":
        # No per-execution rounding: Premium bills instance time by the second. The
        # executions' own instance time, one at a time per instance (an upper bound
        # for handlers that wait on I/O).
        vcpu, memory_gb = _premium_instance(prices)
        hours = inv * work.duration_ms / 1000 / 3600
        return Usage(
            work.duration_ms,
            memory_gb * 1024,
            inv,
            {"vcpu_hours": hours * vcpu, "gb_hours": hours * memory_gb},
        )
    if cloud == "aws":
        billed = _billed_ms(
            work.duration_ms,
            prices.value("aws.billing.granularity_ms"),
            prices.value("aws.billing.minimum_ms"),
        )
        gb_s = inv * billed / 1000 * work.memory_mb / 1024
        return Usage(billed, work.memory_mb, inv, {f"gb_seconds:{work.architecture}": gb_s})
    if cloud == "azure":
        key = azure_plan_key(plan)
        billed = _billed_ms(
            work.duration_ms,
            prices.value(f"{key}.billing.granularity_ms"),
            prices.value(f"{key}.billing.minimum_ms"),
        )
        if plan == "flex":
            memory = float(_flex_instance(prices, work.memory_mb))
            # This function alone; price_cloud shares instances within its scaling group.
            seconds = _flex_active_seconds([(inv, work.duration_ms, billed)], prices)
            return Usage(billed, memory, inv, {"gb_seconds": seconds * memory / 1024})
        step = prices.value(f"{key}.billing.memory_rounding_mb")
        cap = prices.value(f"{key}.billing.memory_max_mb")
        memory = min(cap, math.ceil(work.memory_mb / step) * step)
        gb_s = inv * billed / 1000 * memory / 1024
        return Usage(billed, memory, inv, {"gb_seconds": gb_s})
    if cloud == "gcp":
        granularity = prices.value("gcp.gen2.billing.granularity_ms")
        minimum = prices.value("gcp.gen2.billing.minimum_ms")
        billed = _billed_ms(work.duration_ms, granularity, minimum)
        tier_mb, vcpu = _gcp_tier(prices, work.memory_mb)
        # The handler's runs at its duration; filtered-out ones at the minimum.
        short = _billed_ms(0, granularity, minimum)
        seconds = ((inv - work.filtered_out) * billed + work.filtered_out * short) / 1000
        return Usage(
            billed,
            tier_mb,
            inv,
            {"vcpu_seconds": seconds * vcpu, "gib_seconds": seconds * tier_mb / 1024},
        )
    raise ValueError(f"unknown cloud {cloud!r}")


def _flex_active_seconds(executions: Sequence[tuple[float, float, float]], prices: Prices) -> float:
    """The instance time a month of ``executions`` (count, duration ms, billed ms of each
    function sharing instances) keeps Flex instances active and billed.

    Flex bills the time an instance is executing, at least 1,000 ms a period; executions
    that overlap on one instance share that time ("Estimating consumption-based costs",
    Microsoft Learn, read 2026-12-05). The traffic file gives monthly counts, not arrival
    times, so arrivals are taken as spread at random over the month (Poisson): with each
    execution holding its instance for its billed period ``b``, instances are active for
    the fraction ``1 - exp(-sum(rate * b))`` of the month, the share of time at least one
    period is open. When the executions' own time is more (more than one instance busy at
    once, one execution per instance assumed), that is the figure. Neither is more than
    each execution billed alone, the bound the model used before. Bursty traffic overlaps
    more than random arrivals, so it costs less than this."""
    month_seconds = prices.month_hours * 3600
    alone = sum(count * billed for count, _, billed in executions) / 1000
    if alone <= 0:
        return 0.0
    covered = -math.expm1(-alone / month_seconds) * month_seconds
    busy = sum(count * duration for count, duration, _ in executions) / 1000
    return min(alone, max(covered, busy))


def _flex_group(work: Workload) -> str:
    """The instances a function shares on Flex: HTTP functions scale as one group, blob
    triggers (Event Grid source) as one, Durable Functions (workflow tasks) as one; every
    other function has its own ("Flex Consumption plan hosting", per-function scaling,
    Microsoft Learn, read 2026-12)."""
    return {"http": "http", "object": "blob", "task": "durable"}.get(work.kind, work.function)


@dataclass(frozen=True)
class _FlexGroup:
    """One Flex scaling group: its functions (indices into the workloads), each one's
    (executions, duration ms, billed ms), and the instance time they keep active."""

    members: tuple[int, ...]
    executions: tuple[tuple[float, float, float], ...]
    active_seconds: float


def _flex_groups(
    workloads: Sequence[Workload], usages: Sequence[Usage], prices: Prices
) -> list[_FlexGroup]:
    """The app's Flex scaling groups (``_flex_group``), each with its active instance time
    (``_flex_active_seconds`` over its functions together)."""
    indices: dict[str, list[int]] = {}
    for index, work in enumerate(workloads):
        indices.setdefault(_flex_group(work), []).append(index)
    groups = []
    for members in indices.values():
        executions = tuple(
            (workloads[i].invocations, workloads[i].duration_ms, usages[i].billed_ms)
            for i in members
        )
        groups.append(
            _FlexGroup(tuple(members), executions, _flex_active_seconds(executions, prices))
        )
    return groups


def _flex_shared_instances(usages: Sequence[Usage], groups: Sequence[_FlexGroup]) -> list[Usage]:
    """``usages`` with each group's active instance time shared by its functions in
    proportion to their billed periods."""
    shared = list(usages)
    for group in groups:
        periods = sum(count * billed for count, _, billed in group.executions)
        for i, (count, _, billed) in zip(group.members, group.executions, strict=True):
            share = group.active_seconds * count * billed / periods if periods else 0.0
            use = usages[i]
            shared[i] = replace(
                use, meters={**use.meters, "gb_seconds": share * use.billed_memory_mb / 1024}
            )
    return shared


def _aws_tiered(prices: Prices, architecture: str, gb_seconds: float) -> float:
    """Lambda's GB-second price falls in steps with the month's total per architecture."""
    cost = 0.0
    lower = 0.0
    for tier in prices.node(f"aws.architectures.{architecture}.gb_second_tiers"):
        upper = tier["up_to"]
        in_tier = gb_seconds - lower if upper is None else min(gb_seconds, upper) - lower
        if in_tier <= 0:
            break
        cost += in_tier * float(tier["price"]["value"])
        if upper is None:
            break
        lower = upper
    return cost


def _meter_prices(cloud: str, plan: str, prices: Prices) -> tuple[float, dict[str, str]]:
    """(price per request, meter -> price path) for the flat-priced meters."""
    if cloud == "aws":
        return prices.value("aws.architectures.x86_64.request_per_million") / 1e6, {}
    if cloud == "azure":
        key = azure_plan_key(plan)
        meters = (
            {"vcpu_hours": f"{key}.vcpu_hour", "gb_hours": f"{key}.gb_hour"}
            if plan == "premium"
            else {"gb_seconds": f"{key}.execution_gb_second"}
        )
        return prices.value(f"{key}.executions_per_million") / 1e6, meters
    return (
        prices.value("gcp.gen2.requests_per_million") / 1e6,
        {"vcpu_seconds": "gcp.gen2.vcpu_second", "gib_seconds": "gcp.gen2.gib_second"},
    )


def _free_allowance(cloud: str, plan: str, prices: Prices) -> dict[str, float]:
    """Free units per month by meter name ('requests' and the compute meters)."""
    if cloud == "aws":
        return {
            "requests": prices.value("aws.free_tier.requests"),
            "gb_seconds": prices.value("aws.free_tier.gb_seconds"),
        }
    if cloud == "azure" and plan == "premium":
        return {}  # no free grant on Premium
    if cloud == "azure":
        key = azure_plan_key(plan)
        return {
            "requests": prices.value(f"{key}.free_tier.executions"),
            "gb_seconds": prices.value(f"{key}.free_tier.gb_seconds"),
        }
    return {
        "requests": prices.value("gcp.gen2.free_tier.requests"),
        "vcpu_seconds": prices.value("gcp.gen2.free_tier.vcpu_seconds"),
        "gib_seconds": prices.value("gcp.gen2.free_tier.gib_seconds"),
    }


def _base_meter(meter: str) -> str:
    return meter.partition(":")[0]  # "gb_seconds:arm64" shares the gb_seconds free tier


def _compute_costs(
    cloud: str, plan: str, usages: Sequence[Usage], factors: dict[str, float], prices: Prices
) -> list[float]:
    """Each function's compute cost, after scaling every meter by its billable factor."""
    _, flat = _meter_prices(cloud, plan, prices)
    costs = [0.0] * len(usages)
    if cloud == "aws":
        by_arch: dict[str, float] = {}
        for use in usages:
            for meter, amount in use.meters.items():
                billable = amount * factors[_base_meter(meter)]
                by_arch[meter] = by_arch.get(meter, 0.0) + billable
        for meter, total in by_arch.items():
            arch_cost = _aws_tiered(prices, meter.partition(":")[2], total)
            for index, use in enumerate(usages):
                share = use.meters.get(meter, 0.0) * factors["gb_seconds"]
                if total > 0:
                    costs[index] += arch_cost * share / total
        return costs
    for index, use in enumerate(usages):
        for meter, amount in use.meters.items():
            costs[index] += amount * factors[meter] * prices.value(flat[meter])
    return costs


def _tiered(tiers: Sequence[dict[str, object]], amount: float, unit: float) -> float:
    """A price that falls in steps with the month's total ``amount`` (``unit`` per price)."""
    cost, lower = 0.0, 0.0
    for tier in tiers:
        upper = tier["up_to"]
        top = amount if upper is None else min(amount, float(upper))  # type: ignore[arg-type]
        if top <= lower:
            break
        price = tier["price"]
        assert isinstance(price, dict)
        cost += (top - lower) / unit * float(price["value"])
        if upper is None:
            break
        lower = float(upper)  # type: ignore[arg-type]
    return cost


def _log_costs(
    cloud: str, workloads: Sequence[Workload], prices: Prices
) -> tuple[list[float], list[float]]:
    """Each function's log ingestion, without and with the cloud's free allowance (shared
    out by volume): CloudWatch Logs, Log Analytics (Application Insights), Cloud Logging,
    each in its own unit (GB of 10^9 bytes, or GiB)."""
    unit = prices.value(f"logs.{cloud}.unit_bytes")
    volumes = [work.log_kb * 1000 / unit for work in workloads]
    price = prices.value(f"logs.{cloud}.ingestion_per_unit")
    total = sum(volumes)
    billable = max(0.0, total - prices.value(f"logs.{cloud}.free_units")) / total if total else 0
    return [v * price for v in volumes], [v * price * billable for v in volumes]


_WARM = "provisioned_concurrency.warm_instances"


def _baseline(cloud: str, plan: str, work: Workload, prices: Prices) -> float:
    """What warm instances cost whether used or not, the whole 730-hour month: on AWS,
    provisioned concurrency (GB-seconds configured); on Flex, the always-ready baseline
    (the instance memory of each always-ready instance); on Google Cloud, the minimum
    instances idle between requests (their vCPU and GiB at the idle rates). Consumption
    has no warm instances (deploy warns it ignores them)."""
    if not work.provisioned:
        return 0.0
    seconds = prices.month_hours * 3600
    if cloud == "aws":
        rate = prices.value(f"provisioned_concurrency.{work.architecture}.gb_second")
        return work.provisioned * work.memory_mb / 1024 * seconds * rate
    if cloud == "azure":
        if plan != "flex":
            return 0.0
        instance_gb = _flex_instance(prices, work.memory_mb) / 1024
        rate = prices.value(f"{_WARM}.flex_baseline_gb_second")
        return work.provisioned * instance_gb * seconds * rate
    tier_mb, vcpu = _gcp_tier(prices, work.memory_mb)
    idle = vcpu * prices.value(f"{_WARM}.cloud_run_idle_vcpu_second") + (
        tier_mb / 1024 * prices.value(f"{_WARM}.cloud_run_idle_gib_second")
    )
    return work.provisioned * seconds * idle


def _premium_hourly(prices: Prices) -> float:
    """What one EP1 instance costs an hour: its vCPU and its memory."""
    vcpu, memory_gb = _premium_instance(prices)
    return vcpu * prices.value("azure.premium.vcpu_hour") + memory_gb * prices.value(
        "azure.premium.gb_hour"
    )


def _instance_hours(use: Usage, prices: Prices) -> float:
    """The Premium instance time of one function's executions."""
    return use.meters.get("gb_hours", 0.0) / _premium_instance(prices)[1]


def _premium_scale_out(usages: Sequence[Usage], prices: Prices) -> float:
    """The share of the executions' instance time that the plan's always-on minimum
    cannot carry (the month's mean, one execution per instance), billed on top of it;
    the rest runs on the minimum instances, whose cost is the baseline. Capped at the
    plan's largest scale-out."""
    needed = sum(_instance_hours(use, prices) for use in usages)
    if needed <= 0:
        return 0.0
    minimum = prices.value("azure.premium.billing.minimum_instances")
    ceiling = prices.value("azure.premium.scaling.max_instances")
    extra = min(
        max(0.0, needed - minimum * prices.month_hours), (ceiling - minimum) * prices.month_hours
    )
    return extra / needed


def _baselines(
    cloud: str, plan: str, workloads: Sequence[Workload], prices: Prices, usages: Sequence[Usage]
) -> list[float]:
    """Each function's warm-instance baseline. Flex keeps one always-ready group for all
    HTTP functions (deploy.azure_arm: the largest count asked), so their share of that
    group's cost is split by what each asked for. Premium keeps its minimum instances
    (deploy asks for none above the plan's one) running for the whole app, whatever the
    functions ask: their cost is split by each function's share of the executions'
    instance time (evenly when nothing runs)."""
    if cloud == "azure" and plan == "premium":
        minimum = prices.value("azure.premium.billing.minimum_instances")
        plan_cost = minimum * prices.month_hours * _premium_hourly(prices)
        hours = [_instance_hours(use, prices) for use in usages]
        total = sum(hours)
        if total <= 0:
            return [plan_cost / len(workloads) for _ in workloads] if workloads else []
        return [plan_cost * h / total for h in hours]
    baseline = [_baseline(cloud, plan, work, prices) for work in workloads]
    if cloud == "azure" and plan == "flex":
        http = [i for i, w in enumerate(workloads) if w.kind == "http" and w.provisioned]
        asked = sum(workloads[i].provisioned for i in http)
        group = max((workloads[i].provisioned for i in http), default=0)
        for i in http:
            baseline[i] *= group / asked
    return baseline


def _baseline_unconfirmed(
    cloud: str, plan: str, workloads: Sequence[Workload], prices: Prices
) -> list[str]:
    if cloud == "azure" and plan == "premium":
        return []  # the plan's own vCPU and memory rates, listed with the plan's figures
    if cloud == "aws":
        arches = {w.architecture for w in workloads if w.provisioned}
        return sorted(
            {p for arch in arches for p in prices.unconfirmed(f"provisioned_concurrency.{arch}")}
        )
    names = (
        ["flex_baseline_gb_second"]
        if cloud == "azure"
        else ["cloud_run_idle_vcpu_second", "cloud_run_idle_gib_second"]
    )
    return [p for name in names for p in prices.unconfirmed(f"{_WARM}.{name}")]


def gateway_requests(work: Workload, api: str, prices: Prices) -> float:
    """API Gateway's metered requests for an AWS HTTP function (0 for the others): an HTTP
    API counts each started 512 KB of a request as one more request."""
    if work.kind != "http":
        return 0.0
    if api == "http":
        metered = prices.value("aws.api_gateway.http.metered_kb")
        return work.invocations * max(1, math.ceil(work.payload_kb / metered - 1e-9))
    return work.invocations


def _gateway_costs(workloads: Sequence[Workload], api: str, prices: Prices) -> list[float]:
    """Each HTTP function's share of the app's API Gateway bill (tiers are per account)."""
    requests = [gateway_requests(work, api, prices) for work in workloads]
    total = sum(requests)
    if total == 0:
        return [0.0] * len(workloads)
    bill = _tiered(prices.node(f"aws.api_gateway.{api}.tiers_per_million"), total, 1e6)
    return [bill * r / total for r in requests]


def price_cloud(
    cloud: str,
    plan: str,
    workloads: Sequence[Workload],
    prices: Prices,
    *,
    aws_api: str = "http",
    resources: Sequence[dict[str, float]] | None = None,
) -> CloudCost:
    """The month's bill for all ``workloads`` on one cloud, with and without free tiers.

    On AWS an HTTP function also pays API Gateway (``aws_api``: ``http``, what polyfn
    deploys, or ``rest``); Azure's and Google Cloud's HTTP triggers include the front door.
    ``resources``: each function's queue and bucket meters (``resource_cost``), if known.
    """
    instance_notes: list[str] = []
    if cloud == "azure" and plan == "flex":
        workloads, instance_notes = _on_flex_instance(workloads, prices)
    usages = [usage(cloud, plan, work, prices) for work in workloads]
    flex_groups: list[_FlexGroup] = []
    if cloud == "azure" and plan == "flex":
        flex_groups = _flex_groups(workloads, usages, prices)
        usages = _flex_shared_instances(usages, flex_groups)
    logs, logs_free = _log_costs(cloud, workloads, prices)
    baseline = _baselines(cloud, plan, workloads, prices, usages)
    gateway = (
        _gateway_costs(workloads, aws_api, prices) if cloud == "aws" else [0.0] * len(workloads)
    )
    meters = list(resources) if resources is not None else [{} for _ in workloads]
    stored, stored_free = resource_costs(cloud, meters, prices)
    request_price, _ = _meter_prices(cloud, plan, prices)
    totals: dict[str, float] = {"requests": sum(u.requests for u in usages)}
    per_meter: dict[str, float] = {}
    for use in usages:
        for meter, amount in use.meters.items():
            base = _base_meter(meter)
            totals[base] = totals.get(base, 0.0) + amount
            per_meter[meter] = per_meter.get(meter, 0.0) + amount
    free = _free_allowance(cloud, plan, prices)
    # Premium: only the instance time beyond the always-on minimum is billed as compute.
    billed = _premium_scale_out(usages, prices) if cloud == "azure" and plan == "premium" else 1.0
    no_free = {meter: billed if meter != "requests" else 1.0 for meter in totals}
    with_free = {
        meter: (
            no_free[meter] * max(0.0, total - free.get(meter, 0.0)) / total if total > 0 else 0.0
        )
        for meter, total in totals.items()
    }
    compute = _compute_costs(cloud, plan, usages, no_free, prices)
    compute_free = _compute_costs(cloud, plan, usages, with_free, prices)
    lines: list[FunctionCost] = []
    for index, (work, use) in enumerate(zip(workloads, usages, strict=True)):
        request_cost = use.requests * request_price
        units = {"requests": use.requests, **use.meters}
        if gateway[index]:
            units["api_gateway_requests"] = gateway_requests(work, aws_api, prices)
        lines.append(
            FunctionCost(
                function=work.function,
                cloud=cloud,
                invocations=work.invocations,
                billed_ms=use.billed_ms,
                billed_memory_mb=use.billed_memory_mb,
                units=units,
                request_cost=request_cost,
                compute_cost=compute[index],
                total=request_cost
                + compute[index]
                + gateway[index]
                + logs[index]
                + baseline[index]
                + stored[index],
                # API Gateway's free tier is for new accounts' first year only: not applied.
                total_with_free_tier=(
                    request_cost * with_free["requests"]
                    + compute_free[index]
                    + gateway[index]
                    + logs_free[index]
                    + baseline[index]  # no free tier for warm instances
                    + stored_free[index]
                ),
                gateway_cost=gateway[index],
                logs_cost=logs[index],
                baseline_cost=baseline[index],
                resource_cost=stored[index],
            )
        )
    label_key = (
        "aws" if cloud == "aws" else azure_plan_key(plan) if cloud == "azure" else "gcp.gen2"
    )
    notes = [note for work in workloads for note in (f"{work.function}: {n}" for n in work.notes)]
    notes.extend(instance_notes)
    if cloud == "azure" and plan == "flex":
        notes.extend(_flex_minimum_notes(workloads, flex_groups, prices))
    if cloud == "azure" and plan == "premium":
        notes.extend(_premium_notes(usages, sum(baseline), prices))
    for work in workloads:
        if work.provisioned and cloud == "aws":
            notes.append(
                f"{work.function}: {work.provisioned} provisioned instance(s) all month; its "
                "duration is priced at the on-demand rate (an upper bound: AWS bills duration "
                "on provisioned instances lower)"
            )
        elif work.provisioned and cloud == "azure" and plan == "premium":
            notes.append(
                f"{work.function}: provisioned_concurrency={work.provisioned} is not a Premium "
                "setting (deploy ignores it); the plan's always-on minimum keeps the whole app "
                "warm and is priced as its baseline"
            )
        elif work.provisioned and cloud == "azure" and plan != "flex":
            notes.append(
                f"{work.function}: the {plan} plan has no warm instances; "
                "provisioned_concurrency is not priced here (Flex's always-ready is)"
            )
        elif work.provisioned:
            notes.append(
                f"{work.function}: {work.provisioned} warm instance(s) all month "
                + (
                    "(Flex always-ready baseline; HTTP functions share one group)"
                    if cloud == "azure"
                    else "(minimum instances, at Cloud Run's idle rates between requests)"
                )
            )
    return CloudCost(
        cloud=cloud,
        plan=plan,
        label=str(prices.node(f"{label_key}.label")),
        functions=tuple(lines),
        total=sum(line.total for line in lines),
        total_with_free_tier=sum(line.total_with_free_tier for line in lines),
        notes=tuple(notes),
        unconfirmed_prices=tuple(
            _used_unconfirmed(prices, label_key, per_meter)
            # The other components' unconfirmed figures, when the bill uses them.
            + (prices.unconfirmed(f"logs.{cloud}") if any(logs) else [])
            + (_baseline_unconfirmed(cloud, plan, workloads, prices) if any(baseline) else [])
            + _resource_unconfirmed(cloud, meters, prices)
        ),
    )


def _flex_minimum_notes(
    workloads: Sequence[Workload], groups: Sequence[_FlexGroup], prices: Prices
) -> list[str]:
    """What each Flex scaling group's compute assumes (``_flex_active_seconds``), beside
    the bound of every execution billed alone, so a reader sees how much rests on how the
    executions arrive."""
    minimum = prices.value("azure.flex.billing.minimum_ms")
    notes = []
    for group in groups:
        running = [workloads[i] for i in group.members if workloads[i].invocations]
        if all(work.duration_ms >= minimum for work in running):
            continue  # nothing runs, or no execution is shorter than a billed period
        alone = sum(count * billed for count, _, billed in group.executions) / 1000
        names = ", ".join(work.function for work in running)
        count = sum(work.invocations for work in running)
        notes.append(
            f"{names}: Flex bills an instance's active time, at least {minimum:,.0f} ms a "
            f"period, and executions that overlap on it share that time; with these "
            f"{count:,.0f} executions arriving at random over the month, about "
            f"{group.active_seconds / 3600:,.1f} instance-hours are billed (each execution "
            f"billed alone: {alone / 3600:,.1f}; bursty traffic costs less)"
        )
    return notes


def _premium_notes(usages: Sequence[Usage], baseline: float, prices: Prices) -> list[str]:
    """What the Premium bill is made of: the plan's always-on minimum, and the instance
    time beyond it."""
    vcpu, memory_gb = _premium_instance(prices)
    minimum = prices.value("azure.premium.billing.minimum_instances")
    needed = sum(_instance_hours(use, prices) for use in usages)
    extra = needed * _premium_scale_out(usages, prices)
    return [
        f"Premium plan baseline: {minimum:g} always-on EP1 instance(s) ({vcpu:g} vCPU, "
        f"{memory_gb:g} GB) all {prices.month_hours:g} hours, {_money(baseline)}, billed "
        "whether used or not and shared by the functions by their execution time; no "
        "per-execution charge and no free grant",
        f"the executions take {needed:,.1f} instance-hours at one execution per instance; "
        + (
            f"{extra:,.1f} of them beyond what the minimum carries are billed as extra "
            "instance time"
            if extra
            else "the minimum carries them all, so no instance time is billed beyond it"
        )
        + " (from the month's mean: peaks above it and the pre-warmed buffer instance "
        "Premium adds while scaling out are not priced)",
    ]


def _money(amount: float) -> str:
    return f"${amount:,.2f}"


def _resource_unconfirmed(
    cloud: str, meters: Sequence[dict[str, float]], prices: Prices
) -> list[str]:
    """The unconfirmed queue and storage prices a bill used (a meter with units)."""
    used = {meter for function in meters for meter, amount in function.items() if amount}
    unconfirmed = set(prices.unconfirmed(f"resources.{cloud}"))
    paths = {price_path(cloud, meter) for meter in used}
    return sorted(paths & unconfirmed)


def _used_unconfirmed(prices: Prices, label_key: str, totals: dict[str, float]) -> list[str]:
    """Unconfirmed figures this bill rests on (an AWS price tier only once it is reached)."""
    used: list[str] = []
    for path in prices.unconfirmed(label_key):
        if ".gb_second_tiers[" in path:
            arch = path.split(".")[2]
            index = int(path.partition("[")[2].partition("]")[0])
            tiers = prices.node(f"aws.architectures.{arch}.gb_second_tiers")
            lower = tiers[index - 1]["up_to"] if index > 0 else 0
            if totals.get(f"gb_seconds:{arch}", 0.0) <= lower:
                continue
        used.append(path)
    return used


def single_function_cost(cloud: str, plan: str, work: Workload, prices: Prices) -> float:
    """One function's monthly cost on its own, without free tier (for memory sweeps)."""
    return price_cloud(cloud, plan, [work], prices).total
