"""A Google Cloud function behind polyfn's API Gateway (deploy's ``POLYFN_GCP_GATEWAY``):
the gateway's own identity token in ``Authorization`` never reaches the App, the
client's (``X-Forwarded-Authorization``) does; the client's address is the entry left
of the gateway's in ``X-Forwarded-For``; a JWT route reads the claims the gateway
validated. Served by functions-framework's test client, as on Cloud Functions."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from gcp_native import http_client

from polyfn import JWT, Allow, App, AuthRequest, Deny, Request, Response
from polyfn.adapters.gcp.http import client_address

ISSUER = "https://id.example/"
GATEWAY_TOKEN = "Bearer gateway.identity.token"


def _app() -> tuple[App, list[Any]]:
    app = App("gated")
    seen: list[Any] = []

    @app.authorizer(ttl=0, identity=["header:authorization"])
    def team(request: AuthRequest) -> Allow | Deny:
        seen.append(request.headers.getlist("authorization"))
        ok = request.headers.get("authorization") == "Bearer team-key"
        return Allow("team") if ok else Deny("unknown key")

    @app.post("/users", auth=team)
    def create(req: Request) -> Response:
        return Response.json({"ip": req.client_ip}, 201)

    @app.get("/users/{id}", auth=JWT(issuer=ISSUER, audience="api", scopes=["users:read"]))
    def read(req: Request) -> Response:
        assert req.identity is not None
        return Response.json({"sub": req.identity.subject, "ip": req.client_ip})

    @app.get("/echo")
    def echo(req: Request) -> Response:
        return Response.json(
            {
                "authorization": req.headers.getlist("authorization"),
                "forwarded": req.headers.get("x-forwarded-authorization"),
                "ip": req.client_ip,
            }
        )

    return app, seen


def _userinfo(claims: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")


@pytest.fixture
def behind_gateway(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLYFN_GCP_GATEWAY", "1")


def test_the_client_authorization_replaces_the_gateways(behind_gateway: None) -> None:
    app, _ = _app()
    client = http_client(app)
    answer = client.get(
        "/echo",
        headers={
            "Authorization": GATEWAY_TOKEN,
            "X-Forwarded-Authorization": "Bearer client-token",
            "X-Forwarded-For": "198.51.100.7, 203.0.113.9",
        },
    )
    assert answer.status_code == 200
    assert answer.get_json() == {
        "authorization": ["Bearer client-token"],
        "forwarded": None,
        "ip": "198.51.100.7",
    }
    # No client credential: the gateway's token is not one either.
    answer = client.get("/echo", headers={"Authorization": GATEWAY_TOKEN})
    assert answer.get_json()["authorization"] == []


def test_an_authorizer_behind_the_gateway_sees_the_clients_key(behind_gateway: None) -> None:
    app, seen = _app()
    client = http_client(app)
    answer = client.post(
        "/users",
        headers={"Authorization": GATEWAY_TOKEN, "X-Forwarded-Authorization": "Bearer team-key"},
    )
    assert answer.status_code == 201, answer.data
    assert seen == [["Bearer team-key"]]
    refused = client.post("/users", headers={"Authorization": GATEWAY_TOKEN})
    assert refused.status_code == 401  # no client credential at all, authorizer not called
    assert seen == [["Bearer team-key"]]


def test_a_jwt_route_reads_the_claims_the_gateway_validated(
    behind_gateway: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POLYFN_AUTH_FRONT", "jwt")
    app, _ = _app()
    claims = {"iss": ISSUER, "aud": "api", "sub": "alice", "scope": "users:read"}
    headers = {
        "Authorization": GATEWAY_TOKEN,
        "X-Forwarded-Authorization": "Bearer the.client.token",
        "X-Apigateway-Api-Userinfo": _userinfo(claims),
        "X-Forwarded-For": "198.51.100.7, 203.0.113.9",
    }
    answer = http_client(app).get("/users/7", headers=headers)
    assert answer.status_code == 200, answer.data
    assert answer.get_json() == {"sub": "alice", "ip": "198.51.100.7"}
    # The gateway checks no scopes: polyfn does.
    headers["X-Apigateway-Api-Userinfo"] = _userinfo({**claims, "scope": "users:write"})
    assert http_client(app).get("/users/7", headers=headers).status_code == 403


def test_without_the_setting_nothing_moves(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POLYFN_GCP_GATEWAY", raising=False)
    app, _ = _app()
    answer = http_client(app).get(
        "/echo",
        headers={
            "Authorization": "Bearer mine",
            "X-Forwarded-Authorization": "Bearer forged",
            "X-Forwarded-For": "198.51.100.7, 203.0.113.9",
        },
    )
    assert answer.get_json() == {
        "authorization": ["Bearer mine"],
        "forwarded": "Bearer forged",
        "ip": "203.0.113.9",
    }


def test_polyfn_run_never_takes_the_gateways_shape(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLYFN_GCP_GATEWAY", "1")
    app, _ = _app()
    answer = http_client(app, cloud="local").get(
        "/echo",
        headers={"Authorization": "Bearer mine", "X-Forwarded-Authorization": "Bearer forged"},
    )
    assert answer.get_json()["authorization"] == ["Bearer mine"]


@pytest.mark.parametrize(
    ("forwarded", "ip"),
    [
        ("198.51.100.7, 203.0.113.9", "198.51.100.7"),
        # What the client wrote itself stays to the left, whatever it claims.
        ("10.0.0.1, 198.51.100.7, 203.0.113.9", "198.51.100.7"),
        # Fewer entries than hops: the leftmost, which a Google front end wrote.
        ("203.0.113.9", "203.0.113.9"),
        (None, "192.0.2.1"),
    ],
)
def test_the_client_is_one_hop_left_of_the_gateway(forwarded: str | None, ip: str) -> None:
    assert client_address(forwarded, "192.0.2.1", hops=2) == ip


def test_two_userinfo_values_are_not_trusted(
    behind_gateway: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Were the gateway to keep a client's header beside its own, neither is believed.
    monkeypatch.setenv("POLYFN_AUTH_FRONT", "jwt")
    app, _ = _app()
    forged = _userinfo({"iss": ISSUER, "aud": "api", "sub": "mallory", "scope": "users:read"})
    real = _userinfo({"iss": ISSUER, "aud": "api", "sub": "alice", "scope": "users:read"})
    answer = http_client(app).get(
        "/users/7",
        headers=[
            ("Authorization", GATEWAY_TOKEN),
            ("X-Apigateway-Api-Userinfo", forged),
            ("X-Apigateway-Api-Userinfo", real),
        ],
    )
    # No client token to verify instead: 401.
    assert answer.status_code == 401, answer.data
