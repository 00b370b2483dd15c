"""What an HTTP handler reads, the same on every runtime: which function a request
reaches, the path and its parameters (decoded, greedy), the query, headers, cookies, the
body, and the Request and Context it is handed."""

from __future__ import annotations

from polyfn.hosts import Host

from .behaviour_app import build

# Which function, path and path parameters


def test_a_path_parameter_and_the_context_reach_the_handler(driver: Host) -> None:
    app, seen = build()
    result = driver.http(app, "GET", "/users/42")
    assert result.status == 200
    assert result.json() == {"id": "42"}
    assert result.headers["content-type"] == "application/json"
    ((_, ctx),) = seen["calls"]
    assert (ctx.cloud, ctx.function_name) == (driver.cloud, "get_user")
    assert ctx.request_id and ctx.remaining_ms > 0


def test_percent_encoded_path_parameters_arrive_decoded(driver: Host) -> None:
    app, seen = build()
    result = driver.http(app, "GET", "/users/caf\u00e9 1+2")
    assert result.status == 200
    assert result.json() == {"id": "caf\u00e9 1+2"}
    result = driver.http(
        app,
        "PUT",
        "/users/caf\u00e9 1",
        headers=[("content-type", "application/json")],
        body=b'{"x": 1}',
    )
    assert result.status == 200
    assert result.json() == {"id": "caf\u00e9 1", "body": {"x": 1}}
    assert [(ctx.cloud, ctx.function_name) for _, ctx in seen["calls"]] == [
        (driver.cloud, "get_user"),
        (driver.cloud, "put_user"),
    ]


def test_two_functions_on_one_route_split_by_method(driver: Host) -> None:
    app, seen = build()
    put = driver.http(
        app, "PUT", "/users/7", headers=[("Content-Type", "application/json")], body=b'{"a": 1}'
    )
    assert put.status == 200 and put.json() == {"id": "7", "body": {"a": 1}}
    assert driver.http(app, "GET", "/users/7").json() == {"id": "7"}
    assert [ctx.function_name for _, ctx in seen["calls"]] == ["put_user", "get_user"]


def test_a_greedy_parameter_takes_every_segment_decoded(driver: Host) -> None:
    app, _ = build()
    assert driver.http(app, "GET", "/files/a/b/c.txt").json() == {"path": "a/b/c.txt"}
    result = driver.http(app, "GET", "/files/a b/caf\u00e9 100%.txt")
    assert result.json() == {"path": "a b/caf\u00e9 100%.txt"}


# Query


def test_repeated_query_keys_and_headers_keep_every_value(driver: Host) -> None:
    # "+" means a space only in an encoded query; a value that holds a literal "+" must
    # reach the handler as one, next to repeats of the same key.
    app, _ = build()
    result = driver.http(
        app,
        "GET",
        "/echo",
        query={"tag": ["a b", "c&d", "e+f"], "q": ["\u00e9"]},
        headers=[("X-Tag", "one"), ("X-Tag", "two")],
    )
    echoed = result.json()
    assert echoed["query"] == {"tag": ["a b", "c&d", "e+f"], "q": ["\u00e9"]}
    assert echoed["tags"] == ["one", "two"]


def test_blank_query_values_are_kept(driver: Host) -> None:
    app, _ = build()
    result = driver.http(app, "GET", "/echo", query={"tag": ["a", ""], "empty": [""]})
    assert result.json()["query"] == {"tag": ["a", ""], "empty": [""]}


# Headers


def test_list_headers_split_at_commas_and_single_valued_ones_stay_whole(driver: Host) -> None:
    # One rule on every runtime (RFC 9110 5.3): list fields split at commas outside
    # quotes; single-valued fields (Content-Type, From, User-Agent, dates...) never, for
    # their commas are their own.
    app, _ = build()
    date = "Wed, 21 Oct 2015 07:28:00 GMT"
    for agent in ("Mozilla/5.0 (X11; Linux x86_64, like Gecko)", "Mozilla/5.0 (X11, Linux) Gecko"):
        result = driver.http(
            app,
            "POST",
            "/echo",
            headers=[
                ("X-Tag", 'one, "two, still two"'),
                ("From", "a@x.org, b@y.org"),
                ("Content-Type", "text/plain, text/html"),
                ("User-Agent", agent),
                ("If-Modified-Since", date),
            ],
            body=b"x",
        )
        echoed = result.json()
        assert echoed["tags"] == ["one", '"two, still two"']
        headers = echoed["headers"]
        assert headers["from"] == ["a@x.org, b@y.org"]
        assert headers["content-type"] == ["text/plain, text/html"]
        assert headers["user-agent"] == [agent]
        assert headers["if-modified-since"] == [date]


# Cookies


def test_a_cookie_header_gives_every_cookie(driver: Host) -> None:
    app, _ = build()
    result = driver.http(app, "GET", "/echo", headers=[("Cookie", "a=1; b=2")])
    assert result.json()["cookies"] == {"a": "1", "b": "2"}


def test_cookies_joined_by_a_front_end_read_as_both(driver: Host) -> None:
    app, _ = build()
    result = driver.http(app, "GET", "/echo", headers=[("Cookie", "a=1, b=2")])
    assert result.json()["cookies"] == {"a": "1", "b": "2"}


def test_cookies_from_two_cookie_headers_are_all_read_and_unquoted(driver: Host) -> None:
    app, _ = build()
    result = driver.http(app, "GET", "/echo", headers=[("Cookie", "a=1; b=2"), ("Cookie", 'c="3"')])
    assert result.json()["cookies"] == {"a": "1", "b": "2", "c": "3"}


# Body


def test_an_empty_body_reads_as_empty(driver: Host) -> None:
    app, _ = build()
    echoed = driver.http(app, "POST", "/echo").json()
    assert echoed["length"] == 0 and echoed["body"] == ""


def test_a_text_body_reads_as_unicode_text(driver: Host) -> None:
    app, _ = build()
    text = "gr\u00fc\u00dfe, \u4e16\u754c"
    echoed = driver.http(
        app, "PUT", "/echo", headers=[("Content-Type", "text/plain")], body=text.encode()
    ).json()
    assert echoed["body"] == text and echoed["method"] == "PUT"


# Request and Context


def test_request_and_context_have_every_field_set(driver: Host) -> None:
    # Every adapter fills Request's and Context's slots itself on the hot path instead of
    # calling __init__; a slot core adds later and an adapter forgets fails here.
    app, seen = build()
    assert driver.http(app, "GET", "/users/7").status == 200
    ((request, ctx),) = seen["calls"]
    for obj in (request, ctx):
        slots = [slot for cls in type(obj).__mro__ for slot in getattr(cls, "__slots__", ())]
        for slot in slots:
            getattr(obj, slot)  # AttributeError for a slot left unset
    assert request.client_ip is None or isinstance(request.client_ip, str)
    assert ctx.cloud == driver.cloud and ctx.request_id and ctx.remaining_ms > 0
