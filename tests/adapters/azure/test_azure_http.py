"""HTTP through the registered Azure functions, with the worker's own request/response types."""

from __future__ import annotations

import time
from typing import Any

import azure.functions as func
import pytest
from azure.functions.http import HttpResponseConverter
from azure_apps import build_shop, invoke

from polyfn import App, Context, Request, Response
from polyfn.adapters.azure import function_app
from polyfn.adapters.azure.entry import FALLBACK_FUNCTION
from polyfn.adapters.azure.http import client_address, request_path
from polyfn.hosts.azure import read_response
from polyfn.hosts.events.azure import http_request


@pytest.fixture
def shop() -> tuple[App, func.FunctionApp, dict[str, list[Any]]]:
    app, seen = build_shop()
    return app, function_app(app), seen


def call(native: func.FunctionApp, name: str, request: func.HttpRequest, **context: Any) -> Any:
    response = invoke(native, name, "req", request, **context)
    assert isinstance(response, func.HttpResponse)
    return response


def test_path_parameters_and_json(shop: Any) -> None:
    _, native, seen = shop
    response = call(native, "get_user", http_request("GET", "/users/42", route_params={"id": "42"}))
    assert response.status_code == 200
    assert response.get_body() == b'{"id":"42"}'
    assert response.headers["content-type"] == "application/json"
    ctx = seen["contexts"][0]
    assert (ctx.cloud, ctx.function_name) == ("azure", "get_user")


def test_request_id_is_the_invocation_id_and_the_deadline_the_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("POLYFN_TIMEOUT_SECONDS", "120")
    app, seen = build_shop()
    native = function_app(app)
    before = time.time()
    call(native, "get_user", http_request("GET", "/users/1"), invocation_id="inv-123")
    ctx: Context = seen["contexts"][0]
    assert ctx.request_id == "inv-123"
    assert ctx.raw.invocation_id == "inv-123"
    assert ctx.deadline is not None and before + 119 <= ctx.deadline <= time.time() + 120
    assert 0 < ctx.remaining_ms <= 120_000


def test_http_deadline_is_capped_at_230_seconds_and_only_the_first_call_is_cold(
    shop: Any,
) -> None:
    _, native, seen = shop  # default timeout: 300 s, but HTTP must answer within 230 s
    call(native, "get_user", http_request("GET", "/users/1"))
    call(native, "get_user", http_request("GET", "/users/2"))
    first, second = seen["contexts"]
    assert 229_000 < first.remaining_ms <= 230_000
    assert second.cold_start is False  # the process served an invocation already


def test_without_a_context_a_request_id_is_made() -> None:
    app, seen = build_shop()
    fn = {f.get_function_name(): f for f in function_app(app).get_functions()}["get_user"]
    fn.get_user_function()(http_request("GET", "/users/1"))
    assert len(seen["contexts"][0].request_id) == 36


def test_two_functions_on_one_route_split_by_method(shop: Any) -> None:
    _, native, _ = shop
    request = http_request("PUT", "/users/7", body=b'{"name": "ada"}', route_params={"id": "7"})
    response = call(native, "put_user", request)
    assert response.status_code == 200
    assert response.get_body() == b'{"id":"7","body":{"name":"ada"}}'


def test_repeated_query_keys_headers_and_cookies(shop: Any) -> None:
    _, native, _ = shop
    request = http_request(
        "GET",
        "/echo",
        query={"tag": ["a b", "c&d", ""], "q": ["\u00e9"]},
        headers=[
            ("X-Tag", "one"),
            ("x-tag", "two"),
            ("Accept", 'text/html, application/json;q="0.9,x"'),
            ("User-Agent", "Mozilla/5.0 (X11; Linux x86_64, like Gecko)"),
            ("Cookie", "a=1; b=2"),
            ("Cookie", "c=3"),
        ],
    )
    echoed = read_response(call(native, "echo", request)).json()
    assert echoed["query"] == {"tag": ["a b", "c&d", ""], "q": ["\u00e9"]}
    assert echoed["headers"]["x-tag"] == ["one", "two"]
    assert echoed["headers"]["accept"] == ["text/html", 'application/json;q="0.9,x"']
    assert echoed["headers"]["user-agent"] == ["Mozilla/5.0 (X11; Linux x86_64, like Gecko)"]
    assert echoed["cookies"] == {"a": "1", "b": "2", "c": "3"}
    assert echoed["client_ip"] == "203.0.113.7"
    assert echoed["path"] == "/echo"


def test_set_cookie_survives_the_workers_response_conversion(shop: Any) -> None:
    _, native, _ = shop
    response = call(native, "login", http_request("GET", "/login"))
    assert response.headers.get_all("Set-Cookie") == [
        "session=abc123; Path=/; Secure; HttpOnly; SameSite=Lax",
        "theme=dark; Path=/; Max-Age=3600; Secure; SameSite=Lax",
    ]
    datum = HttpResponseConverter.encode(response, expected_type=None)
    cookies = [morsel for cookie in datum.value["cookies"] for morsel in cookie.values()]
    assert [(m.key, m.value) for m in cookies] == [("session", "abc123"), ("theme", "dark")]
    assert cookies[1]["max-age"] == "3600" and cookies[0]["httponly"] is True
    # Other repeated headers travel as one comma-joined value, which the worker keeps.
    assert datum.value["headers"]["vary"].value == "accept, cookie"
    assert datum.value["body"].value == b"welcome"


def test_binary_bodies_round_trip(shop: Any) -> None:
    _, native, _ = shop
    payload = bytes(range(256)) * 4
    request = http_request(
        "POST", "/reverse", headers=[("Content-Type", "application/octet-stream")], body=payload
    )
    response = call(native, "reverse", request)
    assert response.get_body() == payload[::-1]
    assert response.headers["content-type"] == "application/octet-stream"


def test_empty_body(shop: Any) -> None:
    _, native, _ = shop
    echoed = read_response(call(native, "echo", http_request("POST", "/echo"))).json()
    assert echoed["length"] == 0 and echoed["body"] == ""


def test_greedy_and_encoded_paths(shop: Any) -> None:
    _, native, _ = shop
    # The generator percent-encodes the decoded path for the URL; the adapter decodes it.
    request = http_request("GET", "/files/a b/caf\u00e9 100%.txt")
    assert "/files/a%20b/caf%C3%A9%20100%25.txt" in request.url
    expected = {"path": "a b/caf\u00e9 100%.txt"}
    assert read_response(call(native, "read_file", request)).json() == expected


def _error(response: func.HttpResponse) -> dict[str, Any]:
    result = read_response(response)
    assert result.headers["content-type"] == "application/json"
    error: dict[str, Any] = result.json()["error"]
    return error


def test_unknown_path_reaching_the_fallback_is_a_json_404(shop: Any) -> None:
    _, native, _ = shop
    response = call(native, FALLBACK_FUNCTION, http_request("GET", "/nowhere"), invocation_id="i-1")
    assert response.status_code == 404
    assert _error(response) == {"status": 404, "message": "Not Found", "request_id": "i-1"}


def test_wrong_method_reaching_the_fallback_is_405_with_allow(shop: Any) -> None:
    _, native, _ = shop
    response = call(native, FALLBACK_FUNCTION, http_request("DELETE", "/users/1"))
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD, PUT"
    assert _error(response)["message"] == "Method Not Allowed"


def test_the_fallback_serves_any_route_the_host_hands_it(shop: Any) -> None:
    # The host orders overlapping routes by function name, so a request may arrive here.
    _, native, _ = shop
    response = call(native, FALLBACK_FUNCTION, http_request("GET", "/users/9"))
    assert read_response(response).json() == {"id": "9"}


def test_head_is_served_by_get_without_a_body(shop: Any) -> None:
    _, native, _ = shop
    response = call(native, "get_user", http_request("HEAD", "/users/3"))
    assert response.status_code == 200 and response.get_body() == b""


def test_malformed_json_is_400(shop: Any) -> None:
    _, native, _ = shop
    response = call(native, "put_user", http_request("PUT", "/users/1", body=b"{nope"))
    assert response.status_code == 400
    assert _error(response)["message"] == "Request body is not valid JSON"


def test_handler_http_error(shop: Any) -> None:
    _, native, _ = shop
    response = call(native, "get_user", http_request("GET", "/users/missing"))
    assert response.status_code == 404
    assert _error(response)["message"] == "User not found"


def test_unhandled_exception_is_500_with_request_id_and_no_details(
    shop: Any, caplog: pytest.LogCaptureFixture
) -> None:
    _, native, _ = shop
    response = call(native, "get_user", http_request("GET", "/users/crash"), invocation_id="i-9")
    assert response.status_code == 500
    assert b"hunter2" not in response.get_body() and b"Traceback" not in response.get_body()
    assert _error(response) == {
        "status": 500,
        "message": "Internal Server Error",
        "request_id": "i-9",
    }
    assert "hunter2" in caplog.text  # the log has what the client must not see


def test_a_header_the_worker_refuses_becomes_a_500() -> None:
    app = App("bad-header")

    @app.get("/split")
    def split(req: Request) -> Response:
        return Response.text("x", headers={"x-injected": "a\r\nSet-Cookie: evil=1"})

    response = call(function_app(app), "split", http_request("GET", "/split"), invocation_id="r")
    assert response.status_code == 500
    assert _error(response)["request_id"] == "r"
    assert "evil" not in str(response.headers)


def test_custom_route_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLYFN_AZURE_ROUTE_PREFIX", "v1")
    app, _ = build_shop()
    request = http_request("GET", "/echo", route_prefix="v1")
    assert request.url.endswith("/v1/echo")
    echoed = read_response(call(function_app(app), "echo", request)).json()
    assert echoed["path"] == "/echo"


def test_a_keyed_route_reached_through_an_anonymous_function_is_refused() -> None:
    app = App("overlap")

    @app.get("/users/{id}")
    def a_user(req: Request) -> str:
        return "public"

    @app.get("/users/me", auth="function")
    def b_me(req: Request) -> str:
        return "private"

    native = function_app(app)
    # The host matched the anonymous users/{id} first (function-name order).
    response = call(native, "a_user", http_request("GET", "/users/me"))
    assert response.status_code == 401
    assert b"private" not in response.get_body()
    assert call(native, "a_user", http_request("GET", "/users/7")).get_body() == b"public"
    assert call(native, "b_me", http_request("GET", "/users/me")).get_body() == b"private"


@pytest.mark.parametrize(
    ("url", "prefix", "path"),
    [
        ("https://h/api/users/1", "api", "/users/1"),
        ("https://h/API/users/1", "api", "/users/1"),
        ("https://h/api", "api", "/"),
        ("https://h/api/", "api", "/"),
        ("https://h/apix/users", "api", "/apix/users"),
        ("https://h/users/caf%C3%A9%20au%20lait", "", "/users/caf\u00e9 au lait"),
        ("https://h/v2/a/b?x=1", "/v2/", "/a/b"),
        ("/api/echo", "api", "/echo"),
    ],
)
def test_request_path(url: str, prefix: str, path: str) -> None:
    assert request_path(url, prefix) == path


@pytest.mark.parametrize(
    ("forwarded", "ip"),
    [
        ("203.0.113.7:50312", "203.0.113.7"),
        ("203.0.113.7", "203.0.113.7"),
        ("[2001:db8::1]:443, 10.0.0.1", "2001:db8::1"),
        ("2001:db8::1", "2001:db8::1"),
        ("", None),
        (None, None),
    ],
)
def test_client_address(forwarded: str | None, ip: str | None) -> None:
    assert client_address(forwarded) == ip
