"""DEBUG log sampling: a sampled invocation logs all its DEBUG lines, the others none;
INFO always passes; no rate, no change (issue 17, item 1)."""

from __future__ import annotations

import logging
import random

import pytest

from polyfn import App, Context, Request
from polyfn.core.settings import settings, use_settings
from polyfn.hosts import host_named


def _app(name: str) -> App:
    app = App(name)

    @app.get("/work", name=name)
    def work(req: Request, ctx: Context) -> str:
        for step in range(3):
            ctx.logger.debug("step %d", step)
        ctx.logger.info("done")
        return "ok"

    return app


def _run(app: App, times: int, caplog: pytest.LogCaptureFixture) -> list[list[str]]:
    host = host_named("aws")
    per_invocation = []
    for _ in range(times):
        caplog.clear()
        with caplog.at_level(logging.DEBUG, logger="polyfn"):
            host.http(app, "GET", "/work")
        per_invocation.append(
            [r.getMessage() for r in caplog.records if r.name.startswith("polyfn.fn.")]
        )
    return per_invocation


@pytest.fixture
def rate(request: pytest.FixtureRequest) -> object:
    previous = settings()
    use_settings({**previous, "POLYFN_LOG_DEBUG_SAMPLE_RATE": request.param})
    yield request.param
    use_settings(previous)


@pytest.mark.parametrize("rate", ["0.5"], indirect=True)
def test_a_sampled_invocation_logs_every_debug_line_the_others_none(
    rate: object, caplog: pytest.LogCaptureFixture
) -> None:
    random.seed(17)
    runs = _run(_app("sampled_half"), 40, caplog)
    full = ["step 0", "step 1", "step 2", "done"]
    assert all(lines in (full, ["done"]) for lines in runs)
    sampled = sum(lines == full for lines in runs)
    assert 0 < sampled < 40


@pytest.mark.parametrize("rate", ["not a number"], indirect=True)
def test_without_a_valid_rate_the_level_is_the_deployments(
    rate: object, caplog: pytest.LogCaptureFixture
) -> None:
    logging.getLogger("polyfn.fn.unsampled").setLevel(logging.INFO)
    runs = _run(_app("unsampled"), 3, caplog)
    assert runs == [["done"]] * 3
