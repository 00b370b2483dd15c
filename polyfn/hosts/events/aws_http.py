"""API Gateway (REST and HTTP API), Function URL and ALB request events.

Sources (read 2026-11): API Gateway REST proxy integration input (apigateway/latest/
developerguide/set-up-lambda-proxy-integrations.html), HTTP API payload formats 1.0/2.0
(http-api-develop-integrations-lambda.html), Lambda Function URL payloads (lambda/latest/
dg/urls-invocation.html), ALB Lambda targets (elasticloadbalancing/latest/application/
lambda-functions.html). REST APIs, Function URLs and ALB keep the path percent-encoded
while HTTP APIs decode it; ALB leaves query parameters encoded.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote, quote_plus

from polyfn.core.routing import PathTemplate
from polyfn.hosts.events.aws_common import (
    ACCOUNT,
    CLIENT_IP,
    REGION,
    USER_AGENT,
    clf_time,
    hex_id,
    new_id,
    now,
)

__all__ = ["HeaderList", "Query", "alb", "apigw_v1", "apigw_v2", "function_url"]

Query = Mapping[str, Sequence[str]]
HeaderList = Sequence[tuple[str, str]]

_PATH_SAFE = "/!$&'()*+,;=:@-._~"
_BINARY_TYPES = ("image/", "audio/", "video/", "application/octet-stream", "application/pdf")


def _path_parameters(path: str, path_template: str | None) -> dict[str, str] | None:
    if not path_template:
        return None
    template = PathTemplate.parse(path_template)
    if template.is_static:
        return None
    return template.match(path)


def _content_type(headers: HeaderList) -> str | None:
    for name, value in headers:
        if name.lower() == "content-type":
            return value
    return None


def _body(body: bytes | str | None, headers: HeaderList) -> tuple[str | None, bool]:
    """(body as the event carries it, isBase64Encoded); None for no body."""
    if body is None or body == b"" or body == "":
        return None, False
    if isinstance(body, str):
        body = body.encode("utf-8")
    content_type = (_content_type(headers) or "").lower()
    if not content_type.startswith(_BINARY_TYPES):
        try:
            return body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(body).decode("ascii"), True


def _pairs(query: Query | None) -> list[tuple[str, str]]:
    return [(name, value) for name, values in (query or {}).items() for value in values]


def _encoded_query(query: Query | None) -> str:
    # As a browser sends it: names and values percent-encoded, space as %20.
    return "&".join(
        f"{quote(name, safe='')}={quote(value, safe='')}" for name, value in _pairs(query)
    )


def _grouped(headers: HeaderList) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for name, value in headers:
        grouped.setdefault(name, []).append(value)
    return grouped


def _grouped_lower(headers: HeaderList) -> dict[str, list[str]]:
    return _grouped([(name.lower(), value) for name, value in headers])


def _with_defaults(headers: HeaderList | None, host: str) -> list[tuple[str, str]]:
    given = list(headers or ())
    # The front end (API Gateway, ALB, the function URL) appends the address it saw to an
    # X-Forwarded-For the client sent; what the client sent stays to its left.
    sent = [value for name, value in given if name.lower() == "x-forwarded-for"]
    if sent:
        given = [pair for pair in given if pair[0].lower() != "x-forwarded-for"]
        given.append(("X-Forwarded-For", ", ".join([*sent, CLIENT_IP])))
    present = {name.lower() for name, _ in given}
    defaults = [
        ("Host", host),
        ("User-Agent", USER_AGENT),
        ("X-Forwarded-For", CLIENT_IP),
        ("X-Forwarded-Port", "443"),
        ("X-Forwarded-Proto", "https"),
        ("X-Amzn-Trace-Id", f"Root=1-{int(time.time()):08x}-{hex_id(24).lower()}"),
    ]
    return [(name, value) for name, value in defaults if name.lower() not in present] + given


def apigw_v1(
    method: str = "GET",
    path: str = "/",
    *,
    query: Query | None = None,
    headers: HeaderList | None = None,
    body: bytes | str | None = None,
    path_template: str | None = None,
    stage: str = "prod",
) -> dict[str, Any]:
    """An API Gateway REST API proxy event; ``path`` and ``query`` are decoded values."""
    api_id = "a1b2c3d4e5"
    host = f"{api_id}.execute-api.{REGION}.amazonaws.com"
    header_list = _with_defaults(headers, host)
    grouped = _grouped(header_list)
    multi_query = {name: list(values) for name, values in (query or {}).items()} or None
    text, is_base64 = _body(body, header_list)
    encoded_path = quote(path, safe=_PATH_SAFE)
    resource = path_template or path
    moment = now()
    return {
        "resource": resource,
        "path": encoded_path,
        "httpMethod": method.upper(),
        # "headers" keeps the last value of a repeated header, as API Gateway does.
        "headers": {name: values[-1] for name, values in grouped.items()},
        "multiValueHeaders": grouped,
        "queryStringParameters": (
            {name: values[-1] for name, values in multi_query.items()} if multi_query else None
        ),
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": _path_parameters(path, path_template),
        "stageVariables": None,
        "requestContext": {
            "accountId": ACCOUNT,
            "apiId": api_id,
            "domainName": host,
            "domainPrefix": api_id,
            "extendedRequestId": hex_id(16),
            "httpMethod": method.upper(),
            "identity": {
                "accessKey": None,
                "accountId": None,
                "caller": None,
                "cognitoIdentityId": None,
                "cognitoIdentityPoolId": None,
                "sourceIp": CLIENT_IP,
                "user": None,
                "userAgent": USER_AGENT,
                "userArn": None,
            },
            "path": f"/{stage}{encoded_path}",
            "protocol": "HTTP/1.1",
            "requestId": new_id(),
            "requestTime": clf_time(moment),
            "requestTimeEpoch": int(moment.timestamp() * 1000),
            "resourceId": hex_id(6).lower(),
            "resourcePath": resource,
            "stage": stage,
        },
        "body": text,
        "isBase64Encoded": is_base64,
    }


def _payload_v2(
    method: str,
    path: str,
    raw_path: str,
    query: Query | None,
    headers: HeaderList | None,
    body: bytes | str | None,
    *,
    host: str,
    api_id: str,
    route_key: str,
    path_parameters: dict[str, str] | None,
) -> dict[str, Any]:
    header_list = _with_defaults(headers, host)
    cookies: list[str] = []
    joined: dict[str, str] = {}
    for name, values in _grouped_lower(header_list).items():
        if name == "cookie":
            # Payload 2.0 moves the Cookie header into "cookies", one entry per cookie.
            cookies.extend(
                part.strip() for value in values for part in value.split(";") if part.strip()
            )
        else:
            joined[name] = ",".join(values)
    text, is_base64 = _body(body, header_list)
    moment = now()
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": raw_path,
        "rawQueryString": _encoded_query(query),
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = joined
    if query:
        # Repeated parameters arrive comma-joined here; rawQueryString keeps them apart.
        event["queryStringParameters"] = {name: ",".join(values) for name, values in query.items()}
    event["requestContext"] = {
        "accountId": ACCOUNT,
        "apiId": api_id,
        "domainName": host,
        "domainPrefix": api_id,
        "http": {
            "method": method.upper(),
            "path": raw_path,
            "protocol": "HTTP/1.1",
            "sourceIp": CLIENT_IP,
            "userAgent": joined.get("user-agent", USER_AGENT),
        },
        "requestId": hex_id(16),
        "routeKey": route_key,
        "stage": "$default",
        "time": clf_time(moment),
        "timeEpoch": int(moment.timestamp() * 1000),
    }
    if path_parameters:
        event["pathParameters"] = path_parameters
    if text is not None:
        event["body"] = text
    event["isBase64Encoded"] = is_base64
    return event


def apigw_v2(
    method: str = "GET",
    path: str = "/",
    *,
    query: Query | None = None,
    headers: HeaderList | None = None,
    body: bytes | str | None = None,
    path_template: str | None = None,
) -> dict[str, Any]:
    """An API Gateway HTTP API (payload format 2.0) event; Cookie headers go to ``cookies``."""
    api_id = "r3pmxmplak"
    return _payload_v2(
        method,
        path,
        path,  # HTTP APIs hand the path over decoded
        query,
        headers,
        body,
        host=f"{api_id}.execute-api.{REGION}.amazonaws.com",
        api_id=api_id,
        route_key=f"{method.upper()} {path_template}" if path_template else "$default",
        path_parameters=_path_parameters(path, path_template),
    )


def function_url(
    method: str = "GET",
    path: str = "/",
    *,
    query: Query | None = None,
    headers: HeaderList | None = None,
    body: bytes | str | None = None,
) -> dict[str, Any]:
    """A Lambda Function URL event (payload 2.0 with the path still percent-encoded)."""
    url_id = "g5qh2mvbdsd7lvo4ywaz3bbhgy0dhzpx"
    return _payload_v2(
        method,
        path,
        quote(path, safe=_PATH_SAFE),
        query,
        headers,
        body,
        host=f"{url_id}.lambda-url.{REGION}.on.aws",
        api_id=url_id,
        route_key="$default",
        path_parameters=None,
    )


def alb(
    method: str = "GET",
    path: str = "/",
    *,
    query: Query | None = None,
    headers: HeaderList | None = None,
    body: bytes | str | None = None,
    multi_value: bool = True,
) -> dict[str, Any]:
    """An ALB target group event; ``multi_value`` is the target group's headers mode."""
    header_list = _with_defaults(headers, "polyfn-alb-1234567890.us-east-1.elb.amazonaws.com")
    grouped = _grouped_lower(header_list)
    # ALB passes the query string on still encoded (it "does not decode them").
    encoded_query: dict[str, list[str]] = {}
    for name, value in _pairs(query):
        encoded_query.setdefault(quote_plus(name), []).append(quote_plus(value))
    text, is_base64 = _body(body, header_list)
    event: dict[str, Any] = {
        "requestContext": {
            "elb": {
                "targetGroupArn": (
                    f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:"
                    "targetgroup/polyfn-lambda/49e9d65c45c6791a"
                )
            }
        },
        "httpMethod": method.upper(),
        "path": quote(path, safe=_PATH_SAFE),
    }
    if multi_value:
        event["multiValueQueryStringParameters"] = encoded_query
        event["multiValueHeaders"] = grouped
    else:
        # Single-value mode keeps the last value of anything repeated.
        event["queryStringParameters"] = {k: v[-1] for k, v in encoded_query.items()}
        event["headers"] = {name: values[-1] for name, values in grouped.items()}
    event["body"] = text or ""
    event["isBase64Encoded"] = is_base64
    return event
