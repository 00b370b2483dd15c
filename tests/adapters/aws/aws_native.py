"""AWS-native helpers for the adapter tests: native events, invocation, response readers.

The app these tests run is the shared one, ``behaviour.behaviour_app``.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from polyfn import App
from polyfn.adapters.aws import lambda_handler
from polyfn.hosts.events import aws as events

HTTP_SOURCES = ("apigw-v1", "apigw-v2", "alb", "alb-single", "function-url")
# The behaviour suite runs its portable HTTP cases on every source but ALB's single-value
# headers mode (no host drives it: it cannot carry the repeated headers the suite sends),
# so the portable cases that suite covers elsewhere are still checked here for that mode.
UNDRIVEN_SOURCES = ("alb-single",)


def http_event(source: str, method: str, path: str, **options: Any) -> dict[str, Any]:
    """A native request event of one HTTP source (``alb`` multi-value, ``alb-single``)."""
    if source == "apigw-v1":
        return events.apigw_v1(method, path, **options)
    if source == "apigw-v2":
        return events.apigw_v2(method, path, **options)
    if source == "function-url":
        return events.function_url(method, path, **options)
    return events.alb(method, path, multi_value=source == "alb", **options)


def response_headers(native: dict[str, Any]) -> dict[str, list[str]]:
    """name -> values of a native response, whichever headers fields it uses."""
    headers: dict[str, list[str]] = {}
    for name, values in (native.get("multiValueHeaders") or {}).items():
        headers.setdefault(name.lower(), []).extend(values)
    for name, value in (native.get("headers") or {}).items():
        headers.setdefault(name.lower(), []).append(value)
    if native.get("cookies"):
        headers.setdefault("set-cookie", []).extend(native["cookies"])
    return headers


def response_body(native: dict[str, Any]) -> bytes:
    body = native.get("body") or ""
    if native.get("isBase64Encoded"):
        return base64.b64decode(body)
    return str(body).encode()


def response_json(native: dict[str, Any]) -> Any:
    return json.loads(response_body(native))


def invoke(app: App, event: Any, context: Any = "fresh") -> Any:
    """Run one event through ``lambda_handler`` (a fresh Lambda context unless given)."""
    if context == "fresh":
        context = events.lambda_context(function_name="aws-tests")
    return lambda_handler(app, backends="keep")(event, context)
