"""Auth, the same on every runtime: the article's API (``POST /users`` behind a custom
authorizer cached 300 s, ``GET /users/{id}`` with a JWT) and every bad-input case of a
bearer token. Tokens are made here and the issuer's JWKS is served on 127.0.0.1.

None of these runtimes is fronted by a gateway that validated the token (deploy's
``POLYFN_AUTH_FRONT`` is unset), so polyfn verifies every token itself; what the
fronted platforms hand over is pinned in tests/adapters/*/test_*auth*."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator

import jwt
import pytest

from polyfn.core.auth import MAX_TOKEN_BYTES
from polyfn.hosts import Host
from polyfn.testing.issuer import LocalIssuer, local_issuer

from .auth_app import build


@pytest.fixture
def issuer() -> Iterator[LocalIssuer]:
    with local_issuer() as made:
        yield made


def bearer(token: str) -> list[tuple[str, str]]:
    return [("Authorization", f"Bearer {token}")]


def refused(answer_status: int, answer_body: bytes, status: int, reason: str) -> None:
    assert answer_status == status, answer_body
    assert json.loads(answer_body)["error"]["message"] == reason


# ------------------------------------------------------------------------ the article's API


def test_get_with_a_valid_jwt_sees_the_identity(driver: Host, issuer: LocalIssuer) -> None:
    app, _ = build(issuer.url)
    token = issuer.token(sub="alice", scope="users:read users:write")
    answer = driver.http(app, "GET", "/users/7", headers=bearer(token))
    assert answer.status == 200, answer.body
    identity = answer.json()["identity"]
    assert identity["subject"] == "alice"
    assert identity["issuer"] == issuer.url
    assert identity["method"] == "jwt"
    assert identity["scopes"] == ["users:read", "users:write"]
    assert identity["claims"]["aud"] == "api"


def test_post_behind_the_authorizer(driver: Host, issuer: LocalIssuer) -> None:
    app, seen = build(issuer.url)
    headers = [("Authorization", "Bearer key-alice"), ("Content-Type", "application/json")]
    answer = driver.http(app, "POST", "/users", headers=headers, body=b'{"name": "Ada"}')
    assert answer.status == 201, answer.body
    assert answer.json() == {"created": {"name": "Ada"}, "by": "alice", "claims": {"tier": "gold"}}
    (request,) = seen["authorizer"]
    assert request.method == "POST" and request.path == "/users"
    assert request.client_ip  # the source IP, as the platform saw it


def test_the_authorizer_answer_is_cached_per_identity(driver: Host, issuer: LocalIssuer) -> None:
    app, seen = build(issuer.url)
    alice = [("Authorization", "Bearer key-alice")]
    bob = [("Authorization", "Bearer key-bob")]
    for headers in (alice, alice, bob, alice, bob):
        assert driver.http(app, "POST", "/users", headers=headers, body=b"{}").status == 201
    assert [r.headers["authorization"] for r in seen["authorizer"]] == [
        "Bearer key-alice",
        "Bearer key-bob",
    ]
    assert [i.subject for i in seen["identities"]] == ["alice", "alice", "bob", "alice", "bob"]


def test_the_authorizer_denies_with_403_and_a_deny_is_cached(
    driver: Host, issuer: LocalIssuer
) -> None:
    app, seen = build(issuer.url)
    for _ in range(2):
        answer = driver.http(app, "POST", "/users", headers=bearer("nobody"), body=b"{}")
        refused(answer.status, answer.body, 403, "Forbidden")
    assert len(seen["authorizer"]) == 1
    assert seen["identities"] == []


def test_no_identity_source_is_401_without_calling_the_authorizer(
    driver: Host, issuer: LocalIssuer
) -> None:
    app, seen = build(issuer.url)
    answer = driver.http(app, "POST", "/users", body=b"{}")
    refused(answer.status, answer.body, 401, "missing credentials")
    assert seen["authorizer"] == []


def test_an_anonymous_route_has_no_identity(driver: Host, issuer: LocalIssuer) -> None:
    app, seen = build(issuer.url)
    token = issuer.token(sub="alice", scope="users:read")
    assert driver.http(app, "GET", "/health", headers=bearer(token)).status == 200
    assert seen["identities"] == [None]


# ------------------------------------------------------------------------ bad tokens


def _hs256_with_the_public_key(issuer: LocalIssuer) -> str:
    # The classic confusion attack: the public key (public by definition) as an HMAC
    # secret. PyJWT refuses to sign with a PEM, so the token is put together by hand.
    import hashlib
    import hmac

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": issuer.current_kid}).encode())
    payload = b64(
        json.dumps(
            {
                "iss": issuer.url,
                "aud": "api",
                "sub": "mallory",
                "exp": 4102444800,
                "scope": "users:read",
            }
        ).encode()
    )
    signature = hmac.new(issuer.public_pem(), f"{header}.{payload}".encode(), hashlib.sha256)
    return f"{header}.{payload}.{b64(signature.digest())}"


def _alg_none(issuer: LocalIssuer) -> str:
    claims = {
        "iss": issuer.url,
        "aud": "api",
        "sub": "mallory",
        "exp": 4102444800,
        "scope": "users:read",
    }
    return jwt.encode(claims, None, algorithm="none", headers={"kid": issuer.current_kid})


BAD_TOKENS = {
    "expired": (
        lambda i: i.token(sub="a", scope="users:read", lifetime=-3600),
        401,
        "token expired",
    ),
    "not yet valid": (
        lambda i: i.token(sub="a", scope="users:read", nbf=4102444800),
        401,
        "token not yet valid",
    ),
    "wrong audience": (
        lambda i: i.token(sub="a", scope="users:read", audience="other"),
        401,
        "token audience not accepted",
    ),
    "wrong issuer": (
        lambda i: i.token(sub="a", scope="users:read", iss="https://evil.example"),
        401,
        "token issuer not accepted",
    ),
    "alg none": (_alg_none, 401, "token algorithm not allowed"),
    "hs256 with the public key": (_hs256_with_the_public_key, 401, "token algorithm not allowed"),
    "malformed": (lambda i: "abc.def.ghi", 401, "token is malformed"),
    "not a jwt": (lambda i: "opaque-token", 401, "token is not a JWT"),
    "bad signature": (
        lambda i: i.token(sub="a", scope="users:read")[:-6] + "AAAAAA",
        401,
        "token signature invalid",
    ),
    "no exp": (
        lambda i: i.token(sub="a", scope="users:read", exp=None),
        401,
        "token lacks the exp claim",
    ),
    "missing scope": (
        lambda i: i.token(sub="a", scope="users:write"),
        403,
        "token lacks scope users:read",
    ),
    "oversized": (
        lambda i: i.token(sub="a", scope="users:read", pad="x" * MAX_TOKEN_BYTES),
        401,
        "token too large",
    ),
}


@pytest.mark.parametrize("case", list(BAD_TOKENS))
def test_a_bad_token_is_refused_with_the_failed_check(
    driver: Host, issuer: LocalIssuer, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    make, status, reason = BAD_TOKENS[case]
    app, seen = build(issuer.url)
    token = make(issuer)
    with caplog.at_level(logging.INFO):
        answer = driver.http(app, "GET", "/users/7", headers=bearer(token))
    refused(answer.status, answer.body, status, reason)
    assert token not in answer.text and token[-20:] not in answer.text
    assert answer.headers.get("www-authenticate", "").startswith("Bearer")
    assert seen["identities"] == []
    assert any(reason in record.getMessage() for record in caplog.records)
    assert "Traceback" not in caplog.text


@pytest.mark.parametrize(
    "authorization",
    ["", "Basic dXNlcjpwYXNz", "Bearer", "Bearer  ", "bearer x.y", "Token a.b.c"],
)
def test_a_malformed_authorization_header_is_401(
    driver: Host, issuer: LocalIssuer, authorization: str
) -> None:
    app, _ = build(issuer.url)
    headers = [("Authorization", authorization)] if authorization else []
    answer = driver.http(app, "GET", "/users/7", headers=headers)
    assert answer.status == 401, answer.body


def test_a_forged_platform_claims_header_is_not_trusted(driver: Host, issuer: LocalIssuer) -> None:
    # The headers a gateway writes after validating a token (Azure Easy Auth, Google
    # API Gateway), sent straight to the function: no front door checked anything.
    app, seen = build(issuer.url)
    claims = {"iss": issuer.url, "aud": "api", "sub": "mallory", "scope": "users:read"}
    principal = {"auth_typ": "aad", "claims": [{"typ": "sub", "val": "mallory"}]}
    forged = [
        ("X-MS-CLIENT-PRINCIPAL", base64.b64encode(json.dumps(principal).encode()).decode()),
        ("X-MS-CLIENT-PRINCIPAL-ID", "mallory"),
        (
            "X-Apigateway-Api-Userinfo",
            base64.urlsafe_b64encode(json.dumps(claims).encode()).decode(),
        ),
    ]
    answer = driver.http(app, "GET", "/users/7", headers=forged)
    refused(answer.status, answer.body, 401, "no bearer token")
    assert seen["identities"] == []


# ------------------------------------------------------------------------ the issuer's keys


def test_an_unreachable_issuer_with_no_cached_keys_is_503(
    driver: Host, issuer: LocalIssuer
) -> None:
    app, _ = build(issuer.url)
    issuer.down = True
    answer = driver.http(app, "GET", "/users/7", headers=bearer(issuer.token(sub="a")))
    refused(answer.status, answer.body, 503, "token keys unavailable")


def test_an_unreachable_jwks_url_is_503(driver: Host, issuer: LocalIssuer) -> None:
    from polyfn.testing.emulators import free_port

    app, _ = build(issuer.url, jwks_url=f"http://127.0.0.1:{free_port()}/jwks.json")
    answer = driver.http(app, "GET", "/users/7", headers=bearer(issuer.token(sub="a")))
    refused(answer.status, answer.body, 503, "token keys unavailable")


def test_keys_fetched_before_serve_while_the_issuer_is_down(
    driver: Host, issuer: LocalIssuer
) -> None:
    from polyfn.adapters.common import jwt_verifier

    app, _ = build(issuer.url)
    token = issuer.token(sub="alice", scope="users:read")
    assert driver.http(app, "GET", "/users/7", headers=bearer(token)).status == 200
    issuer.down = True
    # Age the cache past its lifetime: the refresh fails and the old keys still serve.
    cache = jwt_verifier.cache_for(app.function("get_user").trigger.guard)  # type: ignore[union-attr,arg-type]
    cache.max_age = 0.0
    # Another token: the one checked before is answered from the verified-token cache.
    other = issuer.token(sub="bob", scope="users:read")
    assert driver.http(app, "GET", "/users/7", headers=bearer(other)).status == 200
    assert issuer.jwks_requests == 2  # the refresh was tried, and failed


def test_a_slow_issuer_is_503_after_the_bounded_timeout(driver: Host, issuer: LocalIssuer) -> None:
    from polyfn import JWT

    app, _ = build(issuer.url)
    slow = JWT(
        issuer=issuer.url, audience="api", fetch_timeout=0.2, jwks_url=issuer.jwks_url + "?slow"
    )
    app.function("get_user").trigger.guard = slow  # type: ignore[union-attr]
    issuer.delay = 0.6
    answer = driver.http(app, "GET", "/users/7", headers=bearer(issuer.token(sub="a")))
    refused(answer.status, answer.body, 503, "token keys unavailable")


def test_a_rotated_key_refreshes_the_keys_once(driver: Host, issuer: LocalIssuer) -> None:
    app, _ = build(issuer.url)
    first = issuer.token(sub="alice", scope="users:read")
    assert driver.http(app, "GET", "/users/7", headers=bearer(first)).status == 200
    assert issuer.jwks_requests == 1
    # The issuer signs with a key it has not published yet: unknown kid, one refresh.
    kid, key = issuer.unpublished_key()
    rogue = issuer.token(sub="alice", scope="users:read", kid=kid, key=key)
    for _ in range(3):
        answer = driver.http(app, "GET", "/users/7", headers=bearer(rogue))
        refused(answer.status, answer.body, 401, "token signed with an unknown key")
    assert issuer.jwks_requests == 2
    # Once published, a key the cache lacks is fetched (after the refresh interval).
    issuer.publish(kid, key)
    from polyfn.adapters.common import jwt_verifier

    cache = jwt_verifier.cache_for(app.function("get_user").trigger.guard)  # type: ignore[union-attr,arg-type]
    cache.refresh_interval = 0.0
    assert driver.http(app, "GET", "/users/7", headers=bearer(rogue)).status == 200
    assert issuer.jwks_requests == 3
    assert driver.http(app, "GET", "/users/7", headers=bearer(first)).status == 200
    assert issuer.jwks_requests == 3
