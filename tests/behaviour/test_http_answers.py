"""What an HTTP client gets back, the same on every runtime: status and headers a handler
sets, the 404/405/400/500 error bodies, HEAD and 204 without a body, binary bodies,
repeated response headers and Set-Cookie, and what an unhandled exception logs."""

from __future__ import annotations

import logging

import pytest

from polyfn.hosts import Host

from .behaviour_app import build

# Status, headers and bodies a handler chooses


def test_a_created_answer_keeps_its_status_and_location(driver: Host) -> None:
    app, _ = build()
    result = driver.http(
        app, "POST", "/users", headers=[("Content-Type", "application/json")], body=b'{"n": 1}'
    )
    assert result.status == 201
    assert result.json() == {"created": {"n": 1}}
    assert result.headers["location"] == "/users/1"


def test_a_handler_that_returns_nothing_answers_204_with_no_body(driver: Host) -> None:
    app, _ = build()
    result = driver.http(app, "GET", "/nothing")
    assert result.status == 204
    assert result.body == b""


def test_binary_bodies_round_trip(driver: Host) -> None:
    app, _ = build()
    payload = bytes(range(256))
    result = driver.http(
        app, "POST", "/binary", headers=[("Content-Type", "application/octet-stream")], body=payload
    )
    assert result.status == 200
    assert result.body == payload[::-1]
    assert result.headers["content-type"] == "image/png"


def test_head_is_served_by_get_without_a_body(driver: Host) -> None:
    app, seen = build()
    result = driver.http(app, "HEAD", "/users/7")
    assert result.status == 200
    assert result.body == b""
    assert result.headers["content-type"] == "application/json"
    assert [ctx.function_name for _, ctx in seen["calls"]] == ["get_user"]


def test_a_repeated_response_header_keeps_every_value(driver: Host) -> None:
    app, _ = build()
    result = driver.http(app, "GET", "/repeated")
    # A list field may come back as two lines or as one joined by a comma (AWS HTTP API
    # and Azure answer with one value per name); RFC 9110 5.3 makes them the same.
    lines = result.headers.getlist("x-multi")
    assert [value.strip() for line in lines for value in line.split(",")] == ["one", "two"]
    assert result.body == b"two values"


def test_set_cookie_keeps_every_cookie_with_its_attributes(driver: Host) -> None:
    app, _ = build()
    cookies = driver.http(app, "GET", "/cookies").headers.getlist("set-cookie")
    assert len(cookies) == 2
    session, theme = cookies
    assert session.startswith("session=abc") and "HttpOnly" in session
    assert theme.startswith("theme=dark") and "HttpOnly" not in theme


# Errors


def test_an_unknown_path_is_404_json_with_a_request_id(driver: Host) -> None:
    app, _ = build()
    result = driver.http(app, "GET", "/nowhere")
    assert result.status == 404
    error = result.json()["error"]
    assert error["status"] == 404 and error["message"] == "Not Found" and error["request_id"]


def test_an_http_error_from_a_handler_answers_its_status_and_message(driver: Host) -> None:
    app, _ = build()
    result = driver.http(app, "GET", "/users/missing")
    assert result.status == 404
    assert result.json()["error"]["message"] == "User not found"


def test_an_http_error_without_a_message_answers_the_standard_reason_phrase(
    driver: Host,
) -> None:
    # One table of reason phrases (http.HTTPStatus) for every runtime; the ALB host also
    # checks the status line ("418 I'm a Teapot") the load balancer requires.
    app, _ = build()
    result = driver.http(app, "GET", "/users/teapot")
    assert result.status == 418
    assert result.json()["error"]["message"] == "I'm a Teapot"


def test_a_wrong_method_is_405_allowing_the_methods_of_every_function_on_the_route(
    driver: Host,
) -> None:
    app, seen = build()
    result = driver.http(app, "DELETE", "/users/1")
    assert result.status == 405
    assert result.headers["allow"] == "GET, HEAD, PUT"
    assert result.json()["error"]["message"] == "Method Not Allowed"
    assert seen["calls"] == []
    # A route served by one GET function allows GET and HEAD alone.
    result = driver.http(app, "DELETE", "/cookies")
    assert result.status == 405
    assert result.headers["allow"] == "GET, HEAD"


def test_malformed_json_is_400(driver: Host) -> None:
    app, _ = build()
    result = driver.http(app, "POST", "/users", body=b"{not json")
    assert result.status == 400
    assert result.json()["error"]["message"] == "Request body is not valid JSON"


def test_an_unhandled_exception_answers_a_bare_500_and_is_logged_for_the_operator(
    driver: Host, caplog: pytest.LogCaptureFixture
) -> None:
    app, _ = build()
    result = driver.http(app, "GET", "/users/crash")
    assert result.status == 500
    assert b"secret-token-123" not in result.body
    assert b"Traceback" not in result.body
    error = result.json()["error"]
    assert error["message"] == "Internal Server Error" and error["request_id"]
    # The operator's log has what the client never sees, at the default (WARNING) level.
    assert "secret-token-123" in caplog.text


def test_json_nested_deeper_than_the_recursion_limit_is_400_not_an_error_log(
    driver: Host, caplog: pytest.LogCaptureFixture
) -> None:
    app, seen = build()
    depth = 5_000
    result = driver.http(app, "PUT", "/users/1", body=b"[" * depth + b"]" * depth)
    assert result.status == 400
    assert result.json()["error"]["message"] == "Request body is nested too deeply"
    assert len(seen["calls"]) == 1  # the handler ran, and req.json() refused the body
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


@pytest.mark.parametrize("body", [b'{"x": NaN}', b"[Infinity]", b"-Infinity"])
def test_nan_and_infinity_in_a_request_body_are_400(driver: Host, body: bytes) -> None:
    app, _ = build()
    result = driver.http(app, "POST", "/users", body=body)
    assert result.status == 400
    assert result.json()["error"]["message"] == "Request body is not valid JSON"


def test_nan_in_a_json_answer_is_a_500_whose_log_says_why(
    driver: Host, caplog: pytest.LogCaptureFixture
) -> None:
    app, _ = build()
    result = driver.http(app, "GET", "/not-a-number")
    assert result.status == 500
    assert b"NaN" not in result.body
    assert result.json()["error"]["message"] == "Internal Server Error"
    assert "NaN or Infinity, which JSON cannot carry" in caplog.text


def _status(output: dict[str, object]) -> object:
    return output.get("statusCode", output.get("status"))


def test_a_pinned_function_answers_only_its_own_routes(driver: Host) -> None:
    # Every cloud deploys the whole App with each function: pinned to get_user, a
    # deployment that receives put_user's request (a direct call to its URL, a Lambda
    # invoked directly) must not run put_user under get_user's identity.
    app, seen = build()
    get_user = app.function("get_user")
    own = driver.invoke(app, get_user, driver.sample(get_user, None, {"path": "/users/7"}))
    assert _status(own.output) == 200 and not own.skipped
    assert len(seen["calls"]) == 1
    other_route = {"method": "PUT", "path": "/users/7", "body": '{"name": "x"}'}
    other = driver.invoke(app, get_user, driver.sample(get_user, None, other_route))
    assert len(seen["calls"]) == 1, "put_user ran in a deployment pinned to get_user"
    assert "put_user" in other.skipped
    if driver.cloud != "azure":
        # Azure's host routes by function, so the request never reaches get_user there.
        assert _status(other.output) == 404
    # Another function's route, and another method of the pinned route's path.
    create = {"method": "POST", "path": "/users", "body": "{}"}
    answer = driver.invoke(app, get_user, driver.sample(get_user, None, create))
    assert "create_user" in answer.skipped
    assert _status(answer.output) == 404 or answer.output["ran"] == 0
