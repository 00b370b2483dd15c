"""``polyfn.testing.responses``: an answer is checked against its route's declaration."""

from __future__ import annotations

from typing import Any, TypedDict

import pytest

from polyfn import App, Request
from polyfn.core.datastructures import Headers
from polyfn.hosts.base import HttpResult
from polyfn.testing.responses import assert_declared_response, response_problems


class Thing(TypedDict):
    id: str
    size: int


def _app() -> App:
    app = App("things")

    @app.get("/things/{id}", response=Thing, responses={404: None})
    def get_thing(req: Request) -> Any:
        return {}

    @app.get("/free")
    def free(req: Request) -> Any:
        return {}

    return app


def _result(status: int, body: bytes) -> HttpResult:
    return HttpResult(status, Headers(), body)


def test_an_answer_that_fits_passes() -> None:
    assert_declared_response(_app(), "GET", "/things/1", _result(200, b'{"id":"1","size":2}'))


def test_a_body_outside_the_model_is_reported_field_by_field() -> None:
    problems = response_problems(_app(), "GET", "/things/1", 200, b'{"id":1,"colour":"red"}')
    assert [(p["location"][-1], p["type"]) for p in problems] == [
        ("id", "type"),
        ("size", "missing"),
        ("colour", "extra"),
    ]
    assert problems[0] == {
        "location": ["response", "body", "id"],
        "type": "type",
        "message": "expected a string, got a number",
    }
    with pytest.raises(AssertionError, match=r"response\.body\.size: field required"):
        assert_declared_response(_app(), "GET", "/things/1", _result(200, b'{"id":"1"}'))


def test_an_undeclared_status_and_a_foreign_error_body_are_reported() -> None:
    assert response_problems(_app(), "GET", "/things/1", 201, b"{}")[0]["type"] == "undeclared"
    assert response_problems(_app(), "GET", "/things/1", 404, b'{"detail":"x"}')[0]["location"] == [
        "response",
        "body",
        "error",
    ]
    ok_error = b'{"error":{"status":404,"message":"Not Found","request_id":"r"}}'
    assert response_problems(_app(), "GET", "/things/1", 404, ok_error) == []


def test_a_route_without_declared_answers_is_not_checked() -> None:
    assert response_problems(_app(), "GET", "/free", 200, b"not json") == []
