"""Limits: every function against each target's documented limits, via deploy's checker.

``polyfn.deploy.limits`` owns the figures (the same ones ``polyfn deploy`` enforces); the
plan only turns its findings into one pass / warn / fail line per function and cloud, so
the report shows what passed as well as what did not.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from polyfn.core.app import App
from polyfn.core.errors import ConfigError
from polyfn.plan.model import LimitResult

__all__ = ["check_limits"]


def _checker() -> Any:
    try:
        return importlib.import_module("polyfn.deploy.limits")
    except ImportError:
        return None


def check_limits(
    app: App,
    clouds: Sequence[str],
    plans: dict[str, str | None],
    source_root: Path | None = None,
    *,
    loops: bool = False,
) -> tuple[list[LimitResult], str | None]:
    """(results, note): the note says why nothing could be checked, when that happens.

    ``loops``: add deploy's recursive-loop warnings (a function writing to what triggers
    it, found by reading its code under ``source_root``), as ``polyfn deploy build``
    gives them; for a polyfn app, whose handlers' code is there to read."""
    checker = _checker()
    if checker is None or not hasattr(checker, "check_app"):
        return [], (
            "limits were not checked: polyfn.deploy.limits (check_app) is not available in "
            "this installation"
        )
    results: list[LimitResult] = []
    for cloud in clouds:
        findings = list(checker.check_app(app, cloud, plan=plans.get(cloud)))
        if loops:
            findings += _loop_findings(app, cloud, source_root)
        by_function: dict[str, list[Any]] = {}
        for finding in findings:
            by_function.setdefault(str(finding.function), []).append(finding)
        results.extend(_result("", cloud, finding) for finding in by_function.get("", []))
        for name in app.functions:
            found = by_function.get(name, [])
            if not found:
                results.append(
                    LimitResult(name, cloud, "pass", "all", "within every documented limit", "")
                )
            results.extend(_result(name, cloud, finding) for finding in found)
    return results, None


def _loop_findings(app: App, cloud: str, source_root: Path | None) -> list[Any]:
    try:
        loops = importlib.import_module("polyfn.deploy.loops")
        model = importlib.import_module("polyfn.deploy.model").build_model(
            app, source_root=source_root
        )
    except ImportError:
        return []
    except ConfigError:
        return []  # the code cannot be read for its resources: deploy build says why
    return list(loops.loop_findings(model, cloud))


def _result(function: str, cloud: str, finding: Any) -> LimitResult:
    level: Literal["fail", "warn"] = "fail" if finding.level == "fail" else "warn"
    return LimitResult(
        function, cloud, level, str(finding.limit), str(finding.message), str(finding.source)
    )
