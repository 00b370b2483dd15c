"""HTTP semantics every runtime keeps, driven through each runtime's native shapes."""

from __future__ import annotations

from polyfn.hosts import Host

from .behaviour_app import build


def test_path_parameter_and_json_answer(driver: Host) -> None:
    app, seen = build()
    result = driver.http(app, "GET", "/users/42")
    assert result.status == 200
    assert result.json() == {"id": "42"}
    assert result.headers["content-type"] == "application/json"
    cloud, function, request_id, remaining = seen["contexts"][0]
    assert (cloud, function) == (driver.cloud, "get_user")
    assert request_id and remaining > 0


def test_post_json_created_with_location(driver: Host) -> None:
    app, _ = build()
    result = driver.http(
        app, "POST", "/users", headers=[("Content-Type", "application/json")], body=b'{"n": 1}'
    )
    assert result.status == 201
    assert result.json() == {"created": {"n": 1}}
    assert result.headers["location"] == "/users/1"


def test_unknown_path_is_404_json_with_request_id(driver: Host) -> None:
    app, _ = build()
    result = driver.http(app, "GET", "/nowhere")
    assert result.status == 404
    error = result.json()["error"]
    assert error["status"] == 404 and error["message"] == "Not Found" and error["request_id"]


def test_handler_http_error(driver: Host) -> None:
    app, _ = build()
    result = driver.http(app, "GET", "/users/missing")
    assert result.status == 404
    assert result.json()["error"]["message"] == "User not found"


def test_wrong_method_is_405_with_allow(driver: Host) -> None:
    app, _ = build()
    result = driver.http(app, "DELETE", "/users/1")
    assert result.status == 405
    assert result.headers["allow"] == "GET, HEAD"


def test_malformed_json_is_400(driver: Host) -> None:
    app, _ = build()
    result = driver.http(app, "POST", "/users", body=b"{not json")
    assert result.status == 400
    assert result.json()["error"]["message"] == "Request body is not valid JSON"


def test_unhandled_exception_is_500_without_details(driver: Host) -> None:
    app, _ = build()
    result = driver.http(app, "GET", "/users/crash")
    assert result.status == 500
    assert b"secret-token-123" not in result.body
    assert b"Traceback" not in result.body
    error = result.json()["error"]
    assert error["message"] == "Internal Server Error" and error["request_id"]


def test_repeated_query_keys_and_headers_survive(driver: Host) -> None:
    app, _ = build()
    result = driver.http(
        app,
        "GET",
        "/echo",
        query={"tag": ["a b", "c&d"], "q": ["é"]},
        headers=[("X-Tag", "one"), ("X-Tag", "two")],
    )
    echoed = result.json()
    assert echoed["query"] == {"tag": ["a b", "c&d"], "q": ["é"]}
    assert echoed["tags"] == ["one", "two"]


def test_joined_list_headers_split_and_singletons_stay_whole(driver: Host) -> None:
    # One rule on every runtime (RFC 9110 5.3): list fields split at commas outside
    # quotes, single-valued fields (Content-Type, From, ...) never.
    app, _ = build()
    result = driver.http(
        app,
        "POST",
        "/echo",
        headers=[
            ("X-Tag", 'one, "two, still two"'),
            ("From", "a@x.org, b@y.org"),
            ("Content-Type", "text/plain, text/html"),
        ],
        body=b"x",
    )
    echoed = result.json()
    assert echoed["tags"] == ["one", '"two, still two"']
    assert echoed["from"] == ["a@x.org, b@y.org"]
    assert echoed["content_types"] == ["text/plain, text/html"]


def test_cookies_joined_by_a_front_end_read_as_both(driver: Host) -> None:
    app, _ = build()
    result = driver.http(app, "GET", "/echo", headers=[("Cookie", "a=1, b=2")])
    assert result.json()["cookies"] == {"a": "1", "b": "2"}


def test_cookies_in(driver: Host) -> None:
    app, _ = build()
    result = driver.http(app, "GET", "/echo", headers=[("Cookie", "a=1; b=2")])
    assert result.json()["cookies"] == {"a": "1", "b": "2"}


def test_set_cookie_out_keeps_every_cookie(driver: Host) -> None:
    app, _ = build()
    result = driver.http(app, "GET", "/cookies")
    cookies = result.headers.getlist("set-cookie")
    assert len(cookies) == 2
    assert cookies[0].startswith("session=abc") and cookies[1].startswith("theme=dark")


def test_binary_bodies_round_trip(driver: Host) -> None:
    app, _ = build()
    payload = bytes(range(256))
    result = driver.http(
        app, "POST", "/binary", headers=[("Content-Type", "application/octet-stream")], body=payload
    )
    assert result.status == 200
    assert result.body == payload[::-1]
    assert result.headers["content-type"] == "image/png"


def test_empty_body(driver: Host) -> None:
    app, _ = build()
    echoed = driver.http(app, "POST", "/echo").json()
    assert echoed["length"] == 0 and echoed["body"] == ""


def test_text_body_and_unicode(driver: Host) -> None:
    app, _ = build()
    text = "grüße, 世界"
    echoed = driver.http(
        app, "PUT", "/echo", headers=[("Content-Type", "text/plain")], body=text.encode()
    ).json()
    assert echoed["body"] == text and echoed["method"] == "PUT"


def test_greedy_path_parameter(driver: Host) -> None:
    app, _ = build()
    assert driver.http(app, "GET", "/files/a/b/c.txt").json() == {"path": "a/b/c.txt"}


def test_request_and_context_have_every_field_set(driver: Host) -> None:
    # Every adapter fills Request's and Context's slots itself on the hot path instead of
    # calling __init__; a slot core adds later and an adapter forgets fails here.
    from polyfn import App, Context, Request

    app = App("slots")
    seen: list[tuple[Request, Context]] = []

    @app.get("/things/{id}")
    def read(req: Request, ctx: Context) -> dict[str, str]:
        seen.append((req, ctx))
        return {"id": req.path_params["id"]}

    assert driver.http(app, "GET", "/things/7").status == 200
    request, ctx = seen[0]
    for obj in (request, ctx):
        slots = [slot for cls in type(obj).__mro__ for slot in getattr(cls, "__slots__", ())]
        for slot in slots:
            getattr(obj, slot)  # AttributeError for a slot left unset
    assert request.client_ip is None or isinstance(request.client_ip, str)
    assert ctx.cloud == driver.cloud and ctx.request_id and ctx.remaining_ms > 0
