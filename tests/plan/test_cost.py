"""The cost model against hand-computed bills from the published prices in prices.json.

Every expected figure below is worked out by hand from the rates the price file cites
(AWS Lambda us-east-1, Azure Functions East US, Cloud Run functions Tier 1), so a change
to the model or the file that moves a bill shows up here.
"""

from __future__ import annotations

import math

import pytest

from polyfn.plan.concurrency import check_concurrency, peak_concurrency
from polyfn.plan.cost import Workload, price_cloud, usage, workload
from polyfn.plan.model import PlanInputError
from polyfn.plan.prices import load_prices
from polyfn.plan.sweep import sweep
from polyfn.plan.traffic import TrafficProfile

PRICES = load_prices()


def work(inv: float, ms: float, mb: int, arch: str = "x86_64", name: str = "f") -> Workload:
    return Workload(name, inv, ms, mb, arch)


def test_aws_x86_with_and_without_free_tier() -> None:
    # 2M requests x 120 ms x 0.5 GB = 120,000 GB-s; x $0.0000166667 = $2.000004
    # requests: 2 x $0.20 = $0.40. Free tier: 1M requests and 400,000 GB-s.
    bill = price_cloud("aws", "lambda", [work(2_000_000, 120, 512)], PRICES)
    assert bill.total == pytest.approx(2.400004, abs=1e-9)
    assert bill.total_with_free_tier == pytest.approx(0.20, abs=1e-9)
    line = bill.functions[0]
    assert line.units["gb_seconds:x86_64"] == pytest.approx(120_000)
    assert line.billed_ms == 120


def test_aws_arm64_is_priced_lower() -> None:
    # 10M x 250 ms x 1 GB = 2,500,000 GB-s x $0.0000133334 = $33.3335; requests $2.00.
    # Free tier: 2,100,000 GB-s -> $28.00014; 9M requests -> $1.80.
    bill = price_cloud("aws", "lambda", [work(10_000_000, 250, 1024, "arm64")], PRICES)
    assert bill.total == pytest.approx(35.3335, abs=1e-6)
    assert bill.total_with_free_tier == pytest.approx(29.80014, abs=1e-6)
    x86 = price_cloud("aws", "lambda", [work(10_000_000, 250, 1024)], PRICES)
    assert x86.total == pytest.approx(2.0 + 2_500_000 * 0.0000166667, abs=1e-6)


def test_aws_bills_each_started_millisecond() -> None:
    use = usage("aws", "lambda", work(1000, 10.2, 128), PRICES)
    assert use.billed_ms == 11


def test_aws_free_tier_is_shared_by_both_architectures() -> None:
    # 300,000 GB-s on each: 400,000 free leaves a third of each billable.
    x86 = work(1_000_000, 300, 1024, "x86_64", "a")
    arm = work(1_000_000, 300, 1024, "arm64", "b")
    bill = price_cloud("aws", "lambda", [x86, arm], PRICES)
    compute = 100_000 * 0.0000166667 + 100_000 * 0.0000133334
    assert bill.total_with_free_tier == pytest.approx(compute + 1_000_000 * 0.2 / 1e6, abs=1e-6)
    assert sum(f.total_with_free_tier for f in bill.functions) == pytest.approx(
        bill.total_with_free_tier
    )


def test_aws_tiers_apply_to_the_monthly_total() -> None:
    # 7 billion GB-s on x86: 6e9 at $0.0000166667 + 1e9 at $0.000015.
    bill = price_cloud("aws", "lambda", [work(7_000_000_000, 1000, 1024)], PRICES)
    compute = bill.functions[0].compute_cost
    assert compute == pytest.approx(6e9 * 0.0000166667 + 1e9 * 0.000015, rel=1e-12)


def test_azure_consumption_matches_the_published_example() -> None:
    # 3M executions of 1 s at 1.5 GB: 4,500,000 GB-s. Free: 400,000 GB-s, 1M executions.
    # (4,100,000 x $0.000016) + (2 x $0.20) = $65.60 + $0.40 = $66.00
    bill = price_cloud("azure", "consumption", [work(3_000_000, 1000, 1536)], PRICES)
    assert bill.total_with_free_tier == pytest.approx(66.00, abs=1e-9)
    assert bill.total == pytest.approx(72.0 + 0.6, abs=1e-9)


def test_azure_consumption_rounds_memory_up_and_bills_100_ms_at_least() -> None:
    # 20 ms bills as 100 ms, 200 MB as 256 MB: 1M x 0.1 s x 0.25 GB = 25,000 GB-s = $0.40.
    use = usage("azure", "consumption", work(1_000_000, 20, 200), PRICES)
    assert (use.billed_ms, use.billed_memory_mb) == (100, 256)
    bill = price_cloud("azure", "consumption", [work(1_000_000, 20, 200)], PRICES)
    assert bill.total == pytest.approx(0.40 + 0.20, abs=1e-9)
    # Memory is capped at the plan's 1,536 MB.
    assert usage("azure", "consumption", work(1, 1, 3000), PRICES).billed_memory_mb == 1536


def test_azure_flex_bills_the_instance_size_for_its_active_time() -> None:
    # 700 MB runs on a 2,048 MB instance, and a 200 ms execution holds it for Flex's
    # 1,000 ms minimum period. 1M executions at random over 730 h (2,628,000 s) overlap:
    # an instance is active 1 - exp(-1,000,000 / 2,628,000 x 1 s) = 1 - 0.683508 of the
    # month, 831,742 s (each execution billed alone: 1,000,000 s; their own time, 200,000
    # s, fits one instance). 831,742 s x 2 GB x $0.000026 = $43.25.
    bill = price_cloud("azure", "flex", [work(1_000_000, 200, 700)], PRICES)
    line = bill.functions[0]
    assert (line.billed_ms, line.billed_memory_mb) == (1000, 2048)
    active = (1 - math.exp(-1_000_000 / 2_628_000)) * 2_628_000
    assert active == pytest.approx(831_742.03)
    assert line.units["gb_seconds"] == pytest.approx(active * 2)
    assert line.compute_cost == pytest.approx(active * 2 * 0.000026)
    # The note gives the instance-hours billed beside the each-alone bound.
    (note,) = bill.notes
    assert "about 231.0 instance-hours are billed" in note
    assert "each execution billed alone: 277.8" in note
    # Rare executions hardly overlap: 1,000 a month are billed about 1,000 s, each alone.
    rare = usage("azure", "flex", work(1_000, 200, 700), PRICES)
    assert rare.meters["gb_seconds"] == pytest.approx(1_000 * 2, rel=1e-3)
    # Past the instance's capacity the executions' own time counts: 10M x 2 s on one
    # instance at a time is 20M s, more than the month.
    busy = usage("azure", "flex", work(10_000_000, 2_000, 700), PRICES)
    assert busy.meters["gb_seconds"] == pytest.approx(20_000_000 * 2)
    # Past the minimum, Flex rounds up to the next 100 ms: 1,234 ms is billed as 1,300 ms.
    assert usage("azure", "flex", work(1, 1234, 512), PRICES).billed_ms == 1300
    # Flex's execution price and free grants are still marked unconfirmed; its billing
    # granularity is not.
    assert "azure.flex.executions_per_million" in bill.unconfirmed_prices
    assert not any("billing" in path for path in bill.unconfirmed_prices)


def test_azure_flex_bills_every_function_on_the_apps_one_instance_size_by_hand() -> None:
    # deploy gives a Flex app one instanceMemoryMB, the smallest size that holds its
    # largest function: 1,024 MB -> 2,048 MB, so the 256 MB function is billed 2 GB too.
    # small: 100,000 executions of 1 s periods over 2,628,000 s: (1 - exp(-100,000 /
    # 2,628,000)) x 2,628,000 = 98,121.3 s x 2 GB; big: 10,000 -> 9,981.0 s x 2 GB;
    # 216,204.6 GB-s x $0.000026 = $5.6213, plus 110,000 executions x $0.40 / 1e6 =
    # $0.044. Free grants: 100,000 GB-s and 250,000 executions.
    small, big = work(100_000, 200, 256, name="small"), work(10_000, 500, 1024, name="big")
    bill = price_cloud("azure", "flex", [small, big], PRICES)
    assert [line.billed_memory_mb for line in bill.functions] == [2048, 2048]

    def active(n: int) -> float:
        return (1 - math.exp(-n / 2_628_000)) * 2_628_000

    gb_seconds = (active(100_000) + active(10_000)) * 2
    assert gb_seconds == pytest.approx(216_204.63, abs=0.01)
    assert bill.functions[0].compute_cost == pytest.approx(active(100_000) * 2 * 0.000026)
    assert bill.total == pytest.approx(gb_seconds * 0.000026 + 0.044)
    assert bill.total_with_free_tier == pytest.approx((gb_seconds - 100_000) * 0.000026)
    assert any("one instance size, 2,048 MB" in n and "big's 1,024 MB" in n for n in bill.notes)
    # Alone in its app, the small function runs on 512 MB.
    alone = price_cloud("azure", "flex", [small], PRICES)
    assert alone.functions[0].billed_memory_mb == 512
    assert not any("one instance size" in n for n in alone.notes)


def test_gcp_gen2_with_and_without_free_tier() -> None:
    # 10M x 200 ms at 512 MiB (0.333 vCPU): 666,000 vCPU-s and 1,000,000 GiB-s.
    # $15.984 + $2.50 + 10 x $0.40 = $22.484. Free: 180,000 vCPU-s, 360,000 GiB-s, 2M requests:
    # 486,000 x $0.000024 + 640,000 x $0.0000025 + 8 x $0.40 = $11.664 + $1.60 + $3.20.
    bill = price_cloud("gcp", "gen2", [work(10_000_000, 200, 512)], PRICES)
    assert bill.total == pytest.approx(22.484, abs=1e-6)
    assert bill.total_with_free_tier == pytest.approx(16.464, abs=1e-6)


def test_gcp_rounds_to_100_ms_and_to_the_next_memory_size() -> None:
    use = usage("gcp", "gen2", work(1, 150, 1536), PRICES)
    assert use.billed_ms == 200
    assert use.billed_memory_mb == 2048
    assert use.meters["vcpu_seconds"] == pytest.approx(0.2 * 1)


def test_an_object_cloud_storage_sends_past_the_filter_is_billed_the_minimum_by_hand() -> None:
    profile = TrafficProfile(
        {
            "functions": {
                "thumb": {
                    "invocations": 250_000,
                    "duration_ms": 850,
                    "memory_mb": 1024,
                    "filter_match_ratio": 0.5,
                }
            }
        }
    )
    traffic = profile.for_function("thumb")
    # Cloud Storage invokes the function for all 500,000 objects; the 250,000 that miss
    # the prefix/suffix end at polyfn's filter before the handler runs.
    gcp = workload("thumb", "object", True, traffic, "gcp")
    assert gcp.invocations == 500_000 and gcp.filtered_out == 250_000
    # 250,000 x 0.9 s (850 ms in 100 ms steps) + 250,000 x 0.1 s (the minimum) = 250,000 s;
    # at 1 GiB: 0.583 vCPU -> 145,750 vCPU-s and 250,000 GiB-s (not 262,350 and 450,000,
    # as if every invocation ran the handler).
    use = usage("gcp", "gen2", gcp, PRICES)
    assert use.meters == {
        "vcpu_seconds": pytest.approx(145_750),
        "gib_seconds": pytest.approx(250_000),
    }
    assert use.billed_ms == 900  # the handler's runs
    # S3 and Event Grid filter before invoking: nothing is filtered out there.
    aws = workload("thumb", "object", True, traffic, "aws")
    assert aws.invocations == 250_000 and aws.filtered_out == 0


def test_memory_sweep_finds_that_more_memory_can_cost_less() -> None:
    traffic = TrafficProfile({"defaults": {"invocations": 1_000_000}})
    choices = sweep(
        {"resize": [(1024, 2000.0), (2048, 900.0)]},
        ["aws", "azure", "gcp"],
        "consumption",
        lambda name: traffic.for_function(name),
        ["resize"],
        PRICES,
    )
    by_cloud = {c.cloud: c for c in choices}
    # AWS: 1024 MB -> 2,000,000 GB-s ($33.33); 2048 MB -> 1,800,000 GB-s ($30.00).
    assert by_cloud["aws"].best_memory_mb == 2048
    assert by_cloud["aws"].points[0].monthly_cost == pytest.approx(0.2 + 2e6 * 0.0000166667)
    assert by_cloud["aws"].points[1].monthly_cost == pytest.approx(0.2 + 1.8e6 * 0.0000166667)
    # GCP: 1 GiB has 0.583 vCPU, 2 GiB a whole one, so 2 GiB wins too.
    assert by_cloud["gcp"].best_memory_mb == 2048
    assert by_cloud["gcp"].points[1].monthly_cost == pytest.approx(0.4 + 21.6 + 4.5)
    # Consumption bills observed memory: no setting to choose.
    assert by_cloud["azure"].best_memory_mb is None
    # Nor on Premium, which bills its EP1 instances whatever memory a function is given.
    (premium,) = sweep(
        {"resize": [(1024, 2000.0), (2048, 900.0)]},
        ["azure"],
        "premium",
        lambda name: traffic.for_function(name),
        ["resize"],
        PRICES,
    )
    assert premium.best_memory_mb is None and "EP1" in premium.note


def test_the_azure_plan_is_one_deploy_builds() -> None:
    assert TrafficProfile({"azure_plan": "premium"}).azure_plan == "premium"
    with pytest.raises(PlanInputError, match="flex, consumption, premium, got 'dedicated'"):
        TrafficProfile({"azure_plan": "dedicated"})


def test_peak_concurrency_warns_over_the_lambda_account_limit() -> None:
    # 2e9 events a month at 1 s, peak 2x mean: 2e9 / (730 x 3600) x 2 = 1,522 concurrent.
    profile = TrafficProfile(
        {"peak_factor": 2, "defaults": {"invocations": 2_000_000_000, "duration_ms": 1000}}
    )
    traffic = [("busy", profile.for_function("busy"))]
    assert peak_concurrency(traffic[0][1], 730) == pytest.approx(2e9 / (730 * 3600) * 2)
    checks = {
        c.cloud: c
        for c in check_concurrency(["aws", "azure", "gcp"], "consumption", traffic, PRICES)
    }
    assert checks["aws"].level == "warn" and checks["aws"].limit == 1000
    assert checks["azure"].level == "warn" and checks["azure"].limit == 200
    assert checks["gcp"].level == "warn" and checks["gcp"].scope == "busy"
    quiet = TrafficProfile({"defaults": {"invocations": 1000}})
    calm = check_concurrency(["aws"], "consumption", [("x", quiet.for_function("x"))], PRICES)
    assert calm[0].level == "pass"
    # With concurrency=16 (deploy's --concurrency 16), 100 instances x 16 = 1,600 >= 1,522.
    (declared,) = check_concurrency(["gcp"], "flex", traffic, PRICES, {"busy": 16})
    assert declared.level == "pass" and declared.limit == 1600
    assert "(its concurrency=)" in declared.message


def _figure(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {"value": 1.0, "source": "https://example.test/p", "read": "2026-12"}
    return {**base, **fields}


@pytest.mark.parametrize(
    ("figure", "complaint"),
    [
        (_figure(), "has no confirmed"),
        (_figure(confirmed="yes"), "has no confirmed"),
        (_figure(confirmed=False), "has no note saying what was looked for"),
        (_figure(source="", confirmed=True), "has no source"),
        (_figure(read="", confirmed=True), "has no read"),
    ],
)
def test_a_price_figure_must_say_where_it_came_from(
    figure: dict[str, object], complaint: str
) -> None:
    from polyfn.plan.model import PlanInputError
    from polyfn.plan.prices import Prices

    with pytest.raises(PlanInputError, match=complaint):
        Prices({"schema_version": 1, "aws": {"rate": figure}})
    # Stated fully, the same figure loads and an unconfirmed one is listed by path.
    loaded = Prices(
        {"schema_version": 1, "aws": {"rate": _figure(confirmed=False, note="looked for X")}}
    )
    assert loaded.unconfirmed("aws") == ["aws.rate"]


def test_the_shipped_prices_pass_the_checks_with_flex_billing_confirmed() -> None:
    from polyfn.plan.prices import Prices

    Prices(PRICES.document)  # every figure sourced, dated, and noted when unconfirmed
    # Flex's billing granularity, read on Microsoft Learn 2026-12-05: at least 1,000 ms per
    # billable period, then up to the next 100 ms.
    assert PRICES.value("azure.flex.billing.minimum_ms") == 1000
    assert PRICES.value("azure.flex.billing.granularity_ms") == 100
    assert PRICES.unconfirmed("azure.flex.billing") == []
    assert PRICES.unconfirmed("azure.consumption.billing") == []
