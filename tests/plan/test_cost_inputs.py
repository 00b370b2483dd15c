"""What the cost model is fed when the traffic profile is silent: the memory deploy gives
the function, and a schedule's real number of runs; recomputed here by hand."""

from __future__ import annotations

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
