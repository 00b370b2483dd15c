"""Each cloud's documented limits, checked against an App before anything is built.

``LIMITS`` holds the figures, each with the page it comes from and when it was read.
``check_function`` / ``check_app`` return ``LimitFinding``s: ``fail`` where the cloud would
refuse the deployment (a timeout over the maximum, a name it rejects), ``warn`` where it
would accept it and behave differently from what the App declares (an HTTP response cut
at 230 s, a dead-letter count raised to Pub/Sub's minimum). ``polyfn deploy build`` stops
on any ``fail``; ``polyfn plan`` reports both.

``plan`` selects the hosting plan where limits differ: Azure ``flex`` (default),
``consumption`` or ``premium``. Google Cloud's HTTP and event-driven limits follow each
function's trigger; AWS has one plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from polyfn.core.app import App
from polyfn.core.errors import ConfigError
from polyfn.core.functions import Function, ScheduleTrigger
from polyfn.deploy import naming
from polyfn.deploy.limits_data import LIMITS, PLANS
from polyfn.deploy.limits_rules import APP_RULES, FUNCTION_RULES
from polyfn.deploy.model import schedule_expression
from polyfn.hosts import CLOUDS

__all__ = ["CLOUDS", "LIMITS", "PLANS", "LimitFinding", "check_app", "check_function", "failures"]


@dataclass(frozen=True, slots=True)
class LimitFinding:
    """One limit an App breaks (``fail``) or bends (``warn``) on one cloud."""

    level: Literal["fail", "warn"]
    cloud: Literal["aws", "azure", "gcp"]
    function: str  # "" for findings about the app or a resource
    limit: str
    message: str
    source: str

    def __str__(self) -> str:
        return f"{self.level}: {self.detail()}"

    def detail(self) -> str:
        """The finding without its level, for a caller that already says it."""
        where = f"function {self.function}" if self.function else "app"
        return f"{self.cloud} {where}: {self.message} [{self.limit}; {self.source}]"


def failures(findings: list[LimitFinding]) -> list[LimitFinding]:
    return [f for f in findings if f.level == "fail"]


def _plan_for(cloud: str, plan: str | None) -> str:
    if cloud not in CLOUDS:
        raise ConfigError(f"unknown cloud {cloud!r}; expected one of {', '.join(CLOUDS)}")
    # "gen2-http"/"gen2-event" name the same plan: its limits follow each function's trigger.
    chosen = {"gen2-http": "gen2", "gen2-event": "gen2"}.get(plan or "", plan) or PLANS[cloud][0]
    if chosen not in PLANS[cloud]:
        raise ConfigError(
            f"unknown {cloud} plan {chosen!r}; expected one of {', '.join(PLANS[cloud])}"
        )
    return chosen


class _Findings:
    def __init__(self, cloud: Any, function: str = "") -> None:
        self.cloud = cloud
        self.function = function
        self.items: list[LimitFinding] = []

    def fail(self, limit: str, message: str, source: str) -> None:
        self.items.append(LimitFinding("fail", self.cloud, self.function, limit, message, source))

    def warn(self, limit: str, message: str, source: str) -> None:
        self.items.append(LimitFinding("warn", self.cloud, self.function, limit, message, source))


def check_function(
    app: App, fn: Function, cloud: str, *, plan: str | None = None
) -> list[LimitFinding]:
    """The limits one function breaks or bends on ``cloud``."""
    chosen = _plan_for(cloud, plan)
    found = _Findings(cloud, fn.name)
    FUNCTION_RULES[cloud](app, fn, chosen, found)
    if isinstance(fn.trigger, ScheduleTrigger):
        dialect = {"aws": "eventbridge", "azure": "ncrontab", "gcp": "unix"}[cloud]
        try:
            schedule_expression(fn, dialect)
        except ConfigError as exc:
            found.fail("schedule", str(exc), LIMITS[cloud]["schedule"]["source"])
    return found.items


def check_app(
    app: App, cloud: str, *, plan: str | None = None, stage: str = naming.DEFAULT_STAGE
) -> list[LimitFinding]:
    """Every function's findings, then the app-wide ones (names, shared settings)."""
    chosen = _plan_for(cloud, plan)
    naming.check_stage(stage)
    findings: list[LimitFinding] = []
    for fn in app.functions.values():
        findings.extend(check_function(app, fn, cloud, plan=chosen))
    found = _Findings(cloud)
    APP_RULES[cloud](app, chosen, stage, found)
    return findings + found.items
