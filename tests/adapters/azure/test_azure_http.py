"""HTTP through the registered Azure functions, with the worker's own request/response types."""

from __future__ import annotations

import time
from typing import Any

import azure.functions as func
import pytest
from azure.functions.http import HttpResponseConverter
from azure_native import invoke
from behaviour.behaviour_app import build

from polyfn import App, Context, Request, Response
from polyfn.adapters.azure import function_app
from polyfn.adapters.azure.entry import FALLBACK_FUNCTION
from polyfn.adapters.azure.http import client_address, request_path
from polyfn.hosts.azure import read_response
from polyfn.hosts.events.azure import http_request


@pytest.fixture
def shared() -> tuple[App, func.FunctionApp, dict[str, list[Any]]]:
    app, seen = build()
    return app, function_app(app), seen


def call(native: func.FunctionApp, name: str, request: func.HttpRequest, **context: Any) -> Any:
    response = invoke(native, name, "req", request, **context)
    assert isinstance(response, func.HttpResponse)
    return response


def test_request_id_is_the_invocation_id_and_the_deadline_the_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("POLYFN_TIMEOUT_SECONDS", "120")
    app, seen = build()
    native = function_app(app)
    before = time.time()
    call(native, "get_user", http_request("GET", "/users/1"), invocation_id="inv-123")
    ctx: Context = seen["calls"][0][1]
    assert ctx.request_id == "inv-123"
    assert ctx.raw.invocation_id == "inv-123"
    assert ctx.deadline is not None and before + 119 <= ctx.deadline <= time.time() + 120
    assert 0 < ctx.remaining_ms <= 120_000


def test_http_deadline_is_capped_at_230_seconds_and_only_the_first_call_is_cold(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("POLYFN_TIMEOUT_SECONDS", "300")  # but HTTP must answer within 230 s
    app, seen = build()
    native = function_app(app)
    call(native, "get_user", http_request("GET", "/users/1"))
    call(native, "get_user", http_request("GET", "/users/2"))
    first, second = (ctx for _, ctx in seen["calls"])
    assert 229_000 < first.remaining_ms <= 230_000
    assert second.cold_start is False  # the process served an invocation already


def test_without_a_context_a_request_id_is_made() -> None:
    app, seen = build()
    fn = {f.get_function_name(): f for f in function_app(app).get_functions()}["get_user"]
    fn.get_user_function()(http_request("GET", "/users/1"))
    assert len(seen["calls"][0][1].request_id) == 36


def test_the_path_loses_the_route_prefix_and_the_caller_loses_its_port() -> None:
    # App Service's X-Forwarded-For carries the caller's port; the URL carries "/api".
    # The shared app's /echo does not answer the client address, so this app does.
    caller = App("caller")

    @caller.get("/whoami")
    def whoami(req: Request) -> dict[str, str | None]:
        return {"path": req.path, "client_ip": req.client_ip}

    request = http_request("GET", "/whoami", client_ip="203.0.113.7:50312")
    assert "/api/whoami" in request.url
    echoed = read_response(call(function_app(caller), "whoami", request)).json()
    assert echoed["client_ip"] == "203.0.113.7"
    assert echoed["path"] == "/whoami"


def test_set_cookie_survives_the_workers_response_conversion() -> None:
    # A cookie with Max-Age beside a repeated plain header, in one answer: the shared
    # app's /cookies sets no Max-Age and its repeated header is on another route.
    cookie_attributes = App("cookie-attributes")

    @cookie_attributes.get("/login")
    def login(req: Request) -> Response:
        response = Response.text("welcome")
        response.set_cookie("session", "abc123")
        response.set_cookie("theme", "dark", http_only=False, max_age=3600)
        response.headers.add("vary", "accept")
        response.headers.add("vary", "cookie")
        return response

    response = call(function_app(cookie_attributes), "login", http_request("GET", "/login"))
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


def test_the_request_generator_percent_encodes_the_path() -> None:
    # The behaviour suite hands the host decoded paths; the URL must carry them encoded.
    request = http_request("GET", "/files/a b/caf\u00e9 100%.txt")
    assert "/files/a%20b/caf%C3%A9%20100%25.txt" in request.url


def _error(response: func.HttpResponse) -> dict[str, Any]:
    result = read_response(response)
    assert result.headers["content-type"] == "application/json"
    error: dict[str, Any] = result.json()["error"]
    return error


def test_the_fallback_serves_any_route_the_host_hands_it(shared: Any) -> None:
    # The host orders overlapping routes by function name, so a request may arrive here.
    _, native, _ = shared
    response = call(native, FALLBACK_FUNCTION, http_request("GET", "/users/9"))
    assert read_response(response).json() == {"id": "9"}


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
    app, _ = build()
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
    ("client_ip", "forwarded", "ip"),
    [
        # CLIENT-IP, which App Service's front end overwrites, wins over X-Forwarded-For.
        ("203.0.113.7:50312", "6.6.6.6, 203.0.113.7:50312", "203.0.113.7"),
        ("203.0.113.7:50312", "6.6.6.6", "203.0.113.7"),
        # Without it, the entry the front end appended: the last one.
        (None, "203.0.113.7:50312", "203.0.113.7"),
        (None, "6.6.6.6, 203.0.113.7", "203.0.113.7"),
        (None, "6.6.6.6, [2001:db8::1]:443", "2001:db8::1"),
        ("2001:db8::1", None, "2001:db8::1"),
        ("", "", None),
        (None, None, None),
    ],
)
def test_client_address(client_ip: str | None, forwarded: str | None, ip: str | None) -> None:
    assert client_address(client_ip, forwarded) == ip
