"""Answer API Gateway's Lambda authorizer calls with the App's ``@app.authorizer``.

Deploy puts each authorizer in a Lambda of its own (``POLYFN_FUNCTION`` names it) and
API Gateway calls it before a protected route, with the request's headers, query, path
and source IP, caching the answer for the authorizer's ``ttl`` keyed on its identity
sources. The two REQUEST shapes, and what each expects back (API Gateway developer guide,
"Lambda authorizers for HTTP APIs", http-api-lambda-authorizer.html, and "Input to an
API Gateway Lambda authorizer" / "Output from an API Gateway Lambda authorizer",
api-gateway-lambda-authorizer-input.html and -output.html, read 2026-12):

- HTTP API, payload format 2.0 (``version: "2.0"``, ``routeArn``): the request in the
  payload 2.0 layout; answered with a simple response ``{"isAuthorized": bool,
  "context": {...}}``; the route's Lambda then finds the context in
  ``requestContext.authorizer.lambda``.
- REST API (``type: "REQUEST"``, ``methodArn``): the request in the REST layout;
  answered with an IAM policy allowing or denying ``execute-api:Invoke``, the caller as
  ``principalId`` and the context (strings, numbers and booleans only); the route's
  Lambda finds both in ``requestContext.authorizer``. The policy covers every method of
  the stage (``<api>/<stage>/*``): API Gateway caches it for the identity, and a policy
  naming one method would deny the caller's next, different route from the cache.

Both layouts are the ones the HTTP views read, so the authorizer sees the headers,
query and path exactly as the route's handler would.
"""

from __future__ import annotations

from polyfn.adapters.aws.http_request import ApiGatewayV1Request, ApiGatewayV2Request
from polyfn.adapters.aws.sources import EXPECTED, malformed
from polyfn.core.auth import Allow, AuthError, AuthRequest
from polyfn.core.errors import UnrecognizedEvent

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (cheap_typing.py)
if TYPE_CHECKING:
    from typing import Any

    from polyfn.core.app import App
    from polyfn.core.auth import Authorizer, Deny
    from polyfn.core.context import Context

__all__ = ["serve_authorizer_v1", "serve_authorizer_v2"]


def authorizer_for(app: App, function: str) -> Authorizer:
    """The authorizer this Lambda is: the pinned one, or the App's only one."""
    if function:
        found = app.authorizers.get(function)
        if found is None:
            raise UnrecognizedEvent(
                f"an API Gateway authorizer call reached {function}, which is not an "
                f"authorizer of app {app.name}",
                expected=EXPECTED,
            )
        return found
    if len(app.authorizers) == 1:
        return next(iter(app.authorizers.values()))
    raise UnrecognizedEvent(
        f"an API Gateway authorizer call, and app {app.name} has "
        f"{len(app.authorizers)} authorizers; POLYFN_FUNCTION must name one",
        expected=EXPECTED,
    )


def context_of(verdict: Allow) -> dict[str, Any]:
    """What the route's Lambda reads back: the context, the subject and the scopes."""
    context: dict[str, Any] = dict(verdict.context)
    context["sub"] = verdict.subject
    if verdict.scopes:
        context["scopes"] = " ".join(verdict.scopes)
    return context


def _decide(
    app: App, event: dict[str, Any], ctx: Context, function: str, view: Any
) -> Allow | Deny | None:
    authorizer = authorizer_for(app, function)
    ctx.function_name = authorizer.name
    request = AuthRequest(
        view.method, view.path, view.headers, view.query, view.path_params, view.client_ip
    )
    try:
        verdict = authorizer.decide(request, ctx)
    except AuthError:
        return None  # an identity source is missing: no caller to name
    if not isinstance(verdict, Allow):
        ctx.logger.info(
            "authorizer %s denied %s %s: %s (request %s)",
            authorizer.name,
            view.method,
            view.path,
            verdict.reason or "no reason given",
            ctx.request_id,
        )
    return verdict


def serve_authorizer_v2(
    app: App, event: dict[str, Any], ctx: Context, function: str = ""
) -> dict[str, Any]:
    try:
        view = ApiGatewayV2Request(event, ctx.request_id)
    except (KeyError, TypeError, AttributeError) as exc:
        raise malformed("HTTP API authorizer call", exc) from None
    verdict = _decide(app, event, ctx, function, view)
    if isinstance(verdict, Allow):
        return {"isAuthorized": True, "context": context_of(verdict)}
    return {"isAuthorized": False}


def serve_authorizer_v1(
    app: App, event: dict[str, Any], ctx: Context, function: str = ""
) -> dict[str, Any]:
    method_arn = event.get("methodArn")
    if type(method_arn) is not str or method_arn.count("/") < 2:
        raise UnrecognizedEvent("a REST API authorizer call's methodArn is malformed")
    try:
        view = ApiGatewayV1Request(event, ctx.request_id)
    except (KeyError, TypeError, AttributeError) as exc:
        raise malformed("REST API authorizer call", exc) from None
    verdict = _decide(app, event, ctx, function, view)
    if verdict is None:
        # API Gateway answers 401 for exactly this error message (the output page above).
        raise Exception("Unauthorized")
    api, stage = method_arn.split("/")[:2]
    allowed = isinstance(verdict, Allow)
    answer: dict[str, Any] = {
        "principalId": verdict.subject if isinstance(verdict, Allow) else "denied",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Action": "execute-api:Invoke",
                    "Effect": "Allow" if allowed else "Deny",
                    "Resource": f"{api}/{stage}/*",
                }
            ],
        },
    }
    if isinstance(verdict, Allow):
        answer["context"] = {
            name: value if isinstance(value, str | int | float | bool) else str(value)
            for name, value in context_of(verdict).items()
        }
    return answer
