"""App: the registry of functions, triggers and resources, and the dispatcher adapters call.

Adapters translate a native event into the core model and call one of the ``handle_*``
methods; everything that must behave the same on every cloud (routing, 404/405/500,
CORS, which messages of a batch failed, object filters) happens here, once.
"""

from __future__ import annotations

import os

from polyfn.core.context import Context, _reset_current, _set_current
from polyfn.core.errors import ConfigError
from polyfn.core.http import HTTPError, Request, Response, to_response
from polyfn.core.routing import MethodNotAllowed, NotFound, PathTemplate, Router

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (cheap_typing.py)
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from typing import Any, Literal, TypeVar

    from polyfn.core.cors import CORS
    from polyfn.core.events import Event, Message, ObjectEvent, Schedule
    from polyfn.core.ports import BackendProvider
    from polyfn.core.resources import Bucket, Queue, Table
    from polyfn.core.schedule import ScheduleExpression

    F = TypeVar("F", bound=Callable[..., Any])
    R = TypeVar("R", Bucket, Queue, Table)

__all__ = [
    "App",
    "EventTrigger",
    "Function",
    "FunctionOptions",
    "HttpTrigger",
    "MessageTrigger",
    "ObjectTrigger",
    "ScheduleTrigger",
    "Trigger",
]

HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
_FUNCTION_NAME_OK = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


# ----------------------------------------------------------------------------- triggers


class HttpTrigger:
    kind: Literal["http"] = "http"
    __slots__ = ("auth", "methods", "path", "template")

    def __init__(self, path: str, methods: Sequence[str], auth: str) -> None:
        self.path = path
        self.methods = tuple(methods)
        self.template = PathTemplate.parse(path)
        self.auth = auth

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


class ScheduleTrigger:
    kind: Literal["schedule"] = "schedule"
    __slots__ = ("expression",)

    def __init__(self, expression: ScheduleExpression) -> None:
        self.expression = expression

    def describe(self) -> str:
        return f"schedule {self.expression.text}"


class EventTrigger:
    kind: Literal["event"] = "event"
    __slots__ = ("source", "type")

    def __init__(self, source: str | None, type: str | None) -> None:
        self.source = source
        self.type = type

    def matches(self, event: Event) -> bool:
        return _glob(self.source, event.source) and _glob(self.type, event.type)

    def describe(self) -> str:
        return f"event source={self.source or '*'} type={self.type or '*'}"


Trigger = HttpTrigger | ObjectTrigger | MessageTrigger | ScheduleTrigger | EventTrigger


def _glob(pattern: str | None, value: str) -> bool:
    if pattern is None or pattern == "*":
        return True
    if pattern.endswith("*"):
        return value.startswith(pattern[:-1])
    return pattern == value


class FunctionOptions:
    """Per-function deployment settings; the runtime ignores them, deploy reads them."""

    __slots__ = ("memory", "provisioned_concurrency", "reserved_concurrency", "timeout", "uses")

    def __init__(
        self,
        memory: int | None = None,
        timeout: int | None = None,
        reserved_concurrency: int | None = None,
        provisioned_concurrency: int | None = None,
        uses: Iterable[Bucket | Queue | Table] | None = None,
    ) -> None:
        for label, value in (
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
        # The resources the handler touches, when the deploy step's scan of its code should
        # not decide (None): deploy grants exactly these, with full access.
        self.uses: tuple[Bucket | Queue | Table, ...] | None = None
        if uses is not None:
            from polyfn.core.resources import Bucket, Queue, Table

            listed = tuple(uses)
            for resource in listed:
                if not isinstance(resource, Bucket | Queue | Table):
                    raise ConfigError(f"uses= takes buckets, queues and tables, got {resource!r}")
            self.uses = listed


class Function:
    """One user handler and its trigger: the unit that is deployed and invoked."""

    __slots__ = ("handler", "name", "options", "trigger", "wants_context")

    def __init__(
        self, name: str, handler: Callable[..., Any], trigger: Trigger, options: FunctionOptions
    ) -> None:
        self.name = name
        self.handler = handler
        self.trigger = trigger
        self.options = options
        self.wants_context = _accepts_two_arguments(handler)

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


# ----------------------------------------------------------------------------- the app


class App:
    """A polyfn application: declare resources and handlers, then hand it to a runtime."""

    def __init__(self, name: str, *, cors: CORS | None = None) -> None:
        if not name or not all(c.isalnum() or c in "-_" for c in name):
            raise ConfigError(f"app name must be letters, digits, '-' or '_', got {name!r}")
        self.name = name
        self.cors = cors
        self.functions: dict[str, Function] = {}
        self.buckets: dict[str, Bucket] = {}
        self.queues: dict[str, Queue] = {}
        self.tables: dict[str, Table] = {}
        self._router: Router[Function] = Router()
        self._binding: BackendProvider | None = None
        self._binding_generation = 0

    # ------------------------------------------------------------------ resources

    def bucket(self, name: str) -> Bucket:
        """Declare a bucket (S3, Blob container, Cloud Storage bucket, a local folder)."""
        # The handles are imported by the first declaration: an app with none skips them.
        from polyfn.core.resources import Bucket

        return self._declare(self.buckets, name, lambda: Bucket(self, name))

    def queue(self, name: str, *, max_receives: int = 3, visibility_timeout: int = 30) -> Queue:
        """Declare a queue; a message is dead-lettered after ``max_receives`` failed receives."""
        from polyfn.core.resources import Queue

        queue = self._declare(
            self.queues,
            name,
            lambda: Queue(
                self, name, max_receives=max_receives, visibility_timeout=visibility_timeout
            ),
        )
        if queue.max_receives != max_receives:
            raise ConfigError(f"queue {name!r} was declared twice with different max_receives")
        return queue

    def table(self, name: str, *, key: str = "id") -> Table:
        """Declare a table whose items are dicts keyed by the string attribute ``key``."""
        from polyfn.core.resources import Table

        table = self._declare(self.tables, name, lambda: Table(self, name, key=key))
        if table.key != key:
            raise ConfigError(f"table {name!r} was declared twice with different keys")
        return table

    def _declare(self, registry: dict[str, R], name: str, make: Callable[[], R]) -> R:
        existing = registry.get(name)
        if existing is not None:
            return existing
        resource = make()
        registry[name] = resource
        return resource

    def bind(self, provider: BackendProvider) -> None:
        """Choose the backends for every resource (runtimes call this, rarely users)."""
        self._binding = provider
        self._binding_generation += 1

    def _provider(self) -> BackendProvider:
        if self._binding is None:
            # An App used outside any runtime (a script, a test) works on the local backends.
            from polyfn.adapters.local.backends import LocalBackends

            self.bind(LocalBackends.from_env(self.name))
        assert self._binding is not None
        return self._binding

    # ------------------------------------------------------------------ decorators

    def route(
        self,
        path: str,
        methods: Iterable[str] = ("GET",),
        *,
        name: str | None = None,
        auth: Literal["anonymous", "function"] = "anonymous",
        memory: int | None = None,
        timeout: int | None = None,
        reserved_concurrency: int | None = None,
        provisioned_concurrency: int | None = None,
        uses: Iterable[Bucket | Queue | Table] | None = None,
    ) -> Callable[[F], F]:
        """Serve ``methods`` on ``path`` (``/users/{id}``, ``/files/{path+}``)."""
        method_list = [m.upper() for m in methods]
        for method in method_list:
            if method not in HTTP_METHODS:
                raise ConfigError(f"unknown HTTP method {method!r} for route {path!r}")
        if not method_list:
            raise ConfigError(f"route {path!r} needs at least one method")
        if auth not in ("anonymous", "function"):
            raise ConfigError(f"route {path!r}: auth must be 'anonymous' or 'function'")
        options = FunctionOptions(
            memory, timeout, reserved_concurrency, provisioned_concurrency, uses
        )

        def register(handler: F) -> F:
            try:
                trigger = HttpTrigger(path, method_list, auth)
            except ValueError as exc:
                raise ConfigError(str(exc)) from None
            fn = self._register(name or handler.__name__, handler, trigger, options)
            try:
                self._router.add(path, method_list, fn)
            except ValueError as exc:
                del self.functions[fn.name]
                raise ConfigError(str(exc)) from None
            return handler

        return register

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

    def schedule(self, expression: str, **kwargs: Any) -> Callable[[F], F]:
        """Run on a schedule: ``rate(5 minutes)`` or a 5-field cron in UTC."""
        # Imported here: an app without schedules never loads the cron parser.
        from polyfn.core.schedule import parse_schedule

        return self._decorator(ScheduleTrigger(parse_schedule(expression)), kwargs)

    def on_event(
        self, *, source: str | None = None, type: str | None = None, **kwargs: Any
    ) -> Callable[[F], F]:
        """Run for other events (EventBridge, SNS, Event Grid, CloudEvents) by source/type.

        Both accept an exact value or a prefix ending in ``*``; omitted means any.
        """
        return self._decorator(EventTrigger(source, type), kwargs)

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
            self._check_own(resource, getattr(self, resource.kind + "s"), resource.kind)
        fn = Function(name, handler, trigger, options)
        self.functions[name] = fn
        return fn

    def _check_own(self, resource: Any, registry: dict[str, Any], kind: str) -> None:
        if registry.get(getattr(resource, "name", "")) is not resource:
            raise ConfigError(f"declare the {kind} with app.{kind}(...) of this app first")

    # ------------------------------------------------------------------ lookup

    def function(self, name: str) -> Function:
        try:
            return self.functions[name]
        except KeyError:
            known = ", ".join(sorted(self.functions)) or "none"
            raise ConfigError(f"no function {name!r} in app {self.name} (known: {known})") from None

    def functions_of(self, kind: str) -> list[Function]:
        return [fn for fn in self.functions.values() if fn.trigger.kind == kind]

    def pinned_function(self) -> Function | None:
        """The function named by ``POLYFN_FUNCTION``: a deployment of one function only."""
        name = os.environ.get("POLYFN_FUNCTION")
        return self.function(name) if name else None

    def _pinned(self, function: str | None) -> Function | None:
        # A name, "" (the caller knows nothing is pinned), or None (read the environment).
        if function is None:
            return self.pinned_function()
        return self.function(function) if function else None

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

    def handle_http(self, request: Request, ctx: Context, route_key: str | None = None) -> Response:
        """Route and run one request; every failure becomes an HTTP answer, never a raise.

        ``route_key`` is for platforms that route before polyfn does: the route they
        matched, written ``"GET /users/{id}"`` (API Gateway's ``routeKey``), with the
        parameters they extracted already in ``request.path_params``. When the App
        declares that very method and template, its function runs without a second
        match; any other key (``$default``, ``ANY /{proxy+}``, a template the App does not
        have) and polyfn routes the path itself.
        """
        token = _set_current(ctx)
        cors = self.cors
        try:
            if cors is not None and cors.is_preflight(request):
                response = cors.preflight(request, self._router.allowed(request.path))
            else:
                fn = self._router.by_route_key.get(route_key) if route_key else None
                if fn is None:
                    fn, request.path_params = self._router.match(request.method, request.path)
                ctx.function_name = fn.name
                # Function.call inlined: this is the one call every request makes.
                result = fn.handler(request, ctx) if fn.wants_context else fn.handler(request)
                response = result if type(result) is Response else to_response(result)
        except HTTPError as exc:
            response = error_response(exc.status, exc.message, request.request_id)
            for header, value in exc.headers.items():
                response.headers.set(header, value)
        except NotFound:
            response = error_response(404, "Not Found", request.request_id)
        except MethodNotAllowed as exc:
            response = error_response(405, "Method Not Allowed", request.request_id)
            response.headers.set("allow", ", ".join(exc.allowed))
        except Exception as exc:
            _log_exception(ctx, f"unhandled error in {request.method} {request.path}", exc)
            response = error_response(500, "Internal Server Error", request.request_id)
        finally:
            _reset_current(token)
        if cors is not None:
            cors.decorate(request, response)
        if request.method == "HEAD":
            response.body = b""
        return response

    def handle_object(
        self, event: ObjectEvent, ctx: Context, *, function: str | None = None
    ) -> int:
        """Run every function whose trigger matches; returns how many ran.

        ``function`` limits the run to that one function, for platforms that trigger each
        function separately from one process (Azure); ``""`` says the caller has read
        ``POLYFN_FUNCTION`` once already and it is not set; None has it read here. Errors
        propagate so that the platform retries the event.
        """
        pinned = self._pinned(function)
        bucket = self.bucket_by_physical(event.bucket)
        if bucket is not None:
            event.bucket = bucket.name
        candidates: list[Function]
        if pinned is not None:
            candidates = [pinned]
        else:
            candidates = [
                fn
                for fn in self.functions.values()
                if isinstance(fn.trigger, ObjectTrigger) and fn.trigger.bucket is bucket
            ]
        ran = 0
        token = _set_current(ctx)
        try:
            for fn in candidates:
                trigger = fn.trigger
                if isinstance(trigger, ObjectTrigger) and trigger.matches(event):
                    event.bucket = trigger.bucket.name
                    ctx.function_name = fn.name
                    fn.call(event, ctx)
                    ran += 1
        finally:
            _reset_current(token)
        return ran

    def consumer_of(self, queue_physical: str | None) -> Function | None:
        pinned = self.pinned_function()
        if pinned is not None:
            return pinned if isinstance(pinned.trigger, MessageTrigger) else None
        consumers = self.functions_of("message")
        if queue_physical is not None:
            queue = self.queue_by_physical(queue_physical)
            for fn in consumers:
                if fn.trigger.queue is queue:  # type: ignore[union-attr]
                    return fn
            return None
        return consumers[0] if len(consumers) == 1 else None

    def handle_messages(
        self,
        queue_physical: str | None,
        messages: Sequence[Message],
        ctx: Context,
        *,
        function: str | None = None,
    ) -> list[Message]:
        """Run the queue's consumer on each message; return the ones whose handler raised.

        A batch for a queue nobody consumes fails whole, so the messages reach the
        dead-letter queue instead of being acknowledged and lost. ``function`` names the
        consumer when the caller has already found it with ``consumer_of``.
        """
        fn = self.function(function) if function else self.consumer_of(queue_physical)
        if fn is None:
            _log_error(
                ctx,
                f"no on_message handler for queue {queue_physical!r}; "
                f"failing {len(messages)} message(s) so they are retried, not lost",
            )
            return list(messages)
        failed: list[Message] = []
        fctx = ctx
        fctx.function_name = fn.name
        queue_name = fn.trigger.queue.name  # type: ignore[union-attr]
        token = _set_current(fctx)
        handler, wants_context = fn.handler, fn.wants_context
        try:
            for message in messages:
                message.queue = queue_name
                try:
                    if wants_context:
                        handler(message, fctx)
                    else:
                        handler(message)
                except Exception as exc:
                    _log_exception(fctx, f"message {message.id} failed in {fn.name}", exc)
                    failed.append(message)
        finally:
            _reset_current(token)
        return failed

    def schedule_function(self, hint: str | None = None) -> Function | None:
        """The scheduled function an invocation is for: pinned, named by hint, or the only one."""
        pinned = self.pinned_function()
        if pinned is not None:
            return pinned
        scheduled = self.functions_of("schedule")
        if hint:
            # An exact name first: "fast_tick" must not be taken for "tick" by its suffix.
            for fn in scheduled:
                if fn.name == hint:
                    return fn
            for fn in scheduled:
                if hint.endswith((fn.name, fn.name.replace("_", "-"))):
                    return fn
        return scheduled[0] if len(scheduled) == 1 else None

    def handle_schedule(self, tick: Schedule, ctx: Context, hint: str | None = None) -> Any:
        fn = self.schedule_function(hint or tick.name)
        if fn is None:
            from polyfn.core.errors import UnrecognizedEvent

            raise UnrecognizedEvent(
                f"cannot tell which scheduled function {tick.name!r} is for",
                expected="POLYFN_FUNCTION set to the function name, or one schedule per app",
            )
        tick.name = fn.name
        ctx.function_name = fn.name
        token = _set_current(ctx)
        try:
            return fn.call(tick, ctx)
        finally:
            _reset_current(token)

    def handle_event(self, event: Event, ctx: Context, *, function: str | None = None) -> int:
        """Run every ``on_event`` function matching source and type; returns how many ran.

        ``function`` limits the run to that one function (see ``handle_object``).
        """
        pinned = self._pinned(function)
        candidates = [pinned] if pinned is not None else self.functions_of("event")
        ran = 0
        token = _set_current(ctx)
        try:
            for fn in candidates:
                trigger = fn.trigger
                if isinstance(trigger, EventTrigger) and trigger.matches(event):
                    ctx.function_name = fn.name
                    fn.call(event, ctx)
                    ran += 1
        finally:
            _reset_current(token)
        return ran

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


def error_response(status: int, message: str, request_id: str) -> Response:
    """The JSON error body every runtime answers with: message, status, request id."""
    body = {"error": {"status": status, "message": message, "request_id": request_id}}
    return Response.json(body, status)


def _log_exception(ctx: Context, message: str, exc: BaseException) -> None:
    from polyfn.core.failures import log_failure  # loaded by the first failure only

    log_failure(ctx.logger, message, ctx.request_id, exc)


def _log_error(ctx: Context, message: str) -> None:
    ctx.logger.error("%s (request %s)", message, ctx.request_id)
