"""Dispatch: the ``handle_*`` entry points every runtime calls, one rule each.

An adapter translates a native event into the core model and calls one of these (as
methods of the App: ``app.handle_http(request, ctx)``). Everything that must behave the
same on every cloud happens here, once: routing, 404/405/500, CORS, which messages of a
batch failed, object and event filters, and which scheduled function a tick is for.

Core reads no environment. A deployment that pins one function (``POLYFN_FUNCTION``)
is told to dispatch by the adapter, which reads the variable once and passes the name as
``function``; ``None`` means nothing is pinned. A pinned deployment runs its own function
and nothing else, whatever reaches it: every cloud deploys the whole App with each
function, so a request for another function's route (a direct call to a Cloud Functions
URL, a Lambda invoked directly) answers 404 instead of running that function under the
pinned one's identity and permissions.

An input that runs nothing (no route aside, which is a 404) is reported once, here, for
every cloud: ``unmatched.report`` logs a WARNING naming what arrived and why.
"""

from __future__ import annotations

from time import perf_counter as _clock

from polyfn.core import unmatched
from polyfn.core.context import _reset_current, _set_current
from polyfn.core.functions import (
    EventTrigger,
    HttpTrigger,
    MessageTrigger,
    ObjectTrigger,
    ScheduleTrigger,
)
from polyfn.core.http import HTTPError, Response, to_response
from polyfn.core.metric_sinks import INVOCATIONS, TIMED
from polyfn.core.routing import MethodNotAllowed, NotFound
from polyfn.core.spans import TRACER

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (cheap_typing.py)
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from typing import Any

    from polyfn.core.app import App
    from polyfn.core.context import Context
    from polyfn.core.events import Event, Message, ObjectEvent, Schedule
    from polyfn.core.functions import Function
    from polyfn.core.http import Request
    from polyfn.core.resources import Bucket

__all__ = [
    "consumer_of",
    "error_response",
    "handle_event",
    "handle_http",
    "handle_messages",
    "handle_object",
    "handle_schedule",
    "scheduled_function",
]

# trace_context.HOPS_ATTRIBUTE, written out: dispatch must not load trace parsing for an
# invocation that never asks for its trace (tests/core/test_observability_imports.py).
HOPS_ATTRIBUTE = "polyfn-hops"

# Deploy names each schedule after the app, the stage and the function; Cloud Scheduler
# job ids get this suffix as well.
_SCHEDULE_SUFFIX = "-schedule"


def handle_http(
    app: App,
    request: Request,
    ctx: Context,
    route_key: str | None = None,
    function: str | None = None,
) -> Response:
    """Route and run one request; every failure becomes an HTTP answer, never a raise.

    ``function`` is the pinned function: a request the App routes to any other function
    is a 404 (a 405 when only the method differs from the pinned route's).

    ``route_key`` is for platforms that route before polyfn does: the route they
    matched, written ``"GET /users/{id}"`` (API Gateway's ``routeKey``), with the
    parameters they extracted already in ``request.path_params``. When the App
    declares that very method and template, its function runs without a second
    match; any other key (``$default``, ``ANY /{proxy+}``, a template the App does not
    have) and polyfn routes the path itself.
    """
    started = _clock() if TIMED[0] else 0.0
    token = _set_current(ctx)
    # The trace is read from the request's headers if anyone asks (adapters build the
    # headers lazily: a request nobody asks about never builds them here).
    ctx._carrier = request
    tracer = TRACER[0]
    span = tracer.invocation(ctx, "http", request) if tracer is not None else None
    cors = app.cors
    router = app.router
    try:
        if cors is not None and cors.is_preflight(request):
            if function:
                allowed = _pinned_methods(app, function, request.path)
            else:
                allowed = router.allowed(request.path)
            response = cors.preflight(request, allowed)
        else:
            fn = router.by_route_key.get(route_key) if route_key else None
            if fn is None:
                fn, request.path_params = router.match(request.method, request.path)
            if function and fn.name != function:
                _not_pinned(app, request, ctx, fn, function)
            ctx.function_name = fn.name
            if fn.options.log_event:
                _log_event(ctx, request)
            guard = fn.trigger.guard  # type: ignore[union-attr]
            if guard is not None:
                # The route's auth (core.auth): an Identity, or an AuthError (401/403/503).
                request.identity = guard.authenticate(request, ctx)
            if fn.models is not None:
                fn.models.apply(request)  # the route's declared input: RequestInvalid
            # Function.call inlined: this is the one call every request makes.
            result = fn.handler(request, ctx) if fn.wants_context else fn.handler(request)
            response = result if type(result) is Response else to_response(result)
    except HTTPError as exc:
        if exc.status in (401, 403, 503) and getattr(exc, "reason", None) is not None:
            # An auth refusal (core.auth.AuthError): one log line naming the failed check.
            ctx.logger.warning(
                "auth refused %s %s: %s %s (request %s)",
                request.method,
                request.path,
                exc.status,
                exc.message,
                request.request_id,
            )
        response = error_response(
            exc.status, exc.message, request.request_id, getattr(exc, "errors", None)
        )
        for header, value in exc.headers.items():
            response.headers.set(header, value)
    except NotFound:
        response = error_response(404, "Not Found", request.request_id)
    except MethodNotAllowed as exc:
        allowed = _pinned_methods(app, function, request.path) if function else exc.allowed
        if allowed is None:
            response = error_response(404, "Not Found", request.request_id)
        else:
            response = error_response(405, "Method Not Allowed", request.request_id)
            response.headers.set("allow", ", ".join(allowed))
    except Exception as exc:
        _log_exception(ctx, f"unhandled error in {request.method} {request.path}", exc)
        response = error_response(500, "Internal Server Error", request.request_id)
    finally:
        if started or ctx._metrics is not None or ctx.cold_start:
            _end_invocation(ctx, started)
        _reset_current(token)
    if cors is not None:
        try:
            cors.decorate(request, response)
        except Exception as exc:
            # The request's headers cannot be read (a malformed platform event): the
            # answer stands, without CORS grants, which a browser then refuses. Without
            # CORS the same request is answered too; raising here would make API
            # Gateway answer 502 instead.
            ctx.logger.warning(
                "no CORS headers for %s %s: its headers cannot be read (%s: %s) (request %s)",
                request.method,
                request.path,
                type(exc).__name__,
                exc,
                ctx.request_id,
            )
    if request.method == "HEAD":
        response.body = b""
    if span is not None:
        span.end(None, response.status)
    return response


def _not_pinned(app: App, request: Request, ctx: Context, routed: Function, pinned: str) -> None:
    """Refuse, as a 404, a request the App routes to a function other than the pinned one."""
    app.function(pinned)  # a pin naming no function is a deployment error: a 500
    unmatched.report(
        ctx,
        f"{request.method} {request.path}",
        f"it is {routed.name}'s route and this deployment runs only {pinned}",
    )
    raise NotFound


def _pinned_methods(app: App, pinned: str, path: str) -> list[str] | None:
    """The methods the pinned function accepts at ``path``; None when it has no such route."""
    trigger = app.function(pinned).trigger
    if not isinstance(trigger, HttpTrigger) or trigger.template.match(path) is None:
        return None
    methods = set(trigger.methods)
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


def handle_object(
    app: App, event: ObjectEvent, ctx: Context, *, function: str | None = None
) -> int:
    """Run every function whose trigger matches; returns how many ran.

    ``function`` is the pinned function: only it may run. Errors propagate so that the
    platform retries the event.
    """
    arrived = f"object {event.action} {event.bucket}/{event.key}"
    bucket = app.bucket_by_physical(event.bucket)
    if bucket is not None:
        event.bucket = bucket.name
    candidates: list[Function]
    if function:
        candidates = [app.function(function)]
    else:
        candidates = [
            fn
            for fn in app.functions.values()
            if isinstance(fn.trigger, ObjectTrigger) and fn.trigger.bucket is bucket
        ]
    # Each subscriber sees its own bucket's logical name (an event may be for several).
    matching = [
        fn
        for fn in candidates
        if isinstance(fn.trigger, ObjectTrigger) and fn.trigger.matches(event)
    ]
    if not matching:
        unmatched.report(ctx, arrived, _why_no_object_function(app, event, bucket, candidates))
    if matching and event.action == "created":
        # An object a polyfn invocation wrote carries its trace and hop count in its
        # metadata: continue the trace, and stop a loop.
        if not event.metadata_carried and bucket is not None:
            event._metadata_reader = _metadata_reader(bucket, event.key, ctx)
        from polyfn.core.trace_context import carrier_from_metadata

        carrier = carrier_from_metadata(event.metadata)
        if carrier:
            matching = _continued(ctx, carrier, matching, f"object {event.bucket}/{event.key}")
    return _run_each(matching, event, ctx, _name_bucket)


def _metadata_reader(bucket: Bucket, key: str, ctx: Context) -> Callable[[], Mapping[str, str]]:
    """Reads an object's user metadata when its event does not carry it (S3 and Event
    Grid events do not): one HEAD request, the price of the loop guard on those clouds.
    A HEAD that fails leaves the invocation without the writer's trace, never fails it."""

    def read() -> Mapping[str, str]:
        try:
            info = bucket.metadata(key)
        except Exception as exc:
            ctx.logger.warning(
                "cannot read the metadata of %s/%s for its trace and hop count (%s: %s); "
                "the loop guard does not count this event (request %s)",
                bucket.name,
                key,
                type(exc).__name__,
                exc,
                ctx.request_id,
            )
            return {}
        if info is None or info.metadata is None:
            return {}  # deleted since: nothing to continue
        return info.metadata

    return read


def _continued(
    ctx: Context, carrier: Mapping[str, str], functions: list[Function], what: str
) -> list[Function]:
    """Continue the trace of the polyfn invocation that wrote or published ``what``; the
    functions that may run on it, below their hop limits."""
    ctx._carrier = carrier
    ctx._trace = None
    if HOPS_ATTRIBUTE not in carrier:
        return functions
    return _below_hop_limit(functions, ctx, what)


def _below_hop_limit(functions: list[Function], ctx: Context, what: str) -> list[Function]:
    """The functions that may run on an input that arrived after ``ctx.trace.hops`` polyfn
    writes; the others are stopped (logged, counted) and the input acknowledged for them."""
    from polyfn.core.loop_guard import hop_limit

    allowed = []
    token = _set_current(ctx)  # the ERROR record carries the invocation's fields
    try:
        for fn in functions:
            limit = hop_limit(fn)
            if ctx.trace.hops > limit:
                ctx.function_name = fn.name
                _stop_loop(ctx, fn, what, limit)
            else:
                allowed.append(fn)
    finally:
        _reset_current(token)
    return allowed


def _why_no_object_function(
    app: App, event: ObjectEvent, bucket: Bucket | None, candidates: list[Function]
) -> str:
    if not candidates:
        if bucket is None:
            return f"app {app.name} declares no bucket of that name"
        return f"no function watches bucket {bucket.name}"
    reasons = []
    for fn in candidates:
        trigger = fn.trigger
        if isinstance(trigger, ObjectTrigger):
            reasons.append(f"{fn.name} {trigger.mismatch(event.action, event.key)}")
        else:
            reasons.append(f"{fn.name} is triggered by {trigger.describe()}")
    return "; ".join(reasons)


def _name_bucket(fn: Function, event: ObjectEvent) -> None:
    event.bucket = fn.trigger.bucket.name  # type: ignore[union-attr]


def consumer_of(
    app: App, queue_physical: str | None, function: str | None = None
) -> Function | None:
    """The function that consumes a queue: the pinned one, the queue's, or the only one."""
    if function:
        pinned = app.function(function)
        return pinned if isinstance(pinned.trigger, MessageTrigger) else None
    consumers = app.functions_of("message")
    if queue_physical is not None:
        queue = app.queue_by_physical(queue_physical)
        for fn in consumers:
            if fn.trigger.queue is queue:  # type: ignore[union-attr]
                return fn
        return None
    return consumers[0] if len(consumers) == 1 else None


def handle_messages(
    app: App,
    queue_physical: str | None,
    messages: Sequence[Message],
    ctx: Context,
    *,
    function: str | None = None,
) -> list[Message]:
    """Run the queue's consumer on each message; return the ones whose handler raised.

    A batch for a queue nobody consumes fails whole, so the messages reach the
    dead-letter queue instead of being acknowledged and lost. ``function`` is the
    consumer when the caller knows it (pinned, or found once with ``consumer_of``).
    """
    fn = app.function(function) if function else consumer_of(app, queue_physical)
    if fn is None or not isinstance(fn.trigger, MessageTrigger):
        _log_error(
            ctx,
            f"no on_message handler for queue {queue_physical!r}; "
            f"failing {len(messages)} message(s) so they are retried, not lost",
        )
        return list(messages)
    failed: list[Message] = []
    ctx.function_name = fn.name
    queue_name = fn.trigger.queue.name
    started = _clock() if TIMED[0] else 0.0
    token = _set_current(ctx)
    handler, wants_context = fn.handler, fn.wants_context
    log_event = fn.options.log_event
    tracer = TRACER[0]
    limit = -1
    try:
        for message in messages:
            message.queue = queue_name
            # Each message continues its own trace (its sender's).
            ctx._carrier = attributes = message.attributes
            ctx._trace = None
            if HOPS_ATTRIBUTE in attributes:
                if limit < 0:
                    from polyfn.core.loop_guard import hop_limit

                    limit = hop_limit(fn)
                if ctx.trace.hops > limit:
                    _stop_loop(ctx, fn, f"message {message.id} from queue {queue_name}", limit)
                    continue
            if log_event:
                _log_event(ctx, message)
            span = tracer.invocation(ctx, "message", message) if tracer is not None else None
            try:
                if wants_context:
                    handler(message, ctx)
                else:
                    handler(message)
            except Exception as exc:
                _log_exception(ctx, f"message {message.id} failed in {fn.name}", exc)
                failed.append(message)
                if span is not None:
                    span.end(exc)
            else:
                if span is not None:
                    span.end()
        if failed:
            _builtin_metric(ctx, "BatchItemFailures", len(failed))
    finally:
        if started or ctx._metrics is not None or ctx.cold_start:
            _end_invocation(ctx, started)
        _reset_current(token)
    return failed


def scheduled_function(app: App, name: str | None, function: str | None = None) -> Function | None:
    """The scheduled function a tick named ``name`` is for: the one rule of every cloud.

    1. A pinned function (deploy's ``POLYFN_FUNCTION``) decides: it, if it is scheduled,
       else none (a tick must never run an HTTP function).
    2. The function of exactly that name.
    3. The longest match of the physical rule or job name: deploy names it
       ``<app>-<stage>-<function>`` with ``_`` written ``-`` (Cloud Scheduler jobs end
       in ``-schedule`` as well), so the function whose slug ends the name wins, and of
       two that do (``tick`` and ``fast_tick`` for ``shop-fast-tick``) the longer slug.
    4. A tick that carries no name at all is for the app's only scheduled function.

    A named tick that matches nothing is for no function: a forged or foreign job name
    never runs whatever happens to be scheduled.
    """
    if function:
        pinned = app.function(function)
        return pinned if isinstance(pinned.trigger, ScheduleTrigger) else None
    scheduled = app.functions_of("schedule")
    if name:
        for fn in scheduled:
            if fn.name == name:
                return fn
        wanted = name.lower().removesuffix(_SCHEDULE_SUFFIX)
        best: Function | None = None
        best_length = 0
        for fn in scheduled:
            slug = fn.name.lower().replace("_", "-")
            if (wanted == slug or wanted.endswith("-" + slug)) and len(slug) > best_length:
                best, best_length = fn, len(slug)
        return best
    return scheduled[0] if len(scheduled) == 1 else None


def handle_schedule(app: App, tick: Schedule, ctx: Context, *, function: str | None = None) -> Any:
    """Run the scheduled function the tick is for (see ``scheduled_function``)."""
    fn = scheduled_function(app, tick.name, function)
    if fn is None:
        from polyfn.core.errors import UnrecognizedEvent

        raise UnrecognizedEvent(
            f"cannot tell which scheduled function {tick.name!r} is for",
            expected="POLYFN_FUNCTION set to the function name, or one schedule per app",
        )
    tick.name = fn.name
    ctx.function_name = fn.name
    started = _clock() if TIMED[0] else 0.0
    token = _set_current(ctx)
    tracer = TRACER[0]
    span = tracer.invocation(ctx, "schedule", tick) if tracer is not None else None
    try:
        if fn.options.log_event:
            _log_event(ctx, tick)
        result = fn.call(tick, ctx)
    except BaseException as exc:
        if span is not None:
            span.end(exc)
        raise
    else:
        if span is not None:
            span.end()
        return result
    finally:
        if started or ctx._metrics is not None or ctx.cold_start:
            _end_invocation(ctx, started)
        _reset_current(token)


def handle_task(
    app: App, task: str, data: Any, ctx: Context, trace: Mapping[str, str] | None = None
) -> Any:
    """Run one task of a workflow on its data; returns the task's result (JSON).

    ``trace`` is what the engine carried from ``Workflow.start`` (``core.workflow_trace``):
    the task continues it, and past its hop limit is not run but fails with
    ``LoopStopped`` (a task has no input to acknowledge: the execution must go on or end).
    The task's exception propagates as it is: the workflow engine matches its class name
    against the flow's retries and catches (Step Functions reads it from Lambda's error
    document, Durable Functions from the activity's failure).
    """
    fn = app.functions.get(task)
    if fn is None or fn.trigger.kind != "task":
        from polyfn.core.errors import UnrecognizedEvent

        raise UnrecognizedEvent(
            f"app {app.name} has no workflow task {task!r}",
            expected="the name of a function declared with @workflow.task",
        )
    ctx.function_name = fn.name
    if trace:
        ctx._carrier = trace
        ctx._trace = None
    started = _clock() if TIMED[0] else 0.0
    token = _set_current(ctx)
    try:
        if trace and HOPS_ATTRIBUTE in trace:
            _stop_looping_task(ctx, fn)
        return fn.call(data, ctx)
    finally:
        if started or ctx._metrics is not None or ctx.cold_start:
            _end_invocation(ctx, started)
        _reset_current(token)


def _stop_looping_task(ctx: Context, fn: Function) -> None:
    from polyfn.core.loop_guard import hop_limit

    limit = hop_limit(fn)
    if ctx.trace.hops <= limit:
        return
    _stop_loop(ctx, fn, f"workflow task {fn.name}", limit, "failed with LoopStopped")
    from polyfn.core.errors import LoopStopped

    raise LoopStopped(
        f"task {fn.name} not run: reached after {ctx.trace.hops} polyfn writes, sends or "
        f"workflow starts (limit {limit}); trace {ctx.trace.trace_id}"
    )


def handle_event(app: App, event: Event, ctx: Context, *, function: str | None = None) -> int:
    """Run every ``on_event`` function matching source and type; returns how many ran.

    ``function`` is the pinned function: only it may run.
    """
    candidates = [app.function(function)] if function else app.functions_of("event")
    matching = [
        fn
        for fn in candidates
        if isinstance(fn.trigger, EventTrigger) and fn.trigger.matches(event)
    ]
    if not matching:
        if candidates:
            why = "; ".join(f"{fn.name} wants {fn.trigger.describe()}" for fn in candidates)
        else:
            why = f"app {app.name} has no on_event function"
        unmatched.report(ctx, f"event source={event.source!r} type={event.type!r}", why)
    if event.trace and matching:
        # Published by a polyfn invocation: continue its trace, and stop a loop.
        what = f"event source={event.source!r} type={event.type!r} ({event.id})"
        matching = _continued(ctx, event.trace, matching, what)
    return _run_each(matching, event, ctx)


def _run_each(
    functions: list[Function],
    event: Any,
    ctx: Context,
    prepare: Callable[[Function, Any], None] | None = None,
) -> int:
    """Run each function on ``event`` under ``ctx``, in order; the count that ran.

    A failure propagates at once, so that the platform retries the whole event.
    """
    started = _clock() if TIMED[0] else 0.0
    token = _set_current(ctx)
    try:
        for fn in functions:
            if prepare is not None:
                prepare(fn, event)
            ctx.function_name = fn.name
            if fn.options.log_event:
                _log_event(ctx, event)
            tracer = TRACER[0]
            if tracer is None:
                fn.call(event, ctx)
                continue
            span = tracer.invocation(ctx, "object" if prepare else "event", event)
            try:
                fn.call(event, ctx)
            except BaseException as exc:
                span.end(exc)
                raise
            span.end()
    finally:
        if started or ctx._metrics is not None or ctx.cold_start:
            _end_invocation(ctx, started)
        _reset_current(token)
    return len(functions)


def error_response(
    status: int, message: str, request_id: str, errors: list[Any] | None = None
) -> Response:
    """The JSON error body every runtime answers with: message, status, request id, and
    for a request that does not fit the route's models the field errors (core.models)."""
    error: dict[str, Any] = {"status": status, "message": message, "request_id": request_id}
    if errors is not None:
        error["errors"] = errors
    return Response.json({"error": error}, status)


def _log_event(ctx: Context, event: Any) -> None:
    from polyfn.core.event_log import log_event  # loaded where log_event=True only

    log_event(ctx, event)


def _stop_loop(
    ctx: Context, fn: Function, what: str, limit: int, outcome: str = "acknowledged"
) -> None:
    from polyfn.core.loop_guard import stop  # loaded by the first loop only

    stop(ctx, fn, what, ctx.trace.hops, limit, outcome)


def _log_exception(ctx: Context, message: str, exc: BaseException) -> None:
    from polyfn.core.failures import log_failure  # loaded by the first failure only

    log_failure(ctx.logger, message, ctx.request_id, exc)
    _builtin_metric(ctx, "Errors")


def _end_invocation(ctx: Context, started: float) -> None:
    """Count and time the invocation where that is on (``metric_sinks.INVOCATIONS``),
    then write its metrics if it has any. Called only when one of those may apply: a warm
    invocation without metrics on a cloud that counts invocations itself pays one check."""
    if INVOCATIONS.get(ctx.cloud):
        function = ctx.function_name or "unknown"
        ctx.metrics.count("Invocations", function=function)
        ctx.metrics.histogram("Duration", (_clock() - started) * 1000, function=function)
    if ctx._metrics is not None or ctx.cold_start:
        _flush_metrics(ctx)


def _flush_metrics(ctx: Context) -> None:
    """Write the invocation's metrics, with the cold start counted (once per process)."""
    if ctx.cold_start:
        _builtin_metric(ctx, "ColdStart")
    if ctx._metrics is not None:
        ctx._metrics.flush()


def _builtin_metric(ctx: Context, name: str, value: int = 1) -> None:
    """One of polyfn's own metrics (ColdStart, Errors, BatchItemFailures, LoopStopped;
    Invocations and Duration are ``_end_invocation``'s), counted per function; emitted
    where they cost nothing on the path of a successful warm invocation. On by default
    on a platform, off with ``POLYFN_BUILTIN_METRICS=0`` (``=1`` turns them on anywhere:
    a test)."""
    from polyfn.core.metric_sinks import builtin_enabled

    if builtin_enabled(ctx.cloud):
        ctx.metrics.count(name, value, function=ctx.function_name or "unknown")


def _log_error(ctx: Context, message: str) -> None:
    ctx.logger.error("%s (request %s)", message, ctx.request_id)
