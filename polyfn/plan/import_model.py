"""An existing AWS app, as read from serverless.yml or a SAM template.

The importers fill these classes; ``ImportedApp.build_app`` turns them into a real polyfn
``App`` (handlers that only say they are not ported yet), so the plan runs the same
trigger map, limits and cost model on it as on a polyfn app, and ``scaffold`` writes the
same declarations as source code.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from polyfn.core.app import App
from polyfn.core.auth import JWT, Allow, Authorizer, AuthRequest, Deny
from polyfn.core.errors import ConfigError
from polyfn.core.workflow import EXPRESS_MAX_SECONDS
from polyfn.plan.model import Impact, ImportNote, Undecided

if TYPE_CHECKING:
    from polyfn.plan.import_workflows import ImportedWorkflow
    from polyfn.plan.planner import PlanInputs
    from polyfn.plan.traffic import TrafficProfile

__all__ = [
    "AuthSpec",
    "AuthorizerRef",
    "BucketResource",
    "ChangeSpec",
    "EventSpec",
    "HttpSpec",
    "ImportedApp",
    "ImportedAuthorizer",
    "ImportedFunction",
    "ImportedJWT",
    "MessageSpec",
    "ObjectSpec",
    "QueueResource",
    "ScheduleSpec",
    "TableResource",
    "TriggerSpec",
    "logical_name",
    "python_name",
]

ALL_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
NO_EVENTS_REASON = (
    "no events in the file and nothing in it calls the function: it is invoked directly "
    "(the Lambda Invoke API, another function, a service set up elsewhere); polyfn has no "
    "direct-invoke trigger, so decide how it is fed on each cloud (an HTTP route, a queue)"
)


@dataclass(frozen=True)
class ImportedJWT:
    """``auth=JWT(...)``: an HTTP API JWT authorizer's issuer and audiences, and the
    scopes the route asks for."""

    issuer: str
    audience: tuple[str, ...]
    scopes: tuple[str, ...] = ()


@dataclass(frozen=True)
class AuthorizerRef:
    """``auth=`` one of ``ImportedApp.authorizers``, by its polyfn name."""

    name: str


# How a route's caller proves who they are, as the file says it.
AuthSpec = Literal["anonymous", "platform-key"] | ImportedJWT | AuthorizerRef


@dataclass
class HttpSpec:
    path: str
    methods: list[str]
    auth: AuthSpec = "anonymous"
    kind: str = "http"


@dataclass
class ObjectSpec:
    bucket: str  # polyfn logical name
    action: Literal["created", "deleted"]
    prefix: str = ""
    suffix: str = ""
    kind: str = "object"


@dataclass
class MessageSpec:
    queue: str  # polyfn logical name
    batch_size: int = 10
    kind: str = "message"


@dataclass
class ScheduleSpec:
    expression: str  # polyfn's portable form
    original: str
    kind: str = "schedule"


@dataclass
class EventSpec:
    source: str | None
    type: str | None
    origin: str  # "SNS topic orders" / "EventBridge pattern"
    kind: str = "event"


@dataclass
class ChangeSpec:
    table: str  # polyfn logical name
    batch_size: int = 100
    start: str = "latest"
    retries: int = 3
    bisect: bool = True
    kind: str = "change"


TriggerSpec = HttpSpec | ObjectSpec | MessageSpec | ChangeSpec | ScheduleSpec | EventSpec


@dataclass
class ImportedFunction:
    name: str  # a Python identifier
    original: str  # the name in the source file
    handler: str  # "src/users.get" / "app.lambda_handler"
    code_file: Path | None
    code_def: str | None
    memory: int | None = None
    timeout: int | None = None
    architecture: str | None = None
    reserved_concurrency: int | None = None
    provisioned_concurrency: int | None = None
    triggers: list[TriggerSpec] = field(default_factory=list)


@dataclass
class ImportedAuthorizer:
    """A Lambda authorizer of the file: an ``@app.authorizer`` in polyfn.

    ``source`` is the file's name for its Lambda (a serverless.yml function key, a SAM
    logical id), which the importer's function loop fills ``function`` from; for a
    Lambda outside the file it is that ARN and ``external`` is set.
    """

    name: str  # a Python identifier, unique among the app's functions and authorizers
    origin: str  # where the file declares it: "provider.httpApi.authorizers.custom"
    source: str
    external: bool = False
    function: ImportedFunction | None = None
    ttl: int = 300
    identity: tuple[str, ...] = ("header:authorization",)  # polyfn's "header:x" / "query:x"
    token: bool = False  # a REST API TOKEN authorizer: its token is the one header


@dataclass
class BucketResource:
    name: str
    logical_id: str
    physical: str | None = None


@dataclass
class QueueResource:
    name: str
    logical_id: str
    physical: str | None = None
    max_receives: int = 3
    visibility_timeout: int = 30
    has_dead_letter: bool = False
    is_dead_letter: bool = False


@dataclass
class TableResource:
    name: str
    logical_id: str
    physical: str | None = None
    key: str = "id"
    sort: str | None = None
    # polyfn index name -> (partition attribute, sort attribute or None)
    indexes: dict[str, tuple[str, str | None]] = field(default_factory=dict)

    def index_specs(self) -> dict[str, str | tuple[str, str]]:
        """``indexes=`` as ``app.table`` takes it."""
        return {
            name: partition if sort is None else (partition, sort)
            for name, (partition, sort) in self.indexes.items()
        }


def _words(text: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", text))
    return [w.lower() for w in re.split(r"[^A-Za-z0-9]+", spaced) if w]


def logical_name(text: str, strip_suffix: str = "") -> str:
    """A polyfn resource name (lower-case, digits, '-') from a logical id or bucket name."""
    words = _words(text)
    if strip_suffix and len(words) > 1 and words[-1] == strip_suffix:
        words = words[:-1]
    name = "-".join(words)[:48].strip("-") or "resource"
    return name if name[0].isalpha() else f"r-{name}"[:48]


def python_name(text: str, strip_suffix: str = "") -> str:
    words = _words(text)
    if strip_suffix and len(words) > 1 and words[-1] == strip_suffix:
        words = words[:-1]
    name = "_".join(words) or "handler"
    return name if name[0].isalpha() else f"fn_{name}"


@dataclass
class ImportedApp:
    name: str
    kind: str  # "serverless.yml" | "SAM template"
    path: Path
    functions: list[ImportedFunction] = field(default_factory=list)
    buckets: dict[str, BucketResource] = field(default_factory=dict)  # by logical id
    queues: dict[str, QueueResource] = field(default_factory=dict)
    tables: dict[str, TableResource] = field(default_factory=dict)
    topics: dict[str, str] = field(default_factory=dict)  # logical id -> topic name
    notes: list[ImportNote] = field(default_factory=list)
    workflows: list[ImportedWorkflow] = field(default_factory=list)  # Step Functions machines
    # The file's Lambda authorizers by polyfn name, read before its functions (import_auth)
    authorizers: dict[str, ImportedAuthorizer] = field(default_factory=dict)
    # The stage the file's names were resolved for (serverless.yml's provider.stage; a SAM
    # template has none, so polyfn's default): the scaffold adopts the resources at it.
    stage: str = "dev"
    # polyfn function name -> (imported function, trigger spec), filled by build_app
    registered: dict[str, tuple[ImportedFunction, TriggerSpec]] = field(default_factory=dict)
    # the functions that got no trigger at all, with why; filled by build_app
    undecided: list[Undecided] = field(default_factory=list)

    @property
    def root(self) -> Path:
        return self.path.resolve().parent

    def note(self, function: str, impact: Impact, text: str) -> None:
        self.notes.append(ImportNote(function, impact, text))

    def note_once(self, function: str, impact: Impact, text: str) -> None:
        """``note``, unless the same note is there already (``build_app`` may run twice)."""
        if ImportNote(function, impact, text) not in self.notes:
            self.note(function, impact, text)

    def authorizer_of(self, fn: ImportedFunction) -> ImportedAuthorizer | None:
        """The imported authorizer ``fn`` implements, if any."""
        return next((a for a in self.authorizers.values() if a.function is fn), None)

    def bucket_named(self, name: str) -> BucketResource:
        for bucket in self.buckets.values():
            if name in (bucket.name, bucket.logical_id, bucket.physical):
                return bucket
        bucket = BucketResource(logical_name(name), name, name)
        self.buckets[name] = bucket
        return bucket

    def queue_named(self, name: str) -> QueueResource:
        for queue in self.queues.values():
            if name in (queue.name, queue.logical_id, queue.physical):
                return queue
        queue = QueueResource(logical_name(name, "queue"), name, name)
        self.queues[name] = queue
        self.note(
            "",
            "info",
            f"queue {name!r} is not declared in the file: polyfn declares it "
            f"as {queue.name!r} and binds it by POLYFN_QUEUE_* at deploy",
        )
        return queue

    def build_app(self) -> App:
        """A polyfn App with the file's resources and one function per trigger group."""
        app = App(logical_name(self.name))
        for bucket in self.buckets.values():
            app.bucket(bucket.name)
        consumed = {
            spec.queue
            for fn in self.functions
            for spec in fn.triggers
            if isinstance(spec, MessageSpec)
        }
        for queue in self.queues.values():
            if queue.is_dead_letter and queue.name in consumed:
                self.note(
                    "",
                    "change",
                    f"{queue.logical_id} is a dead-letter queue with a consumer: "
                    "polyfn makes dead-letter queues itself and gives them no handler, so it "
                    f"becomes the ordinary queue {queue.name!r}; send failed messages to it "
                    "from code if that matters",
                )
            if not queue.is_dead_letter or queue.name in consumed:
                app.queue(
                    queue.name,
                    max_receives=queue.max_receives,
                    visibility_timeout=queue.visibility_timeout,
                )
        for table in self.tables.values():
            app.table(table.name, key=table.key, sort=table.sort, indexes=table.index_specs())
        # Before the routes, which name them in auth=.
        for authorizer in self.authorizers.values():
            _declare_authorizer(app, authorizer, self)
        self.registered = {}
        for fn in self.functions:
            for index, (spec, name) in enumerate(trigger_groups(fn)):
                try:
                    if name in app.authorizers:
                        raise ConfigError(f"{name!r} is also the name of an authorizer")
                    _register(app, fn, spec, name, _not_ported(fn, name))
                except ConfigError as exc:
                    self.note(fn.name, "blocked", f"trigger {index + 1} cannot be declared: {exc}")
                    continue
                self.registered[name] = (fn, spec)
        for workflow in self.workflows:
            _declare_workflow(app, workflow, self)
        # A function a workflow runs as a task, or that is an authorizer, has found its
        # place; any other without a trigger polyfn can express needs a decision.
        tasks = {name for declared in app.workflows.values() for name in declared.tasks}
        registered = {id(fn) for fn, _ in self.registered.values()}
        registered |= {
            id(a.function) for a in self.authorizers.values() if a.name in app.authorizers
        }
        self.undecided = [
            self._undecided(fn)
            for fn in self.functions
            if id(fn) not in registered and fn.name not in tasks
        ]
        return app

    def _undecided(self, fn: ImportedFunction) -> Undecided:
        """Why ``fn`` has no polyfn trigger: what the importers noted, else no events."""
        reasons = [n.text for n in self.notes if n.function == fn.name and n.impact != "info"]
        if not reasons:
            reasons.append(NO_EVENTS_REASON)
        return Undecided(fn.name, fn.handler, tuple(dict.fromkeys(reasons)))

    def plan_inputs(self, clouds: tuple[str, ...], traffic: TrafficProfile) -> PlanInputs:
        from polyfn.plan.planner import PlanInputs

        app = self.build_app()
        files: set[Path] = set()
        entrypoints: dict[str, tuple[Path, str]] = {}
        for name, (fn, _) in self.registered.items():
            if fn.code_file is not None and fn.code_file.is_file() and fn.code_def:
                entrypoints[name] = (fn.code_file, fn.code_def)
                files.update(p for p in fn.code_file.parent.glob("*.py") if p.is_file())
            elif fn.code_file is not None:
                self.note(
                    fn.name,
                    "info",
                    f"handler source {fn.handler} not found next to "
                    f"{self.path.name}: its code was not scanned for lock-in",
                )
        # An authorizer's Lambda code is scanned too; its findings are the scaffold's.
        for authorizer in self.authorizers.values():
            code = authorizer.function
            if authorizer.name not in app.authorizers or code is None:
                continue
            if code.code_file is not None and code.code_file.is_file() and code.code_def:
                entrypoints[authorizer.name] = (code.code_file, code.code_def)
                files.update(p for p in code.code_file.parent.glob("*.py") if p.is_file())
        return PlanInputs(
            app=app,
            clouds=clouds,
            traffic=traffic,
            source_label=self.kind,
            root=self.root,
            files=sorted(files),
            entrypoints=entrypoints,
            origins={name: fn.handler for name, (fn, _) in self.registered.items()},
            import_notes=list(self.notes),
            undecided=list(self.undecided),
        )


def _declare_workflow(app: App, imported: ImportedWorkflow, into: ImportedApp) -> None:
    """The workflow on ``app``: its tasks (stubs that say they are not ported) and its flow."""
    try:
        timeout = imported.timeout
        if imported.express and timeout is not None:
            timeout = min(timeout, EXPRESS_MAX_SECONDS)  # as Step Functions runs it
        declared = app.workflow(imported.name, timeout=timeout, express=imported.express)
        for task in imported.tasks.values():
            declared.task(task.handler, name=task.name, timeout=task.timeout)
        declared.flow(*imported.steps)
    except ConfigError as exc:
        text = f"workflow {imported.name!r} cannot be declared: {exc}"
        if all(note.text != text for note in into.notes):  # build_app may run twice
            into.note("", "blocked", text)
        app.workflows.pop(imported.name, None)


def _declare_authorizer(app: App, imported: ImportedAuthorizer, into: ImportedApp) -> None:
    """``app.authorizer`` for an imported one, with a handler that denies until it is ported."""
    try:
        app.authorizer(name=imported.name, ttl=imported.ttl, identity=imported.identity)(
            _not_ported_authorizer(imported.name)
        )
    except ConfigError as exc:
        into.note_once(imported.name, "blocked", f"authorizer cannot be declared: {exc}")


def _not_ported_authorizer(name: str) -> Callable[[AuthRequest], Allow | Deny]:
    def check(request: AuthRequest) -> Allow | Deny:
        return Deny(f"{name} is not ported yet")  # fail closed

    check.__name__ = name
    return check


def _route_auth(
    app: App, auth: AuthSpec
) -> Literal["anonymous", "platform-key"] | JWT | Authorizer:
    """``auth=`` for ``app.route``: the JWT, the declared authorizer, or the mode's name."""
    if isinstance(auth, ImportedJWT):
        return JWT(auth.issuer, auth.audience, auth.scopes)
    if isinstance(auth, AuthorizerRef):
        declared = app.authorizers.get(auth.name)
        if declared is None:
            raise ConfigError(f"its authorizer {auth.name!r} could not be declared")
        return declared
    return auth


def trigger_groups(fn: ImportedFunction) -> list[tuple[TriggerSpec, str]]:
    """Each polyfn function an imported one becomes: HTTP events on one path with the
    same auth merge.

    A function without a trigger polyfn can express becomes none (``build_app`` lists it
    as undecided).
    """
    merged: list[TriggerSpec] = []
    for spec in fn.triggers:
        if isinstance(spec, HttpSpec):
            same = next(
                (
                    m
                    for m in merged
                    if isinstance(m, HttpSpec) and m.path == spec.path and m.auth == spec.auth
                ),
                None,
            )
            if same is not None:
                same.methods = list(dict.fromkeys(same.methods + spec.methods))
                continue
            spec = HttpSpec(spec.path, list(spec.methods), spec.auth)
        merged.append(spec)
    names = [fn.name if i == 0 else f"{fn.name}_{i + 1}" for i in range(len(merged))]
    return list(zip(merged, names, strict=True))


def _not_ported(fn: ImportedFunction, name: str) -> Callable[..., Any]:
    def handler(event: Any) -> Any:
        raise NotImplementedError(f"{name}: port the logic of {fn.handler}")

    handler.__name__ = name
    return handler


def _register(
    app: App, fn: ImportedFunction, spec: TriggerSpec, name: str, handler: Callable[..., Any]
) -> None:
    options: dict[str, Any] = {
        "name": name,
        "memory": fn.memory,
        "timeout": fn.timeout,
        "reserved_concurrency": fn.reserved_concurrency,
        "provisioned_concurrency": fn.provisioned_concurrency,
    }
    if isinstance(spec, HttpSpec):
        app.route(spec.path, spec.methods, auth=_route_auth(app, spec.auth), **options)(handler)
    elif isinstance(spec, ObjectSpec):
        bucket = app.buckets[spec.bucket]
        register = app.on_object_created if spec.action == "created" else app.on_object_deleted
        register(bucket, prefix=spec.prefix, suffix=spec.suffix, **options)(handler)
    elif isinstance(spec, MessageSpec):
        app.on_message(app.queues[spec.queue], batch_size=spec.batch_size, **options)(handler)
    elif isinstance(spec, ChangeSpec):
        app.on_change(
            app.tables[spec.table],
            batch_size=spec.batch_size,
            start=spec.start,  # type: ignore[arg-type]
            retries=spec.retries,
            bisect=spec.bisect,
            **options,
        )(handler)
    elif isinstance(spec, ScheduleSpec):
        app.schedule(spec.expression, **options)(handler)
    else:
        app.on_event(source=spec.source, type=spec.type, **options)(handler)
