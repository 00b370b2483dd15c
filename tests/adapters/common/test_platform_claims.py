"""The claims a front door passes on in a header (Azure Easy Auth's X-MS-CLIENT-PRINCIPAL,
Google Cloud API Gateway's X-Apigateway-Api-Userinfo): read through each platform's own
host when deploy says the front door is there (POLYFN_AUTH_FRONT=jwt), never otherwise,
and a malformed header never passes for claims."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from polyfn import JWT, App, Request, Response
from polyfn.adapters.common.platform_claims import easy_auth_claims, gateway_claims
from polyfn.hosts import host_named

ISSUER = "https://login.example/tenant/v2.0"


def build() -> tuple[App, list[Any]]:
    app = App("claims")
    seen: list[Any] = []

    @app.get("/me", auth=JWT(issuer=ISSUER, audience="api", scopes=["me.read"]))
    def me(req: Request) -> Response:
        seen.append(req.identity)
        assert req.identity is not None
        return Response.json(req.identity.to_dict())

    return app, seen


def easy_auth_header(claims: list[tuple[str, str]]) -> str:
    # The documented shape: auth_typ, claims as typ/val pairs, name_typ, role_typ.
    principal = {
        "auth_typ": "aad",
        "claims": [{"typ": typ, "val": val} for typ, val in claims],
        "name_typ": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name",
        "role_typ": "http://schemas.microsoft.com/ws/2008/06/identity/claims/role",
    }
    return base64.b64encode(json.dumps(principal).encode()).decode()


def userinfo_header(claims: dict[str, Any]) -> str:
    # base64url without padding, as API Gateway writes it.
    return base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")


AZURE = (
    "azure",
    "X-MS-CLIENT-PRINCIPAL",
    easy_auth_header(
        [
            ("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier", "alice"),
            ("iss", ISSUER),
            ("aud", "api"),
            ("http://schemas.microsoft.com/identity/claims/scope", "me.read other"),
            ("roles", "admin"),
            ("roles", "reader"),
        ]
    ),
)
GCP = (
    "gcp",
    "X-Apigateway-Api-Userinfo",
    userinfo_header(
        {
            "sub": "alice",
            "iss": ISSUER,
            "aud": "api",
            "scope": "me.read other",
            "roles": ["admin", "reader"],
        }
    ),
)


@pytest.mark.parametrize(("host", "header", "value"), [AZURE, GCP], ids=["azure", "gcp"])
def test_the_front_doors_claims_are_the_identity_when_deployed_behind_it(
    host: str, header: str, value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, _ = build()
    monkeypatch.setenv("POLYFN_AUTH_FRONT", "jwt")
    answer = host_named(host).http(app, "GET", "/me", headers=[(header, value)])
    assert answer.status == 200, answer.body
    identity = answer.json()
    assert identity["subject"] == "alice"
    assert identity["issuer"] == ISSUER
    assert identity["scopes"] == ["me.read", "other"]
    assert identity["claims"]["roles"] == ["admin", "reader"]


@pytest.mark.parametrize(("host", "header", "value"), [AZURE, GCP], ids=["azure", "gcp"])
def test_the_same_header_without_the_front_door_proves_nothing(
    host: str, header: str, value: str
) -> None:
    app, seen = build()
    answer = host_named(host).http(app, "GET", "/me", headers=[(header, value)])
    assert answer.status == 401
    assert seen == []


@pytest.mark.parametrize("host", ["azure", "gcp"])
@pytest.mark.parametrize("value", ["", "%%%", "bm90IGpzb24", "W10", "e30", "x" * 20000])
def test_a_malformed_claims_header_is_401_behind_the_front_door(
    host: str, value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Not base64, not JSON, a list, an empty object, oversized: no claims, and with no
    # bearer token either the answer is 401.
    app, seen = build()
    monkeypatch.setenv("POLYFN_AUTH_FRONT", "jwt")
    header = "X-MS-CLIENT-PRINCIPAL" if host == "azure" else "X-Apigateway-Api-Userinfo"
    answer = host_named(host).http(app, "GET", "/me", headers=[(header, value)])
    assert answer.status == 401
    assert seen == []


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.none(),
        st.text(max_size=200),
        st.binary(max_size=200).map(lambda raw: base64.b64encode(raw).decode()),
    )
)
def test_the_claims_readers_never_raise(value: str | None) -> None:
    for read in (easy_auth_claims, gateway_claims):
        claims = read(value)
        assert claims is None or (isinstance(claims, dict) and claims)


def test_polyfn_run_never_reads_a_gateway_header(monkeypatch: pytest.MonkeyPatch) -> None:
    # The local runtime serves through Google's adapter, but no gateway is in front of
    # it, whatever the shell's settings say.
    app, seen = build()
    monkeypatch.setenv("POLYFN_AUTH_FRONT", "jwt")
    _, header, value = GCP
    answer = host_named("local").http(app, "GET", "/me", headers=[(header, value)])
    assert answer.status == 401
    assert seen == []


def _other_issuer(host: str) -> str:
    if host == "azure":
        return easy_auth_header(
            [("sub", "alice"), ("iss", "https://other.example/"), ("aud", "api")]
        )
    return userinfo_header(
        {"sub": "alice", "iss": "https://other.example/", "aud": "api", "scope": "me.read"}
    )


@pytest.mark.parametrize(("host", "header", "value"), [AZURE, GCP], ids=["azure", "gcp"])
def test_claims_the_front_door_validated_for_another_issuer_are_refused(
    host: str, header: str, value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Easy Auth is app-wide: with two issuers, a token it accepted for one reaches the
    # other's routes, and polyfn must not take it as this route's.
    app, seen = build()
    monkeypatch.setenv("POLYFN_AUTH_FRONT", "jwt")
    answer = host_named(host).http(app, "GET", "/me", headers=[(header, _other_issuer(host))])
    assert answer.status == 401
    assert answer.json()["error"]["message"] == "token issuer not accepted"
    assert seen == []
