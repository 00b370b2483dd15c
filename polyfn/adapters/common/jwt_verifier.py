"""Verify a bearer token where no front door did: PyJWT with ``cryptography`` (``polyfn[jwt]``).

Loaded by the first token a polyfn-verified route sees, so an app without JWT routes,
or one whose gateway validates them, never imports PyJWT. The issuer's keys come from
its JWKS document and are kept per URL for ``JWT.jwks_max_age`` seconds:

- a token whose ``kid`` the cache lacks (the issuer rotated its keys) refreshes the
  document once; another unknown ``kid`` within ``JWT.refresh_interval`` seconds is
  refused without a fetch, so a stream of forged ``kid`` values costs no fetch each;
- a fetch waits at most ``JWT.fetch_timeout`` seconds; when it fails, keys fetched
  before are used even past their age (the issuer's outage must not lock every caller
  out), and with none at all the answer is 503.

A verified token is remembered (``VerifiedTokens``): keyed on its SHA-256 digest, kept
at most ``JWT.token_cache_ttl`` seconds and never past its ``exp`` (by the wall clock
its ``exp`` is read against), in a cache bounded by ``JWT.token_cache_size`` entries
whose oldest goes first. A hit hands out a copy of the claims, so a handler editing
``req.identity.claims`` cannot change what the next request sees. A refused token is
never remembered: each attempt pays for its own refusal.

PyJWT reads the issuer's keys (``PyJWK``); the token is taken apart and its claims
checked here (``exp``/``nbf`` with leeway, ``iss``, ``aud``), and its signature is
checked by ``cryptography`` on the key object kept from the JWKS. The algorithm comes
from the route's ``JWT(algorithms=...)`` and the key's own type, never from the token's
header alone: ``alg: none`` and an HS256 token "signed" with the public key are both
refused.
"""

from __future__ import annotations

import binascii
import hashlib
import json
import logging
import threading
import time
import urllib.request
from collections.abc import Callable
from typing import Any

from polyfn.core.auth import JWT, AuthError, TtlCache, unauthorized

__all__ = ["JwksCache", "VerifiedTokens", "cache_for", "forget_keys", "verify_token"]

_log = logging.getLogger("polyfn.auth")

# A JWKS document larger than this is no issuer's: refused rather than parsed.
_MAX_JWKS_BYTES = 1 << 20


class JwksUnavailable(Exception):
    """The issuer's keys could not be fetched or read."""


def fetch_jwks(url: str, timeout: float) -> dict[str, Any]:
    """GET the JWKS document at ``url`` (stdlib urllib, bounded by ``timeout``)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            body = answer.read(_MAX_JWKS_BYTES + 1)
    except Exception as exc:  # URLError, timeouts, resets: all "unreachable"
        raise JwksUnavailable(f"{type(exc).__name__}: {exc}") from None
    if len(body) > _MAX_JWKS_BYTES:
        raise JwksUnavailable("JWKS document too large")
    try:
        document = json.loads(body)
    except ValueError:
        raise JwksUnavailable("JWKS document is not JSON") from None
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise JwksUnavailable("JWKS document has no keys list")
    return document


class JwksCache:
    """The keys of one JWKS URL: fetched on demand, kept for a bounded time."""

    def __init__(
        self,
        url: str,
        *,
        max_age: float,
        refresh_interval: float,
        timeout: float,
        fetch: Callable[[str, float], dict[str, Any]] = fetch_jwks,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self.max_age = max_age
        self.refresh_interval = refresh_interval
        self.timeout = timeout
        self._fetch = fetch
        self._clock = clock
        self._keys: dict[str, tuple[Any, str | None, bool]] = {}
        self._fetched_at: float | None = None
        self._miss_refreshed_at: float | None = None
        self._lock = threading.Lock()
        self.fetches = 0  # how many times the document was fetched (tests read it)

    def key(self, kid: str) -> tuple[Any, str | None, bool]:
        """The public key ``kid`` names (a ``cryptography`` key object), the algorithm
        the JWKS pins it to, if any, and whether it is an RSA key; ``AuthError`` 401
        (unknown) or 503 (no keys)."""
        # Without the lock while the keys are fresh: _refresh swaps in a whole new dict
        # before it moves _fetched_at, so a reader sees the old keys or the new ones.
        fetched_at = self._fetched_at
        if fetched_at is not None:
            key = self._keys.get(kid)
            if key is not None and self._clock() - fetched_at < self.max_age:
                return key
        with self._lock:
            now = self._clock()
            stale = self._fetched_at is None or now - self._fetched_at >= self.max_age
            if stale:
                self._refresh(now)
            elif kid not in self._keys and (
                self._miss_refreshed_at is None
                or now - self._miss_refreshed_at >= self.refresh_interval
            ):
                # An unknown kid: the issuer may have rotated. One refresh, then none
                # for refresh_interval, however many unknown kids arrive.
                self._miss_refreshed_at = now
                self._refresh(now)
            key = self._keys.get(kid)
        if key is None:
            raise unauthorized("token signed with an unknown key")
        return key

    def _refresh(self, now: float) -> None:
        self.fetches += 1
        try:
            document = self._fetch(self.url, self.timeout)
        except JwksUnavailable as exc:
            # Keep the keys fetched before: an issuer's outage must not lock callers out.
            _log.warning("JWKS %s unreachable: %s", self.url, exc)
            if not self._keys:
                raise AuthError(503, "token keys unavailable") from None
            # Retry after refresh_interval, not on every request.
            self._fetched_at = now - max(0.0, self.max_age - self.refresh_interval)
            return
        import jwt
        from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

        keys: dict[str, Any] = {}
        for entry in document["keys"]:
            if not isinstance(entry, dict) or not isinstance(entry.get("kid"), str):
                continue
            try:
                alg = entry.get("alg")
                key = jwt.PyJWK(entry).key
                keys[entry["kid"]] = (
                    key,
                    alg if isinstance(alg, str) else None,
                    isinstance(key, RSAPublicKey),
                )
            except Exception as exc:  # a key of an unsupported type: skipped, not fatal
                _log.warning("JWKS %s: key %s skipped (%s)", self.url, entry["kid"], exc)
        self._keys = keys
        self._fetched_at = now


_caches: dict[str, JwksCache] = {}
_caches_lock = threading.Lock()


def forget_keys() -> None:
    """Drop every cached JWKS and verified token (tests: an issuer on a reused port is
    another issuer)."""
    with _caches_lock:
        _caches.clear()
        _verified.clear()
        _plans.clear()


class VerifiedTokens:
    """The tokens one ``JWT(...)`` accepted lately, by digest, until the earlier of
    ``exp`` and ``token_cache_ttl`` seconds after their check."""

    def __init__(self, config: JWT, clock: Callable[[], float] | None = None) -> None:
        self.ttl = config.token_cache_ttl
        # The wall clock, as check_claims reads it (exp is a wall-clock instant), looked
        # up per call so that the clock the checks see is the one the cache sees.
        self._clock = clock or _wall_clock
        self._entries = TtlCache(config.token_cache_size, self._clock)

    @staticmethod
    def digest(token: str) -> bytes:
        return hashlib.sha256(token.encode()).digest()

    def get(self, digest: bytes) -> dict[str, Any] | None:
        claims = self._entries.get(digest)
        return dict(claims) if claims is not None else None

    def put(self, digest: bytes, claims: dict[str, Any]) -> None:
        lifetime = min(self.ttl, claims["exp"] - self._clock())
        if lifetime > 0:
            self._entries.put(digest, dict(claims), lifetime)

    def __len__(self) -> int:
        return len(self._entries)


def _wall_clock() -> float:
    return time.time()


_verified: dict[JWT, VerifiedTokens] = {}


def verified_tokens(config: JWT) -> VerifiedTokens | None:
    """The verified-token cache of ``config``; None when it keeps none."""
    if not config.token_cache_size or not config.token_cache_ttl:
        return None
    # Keyed by the JWT object itself (its identity): two JWT(...) with other audiences
    # or leeway must not share answers.
    cache = _verified.get(config)
    if cache is None:
        with _caches_lock:
            cache = _verified.setdefault(config, VerifiedTokens(config))
    return cache


def cache_for(config: JWT) -> JwksCache:
    with _caches_lock:
        cache = _caches.get(config.jwks_url)
        if cache is None:
            cache = _caches[config.jwks_url] = JwksCache(
                config.jwks_url,
                max_age=config.jwks_max_age,
                refresh_interval=config.refresh_interval,
                timeout=config.fetch_timeout,
            )
        return cache


class _Plan:
    """What verifying a token under one ``JWT(...)`` needs, looked up once per config
    rather than per request: its verified-token cache, its issuer's keys, its algorithms."""

    __slots__ = ("algorithms", "jwks", "pkcs1v15", "remembered", "sha256")

    def __init__(self, config: JWT) -> None:
        from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
        from cryptography.hazmat.primitives.hashes import SHA256

        self.remembered = verified_tokens(config)
        self.jwks = cache_for(config)
        self.algorithms = frozenset(config.algorithms)
        # RS256's padding and hash, made once (both are stateless).
        self.pkcs1v15 = PKCS1v15()
        self.sha256 = SHA256()


_plans: dict[JWT, _Plan] = {}


def _plan_for(config: JWT) -> _Plan:
    try:
        # PyJWK reads the issuer's keys, cryptography checks signatures: polyfn[jwt].
        import cryptography  # noqa: F401
        import jwt  # noqa: F401
    except ImportError:
        raise AuthError(503, "token verification unavailable") from None  # logged by dispatch
    with _caches_lock:
        plan = _plans.get(config)
    if plan is None:
        plan = _Plan(config)
        with _caches_lock:
            plan = _plans.setdefault(config, plan)
    return plan


def verify_token(token: str, config: JWT) -> dict[str, Any]:
    """The verified claims of ``token`` under ``config``; ``AuthError`` when any check fails.

    The token is taken apart here rather than by ``jwt.decode``: PyJWT checks the base64
    alphabet one character at a time in Python and goes through its generic algorithm
    objects, which together cost more than the RSA signature check itself
    (``benchmarks/auth_cost.py``). An RS256 signature is checked by ``cryptography``'s
    ``RSAPublicKey.verify`` on the key object kept from the JWKS; other algorithms by
    PyJWT's algorithm objects (over ``cryptography`` too).
    """
    plan = _plans.get(config) or _plan_for(config)
    remembered = plan.remembered
    if remembered is not None:
        digest = remembered.digest(token)
        claims = remembered.get(digest)
        if claims is not None:
            return claims
    try:
        raw = token.encode("ascii")
    except UnicodeEncodeError:
        raise unauthorized("token is malformed") from None
    first = raw.find(b".")
    second = raw.find(b".", first + 1)
    if first < 0 or second < 0 or raw.find(b".", second + 1) >= 0:
        raise unauthorized("token is malformed")  # bearer_token lets none of these by
    fields = _header_fields(token[:first])
    if fields is None:
        raise unauthorized("token is malformed")
    alg, critical, kid = fields
    if type(alg) is not str or alg not in plan.algorithms:
        raise unauthorized("token algorithm not allowed")
    if critical:
        # RFC 7515 section 4.1.11: an extension polyfn does not know must be refused.
        raise unauthorized("token has critical extensions")
    if type(kid) is not str or not kid:
        raise unauthorized("token names no key")
    key, pinned_alg, is_rsa = plan.jwks.key(kid)
    if pinned_alg is not None and pinned_alg != alg:
        raise unauthorized("token algorithm does not match its key")
    signature = _segment_bytes(raw[second + 1 :])
    if signature is None:
        raise unauthorized("token is malformed")
    if not _signature_valid(plan, alg, key, is_rsa, raw[:second], signature):
        raise unauthorized("token signature invalid")
    claims = _json_segment(raw[first + 1 : second])
    if type(claims) is not dict:
        raise unauthorized("token is malformed")
    check_claims(claims, config, time.time())
    if remembered is not None:
        remembered.put(digest, claims)
    return claims


def _signature_valid(
    plan: _Plan, alg: str, key: Any, is_rsa: bool, signed: bytes, signature: bytes
) -> bool:
    if alg == "RS256" and is_rsa:
        # PyJWT's RSAAlgorithm.verify makes this very call, behind its lookups and a new
        # padding and hash object per call.
        try:
            key.verify(signature, signed, plan.pkcs1v15, plan.sha256)
        except Exception:  # InvalidSignature, or a signature of the wrong length
            return False
        return True
    import jwt

    try:
        algorithm = _algorithms.get(alg) or _algorithms.setdefault(
            alg, jwt.get_algorithm_by_name(alg)
        )
        return bool(algorithm.verify(signed, key, signature))
    except Exception:  # a key of another type than the algorithm: no valid signature
        return False


_algorithms: dict[str, Any] = {}

# The header segment is the same text in every token one key signs ({"alg", "kid",
# "typ"}): read once, its three fields are kept. Bounded: a stream of made-up headers
# empties it rather than growing it.
_MAX_HEADERS = 256
_headers: dict[str, tuple[Any, bool, Any]] = {}


def _header_fields(head: str) -> tuple[Any, bool, Any] | None:
    """``alg``, whether ``crit`` is present, and ``kid`` of a header segment; None when
    the segment is not a JSON object."""
    fields = _headers.get(head)
    if fields is None:
        header = _json_segment(head.encode("ascii"))
        if not isinstance(header, dict):
            return None
        fields = (header.get("alg"), header.get("crit") is not None, header.get("kid"))
        if len(_headers) >= _MAX_HEADERS:
            _headers.clear()
        _headers[head] = fields
    return fields


# base64url (RFC 4648 section 5) read by binascii's strict base64 decoder: "-" and "_"
# become "+" and "/" and, in the same pass, any "+", "/" or "=" already there is
# dropped, so that a segment that shrank held one and is refused (base64url has none,
# and JWS segments carry no padding).
_URL_TO_STANDARD = bytes.maketrans(b"-_", b"+/")
_PADDING = (b"", b"===", b"==", b"=")


def _segment_bytes(segment: bytes) -> bytes | None:
    standard = segment.translate(_URL_TO_STANDARD, b"+/=")
    size = len(segment)
    if len(standard) != size or size % 4 == 1:
        return None
    try:
        return binascii.a2b_base64(standard + _PADDING[size % 4], strict_mode=True)
    except binascii.Error:
        return None


def _json_segment(segment: bytes) -> Any:
    raw = _segment_bytes(segment)
    if raw is None:
        return None
    try:
        # Text, not bytes: json.loads sniffs the encoding of bytes in Python, which
        # costs more than decoding them (a token's segments are UTF-8, RFC 7519 section 7.2).
        text = raw.decode()
        # The decoder's C scanner straight away: JSONDecoder.decode wraps it in two
        # regular-expression matches for surrounding whitespace, which cost more than
        # scanning a token's payload. Text it does not take whole (whitespace around the
        # value, or something after it) goes through decode, which accepts or refuses
        # it as json.loads would.
        try:
            value, end = _scan_json(text, 0)
        except StopIteration:
            return _decode_json(text)
        return value if end == len(text) else _decode_json(text)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return None


def _no_constant(name: str) -> Any:
    # NaN and Infinity are no JSON (RFC 8259 section 6); an "exp" of NaN would compare
    # false with every instant and so never expire.
    raise ValueError(f"{name} is not JSON")


_json_decoder = json.JSONDecoder(parse_constant=_no_constant)
_decode_json = _json_decoder.decode
# Set by JSONDecoder.__init__ (the C scanner where _json is built), not in the stubs.
_scan_json: Callable[[str, int], tuple[Any, int]] = _json_decoder.scan_once  # type: ignore[attr-defined]


# The types a JSON number is read as; bool, though an int, is not one.
_NUMBERS = frozenset({int, float})


def check_claims(claims: dict[str, Any], config: JWT, now: float) -> None:
    """RFC 7519 section 4.1's checks: ``exp`` (required), ``nbf``, ``iss``, ``aud``.

    ``claims`` is a token's payload as ``json`` reads it, so exact type tests suffice."""
    exp: Any = claims.get("exp")
    iss, aud = claims.get("iss"), claims.get("aud")
    if exp is None or iss is None or aud is None:
        for name in ("exp", "iss", "aud"):
            if name not in claims:
                raise unauthorized(f"token lacks the {name} claim")
    if type(exp) not in _NUMBERS:
        raise unauthorized("token is malformed")
    nbf, iat, sub = claims.get("nbf"), claims.get("iat"), claims.get("sub")
    if nbf is not None and type(nbf) not in _NUMBERS:
        raise unauthorized("token is malformed")
    if iat is not None and type(iat) not in _NUMBERS:
        raise unauthorized("token is malformed")
    if sub is not None and type(sub) is not str:
        raise unauthorized("token is malformed")
    leeway = config.leeway
    if now - leeway >= exp:
        raise unauthorized("token expired")
    if nbf is not None and now + leeway < nbf:
        raise unauthorized("token not yet valid")
    if iss != config.issuer:
        raise unauthorized("token issuer not accepted")
    if type(aud) is str:
        accepted = aud in config.audience
    else:
        accepted = type(aud) is list and any(
            type(item) is str and item in config.audience for item in aud
        )
    if not accepted:
        raise unauthorized("token audience not accepted")
