"""Path templates, lookup order, 404 and 405."""

from __future__ import annotations

import pytest

from polyfn.core.routing import MethodNotAllowed, NotFound, PathTemplate, Router


def make_router() -> Router[str]:
    router: Router[str] = Router()
    router.add("/users", ["GET"], "list")
    router.add("/users", ["POST"], "create")
    router.add("/users/{id}", ["GET", "PUT"], "one")
    router.add("/users/me", ["GET"], "me")
    router.add("/files/{path+}", ["GET"], "file")
    return router


def test_static_and_template_matches() -> None:
    router = make_router()
    assert router.match("GET", "/users") == ("list", {})
    assert router.match("POST", "/users") == ("create", {})
    assert router.match("PUT", "/users/42") == ("one", {"id": "42"})
    assert router.match("GET", "/files/a/b/c.txt") == ("file", {"path": "a/b/c.txt"})


def test_literal_segments_win_over_parameters_whatever_the_order() -> None:
    assert make_router().match("GET", "/users/me") == ("me", {})


def test_trailing_slash_on_a_static_path_is_tolerated() -> None:
    assert make_router().match("GET", "/users/") == ("list", {})


def test_head_falls_back_to_get() -> None:
    assert make_router().match("HEAD", "/users/1") == ("one", {"id": "1"})


def test_unknown_path_is_not_found() -> None:
    with pytest.raises(NotFound):
        make_router().match("GET", "/nope")
    with pytest.raises(NotFound):
        make_router().match("GET", "/users/1/extra")
    with pytest.raises(NotFound):
        make_router().match("GET", "xusers/1")  # not a path at all
    with pytest.raises(NotFound):
        make_router().match("GET", "/files/")  # a greedy parameter is never empty


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/users/42", ("one", {"id": "42"})),
        ("/users//", ("list", {})),  # an empty parameter is no parameter: the static route
        ("/teams/7/members/9", ("member", {"team": "7", "member": "9"})),
        ("/teams/7/members/", None),
        ("/teams/7/members/9/", None),
        ("/files/a", ("file", {"path": "a"})),
        ("/files/a/b/", ("file", {"path": "a/b/"})),
        ("/u/5/docs/x/y.txt", ("doc", {"uid": "5", "rest": "x/y.txt"})),
        ("/u/5/docs", None),
        ("/u//docs/x", None),
    ],
)
def test_templates_match_whole_segments(
    path: str, expected: tuple[str, dict[str, str]] | None
) -> None:
    router = make_router()
    router.add("/teams/{team}/members/{member}", ["GET"], "member")
    router.add("/u/{uid}/docs/{rest+}", ["GET"], "doc")
    if expected is None:
        with pytest.raises(NotFound):
            router.match("GET", path)
    else:
        assert router.match("GET", path) == expected


def test_wrong_method_lists_the_allowed_ones() -> None:
    with pytest.raises(MethodNotAllowed) as exc:
        make_router().match("DELETE", "/users/1")
    assert exc.value.allowed == ["GET", "HEAD", "PUT"]


def test_duplicate_route_is_refused() -> None:
    router = make_router()
    with pytest.raises(ValueError, match="declared twice"):
        router.add("/users", ["GET"], "again")


@pytest.mark.parametrize(
    "template",
    ["users", "/users/{id", "/a/{x}{y}", "/a/{x+}/b", "/a/pre{x}", "/a//b", "/a/{id}/{id}", "/a b"],
)
def test_malformed_templates_are_refused(template: str) -> None:
    with pytest.raises(ValueError):
        PathTemplate.parse(template)


def test_azure_format_of_greedy_templates() -> None:
    assert PathTemplate.parse("/files/{path+}").format("azure") == "files/{*path}"
    assert PathTemplate.parse("/users/{id}").format("azure") == "users/{id}"
    assert PathTemplate.parse("/users/{id}").format("aws") == "/users/{id}"


def test_route_keys_name_each_declared_method_and_template() -> None:
    router = make_router()
    assert router.by_route_key["GET /users/{id}"] == "one"
    assert router.by_route_key["PUT /users/{id}"] == "one"
    assert router.by_route_key["GET /files/{path+}"] == "file"
    # HEAD is only a fallback of the match, never a declared key.
    assert "HEAD /users/{id}" not in router.by_route_key
    assert "DELETE /users/{id}" not in router.by_route_key
