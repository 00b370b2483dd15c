"""Portable HTTP cases first written for Google Cloud, now run on every runtime.

They lived in ``tests/adapters/gcp`` but test what every runtime promises (DESIGN.md,
"Semantics every runtime keeps"), so they run here through each host. The shared
``behaviour_app`` echoes only some headers, so the cases that need more build a small
App of their own.
"""

from __future__ import annotations

import pytest

from polyfn import App, Request, Response
from polyfn.hosts import Host

from .behaviour_app import build


def _header_echo() -> App:
    """An App whose one route answers with every request header, as name -> values."""
    app = App("headers")

    @app.get("/headers")
    def headers(req: Request) -> Response:
        return Response.json(req.headers.to_lists())

    return app


def test_blank_query_values_survive(driver: Host) -> None:
    app, _ = build()
    echoed = driver.http(app, "GET", "/echo", query={"empty": [""], "tag": ["a"]}).json()
    assert echoed["query"] == {"empty": [""], "tag": ["a"]}


def test_percent_encoded_path_arrives_decoded(driver: Host) -> None:
    app, _ = build()
    result = driver.http(app, "GET", "/users/café 1+2")
    assert result.status == 200
    assert result.json() == {"id": "café 1+2"}


def test_singletons_that_hold_commas_stay_whole(driver: Host) -> None:
    # Dates and product lists hold commas of their own; splitting them would corrupt them.
    agent = "Mozilla/5.0 (X11, Linux) Gecko"
    date = "Wed, 21 Oct 2015 07:28:00 GMT"
    result = driver.http(
        _header_echo(),
        "GET",
        "/headers",
        headers=[("User-Agent", agent), ("If-Modified-Since", date)],
    )
    echoed = result.json()
    assert echoed["user-agent"] == [agent]
    assert echoed["if-modified-since"] == [date]


def test_two_cookie_headers_and_quoted_values(driver: Host) -> None:
    app, _ = build()
    result = driver.http(app, "GET", "/echo", headers=[("Cookie", "a=1"), ("Cookie", 'c="3"')])
    assert result.json()["cookies"] == {"a": "1", "c": "3"}


def test_cookie_attributes_out(driver: Host) -> None:
    app, _ = build()
    session, theme = driver.http(app, "GET", "/cookies").headers.getlist("set-cookie")
    assert session.startswith("session=abc") and "HttpOnly" in session
    assert theme.startswith("theme=dark") and "HttpOnly" not in theme


def test_repeated_response_headers_out(driver: Host) -> None:
    app = App("out")

    @app.get("/out")
    def out(req: Request) -> Response:
        response = Response.text("two values")
        response.headers.add("x-multi", "one")
        response.headers.add("x-multi", "two")
        return response

    result = driver.http(app, "GET", "/out")
    # A list field may come back as two lines or as one joined by a comma (AWS HTTP API
    # and Azure answer with one value per name); RFC 9110 5.3 makes them the same.
    lines = result.headers.getlist("x-multi")
    assert [value.strip() for line in lines for value in line.split(",")] == ["one", "two"]
    assert result.body == b"two values"


def test_an_unhandled_exception_is_logged_though_never_answered(
    driver: Host, caplog: pytest.LogCaptureFixture
) -> None:
    app, _ = build()
    result = driver.http(app, "GET", "/users/crash")
    assert result.status == 500 and b"secret-token-123" not in result.body
    assert "secret-token-123" in caplog.text  # the operator's log has it, the client not
