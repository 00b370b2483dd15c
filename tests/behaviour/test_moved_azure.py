"""Portable cases that were tested on Azure only, now run on every runtime.

Each came from ``tests/adapters/azure``: it states a semantic every runtime keeps, so it
belongs here, where a runtime that breaks it fails too. The apps are small and inline,
because the shared behaviour app has no second function on one route, no wildcard event
filter and no failing object handler.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import pytest

from polyfn import App, Event, ObjectEvent, Request, Response, Schedule
from polyfn.hosts import Host


def _users() -> tuple[App, list[str]]:
    """Two functions on one route, split by method, and a handler that leaks a secret."""
    app = App("moved-users")
    ran: list[str] = []

    @app.get("/users/{id}")
    def get_user(req: Request) -> Response:
        ran.append("get_user")
        if req.path_params["id"] == "crash":
            raise RuntimeError("database password is hunter2")
        return Response.json({"id": req.path_params["id"]})

    @app.put("/users/{id}")
    def put_user(req: Request) -> Response:
        ran.append("put_user")
        return Response.json({"id": req.path_params["id"], "body": req.json()})

    @app.route("/echo", ["GET", "POST"])
    def echo(req: Request) -> Response:
        return Response.json(
            {
                "query": req.query.to_lists(),
                "user_agent": req.headers.getlist("user-agent"),
                "cookies": req.cookies,
            }
        )

    @app.get("/files/{path+}")
    def read_file(req: Request) -> dict[str, str]:
        return {"path": req.path_params["path"]}

    return app, ran


def test_two_functions_on_one_route_split_by_method(driver: Host) -> None:
    app, ran = _users()
    put = driver.http(
        app, "PUT", "/users/7", headers=[("Content-Type", "application/json")], body=b'{"a": 1}'
    )
    assert put.status == 200 and put.json() == {"id": "7", "body": {"a": 1}}
    assert driver.http(app, "GET", "/users/7").json() == {"id": "7"}
    assert ran == ["put_user", "get_user"]


def test_405_allows_the_methods_of_every_function_on_the_route(driver: Host) -> None:
    app, ran = _users()
    result = driver.http(app, "DELETE", "/users/1")
    assert result.status == 405
    assert result.headers["allow"] == "GET, HEAD, PUT"
    assert result.json()["error"]["message"] == "Method Not Allowed"
    assert ran == []


def test_head_is_served_by_get_without_a_body(driver: Host) -> None:
    app, ran = _users()
    result = driver.http(app, "HEAD", "/users/3")
    assert result.status == 200 and result.body == b""
    assert ran == ["get_user"]


def test_an_unhandled_exception_is_logged_with_what_the_client_does_not_see(
    driver: Host, caplog: pytest.LogCaptureFixture
) -> None:
    app, _ = _users()
    with caplog.at_level(logging.INFO):
        result = driver.http(app, "GET", "/users/crash")
    assert result.status == 500 and b"hunter2" not in result.body
    assert "hunter2" in caplog.text


def test_blank_query_values_are_kept(driver: Host) -> None:
    app, _ = _users()
    result = driver.http(app, "GET", "/echo", query={"tag": ["a", ""], "empty": [""]})
    assert result.json()["query"] == {"tag": ["a", ""], "empty": [""]}


def test_a_user_agent_with_a_comma_stays_whole(driver: Host) -> None:
    app, _ = _users()
    agent = "Mozilla/5.0 (X11; Linux x86_64, like Gecko)"
    result = driver.http(app, "GET", "/echo", headers=[("User-Agent", agent)])
    assert result.json()["user_agent"] == [agent]


def test_cookies_from_two_cookie_headers_are_all_read(driver: Host) -> None:
    app, _ = _users()
    result = driver.http(app, "GET", "/echo", headers=[("Cookie", "a=1; b=2"), ("Cookie", "c=3")])
    assert result.json()["cookies"] == {"a": "1", "b": "2", "c": "3"}


def test_a_greedy_parameter_keeps_spaces_unicode_and_percent_signs(driver: Host) -> None:
    app, _ = _users()
    result = driver.http(app, "GET", "/files/a b/caf\u00e9 100%.txt")
    assert result.json() == {"path": "a b/caf\u00e9 100%.txt"}


def _uploads() -> tuple[App, list[tuple[str, str]]]:
    """Two subscribers on one bucket with different filters, one of them failing."""
    app = App("moved-uploads")
    uploads = app.bucket("uploads")
    seen: list[tuple[str, str]] = []

    @app.on_object_created(uploads, prefix="in/", suffix=".jpg")
    def thumbnail(event: ObjectEvent) -> None:
        if event.key.endswith("broken.jpg"):
            raise ValueError("cannot decode image")
        seen.append(("thumbnail", event.key))

    @app.on_object_created(uploads)
    def audit(event: ObjectEvent) -> None:
        seen.append(("audit", event.key))

    return app, seen


def test_each_subscriber_of_a_bucket_gets_what_its_filters_let_through(driver: Host) -> None:
    app, seen = _uploads()
    driver.object_event(app, "created", "uploads", "in/cat photo.jpg", size=5)
    driver.object_event(app, "created", "uploads", "in/readme.txt", size=1)
    assert sorted(seen) == [
        ("audit", "in/cat photo.jpg"),
        ("audit", "in/readme.txt"),
        ("thumbnail", "in/cat photo.jpg"),
    ]


def test_a_failing_object_handler_fails_the_invocation(driver: Host) -> None:
    # The platform then retries the delivery: raising is how a handler asks for that. What
    # the host raises is the platform's failure (the handler's error, or GCP's 500).
    app, _ = _uploads()
    with pytest.raises(Exception):  # noqa: B017
        driver.object_event(app, "created", "uploads", "in/broken.jpg", size=1)


def test_a_physical_bucket_name_reaches_the_handler_as_the_logical_one(
    driver: Host, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POLYFN_BUCKET_UPLOADS", "prod-uploads-7f3a")
    app = App("moved-physical")
    uploads = app.bucket("uploads")
    seen: list[str] = []

    @app.on_object_created(uploads)
    def audit(event: ObjectEvent) -> None:
        seen.append(event.bucket)

    driver.object_event(app, "created", "uploads", "a.jpg", size=1)
    assert seen == ["uploads"]


def test_a_tick_carries_the_firing_time_in_utc(driver: Host) -> None:
    app = App("moved-ticks")
    times: list[str] = []

    @app.schedule("0 3 * * MON-FRI")
    def nightly(tick: Schedule) -> None:
        times.append(tick.time)

    driver.schedule(app, "nightly")
    (time,) = times
    fired = datetime.fromisoformat(time.replace("Z", "+00:00"))
    assert time.endswith("Z") and abs((datetime.now(UTC) - fired).total_seconds()) < 60


def test_wildcard_event_filters(driver: Host) -> None:
    app = App("moved-events")
    seen: list[tuple[str, Any]] = []

    @app.on_event(source="shop.*", type="Shop.OrderPlaced")
    def order_placed(event: Event) -> None:
        seen.append(("order_placed", event.data))

    @app.on_event(type="Shop.*")
    def any_shop_event(event: Event) -> None:
        seen.append(("any_shop_event", event.data))

    driver.event(app, "shop.orders", "Shop.OrderCancelled", {"order": 8})
    driver.event(app, "shop.orders", "Shop.OrderPlaced", {"order": 7})
    driver.event(app, "billing", "Billing.OrderPlaced", {"order": 9})
    assert sorted(seen, key=str) == [
        ("any_shop_event", {"order": 7}),
        ("any_shop_event", {"order": 8}),
        ("order_placed", {"order": 7}),
    ]
