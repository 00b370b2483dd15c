"""HTTP through functions-framework's Flask app: werkzeug's answers, the trace id as the
request id, the client address and the deadline. The portable HTTP cases (status codes,
headers, cookies, bodies) run on every runtime in ``tests/behaviour``."""

from __future__ import annotations

import time

import pytest
from behaviour.behaviour_app import build
from gcp_native import http_client, send

from polyfn import App, Response
from polyfn.adapters.gcp.http import client_address
from polyfn.core.defaults import DEFAULT_TIMEOUT_SECONDS
from polyfn.hosts.events import gcp as events

TRACE = "105445aa7843bc8bf206b12000100000"


def test_repeated_response_headers_stay_separate_lines() -> None:
    # werkzeug answers each value of a repeated header on its own line, as sent; the
    # portable promise (the values survive, joined or not) is in tests/behaviour.
    app, _ = build()
    client = http_client(app)
    cookies = send(client, events.http("GET", "/cookies"))
    assert len(cookies.headers.getlist("Set-Cookie")) == 2
    repeated = send(client, events.http("GET", "/repeated"))
    assert repeated.headers.getlist("X-Multi") == ["one", "two"]


def test_untyped_204_has_no_content_type() -> None:
    app, _ = build()
    response = send(http_client(app), events.http("GET", "/nothing"))
    assert response.status_code == 204
    assert response.get_data() == b""
    assert "Content-Type" not in response.headers  # werkzeug's text/html default is not added


def _error(response: object) -> dict[str, object]:
    body = response.get_json()  # type: ignore[attr-defined]
    assert response.headers["Content-Type"] == "application/json"  # type: ignore[attr-defined]
    return body["error"]  # type: ignore[no-any-return]


def test_error_answers_carry_the_trace_id_as_request_id() -> None:
    # 404/405/400 themselves are checked on every runtime in tests/behaviour; here, that
    # the id in the error body is the trace id Google's front end sent.
    app, _ = build()
    trace = [("X-Cloud-Trace-Context", f"{TRACE}/1;o=1")]
    missing = send(http_client(app), events.http("GET", "/nowhere", headers=trace))
    assert missing.status_code == 404
    assert _error(missing) == {"status": 404, "message": "Not Found", "request_id": TRACE}


def test_unsendable_header_is_a_json_500() -> None:
    app = App("bad")

    @app.get("/")
    def bad(req: object) -> Response:
        response = Response.text("x")
        response.headers.set("x-bad", "a\r\nInjected: yes")
        return response

    response = send(http_client(app), events.http("GET", "/"))
    assert response.status_code == 500
    assert "Injected" not in response.headers
    assert _error(response)["message"] == "Internal Server Error"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ([("X-Cloud-Trace-Context", f"{TRACE}/123;o=1")], TRACE),
        ([("traceparent", f"00-{TRACE}-b7ad6b7169203331-01")], TRACE),
        ([("X-Cloud-Trace-Context", "not-hex/1"), ("traceparent", f"00-{TRACE}-01-01")], TRACE),
    ],
)
def test_request_id_comes_from_the_trace(headers: list[tuple[str, str]], expected: str) -> None:
    app, seen = build()
    send(http_client(app), events.http("GET", "/users/7", headers=headers))
    [(request, _)] = seen["calls"]
    assert request.request_id == expected


def test_request_id_is_generated_when_the_trace_is_missing_or_forged() -> None:
    app, seen = build()
    client = http_client(app)
    send(client, events.http("GET", "/users/7"))
    send(client, events.http("GET", "/users/7", headers=[("X-Cloud-Trace-Context", "<script>/1")]))
    plain, forged = (request.request_id for request, _ in seen["calls"])
    for generated in (plain, forged):
        assert len(generated) == 32 and set(generated) <= set("0123456789abcdef")
    assert plain != forged


def test_client_ip_is_the_hop_googles_front_end_appended_else_the_peer() -> None:
    # "6.6.6.6" is what the client wrote; Google's front end appended 203.0.113.7.
    app, seen = build()
    client = http_client(app)
    forwarded = [("X-Forwarded-For", "6.6.6.6, 203.0.113.7")]
    send(client, events.http("GET", "/users/7", headers=forwarded))
    send(client, events.http("GET", "/users/7"))
    assert [request.client_ip for request, _ in seen["calls"]] == ["203.0.113.7", "127.0.0.1"]


@pytest.mark.parametrize(
    ("forwarded", "peer", "trusted", "ip"),
    [
        ("6.6.6.6, 203.0.113.7", "10.0.0.2", True, "203.0.113.7"),
        ("203.0.113.7", "10.0.0.2", True, "203.0.113.7"),
        ("6.6.6.6,", "10.0.0.2", True, "10.0.0.2"),
        (None, "10.0.0.2", True, "10.0.0.2"),
        ("6.6.6.6, 203.0.113.7", "127.0.0.1", False, "127.0.0.1"),
        (None, None, True, None),
    ],
)
def test_client_address_rule(
    forwarded: str | None, peer: str | None, trusted: bool, ip: str | None
) -> None:
    assert client_address(forwarded, peer, trust_forwarded=trusted) == ip


def test_context_cloud_deadline_and_function(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLYFN_TIMEOUT_SECONDS", "30")
    app, seen = build()
    send(http_client(app), events.http("GET", "/users/7"))
    [(_, ctx)] = seen["calls"]
    assert ctx.cloud == "gcp" and ctx.function_name == "get_user"
    assert 29 <= (ctx.deadline - time.time()) <= 30
    assert 28_000 < ctx.remaining_ms <= 30_000


def test_default_deadline_is_polyfns_default_and_cloud_is_configurable() -> None:
    app, seen = build()
    send(http_client(app, cloud="local"), events.http("GET", "/users/7"))
    [(_, ctx)] = seen["calls"]
    assert ctx.cloud == "local"
    assert DEFAULT_TIMEOUT_SECONDS - 1 <= (ctx.deadline - time.time()) <= DEFAULT_TIMEOUT_SECONDS
