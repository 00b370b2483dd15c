"""The four HTTP sources through lambda_handler: what AWS does differently, end to end."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from aws_native import (
    HTTP_SOURCES,
    UNDRIVEN_SOURCES,
    http_event,
    invoke,
    response_body,
    response_headers,
    response_json,
)
from behaviour.behaviour_app import build

from polyfn import App, Response
from polyfn.hosts.events import aws as events


@pytest.mark.parametrize("source", HTTP_SOURCES)
def test_path_parameter_and_response_shape(source: str) -> None:
    app, _ = build()
    native = invoke(app, http_event(source, "GET", "/users/42"))
    assert native["statusCode"] == 200
    assert response_json(native) == {"id": "42"}
    assert response_headers(native)["content-type"] == ["application/json"]
    assert native["isBase64Encoded"] is False
    if source.startswith("alb"):
        assert native["statusDescription"] == "200 OK"
    if source in ("apigw-v1", "alb"):
        assert "multiValueHeaders" in native and "headers" not in native
    else:
        assert "headers" in native and "multiValueHeaders" not in native


@pytest.mark.parametrize("source", UNDRIVEN_SOURCES)
def test_binary_bodies_both_ways(source: str) -> None:
    app, _ = build()
    payload = bytes(range(256))
    event = http_event(
        source,
        "POST",
        "/binary",
        headers=[("Content-Type", "application/octet-stream")],
        body=payload,
    )
    assert event["isBase64Encoded"] is True
    native = invoke(app, event)
    assert native["isBase64Encoded"] is True
    assert base64.b64decode(native["body"]) == payload[::-1]
    assert response_headers(native)["content-type"] == ["image/png"]


def test_text_declared_body_that_is_not_utf8_still_round_trips() -> None:
    app = App("latin1-text-answer")

    @app.get("/latin1")
    def latin1(req: Any) -> Response:
        return Response(b"caf\xe9", content_type="text/plain; charset=latin-1")

    native = invoke(app, events.apigw_v2("GET", "/latin1"))
    assert native["isBase64Encoded"] is True
    assert response_body(native) == b"caf\xe9"


def test_alb_decodes_the_query_string_it_passes_on_encoded() -> None:
    app, _ = build()
    event = events.alb("GET", "/echo", multi_value=True)
    # As a browser sends ?a=x%20y&a=1+2&plus=%2B&k%C3%A9=v : ALB hands these on as is.
    event["multiValueQueryStringParameters"] = {
        "a": ["x%20y", "1+2"],
        "plus": ["%2B"],
        "k%C3%A9": ["v"],
    }
    echoed = response_json(invoke(app, event))
    assert echoed["query"] == {"a": ["x y", "1 2"], "plus": ["+"], "ké": ["v"]}


def test_alb_single_value_mode_keeps_the_last_value_and_answers_in_headers() -> None:
    app, _ = build()
    event = events.alb(
        "GET", "/echo", query={"tag": ["a", "b"]}, headers=[("X-Tag", "1")], multi_value=False
    )
    native = invoke(app, event)
    assert "headers" in native and "multiValueHeaders" not in native
    echoed = response_json(native)
    assert echoed["query"] == {"tag": ["b"]}
    assert echoed["tags"] == ["1"]


def test_alb_single_value_mode_can_send_only_one_set_cookie(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app, _ = build()
    native = invoke(app, events.alb("GET", "/cookies", multi_value=False))
    assert native["headers"]["set-cookie"].startswith("session=abc")
    assert "one Set-Cookie" in caplog.text


@pytest.mark.parametrize("source", ["apigw-v2", "function-url"])
def test_v2_joined_headers_split_back_into_values(source: str) -> None:
    app, seen = build()
    event_headers = [
        ("X-Tag", "one"),
        ("X-Tag", '"two, quoted", three'),
        ("User-Agent", "Mozilla/5.0 (KHTML, like Gecko)"),
    ]
    event = http_event(source, "GET", "/echo", headers=event_headers)
    assert event["headers"]["x-tag"] == 'one,"two, quoted", three'
    echoed = response_json(invoke(app, event))
    assert echoed["tags"] == ["one", '"two, quoted"', "three"]
    # The same event on a route that records its request: what the handler holds.
    event = http_event(source, "GET", "/users/1", headers=event_headers)
    invoke(app, event)
    request = seen["calls"][0][0]
    assert request.headers["x-tag"] == 'one,"two, quoted", three'
    # A field whose single value may hold commas is not split.
    assert request.headers.getlist("user-agent") == ["Mozilla/5.0 (KHTML, like Gecko)"]


@pytest.mark.parametrize("source", ["apigw-v2", "function-url"])
def test_v2_cookies_in_and_set_cookie_out(source: str) -> None:
    app, seen = build()
    cookie = [("Cookie", 'a=1; b="2"; c=x=y')]
    event = http_event(source, "GET", "/echo", headers=cookie)
    assert event["cookies"] == ["a=1", 'b="2"', "c=x=y"]
    assert "cookie" not in event["headers"]
    echoed = response_json(invoke(app, event))
    assert echoed["cookies"] == {"a": "1", "b": "2", "c": "x=y"}
    # The Cookie header is restored so headers look the same on every source.
    assert echoed["headers"]["cookie"] == ['a=1; b="2"; c=x=y']
    invoke(app, http_event(source, "GET", "/users/1", headers=cookie))
    assert seen["calls"][0][0].headers["cookie"] == 'a=1; b="2"; c=x=y'

    native = invoke(app, http_event(source, "GET", "/cookies"))
    assert len(native["cookies"]) == 2
    assert native["cookies"][0].startswith("session=abc")
    assert native["cookies"][1].startswith("theme=dark")
    assert "set-cookie" not in native["headers"]


@pytest.mark.parametrize("source", HTTP_SOURCES)
def test_an_empty_answer_is_an_empty_text_body(source: str) -> None:
    app, _ = build()
    native = invoke(app, http_event(source, "GET", "/nothing"))
    assert native["statusCode"] == 204
    assert native["body"] == ""
    assert native["isBase64Encoded"] is False


def test_v1_with_null_optional_fields() -> None:
    app, _ = build()
    event = events.apigw_v1("GET", "/echo")
    for field in (
        "headers",
        "multiValueHeaders",
        "queryStringParameters",
        "multiValueQueryStringParameters",
        "pathParameters",
        "body",
    ):
        event[field] = None
    echoed = response_json(invoke(app, event))
    assert echoed["query"] == {} and echoed["headers"] == {} and echoed["body"] == ""
    assert echoed["length"] == 0
    assert echoed["cookies"] == {}


def test_v2_without_optional_fields() -> None:
    app, _ = build()
    event = events.apigw_v2("GET", "/echo")
    for field in ("cookies", "body", "queryStringParameters", "headers", "rawQueryString"):
        event.pop(field, None)
    echoed = response_json(invoke(app, event))
    assert echoed["query"] == {} and echoed["headers"] == {} and echoed["cookies"] == {}


def test_v2_falls_back_to_query_string_parameters_without_raw_query() -> None:
    app, _ = build()
    event = events.apigw_v2("GET", "/echo", query={"q": ["x"]})
    del event["rawQueryString"]
    assert response_json(invoke(app, event))["query"] == {"q": ["x"]}


REASONS = {
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    500: "Internal Server Error",
}
ERROR_CASES = [
    ("GET", "/nowhere", None, 404, "Not Found"),
    ("DELETE", "/users/1", None, 405, "Method Not Allowed"),
    ("POST", "/users", b"{not json", 400, "Request body is not valid JSON"),
    ("GET", "/users/crash", None, 500, "Internal Server Error"),
    ("GET", "/users/missing", None, 404, "User not found"),
]


# The error semantics are the behaviour suite's; here, ALB's status line for each of them
# and, for the single-value mode no host drives, the whole answer.
@pytest.mark.parametrize("source", ["alb", *UNDRIVEN_SOURCES])
@pytest.mark.parametrize(("method", "path", "body", "status", "message"), ERROR_CASES)
def test_error_answers(
    source: str, method: str, path: str, body: bytes | None, status: int, message: str
) -> None:
    app, _ = build()
    context = events.lambda_context(request_id="req-123")
    native = invoke(app, http_event(source, method, path, body=body), context)
    assert native["statusCode"] == status
    error = response_json(native)["error"]
    assert error == {"status": status, "message": message, "request_id": "req-123"}
    assert b"secret-token" not in response_body(native)
    assert b"Traceback" not in response_body(native)
    if status == 405:
        assert response_headers(native)["allow"] == ["GET, HEAD, PUT"]
    assert native["statusDescription"] == f"{status} {REASONS[status]}"


@pytest.mark.parametrize("source", UNDRIVEN_SOURCES)
def test_head_answers_like_get_without_a_body(source: str) -> None:
    app, _ = build()
    native = invoke(app, http_event(source, "HEAD", "/users/7"))
    assert native["statusCode"] == 200
    assert native["body"] == ""
    assert response_headers(native)["content-type"] == ["application/json"]


def test_invalid_base64_body_is_400() -> None:
    app, _ = build()
    event = events.apigw_v2("POST", "/users", body=b'{"a": 1}')
    event["body"] = "not base64!"
    event["isBase64Encoded"] = True
    native = invoke(app, event)
    assert native["statusCode"] == 400
    assert "base64" in response_json(native)["error"]["message"]


@pytest.mark.parametrize("source", ["apigw-v1", "alb", "alb-single", "function-url"])
def test_sources_that_keep_the_path_encoded_are_decoded(source: str) -> None:
    app, seen = build()
    event = http_event(source, "GET", "/files/my file/50%/caf\u00e9.txt")
    assert "%20" in str(event.get("path") or event.get("rawPath"))
    answer = response_json(invoke(app, event))
    assert answer == {"path": "my file/50%/caf\u00e9.txt"}
    # The request's own path is decoded too (on a route that records its request).
    invoke(app, http_event(source, "GET", "/users/my file 50% caf\u00e9.txt"))
    request = seen["calls"][0][0]
    assert request.path == "/users/my file 50% caf\u00e9.txt"
    assert request.path_params == {"id": "my file 50% caf\u00e9.txt"}


def test_http_api_path_is_already_decoded_and_not_decoded_twice() -> None:
    app, _ = build()
    event = events.apigw_v2("GET", "/files/100%41")
    assert event["rawPath"] == "/files/100%41"
    assert response_json(invoke(app, event))["path"] == "100%41"


def test_http_api_payload_1_0_path_is_not_decoded_twice() -> None:
    app, _ = build()
    event = events.apigw_v1("GET", "/files/x")
    event["version"] = "1.0"
    event["path"] = "/files/100%41"
    assert response_json(invoke(app, event))["path"] == "100%41"


def test_named_stage_is_stripped_on_the_execute_api_domain() -> None:
    app, _ = build()
    event = events.apigw_v2("GET", "/prod/users/9")
    event["requestContext"]["stage"] = "prod"
    assert response_json(invoke(app, event)) == {"id": "9"}
    event["requestContext"]["domainName"] = "api.example.com"  # a custom domain maps it away
    event["rawPath"] = "/prod/users/9"
    assert invoke(app, event)["statusCode"] == 404


@pytest.mark.parametrize("source", HTTP_SOURCES)
def test_client_ip_and_request_id(source: str) -> None:
    app, seen = build()
    event = http_event(
        source, "GET", "/users/1", headers=[("X-Forwarded-For", "10.9.9.9, 203.0.113.5")]
    )
    context = events.lambda_context(request_id="lambda-req-1")
    invoke(app, event, context)
    request, ctx = seen["calls"][0]
    assert request.request_id == ctx.request_id == "lambda-req-1"
    # ALB appends the address it saw (the events do as ALB does); the entries before it
    # are the client's claim. API Gateway and function URLs give the source IP itself.
    assert request.client_ip == events.CLIENT_IP
    if source.startswith("alb"):
        forwarded = _alb_forwarded(event)
        assert forwarded == f"10.9.9.9, 203.0.113.5, {events.CLIENT_IP}"


def _alb_forwarded(event: dict[str, Any]) -> str:
    multi = event.get("multiValueHeaders")
    if multi is not None:
        return ", ".join(multi["x-forwarded-for"])
    return str(event["headers"]["x-forwarded-for"])


@pytest.mark.parametrize("source", HTTP_SOURCES)
def test_direct_call_without_a_lambda_context(source: str) -> None:
    app, seen = build()
    native = invoke(app, http_event(source, "GET", "/users/1"), None)
    assert native["statusCode"] == 200
    request, ctx = seen["calls"][0]
    assert ctx.request_id and request.request_id == ctx.request_id
    assert ctx.remaining_ms > 0


def test_v1_text_body_is_not_base64() -> None:
    app, _ = build()
    event = events.apigw_v1("PUT", "/echo", body="grüße".encode())
    assert event["isBase64Encoded"] is False and event["body"] == "grüße"
    echoed = response_json(invoke(app, event))
    assert echoed["body"] == "grüße"
    assert echoed["length"] == len("grüße".encode())


# API Gateway names the route it matched: routeKey on HTTP APIs, resource on REST APIs.
ROUTED = {"apigw-v1": events.apigw_v1, "apigw-v2": events.apigw_v2}


def _name_route(event: dict[str, Any], method: str, template: str) -> None:
    if "routeKey" in event:
        event["routeKey"] = event["requestContext"]["routeKey"] = f"{method} {template}"
    else:
        event["resource"] = event["requestContext"]["resourcePath"] = template


@pytest.mark.parametrize("source", ROUTED)
def test_a_route_api_gateway_matched_keeps_its_parameters(source: str) -> None:
    # API Gateway has matched the route already; its parameters stand, so a value it
    # extracted differently from the path (here, on purpose) is what the handler sees.
    app, seen = build()
    event = ROUTED[source]("GET", "/users/42", path_template="/users/{id}")
    event["pathParameters"] = {"id": "from-gateway"}
    assert response_json(invoke(app, event)) == {"id": "from-gateway"}
    # The request's path stays the one the client asked for.
    assert seen["calls"][0][0].path == "/users/42"
    greedy = ROUTED[source]("GET", "/files/a/b", path_template="/files/{path+}")
    assert greedy["pathParameters"] == {"path": "a/b"}
    assert response_json(invoke(app, greedy)) == {"path": "a/b"}


@pytest.mark.parametrize(
    ("source", "method", "template"),
    [
        *((source, "GET", "/{proxy+}") for source in ROUTED),  # a proxy route
        *((source, "GET", "/users/{user}") for source in ROUTED),  # another parameter name
        # A template the App has, for a method it does not serve (REST resources name no
        # method: the request's own is part of the route).
        ("apigw-v2", "DELETE", "/users/{id}"),
    ],
)
def test_routes_the_app_does_not_declare_are_routed_by_polyfn(
    source: str, method: str, template: str
) -> None:
    app, _ = build()
    event = ROUTED[source]("GET", "/users/42")
    _name_route(event, method, template)
    event["pathParameters"] = {"proxy": "users/42"}
    assert response_json(invoke(app, event)) == {"id": "42"}


def test_http_api_default_route_is_routed_by_polyfn() -> None:
    app, _ = build()
    event = events.apigw_v2("GET", "/users/42")
    assert event["routeKey"] == "$default"
    event["pathParameters"] = {"proxy": "users/42"}
    assert response_json(invoke(app, event)) == {"id": "42"}


def test_http_api_head_under_its_own_route_key_answers_like_get() -> None:
    app, _ = build()
    event = events.apigw_v2("HEAD", "/users/7", path_template="/users/{id}")
    native = invoke(app, event)
    assert (native["statusCode"], native["body"]) == (200, "")


@pytest.mark.parametrize("source", ROUTED)
def test_path_parameters_that_are_not_an_object_are_a_malformed_event(source: str) -> None:
    from polyfn.core.errors import UnrecognizedEvent

    app, _ = build()
    event = ROUTED[source]("GET", "/users/42", path_template="/users/{id}")
    event["pathParameters"] = ["42"]
    with pytest.raises(UnrecognizedEvent, match="malformed API Gateway"):
        invoke(app, event)
