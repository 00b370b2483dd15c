"""HTTP through functions-framework's Flask app: what WSGI flattens, and error answers."""

from __future__ import annotations

import time

import pytest
from gcp_apps import build, http_client, send

from polyfn import App, Response
from polyfn.hosts.events import gcp as events

TRACE = "105445aa7843bc8bf206b12000100000"


def test_method_path_query_and_repeated_headers() -> None:
    app, _ = build()
    document = events.http(
        "PUT",
        "/echo",
        query={"tag": ["a b", "c&d", "é"], "empty": [""]},
        headers=[("X-Tag", "one"), ("X-Tag", "two"), ("Accept", "text/html, application/json")],
        body="hello",
    )
    echoed = send(http_client(app), document).get_json()
    assert echoed["method"] == "PUT" and echoed["path"] == "/echo"
    assert echoed["query"] == {"tag": ["a b", "c&d", "é"], "empty": [""]}
    assert echoed["headers"]["x-tag"] == ["one", "two"]
    assert echoed["headers"]["accept"] == ["text/html", "application/json"]
    assert echoed["body"] == "hello" and echoed["length"] == 5


def test_headers_that_hold_commas_stay_whole() -> None:
    app, _ = build()
    agent = "Mozilla/5.0 (X11, Linux) Gecko"
    document = events.http(
        "GET",
        "/echo",
        headers=[
            ("User-Agent", agent),
            ("If-Modified-Since", "Wed, 21 Oct 2015 07:28:00 GMT"),
            ("X-Quoted", '"a, b", c'),
        ],
    )
    headers = send(http_client(app), document).get_json()["headers"]
    assert headers["user-agent"] == [agent]
    assert headers["if-modified-since"] == ["Wed, 21 Oct 2015 07:28:00 GMT"]
    assert headers["x-quoted"] == ['"a, b"', "c"]


def test_percent_encoded_path_arrives_decoded() -> None:
    app, _ = build()
    response = send(http_client(app), events.http("GET", "/users/café 1+2"))
    assert response.status_code == 200
    assert response.get_json() == {"id": "café 1+2"}


def test_cookies_in_from_one_or_two_headers() -> None:
    app, _ = build()
    client = http_client(app)
    one = send(client, events.http("GET", "/echo", headers=[("Cookie", 'a=1; b="two"')]))
    assert one.get_json()["cookies"] == {"a": "1", "b": "two"}
    two = send(client, events.http("GET", "/echo", headers=[("Cookie", "a=1"), ("Cookie", "c=3")]))
    assert two.get_json()["cookies"] == {"a": "1", "c": "3"}


def test_set_cookie_and_repeated_headers_out() -> None:
    app, _ = build()
    response = send(http_client(app), events.http("GET", "/cookies"))
    cookies = response.headers.getlist("Set-Cookie")
    assert len(cookies) == 2
    assert cookies[0].startswith("session=abc") and "HttpOnly" in cookies[0]
    assert cookies[1].startswith("theme=dark") and "HttpOnly" not in cookies[1]
    assert response.headers.getlist("X-Multi") == ["one", "two"]
    assert response.get_data() == b"set"


def test_binary_body_round_trips() -> None:
    app, _ = build()
    payload = bytes(range(256)) * 4
    document = events.http(
        "POST", "/binary", headers={"Content-Type": "application/octet-stream"}, body=payload
    )
    assert "body_base64" in document  # not UTF-8, so the document carries base64
    response = send(http_client(app), document)
    assert response.status_code == 200
    assert response.get_data() == payload[::-1]
    assert response.headers["Content-Type"] == "image/png"


def test_empty_body_and_untyped_204() -> None:
    app, _ = build()
    client = http_client(app)
    echoed = send(client, events.http("POST", "/echo")).get_json()
    assert echoed["body"] == "" and echoed["length"] == 0
    response = send(client, events.http("GET", "/nothing"))
    assert response.status_code == 204
    assert response.get_data() == b""
    assert "Content-Type" not in response.headers  # werkzeug's text/html default is not added


def _error(response: object) -> dict[str, object]:
    body = response.get_json()  # type: ignore[attr-defined]
    assert response.headers["Content-Type"] == "application/json"  # type: ignore[attr-defined]
    return body["error"]  # type: ignore[no-any-return]


def test_error_answers_are_json_with_the_request_id() -> None:
    app, _ = build()
    client = http_client(app)
    trace = [("X-Cloud-Trace-Context", f"{TRACE}/1;o=1")]

    missing = send(client, events.http("GET", "/nowhere", headers=trace))
    assert missing.status_code == 404
    assert _error(missing) == {"status": 404, "message": "Not Found", "request_id": TRACE}

    not_allowed = send(client, events.http("DELETE", "/users/1", headers=trace))
    assert not_allowed.status_code == 405
    assert "GET" in not_allowed.headers["Allow"].split(", ")
    assert _error(not_allowed)["request_id"] == TRACE

    malformed = send(client, events.http("POST", "/users", body="{broken", headers=trace))
    assert malformed.status_code == 400
    assert _error(malformed)["message"] == "Request body is not valid JSON"

    raised = send(client, events.http("GET", "/users/missing", headers=trace))
    assert raised.status_code == 404 and _error(raised)["message"] == "User not found"


def test_unhandled_exception_is_a_500_without_its_text(caplog: pytest.LogCaptureFixture) -> None:
    app, _ = build()
    response = send(http_client(app), events.http("GET", "/users/crash"))
    assert response.status_code == 500
    body = response.get_data()
    assert b"secret-token-123" not in body and b"Traceback" not in body
    error = _error(response)
    assert error["message"] == "Internal Server Error" and error["request_id"]
    assert "secret-token-123" in caplog.text  # the log has it, the client does not


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
    app, _ = build()
    echoed = send(http_client(app), events.http("GET", "/echo", headers=headers)).get_json()
    assert echoed["request_id"] == expected


def test_request_id_is_generated_when_the_trace_is_missing_or_forged() -> None:
    app, _ = build()
    client = http_client(app)
    plain = send(client, events.http("GET", "/echo")).get_json()["request_id"]
    forged = send(
        client, events.http("GET", "/echo", headers=[("X-Cloud-Trace-Context", "<script>/1")])
    ).get_json()["request_id"]
    for generated in (plain, forged):
        assert len(generated) == 32 and set(generated) <= set("0123456789abcdef")
    assert plain != forged


def test_client_ip_is_the_first_forwarded_hop_else_the_peer() -> None:
    app, _ = build()
    client = http_client(app)
    forwarded = [("X-Forwarded-For", "203.0.113.7, 10.0.0.1")]
    assert (
        send(client, events.http("GET", "/echo", headers=forwarded)).get_json()["client_ip"]
        == "203.0.113.7"
    )
    assert send(client, events.http("GET", "/echo")).get_json()["client_ip"] == "127.0.0.1"


def test_context_cloud_deadline_and_function(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLYFN_TIMEOUT_SECONDS", "30")
    app, seen = build()
    send(http_client(app), events.http("GET", "/echo"))
    ctx = seen["contexts"][0]
    assert ctx.cloud == "gcp" and ctx.function_name == "echo"
    assert 29 <= (ctx.deadline - time.time()) <= 30
    assert 28_000 < ctx.remaining_ms <= 30_000


def test_default_deadline_is_sixty_seconds_and_cloud_is_configurable() -> None:
    app, seen = build()
    send(http_client(app, cloud="local"), events.http("GET", "/echo"))
    ctx = seen["contexts"][0]
    assert ctx.cloud == "local"
    assert 59 <= (ctx.deadline - time.time()) <= 60
