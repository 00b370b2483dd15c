"""The HTTP API's authorizers in the SAM template: JWT authorizers and Lambda authorizers.

- A route with ``auth=JWT(...)`` gets an HTTP API JWT authorizer (SAM's
  ``OAuth2Authorizer``: issuer, audience, the Authorization header) with the route's
  scopes as ``AuthorizationScopes``; API Gateway validates the token before the Lambda
  runs and hands it the claims in ``requestContext.authorizer.jwt``.
- An ``@app.authorizer`` becomes a Lambda of its own (the same bundle, pinned to the
  authorizer with ``POLYFN_FUNCTION``) and a SAM ``LambdaAuthorizer`` with payload format
  2.0 and simple responses, its identity sources and its ``ttl`` as
  ``ReauthorizeEvery``; routes naming it get its context in
  ``requestContext.authorizer.lambda``.

Every route Lambda behind one gets ``POLYFN_AUTH_FRONT`` (``jwt`` / ``authorizer``), the
setting that tells polyfn a gateway checked the caller (``core.auth.fronted``).
Sources: SAM developer guide, "OAuth2Authorizer" and "LambdaAuthorizer" for HttpApi
(sam-property-httpapi-oauth2authorizer, sam-property-httpapi-lambdaauthorizer), read
2026-12. API Gateway caps an HTTP API authorizer's cache at 3600 s.
"""

from __future__ import annotations

from typing import Any

from polyfn.core.app import App
from polyfn.core.auth import FRONT_SETTING, JWT, Authorizer
from polyfn.core.errors import ConfigError
from polyfn.core.functions import Function, HttpTrigger
from polyfn.deploy.naming import app_slug, aws_logical_id

__all__ = [
    "authorizer_function_id",
    "authorizer_functions",
    "front_setting",
    "http_api_authorizers",
    "route_auth",
    "used_authorizers",
]

MAX_TTL = 3600


def jwt_authorizer_name(app: App, config: JWT) -> str:
    """One authorizer per distinct issuer and audience: ``Jwt1``, ``Jwt2``..."""
    return f"Jwt{_jwt_configs(app).index(_jwt_key(config)) + 1}"


def _jwt_key(config: JWT) -> tuple[str, tuple[str, ...]]:
    return (config.issuer, config.audience)


def _jwt_configs(app: App) -> list[tuple[str, tuple[str, ...]]]:
    seen: list[tuple[str, tuple[str, ...]]] = []
    for fn in app.functions_of("http"):
        guard = fn.trigger.guard  # type: ignore[union-attr]
        if isinstance(guard, JWT) and _jwt_key(guard) not in seen:
            seen.append(_jwt_key(guard))
    return seen


def authorizer_function_id(authorizer: Authorizer) -> str:
    return aws_logical_id("authorizer_function", authorizer.name)


def _identity(authorizer: Authorizer) -> dict[str, Any]:
    headers = [s.partition(":")[2] for s in authorizer.identity if s.startswith("header:")]
    queries = [s.partition(":")[2] for s in authorizer.identity if s.startswith("query:")]
    identity: dict[str, Any] = {"ReauthorizeEvery": authorizer.ttl}
    if headers:
        identity["Headers"] = headers
    if queries:
        identity["QueryStrings"] = queries
    return identity


def http_api_authorizers(app: App) -> dict[str, Any]:
    """The ``Authorizers`` of the HTTP API's ``Auth``: every one a route uses."""
    out: dict[str, Any] = {}
    for issuer, audience in _jwt_configs(app):
        name = f"Jwt{len(out) + 1}"
        out[name] = {
            "IdentitySource": "$request.header.Authorization",
            "JwtConfiguration": {"issuer": issuer, "audience": list(audience)},
        }
    for authorizer in used_authorizers(app):
        if authorizer.ttl > MAX_TTL:
            raise ConfigError(
                f"authorizer {authorizer.name}: API Gateway caches an answer at most "
                f"{MAX_TTL} s, ttl is {authorizer.ttl}"
            )
        out[authorizer.name] = {
            "FunctionArn": {"Fn::GetAtt": [authorizer_function_id(authorizer), "Arn"]},
            "AuthorizerPayloadFormatVersion": "2.0",
            "EnableSimpleResponses": True,
            "EnableFunctionDefaultPermissions": True,
            "Identity": _identity(authorizer),
        }
    return out


def used_authorizers(app: App) -> list[Authorizer]:
    used: list[Authorizer] = []
    for fn in app.functions_of("http"):
        guard = fn.trigger.guard  # type: ignore[union-attr]
        if isinstance(guard, Authorizer) and guard not in used:
            used.append(guard)
    return used


def authorizer_functions(app: App, stage: str) -> dict[str, Any]:
    """One Lambda per authorizer a route uses, pinned to it; it touches no resource."""
    out: dict[str, Any] = {}
    for authorizer in used_authorizers(app):
        out[authorizer_function_id(authorizer)] = {
            "Type": "AWS::Serverless::Function",
            "Properties": {
                "FunctionName": f"{app_slug(app)}-{stage}-{authorizer.name}",
                "Description": f"polyfn {app.name}.{authorizer.name}: HTTP API Lambda authorizer",
                "MemorySize": 256,
                "Timeout": 10,
                "Environment": {"Variables": {"POLYFN_FUNCTION": authorizer.name}},
            },
        }
    return out


def route_auth(app: App, trigger: HttpTrigger) -> dict[str, Any] | None:
    """The ``Auth`` of a route's HttpApi event; None when the route has none."""
    guard = trigger.guard
    if isinstance(guard, JWT):
        auth: dict[str, Any] = {"Authorizer": jwt_authorizer_name(app, guard)}
        if guard.scopes:
            auth["AuthorizationScopes"] = list(guard.scopes)
        return auth
    if isinstance(guard, Authorizer):
        return {"Authorizer": guard.name}
    return None


def front_setting(fn: Function) -> dict[str, str]:
    """The environment telling a route's Lambda which check API Gateway made for it."""
    trigger = fn.trigger
    if isinstance(trigger, HttpTrigger) and trigger.guard is not None:
        return {FRONT_SETTING: trigger.guard.kind}
    return {}
