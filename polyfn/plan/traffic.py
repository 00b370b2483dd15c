"""Traffic profiles: how much each function runs in a month, read from YAML or JSON.

```yaml
peak_factor: 3            # peak request rate = mean rate x this (default 3)
azure_plan: flex          # the Azure plan priced: flex (default), consumption or premium
defaults:                 # for functions not listed (every key optional)
  invocations: 100000     # events per month the handler sees (requests, messages, ...)
  duration_ms: 100        # mean handler duration per event
  memory_mb: 256
  architecture: x86_64    # or arm64 (AWS prices them differently)
  payload_kb: 1           # typical message / request body
functions:
  get_user: {invocations: 3000000, duration_ms: 40}
  send_email: {invocations: 400000, duration_ms: 150, avg_batch: 4}
  thumbnail: {invocations: 200000, duration_ms: 900, memory_mb: 1024, filter_match_ratio: 0.5}
```

``avg_batch`` is how many messages (or table changes) one invocation carries where the
platform batches (SQS, DynamoDB Streams); ``filter_match_ratio`` is the share of a
bucket's object events that match the function's prefix/suffix, which matters where the
filter runs inside the function (GCS).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from polyfn.plan.model import PlanInputError

__all__ = [
    "ARCHITECTURES",
    "AZURE_PLANS",
    "FunctionTraffic",
    "TrafficProfile",
    "load_structured_file",
    "load_traffic",
]

ARCHITECTURES = ("x86_64", "arm64")
# The Azure hosting plans `polyfn deploy --plan` builds, the default first.
AZURE_PLANS = ("flex", "consumption", "premium")
_BUILTIN_DEFAULTS: dict[str, Any] = {
    "invocations": 100_000,
    "duration_ms": 100.0,
    "memory_mb": 256,
    "architecture": "x86_64",
    "payload_kb": 1.0,
    "avg_batch": 1.0,
    # Log lines a handler writes per event (polyfn's structured line plus the app's own):
    # priced as log ingestion on each cloud. A stated guess; set it from real logs.
    "log_kb": 1.0,
}
_FUNCTION_KEYS = frozenset(
    {
        "invocations",
        "duration_ms",
        "memory_mb",
        "architecture",
        "payload_kb",
        "avg_batch",
        "filter_match_ratio",
        "peak_factor",
        "log_kb",
    }
)
_TOP_KEYS = frozenset(
    {"defaults", "functions", "peak_factor", "azure_plan", "aws_api", "container", "description"}
)
DEFAULT_PEAK_FACTOR = 3.0


@dataclass(frozen=True)
class FunctionTraffic:
    invocations: float
    duration_ms: float
    memory_mb: int
    architecture: str
    payload_kb: float
    avg_batch: float
    filter_match_ratio: float | None
    peak_factor: float
    listed: bool  # False: the profile's defaults were used for this function
    log_kb: float = 1.0  # log written per event, priced as ingestion


class TrafficProfile:
    """Per-function monthly traffic, with defaults for functions the profile omits."""

    def __init__(
        self,
        document: Mapping[str, Any] | None = None,
        *,
        source: str = "built-in defaults",
    ) -> None:
        doc = dict(document or {})
        unknown = set(doc) - _TOP_KEYS
        if unknown:
            raise PlanInputError(
                f"{source}: unknown key(s) {', '.join(sorted(unknown))}; "
                f"expected {', '.join(sorted(_TOP_KEYS))}"
            )
        self.source = source
        self.peak_factor = _number(doc.get("peak_factor", DEFAULT_PEAK_FACTOR), "peak_factor", 1)
        # Unset: Flex Consumption, the plan `polyfn deploy` generates by default; the
        # others are deploy's --plan consumption (Y1) and --plan premium (EP1).
        self.azure_plan = str(doc.get("azure_plan", "flex"))
        if self.azure_plan not in AZURE_PLANS:
            raise PlanInputError(
                f"{source}: azure_plan must be one of {', '.join(AZURE_PLANS)}, "
                f"got {self.azure_plan!r}"
            )
        # The API Gateway in front of AWS HTTP functions: polyfn deploys an HTTP API; an
        # app moving as is may keep a REST API (a serverless.yml `http` event).
        self.aws_api = str(doc.get("aws_api", "http"))
        # The always-on container of the comparison: vcpu, memory_gb, concurrency,
        # min_instances (polyfn.plan.containers has the defaults and why).
        container = doc.get("container") or {}
        allowed = {"vcpu", "memory_gb", "concurrency", "min_instances"}
        if not isinstance(container, Mapping) or set(container) - allowed:
            raise PlanInputError(
                f"{source}: container takes {', '.join(sorted(allowed))}, got {container!r}"
            )
        self.container = {str(k): _number(v, f"container.{k}", 0.001) for k, v in container.items()}
        if self.aws_api not in ("http", "rest"):
            raise PlanInputError(f"{source}: aws_api must be 'http' or 'rest'")
        defaults = doc.get("defaults") or {}
        functions = doc.get("functions") or {}
        if not isinstance(defaults, Mapping) or not isinstance(functions, Mapping):
            raise PlanInputError(f"{source}: 'defaults' and 'functions' must be mappings")
        user_defaults = _checked(defaults, f"{source}: defaults")
        self.user_default_keys = frozenset(user_defaults)
        self.defaults = {**_BUILTIN_DEFAULTS, **user_defaults}
        self.functions: dict[str, dict[str, Any]] = {}
        for name, entry in functions.items():
            if not isinstance(entry, Mapping):
                raise PlanInputError(f"{source}: functions.{name} must be a mapping")
            self.functions[str(name)] = _checked(entry, f"{source}: functions.{name}")

    def check_names(self, known: Iterable[str]) -> None:
        """A profile naming a function the app lacks is almost always a typo: say so."""
        known_set = set(known)
        unknown = sorted(set(self.functions) - known_set)
        if unknown:
            raise PlanInputError(
                f"{self.source}: no function named {', '.join(unknown)} in the app "
                f"(known: {', '.join(sorted(known_set)) or 'none'})"
            )

    def for_function(
        self,
        name: str,
        configured_memory: int | None = None,
        *,
        deployed_memory: int | None = None,
        scheduled_runs: float | None = None,
    ) -> FunctionTraffic:
        """The function's traffic: its entry, else the profile's defaults, else what the
        app itself says (``configured_memory`` declared on the function, the
        ``deployed_memory`` deploy gives it otherwise, a schedule's ``scheduled_runs``),
        else the built-in defaults."""
        entry = self.functions.get(name)
        values = dict(self.defaults)
        if configured_memory:
            values["memory_mb"] = configured_memory  # the app's own setting beats defaults
        elif deployed_memory and "memory_mb" not in self.user_default_keys:
            values["memory_mb"] = deployed_memory  # priced as deployed, not at 256 MB
        if scheduled_runs is not None and "invocations" not in self.user_default_keys:
            values["invocations"] = scheduled_runs  # a daily job runs ~30 times, not 100,000
        if entry:
            values.update(entry)
        return FunctionTraffic(
            invocations=float(values["invocations"]),
            duration_ms=float(values["duration_ms"]),
            memory_mb=int(values["memory_mb"]),
            architecture=str(values["architecture"]),
            payload_kb=float(values["payload_kb"]),
            avg_batch=float(values["avg_batch"]),
            filter_match_ratio=(
                float(values["filter_match_ratio"])
                if values.get("filter_match_ratio") is not None
                else None
            ),
            peak_factor=float(values.get("peak_factor", self.peak_factor)),
            listed=entry is not None,
            log_kb=float(values["log_kb"]),
        )


def _number(value: Any, label: str, minimum: float, maximum: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PlanInputError(f"{label} must be a number, got {value!r}")
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"{minimum}-{maximum}" if maximum is not None else f">= {minimum}"
        raise PlanInputError(f"{label} must be {bound}, got {value}")
    return float(value)


def _checked(entry: Mapping[str, Any], where: str) -> dict[str, Any]:
    unknown = set(entry) - _FUNCTION_KEYS
    if unknown:
        raise PlanInputError(
            f"{where}: unknown key(s) {', '.join(sorted(unknown))}; "
            f"expected {', '.join(sorted(_FUNCTION_KEYS))}"
        )
    result: dict[str, Any] = {}
    for key, value in entry.items():
        label = f"{where}.{key}"
        if key == "architecture":
            if value not in ARCHITECTURES:
                raise PlanInputError(f"{label} must be x86_64 or arm64, got {value!r}")
            result[key] = value
        elif key == "memory_mb":
            result[key] = int(_number(value, label, 128, 32768))
        elif key == "invocations":
            result[key] = _number(value, label, 0)
        elif key == "filter_match_ratio":
            ratio = _number(value, label, 0, 1)
            if ratio == 0:
                raise PlanInputError(f"{label} must be above 0 (the share of events that match)")
            result[key] = ratio
        elif key in ("avg_batch", "peak_factor"):
            result[key] = _number(value, label, 1)
        else:  # duration_ms, payload_kb
            result[key] = _number(value, label, 0)
    return result


def load_structured_file(path: Path) -> Any:
    """JSON or YAML (PyYAML is needed only for YAML, and imported only then)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PlanInputError(f"cannot read {path}: {exc.strerror or exc}") from None
    if path.suffix.lower() == ".json":
        try:
            return json.loads(text)
        except ValueError as exc:
            raise PlanInputError(f"{path} is not valid JSON: {exc}") from None
    from polyfn.plan.cfn_yaml import load_yaml

    return load_yaml(text, str(path))


def load_traffic(path: Path | None) -> TrafficProfile:
    if path is None:
        return TrafficProfile()
    document = load_structured_file(path)
    if document is None:
        document = {}
    if not isinstance(document, Mapping):
        raise PlanInputError(f"{path}: a traffic profile is a mapping at the top level")
    return TrafficProfile(document, source=str(path))
