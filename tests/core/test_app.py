"""App registration and the dispatch every runtime shares."""

from __future__ import annotations

import json
import logging

import pytest

from polyfn import CORS, App, Context, Event, HTTPError, Message, ObjectEvent, Request, Schedule
from polyfn.core.context import current_context
from polyfn.core.errors import ConfigError, UnrecognizedEvent


def ctx() -> Context:
    return Context("local", "?", "req-1")


def make_app(**kwargs: object) -> App:
    app = App("test", **kwargs)  # type: ignore[arg-type]

    @app.get("/items/{id}")
    def get_item(req: Request) -> dict[str, str]:
        if req.path_params["id"] == "missing":
            raise HTTPError(404, "Item not found")
        if req.path_params["id"] == "boom":
            raise RuntimeError("database password is hunter2")
        return {"id": req.path_params["id"]}

    @app.post("/items")
    def create_item(req: Request, context: Context) -> dict[str, object]:
        return {"got": req.json(), "fn": context.function_name, "cur": current_context() is context}

    return app


def body(response: object) -> dict[str, object]:
    return json.loads(response.body)  # type: ignore[attr-defined,no-any-return]


def test_routes_and_context_reach_the_handler() -> None:
    app = make_app()
    ok = app.handle_http(Request("GET", "/items/7"), ctx())
    assert (ok.status, body(ok)) == (200, {"id": "7"})
    created = app.handle_http(Request("POST", "/items", body=b"[1]"), ctx())
    assert body(created) == {"got": [1], "fn": "create_item", "cur": True}


@pytest.mark.parametrize(
    ("method", "path", "payload", "status", "message"),
    [
        ("GET", "/nowhere", None, 404, "Not Found"),
        ("GET", "/items/missing", None, 404, "Item not found"),
        ("DELETE", "/items/1", None, 405, "Method Not Allowed"),
        ("POST", "/items", b"{oops", 400, "Request body is not valid JSON"),
        ("GET", "/items/boom", None, 500, "Internal Server Error"),
    ],
)
def test_error_answers_are_json_with_the_request_id(
    method: str, path: str, payload: bytes | None, status: int, message: str
) -> None:
    response = make_app().handle_http(Request(method, path, body=payload, request_id="r-9"), ctx())
    assert response.status == status
    assert body(response) == {"error": {"status": status, "message": message, "request_id": "r-9"}}


def test_405_carries_allow() -> None:
    response = make_app().handle_http(Request("DELETE", "/items/1"), ctx())
    assert response.headers["allow"] == "GET, HEAD"


def test_500_hides_the_exception_and_logs_it(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR):
        response = make_app().handle_http(Request("GET", "/items/boom"), ctx())
    assert b"hunter2" not in response.body and b"Traceback" not in response.body
    assert "hunter2" in caplog.text


def test_head_has_no_body() -> None:
    response = make_app().handle_http(Request("HEAD", "/items/1"), ctx())
    assert response.status == 200 and response.body == b""


def test_cors_preflight_and_simple_requests() -> None:
    app = make_app(cors=CORS(["https://shop.example"], allow_credentials=True))
    preflight = app.handle_http(
        Request(
            "OPTIONS",
            "/items",
            headers={
                "Origin": "https://shop.example",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "Content-Type, X-Other",
            },
        ),
        ctx(),
    )
    assert preflight.status == 204
    assert preflight.headers["access-control-allow-origin"] == "https://shop.example"
    assert preflight.headers["access-control-allow-credentials"] == "true"
    assert preflight.headers["access-control-allow-methods"] == "POST"
    assert preflight.headers["access-control-allow-headers"] == "Content-Type"
    refused = app.handle_http(
        Request(
            "OPTIONS",
            "/items",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        ),
        ctx(),
    )
    assert refused.status == 403 and "access-control-allow-origin" not in refused.headers
    simple = app.handle_http(
        Request("GET", "/items/1", headers={"Origin": "https://shop.example"}), ctx()
    )
    assert simple.headers.getlist("vary") == ["Origin"]


def test_cors_refuses_wildcard_with_credentials() -> None:
    with pytest.raises(ConfigError, match="explicitly"):
        CORS(["*"], allow_credentials=True)


def test_registration_errors_are_config_errors() -> None:
    app = App("a")
    other = App("b").bucket("files")
    with pytest.raises(ConfigError):
        app.on_object_created(other)
    with pytest.raises(ConfigError):
        app.schedule("every day")
    with pytest.raises(ConfigError):
        app.route("/x", ["FETCH"])
    with pytest.raises(ConfigError):
        app.bucket("Not_Valid")

    @app.get("/x")
    def handler(req: Request) -> None: ...

    with pytest.raises(ConfigError, match="already registered"):
        app.get("/y")(handler)
    with pytest.raises(ConfigError, match="declared twice"):
        app.get("/x", name="other")(lambda req: None)
    assert "other" not in app.functions


def test_batch_reports_exactly_the_failed_messages() -> None:
    app = App("q")
    jobs = app.queue("jobs")
    seen: list[str] = []

    @app.on_message(jobs)
    def work(msg: Message) -> None:
        seen.append(msg.queue)
        if msg.text == "bad":
            raise ValueError("no")

    batch = [Message(str(i), "bad" if i == 4 else "ok") for i in range(10)]
    failed = app.handle_messages("jobs", batch, ctx())
    assert [m.id for m in failed] == ["4"]
    assert seen == ["jobs"] * 10


def test_messages_for_an_unconsumed_queue_all_fail_rather_than_vanish() -> None:
    app = App("q")
    batch = [Message("1", "x"), Message("2", "y")]
    assert app.handle_messages("elsewhere", batch, ctx()) == batch


def test_message_json_errors_are_bad_payload() -> None:
    from polyfn import BadPayload

    with pytest.raises(BadPayload):
        Message("1", b"{nope").json()
    assert Message("1", '{"a":1}').json() == {"a": 1}


def test_object_events_honour_action_prefix_and_suffix() -> None:
    app = App("o")
    files = app.bucket("files")
    got: list[str] = []

    @app.on_object_created(files, prefix="in/", suffix=".jpg")
    def made(event: ObjectEvent) -> None:
        got.append("made:" + event.key)

    @app.on_object_deleted(files)
    def gone(event: ObjectEvent) -> None:
        got.append("gone:" + event.key)

    assert app.handle_object(ObjectEvent("created", "files", "in/a.jpg"), ctx()) == 1
    assert app.handle_object(ObjectEvent("created", "files", "in/a.png"), ctx()) == 0
    assert app.handle_object(ObjectEvent("created", "files", "out/a.jpg"), ctx()) == 0
    assert app.handle_object(ObjectEvent("deleted", "files", "x"), ctx()) == 1
    assert app.handle_object(ObjectEvent("created", "other", "in/a.jpg"), ctx()) == 0
    assert got == ["made:in/a.jpg", "gone:x"]


def test_physical_names_map_back_to_logical(monkeypatch: pytest.MonkeyPatch) -> None:
    app = App("o")
    files = app.bucket("files")
    seen: list[str] = []
    app.on_object_created(files, name="record")(lambda event: seen.append(event.bucket))
    monkeypatch.setenv("POLYFN_BUCKET_FILES", "acme-prod-files")
    assert files.physical_name == "acme-prod-files"
    app.handle_object(ObjectEvent("created", "acme-prod-files", "k"), ctx())
    assert seen == ["files"]


def test_schedule_and_event_dispatch() -> None:
    app = App("s")
    ticks: list[str] = []

    @app.schedule("rate(5 minutes)")
    def every_five(tick: Schedule) -> None:
        ticks.append(tick.name)

    @app.schedule("0 3 * * *")
    def nightly(tick: Schedule) -> None:
        ticks.append(tick.name)

    @app.on_event(source="shop.*", type="OrderPlaced")
    def order(event: Event) -> None:
        ticks.append(event.type)

    app.handle_schedule(Schedule("2026-01-01T00:00:00Z", "shop-prod-nightly"), ctx())
    with pytest.raises(UnrecognizedEvent):
        app.handle_schedule(Schedule("2026-01-01T00:00:00Z", "unknown"), ctx())
    assert app.handle_event(Event("1", "shop.orders", "OrderPlaced"), ctx()) == 1
    assert app.handle_event(Event("2", "billing", "OrderPlaced"), ctx()) == 0
    assert ticks == ["nightly", "OrderPlaced"]


def test_pinned_function_serves_its_own_events(monkeypatch: pytest.MonkeyPatch) -> None:
    app = App("p")
    a, b = app.queue("a"), app.queue("b")
    got: list[str] = []
    app.on_message(a, name="read_a")(lambda m: got.append("a"))
    app.on_message(b, name="read_b")(lambda m: got.append("b"))
    # The adapter passes the pin it read from POLYFN_FUNCTION; core reads no environment.
    monkeypatch.setenv("POLYFN_FUNCTION", "read_a")
    app.handle_messages("some-physical-name", [Message("1", "x")], ctx(), function="read_b")
    assert got == ["b"]


def test_object_and_event_runs_keep_to_the_pinned_function(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = App("p")
    files = app.bucket("files")
    got: list[str] = []
    app.on_object_created(files, name="one")(lambda event: got.append("one"))
    app.on_object_created(files, name="two")(lambda event: got.append("two"))
    app.on_event(source="shop", name="shop_event")(lambda event: got.append("event"))
    # Core reads no environment: only the function passed counts as pinned.
    monkeypatch.setenv("POLYFN_FUNCTION", "two")
    created = ObjectEvent("created", "files", "k")
    assert app.handle_object(created, ctx(), function="two") == 1
    assert app.handle_object(created, ctx(), function="one") == 1
    assert app.handle_object(created, ctx()) == 2  # None: nothing pinned
    assert app.handle_event(Event("1", "shop", "T"), ctx(), function="two") == 0
    assert app.handle_event(Event("1", "shop", "T"), ctx()) == 1
    assert got == ["two", "one", "one", "two", "event"]


def test_context_remaining_time() -> None:
    assert Context("aws", "f", remaining=lambda: 1234).remaining_ms == 1234
    import time

    assert 0 < Context("gcp", "f", deadline=time.time() + 2).remaining_ms <= 2000
    assert Context("gcp", "f", deadline=time.time() - 2).remaining_ms == 0
    with pytest.raises(RuntimeError):
        current_context()


def test_a_route_key_the_app_declares_skips_the_match_and_keeps_the_parameters() -> None:
    app = make_app()
    request = Request("GET", "/items/1")
    request.path_params = {"id": "matched-upstream"}
    response = app.handle_http(request, ctx(), "GET /items/{id}")
    assert body(response) == {"id": "matched-upstream"}
    # A key the App does not declare: the path is routed as usual.
    request = Request("GET", "/items/1")
    request.path_params = {"proxy": "items/1"}
    assert body(app.handle_http(request, ctx(), "ANY /{proxy+}")) == {"id": "1"}
