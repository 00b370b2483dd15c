"""``lambda_handler(app)``: one Lambda entry point for every AWS event source.

The function it returns tells the source from the event's shape, translates the event
into the core model, lets the App dispatch, and translates the answer back:

- HTTP (REST v1, HTTP API v2, ALB, Function URL) -> ``app.handle_http`` -> the source's
  response dict.
- SQS, S3, SNS and EventBridge -> ``events``, loaded with the first such event.
- A workflow's Task state (``{"polyfnTask": task, "input": data}``, the envelope the state
  machine polyfn deploys passes) -> ``app.handle_task`` -> the task's result is the
  Lambda's answer; its exception propagates unchanged, so Lambda's error document names
  its class (``errorType``), which Step Functions matches against ``ErrorEquals``.
- Anything else raises ``UnrecognizedEvent``: a direct invoke with an unknown payload
  fails visibly instead of being half handled.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from polyfn.adapters.aws import sources
from polyfn.adapters.aws.binding import bind_backends
from polyfn.adapters.aws.http_request import (
    AlbRequest,
    ApiGatewayV1Request,
    ApiGatewayV2Request,
    FunctionUrlRequest,
)
from polyfn.adapters.aws.http_response import render_alb, render_v1, render_v2
from polyfn.adapters.aws.sources import malformed
from polyfn.adapters.common.coldstart import PENDING as COLD_START_PENDING
from polyfn.adapters.common.coldstart import take_cold_start
from polyfn.adapters.common.environment import front_kinds, pinned_function, with_front
from polyfn.core.app import App
from polyfn.core.context import Context, install_log_fields, new_context
from polyfn.core.errors import ConfigError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (core/cheap_typing.py)
if TYPE_CHECKING:
    from typing import Any

    from polyfn.adapters.aws.binding import BackendsChoice

    LambdaHandler = Callable[..., Any]
    _Serve = Callable[..., Any]  # (app, event, ctx) -> the native answer
else:
    LambdaHandler = Callable  # what type checkers read as Callable[..., Any]

__all__ = ["LambdaHandler", "MisroutedTask", "lambda_handler"]

# Lambda reuses a process for many invocations; only its first one is a cold start.


def lambda_handler(
    app: App, *, backends: BackendsChoice = "auto", function: str | None = None
) -> LambdaHandler:
    """The Lambda handler for ``app``: ``handler = aws.lambda_handler(app)``.

    ``backends`` chooses what the App's buckets, queues and tables are: ``"auto"`` binds
    S3/SQS/DynamoDB when running on Lambda and the App has no binding yet, ``"aws"``
    always binds them (tests against moto), ``"keep"`` leaves the App's binding alone.
    ``function`` pins the handler to one function (its routes only, its events only);
    ``None`` reads the pin deploy sets, ``POLYFN_FUNCTION``, and ``""`` pins nothing.
    """
    bind_backends(app, backends)
    _observe()
    detect = sources.detect
    pinned = pinned_function() if function is None else function
    serve = dict(_SERVE)
    front = front_kinds()
    if front:
        # API Gateway authenticates callers before this function (deploy's
        # POLYFN_AUTH_FRONT): its views read what the gateway verified.
        serve[sources.APIGW_V2] = _with_view(_serve_v2, with_front(ApiGatewayV2Request, front))
        serve[sources.APIGW_V1] = _with_view(_serve_v1, with_front(ApiGatewayV1Request, front))
    if pinned:
        # Only a pinned handler pays for the extra argument.
        serve = {kind: _pinned_to(serve_http, pinned) for kind, serve_http in serve.items()}

    def handler(event: Any, context: Any = None) -> Any:
        kind = detect(event)
        try:
            serve_kind = serve[kind]
        except KeyError:
            # The first S3, SQS, SNS or EventBridge event: their translation is loaded
            # now, so an HTTP-only function never imports it.
            from polyfn.adapters.aws.events import record_servers

            serve.update(record_servers(app, pinned or ""))
            serve_kind = serve[kind]
        # The invocation's Context, built here rather than in a function of its own: the
        # call would cost as much as filling the Context (it is made on every invocation).
        if context is None:
            # A direct local call (a script, a test): no deadline, and an id made up here.
            ctx = Context("aws", "", "local-" + os.urandom(8).hex())
        else:
            try:
                function_name = context.function_name
                request_id = context.aws_request_id
            except AttributeError:
                # Not the runtime's LambdaContext (a test double, say): take what it has.
                function_name = getattr(context, "function_name", "")
                request_id = getattr(context, "aws_request_id", "")
            ctx = new_context(
                "aws",
                function_name,
                request_id or "local-" + os.urandom(8).hex(),
                None,
                False,
                context,
                LambdaInvocationContext,
            )
        if COLD_START_PENDING[0]:
            ctx.cold_start = take_cold_start()
        return serve_kind(app, event, ctx)

    handler.__doc__ = f"AWS Lambda entry point of polyfn app {app.name!r}."
    return handler


class LambdaInvocationContext(Context):
    """The Context of a Lambda invocation: the time left is asked of the runtime's context
    object when a handler reads it, not bound to a method on every invocation."""

    __slots__ = ()

    @property
    def remaining_ms(self) -> int:
        remaining = getattr(self.raw, "get_remaining_time_in_millis", None)
        if remaining is None:
            return 2**31 - 1  # a stand-in context without a deadline (a test, a script)
        return max(0, int(remaining()))

    def _platform_trace(self) -> dict[str, str] | None:
        # Lambda sets the invocation's X-Ray header in the environment (the runtime
        # client does, per invocation); read only when the trace is asked for.
        header = os.environ.get("_X_AMZN_TRACE_ID")
        return {"x-amzn-trace-id": header} if header else None


def _observe() -> None:
    """Metrics as EMF lines; log records with the invocation's fields where logging is
    in use (the runtime client imports it: a function that never logs does not)."""
    from polyfn.core.metric_sinks import register_sink

    register_sink("aws", _write_emf, builtin="AWS_LAMBDA_FUNCTION_NAME" in os.environ)
    if "logging" in sys.modules:
        install_log_fields()


def _write_emf(ctx: Context, namespace: str, points: list[Any]) -> None:
    from polyfn.adapters.aws.metrics import write_emf  # loaded by the first metric only

    write_emf(ctx, namespace, points)


# ----------------------------------------------------------------------------- HTTP


def _serve_v2(
    app: App,
    event: dict[str, Any],
    ctx: Context,
    function: str = "",
    view: type[ApiGatewayV2Request] = ApiGatewayV2Request,
) -> dict[str, Any]:
    try:
        request = view(event, ctx.request_id)
    except (KeyError, TypeError, AttributeError) as exc:
        raise malformed("API Gateway HTTP API", exc) from None
    # API Gateway has matched a route already (polyfn's deploy declares each one): when
    # the App has that route, the request keeps API Gateway's path parameters.
    route_key = event.get("routeKey")
    route_key = route_key if type(route_key) is str else None  # a malformed one is ignored
    return render_v2(app.handle_http(request, ctx, route_key, function))


def _serve_function_url(
    app: App, event: dict[str, Any], ctx: Context, function: str = ""
) -> dict[str, Any]:
    try:
        request = FunctionUrlRequest(event, ctx.request_id)
    except (KeyError, TypeError, AttributeError) as exc:
        raise malformed("Lambda Function URL", exc) from None
    return render_v2(app.handle_http(request, ctx, None, function))


def _serve_v1(
    app: App,
    event: dict[str, Any],
    ctx: Context,
    function: str = "",
    view: type[ApiGatewayV1Request] = ApiGatewayV1Request,
) -> dict[str, Any]:
    try:
        request = view(event, ctx.request_id)
    except (KeyError, TypeError, AttributeError) as exc:
        raise malformed("API Gateway REST API", exc) from None
    # "resource" is the template of the API Gateway route that matched ("/{proxy+}" for a
    # proxy resource), so method and resource name the route as routeKey does on v2.
    resource = event.get("resource")
    route_key = f"{request.method} {resource}" if type(resource) is str else None
    return render_v1(app.handle_http(request, ctx, route_key, function))


def _serve_alb(app: App, event: dict[str, Any], ctx: Context, function: str = "") -> dict[str, Any]:
    try:
        request = AlbRequest(event, ctx.request_id)
    except (KeyError, TypeError, AttributeError) as exc:
        raise malformed("ALB", exc) from None
    return render_alb(app.handle_http(request, ctx, None, function), request.multi_value)


# ----------------------------------------------------------------------------- workflow tasks


class MisroutedTask(ConfigError):
    """A Lambda pinned to one function was asked to run another function's task: the state
    machine and the deployment disagree (a stale definition, a hand-edited resource)."""


def _serve_task(app: App, event: dict[str, Any], ctx: Context, function: str = "") -> Any:
    task = event[sources.TASK_FIELD]
    if function and task != function:
        raise MisroutedTask(
            f"Lambda function of {app.name}.{function} was asked to run task {task!r}; "
            "each task runs on its own function (redeploy the state machine)"
        )
    # The starter's trace, in the execution's input the state machine adds to the envelope
    # (absent from an envelope written before polyfn carried it: no trace, the task runs).
    from polyfn.core.workflow_trace import unwrap

    _, trace = unwrap(event.get(sources.TASK_EXECUTION_FIELD))
    return app.handle_task(task, event[sources.TASK_INPUT_FIELD], ctx, trace)


def _with_view(serve_http: _Serve, view: type[Any]) -> _Serve:
    """``serve_http`` building its request with ``view`` (a view that reads what the
    deployment's gateway verified, ``environment.with_front``)."""

    def serve(app: App, event: dict[str, Any], ctx: Context, function: str = "") -> Any:
        return serve_http(app, event, ctx, function, view)

    return serve


def _pinned_to(serve_http: _Serve, function: str) -> _Serve:
    """``serve_http`` answering only ``function``'s routes (functools.partial, without
    importing functools on the cold path)."""

    def serve(app: App, event: dict[str, Any], ctx: Context) -> dict[str, Any]:
        return serve_http(app, event, ctx, function)

    return serve


def _serve_authorizer_v2(
    app: App, event: dict[str, Any], ctx: Context, function: str = ""
) -> dict[str, Any]:
    # Loaded by the first authorizer call: a route's Lambda never imports it.
    from polyfn.adapters.aws.authorizer import serve_authorizer_v2

    return serve_authorizer_v2(app, event, ctx, function)


def _serve_authorizer_v1(
    app: App, event: dict[str, Any], ctx: Context, function: str = ""
) -> dict[str, Any]:
    from polyfn.adapters.aws.authorizer import serve_authorizer_v1

    return serve_authorizer_v1(app, event, ctx, function)


_SERVE: dict[str, _Serve] = {
    sources.AUTHORIZER_V2: _serve_authorizer_v2,
    sources.AUTHORIZER_V1: _serve_authorizer_v1,
    sources.APIGW_V2: _serve_v2,
    sources.FUNCTION_URL: _serve_function_url,
    sources.APIGW_V1: _serve_v1,
    sources.ALB: _serve_alb,
    sources.TASK: _serve_task,
}
