"""Mutated bearer tokens through a JWT route: headers and claims of every JSON type,
signed with the issuer's real key or not signed at all, and Authorization values of any
text. The answer is 401 or 403, never a 200 for a token that breaks a rule, never a 500,
and the verifier raises nothing but its own refusal."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fuzz.strategies import FUZZ, json_values, odd_text
from polyfn import JWT, App, Request, Response
from polyfn.adapters.common.jwt_verifier import verify_token
from polyfn.core.auth import AuthError
from polyfn.core.context import Context
from polyfn.testing.issuer import LocalIssuer, local_issuer


@pytest.fixture(scope="module")
def issuer() -> Iterator[LocalIssuer]:
    with local_issuer() as made:
        yield made


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _segment(value: Any) -> str:
    return _b64(json.dumps(value).encode())


def _valid_claims(issuer: LocalIssuer) -> dict[str, Any]:
    return {"iss": issuer.url, "aud": "api", "sub": "alice", "exp": 4102444800, "scope": "read"}


# A claim set with some claims replaced by values of any JSON type, or removed.
_claim_names = st.sampled_from(["iss", "aud", "sub", "exp", "nbf", "iat", "scope", "scp"])
_edits = st.lists(
    st.tuples(_claim_names, st.one_of(st.just("<drop>"), json_values)), min_size=1, max_size=3
)
_header_edits = st.lists(
    st.tuples(st.sampled_from(["alg", "kid", "typ", "jku", "x5u", "crit"]), json_values),
    min_size=1,
    max_size=3,
)


def _edited(base: dict[str, Any], edits: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(base)
    for name, value in edits:
        if value == "<drop>":
            out.pop(name, None)
        else:
            out[name] = value
    return out


def _route(issuer: LocalIssuer) -> App:
    app = App("fuzzauth")

    @app.get("/me", auth=JWT(issuer=issuer.url, audience="api", scopes=["read"]))
    def me(req: Request) -> Response:
        return Response.json({"sub": req.identity.subject if req.identity else None})

    return app


def _ask(app: App, authorization: str) -> int:
    request = Request("GET", "/me", headers={"authorization": authorization})
    return app.handle_http(request, Context("local", "me", "fuzz")).status


@FUZZ
@given(edits=_edits)
def test_signed_tokens_with_odd_claims(issuer: LocalIssuer, edits: list[tuple[str, Any]]) -> None:
    claims = _edited(_valid_claims(issuer), edits)
    try:
        token = jwt.encode(
            claims,
            issuer._keys[issuer.current_kid],
            algorithm="RS256",
            headers={"kid": issuer.current_kid},
        )
    except (TypeError, ValueError):
        return  # not encodable as JSON: no client could send it either
    status = _ask(_route(issuer), f"Bearer {token}")
    assert status in (200, 401, 403)
    if status == 200:
        # Accepted only when every checked claim still holds.
        from polyfn.core.auth import scopes_of

        decoded = jwt.decode(token, options={"verify_signature": False})
        assert decoded["iss"] == issuer.url
        assert decoded["aud"] == "api" or "api" in decoded["aud"]
        assert isinstance(decoded["exp"], int | float) and decoded["exp"] > 0
        assert "read" in scopes_of(decoded)


@FUZZ
@given(edits=_header_edits, signature=st.binary(max_size=64))
def test_forged_headers_and_signatures(
    issuer: LocalIssuer, edits: list[tuple[str, Any]], signature: bytes
) -> None:
    header = _edited({"alg": "RS256", "typ": "JWT", "kid": issuer.current_kid}, edits)
    token = f"{_segment(header)}.{_segment(_valid_claims(issuer))}.{_b64(signature)}"
    assert _ask(_route(issuer), f"Bearer {token}") in (401, 403)
    with pytest.raises(AuthError):
        verify_token(token, JWT(issuer=issuer.url, audience="api", jwks_url=issuer.jwks_url))


@FUZZ
@given(
    value=st.one_of(
        odd_text, st.text(max_size=60), st.lists(odd_text, min_size=3, max_size=3).map(".".join)
    )
)
def test_any_authorization_value(issuer: LocalIssuer, value: str) -> None:
    for authorization in (value, f"Bearer {value}"):
        if "\n" in authorization or "\r" in authorization:
            continue  # no server passes a line break inside a header on
        assert _ask(_route(issuer), authorization) == 401
