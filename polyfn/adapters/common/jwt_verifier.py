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

The checks are PyJWT's (signature, ``exp``/``nbf`` with leeway, ``iss``, ``aud``), with
the algorithm taken from the route's ``JWT(algorithms=...)`` and the key's own type,
never from the token's header alone: ``alg: none`` and an HS256 token "signed" with the
public key are both refused.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.request
from collections.abc import Callable
from typing import Any

from polyfn.core.auth import JWT, AuthError, unauthorized

__all__ = ["JwksCache", "verify_token"]

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
        self._keys: dict[str, Any] = {}
        self._fetched_at: float | None = None
        self._miss_refreshed_at: float | None = None
        self._lock = threading.Lock()
        self.fetches = 0  # how many times the document was fetched (tests read it)

    def key(self, kid: str) -> Any:
        """The public key ``kid`` names; ``AuthError`` 401 (unknown) or 503 (no keys)."""
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

        keys: dict[str, Any] = {}
        for entry in document["keys"]:
            if not isinstance(entry, dict) or not isinstance(entry.get("kid"), str):
                continue
            try:
                keys[entry["kid"]] = jwt.PyJWK(entry)
            except Exception as exc:  # a key of an unsupported type: skipped, not fatal
                _log.warning("JWKS %s: key %s skipped (%s)", self.url, entry["kid"], exc)
        self._keys = keys
        self._fetched_at = now


_caches: dict[str, JwksCache] = {}
_caches_lock = threading.Lock()


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


def verify_token(token: str, config: JWT) -> dict[str, Any]:
    """The verified claims of ``token`` under ``config``; ``AuthError`` when any check fails."""
    try:
        import jwt
    except ImportError:
        raise AuthError(503, "token verification unavailable") from None  # logged by dispatch
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise unauthorized("token is malformed") from None
    alg = header.get("alg")
    if alg not in config.algorithms:
        raise unauthorized("token algorithm not allowed")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise unauthorized("token names no key")
    jwk = cache_for(config).key(kid)
    if jwk.algorithm_name is not None and jwk.algorithm_name != alg:
        raise unauthorized("token algorithm does not match its key")
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            jwk.key,
            algorithms=[alg],
            audience=list(config.audience),
            issuer=config.issuer,
            leeway=config.leeway,
            options={"require": ["exp", "iss", "aud"]},
        )
    except jwt.ExpiredSignatureError:
        raise unauthorized("token expired") from None
    except jwt.ImmatureSignatureError:
        raise unauthorized("token not yet valid") from None
    except jwt.InvalidAudienceError:
        raise unauthorized("token audience not accepted") from None
    except jwt.InvalidIssuerError:
        raise unauthorized("token issuer not accepted") from None
    except jwt.MissingRequiredClaimError as exc:
        raise unauthorized(f"token lacks the {exc.claim} claim") from None
    except jwt.InvalidSignatureError:
        raise unauthorized("token signature invalid") from None
    except jwt.PyJWTError:
        raise unauthorized("token is malformed") from None
    except (ValueError, TypeError):
        # A crafted token can reach a key parser with values PyJWT does not wrap.
        raise unauthorized("token is malformed") from None
    return claims
