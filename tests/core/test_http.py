"""Request, Response, HTTPError and the headers/query structures."""

from __future__ import annotations

import pytest

from polyfn import HTTPError, Request, Response
from polyfn.core.datastructures import Headers, MultiDict
from polyfn.core.http import to_response


def test_headers_are_case_insensitive_and_multi_valued() -> None:
    headers = Headers([("X-Tag", "a"), ("x-tag", "b"), ("Content-Type", "text/plain")])
    assert headers["x-TAG"] == "a"
    assert headers.getlist("X-Tag") == ["a", "b"]
    assert "CONTENT-TYPE" in headers
    assert headers.get("missing") is None
    assert headers.get("missing", "d") == "d"


def test_headers_from_single_and_multi_fold_case() -> None:
    single = Headers.from_single({"Accept": "a", "accept": "b"})
    assert single.getlist("accept") == ["a", "b"]
    multi = Headers.from_multi({"Set-Cookie": ["a=1", "b=2"]})
    assert multi.getlist("set-cookie") == ["a=1", "b=2"]


def test_multidict_keeps_repeated_keys_in_order() -> None:
    query = MultiDict([("tag", "x"), ("tag", "y"), ("q", "1")])
    assert query["tag"] == "x"
    assert query.getlist("tag") == ["x", "y"]
    assert query.to_lists() == {"tag": ["x", "y"], "q": ["1"]}
    assert query.multi_items() == [("tag", "x"), ("tag", "y"), ("q", "1")]


def test_request_json_and_its_errors() -> None:
    assert Request("POST", "/", body=b'{"a": 1}').json() == {"a": 1}
    with pytest.raises(HTTPError) as malformed:
        Request("POST", "/", body=b"{nope").json()
    assert malformed.value.status == 400
    with pytest.raises(HTTPError) as empty:
        Request("POST", "/").json()
    assert empty.value.status == 400


def test_request_text_replaces_undecodable_bytes() -> None:
    assert Request("POST", "/", body=b"caf\xff").text == "caf\ufffd"


def test_request_cookies_from_every_cookie_header() -> None:
    req = Request("GET", "/", headers=Headers([("cookie", 'a=1; b="2"'), ("cookie", "c=3")]))
    assert req.cookies == {"a": "1", "b": "2", "c": "3"}


def test_request_lazy_hooks_run_once() -> None:
    calls: list[str] = []

    class View(Request):
        def _build_headers(self) -> Headers:
            calls.append("headers")
            return Headers.from_single({"X-A": "1"})

    req = View("get", "/x")
    assert calls == []
    assert req.headers["x-a"] == "1"
    assert req.headers["x-a"] == "1"
    assert calls == ["headers"]
    assert req.method == "GET"


def test_response_helpers() -> None:
    r = Response.json({"ok": True}, 201)
    assert (r.status, r.body, r.content_type) == (201, b'{"ok":true}', "application/json")
    t = Response.text("hi")
    assert t.content_type == "text/plain; charset=utf-8" and t.is_text
    b = Response.binary(b"\x89PNG", "image/png")
    assert not b.is_text and b.body == b"\x89PNG"
    redirect = Response.redirect("/there", 303)
    assert redirect.status == 303 and redirect.headers["Location"] == "/there"
    with pytest.raises(ValueError):
        Response.redirect("/x", 200)


def test_set_cookie_is_secure_by_default_and_repeats() -> None:
    r = Response()
    r.set_cookie("session", "abc").set_cookie("theme", "dark", http_only=False, max_age=60)
    assert r.cookies == [
        "session=abc; Path=/; Secure; HttpOnly; SameSite=Lax",
        "theme=dark; Path=/; Max-Age=60; Secure; SameSite=Lax",
    ]
    with pytest.raises(ValueError):
        r.set_cookie("bad name", "x")
    with pytest.raises(ValueError):
        r.set_cookie("x", "a;b")


def test_http_error_validates_status() -> None:
    assert HTTPError(404).message == "Not Found"
    with pytest.raises(ValueError):
        HTTPError(200)


@pytest.mark.parametrize(
    ("result", "status", "ctype"),
    [
        ({"a": 1}, 200, "application/json"),
        ([1], 200, "application/json"),
        ("text", 200, "text/plain; charset=utf-8"),
        (b"\x00", 200, "application/octet-stream"),
        (None, 204, None),
    ],
)
def test_handler_results_become_responses(result: object, status: int, ctype: str) -> None:
    response = to_response(result)
    assert response.status == status
    assert response.content_type == ctype


def test_unsupported_handler_result_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="must return"):
        to_response(42)
