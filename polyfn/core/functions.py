"""Functions and their triggers: what a decorator declares, before any runtime exists.

A ``Function`` is one user handler with one trigger and its deployment options; it is the
unit that is deployed, pinned and invoked. The trigger classes carry the matching rules
(an object trigger's prefix and suffix, an event trigger's source and type patterns)
that dispatch applies the same way on every runtime.
"""

from __future__ import annotations

from polyfn.core.errors import ConfigError
from polyfn.core.routing import PathTemplate

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (cheap_typing.py)
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from typing import Any, Literal

    from polyfn.core.auth import JWT, Authorizer
    from polyfn.core.context import Context
    from polyfn.core.event_bus import EventBus
    from polyfn.core.events import Event, ObjectEvent
    from polyfn.core.models import RequestModels
    from polyfn.core.resources import Bucket, Queue, Table
    from polyfn.core.schedule import ScheduleExpression

__all__ = [
    "HTTP_METHODS",
    "ChangeTrigger",
    "EventTrigger",
    "Function",
    "FunctionOptions",
    "HttpTrigger",
    "MessageTrigger",
    "ObjectTrigger",
    "ScheduleTrigger",
    "TaskTrigger",
    "Trigger",
]

HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


class HttpTrigger:
    kind: Literal["http"] = "http"
    __slots__ = ("auth", "guard", "methods", "path", "template")

    def __init__(
        self, path: str, methods: Sequence[str], auth: str, guard: JWT | Authorizer | None = None
    ) -> None:
        self.path = path
        self.methods = tuple(methods)
        self.template = PathTemplate.parse(path)
        # The platform's key requirement: "anonymous", or "function" (a platform key:
        # IAM/SigV4 on AWS, a function key on Azure, the invoker role on Google Cloud).
        self.auth = auth
        # What polyfn checks before the handler runs (core.auth); None: nothing.
        self.guard = guard

    def describe(self) -> str:
        return f"{','.join(self.methods)} {self.path}"


class ObjectTrigger:
    kind: Literal["object"] = "object"
    __slots__ = ("action", "bucket", "prefix", "suffix")

    def __init__(
        self, bucket: Bucket, action: Literal["created", "deleted"], prefix: str, suffix: str
    ) -> None:
        self.bucket = bucket
        self.action = action
        self.prefix = prefix
        self.suffix = suffix

    def matches(self, event: ObjectEvent) -> bool:
        return (
            event.action == self.action
            and event.key.startswith(self.prefix)
            and event.key.endswith(self.suffix)
        )

    def mismatch(self, action: str, key: str) -> str:
        """Why an event of ``action`` on ``key`` does not match: "" when it does."""
        if action != self.action:
            return f"runs for object {self.action} only"
        if not key.startswith(self.prefix):
            return f"wants keys starting with {self.prefix!r}"
        if not key.endswith(self.suffix):
            return f"wants keys ending with {self.suffix!r}"
        return ""

    def describe(self) -> str:
        flt = f" {self.prefix}*{self.suffix}" if self.prefix or self.suffix else ""
        return f"object {self.action} in {self.bucket.name}{flt}"


class MessageTrigger:
    kind: Literal["message"] = "message"
    __slots__ = ("batch_size", "queue")

    def __init__(self, queue: Queue, batch_size: int) -> None:
        self.queue = queue
        self.batch_size = batch_size

    def describe(self) -> str:
        return f"messages on {self.queue.name} (batch {self.batch_size})"


class ChangeTrigger:
    """Changes to a table's items, delivered in order, in batches, at least once.

    ``start`` is where a new subscription begins reading: ``"latest"`` (changes made
    from now on) or ``"oldest"`` (what the feed still keeps: 24 hours on DynamoDB
    Streams, the whole local log); Firestore's Eventarc triggers only deliver new
    changes. ``retries`` is how often a failing batch is retried before its changes are
    set aside as failed (DynamoDB's MaximumRetryAttempts, the local worker's attempts);
    ``bisect`` splits a failing batch on AWS to find the failing change.
    """

    kind: Literal["change"] = "change"
    __slots__ = ("batch_size", "bisect", "retries", "start", "table")

    def __init__(
        self,
        table: Table,
        batch_size: int,
        start: Literal["latest", "oldest"],
        retries: int,
        bisect: bool,
    ) -> None:
        self.table = table
        self.batch_size = batch_size
        self.start = start
        self.retries = retries
        self.bisect = bisect

    def describe(self) -> str:
        return f"changes of table {self.table.name} (batch {self.batch_size})"


class ScheduleTrigger:
    kind: Literal["schedule"] = "schedule"
    __slots__ = ("expression",)

    def __init__(self, expression: ScheduleExpression) -> None:
        self.expression = expression

    def describe(self) -> str:
        return f"schedule {self.expression.text}"


class EventTrigger:
    kind: Literal["event"] = "event"
    __slots__ = ("bus", "source", "type")

    def __init__(self, source: str | None, type: str | None, bus: EventBus | None = None) -> None:
        self.source = source
        self.type = type
        # The bus the function subscribes to (deploy reads it); None: the cloud's own
        # events (EventBridge's default bus, an Event Grid topic, Eventarc), not portable.
        self.bus = bus

    def matches(self, event: Event) -> bool:
        return _glob(self.source, event.source) and _glob(self.type, event.type)

    def describe(self) -> str:
        on = f" on bus {self.bus.name}" if self.bus is not None else ""
        return f"event source={self.source or '*'} type={self.type or '*'}{on}"


class TaskTrigger:
    """A task of a workflow: run by the workflow's engine, never by an outside event."""

    kind: Literal["task"] = "task"
    __slots__ = ("task", "workflow")

    def __init__(self, workflow: str, task: str) -> None:
        self.workflow = workflow
        self.task = task

    def describe(self) -> str:
        return f"task {self.task} of workflow {self.workflow}"


Trigger = (
    HttpTrigger
    | ObjectTrigger
    | MessageTrigger
    | ChangeTrigger
    | ScheduleTrigger
    | EventTrigger
    | TaskTrigger
)


def _glob(pattern: str | None, value: str) -> bool:
    if pattern is None or pattern == "*":
        return True
    if pattern.endswith("*"):
        return value.startswith(pattern[:-1])
    return pattern == value


class FunctionOptions:
    """Per-function deployment settings; the runtime ignores them, deploy reads them."""

    __slots__ = (
        "concurrency",
        "log_event",
        "max_hops",
        "memory",
        "provisioned_concurrency",
        "reserved_concurrency",
        "timeout",
        "uses",
    )

    def __init__(
        self,
        memory: int | None = None,
        timeout: int | None = None,
        reserved_concurrency: int | None = None,
        provisioned_concurrency: int | None = None,
        uses: Iterable[Bucket | Queue | Table | EventBus] | None = None,
        max_hops: int | None = None,
        log_event: bool = False,
        concurrency: int | None = None,
    ) -> None:
        if concurrency is not None and (
            not isinstance(concurrency, int) or not 1 <= concurrency <= 1000
        ):
            raise ConfigError(f"concurrency must be a whole number 1-1000, got {concurrency!r}")
        for label, value in (
            ("max_hops", max_hops),
            ("memory", memory),
            ("timeout", timeout),
            ("reserved_concurrency", reserved_concurrency),
            ("provisioned_concurrency", provisioned_concurrency),
        ):
            if value is not None and (not isinstance(value, int) or value < 0):
                raise ConfigError(f"{label} must be a non-negative whole number, got {value!r}")
        self.memory = memory  # MB
        self.timeout = timeout  # seconds
        self.reserved_concurrency = reserved_concurrency
        self.provisioned_concurrency = provisioned_concurrency
        # The recursive-loop guard's limit for this function (None: the deployment's,
        # POLYFN_MAX_HOPS, default 16; see core.loop_guard).
        self.max_hops = max_hops
        # Log each input at INFO before the handler runs, secrets redacted (core.event_log).
        self.log_event = bool(log_event)
        # How many invocations one instance runs at once (Cloud Run's --concurrency, Flex
        # Consumption's per-instance HTTP concurrency); None: each platform's default.
        # Lambda runs one per execution environment whatever is asked (limits warns).
        self.concurrency = concurrency
        # The resources the handler touches, when the deploy step's scan of its code should
        # not decide (None): deploy grants exactly these, with full access.
        self.uses: tuple[Bucket | Queue | Table | EventBus, ...] | None = None
        if uses is not None:
            # Every handle (Bucket, Queue, Table, EventBus) is a Resource; importing
            # event_bus here would make a cycle (it reads the functions of its app).
            from polyfn.core.resources import Resource

            listed = tuple(uses)
            for resource in listed:
                if not isinstance(resource, Resource):
                    raise ConfigError(
                        f"uses= takes buckets, queues, tables and event buses, got {resource!r}"
                    )
            self.uses = listed


class Function:
    """One user handler and its trigger: the unit that is deployed and invoked."""

    __slots__ = ("handler", "models", "name", "options", "trigger", "wants_context")

    def __init__(
        self, name: str, handler: Callable[..., Any], trigger: Trigger, options: FunctionOptions
    ) -> None:
        self.name = name
        self.handler = handler
        self.trigger = trigger
        self.options = options
        self.wants_context = _accepts_two_arguments(handler)
        # An HTTP route's declared models (core.models.RequestModels); None: none.
        self.models: RequestModels | None = None

    def call(self, arg: Any, ctx: Context) -> Any:
        if self.wants_context:
            return self.handler(arg, ctx)
        return self.handler(arg)

    def __repr__(self) -> str:
        return f"<Function {self.name}: {self.trigger.describe()}>"


def _accepts_two_arguments(handler: Callable[..., Any]) -> bool:
    # Read the code object rather than importing inspect: inspect costs ~10 ms of cold start.
    code = getattr(handler, "__code__", None)
    if code is None:
        call = getattr(handler, "__call__", None)  # noqa: B004 - callable objects
        code = getattr(call, "__code__", None)
        bound = 1
    else:
        bound = 1 if getattr(handler, "__self__", None) is not None else 0
    if code is None:
        return False
    positional = code.co_argcount - bound
    varargs = bool(code.co_flags & 0x04)
    return positional >= 2 or (varargs and positional < 2)
