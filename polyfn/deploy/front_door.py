"""The HTTP front door of AWS and Azure: the App's CORS and throttling, set on the platform.

- AWS: the HTTP API's ``CorsConfiguration`` from ``App(cors=...)``. With it, API Gateway
  answers every preflight itself, so no Lambda runs (and none is billed) for an OPTIONS
  request, and it adds the CORS headers to every answer, ignoring those a function sets.
  Source: "Configure CORS for HTTP APIs in API Gateway" (AWS API Gateway developer guide):
  "If you configure CORS for an API, API Gateway automatically sends a response to
  preflight OPTIONS requests, even if there isn't an OPTIONS route configured" and
  "API Gateway ignores CORS headers returned from your backend integration".
- AWS: stage-wide throttling (``DefaultRouteSettings``), as template parameters with
  defaults, so a runaway client meets a 429 from API Gateway before it meets the account's
  concurrency limit or the bill. ``sam deploy --parameter-overrides
  ApiThrottlingRateLimit=... ApiThrottlingBurstLimit=...`` changes them.
- Azure: the Function App's platform CORS (``siteConfig.cors``). App Service's CORS
  takes allowed origins and credentials only; it answers preflights before the Functions
  host, allowing whatever methods and headers the browser asks for.

Google Cloud's front door is an API Gateway config, in ``gcp_gateway``.
"""

from __future__ import annotations

from typing import Any

from polyfn.core.app import App
from polyfn.core.cors import CORS
from polyfn.core.functions import HttpTrigger

__all__ = [
    "DEFAULT_BURST_LIMIT",
    "DEFAULT_RATE_LIMIT",
    "aws_cors_configuration",
    "aws_throttling",
    "aws_throttling_parameters",
    "azure_site_cors",
    "route_methods",
]

# Requests per second for the whole stage, and the bucket size above it. Far below the
# account's regional quota (10,000 rps, burst 5,000: "Amazon API Gateway quotas", AWS
# developer guide), which every API of the account and region shares.
DEFAULT_RATE_LIMIT = 1000
DEFAULT_BURST_LIMIT = 500
RATE_PARAMETER = "ApiThrottlingRateLimit"
BURST_PARAMETER = "ApiThrottlingBurstLimit"


def route_methods(app: App) -> list[str]:
    """Every method some route of the App serves (HEAD with GET), sorted."""
    methods: set[str] = set()
    for fn in app.functions_of("http"):
        trigger = fn.trigger
        assert isinstance(trigger, HttpTrigger)
        methods.update(trigger.methods)
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


def aws_cors_configuration(app: App) -> dict[str, Any] | None:
    """SAM's ``HttpApi`` ``CorsConfiguration`` for the App's CORS; None without CORS."""
    cors: CORS | None = app.cors
    if cors is None:
        return None
    origins = ["*"] if "*" in cors.allow_origins else sorted(cors.allow_origins)
    configuration: dict[str, Any] = {
        "AllowOrigins": origins,
        # polyfn grants the methods the route has when CORS names none; API Gateway has
        # one list for the API: the methods any route serves.
        "AllowMethods": list(cors.allow_methods or route_methods(app)),
        "AllowHeaders": list(cors.allow_headers),
        "MaxAge": cors.max_age,
        "AllowCredentials": cors.allow_credentials,
    }
    if cors.expose_headers:
        configuration["ExposeHeaders"] = list(cors.expose_headers)
    return configuration


def aws_throttling_parameters() -> dict[str, Any]:
    """The template parameters that set the stage's throttling."""
    return {
        RATE_PARAMETER: {
            "Type": "Number",
            "Default": DEFAULT_RATE_LIMIT,
            "MinValue": 1,
            "Description": "HTTP API: steady requests per second for the whole stage",
        },
        BURST_PARAMETER: {
            "Type": "Number",
            "Default": DEFAULT_BURST_LIMIT,
            "MinValue": 1,
            "Description": "HTTP API: requests allowed at once above the steady rate",
        },
    }


def aws_throttling() -> dict[str, Any]:
    """SAM's ``HttpApi`` ``DefaultRouteSettings``: every route gets the stage's limits."""
    return {
        "ThrottlingRateLimit": {"Ref": RATE_PARAMETER},
        "ThrottlingBurstLimit": {"Ref": BURST_PARAMETER},
    }


def azure_site_cors(app: App) -> dict[str, Any] | None:
    """``siteConfig.cors`` of the Function App; None without CORS."""
    cors = app.cors
    if cors is None:
        return None
    origins = ["*"] if "*" in cors.allow_origins else sorted(cors.allow_origins)
    return {"allowedOrigins": origins, "supportCredentials": cors.allow_credentials}
