"""Auth on Lambda as deployed behind API Gateway: the App's authorizer answers API
Gateway's REQUEST-authorizer calls (HTTP API simple responses, REST API IAM policies),
and a route's Lambda reads what the gateway verified (a JWT authorizer's claims, a
Lambda authorizer's context) only when deploy says a gateway fronts it
(``POLYFN_AUTH_FRONT``). The event samples follow AWS's documented examples
(tests/adapters/aws/foreign_events.py)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from adapters.aws import foreign_events as foreign

from polyfn import JWT, Allow, App, AuthRequest, Deny, Request, Response
from polyfn.adapters import aws
from polyfn.hosts.events import aws as events


def build() -> tuple[App, dict[str, list[Any]]]:
    app = App("authapi")
    seen: dict[str, list[Any]] = {"asked": [], "identities": []}

    @app.authorizer(ttl=300, identity=["header:authorization"])
    def authorizer(request: AuthRequest) -> Allow | Deny:
        seen["asked"].append(request)
        if request.headers.get("authorization") == "Bearer key-alice":
            return Allow("alice", context={"tier": "gold", "quota": 5}, scopes=["users:write"])
        return Deny("unknown key")

    @app.post("/users", auth=authorizer)
    def create_user(req: Request) -> Response:
        seen["identities"].append(req.identity)
        return Response.json({"by": req.identity.subject if req.identity else None}, 201)

    @app.get(
        "/users/{id}",
        auth=JWT(issuer="https://issuer.example", audience="api", scopes=["users:read"]),
    )
    def get_user(req: Request) -> Response:
        seen["identities"].append(req.identity)
        assert req.identity is not None
        return Response.json(req.identity.to_dict())

    return app, seen


def v2_authorizer_call(authorization: str | None) -> dict[str, Any]:
    event = copy.deepcopy(foreign.HTTP_API_REQUEST_AUTHORIZER)
    event.update(routeKey="POST /users", rawPath="/users", rawQueryString="")
    event["requestContext"]["http"].update(method="POST", path="/users")
    event["headers"] = {} if authorization is None else {"authorization": authorization}
    event["identitySource"] = [] if authorization is None else [authorization]
    return event


def v1_authorizer_call(authorization: str | None) -> dict[str, Any]:
    event = copy.deepcopy(foreign.REST_REQUEST_AUTHORIZER)
    event.update(resource="/users", path="/users", httpMethod="POST")
    event["methodArn"] = "arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/POST/users"
    event["headers"] = {} if authorization is None else {"Authorization": authorization}
    return event


# ------------------------------------------------------------------ the authorizer Lambda


def test_an_http_api_authorizer_call_gets_a_simple_response() -> None:
    app, seen = build()
    handler = aws.lambda_handler(app, backends="keep", function="authorizer")
    answer = handler(v2_authorizer_call("Bearer key-alice"))
    assert answer == {
        "isAuthorized": True,
        "context": {"tier": "gold", "quota": 5, "sub": "alice", "scopes": "users:write"},
    }
    (asked,) = seen["asked"]
    assert asked.method == "POST" and asked.path == "/users"
    assert asked.client_ip == "203.0.113.7"
    assert handler(v2_authorizer_call("Bearer other")) == {"isAuthorized": False}
    assert handler(v2_authorizer_call(None)) == {"isAuthorized": False}
    assert seen["identities"] == []  # the route never ran


def test_a_rest_api_authorizer_call_gets_an_iam_policy_for_the_stage() -> None:
    app, _ = build()
    handler = aws.lambda_handler(app, backends="keep", function="authorizer")
    answer = handler(v1_authorizer_call("Bearer key-alice"))
    assert answer["principalId"] == "alice"
    (statement,) = answer["policyDocument"]["Statement"]
    assert statement == {
        "Action": "execute-api:Invoke",
        "Effect": "Allow",
        "Resource": "arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/*",
    }
    assert answer["context"] == {
        "tier": "gold",
        "quota": 5,
        "sub": "alice",
        "scopes": "users:write",
    }
    denied = handler(v1_authorizer_call("Bearer other"))
    assert denied["policyDocument"]["Statement"][0]["Effect"] == "Deny"
    assert "context" not in denied
    # No identity source: the documented way to make API Gateway answer 401.
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        handler(v1_authorizer_call(None))


def test_the_only_authorizer_answers_an_unpinned_call() -> None:
    app, _ = build()
    handler = aws.lambda_handler(app, backends="keep", function="")
    assert handler(v2_authorizer_call("Bearer key-alice"))["isAuthorized"] is True


def test_a_call_pinned_to_a_function_that_is_no_authorizer_is_refused() -> None:
    from polyfn.core.errors import UnrecognizedEvent

    app, _ = build()
    handler = aws.lambda_handler(app, backends="keep", function="create_user")
    with pytest.raises(UnrecognizedEvent, match="not an authorizer"):
        handler(v2_authorizer_call("Bearer key-alice"))


# ------------------------------------------------------------------ the route behind it


def route_event(authorizer: dict[str, Any] | None, **options: Any) -> dict[str, Any]:
    event = events.apigw_v2(**options)
    if authorizer is not None:
        event["requestContext"]["authorizer"] = authorizer
    return event


def test_the_route_reads_the_lambda_authorizers_context_when_fronted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app, seen = build()
    authorizer = aws.lambda_handler(app, backends="keep", function="authorizer")
    verdict = authorizer(v2_authorizer_call("Bearer key-alice"))
    # Deploy's setting, read when the entry point is built (once per process).
    monkeypatch.setenv("POLYFN_AUTH_FRONT", "authorizer")
    route = aws.lambda_handler(app, backends="keep", function="create_user")
    # API Gateway passes the context on; the credential itself need not be re-read.
    event = route_event({"lambda": verdict["context"]}, method="POST", path="/users", body=b"{}")
    answer = route(event)
    assert answer["statusCode"] == 201, answer
    (identity,) = seen["identities"]
    assert identity.subject == "alice" and identity.method == "authorizer"
    assert identity.claims == {"tier": "gold", "quota": 5}
    assert identity.scopes == ("users:write",)
    assert len(seen["asked"]) == 1  # only API Gateway's call ran the authorizer


def test_a_forged_authorizer_context_is_ignored_when_not_fronted() -> None:
    app, seen = build()
    route = aws.lambda_handler(app, backends="keep", function="create_user")
    forged = {"lambda": {"sub": "mallory", "tier": "gold"}}
    answer = route(route_event(forged, method="POST", path="/users", body=b"{}"))
    assert answer["statusCode"] == 401
    assert seen["identities"] == []


def test_the_route_reads_the_jwt_authorizers_claims_when_fronted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # No token in the request and no JWKS anywhere: the gateway verified it.
    app, _ = build()
    claims = {"sub": "alice", "iss": "https://issuer.example", "aud": "api", "scope": "users:read"}
    monkeypatch.setenv("POLYFN_AUTH_FRONT", "jwt")
    route = aws.lambda_handler(app, backends="keep", function="get_user")
    answer = route(route_event({"jwt": {"claims": claims, "scopes": None}}, path="/users/7"))
    assert answer["statusCode"] == 200, answer
    body = json.loads(answer["body"])
    assert body["subject"] == "alice" and body["method"] == "jwt"
    assert body["scopes"] == ["users:read"]
    # The gateway's scopes list, when it has one, is the one that counts.
    narrow = {"jwt": {"claims": claims, "scopes": ["users:list"]}}
    answer = route(route_event(narrow, path="/users/7"))
    assert answer["statusCode"] == 403
    assert json.loads(answer["body"])["error"]["message"] == "token lacks scope users:read"


def test_forged_jwt_claims_are_ignored_when_not_fronted() -> None:
    app, seen = build()
    route = aws.lambda_handler(app, backends="keep", function="get_user")
    forged = {"jwt": {"claims": {"sub": "mallory", "scope": "users:read"}, "scopes": None}}
    answer = route(route_event(forged, path="/users/7"))
    assert answer["statusCode"] == 401
    assert seen["identities"] == []


def test_a_function_url_never_trusts_an_authorizer_context(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app, seen = build()
    monkeypatch.setenv("POLYFN_AUTH_FRONT", "jwt")
    route = aws.lambda_handler(app, backends="keep", function="get_user")
    event = events.function_url(path="/users/7")
    event["requestContext"]["authorizer"] = {"jwt": {"claims": {"sub": "mallory"}}}
    assert route(event)["statusCode"] == 401
    assert seen["identities"] == []


# ------------------------------------------------------------------ behind a REST API


def test_a_rest_route_reads_the_authorizers_principal_and_context(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # What `--aws-api rest` deploys: the authorizer answers with a policy and context,
    # API Gateway hands principalId and the context to the route in
    # requestContext.authorizer (deploy wrote POLYFN_AUTH_FRONT=authorizer).
    app, seen = build()
    verdict = aws.lambda_handler(app, backends="keep", function="authorizer")(
        v1_authorizer_call("Bearer key-alice")
    )
    monkeypatch.setenv("POLYFN_AUTH_FRONT", "authorizer")
    route = aws.lambda_handler(app, backends="keep", function="create_user")
    event = events.apigw_v1("POST", "/users", body=b"{}", path_template="/users")
    event["requestContext"]["authorizer"] = {
        "principalId": verdict["principalId"],
        **verdict["context"],
        "integrationLatency": 12,
    }
    answer = route(event)
    assert answer["statusCode"] == 201, answer
    (identity,) = seen["identities"]
    assert identity.subject == "alice" and identity.method == "authorizer"
    assert identity.claims == {"tier": "gold", "quota": 5}
    assert identity.scopes == ("users:write",)


def test_a_rest_routes_jwt_is_verified_by_polyfn() -> None:
    # REST APIs have no JWT authorizer: deploy writes no front setting, and a token in
    # the event is checked against the issuer's keys (a local issuer here).
    from polyfn.testing.issuer import local_issuer

    with local_issuer() as issuer:
        app = App("restjwt")

        @app.get("/me", auth=JWT(issuer=issuer.url, audience="api"))
        def me(req: Request) -> Response:
            assert req.identity is not None
            return Response.json({"sub": req.identity.subject})

        route = aws.lambda_handler(app, backends="keep", function="me")
        token = issuer.token(sub="alice")
        event = events.apigw_v1("GET", "/me", headers=[("Authorization", f"Bearer {token}")])
        answer = route(event)
        assert answer["statusCode"] == 200, answer
        assert json.loads(answer["body"]) == {"sub": "alice"}
        # Claims planted in the event by someone other than a JWT authorizer: nothing.
        forged = events.apigw_v1("GET", "/me")
        forged["requestContext"]["authorizer"] = {"claims": {"sub": "mallory"}}
        assert route(forged)["statusCode"] == 401


def test_an_http_api_routes_jwt_is_read_from_the_event_and_verified(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The v2 view reads Authorization straight from the event's (lower-case) headers;
    # a fronted deployment whose request carries no authorizer claims verifies it too,
    # and a name in another case or a value of the wrong type takes the general path.
    from polyfn.testing.issuer import local_issuer

    with local_issuer() as issuer:
        app = App("v2jwt")

        @app.get("/me", auth=JWT(issuer=issuer.url, audience="api"))
        def me(req: Request) -> Response:
            assert req.identity is not None
            return Response.json({"sub": req.identity.subject})

        monkeypatch.setenv("POLYFN_AUTH_FRONT", "jwt")
        route = aws.lambda_handler(app, backends="keep", function="me")
        token = issuer.token(sub="alice")
        lower = events.apigw_v2("GET", "/me", headers=[("authorization", f"Bearer {token}")])
        answer = route(lower)
        assert answer["statusCode"] == 200, answer
        assert json.loads(answer["body"]) == {"sub": "alice"}
        mixed = events.apigw_v2("GET", "/me")
        mixed["headers"] = {"Authorization": f"Bearer {token}"}
        assert route(mixed)["statusCode"] == 200
        both = events.apigw_v2("GET", "/me")
        both["headers"] = {"authorization": f"Bearer {token}", "Authorization": "Bearer x"}
        assert route(both)["statusCode"] == 200  # the lower-case name is API Gateway's
        wrong_type = events.apigw_v2("GET", "/me")
        wrong_type["headers"] = {"authorization": 7}
        assert route(wrong_type)["statusCode"] == 400
        no_token = events.apigw_v2("GET", "/me")
        assert route(no_token)["statusCode"] == 401
