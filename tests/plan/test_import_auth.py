"""``polyfn plan --from`` imports API authorizers as polyfn auth (issue 16).

A Lambda authorizer becomes an ``@app.authorizer`` that denies until it is ported (its
own Lambda is no longer "needs a decision"); an HTTP API JWT authorizer becomes
``JWT(issuer, audience, scopes)``; AWS_IAM becomes ``"platform-key"``; a Cognito user pool
keeps the route closed with a note giving the JWT to declare; SAM's ``NONE`` opens a
route its API's default would close. The scaffold declares the same, and its unported
authorizer answers 401 without the identity sources and 403 with them, on the local host.
Whatever shape the file gives an authorizer, the plan never crashes and never opens a
route whose authorizer it could not read.
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from polyfn.core.app import App
from polyfn.core.auth import JWT, Authorizer
from polyfn.loading import load_app
from polyfn.plan.import_auth import identity_source
from polyfn.plan.import_model import HttpSpec, ImportedApp
from polyfn.plan.importers import import_aws_app, import_sam, import_serverless
from polyfn.plan.planner import build_plan
from polyfn.plan.scaffold import render_scaffold, write_scaffold
from polyfn.plan.traffic import TrafficProfile
from polyfn.testing.client import Client

FIXTURES = Path(__file__).parent / "fixtures" / "auth"
ARTICLE = FIXTURES / "serverless.yml"
SAM_HTTP = FIXTURES / "sam_http" / "template.yaml"
SAM_REST = FIXTURES / "sam_rest" / "template.yaml"
ISSUER = "https://issuer.example.com/"
MakeClient = Callable[[App], Client]


def auth_config(app: App) -> dict[str, Any]:
    """Each route's auth as plain data, to compare an imported App with its scaffold."""
    config: dict[str, Any] = {}
    for name, fn in app.functions.items():
        guard = getattr(fn.trigger, "guard", None)
        if isinstance(guard, JWT):
            config[name] = ("jwt", guard.issuer, guard.audience, guard.scopes)
        elif isinstance(guard, Authorizer):
            config[name] = ("authorizer", guard.name, guard.ttl, guard.identity)
        else:
            config[name] = getattr(fn.trigger, "auth", None)  # "anonymous" / "function"
    return config


def absent(value: Any) -> bool:
    """No authorizer given: what the importers read as none (YAML's ``authorizer:``)."""
    return value is None or value is False or (isinstance(value, str) and not value.strip())


def compiles(source: str) -> None:
    """The scaffold is Python, without so much as a warning (an invalid escape)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compile(source, "app.py", "exec")


def scaffolded(imported: ImportedApp, folder: Path) -> tuple[App, str]:
    target = write_scaffold(imported, folder)
    return load_app(str(target)), target.read_text()


def notes(imported: ImportedApp, function: str) -> str:
    return " | ".join(n.text for n in imported.notes if n.function == function)


# ----------------------------------------------------------------------- the article's API


def test_the_article_api_gets_its_authorizer_jwt_and_platform_key() -> None:
    imported = import_aws_app(ARTICLE)
    app = imported.build_app()
    authorizer = app.authorizers["authorizer"]
    assert (authorizer.ttl, authorizer.identity) == (300, ("header:authorization",))
    assert imported.authorizers["authorizer"].token
    assert auth_config(app) == {
        "create_user": ("authorizer", "authorizer", 300, ("header:authorization",)),
        "get_user": ("jwt", ISSUER, ("users-api",), ("users:read",)),
        "delete_user": "function",  # core's value for "platform-key"
    }
    assert app.functions["create_user"].trigger.guard is authorizer
    # The authorizer's Lambda is the app's authorizer, not a function that needs a decision.
    assert imported.undecided == []
    plan = build_plan(imported.plan_inputs(("aws", "azure", "gcp"), TrafficProfile()))
    assert plan.undecided == []
    assert "needs a decision" not in {s.status for s in plan.statuses}
    said = notes(imported, "authorizer")
    assert "becomes @app.authorizer authorizer (cached 300 s per header:authorization)" in said
    assert "Allow(subject, context=...) or Deny(reason) in place of its IAM policy" in said
    assert "must move into the handler" not in " ".join(n.text for n in imported.notes)


def test_the_article_scaffold_declares_the_same_auth(tmp_path: Path) -> None:
    imported = import_aws_app(ARTICLE)
    plan = build_plan(imported.plan_inputs(("aws",), TrafficProfile()))
    target = write_scaffold(imported, tmp_path / "ported", plan.lockin)
    text = target.read_text()
    assert (
        "from polyfn import JWT, Allow, App, AuthRequest, Deny, HTTPError, Request, Response\n"
        in text
    )
    assert (
        "@app.authorizer\n"
        "def authorizer(request: AuthRequest) -> Allow | Deny:\n"
        '    """Replaces the Lambda authorizer src/auth.handler (authorizer)."""\n'
    ) in text
    # The lock-in findings of the authorizer's own code, as for handlers.
    assert "    # src/auth.py:8 reads AWS_REGION" in text
    assert 'token is\n    #   request.headers["authorization"])' in text
    assert '    return Deny("authorizer is not ported yet")' in text
    assert text.index("def authorizer(") < text.index('@app.post("/users", auth=authorizer)')
    jwt = 'JWT(issuer="https://issuer.example.com/", audience="users-api", scopes=["users:read"])'
    assert f"auth={jwt}" in text
    assert '@app.delete("/users/{id}", auth="platform-key")' in text
    assert "NEEDS A DECISION" not in text
    ported = load_app(str(target))
    assert auth_config(ported) == auth_config(imported.build_app())


def test_the_scaffolded_authorizer_refuses_until_ported(
    tmp_path: Path, polyfn_client: MakeClient
) -> None:
    ported, _ = scaffolded(import_aws_app(ARTICLE), tmp_path / "ported")
    client = polyfn_client(ported)
    assert client.request("POST", "/users", json={"name": "Ada"}).status == 401
    denied = client.request(
        "POST", "/users", headers=[("Authorization", "Bearer t")], json={"name": "Ada"}
    )
    assert denied.status == 403, denied.body
    assert client.request("GET", "/users/7").status == 401  # the JWT route, no token


# ----------------------------------------------------------------------- SAM


def test_a_sam_http_api_with_a_jwt_default_and_a_lambda_authorizer(tmp_path: Path) -> None:
    imported = import_aws_app(SAM_HTTP)
    app = imported.build_app()
    assert auth_config(app) == {
        # The API's DefaultAuthorizer, with the route's scopes.
        "get_user": ("jwt", ISSUER, ("users-api", "users-admin"), ("users:read",)),
        "create_user": ("authorizer", "key_auth", 60, ("header:x-api-key", "query:tenant")),
        "health": "anonymous",  # NONE over the default
        "delete_user": "function",  # AWS_IAM
    }
    assert imported.authorizers["key_auth"].function is not None
    assert imported.undecided == []
    said = notes(imported, "key_auth")
    assert "'$context.routeKey' not carried" in said
    assert "in place of its {isAuthorized, context} answer" in said
    ported, text = scaffolded(imported, tmp_path / "ported")
    assert '@app.authorizer(ttl=60, identity=["header:x-api-key", "query:tenant"])' in text
    assert auth_config(ported) == auth_config(app)


def test_a_sam_rest_api_with_token_cognito_and_an_external_authorizer(
    tmp_path: Path, polyfn_client: MakeClient
) -> None:
    imported = import_aws_app(SAM_REST)
    app = imported.build_app()
    assert auth_config(app) == {
        "list_orders": ("authorizer", "token_auth", 120, ("header:x-token",)),
        "admin": "function",  # Cognito: closed until its JWT is declared
        "ping": "anonymous",
        "reports": ("authorizer", "shared_auth", 300, ("header:authorization", "query:tenant")),
    }
    assert imported.authorizers["token_auth"].token
    shared = imported.authorizers["shared_auth"]
    assert shared.external and shared.function is None
    assert shared.source == "arn:aws:lambda:eu-west-1:123456789012:function:shared-authorizer"
    assert (
        'auth=JWT(issuer="https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123", '
        'audience="<app client id>")'
    ) in notes(imported, "admin")
    assert imported.undecided == []
    ported, text = scaffolded(imported, tmp_path / "ported")
    assert "(was\n    arn:aws:lambda:eu-west-1:123456789012:function:shared-authorizer)" in text
    assert 'request.headers["x-token"]' in text
    assert auth_config(ported) == auth_config(app)
    client = polyfn_client(ported)
    assert client.request("GET", "/orders").status == 401  # no X-Token
    assert client.request("GET", "/orders", headers=[("X-Token", "t")]).status == 403
    assert client.request("GET", "/reports", headers=[("Authorization", "t")]).status == 401
    answered = client.request("GET", "/reports?tenant=a", headers=[("Authorization", "t")]).status
    assert answered == 403


def test_the_scaffolds_are_ruff_clean(tmp_path: Path) -> None:
    ruff = Path(sys.executable).parent / "ruff"
    if not ruff.exists():
        pytest.skip("ruff is not installed next to this Python")
    for index, source in enumerate((ARTICLE, SAM_HTTP, SAM_REST)):
        write_scaffold(import_aws_app(source), tmp_path / str(index))
    options = ["--isolated", "--no-cache", "--line-length", "100", "--select", "E,F,W,I,B,UP,RUF"]
    checked = subprocess.run(
        [str(ruff), "check", *options, str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout


# ----------------------------------------------------------------------- shapes


def serverless(functions: dict[str, Any], provider: dict[str, Any] | None = None) -> ImportedApp:
    document = {"service": "odd", "provider": {"name": "aws", **(provider or {})}}
    document["functions"] = functions
    return import_serverless(document, Path("serverless.yml"))


def route(authorizer: Any, kind: str = "http", path: str = "x") -> dict[str, Any]:
    return {
        "handler": "h.run",
        "events": [{kind: {"path": path, "method": "get", "authorizer": authorizer}}],
    }


@pytest.mark.parametrize(
    "authorizer",
    [42, [1, 2], {}, {"name": ""}, {"authorizerId": "abc123"}, {"type": "nonsense", "name": "f"}],
    ids=["number", "list", "empty", "no-name", "shared", "bad-type"],
)
def test_an_authorizer_polyfn_cannot_read_keeps_the_route_closed(authorizer: Any) -> None:
    imported = serverless({"run": route(authorizer)})
    (spec,) = imported.functions[0].triggers
    assert isinstance(spec, HttpSpec) and spec.auth == "platform-key"
    assert "polyfn keeps the route closed" in notes(imported, "run")
    assert imported.build_app().functions["run"].trigger.auth == "function"


def test_an_http_api_route_naming_no_declared_authorizer_stays_closed() -> None:
    imported = serverless(
        {"run": route({"name": "missing"}, "httpApi")},
        {"httpApi": {"authorizers": {"bad": 7}}},
    )
    assert imported.functions[0].triggers[0].auth == "platform-key"  # type: ignore[union-attr]
    assert "'missing' is not in provider.httpApi.authorizers" in notes(imported, "run")


def test_an_authorizer_naming_a_missing_function_denies_and_says_so() -> None:
    imported = serverless({"run": route("nobody")})
    app = imported.build_app()
    assert app.functions["run"].trigger.guard is app.authorizers["nobody"]
    assert "names the function 'nobody', which the file does not define" in notes(
        imported, "nobody"
    )


def test_an_authorizer_by_arn_and_one_without_readable_sources() -> None:
    imported = serverless(
        {
            "run": route(
                {
                    "arn": "arn:aws:lambda:eu-west-1:1:function:auth-svc-dev-check",
                    "type": "request",
                    "identitySource": "context.authorizer.tenant",
                    "resultTtlInSeconds": 30,
                }
            ),
            "pool": route("arn:aws:cognito-idp:us-east-1:1:userpool/us-east-1_Pool", path="y"),
            "iam": route("aws_iam", path="z"),
            "private": {
                "handler": "h.run",
                "events": [{"http": {"path": "p", "method": "get", "private": True}}],
            },
        }
    )
    app = imported.build_app()
    check = imported.authorizers["check"]  # the Framework names it by the ARN's last part
    assert check.external and (check.ttl, check.identity) == (0, ())
    assert "its answers are not cached (ttl=0, was 30 s)" in notes(imported, "check")
    assert "'context.authorizer.tenant' not carried" in notes(imported, "check")
    assert app.functions["run"].trigger.guard is app.authorizers["check"]
    assert "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Pool" in notes(imported, "pool")
    assert {n: app.functions[n].trigger.auth for n in ("pool", "iam", "private")} == dict.fromkeys(
        ("pool", "iam", "private"), "function"
    )
    assert "identity=[]" in render_scaffold(imported)


def test_identity_sources_in_polyfn_terms() -> None:
    assert identity_source("method.request.header.X-Token") == "header:x-token"
    assert identity_source(" $request.header.Authorization") == "header:authorization"
    assert identity_source("method.request.querystring.tenant") == "query:tenant"
    assert identity_source("$request.querystring.Tenant") == "query:Tenant"
    for other in ("$context.routeKey", "stageVariables.x", "method.request.multivalueheader.A"):
        assert identity_source(other) is None


def test_http_events_on_one_path_merge_only_with_the_same_auth() -> None:
    imported = serverless(
        {
            "users": {
                "handler": "h.run",
                "events": [
                    {"httpApi": "GET /users"},
                    {"httpApi": {"method": "HEAD", "path": "/users"}},
                    {
                        "httpApi": {
                            "method": "POST",
                            "path": "/users",
                            "authorizer": {"type": "aws_iam"},
                        }
                    },
                ],
            }
        }
    )
    app = imported.build_app()
    assert list(app.functions["users"].trigger.methods) == ["GET", "HEAD"]  # type: ignore[attr-defined]
    assert app.functions["users_2"].trigger.auth == "function"


# Any JSON-like value, as YAML can give one.
values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=8,
)
KEYS = st.sampled_from(
    [
        "name",
        "arn",
        "type",
        "resultTtlInSeconds",
        "identitySource",
        "functionName",
        "functionArn",
        "issuerUrl",
        "audience",
        "scopes",
        "id",
        "authorizerId",
        "enableSimpleResponses",
    ]
)
configs = st.dictionaries(KEYS, values, max_size=5) | values
SAM_KEYS = st.sampled_from(
    [
        "FunctionArn",
        "FunctionPayloadType",
        "Identity",
        "UserPoolArn",
        "JwtConfiguration",
        "AuthorizationScopes",
        "EnableSimpleResponses",
    ]
)
sam_configs = st.dictionaries(
    SAM_KEYS, values | st.just({"Fn::GetAtt": ["Auth", "Arn"]}), max_size=4
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rest=configs,
    http_api=configs,
    declared=st.dictionaries(st.text(max_size=6), configs, max_size=3),
)
def test_any_serverless_authorizer_shape_plans_closed_or_named(
    rest: Any, http_api: Any, declared: Any
) -> None:
    imported = serverless(
        {
            "rest": route(rest),
            "api": route(http_api, "httpApi", "y"),
            "auth": {"handler": "a.run"},
        },
        {"httpApi": {"authorizers": declared}},
    )
    app = imported.build_app()
    for name, value in (("rest", rest), ("api", http_api)):
        if not absent(value):
            assert (
                app.functions[name].trigger.auth != "anonymous"
                or getattr(app.functions[name].trigger, "guard", None) is not None
            ), (name, value)
    compiles(render_scaffold(imported))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(["Api", "HttpApi"]),
    authorizers=st.dictionaries(
        st.sampled_from(["A", "B", "NONE"]), sam_configs | values, max_size=3
    ),
    chosen=values | st.sampled_from(["A", "B", "NONE", "AWS_IAM"]),
    default=values | st.sampled_from(["A", "B"]),
)
def test_any_sam_authorizer_shape_plans(
    kind: str, authorizers: Any, chosen: Any, default: Any
) -> None:
    document = {
        "Transform": "AWS::Serverless-2016-10-31",
        "Resources": {
            "Api": {
                "Type": f"AWS::Serverless::{kind}",
                "Properties": {"Auth": {"DefaultAuthorizer": default, "Authorizers": authorizers}},
            },
            "Auth": {"Type": "AWS::Serverless::Function", "Properties": {"Handler": "a.run"}},
            "Run": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "Handler": "h.run",
                    "Events": {
                        "E": {
                            "Type": kind,
                            "Properties": {
                                "Path": "/x",
                                "Method": "get",
                                "ApiId" if kind == "HttpApi" else "RestApiId": {"Ref": "Api"},
                                "Auth": {"Authorizer": chosen},
                            },
                        }
                    },
                },
            },
        },
    }
    imported = import_sam(document, Path("template.yaml"))
    app = imported.build_app()
    (fn,) = app.functions.values()
    opened = fn.trigger.auth == "anonymous" and getattr(fn.trigger, "guard", None) is None
    if opened:  # only NONE, or no authorizer at all, opens a route
        said = default if absent(chosen) else chosen
        assert absent(said) or said == "NONE", (chosen, default)
    compiles(render_scaffold(imported))
