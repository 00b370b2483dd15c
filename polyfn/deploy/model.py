"""The cloud-neutral description of what a deploy creates.

One ``DeployModel`` per build: every function with its effective memory and timeout, the
resources it touches (from ``usage``), and the app's buckets, queues and tables. Each
cloud's translation reads this model and nothing else from the App, so that the SAM
template, the Azure project, the gcloud script and the plan agree on every figure.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from polyfn.core.app import App
from polyfn.core.defaults import DEFAULT_TIMEOUT_SECONDS, deployed_visibility, effective_timeout
from polyfn.core.errors import ConfigError
from polyfn.core.functions import Function, MessageTrigger, ScheduleTrigger
from polyfn.core.resources import Queue
from polyfn.core.schedule import to_eventbridge, to_ncrontab, to_unix_cron
from polyfn.deploy.naming import DEFAULT_STAGE, check_stage
from polyfn.deploy.usage import FunctionUsage, scan_function

__all__ = [
    "DEFAULT_MEMORY_MB",
    "DEFAULT_TIMEOUT_S",
    "DeployFunction",
    "DeployModel",
    "build_model",
    "effective_memory",
    "effective_timeout",
    "schedule_expression",
]

# Defaults when a function sets none. Lambda's own defaults (128 MB, 3 s) are too small for
# a Python handler that imports an SDK. The timeout is core's, the one every runtime uses.
DEFAULT_MEMORY_MB = 512
DEFAULT_TIMEOUT_S = DEFAULT_TIMEOUT_SECONDS

_DIALECTS: dict[str, tuple[str, Callable[..., str]]] = {
    "eventbridge": ("EventBridge (AWS)", to_eventbridge),
    "ncrontab": ("NCRONTAB (Azure)", to_ncrontab),
    "unix": ("Cloud Scheduler (Google Cloud)", to_unix_cron),
}


def effective_memory(fn: Function) -> int:
    return fn.options.memory if fn.options.memory is not None else DEFAULT_MEMORY_MB


def schedule_expression(fn: Function, dialect: str) -> str:
    """The function's schedule in a cloud's dialect; ``ConfigError`` names the function."""
    trigger = fn.trigger
    if not isinstance(trigger, ScheduleTrigger):
        raise TypeError(f"{fn.name} is not a scheduled function")
    label, convert = _DIALECTS[dialect]
    try:
        return convert(trigger.expression)
    except ConfigError as exc:
        raise ConfigError(f"function {fn.name!r}: {exc} (needed for {label})") from None


class DeployFunction:
    """One function as deployed: settings resolved, resource use known."""

    __slots__ = ("fn", "memory", "timeout", "usage")

    def __init__(self, fn: Function, usage: FunctionUsage) -> None:
        self.fn = fn
        self.memory = effective_memory(fn)
        self.timeout = effective_timeout(fn)
        self.usage = usage

    @property
    def name(self) -> str:
        return self.fn.name

    @property
    def kind(self) -> str:
        return self.fn.trigger.kind

    def __repr__(self) -> str:
        return f"<DeployFunction {self.name} {self.memory} MB {self.timeout} s>"


class DeployModel:
    """Everything a cloud translation needs to know about one app at one stage."""

    def __init__(
        self,
        app: App,
        stage: str,
        functions: list[DeployFunction],
        source_root: Path | None,
    ) -> None:
        self.app = app
        self.stage = stage
        self.functions = functions
        self.source_root = source_root

    @property
    def buckets(self) -> list[str]:
        return sorted(self.app.buckets)

    @property
    def queues(self) -> list[str]:
        return sorted(self.app.queues)

    @property
    def tables(self) -> list[str]:
        return sorted(self.app.tables)

    @property
    def event_buses(self) -> list[str]:
        return sorted(self.app.event_buses)

    def of_kind(self, kind: str) -> list[DeployFunction]:
        return [f for f in self.functions if f.kind == kind]

    def consumer_of(self, queue: Queue) -> DeployFunction | None:
        for function in self.of_kind("message"):
            trigger = function.fn.trigger
            if isinstance(trigger, MessageTrigger) and trigger.queue is queue:
                return function
        return None

    def visibility_timeout(self, queue: Queue) -> int:
        """The visibility timeout (SQS) or ack deadline basis (Pub/Sub) the queue is deployed
        with: declared, else 6x its consumer's timeout (``core.defaults``)."""
        consumer = self.consumer_of(queue)
        return deployed_visibility(queue, consumer.timeout if consumer else None)

    def function(self, name: str) -> DeployFunction:
        for function in self.functions:
            if function.name == name:
                return function
        raise KeyError(name)


def build_model(
    app: App, *, stage: str = DEFAULT_STAGE, source_root: Path | None = None
) -> DeployModel:
    """Resolve every function; ``ConfigError`` lists every function whose use is unknown."""
    check_stage(stage)
    if not app.functions:
        raise ConfigError(f"app {app.name!r} has no functions to deploy")
    functions: list[DeployFunction] = []
    problems: list[str] = []
    for fn in app.functions.values():
        try:
            functions.append(DeployFunction(fn, scan_function(app, fn, source_root)))
        except ConfigError as exc:
            problems.append(str(exc))
    if problems:
        raise ConfigError("; ".join(problems))
    return DeployModel(app, stage, functions, source_root)
