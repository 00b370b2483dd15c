"""Express workflows: Step Functions' short, high-volume kind. The same limits hold on
every engine (five minutes at most, no execution names, no reading executions back), so
what would fail on AWS fails the same way locally."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from polyfn import App
from polyfn.adapters.local.backends import LocalBackends
from polyfn.core.errors import ConfigError
from polyfn.core.workflow import EXPRESS_MAX_SECONDS
from polyfn.core.workflow_steps import WorkflowDefinitionError


def _app(**options: Any) -> App:
    app = App("quick")
    flow = app.workflow("score", **options)

    @flow.task
    def score(data: Any) -> Any:
        return {"score": len(str(data))}

    flow.flow(score)
    return app


def test_an_express_workflow_runs_five_minutes_at_most() -> None:
    assert _app(express=True).workflows["score"].timeout == EXPRESS_MAX_SECONDS == 300
    assert _app(express=True, timeout=60).workflows["score"].timeout == 60
    assert _app().workflows["score"].timeout is None  # Standard: no limit of its own
    with pytest.raises(WorkflowDefinitionError, match="runs 300 s at most, got timeout=301"):
        _app(express=True, timeout=301)
    with pytest.raises(WorkflowDefinitionError, match="express is True or False"):
        _app(express="yes")


def test_an_express_execution_starts_but_takes_no_name_and_cannot_be_read_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POLYFN_DATA_DIR", str(tmp_path))
    app = _app(express=True)
    app.bind(LocalBackends.from_env(app.name))
    flow = app.workflows["score"]
    started = flow.start({"a": 1})
    assert started.status in ("running", "succeeded")
    with pytest.raises(ConfigError, match="not deduplicated by name"):
        flow.start({"a": 1}, name="once")
    with pytest.raises(ConfigError, match="cannot be read back"):
        flow.execution(started.id)
