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


def test_a_content_type_alone_builds_no_headers_until_they_are_read() -> None:
    # json() and content_type= keep the type aside (Response._content_type); every
    # public view sees it as a header, and reading headers turns it into one.
    for response in (Response.json([1]), Response(b"x", content_type="text/csv")):
        expected = "application/json" if response.body == b"[1]" else "text/csv"
        assert response._headers is None and response.has_headers()
        assert response.content_type == expected
        response.headers.add("x-tag", "a")
        assert response.headers.to_lists() == {"content-type": [expected], "x-tag": ["a"]}
        assert response._content_type is None and response.content_type == expected
    replaced = Response.json({})
    replaced.headers.set("content-type", "application/problem+json")
    assert replaced.content_type == "application/problem+json"
    bare = Response(b"")
    assert not bare.has_headers() and bare.content_type is None and bare.cookies == []
    given = Response(b"x", headers={"x-a": "1"}, content_type="text/csv")
    assert given.headers.to_lists() == {"x-a": ["1"], "content-type": ["text/csv"]}


def test_response_json_encodes_like_the_docs_say() -> None:
    import datetime
    import decimal
    import uuid

    when = datetime.datetime(2026, 11, 27, 8, 30, tzinfo=datetime.UTC)
    body = {
        "name": "Zoë",
        "when": when,
        "price": decimal.Decimal("2.5"),
        "id": uuid.UUID(int=1),
        "tags": {"a"},
        "blob": b"\x00\x01",
        "nan": None,
    }
    r = Response.json(body)
    assert r.body.decode("utf-8") == (
        '{"name":"Zoë","when":"2026-11-27T08:30:00+00:00","price":2.5,'
        '"id":"00000000-0000-0000-0000-000000000001","tags":["a"],"blob":"AAE=","nan":null}'
    )
    assert Response.json("plain").body == b'"plain"'
    r2 = Response.json([1], 202, {"X-Trace": "t"})
    assert (r2.status, r2.headers["x-trace"], r2.content_type) == (202, "t", "application/json")
    # The fast path builds its own Headers: mutating one answer never leaks into the next.
    Response.json({}).headers.set("x-leak", "1")
    assert "x-leak" not in Response.json({}).headers
    with pytest.raises(ValueError):
        Response.json({}, 99)
    with pytest.raises(TypeError):
        Response.json({"x": object()})
    cycle: list[object] = []
    cycle.append(cycle)
    with pytest.raises((ValueError, RecursionError)):
        Response.json(cycle)


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
