"""App: declare resources and functions, and bind the backends a runtime provides.

The App is the registry a user's module builds at import time (decorators add functions,
``app.bucket(...)`` and friends add resources) and the object adapters hand native
events to. The ``handle_*`` entry points live in ``dispatch``; binding backends to the
resources is the small public API here (``bind``, ``unbind``, ``binding``,
``backend_for``), so runtimes and the test plugin never reach into private state.

Core knows no runtime: an App used with nothing bound asks the default-binding hook,
which ``polyfn/__init__`` sets to the local backends (a folder and SQLite).
"""

from __future__ import annotations

from polyfn.core import dispatch
from polyfn.core.errors import ConfigError
from polyfn.core.functions import (
    HTTP_METHODS,
    ChangeTrigger,
    EventTrigger,
    Function,
    FunctionOptions,
    HttpTrigger,
    MessageTrigger,
    ObjectTrigger,
    ScheduleTrigger,
    Trigger,
)
from polyfn.core.routing import Router

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (cheap_typing.py)
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence
    from typing import Any, Literal, TypeVar

    from polyfn.core.auth import JWT, Allow, Authorizer, AuthRequest, Deny
    from polyfn.core.changes import Change
    from polyfn.core.context import Context
    from polyfn.core.cors import CORS
    from polyfn.core.event_bus import EventBus
    from polyfn.core.models import RequestModels
    from polyfn.core.ports import BackendProvider
    from polyfn.core.resources import Bucket, Queue, Resource, Table
    from polyfn.core.workflow import Workflow

    F = TypeVar("F", bound=Callable[..., Any])
    R = TypeVar("R", Bucket, Queue, Table, EventBus)
    AuthMode = Literal["anonymous", "platform-key", "function"] | JWT | Authorizer
    # {stage: {cloud: physical id}} of a resource that already exists (deploy adopts it).
    Existing = Mapping[str, Mapping[str, str]]

__all__ = [
    "App",
    "ChangeTrigger",
    "EventTrigger",
    "Function",
    "FunctionOptions",
    "HttpTrigger",
    "MessageTrigger",
    "ObjectTrigger",
    "ScheduleTrigger",
    "Trigger",
    "set_default_binding",
]

_FUNCTION_NAME_OK = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")

_default_binding: Callable[[App], BackendProvider] | None = None


def set_default_binding(factory: Callable[[App], BackendProvider] | None) -> None:
    """Choose what an App with nothing bound uses on first resource access.

    ``polyfn/__init__`` sets the local backends; core itself knows no runtime.
    """
    global _default_binding
    _default_binding = factory


class App:
    """A polyfn application: declare resources and handlers, then hand it to a runtime."""

    def __init__(
        self, name: str, *, cors: CORS | None = None, auth: JWT | Authorizer | None = None
    ) -> None:
        if not name or not all(c.isalnum() or c in "-_" for c in name):
            raise ConfigError(f"app name must be letters, digits, '-' or '_', got {name!r}")
        self.name = name
        self.cors = cors
        # The auth of every route that declares none (core.auth); None: anonymous.
        self.auth = auth
        self.authorizers: dict[str, Authorizer] = {}
        self.functions: dict[str, Function] = {}
        self.buckets: dict[str, Bucket] = {}
        self.queues: dict[str, Queue] = {}
        self.tables: dict[str, Table] = {}
        self.workflows: dict[str, Workflow] = {}
        self.event_buses: dict[str, EventBus] = {}
        # The route table of the HTTP functions; dispatch reads it on every request.
        self.router: Router[Function] = Router()
        self._binding: BackendProvider | None = None
        self._backends: dict[Resource, Any] = {}

    # ------------------------------------------------------------------ resources

    def bucket(self, name: str, *, existing: Existing | None = None) -> Bucket:
        """Declare a bucket (S3, Blob container, Cloud Storage bucket, a local folder).

        ``existing={stage: {cloud: id}}`` adopts a bucket that already exists at that stage
        on that cloud: deploy references it instead of creating one (docs/adopt.md)."""
        # The handles are imported by the first declaration: an app with none skips them.
        from polyfn.core.resources import Bucket

        bucket = self._declare(self.buckets, name, lambda: Bucket(self, name, existing))
        _same_existing(bucket, existing)
        return bucket

    def queue(
        self,
        name: str,
        *,
        max_receives: int = 3,
        visibility_timeout: int | None = None,
        existing: Existing | None = None,
    ) -> Queue:
        """Declare a queue; a message is dead-lettered after ``max_receives`` failed receives.

        ``visibility_timeout`` unset: a failed message is retried after 30 s locally and on
        Azure, and deploy sets SQS's visibility / Pub/Sub's ack deadline to 6x the
        consumer's timeout (AWS's recommendation); set, it is used everywhere as given.
        """
        from polyfn.core.resources import Queue

        queue = self._declare(
            self.queues,
            name,
            lambda: Queue(
                self,
                name,
                max_receives=max_receives,
                visibility_timeout=visibility_timeout,
                existing=existing,
            ),
        )
        if queue.max_receives != max_receives:
            raise ConfigError(f"queue {name!r} was declared twice with different max_receives")
        _same_existing(queue, existing)
        return queue

    def table(
        self,
        name: str,
        *,
        key: str = "id",
        sort: str | None = None,
        indexes: Mapping[str, str | tuple[str, str] | tuple[str]] | None = None,
        existing: Existing | None = None,
    ) -> Table:
        """Declare a table whose items are dicts keyed by the string attribute ``key``,
        with an optional string sort key ``sort`` and named secondary ``indexes``
        (``{"by_email": "email", "by_status": ("status", "created")}``)."""
        from polyfn.core.resources import Table

        table = self._declare(
            self.tables,
            name,
            lambda: Table(self, name, key=key, sort=sort, indexes=indexes, existing=existing),
        )
        if table.key != key or table.sort != sort:
            raise ConfigError(f"table {name!r} was declared twice with different keys")
        if (
            indexes is not None
            and table.schema.indexes
            != Table(self, name, key=key, sort=sort, indexes=indexes).schema.indexes
        ):
            raise ConfigError(f"table {name!r} was declared twice with different indexes")
        _same_existing(table, existing)
        return table

    def workflow(self, name: str, *, timeout: int | None = None, express: bool = False) -> Workflow:
        """Declare a workflow: its tasks are declared with ``@workflow.task``, its steps
        with ``workflow.flow(...)`` (see ``polyfn.core.workflow``). ``express=True``
        deploys a Step Functions Express state machine on AWS (priced per run and
        duration, five minutes at most, no idempotent names, no execution history)."""
        from polyfn.core.workflow import Workflow

        if name in self.workflows:
            raise ConfigError(f"a workflow named {name!r} is already declared in {self.name}")
        workflow = Workflow(self, name, timeout=timeout, express=express)
        self.workflows[name] = workflow
        return workflow

    def idempotent(
        self, *, table: Table | None = None, **options: Any
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """``polyfn.core.idempotency.idempotent`` with this App's records table: ``table``,
        or else the table ``idempotency`` (key ``id``) that polyfn declares for it. Put it
        below the trigger decorator (``@app.post(...)`` then ``@app.idempotent()``)."""
        from polyfn.core.idempotency import idempotent

        if table is None:
            table = self.table("idempotency", key="id")
        elif getattr(table, "_app", None) is not self:
            raise ConfigError(f"@app.idempotent: table {table!r} belongs to another App")
        wrap = idempotent(table, **options)

        def decorate(handler: Callable[..., Any]) -> Callable[..., Any]:
            # Above the trigger decorator, the App would already run the bare handler.
            if any(fn.handler is handler for fn in self.functions.values()):
                raise ConfigError(
                    f"@app.idempotent on {getattr(handler, '__name__', handler)!r} must be "
                    "below the trigger decorator (@app.post(...), then @app.idempotent())"
                )
            return wrap(handler)

        return decorate

    def event_bus(self, name: str, *, existing: Existing | None = None) -> EventBus:
        """Declare an event bus to ``publish`` to (an EventBridge bus, an Event Grid custom
        topic, a Pub/Sub topic, in-process locally); ``on_event(bus=...)`` subscribes."""
        from polyfn.core.event_bus import EventBus

        bus = self._declare(self.event_buses, name, lambda: EventBus(self, name, existing))
        _same_existing(bus, existing)
        return bus

    def _declare(self, registry: dict[str, R], name: str, make: Callable[[], R]) -> R:
        existing = registry.get(name)
        if existing is not None:
            return existing
        resource = make()
        registry[name] = resource
        return resource

    # ------------------------------------------------------------------ binding

    def bind(self, provider: BackendProvider) -> None:
        """Choose the backends for every resource (runtimes call this, rarely users)."""
        self._release_backends()
        self._binding = provider

    def unbind(self) -> BackendProvider | None:
        """Forget the bound backends; returns the provider that was bound, if any.

        The next resource access binds again through the default-binding hook.
        """
        previous = self._binding
        self._release_backends()
        self._binding = None
        return previous

    @property
    def binding(self) -> BackendProvider | None:
        """The bound backend provider, or None while nothing is bound yet."""
        return self._binding

    def backend_for(self, resource: Resource) -> Any:
        """The backend serving ``resource`` (made on first use, then kept)."""
        backend = self._backends.get(resource)
        if backend is None:
            provider = self._binding
            if provider is None:
                if _default_binding is None:
                    raise ConfigError(
                        f"app {self.name}: no backends bound for {resource.kind} "
                        f"{resource.name!r}; run it through a runtime or call app.bind(...)"
                    )
                provider = _default_binding(self)
                self._binding = provider
            backend = getattr(provider, resource.kind)(resource)
            self._backends[resource] = backend
        return backend

    def _release_backends(self) -> None:
        # The SDK clients stay with the provider that made them; only the handles go.
        self._backends = {}

    # ------------------------------------------------------------------ decorators

    def route(
        self,
        path: str,
        methods: Iterable[str] = ("GET",),
        *,
        name: str | None = None,
        auth: AuthMode | None = None,
        memory: int | None = None,
        timeout: int | None = None,
        reserved_concurrency: int | None = None,
        provisioned_concurrency: int | None = None,
        concurrency: int | None = None,
        uses: Iterable[Bucket | Queue | Table | EventBus] | None = None,
        body: Any = None,
        path_params: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        response: Any = None,
        responses: Mapping[int, Any] | None = None,
        log_event: bool = False,
    ) -> Callable[[F], F]:
        """Serve ``methods`` on ``path`` (``/users/{id}``, ``/files/{path+}``).

        ``body`` (a dataclass, TypedDict or pydantic model), ``path_params`` and
        ``query`` (``{"name": type}``) are checked before the handler runs, which reads
        the results as ``req.model`` and ``req.params`` (``core.models``);
        ``response`` (the 200 answer's model) and ``responses`` (``{status: model}``)
        document the answers in the App's OpenAPI document.
        ``auth``: ``"anonymous"``; ``"platform-key"`` (the platform's own credential:
        IAM/SigV4 on AWS, a function key on Azure, the invoker role on Google Cloud, the
        key ``polyfn run`` prints; ``"function"`` is its former name); ``JWT(...)``; or an
        ``@app.authorizer``. None (the default) takes the App's ``auth``.
        """
        method_list = [m.upper() for m in methods]
        for method in method_list:
            if method not in HTTP_METHODS:
                raise ConfigError(f"unknown HTTP method {method!r} for route {path!r}")
        if not method_list:
            raise ConfigError(f"route {path!r} needs at least one method")
        platform_auth, guard = self._route_auth(path, auth)
        options = FunctionOptions(
            memory,
            timeout,
            reserved_concurrency,
            provisioned_concurrency,
            uses,
            log_event=log_event,
            concurrency=concurrency,
        )

        def register(handler: F) -> F:
            try:
                trigger = HttpTrigger(path, method_list, platform_auth, guard)
            except ValueError as exc:
                raise ConfigError(str(exc)) from None
            fn = self._register(name or handler.__name__, handler, trigger, options)
            if body is not None or path_params or query or response is not None or responses:
                fn.models = self._models(trigger, body, path_params, query, response, responses)
            try:
                self.router.add(path, method_list, fn)
            except ValueError as exc:
                del self.functions[fn.name]
                raise ConfigError(str(exc)) from None
            return handler

        return register

    def _models(
        self,
        trigger: HttpTrigger,
        body: Any,
        path_params: Mapping[str, Any] | None,
        query: Mapping[str, Any] | None,
        response: Any,
        responses: Mapping[int, Any] | None,
    ) -> RequestModels:
        # Imported by the first route that declares a model: it loads typing and
        # dataclasses, which an App without models never pays for at cold start.
        from polyfn.core.models import RequestModels

        answers = dict(responses or {})
        if response is not None:
            answers.setdefault(200, response)
        try:
            return RequestModels(
                body=body,
                path=path_params,
                query=query,
                responses=answers,
                path_names=trigger.template.params,
            )
        except ConfigError as exc:
            raise ConfigError(f"route {trigger.path!r}: {exc}") from None

    def _route_auth(self, path: str, auth: AuthMode | None) -> tuple[str, JWT | Authorizer | None]:
        """The platform's key level and polyfn's guard for a route declaring ``auth``."""
        if auth is None:
            auth = self.auth if self.auth is not None else "anonymous"
        if auth == "anonymous":
            return "anonymous", None
        if auth in ("platform-key", "function"):
            return "function", None
        kind = getattr(auth, "kind", None)
        if kind == "authorizer":
            if self.authorizers.get(auth.name) is not auth:  # type: ignore[union-attr]
                raise ConfigError(f"route {path!r}: its authorizer is not one of this app's")
            return "anonymous", auth
        if kind == "jwt":
            return "anonymous", auth  # type: ignore[return-value]
        raise ConfigError(
            f"route {path!r}: auth must be 'anonymous', 'platform-key', JWT(...) or an "
            f"@app.authorizer, got {auth!r}"
        )

    def authorizer(
        self,
        function: Callable[[AuthRequest], Allow | Deny] | None = None,
        *,
        name: str | None = None,
        ttl: int = 300,
        identity: Iterable[str] = ("header:authorization",),
    ) -> Any:
        """Declare a custom authorizer; routes take it as ``auth=``.

        It receives an ``AuthRequest`` (headers, query, path, path parameters, source IP)
        and returns ``Allow(subject, context=...)`` or ``Deny(reason)``. Answers are
        cached for ``ttl`` seconds per value of the ``identity`` sources. On AWS it is
        deployed as a Lambda authorizer; elsewhere it runs before the handler.
        """
        from polyfn.core.auth import Authorizer

        def register(fn: Callable[[AuthRequest], Allow | Deny]) -> Authorizer:
            label = name or fn.__name__
            if label in self.authorizers or label in self.functions:
                raise ConfigError(f"app {self.name}: {label!r} is declared twice")
            if not label or not all(c in _FUNCTION_NAME_OK for c in label):
                raise ConfigError(f"authorizer name must be letters, digits or '_': {label!r}")
            made = Authorizer(label, fn, ttl=ttl, identity=identity)
            self.authorizers[label] = made
            return made

        return register(function) if function is not None else register

    def get(self, path: str, **kwargs: Any) -> Callable[[F], F]:
        return self.route(path, ("GET",), **kwargs)

    def post(self, path: str, **kwargs: Any) -> Callable[[F], F]:
        return self.route(path, ("POST",), **kwargs)

    def put(self, path: str, **kwargs: Any) -> Callable[[F], F]:
        return self.route(path, ("PUT",), **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Callable[[F], F]:
        return self.route(path, ("PATCH",), **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Callable[[F], F]:
        return self.route(path, ("DELETE",), **kwargs)

    def on_object_created(
        self, bucket: Bucket, *, prefix: str = "", suffix: str = "", **kwargs: Any
    ) -> Callable[[F], F]:
        """Run for each object written to ``bucket`` whose key matches prefix and suffix."""
        return self._on_object(bucket, "created", prefix, suffix, kwargs)

    def on_object_deleted(
        self, bucket: Bucket, *, prefix: str = "", suffix: str = "", **kwargs: Any
    ) -> Callable[[F], F]:
        """Run for each object deleted from ``bucket`` whose key matches prefix and suffix."""
        return self._on_object(bucket, "deleted", prefix, suffix, kwargs)

    def _on_object(
        self,
        bucket: Bucket,
        action: Literal["created", "deleted"],
        prefix: str,
        suffix: str,
        kwargs: dict[str, Any],
    ) -> Callable[[F], F]:
        self._check_own(bucket, self.buckets, "bucket")
        trigger = ObjectTrigger(bucket, action, prefix, suffix)
        return self._decorator(trigger, kwargs)

    def on_message(self, queue: Queue, *, batch_size: int = 10, **kwargs: Any) -> Callable[[F], F]:
        """Run once per message; raising fails that message alone, to be retried."""
        self._check_own(queue, self.queues, "queue")
        if not 1 <= batch_size <= 10000:
            raise ConfigError(f"batch_size must be 1-10000, got {batch_size}")
        for fn in self.functions.values():
            if isinstance(fn.trigger, MessageTrigger) and fn.trigger.queue is queue:
                raise ConfigError(
                    f"queue {queue.name!r} already has a consumer ({fn.name}); a queue has one"
                )
        return self._decorator(MessageTrigger(queue, batch_size), kwargs)

    def on_change(
        self,
        table: Table,
        *,
        batch_size: int = 100,
        start: Literal["latest", "oldest"] = "latest",
        retries: int = 3,
        bisect: bool = True,
        **kwargs: Any,
    ) -> Callable[[F], F]:
        """Run on the changes of ``table`` (DynamoDB Streams, Firestore document events,
        the local change log): the handler takes one ``Change``; raising fails that
        change and the ones after it in the batch, which are delivered again (see
        ``core.change_dispatch``). Several functions may read one table, each with its
        own position in the feed (DynamoDB advises at most two readers of a stream)."""
        self._check_own(table, self.tables, "table")
        if not 1 <= batch_size <= 10000:
            raise ConfigError(f"batch_size must be 1-10000, got {batch_size}")
        if start not in ("latest", "oldest"):
            raise ConfigError(f"start must be 'latest' or 'oldest', got {start!r}")
        if type(retries) is not int or not 0 <= retries <= 10000:
            raise ConfigError(f"retries must be 0-10000, got {retries!r}")
        return self._decorator(
            ChangeTrigger(table, batch_size, start, retries, bool(bisect)), kwargs
        )

    def schedule(self, expression: str, **kwargs: Any) -> Callable[[F], F]:
        """Run on a schedule: ``rate(5 minutes)`` or a 5-field cron in UTC."""
        # Imported here: an app without schedules never loads the cron parser.
        from polyfn.core.schedule import parse_schedule

        return self._decorator(ScheduleTrigger(parse_schedule(expression)), kwargs)

    def on_event(
        self,
        *,
        source: str | None = None,
        type: str | None = None,
        bus: EventBus | None = None,
        **kwargs: Any,
    ) -> Callable[[F], F]:
        """Run for other events (EventBridge, SNS, Event Grid, CloudEvents) by source/type.

        Both accept an exact value or a prefix ending in ``*``; omitted means any. With
        ``bus=`` (from ``app.event_bus``) the function receives what is published to that
        bus, with the same source and type on every cloud (see ``core.event_bus``).
        """
        if bus is not None:
            self._check_own(bus, self.event_buses, "event_bus")
        return self._decorator(EventTrigger(source, type, bus), kwargs)

    def _decorator(self, trigger: Trigger, kwargs: dict[str, Any]) -> Callable[[F], F]:
        name = kwargs.pop("name", None)
        try:
            options = FunctionOptions(**kwargs)
        except TypeError as exc:
            raise ConfigError(f"unknown function option: {exc}") from None

        def register(handler: F) -> F:
            self._register(name or handler.__name__, handler, trigger, options)
            return handler

        return register

    def _register(
        self, name: str, handler: Callable[..., Any], trigger: Trigger, options: FunctionOptions
    ) -> Function:
        if not callable(handler):
            raise ConfigError(f"{name!r} is not callable")
        if not name or not set(name) <= _FUNCTION_NAME_OK or name[0].isdigit():
            raise ConfigError(f"function name {name!r} must be a Python identifier")
        if name in self.functions:
            raise ConfigError(f"a function named {name!r} is already registered in {self.name}")
        for resource in options.uses or ():
            self._check_own(resource, self.registry_of(resource.kind), resource.kind)
        fn = Function(name, handler, trigger, options)
        self.functions[name] = fn
        return fn

    def _check_own(self, resource: Any, registry: dict[str, Any], kind: str) -> None:
        if registry.get(getattr(resource, "name", "")) is not resource:
            raise ConfigError(f"declare the {kind} with app.{kind}(...) of this app first")

    # ------------------------------------------------------------------ lookup

    def registry_of(self, kind: str) -> dict[str, Any]:
        """The declared resources of one kind (``"bucket"``, ..., ``"workflow"``) by name."""
        registries: dict[str, dict[str, Any]] = {
            "bucket": self.buckets,
            "queue": self.queues,
            "table": self.tables,
            "event_bus": self.event_buses,
            "workflow": self.workflows,
        }
        return registries[kind]

    def function(self, name: str) -> Function:
        try:
            return self.functions[name]
        except KeyError:
            known = ", ".join(sorted(self.functions)) or "none"
            raise ConfigError(f"no function {name!r} in app {self.name} (known: {known})") from None

    def functions_of(self, kind: str) -> list[Function]:
        return [fn for fn in self.functions.values() if fn.trigger.kind == kind]

    def bucket_by_physical(self, physical: str) -> Bucket | None:
        for bucket in self.buckets.values():
            # The logical name first: comparing it reads no environment variable.
            if bucket.name == physical or bucket.physical_name == physical:
                return bucket
        return None

    def queue_by_physical(self, physical: str) -> Queue | None:
        for queue in self.queues.values():
            if queue.name == physical or queue.physical_name == physical:
                return queue
        return None

    # ------------------------------------------------------------------ dispatch
    # The entry points adapters call, as methods; their code and rules are in dispatch.

    handle_http = dispatch.handle_http
    handle_object = dispatch.handle_object
    handle_messages = dispatch.handle_messages
    handle_schedule = dispatch.handle_schedule
    handle_event = dispatch.handle_event
    handle_task = dispatch.handle_task
    consumer_of = dispatch.consumer_of
    scheduled_function = dispatch.scheduled_function

    def handle_changes(
        self,
        table_physical: str | None,
        changes: Sequence[Change],
        ctx: Context,
        *,
        function: str | None = None,
    ) -> list[Change]:
        """Run the table's on_change function on ``changes`` in order; the changes not
        done (see ``core.change_dispatch``, loaded by the first change feed)."""
        from polyfn.core.change_dispatch import handle_changes

        return handle_changes(self, table_physical, changes, ctx, function=function)

    def table_by_physical(self, physical: str) -> Table | None:
        for table in self.tables.values():
            if table.name == physical or table.physical_name == physical:
                return table
        return None

    def routes(self) -> list[tuple[str, str, Function]]:
        """(method, path, function) for every HTTP route, for summaries and deploy."""
        result: list[tuple[str, str, Function]] = []
        for fn in self.functions_of("http"):
            trigger = fn.trigger
            assert isinstance(trigger, HttpTrigger)
            result.extend((method, trigger.path, fn) for method in trigger.methods)
        return result

    def __repr__(self) -> str:
        return f"<App {self.name}: {len(self.functions)} functions>"


def _same_existing(resource: Resource, existing: Existing | None) -> None:
    """A second declaration may leave ``existing`` out, not contradict the first."""
    if existing is None:
        return
    from polyfn.core.resources import existing_resources

    if existing_resources(resource.kind, resource.name, existing) != resource.existing:
        raise ConfigError(
            f"{resource.kind} {resource.name!r} was declared twice with different existing"
        )
