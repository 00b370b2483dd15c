"""What the cost model is fed when the traffic profile is silent: the memory deploy gives
the function, and a schedule's real number of runs; recomputed here by hand."""

from __future__ import annotations

import pytest

from polyfn import App
from polyfn.core.schedule import parse_schedule
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
    assert nightly.total == pytest.approx(0.0000314306, rel=1e-4)


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
