"""The plan's vocabulary: every finding, mapping, limit and cost the report shows.

Plain frozen dataclasses, so that the JSON report is ``dataclasses.asdict`` of them and the
Markdown and HTML reports read the same values. Nothing here computes anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, cast

if TYPE_CHECKING:
    from polyfn.plan.workflow_cost import WorkflowCost

from polyfn.core.errors import PolyfnError
from polyfn.hosts import CLOUDS as RUNTIME_CLOUDS

__all__ = [
    "CLOUDS",
    "CLOUD_LABELS",
    "Cloud",
    "CloudCost",
    "ConcurrencyCheck",
    "FunctionCost",
    "FunctionInfo",
    "FunctionStatus",
    "Impact",
    "ImportNote",
    "LimitResult",
    "LockinFinding",
    "Plan",
    "PlanInputError",
    "Severity",
    "Status",
    "SweepChoice",
    "SweepPoint",
    "TriggerMapping",
    "TriggerNote",
    "Undecided",
]

Cloud = Literal["aws", "azure", "gcp"]
CLOUDS = cast("tuple[Cloud, ...]", RUNTIME_CLOUDS)  # the registry's list, typed
CLOUD_LABELS = {"aws": "AWS", "azure": "Azure", "gcp": "Google Cloud"}
# needs a decision: an imported function with no trigger polyfn can express (a function
# invoked directly, one whose only event polyfn cannot say): a person chooses how it is fed.
Status = Literal["portable", "needs changes", "blocked", "needs a decision"]
Severity = Literal["high", "medium", "low"]
# info: behaves differently, no change needed; change: config or code must change;
# blocked: the target cannot express it until someone redesigns that part.
Impact = Literal["info", "change", "blocked"]


class PlanInputError(PolyfnError, ValueError):
    """A traffic profile, sweep CSV or serverless/SAM file polyfn plan cannot use."""


@dataclass(frozen=True)
class FunctionInfo:
    name: str
    kind: str  # http | object | message | schedule | event
    trigger: str  # the polyfn trigger, described
    origin: str = ""  # for imported apps: the Lambda handler it came from


@dataclass(frozen=True)
class LockinFinding:
    file: str
    line: int
    cloud: str  # aws | azure | gcp | any (tied to serverless hosting, not one vendor)
    service: str  # "DynamoDB", "S3", "Lambda runtime", "environment", ...
    category: str  # sdk | import | env | raw-event | tmp-state | arn | resource-url | region
    severity: Severity
    what: str
    replacement: str
    functions: tuple[str, ...] = ()  # polyfn functions that reach this line; () = app-wide


@dataclass(frozen=True)
class TriggerNote:
    topic: str  # batching | retries | dead-letter | ordering | payload | filter | schedule ...
    impact: Impact
    text: str
    source: str


@dataclass(frozen=True)
class TriggerMapping:
    function: str
    cloud: str
    native: str  # what the trigger becomes on that cloud
    notes: tuple[TriggerNote, ...]


@dataclass(frozen=True)
class LimitResult:
    function: str  # "" for app-level
    cloud: str
    level: Literal["pass", "warn", "fail"]
    limit: str
    message: str
    source: str


@dataclass(frozen=True)
class FunctionCost:
    function: str
    cloud: str
    invocations: float  # platform invocations per month (after batching / filtering)
    billed_ms: float  # per invocation, after the platform's rounding
    billed_memory_mb: float
    units: dict[str, float]  # e.g. {"gb_seconds": ..} or {"vcpu_seconds": .., "gib_seconds": ..}
    request_cost: float
    compute_cost: float
    total: float  # without free tier
    total_with_free_tier: float  # the free tier shared out by each function's usage
    gateway_cost: float = 0.0  # API Gateway requests in front of an AWS HTTP function
    logs_cost: float = 0.0  # log ingestion at the profile's log_kb per event
    # warm instances all month: AWS provisioned concurrency, Flex always-ready, Cloud Run
    # minimum instances, a share of the Premium plan's always-on minimum
    baseline_cost: float = 0.0
    resource_cost: float = 0.0  # requests to the app's queues and buckets (resource_cost)


@dataclass(frozen=True)
class CloudCost:
    cloud: str
    plan: str  # lambda | consumption | flex | premium | gen2
    label: str
    functions: tuple[FunctionCost, ...]
    total: float
    total_with_free_tier: float
    notes: tuple[str, ...]
    unconfirmed_prices: tuple[str, ...] = ()  # figures the price file marks as unconfirmed


@dataclass(frozen=True)
class ContainerComparison:
    """The same traffic on an always-on container, next to the serverless bill (USD/month,
    both without free tiers), and the event rate where the two cost the same."""

    cloud: str
    label: str
    instances: int
    vcpu: float
    memory_gb: float
    peak_concurrency: float
    monthly_cost: float
    serverless_cost: float
    crossover_events_per_month: float | None  # None: serverless costs nothing per event
    crossover_per_second: float | None
    unconfirmed_prices: tuple[str, ...] = ()  # container rates the price file marks unconfirmed


@dataclass(frozen=True)
class ConcurrencyCheck:
    cloud: str
    scope: str  # "account" | "app" | function name
    peak_concurrency: float
    limit: float
    level: Literal["pass", "warn"]
    message: str
    source: str


@dataclass(frozen=True)
class SweepPoint:
    memory_mb: int
    duration_ms: float
    monthly_cost: float


@dataclass(frozen=True)
class SweepChoice:
    function: str
    cloud: str
    best_memory_mb: int | None  # None: memory is not a setting on that plan
    points: tuple[SweepPoint, ...]
    note: str


@dataclass(frozen=True)
class ImportNote:
    function: str  # "" for app-level
    impact: Impact
    text: str


@dataclass(frozen=True)
class Undecided:
    """An imported function polyfn could not give a trigger: kept in the plan, never dropped."""

    function: str  # the polyfn name it would have
    origin: str  # the Lambda handler
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class FunctionStatus:
    function: str  # "(app)" for findings outside any function
    cloud: str
    status: Status
    reasons: tuple[str, ...]


@dataclass
class Plan:
    """Everything ``polyfn plan`` found, in the order the reports show it."""

    app: str
    source: str  # "polyfn app", "serverless.yml", "SAM template"
    clouds: tuple[str, ...]
    generated: str
    prices_version: str
    functions: list[FunctionInfo]
    statuses: list[FunctionStatus]
    lockin: list[LockinFinding]
    triggers: list[TriggerMapping]
    limits: list[LimitResult]
    limits_note: str | None
    costs: list[CloudCost]
    concurrency: list[ConcurrencyCheck]
    sweep: list[SweepChoice] | None
    import_notes: list[ImportNote] = field(default_factory=list)
    undecided: list[Undecided] = field(default_factory=list)
    traffic_notes: list[str] = field(default_factory=list)
    scanned_files: list[str] = field(default_factory=list)
    # each workflow of the app on each engine of the clouds planned for
    workflow_costs: list[WorkflowCost] = field(default_factory=list)
    containers: list[ContainerComparison] = field(default_factory=list)
    # What sort keys and secondary indexes become, and cost, per target (table_notes.py).
    table_notes: list[str] = field(default_factory=list)

    def unconfirmed_prices(self) -> list[str]:
        """Every figure marked unconfirmed in prices.json that a bill of this plan uses
        (functions, workflows, container comparison), each once, sorted."""
        paths = {p for cost in self.costs for p in cost.unconfirmed_prices}
        paths.update(p for row in self.workflow_costs for p in row.unconfirmed)
        paths.update(p for row in self.containers for p in row.unconfirmed_prices)
        return sorted(paths)

    def status_of(self, function: str, cloud: str) -> FunctionStatus | None:
        for status in self.statuses:
            if status.function == function and status.cloud == cloud:
                return status
        return None
