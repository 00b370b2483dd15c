"""The REST API (v1) front door on AWS, for ``polyfn deploy build --aws-api rest``.

The HTTP API (v2) stays the default: cheaper, faster, with JWT authorizers. A team asks
for a REST API for what only it has: usage plans with API keys, per-method settings,
WAF, private endpoints. The template then has one ``AWS::Serverless::Api`` (``RestApi``)
with a stage named after polyfn's stage, and every route is an ``Api`` event on it:

- ``@app.authorizer``: a Lambda REQUEST authorizer (``FunctionPayloadType: REQUEST``,
  its identity sources, ``ReauthorizeEvery`` = ``ttl``, at most 3600 s); the
  authorizer's Lambda answers with an IAM policy (``adapters/aws/authorizer.py``) and
  the route's Lambda (``POLYFN_AUTH_FRONT=authorizer``) reads the principal and the
  context from ``requestContext.authorizer``.
- ``JWT(...)``: REST APIs have no JWT authorizer, so polyfn verifies the token in the
  route's Lambda (``polyfn[jwt]``); no front setting is written. (A Cognito user pool
  authorizer would check the pool's signature, but not the audience polyfn declares.)
- ``auth="platform-key"``: the ``AWS_IAM`` authorizer (SigV4), as on the HTTP API.
- ``api_keys=True`` (``--aws-api-keys``): every route requires an API key
  (``x-api-key``), and SAM creates a usage plan for the API (``CreatePlan: PER_API``),
  one key and its binding, with the stage's throttling and a monthly quota as template
  parameters.
- Throttling: the stage's ``MethodSettings`` for every method, from the same parameters
  as the HTTP API's (``front_door``).
- CORS: REST's own CORS (SAM's ``Cors``) answers preflights with a mock integration,
  but for one origin only; polyfn's CORS may name several, so each route path gets an
  ``OPTIONS`` method on the fallback function, which answers every path's preflight with
  the App's CORS rules (a preflight is a Lambda call here, unlike on the HTTP API).
- Paths no route has go to the fallback function through ``/{proxy+}`` (REST API has no
  ``$default`` route), unless a route's first path segment is a parameter: REST refuses
  two sibling path parameters.

Sources: SAM developer guide, "AWS::Serverless::Api" (Auth, ApiAuth, LambdaRequestAuthorizer,
ApiUsagePlan, MethodSettings) and API Gateway developer guide, "Usage plans and API keys
for REST APIs", read 2026-12.
"""

from __future__ import annotations

from typing import Any

from polyfn.core.app import App
from polyfn.core.auth import FRONT_SETTING, Authorizer
from polyfn.core.errors import ConfigError
from polyfn.core.functions import Function, HttpTrigger
from polyfn.deploy.aws_auth import MAX_TTL, authorizer_function_id, used_authorizers
from polyfn.deploy.front_door import BURST_PARAMETER, RATE_PARAMETER

__all__ = [
    "API_KINDS",
    "QUOTA_PARAMETER",
    "REST_API_ID",
    "rest_api",
    "rest_event",
    "rest_fallback_events",
    "rest_front_setting",
    "rest_parameters",
]

API_KINDS = ("http", "rest")
REST_API_ID = "RestApi"
QUOTA_PARAMETER = "ApiKeyMonthlyQuota"
DEFAULT_MONTHLY_QUOTA = 1_000_000


def rest_front_setting(fn: Function) -> dict[str, str]:
    """The route Lambda's ``POLYFN_AUTH_FRONT`` on a REST API: only an authorizer fronts."""
    trigger = fn.trigger
    if isinstance(trigger, HttpTrigger) and isinstance(trigger.guard, Authorizer):
        return {FRONT_SETTING: "authorizer"}
    return {}


def _request_authorizer(authorizer: Authorizer) -> dict[str, Any]:
    if authorizer.ttl > MAX_TTL:
        raise ConfigError(
            f"authorizer {authorizer.name}: API Gateway caches an answer at most "
            f"{MAX_TTL} s, ttl is {authorizer.ttl}"
        )
    identity: dict[str, Any] = {"ReauthorizeEvery": authorizer.ttl}
    headers = [s.partition(":")[2] for s in authorizer.identity if s.startswith("header:")]
    queries = [s.partition(":")[2] for s in authorizer.identity if s.startswith("query:")]
    if headers:
        identity["Headers"] = headers
    if queries:
        identity["QueryStrings"] = queries
    return {
        "FunctionPayloadType": "REQUEST",
        "FunctionArn": {"Fn::GetAtt": [authorizer_function_id(authorizer), "Arn"]},
        "Identity": identity,
    }


def rest_parameters(api_keys: bool) -> dict[str, Any]:
    """The template parameters the REST API adds to the throttling ones."""
    if not api_keys:
        return {}
    return {
        QUOTA_PARAMETER: {
            "Type": "Number",
            "Default": DEFAULT_MONTHLY_QUOTA,
            "MinValue": 1,
            "Description": "REST API usage plan: requests each API key may make per month",
        }
    }


def rest_api(app: App, stage: str, *, api_keys: bool) -> dict[str, Any]:
    """The ``AWS::Serverless::Api`` resource."""
    properties: dict[str, Any] = {
        "StageName": stage,
        "Description": f"polyfn app {app.name}, stage {stage} (REST API, by polyfn deploy)",
        "EndpointConfiguration": {"Type": "REGIONAL"},
        "MethodSettings": [
            {
                "ResourcePath": "/*",
                "HttpMethod": "*",
                "ThrottlingRateLimit": {"Ref": RATE_PARAMETER},
                "ThrottlingBurstLimit": {"Ref": BURST_PARAMETER},
            }
        ],
    }
    auth: dict[str, Any] = {}
    authorizers = {a.name: _request_authorizer(a) for a in used_authorizers(app)}
    if authorizers:
        auth["Authorizers"] = authorizers
    if api_keys:
        auth["ApiKeyRequired"] = True
        auth["UsagePlan"] = {
            "CreateUsagePlan": "PER_API",
            "Description": f"polyfn {app.name}/{stage}: every API key's quota and rate",
            "Quota": {"Limit": {"Ref": QUOTA_PARAMETER}, "Period": "MONTH"},
            "Throttle": {
                "RateLimit": {"Ref": RATE_PARAMETER},
                "BurstLimit": {"Ref": BURST_PARAMETER},
            },
        }
    if auth:
        properties["Auth"] = auth
    return {"Type": "AWS::Serverless::Api", "Properties": properties}


def rest_event(trigger: HttpTrigger, method: str) -> dict[str, Any]:
    """One route method as an ``Api`` event on the REST API."""
    properties: dict[str, Any] = {
        "RestApiId": {"Ref": REST_API_ID},
        "Path": trigger.path,
        "Method": method,
    }
    if trigger.auth == "function":
        properties["Auth"] = {"Authorizer": "AWS_IAM"}
    elif isinstance(trigger.guard, Authorizer):
        properties["Auth"] = {"Authorizer": trigger.guard.name}
    return {"Type": "Api", "Properties": properties}


def rest_fallback_events(app: App, *, api_keys: bool) -> dict[str, Any]:
    """The fallback function's events: unknown paths, and every route's preflight."""
    events: dict[str, Any] = {}
    triggers = [fn.trigger for fn in app.functions_of("http")]
    paths = sorted({t.path for t in triggers if isinstance(t, HttpTrigger)})
    # A parameter as the first segment would be a sibling of {proxy+}: REST refuses it.
    if not any(path.startswith("/{") for path in paths):
        events["FallbackProxy"] = _fallback_event("/{proxy+}", "ANY", api_keys)
    if "/" not in paths:
        events["FallbackRoot"] = _fallback_event("/", "ANY", api_keys)
    if app.cors is not None:
        served = {(t.path, m) for t in triggers if isinstance(t, HttpTrigger) for m in t.methods}
        for index, path in enumerate(paths, start=1):
            if (path, "OPTIONS") not in served:
                events[f"Preflight{index}"] = _fallback_event(path, "OPTIONS", api_keys)
    return events


def _fallback_event(path: str, method: str, api_keys: bool) -> dict[str, Any]:
    properties: dict[str, Any] = {"RestApiId": {"Ref": REST_API_ID}, "Path": path, "Method": method}
    if api_keys:
        # A browser sends no API key with a preflight; a path that is not there is a 404.
        properties["Auth"] = {"ApiKeyRequired": False}
    return {"Type": "Api", "Properties": properties}


def rest_output(stage: str) -> dict[str, Any]:
    return {
        "Description": "Base URL of the app's HTTP routes (REST API stage)",
        "Value": {
            "Fn::Sub": "https://${RestApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/"
            + stage
            + "/"
        },
    }
