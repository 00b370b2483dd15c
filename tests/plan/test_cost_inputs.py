"""What the cost model is fed when the traffic profile is silent: the memory deploy gives
the function, and a schedule's real number of runs; recomputed here by hand."""

from __future__ import annotations

import math
import re

import pytest

from polyfn import App
from polyfn.core.schedule import parse_schedule
from polyfn.plan.model import CloudCost, Plan
from polyfn.plan.planner import PlanInputs, build_plan
from polyfn.plan.schedule_runs import runs_per_month
from polyfn.plan.traffic import TrafficProfile


@pytest.mark.parametrize(
    ("expression", "runs"),
    [
        ("rate(5 minutes)", 730 * 12),  # 730 h x 12 an hour
        ("rate(1 day)", 730 / 24),  # 30.42
        ("0 3 * * *", 365 / 12),  # a year of days over twelve months
        ("30 6 * * MON-FRI", 261 / 12),  # 2026 has 261 weekdays
        ("0 0 1 * *", 1),
        ("*/30 * * * *", 365 * 48 / 12),
    ],
)
def test_a_schedule_runs_as_often_as_its_expression_says(expression: str, runs: float) -> None:
    assert runs_per_month(parse_schedule(expression)) == pytest.approx(runs)


def _app() -> App:
    app = App("costed")

    @app.schedule("0 3 * * *")
    def nightly(tick: object) -> None:
        return None

    @app.get("/a")
    def plain(req: object) -> None:
        return None

    @app.get("/b", memory=1024)
    def declared(req: object) -> None:
        return None

    return app


def test_a_daily_job_is_priced_at_thirty_runs_and_deploy_memory_by_hand() -> None:
    plan = build_plan(PlanInputs(app=_app(), clouds=("aws",), traffic=TrafficProfile()))
    lines = {line.function: line for line in plan.costs[0].functions}
    nightly = lines["nightly"]
    assert nightly.invocations == pytest.approx(365 / 12)  # not the 100,000 default
    # No memory declared: 512 MB, what deploy configures (was 256 MB).
    assert nightly.billed_memory_mb == 512 == lines["plain"].billed_memory_mb
    assert lines["declared"].billed_memory_mb == 1024
    # By hand (prices.json 2026-11-27, x86_64, no free tier): 30.4167 runs x 0.1 s x
    # 0.5 GB = 1.52083 GB-s x $0.0000166667 = $0.0000253473, plus 30.4167 requests x
    # $0.20 / 1e6 = $0.0000060833.
    assert nightly.compute_cost == pytest.approx(1.520833 * 0.0000166667, rel=1e-4)
    assert nightly.request_cost == pytest.approx(30.416667 * 0.2 / 1e6, rel=1e-6)
    # Logs: 30.4167 events x 1 KB = 0.0000304167 GB x $0.50 = $0.0000152083.
    assert nightly.logs_cost == pytest.approx(0.0000152083, rel=1e-4)
    assert nightly.total == pytest.approx(0.0000314306 + 0.0000152083, rel=1e-4)


def test_the_profile_still_wins_over_what_the_app_implies() -> None:
    profile = TrafficProfile(
        {
            "defaults": {"memory_mb": 2048},
            "functions": {"nightly": {"invocations": 10}},
        }
    )
    plan = build_plan(PlanInputs(app=_app(), clouds=("aws",), traffic=profile))
    lines = {line.function: line for line in plan.costs[0].functions}
    assert lines["nightly"].invocations == 10
    assert lines["plain"].billed_memory_mb == 2048
    assert lines["declared"].billed_memory_mb == 1024  # declared beats profile defaults


def _http_app() -> App:
    app = App("fronted")

    @app.get("/a")
    def front(req: object) -> None:
        return None

    @app.schedule("rate(1 hour)")
    def tick(t: object) -> None:
        return None

    return app


def _gateway(profile: dict[str, object], cloud: str = "aws") -> dict[str, float]:
    plan = build_plan(PlanInputs(app=_http_app(), clouds=(cloud,), traffic=TrafficProfile(profile)))
    return {line.function: line.gateway_cost for line in plan.costs[0].functions}


def test_api_gateway_is_priced_in_front_of_aws_http_functions_by_hand() -> None:
    # 3 million requests of 1 KB on an HTTP API: 3 x $1.00 per million (prices.json,
    # read 2026-12-04); the schedule pays no gateway.
    assert _gateway({"functions": {"front": {"invocations": 3_000_000}}}) == pytest.approx(
        {"front": 3.00, "tick": 0.0}
    )
    # A 600 KB request is metered as two 512 KB requests.
    big = {"functions": {"front": {"invocations": 3_000_000, "payload_kb": 600}}}
    assert _gateway(big)["front"] == pytest.approx(6.00)
    # The same traffic on a REST API: 3 x $3.50.
    rest = {"aws_api": "rest", "functions": {"front": {"invocations": 3_000_000}}}
    assert _gateway(rest)["front"] == pytest.approx(10.50)
    # Tiers: 400 million = 300 x $1.00 + 100 x $0.90 = $390.
    many = {"functions": {"front": {"invocations": 400_000_000}}}
    assert _gateway(many)["front"] == pytest.approx(390.0)
    # Azure's and Google Cloud's HTTP triggers include their front door.
    assert _gateway({}, "azure") == {"front": 0.0, "tick": 0.0}
    assert _gateway({}, "gcp") == {"front": 0.0, "tick": 0.0}


def test_the_gateway_is_part_of_the_function_total() -> None:
    profile = TrafficProfile({"functions": {"front": {"invocations": 3_000_000}}})
    plan = build_plan(PlanInputs(app=_http_app(), clouds=("aws",), traffic=profile))
    front = next(line for line in plan.costs[0].functions if line.function == "front")
    # 3 million events x 1 KB of log = 3 GB x $0.50 = $1.50 of CloudWatch Logs.
    assert front.logs_cost == pytest.approx(1.50)
    assert front.total == pytest.approx(front.request_cost + front.compute_cost + 3.00 + 1.50)
    assert front.units["api_gateway_requests"] == 3_000_000


def test_the_always_on_container_comparison_by_hand() -> None:
    profile = TrafficProfile(
        {
            # One event a second on average (2,628,000 in 730 h), half a second each, four
            # times the mean at peak: 1 x 0.5 x 4 = 2 executions in flight.
            "functions": {
                "front": {"invocations": 2_628_000, "duration_ms": 500, "peak_factor": 4},
                "tick": {"invocations": 0},
            },
            "container": {"vcpu": 0.5, "memory_gb": 1, "concurrency": 1, "min_instances": 1},
        }
    )
    plan = build_plan(PlanInputs(app=_http_app(), clouds=("aws", "azure", "gcp"), traffic=profile))
    by_cloud = {c.cloud: c for c in plan.containers}
    aws = by_cloud["aws"]
    assert aws.peak_concurrency == pytest.approx(2.0)
    assert aws.instances == 2 and aws.memory_gb == 1  # 512 MB rounds up to 1 GB
    # Fargate: 2 x 730 h x (0.5 x $0.04048 + 1 x $0.004445) = $36.0401.
    assert aws.monthly_cost == pytest.approx(36.0401)
    # Container Apps: 2 x 730 x 3600 x (0.5 x $0.000024 + $0.000003) = $78.84.
    assert by_cloud["azure"].monthly_cost == pytest.approx(78.84)
    # Cloud Run: 2 x 730 x 3600 x (0.5 x $0.000018 + $0.000002) = $57.816.
    assert by_cloud["gcp"].monthly_cost == pytest.approx(57.816)
    # The crossover: the event count at which the serverless bill, linear in events,
    # reaches the container's.
    serverless = {c.cloud: c.total for c in plan.costs}
    assert aws.serverless_cost == serverless["aws"]
    events = 2_628_000
    assert aws.crossover_events_per_month == pytest.approx(36.0401 / (serverless["aws"] / events))
    assert aws.crossover_per_second == pytest.approx(aws.crossover_events_per_month / 2_628_000)


def test_log_ingestion_at_the_stated_volume_by_hand() -> None:
    # 1 million scheduled runs (no API Gateway) writing 20 KB each: 20 GB (10^9 bytes) of
    # logs; requests and compute stay inside every free tier, so what the free-tier total
    # keeps is the logs' billable part alone (on Azure's Consumption plan, whose free
    # executions cover the million; Flex's do not).
    profile = TrafficProfile(
        {
            "azure_plan": "consumption",
            "functions": {
                "front": {"invocations": 0},
                "tick": {"invocations": 1_000_000, "log_kb": 20},
            },
        }
    )
    plan = build_plan(PlanInputs(app=_http_app(), clouds=("aws", "azure", "gcp"), traffic=profile))
    tick = {
        c.cloud: next(line for line in c.functions if line.function == "tick") for c in plan.costs
    }
    # CloudWatch Logs: 20 x $0.50 = $10.00; past the 5 GB free: 15 x $0.50 = $7.50.
    assert tick["aws"].logs_cost == pytest.approx(10.00)
    assert tick["aws"].total_with_free_tier == pytest.approx(7.50)
    # Log Analytics: 20 x $2.30 = $46.00; past 5 GB free: 15 x $2.30 = $34.50.
    assert tick["azure"].logs_cost == pytest.approx(46.00)
    assert tick["azure"].total_with_free_tier == pytest.approx(34.50)
    # Cloud Logging bills GiB: 20e9 / 2^30 = 18.6265 GiB x $0.50 = $9.3132, all inside
    # the 50 GiB free.
    assert tick["gcp"].logs_cost == pytest.approx(20e9 / 2**30 * 0.5)
    assert tick["gcp"].total_with_free_tier == pytest.approx(0.0)


def test_the_html_chart_shows_each_clouds_cost_by_component() -> None:
    from polyfn.plan.report_html import component_chart_svg, component_costs, render_html

    profile = TrafficProfile({"functions": {"front": {"invocations": 3_000_000}}})
    plan = build_plan(PlanInputs(app=_http_app(), clouds=("aws", "gcp"), traffic=profile))
    aws, gcp = plan.costs
    parts = component_costs(aws)
    assert parts["API Gateway"] == pytest.approx(3.00)  # by hand, above
    assert sum(parts.values()) == pytest.approx(aws.total)
    assert component_costs(gcp)["API Gateway"] == 0.0
    svg = component_chart_svg(plan.costs)
    assert "AWS API Gateway: $3.00</title>" in svg
    # six stacked parts per cloud (some of zero height), six legend keys
    assert svg.count("<rect") == 2 * 6 + 6
    assert max(float(x) for x in re.findall(r'<rect x="([\d.]+)"', svg)) < 640 - 100
    assert svg in render_html(plan)


def test_provisioned_concurrency_is_a_baseline_paid_all_month_by_hand() -> None:
    app = App("warm")

    @app.get("/w", memory=1024, provisioned_concurrency=2)
    def warm(req: object) -> None:
        return None

    profile_doc = {"functions": {"warm": {"invocations": 0}}}
    profile = TrafficProfile(profile_doc)
    plan = build_plan(PlanInputs(app=app, clouds=("aws", "azure", "gcp"), traffic=profile))
    aws, azure, gcp = plan.costs
    line = aws.functions[0]
    # 2 instances x 1 GB x 730 h x 3600 s x $0.0000041667 = $21.9005 (x86, prices.json).
    assert line.baseline_cost == pytest.approx(2 * 1 * 730 * 3600 * 0.0000041667)
    assert line.total == pytest.approx(21.9005, rel=1e-4)
    assert line.total_with_free_tier == pytest.approx(21.9005, rel=1e-4)  # no free tier
    assert any("provisioned instance(s) all month" in n for n in aws.notes)
    # The x86 rate was confirmed in the AWS page's worked examples on 2026-12-05.
    assert not any(p.startswith("provisioned_concurrency") for p in aws.unconfirmed_prices)
    # Flex's always-ready baseline: 1024 MB runs on a 2048 MB instance, so 2 instances x
    # 2 GB x 2,628,000 s x $0.000004 = $42.048.
    assert azure.plan == "flex"
    assert azure.functions[0].baseline_cost == pytest.approx(2 * 2 * 2_628_000 * 0.000004)
    # Cloud Run's idle minimum instances: 1 GiB gets 0.583 vCPU; 2 x 2,628,000 s x
    # (0.583 x $0.0000025 + 1 x $0.0000025) = $20.8006.
    assert gcp.functions[0].baseline_cost == pytest.approx(
        2 * 2_628_000 * (0.583 * 0.0000025 + 1 * 0.0000025)
    )
    assert any("minimum instances, at Cloud Run's idle rates" in n for n in gcp.notes)
    assert "provisioned_concurrency.warm_instances.cloud_run_idle_vcpu_second" in (
        gcp.unconfirmed_prices
    )
    # On Consumption there are no warm instances: said, not priced.
    consumption = build_plan(
        PlanInputs(
            app=app,
            clouds=("azure",),
            traffic=TrafficProfile({"azure_plan": "consumption", **profile_doc}),
        )
    ).costs[0]
    assert consumption.functions[0].baseline_cost == 0.0
    assert any("has no warm instances" in n for n in consumption.notes)


def test_flex_http_functions_share_one_always_ready_group_by_hand() -> None:
    app = App("group")

    @app.get("/a", memory=512, provisioned_concurrency=3)
    def a(req: object) -> None:
        return None

    @app.get("/b", memory=512, provisioned_concurrency=1)
    def b(req: object) -> None:
        return None

    profile = TrafficProfile({"functions": {"a": {"invocations": 0}, "b": {"invocations": 0}}})
    (azure,) = build_plan(PlanInputs(app=app, clouds=("azure",), traffic=profile)).costs
    # One "http" group of max(3, 1) = 3 instances of 512 MB: 3 x 0.5 GB x 2,628,000 s x
    # $0.000004 = $15.768, split 3:1 between a and b.
    group = 3 * 0.5 * 2_628_000 * 0.000004
    lines = {line.function: line.baseline_cost for line in azure.functions}
    assert lines == {"a": pytest.approx(group * 3 / 4), "b": pytest.approx(group / 4)}


def test_unconfirmed_component_prices_are_listed_when_used() -> None:
    profile = TrafficProfile({"functions": {"front": {"invocations": 1000}}})
    plan = build_plan(PlanInputs(app=_http_app(), clouds=("azure",), traffic=profile))
    # Log Analytics' rate came from a secondary page: the report must say so.
    assert "logs.azure.ingestion_per_unit" in plan.costs[0].unconfirmed_prices


def test_the_shop_examples_gateway_logs_and_container_by_hand() -> None:
    from pathlib import Path

    from polyfn.loading import load_app
    from polyfn.plan.traffic import load_traffic

    shop = Path(__file__).resolve().parents[2] / "examples" / "shop"
    plan = build_plan(
        PlanInputs(
            app=load_app(str(shop)),
            clouds=("aws",),
            traffic=load_traffic(shop / "traffic.yaml"),
        )
    )
    lines = {line.function: line for line in plan.costs[0].functions}
    # API Gateway (HTTP API, 2 KB requests: one metered request each): get_user 9,000,000
    # + list_users 1,500,000 + create_user 120,000 + update_user 300,000 + place_order
    # 30,000 + get_order 90,000 = 11,040,000 requests x $1.00 per million = $11.04. The
    # order workflow's tasks are invoked by the workflow engine, not through the gateway.
    assert sum(line.gateway_cost for line in lines.values()) == pytest.approx(11.04)
    # CloudWatch Logs at 1 KB an event: 11,537,760 events (the six routes, 250,000
    # uploads, 120,000 emails, 8,760 cleanups, and the tasks' 30,000 + 30,000 + 29,000 +
    # 28,500 + 1,000 + 500 = 119,000 runs) = 11.53776 GB x $0.50 = $5.76888.
    assert sum(line.logs_cost for line in lines.values()) == pytest.approx(5.76888)
    # The container: peak concurrency = (9e6 x 0.035 + 1.5e6 x 0.09 + 120,000 x 0.07 +
    # 300,000 x 0.055 + 250,000 x 0.85 + 120,000 x 0.18 + 8,760 x 2.5 = 730,900 s, plus
    # the orders 30,000 x 0.04 + 90,000 x 0.03 and the tasks 30,000 x 0.02 + 30,000 x 0.03
    # + 29,000 x 0.15 + 28,500 x 0.04 + 1,000 x 0.06 + 500 x 0.06 = 10,980 s) / 2,628,000 s
    # x 4 = 1.12919: one instance of 1 vCPU and 2 GB; Fargate 730 h x ($0.04048 +
    # 2 x $0.004445) = $36.0401.
    (fargate,) = plan.containers
    assert fargate.peak_concurrency == pytest.approx(741_880 / 2_628_000 * 4)
    assert fargate.instances == 1 and fargate.memory_gb == 2
    assert fargate.monthly_cost == pytest.approx(36.0401)
    assert fargate.crossover_events_per_month == pytest.approx(
        36.0401 / (plan.costs[0].total / 11_537_760)
    )


def _premium_app() -> App:
    app = App("elastic")
    jobs = app.queue("jobs")

    @app.get("/render", provisioned_concurrency=2)
    def render(req: object) -> None:
        return None

    @app.on_message(jobs)
    def work(msg: object) -> None:
        return None

    return app


def _premium(functions: dict[str, object]) -> tuple[Plan, CloudCost]:
    profile = TrafficProfile({"azure_plan": "premium", "functions": functions})
    plan = build_plan(PlanInputs(app=_premium_app(), clouds=("azure",), traffic=profile))
    return plan, plan.costs[0]


def test_the_premium_plan_is_its_always_on_instance_and_the_time_beyond_it_by_hand() -> None:
    from polyfn.plan.report_html import render_html
    from polyfn.plan.report_json import plan_to_dict
    from polyfn.plan.report_md import render_markdown

    # render: 4,000,000 requests x 0.9 s = 3,600,000 s = 1,000 instance-hours; work:
    # 828,000 messages x 2 s = 1,656,000 s = 460 instance-hours; 1,460 in all, at one
    # execution per EP1 instance (1 vCPU, 3.5 GB; prices.json azure.premium, unconfirmed
    # rates $0.173 per vCPU-hour and $0.0123 per GB-hour).
    plan, azure = _premium(
        {
            "render": {"invocations": 4_000_000, "duration_ms": 900},
            "work": {"invocations": 828_000, "duration_ms": 2000},
        }
    )
    assert azure.plan == "premium" and azure.label == "Azure Functions Premium (EP1)"
    lines = {line.function: line for line in azure.functions}
    hourly = 1 * 0.173 + 3.5 * 0.0123  # one EP1 instance: $0.21605 an hour
    # The baseline: the plan's one always-on instance x 730 h = $157.7165, whether used or
    # not, shared 1,000 : 460 by execution time.
    baseline = 730 * hourly
    assert baseline == pytest.approx(157.7165)
    assert lines["render"].baseline_cost == pytest.approx(baseline * 1000 / 1460)  # $108.0250
    assert lines["work"].baseline_cost == pytest.approx(baseline * 460 / 1460)  # $49.6915
    # Scale-out: the minimum carries 730 of the 1,460 instance-hours; the other 730 are
    # extra instances, billed at the same rate: render 1,000 x 730/1,460 = 500 h x
    # $0.21605 = $108.025, work 230 h = $49.6915.
    assert lines["render"].compute_cost == pytest.approx(500 * hourly)
    assert lines["work"].compute_cost == pytest.approx(230 * hourly)
    assert lines["render"].units["vcpu_hours"] == pytest.approx(1000)
    assert lines["render"].units["gb_hours"] == pytest.approx(3500)
    # No per-execution charge.
    assert lines["render"].request_cost == 0 == lines["work"].request_cost
    assert lines["render"].billed_memory_mb == 3584
    # Logs: 4,828,000 events x 1 KB = 4.828 GB x $2.30 = $11.1044, all inside the 5 GB
    # free. Queue: a get per message (batch 1) and a delete per message = 1,656,000
    # operations x $0.004 / 10,000 = $0.6624.
    logs = sum(line.logs_cost for line in azure.functions)
    assert logs == pytest.approx(11.1044)
    assert lines["work"].resource_cost == pytest.approx(0.6624)
    assert azure.total == pytest.approx(2 * 157.7165 + 11.1044 + 0.6624)  # $327.1998
    # No free grant on Premium: only the logs' free 5 GB comes off.
    assert azure.total_with_free_tier == pytest.approx(2 * 157.7165 + 0.6624)  # $316.0954
    assert {"azure.premium.vcpu_hour", "azure.premium.gb_hour"} <= set(azure.unconfirmed_prices)
    baseline_note = next(n for n in azure.notes if n.startswith("Premium plan baseline"))
    assert "1 always-on EP1 instance(s) (1 vCPU, 3.5 GB) all 730 hours, $157.72" in baseline_note
    assert any("730.0 of them beyond what the minimum carries" in n for n in azure.notes)
    # provisioned_concurrency is not a Premium setting (deploy ignores it): said, and the
    # baseline stays the plan's one instance.
    assert any(
        n.startswith("render: provisioned_concurrency=2 is not a Premium") for n in azure.notes
    )
    # Every report names the plan and the baseline.
    markdown = render_markdown(plan)
    assert "### Azure Functions Premium (EP1): $316.10 a month with the free tier" in markdown
    assert "| Warm instances |" in markdown and "| $108.03 |" in markdown
    assert "- Premium plan baseline: 1 always-on EP1 instance(s)" in markdown
    html = render_html(plan)
    assert "<h3>Azure Functions Premium (EP1)</h3>" in html
    assert "<li>Premium plan baseline: 1 always-on EP1 instance(s)" in html
    (cost,) = plan_to_dict(plan)["costs"]
    assert cost["plan"] == "premium"
    assert sum(f["baseline_cost"] for f in cost["functions"]) == pytest.approx(157.7165)


def test_a_quiet_premium_app_still_pays_its_instance_by_hand() -> None:
    # 30,000 requests of 100 ms: 0.83 instance-hours, far inside the always-on instance,
    # so nothing is billed beyond it; an idle function shares the baseline by its (zero)
    # execution time.
    _, azure = _premium(
        {"render": {"invocations": 30_000, "duration_ms": 100}, "work": {"invocations": 0}}
    )
    lines = {line.function: line for line in azure.functions}
    assert lines["render"].compute_cost == 0 == lines["work"].compute_cost
    assert lines["render"].baseline_cost == pytest.approx(157.7165)
    assert lines["work"].baseline_cost == 0
    # 30,000 KB of logs = 0.03 GB x $2.30 = $0.069.
    assert azure.total == pytest.approx(157.7165 + 0.069)
    assert any("the minimum carries them all" in n for n in azure.notes)
    # With nothing running at all, the instance is still billed, split evenly.
    _, idle = _premium({"render": {"invocations": 0}, "work": {"invocations": 0}})
    assert [line.baseline_cost for line in idle.functions] == pytest.approx([78.85825] * 2)


def test_premium_scales_out_only_to_its_maximum_instances() -> None:
    # 100 million 2-second jobs = 55,555.6 instance-hours a month, 76 instances on
    # average, but the plan's region allows 100 (1 always on + 99 more): within it, all
    # 54,825.6 hours beyond the minimum are billed. At 10 times that it is capped at
    # 99 x 730 = 72,270 extra hours (and the concurrency check warns).
    _, azure = _premium(
        {"render": {"invocations": 0}, "work": {"invocations": 100_000_000, "duration_ms": 2000}}
    )
    work = next(line for line in azure.functions if line.function == "work")
    hourly = 0.173 + 3.5 * 0.0123
    assert work.compute_cost == pytest.approx((100_000_000 * 2 / 3600 - 730) * hourly)
    plan, capped = _premium(
        {"render": {"invocations": 0}, "work": {"invocations": 1e9, "duration_ms": 2000}}
    )
    work = next(line for line in capped.functions if line.function == "work")
    assert work.compute_cost == pytest.approx(99 * 730 * hourly)
    (check,) = plan.concurrency
    assert check.level == "warn" and "Premium scales to 100 instances" in check.message


def _shop_plan(cloud: str) -> tuple[Plan, CloudCost]:
    from pathlib import Path

    from polyfn.loading import load_app
    from polyfn.plan.traffic import load_traffic

    shop = Path(__file__).resolve().parents[2] / "examples" / "shop"
    plan = build_plan(
        PlanInputs(
            app=load_app(str(shop)),
            clouds=(cloud,),
            traffic=load_traffic(shop / "traffic.yaml"),
            root=shop,
        )
    )
    return plan, plan.costs[0]


def _rates(expected: dict[str, float]) -> dict[str, float]:
    """The rates a hand-worked bill below uses, checked against prices.json so that a
    price change shows up here first."""
    from polyfn.plan.prices import load_prices

    prices = load_prices()
    assert {path: prices.value(path) for path in expected} == expected
    return expected


# The shop's month (examples/shop/traffic.yaml), in handler events and mean durations:
# get_user 9,000,000 x 35 ms, list_users 1,500,000 x 90, create_user 120,000 x 70,
# update_user 300,000 x 55, place_order 30,000 x 40, get_order 90,000 x 30 (the six routes:
# 11,040,000 requests); thumbnail 250,000 x 850 ms at 1,024 MB (half the bucket's writes
# match uploads/*.jpg); send_email 120,000 x 180 ms; cleanup 8,760 x 2,500 ms at 512 MB;
# the order workflow's tasks validate_order 30,000 x 20, check_inventory 30,000 x 30,
# charge_payment 29,000 x 150, fulfill_order 28,500 x 40, notify_out_of_stock 1,000 x 60,
# notify_payment_failed 500 x 60. Everything else at the profile's 256 MB, 1 KB of log
# per event. 11,537,760 events in all.
SHOP_EVENTS = 11_040_000 + 250_000 + 120_000 + 8_760 + 119_000


def test_the_shops_azure_flex_bill_by_hand() -> None:
    plan, azure = _shop_plan("azure")
    assert azure.plan == "flex"  # the profile's azure_plan, deploy's default
    r = _rates(
        {
            "azure.flex.execution_gb_second": 0.000026,
            "azure.flex.executions_per_million": 0.40,
            "azure.flex.free_tier.gb_seconds": 100_000,
            "azure.flex.free_tier.executions": 250_000,
            "logs.azure.ingestion_per_unit": 2.30,
            "logs.azure.free_units": 5,
            "resources.azure.queue_operations_per_10k": 0.004,
            "resources.azure.blob_read_per_10k": 0.004,
            "resources.azure.blob_write_per_10k": 0.05,
            "containers.azure.vcpu_second": 0.000024,
            "containers.azure.gib_second": 0.000003,
        }
    )
    lines = {line.function: line for line in azure.functions}
    # One instance size for the whole app: thumbnail's 1,024 MB needs the 2,048 MB size,
    # so every function is billed 2 GB (deploy's instanceMemoryMB).
    assert {line.billed_memory_mb for line in azure.functions} == {2048}
    # Flex bills the time an instance is active, at least a 1,000 ms period per execution
    # (every shop function runs under a second but cleanup, 2,500 ms), and executions that
    # overlap on an instance share it. Arrivals at random over 730 h = 2,628,000 s: a
    # scaling group whose periods add up to P seconds keeps an instance active
    # (1 - exp(-P / 2,628,000)) x 2,628,000 s, unless its executions' own time is more.
    month = 730 * 3600

    def active(periods: float, own: float) -> float:
        return min(periods, max((1 - math.exp(-periods / month)) * month, own))

    # HTTP functions share instances: 11,040,000 periods of 1 s; their own time is
    # 9M x 35 + 1.5M x 90 + 120,000 x 70 + 300,000 x 55 + 30,000 x 40 + 90,000 x 30 ms
    # = 478,800 s. 1 - exp(-4.2009) = 0.98502 of the month: 2,588,628 s.
    http = active(11_040_000, 478_800)
    own = 9_000_000 * 0.035 + 1_500_000 * 0.09 + 120_000 * 0.07 + 300_000 * 0.055
    assert own + 30_000 * 0.04 + 90_000 * 0.03 == pytest.approx(478_800)
    assert http == pytest.approx(2_588_628, abs=1)
    # The workflow's tasks (Durable Functions) share theirs: 119,000 periods -> 116,346 s;
    # thumbnail's blob trigger 250,000 -> 238,477 s; send_email 120,000 -> 117,302 s;
    # cleanup's 8,760 x 2.5 s = 21,900 s hardly overlap, and its own time is as much.
    tasks, blob, email = active(119_000, 7_080), active(250_000, 0), active(120_000, 0)
    cleanup = active(8_760 * 2.5, 8_760 * 2.5)
    assert cleanup == 21_900
    seconds = http + tasks + blob + email + cleanup
    assert seconds == pytest.approx(3_082_652, abs=1)
    gb_seconds = seconds * 2
    assert sum(line.units["gb_seconds"] for line in azure.functions) == pytest.approx(gb_seconds)
    compute = gb_seconds * r["azure.flex.execution_gb_second"]
    assert compute == pytest.approx(160.298, abs=0.001)
    assert sum(line.compute_cost for line in azure.functions) == pytest.approx(compute)
    # get_user's share of the HTTP group is its share of the group's periods: 9M of 11.04M.
    assert lines["get_user"].compute_cost == pytest.approx(
        http * 9_000_000 / 11_040_000 * 2 * 0.000026
    )
    # Executions: every event is one (Azure does not batch queue messages into one
    # invocation, and Event Grid filters the uploads): 11,537,760 x $0.40 / 1e6 = $4.6151.
    executions = SHOP_EVENTS * r["azure.flex.executions_per_million"] / 1e6
    assert sum(line.request_cost for line in azure.functions) == pytest.approx(executions)
    # Application Insights: 11,537,760 x 1 KB = 11.53776 GB x $2.30 = $26.5368.
    logs = SHOP_EVENTS * 1000 / 1e9 * r["logs.azure.ingestion_per_unit"]
    assert logs == pytest.approx(26.536848)
    assert sum(line.logs_cost for line in azure.functions) == pytest.approx(logs)
    # Queue Storage: create_user's 120,000 sends + the two notify tasks' 1,000 + 500 +
    # send_email's gets (one per batch of 3: 40,000) and deletes (120,000) = 281,500
    # operations x $0.004 / 10,000 = $0.1126. Blob: thumbnail reads and writes 250,000;
    # cleanup lists (a write-class operation) and reads 8,760: reads 258,760 x $0.004 /
    # 10,000 = $0.1035, writes 258,760 x $0.05 / 10,000 = $1.2938. $1.5099 in all.
    queue = (120_000 + 1_000 + 500 + 40_000 + 120_000) / 1e4 * 0.004
    blobs = 258_760 / 1e4 * (r["resources.azure.blob_read_per_10k"] + 0.05)
    assert sum(line.resource_cost for line in azure.functions) == pytest.approx(queue + blobs)
    assert queue + blobs == pytest.approx(1.509904)
    # No function asks for warm instances; Azure's HTTP trigger needs no gateway.
    assert sum(line.baseline_cost + line.gateway_cost for line in azure.functions) == 0
    total = compute + executions + logs + queue + blobs
    assert azure.total == pytest.approx(total)
    assert round(azure.total, 2) == 192.96  # docs/readme/plan.md
    # With the free grants: 100,000 GB-s, 250,000 executions and 5 GB of logs come off.
    free = 100_000 * 0.000026 + 250_000 * 0.40 / 1e6 + 5 * 2.30
    assert azure.total_with_free_tier == pytest.approx(total - free)
    assert round(azure.total_with_free_tier, 2) == 178.76  # docs/readme/plan.md
    # The container: peak concurrency 1.129 (the AWS test above): one instance of 1 vCPU
    # and 2 GB, Container Apps kept active: 730 x 3600 s x ($0.000024 + 2 x $0.000003) =
    # $78.84; serverless costs the same at 78.84 / (192.9598 / 11,537,760) events.
    (container,) = plan.containers
    assert (container.instances, container.vcpu, container.memory_gb) == (1, 1, 2)
    assert container.monthly_cost == pytest.approx(730 * 3600 * (0.000024 + 2 * 0.000003))
    assert container.crossover_events_per_month == pytest.approx(78.84 / (total / SHOP_EVENTS))


def test_the_shops_google_cloud_bill_by_hand() -> None:
    plan, gcp = _shop_plan("gcp")
    r = _rates(
        {
            "gcp.gen2.vcpu_second": 0.000024,
            "gcp.gen2.gib_second": 0.0000025,
            "gcp.gen2.requests_per_million": 0.40,
            "gcp.gen2.free_tier.vcpu_seconds": 180_000,
            "gcp.gen2.free_tier.gib_seconds": 360_000,
            "gcp.gen2.free_tier.requests": 2_000_000,
            "logs.gcp.ingestion_per_unit": 0.50,
            "logs.gcp.free_units": 50,
            "resources.gcp.pubsub_per_tib": 40,
            "resources.gcp.gcs_class_a_per_1000": 0.005,
            "resources.gcp.gcs_class_b_per_1000": 0.0004,
            "containers.gcp.vcpu_second": 0.000018,
            "containers.gcp.gib_second": 0.000002,
        }
    )
    lines = {line.function: line for line in gcp.functions}
    # Invocations: Cloud Storage cannot filter by name, so thumbnail is invoked for all
    # 500,000 objects of the bucket (250,000 / 0.5 matching): 11,787,760 in all.
    invocations = SHOP_EVENTS - 250_000 + 500_000
    assert sum(line.invocations for line in gcp.functions) == invocations
    # Billed time, in 100 ms steps (at least 100 ms). The 256 MB functions (0.167 vCPU,
    # 0.25 GiB): get_user 9,000,000 x 0.1 s = 900,000, list_users 150,000, create_user
    # 12,000, update_user 30,000, place_order 3,000, get_order 9,000, send_email 120,000
    # x 0.2 s (180 ms) = 24,000 (Pub/Sub pushes one message at a time), validate_order
    # 3,000, check_inventory 3,000, charge_payment 29,000 x 0.2 = 5,800, fulfill_order
    # 2,850, the notify tasks 100 + 50: 1,142,800 s. thumbnail (1 GiB: 0.583 vCPU):
    # 250,000 x 0.9 s + the 250,000 that end at polyfn's filter x 0.1 s = 250,000 s.
    # cleanup (512 MiB: 0.333 vCPU, 0.5 GiB): 8,760 x 2.5 s = 21,900 s.
    small = 900_000 + 150_000 + 12_000 + 30_000 + 3_000 + 9_000 + 24_000
    small += 3_000 + 3_000 + 5_800 + 2_850 + 100 + 50
    assert small == 1_142_800
    vcpu_seconds = small * 0.167 + 250_000 * 0.583 + 21_900 * 0.333  # 343,890.3
    gib_seconds = small * 0.25 + 250_000 * 1 + 21_900 * 0.5  # 546,650
    units = [line.units for line in gcp.functions]
    assert sum(u["vcpu_seconds"] for u in units) == pytest.approx(vcpu_seconds)
    assert sum(u["gib_seconds"] for u in units) == pytest.approx(gib_seconds)
    # $8.2534 + $1.3666 = $9.6200.
    compute = vcpu_seconds * r["gcp.gen2.vcpu_second"] + gib_seconds * r["gcp.gen2.gib_second"]
    assert compute == pytest.approx(9.6199922)
    assert sum(line.compute_cost for line in gcp.functions) == pytest.approx(compute)
    assert lines["thumbnail"].compute_cost == pytest.approx(
        250_000 * (0.583 * 0.000024 + 1 * 0.0000025)
    )
    # Requests: 11,787,760 x $0.40 / 1e6 = $4.7151.
    requests = invocations * r["gcp.gen2.requests_per_million"] / 1e6
    assert sum(line.request_cost for line in gcp.functions) == pytest.approx(requests)
    # Cloud Logging bills GiB: 11,537,760 KB = 11.53776e9 bytes / 2^30 = 10.7455 GiB x
    # $0.50 = $5.3727 (the handler's events: a filtered-out invocation writes none).
    logs = SHOP_EVENTS * 1000 / 2**30 * r["logs.gcp.ingestion_per_unit"]
    assert sum(line.logs_cost for line in gcp.functions) == pytest.approx(logs)
    # Pub/Sub: publishes from create_user (120,000) and the notify tasks (1,500), and
    # send_email's 120,000 pushes, 1 KB each, billed at the 1,000-byte minimum:
    # 241,500 x 1,000 bytes / 2^40 x $40 per TiB = $0.0088. Cloud Storage Class A:
    # thumbnail's 250,000 writes + cleanup's 8,760 lists = 258,760 x $0.005 / 1,000 =
    # $1.2938; Class B: 500,000 notifications (one per object, matching or not) +
    # thumbnail's 250,000 reads + cleanup's 8,760 = 758,760 x $0.0004 / 1,000 = $0.3035.
    pubsub = 241_500 * 1000 / 2**40 * r["resources.gcp.pubsub_per_tib"]
    class_a = 258_760 / 1000 * r["resources.gcp.gcs_class_a_per_1000"]
    class_b = 758_760 / 1000 * r["resources.gcp.gcs_class_b_per_1000"]
    assert sum(line.resource_cost for line in gcp.functions) == pytest.approx(
        pubsub + class_a + class_b
    )
    assert sum(line.baseline_cost + line.gateway_cost for line in gcp.functions) == 0
    total = compute + requests + logs + pubsub + class_a + class_b
    assert gcp.total == pytest.approx(total)
    assert round(gcp.total, 2) == 21.31  # docs/readme/plan.md
    # Free tier: 180,000 vCPU-s, 360,000 GiB-s and 2 million requests come off; the logs
    # (under 50 GiB) and Pub/Sub (under 10 GiB) are free; Cloud Storage operations are not.
    free = 180_000 * 0.000024 + 360_000 * 0.0000025 + 2_000_000 * 0.40 / 1e6 + logs + pubsub
    assert gcp.total_with_free_tier == pytest.approx(total - free)
    assert round(gcp.total_with_free_tier, 2) == 9.91  # docs/readme/plan.md
    # The container: one instance of 1 vCPU and 2 GiB, Cloud Run with CPU always
    # allocated: 730 x 3600 s x ($0.000018 + 2 x $0.000002) = $57.816.
    (container,) = plan.containers
    assert container.monthly_cost == pytest.approx(730 * 3600 * (0.000018 + 2 * 0.000002))
    assert container.crossover_events_per_month == pytest.approx(57.816 / (total / SHOP_EVENTS))


def test_the_shop_on_premium_by_hand() -> None:
    from pathlib import Path

    from polyfn.loading import load_app
    from polyfn.plan.traffic import load_traffic

    shop = Path(__file__).resolve().parents[2] / "examples" / "shop"
    traffic = load_traffic(shop / "traffic.yaml")
    traffic.azure_plan = "premium"  # what --azure-plan premium does
    (azure,) = build_plan(
        PlanInputs(app=load_app(str(shop)), clouds=("azure",), traffic=traffic, root=shop)
    ).costs
    # The executions take 741,880 s (the container comparison's sum) = 206.08 EP1
    # instance-hours, inside the always-on instance's 730: the bill is that instance,
    # 730 h x ($0.173 + 3.5 x $0.0123) = $157.7165, plus the same logs ($26.5368) and
    # queue and blob operations ($1.5099) as on Flex = $185.7633; the free 5 GB of logs
    # take $11.50 off.
    assert sum(line.units["vcpu_hours"] for line in azure.functions) == pytest.approx(
        741_880 / 3600
    )
    assert sum(line.compute_cost for line in azure.functions) == 0
    assert sum(line.baseline_cost for line in azure.functions) == pytest.approx(157.7165)
    assert azure.total == pytest.approx(157.7165 + 26.536848 + 1.509904)
    assert azure.total_with_free_tier == pytest.approx(157.7165 + 15.036848 + 1.509904)
