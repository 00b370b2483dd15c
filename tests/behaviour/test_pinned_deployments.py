"""A deployment pinned by ``POLYFN_FUNCTION`` (what deploy writes next to each function)
runs its own function only, on every cloud whose entry point serves the whole App.

The hosts pin by argument (``polyfn invoke``, ``test_http_answers``); this checks that
the deployed entry points read the variable and honour it the same way. Azure needs no
variable: one Function App registers each function with its own route binding.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from polyfn import CORS, App, Request
from polyfn.hosts.events import aws as aws_events


def users_app(**kwargs: object) -> tuple[App, list[str]]:
    app = App("pinned", **kwargs)  # type: ignore[arg-type]
    ran: list[str] = []

    @app.get("/users")
    def list_users(req: Request) -> dict[str, list[str]]:
        ran.append("list_users")
        return {"users": []}

    @app.post("/users")
    def create_user(req: Request) -> dict[str, bool]:
        ran.append("create_user")
        return {"created": True}

    return app, ran


def _aws(app: App) -> Callable[[str, str], int]:
    from polyfn.adapters.aws import lambda_handler

    handler = lambda_handler(app, backends="keep")

    def send(method: str, path: str) -> int:
        # A direct invocation carries whatever routeKey the caller wrote.
        event = aws_events.apigw_v2(method, path, body=b"{}")
        event["routeKey"] = f"{method} {path}"
        return int(handler(event, None)["statusCode"])

    return send


def _gcp(app: App) -> Callable[[str, str], int]:
    from polyfn.adapters.gcp import http_function
    from polyfn.adapters.gcp.serving import framework_app

    client = framework_app(http_function(app, backends="keep"), "http").test_client()

    def send(method: str, path: str) -> int:
        return int(client.open(path, method=method, data=b"{}").status_code)

    return send


ENTRY_POINTS = {"aws": _aws, "gcp": _gcp}


@pytest.mark.parametrize("cloud", list(ENTRY_POINTS))
def test_the_deployed_entry_point_reads_the_pin(
    cloud: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POLYFN_FUNCTION", "list_users")
    app, ran = users_app()
    send = ENTRY_POINTS[cloud](app)
    assert send("POST", "/users") == 404
    assert ran == []
    assert send("GET", "/users") == 200
    assert ran == ["list_users"]


@pytest.mark.parametrize("cloud", list(ENTRY_POINTS))
def test_without_a_pin_the_entry_point_serves_every_route(
    cloud: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("POLYFN_FUNCTION", raising=False)
    app, ran = users_app()
    send = ENTRY_POINTS[cloud](app)
    assert send("POST", "/users") == 200
    assert send("GET", "/users") == 200
    assert ran == ["create_user", "list_users"]


@pytest.mark.parametrize("bad_headers", [5, ["x-a", "1"]])
def test_cors_on_an_event_whose_headers_cannot_be_read_still_answers(
    bad_headers: object, caplog: pytest.LogCaptureFixture
) -> None:
    # API Gateway answers 502 when the Lambda raises; without CORS this event is answered.
    from polyfn.adapters.aws import lambda_handler

    app, ran = users_app(cors=CORS(allow_origins=["*"]))
    event = aws_events.apigw_v2("GET", "/users")
    event["headers"] = bad_headers
    answer = lambda_handler(app, backends="keep", function="")(event, None)
    assert answer["statusCode"] == 200 and ran == ["list_users"]
    assert "access-control-allow-origin" not in answer.get("headers", {})
    assert "headers cannot be read" in caplog.text
