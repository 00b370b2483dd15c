"""Dispatch rules that hold whatever the runtime: a pinned function's routes, the CORS
decoration of a request whose headers cannot be read, the WARNING for an input that runs
nothing, and JSON that is too deep or not JSON at all (NaN, Infinity)."""

from __future__ import annotations

import json
import logging
import math

import pytest

from polyfn import CORS, App, Context, Event, ObjectEvent, Request, Response
from polyfn.core import json_codec, unmatched
from polyfn.core.datastructures import Headers
from polyfn.core.http import HTTPError


def ctx() -> Context:
    return Context("local", "?", "req-1")


def users_app(**kwargs: object) -> App:
    app = App("pinning", **kwargs)  # type: ignore[arg-type]
    ran: list[str] = []

    @app.get("/users")
    def list_users(req: Request) -> dict[str, list[str]]:
        ran.append("list_users")
        return {"users": []}

    @app.post("/users")
    def create_user(req: Request) -> dict[str, bool]:
        ran.append("create_user")
        return {"created": True}

    @app.get("/health")
    def health(req: Request) -> str:
        ran.append("health")
        return "ok"

    app.ran = ran  # type: ignore[attr-defined]
    return app


# ---------------------------------------------------------------- pinning (item 9)


def test_a_pinned_function_runs_its_own_route() -> None:
    app = users_app()
    response = app.handle_http(Request("GET", "/users"), ctx(), None, "list_users")
    assert response.status == 200
    assert app.ran == ["list_users"]  # type: ignore[attr-defined]


def test_a_pinned_function_answers_404_for_another_functions_route(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = users_app()
    for method, path in (("POST", "/users"), ("GET", "/health")):
        response = app.handle_http(Request(method, path), ctx(), None, "list_users")
        assert response.status == 404
    assert app.ran == []  # type: ignore[attr-defined]
    assert "it is create_user's route and this deployment runs only list_users" in caplog.text


def test_a_route_key_from_the_platform_does_not_bypass_the_pin() -> None:
    app = users_app()
    response = app.handle_http(Request("POST", "/users"), ctx(), "POST /users", "list_users")
    assert response.status == 404
    assert app.ran == []  # type: ignore[attr-defined]


def test_a_pinned_route_with_another_method_allows_only_the_pinned_methods() -> None:
    app = users_app()
    response = app.handle_http(Request("DELETE", "/users"), ctx(), None, "list_users")
    assert response.status == 405
    assert response.headers["allow"] == "GET, HEAD"  # not create_user's POST
    assert app.handle_http(Request("DELETE", "/health"), ctx(), None, "list_users").status == 404


def test_a_function_pinned_to_a_non_http_trigger_answers_no_route() -> None:
    app = users_app()

    @app.schedule("rate(5 minutes)")
    def tick() -> None:
        raise AssertionError("never called for a request")

    assert app.handle_http(Request("GET", "/users"), ctx(), None, "tick").status == 404
    assert app.ran == []  # type: ignore[attr-defined]


def test_a_pinned_preflight_grants_only_the_pinned_route() -> None:
    app = users_app(cors=CORS(allow_origins=["https://a.example"]))
    preflight = Headers([("origin", "https://a.example"), ("access-control-request-method", "GET")])
    own = app.handle_http(
        Request("OPTIONS", "/users", headers=preflight), ctx(), None, "list_users"
    )
    assert own.status == 204
    assert own.headers["access-control-allow-methods"] == "GET, HEAD"
    other = app.handle_http(
        Request("OPTIONS", "/health", headers=preflight), ctx(), None, "list_users"
    )
    assert other.status == 404


def test_unpinned_dispatch_runs_every_route() -> None:
    app = users_app()
    assert app.handle_http(Request("POST", "/users"), ctx()).status == 200
    assert app.handle_http(Request("GET", "/health"), ctx(), None, "").status == 200


# ---------------------------------------------------------------- CORS (item 4)


class UnreadableHeaders(Request):
    """A request whose headers raise when read, as a malformed platform event's do."""

    @property
    def headers(self) -> Headers:  # type: ignore[override]
        raise AttributeError("'int' object has no attribute 'items'")


@pytest.mark.parametrize("method", ["GET", "OPTIONS"])
def test_unreadable_headers_with_cors_still_get_an_answer(
    method: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = users_app(cors=CORS(allow_origins=["*"]))
    response = app.handle_http(UnreadableHeaders(method, "/users"), ctx())
    assert isinstance(response, Response)
    assert "access-control-allow-origin" not in response.headers
    assert "headers cannot be read" in caplog.text


# ---------------------------------------------------------------- nothing ran (items 6, 7)


def test_an_object_event_nobody_watches_is_reported(caplog: pytest.LogCaptureFixture) -> None:
    app = App("objects")
    files = app.bucket("files")
    app.bucket("quiet")

    @app.on_object_created(files, prefix="uploads/", suffix=".jpg")
    def thumbnail(event: ObjectEvent) -> None:
        raise AssertionError("not for this key")

    with unmatched.listening() as reasons, caplog.at_level(logging.WARNING):
        ran = app.handle_object(ObjectEvent("created", "files", "other/x.png"), ctx())
        ran += app.handle_object(ObjectEvent("created", "elsewhere", "uploads/a.jpg"), ctx())
        ran += app.handle_object(ObjectEvent("deleted", "files", "uploads/a.jpg"), ctx())
        ran += app.handle_object(
            ObjectEvent("created", "files", "uploads/a.png"), ctx(), function="thumbnail"
        )
        ran += app.handle_object(ObjectEvent("created", "quiet", "uploads/a.jpg"), ctx())
    assert ran == 0
    assert reasons == [
        "object created files/other/x.png: thumbnail wants keys starting with 'uploads/'",
        "object created elsewhere/uploads/a.jpg: app objects declares no bucket of that name",
        "object deleted files/uploads/a.jpg: thumbnail runs for object created only",
        "object created files/uploads/a.png: thumbnail wants keys ending with '.jpg'",
        "object created quiet/uploads/a.jpg: no function watches bucket quiet",
    ]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 5 and all("no function ran" in text for text in warnings)


def test_an_event_nobody_matches_is_reported(caplog: pytest.LogCaptureFixture) -> None:
    app = App("events")

    @app.on_event(source="shop.*", type="Order*")
    def on_order(event: Event) -> None:
        raise AssertionError("not for this event")

    with unmatched.listening() as reasons:
        assert app.handle_event(Event("1", "billing", "OrderPlaced"), ctx()) == 0
    assert reasons == [
        "event source='billing' type='OrderPlaced': on_order wants event source=shop.* type=Order*"
    ]
    assert "no function ran" in caplog.text
    # Outside a listening block the reason is only logged.
    assert App("empty").handle_event(Event("2", "a", "b"), ctx()) == 0
    assert "app empty has no on_event function" in caplog.text


def test_a_matching_event_reports_nothing() -> None:
    app = App("events")
    got: list[str] = []

    @app.on_event(source="shop.*")
    def on_any(event: Event) -> None:
        got.append(event.id)

    with unmatched.listening() as reasons:
        assert app.handle_event(Event("1", "shop.orders", "X"), ctx()) == 1
    assert reasons == [] and got == ["1"]


# ---------------------------------------------------------------- JSON (items 3, 10)


def test_json_nested_beyond_the_recursion_limit_is_a_400() -> None:
    deep = b"[" * 5_000 + b"]" * 5_000
    with pytest.raises(HTTPError) as raised:
        Request("POST", "/", body=deep).json()
    assert raised.value.status == 400
    assert raised.value.__cause__ is None  # no thousand-frame traceback attached


@pytest.mark.parametrize("text", ["NaN", "[Infinity]", '{"x": -Infinity}'])
def test_nan_and_infinity_are_not_json_on_input(text: str) -> None:
    with pytest.raises(ValueError, match="not a JSON value"):
        json_codec.decode(text)
    with pytest.raises(ValueError, match="not a JSON value"):
        json_codec.decode(text.encode())
    with pytest.raises(ValueError, match="not a JSON value"):
        json_codec.decode(b"\xef\xbb\xbf" + text.encode())  # the json.loads path
    with pytest.raises(HTTPError) as raised:
        Request("POST", "/", body=text.encode()).json()
    assert raised.value.status == 400


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_nan_and_infinity_are_refused_on_output(value: float) -> None:
    for headers in (None, {"x-a": "1"}):
        with pytest.raises(ValueError, match="NaN or Infinity, which JSON cannot carry"):
            Response.json({"x": [value]}, headers=headers)
    with pytest.raises(ValueError):
        json_codec.encode(value)


def test_ordinary_numbers_still_round_trip() -> None:
    document = {"a": 1.5, "b": -0.0, "c": 1e300, "d": [0, 1]}
    assert json_codec.decode(json_codec.encode(document)) == document
    assert json.loads(Response.json(document).body) == document
