"""The verified-token cache of polyfn's own JWT verification: a token accepted once is
not checked again until the earlier of its ``exp`` and ``token_cache_ttl``; a refused
token, an expired one or one of another ``JWT(...)`` is never answered from it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from polyfn import JWT
from polyfn.adapters.common import jwt_verifier
from polyfn.adapters.common.jwt_verifier import VerifiedTokens, verified_tokens, verify_token
from polyfn.core.auth import AuthError
from polyfn.testing.issuer import LocalIssuer, local_issuer


@pytest.fixture
def issuer() -> Iterator[LocalIssuer]:
    with local_issuer() as made:
        yield made


class _Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def _count_full_checks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many tokens went through the signature and the claims' checks."""
    checks = [0]
    real = jwt_verifier.check_claims

    def counting(claims: dict[str, Any], config: JWT, now: float) -> None:
        checks[0] += 1
        real(claims, config, now)

    monkeypatch.setattr(jwt_verifier, "check_claims", counting)
    return checks


def test_a_repeated_token_is_verified_once(
    issuer: LocalIssuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = JWT(issuer=issuer.url, audience="api")
    token = issuer.token(sub="alice")
    checked = _count_full_checks(monkeypatch)
    first = verify_token(token, config)
    assert checked[0] == 1
    second = verify_token(token, config)
    assert checked[0] == 1
    assert second == first and second["sub"] == "alice"
    # Each caller gets its own copy: a handler's edit does not reach the next request.
    second["sub"] = "mallory"
    assert verify_token(token, config)["sub"] == "alice"
    # The cache holds digests, not tokens.
    cache = verified_tokens(config)
    assert cache is not None and len(cache) == 1
    assert list(cache._entries._entries) == [VerifiedTokens.digest(token)]


def test_another_jwt_declaration_does_not_share_answers(issuer: LocalIssuer) -> None:
    token = issuer.token(sub="alice", audience="api")
    assert verify_token(token, JWT(issuer=issuer.url, audience="api"))["sub"] == "alice"
    with pytest.raises(AuthError, match="token audience not accepted"):
        verify_token(token, JWT(issuer=issuer.url, audience="other"))


def test_a_refused_token_is_not_remembered(issuer: LocalIssuer) -> None:
    config = JWT(issuer=issuer.url, audience="api")
    bad = issuer.token(sub="a")[:-6] + "AAAAAA"
    for _ in range(2):
        with pytest.raises(AuthError, match="token signature invalid"):
            verify_token(bad, config)
    cache = verified_tokens(config)
    assert cache is not None and len(cache) == 0


def test_an_entry_never_outlives_the_tokens_exp_nor_the_ttl(issuer: LocalIssuer) -> None:
    config = JWT(issuer=issuer.url, audience="api", token_cache_ttl=300)
    clock = _Clock()
    cache = VerifiedTokens(config, clock)
    short = {"sub": "a", "exp": clock.now + 10}
    long = {"sub": "b", "exp": clock.now + 3600}
    cache.put(b"short", short)
    cache.put(b"long", long)
    clock.now += 9.9
    assert cache.get(b"short") == short
    clock.now += 0.1  # at exp: gone, though the TTL is far
    assert cache.get(b"short") is None
    assert cache.get(b"long") == long
    clock.now += 290  # 300 s after the check: gone, though exp is far
    assert cache.get(b"long") is None
    # Accepted only within the leeway after exp: not cached at all.
    cache.put(b"late", {"sub": "c", "exp": clock.now - 1})
    assert cache.get(b"late") is None


def test_an_expired_token_is_refused_after_it_was_cached(
    issuer: LocalIssuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = JWT(issuer=issuer.url, audience="api", leeway=0)
    token = issuer.token(sub="alice", lifetime=60)
    verify_token(token, config)
    later = time.time() + 61
    monkeypatch.setattr(time, "time", lambda: later)
    with pytest.raises(AuthError, match="token expired"):
        verify_token(token, config)


def test_the_cache_is_bounded(issuer: LocalIssuer) -> None:
    config = JWT(issuer=issuer.url, audience="api", token_cache_size=2)
    tokens = [issuer.token(sub=f"user{n}") for n in range(3)]
    for token in tokens:
        verify_token(token, config)
    cache = verified_tokens(config)
    assert cache is not None and len(cache) == 2
    # The oldest went first.
    assert cache.get(VerifiedTokens.digest(tokens[0])) is None
    assert cache.get(VerifiedTokens.digest(tokens[2])) is not None


def test_a_size_or_ttl_of_zero_keeps_no_tokens(issuer: LocalIssuer) -> None:
    assert verified_tokens(JWT(issuer=issuer.url, audience="api", token_cache_size=0)) is None
    assert verified_tokens(JWT(issuer=issuer.url, audience="api", token_cache_ttl=0)) is None


def test_the_header_cache_is_bounded_and_keeps_refusing(issuer: LocalIssuer) -> None:
    import base64
    import json

    config = JWT(issuer=issuer.url, audience="api")
    token = issuer.token(sub="alice")
    _, payload, signature = token.split(".")
    for n in range(jwt_verifier._MAX_HEADERS + 10):
        head = base64.urlsafe_b64encode(
            json.dumps({"alg": "none", "kid": f"k{n}"}).encode()
        ).rstrip(b"=")
        with pytest.raises(AuthError, match="token algorithm not allowed"):
            verify_token(f"{head.decode()}.{payload}.{signature}", config)
        # The same header again, from the cache: refused the same way.
        with pytest.raises(AuthError, match="token algorithm not allowed"):
            verify_token(f"{head.decode()}.{payload}.{signature}", config)
    assert len(jwt_verifier._headers) <= jwt_verifier._MAX_HEADERS
    assert verify_token(token, config)["sub"] == "alice"


def _signed(issuer: LocalIssuer, payload: bytes) -> str:
    """An RS256 token over ``payload`` as it is, signed with the issuer's key."""
    import base64
    import json

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    def segment(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    head = segment(json.dumps({"alg": "RS256", "kid": issuer.current_kid}).encode())
    signed = f"{head}.{segment(payload)}"
    key = issuer._keys[issuer.current_kid]
    return f"{signed}.{segment(key.sign(signed.encode(), padding.PKCS1v15(), hashes.SHA256()))}"


def test_a_payload_is_read_as_json_reads_it_and_nan_is_no_number(issuer: LocalIssuer) -> None:
    config = JWT(issuer=issuer.url, audience="api", token_cache_size=0)
    exp = int(time.time()) + 300
    claims = f'"iss": "{issuer.url}", "aud": "api", "sub": "alice"'
    # Whitespace around the object is JSON; the verifier's fast scan hands it to decode.
    spaced = _signed(issuer, f' {{{claims}, "exp": {exp}}}\n'.encode())
    assert verify_token(spaced, config)["sub"] == "alice"
    for payload in (
        f'{{{claims}, "exp": NaN}}',  # would compare false with every instant
        f'{{{claims}, "exp": Infinity}}',
        f'{{{claims}, "exp": {exp}}} trailing',
        f'{{{claims}, "exp": "{exp}"}}',
        f'{{{claims}, "exp": true}}',
        f'[{{{claims}, "exp": {exp}}}]',
    ):
        with pytest.raises(AuthError) as refused:
            verify_token(_signed(issuer, payload.encode()), config)
        assert refused.value.status == 401, payload


def test_base64url_segments_are_strict(issuer: LocalIssuer) -> None:
    config = JWT(issuer=issuer.url, audience="api", token_cache_size=0)
    token = issuer.token(sub="alice")
    head, payload, signature = token.split(".")
    assert verify_token(token, config)["sub"] == "alice"
    for bad in (
        f"{head}.{payload}.{signature}=",  # padding
        f"{head}.{payload}.{signature.replace('-', '+').replace('_', '/')}",
        f"{head}.{payload}.{signature[:-1]}",  # a length base64 cannot have, or bits lost
        f"{head}.{payload}.{signature}\n",
        f"{head}.{payload}.{signature[:10]}é{signature[11:]}",
    ):
        if bad == token:
            continue  # the signature held neither "-" nor "_"
        with pytest.raises(AuthError):
            verify_token(bad, config)
