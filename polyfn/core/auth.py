"""Who is calling: the identity on a request, and the auth modes a route declares.

A route declares how its caller proves who they are; dispatch asks the route's guard
before the handler runs, and the handler reads ``request.identity``:

- ``JWT(issuer=..., audience=..., scopes=[...])``: a bearer token from an OpenID Connect
  issuer. Where the deployment's front door validated the token already (an HTTP API JWT
  authorizer, Google Cloud API Gateway, Azure App Service Authentication) the adapter
  hands the verified claims over and polyfn only reads them; everywhere else (REST API,
  ALB, Function URLs, ``polyfn run``, a direct call) polyfn verifies the token itself
  with the optional ``polyfn[jwt]`` extra, through the verifier ``polyfn/__init__``
  installs here (core imports no third-party code).
- ``@app.authorizer``: a function of the App that answers ``Allow``/``Deny`` from the
  request's headers, query, path and source IP; its answers are cached for ``ttl``
  seconds keyed on the identity sources, as API Gateway caches a Lambda authorizer's.

Whether a front door validated is a deployment fact, not something a request can claim:
deploy writes ``POLYFN_AUTH_FRONT`` (``jwt``, ``authorizer``) in the settings of the
functions it put behind one, the adapter's entry point reads it once and its request
views hand over what the gateway verified (``Request._platform_claims``); a claims
header or authorizer context reaching a function without that setting is ignored (a
forged ``X-MS-CLIENT-PRINCIPAL`` sent straight to a function URL proves nothing).

Every refusal is an ``AuthError``: 401 (no or bad credentials, with a ``WWW-Authenticate``
challenge, RFC 6750 section 3), 403 (valid but not allowed: a missing scope, an
authorizer's deny) or 503 (the issuer's keys cannot be fetched and none are cached). The
message names the check that failed and never the token.
"""

from __future__ import annotations

from polyfn.core.errors import ConfigError
from polyfn.core.http import HTTPError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (cheap_typing.py)
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping
    from typing import Any, Protocol

    from polyfn.core.context import Context
    from polyfn.core.datastructures import Headers, MultiDict
    from polyfn.core.http import Request

    class TokenVerifier(Protocol):
        def __call__(self, token: str, config: JWT) -> dict[str, Any]: ...


_new = object.__new__

__all__ = [
    "FRONT_SETTING",
    "GATEWAY_SETTING",
    "JWT",
    "MAX_TOKEN_BYTES",
    "Allow",
    "AuthError",
    "AuthRequest",
    "Authorizer",
    "Deny",
    "Identity",
    "TokenIdentity",
    "set_token_verifier",
]

# The setting deploy writes for functions behind a front door that authenticates:
# a comma-separated list of what it checked ("jwt", "authorizer").
FRONT_SETTING = "POLYFN_AUTH_FRONT"
# The setting deploy writes for Google Cloud functions behind its API Gateway, which
# calls them with its own identity token (the client's moves to
# X-Forwarded-Authorization) and adds its own address to X-Forwarded-For.
GATEWAY_SETTING = "POLYFN_GCP_GATEWAY"

# API Gateway refuses a request whose headers pass 10 KiB (HTTP API quotas); a token
# over 8 KiB is no token any issuer polyfn knows writes, and parsing it is work for
# nothing. The verifier never sees one.
MAX_TOKEN_BYTES = 8192


# How many distinct "scope" strings a JWT(...) remembers; past that it starts over, so
# a stream of made-up ones costs memory for no more than this many.
_MAX_SCOPE_STRINGS = 256


class Identity:
    """Who is calling, the same on every runtime.

    ``method`` is how they proved it: ``"jwt"`` (a verified bearer token), ``"authorizer"``
    (the App's custom authorizer allowed them) or ``"key"`` (a platform key). ``claims``
    are the token's claims (``jwt``) or the authorizer's context (``authorizer``).
    """

    __slots__ = ("claims", "issuer", "method", "scopes", "subject")

    def __init__(
        self,
        subject: str | None,
        *,
        method: str,
        issuer: str | None = None,
        claims: Mapping[str, Any] | None = None,
        scopes: Iterable[str] = (),
    ) -> None:
        self.subject = subject
        self.method = method
        self.issuer = issuer
        # The platform's or the verifier's own dict, not a copy: built per request.
        self.claims: dict[str, Any] = claims if type(claims) is dict else dict(claims or {})
        self.scopes: tuple[str, ...] = tuple(scopes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "issuer": self.issuer,
            "method": self.method,
            "scopes": list(self.scopes),
            "claims": dict(self.claims),
        }

    def __repr__(self) -> str:
        return f"<Identity {self.method} {self.subject!r}>"


class TokenIdentity(Identity):
    """The identity of a JWT route's caller: ``method`` is ``"jwt"``, and ``subject`` and
    ``issuer`` are read from ``claims`` when asked (``sub`` and ``iss`` when they are
    text; the route's issuer otherwise), so a request whose handler reads neither does
    not pay for them. The three are read-only."""

    __slots__ = ("_route",)

    _route: JWT
    method = "jwt"

    @property
    def subject(self) -> str | None:  # type: ignore[override]
        subject = self.claims.get("sub")
        return subject if type(subject) is str else None

    @property
    def issuer(self) -> str | None:  # type: ignore[override]
        issuer = self.claims.get("iss")
        return issuer if type(issuer) is str else self._route.issuer


class AuthError(HTTPError):
    """A request refused by its route's auth: 401, 403 or 503, with a reason that names
    the failed check (``"token expired"``), never the token."""

    def __init__(self, status: int, reason: str, *, challenge: str | None = None) -> None:
        headers = {"www-authenticate": challenge} if challenge else None
        super().__init__(status, reason, headers=headers)
        self.reason = reason


def unauthorized(reason: str, error: str = "invalid_token") -> AuthError:
    """401 with a Bearer challenge (RFC 6750 section 3: ``error`` is ``invalid_request``
    when no token came, ``invalid_token`` when it failed a check)."""
    challenge = f'Bearer error="{error}", error_description="{reason}"'
    if error == "":
        challenge = "Bearer"
    return AuthError(401, reason, challenge=challenge)


def forbidden(reason: str) -> AuthError:
    return AuthError(
        403, reason, challenge=f'Bearer error="insufficient_scope", error_description="{reason}"'
    )


# ----------------------------------------------------------------------------- JWT

_verifier: TokenVerifier | None = None


def set_token_verifier(verifier: TokenVerifier | None) -> None:
    """Install what verifies a token's signature and claims (``polyfn/__init__`` does)."""
    global _verifier
    _verifier = verifier


class JWT:
    """Bearer tokens from an OpenID Connect issuer: ``auth=JWT(issuer=..., audience=...)``.

    The signature is checked against the issuer's JWKS (``jwks_url``, by default
    ``<issuer>/.well-known/jwks.json``, where Cognito and Auth0 publish it), then ``iss``,
    ``aud``, ``exp`` and ``nbf`` (with ``leeway`` seconds of clock skew) and, last, that
    the token grants every one of ``scopes`` (its ``scope`` or ``scp`` claim).
    ``jwks_max_age`` bounds how long fetched keys are trusted; a token signed with a key
    the cache does not hold refreshes it once (at most every ``refresh_interval`` seconds),
    and a fetch waits at most ``fetch_timeout`` seconds.

    A token polyfn verified is remembered (by its SHA-256, never the token itself) for
    at most ``token_cache_ttl`` seconds and never past its ``exp``, in a cache of at most
    ``token_cache_size`` tokens (0: none), so a client sending the same token again costs
    a hash, not a signature check. Scopes are checked on every request.
    """

    kind = "jwt"

    def __init__(
        self,
        issuer: str,
        audience: str | Iterable[str],
        scopes: Iterable[str] = (),
        *,
        jwks_url: str | None = None,
        algorithms: Iterable[str] = ("RS256",),
        leeway: float = 30.0,
        jwks_max_age: float = 600.0,
        refresh_interval: float = 30.0,
        fetch_timeout: float = 2.0,
        token_cache_size: int = 10_000,
        token_cache_ttl: float = 300.0,
    ) -> None:
        if not issuer:
            raise ConfigError("JWT needs the issuer's URL")
        audiences = (audience,) if isinstance(audience, str) else tuple(audience)
        if not audiences or not all(audiences):
            raise ConfigError("JWT needs an audience")
        allowed = tuple(algorithms)
        bad = [alg for alg in allowed if alg.lower() == "none" or alg.startswith("HS")]
        if not allowed or bad:
            # A symmetric algorithm would let anyone holding the public key sign.
            raise ConfigError(f"JWT algorithms must be asymmetric, got {allowed!r}")
        self.issuer = issuer
        self.audience: tuple[str, ...] = audiences
        self.scopes: tuple[str, ...] = tuple(scopes)
        self.jwks_url = jwks_url or issuer.rstrip("/") + "/.well-known/jwks.json"
        self.algorithms = allowed
        self.leeway = leeway
        self.jwks_max_age = jwks_max_age
        self.refresh_interval = refresh_interval
        self.fetch_timeout = fetch_timeout
        if token_cache_size < 0 or token_cache_ttl < 0:
            raise ConfigError("JWT token_cache_size and token_cache_ttl must not be negative")
        self.token_cache_size = token_cache_size
        self.token_cache_ttl = token_cache_ttl
        # The "scope" strings that passed the scopes check, with the scopes they grant
        # (a string that failed raised, and is not kept).
        self._granted: dict[str, tuple[str, ...]] = {}

    def authenticate(self, request: Request, ctx: Context) -> Identity:
        verified = request._platform_claims("jwt")
        if verified is not None:
            claims, scopes = verified
            # A front door may validate for several issuers at once (Azure's Easy Auth is
            # app-wide): a token it accepted for another route's issuer is not this one's.
            issuer = claims.get("iss")
            if issuer is not None and issuer != self.issuer:
                raise unauthorized("token issuer not accepted")
        else:
            token = bearer_token(request._authorization())
            if _verifier is None:
                raise ConfigError("no JWT verifier installed (import polyfn first)")
            claims = _verifier(token, self)
            scopes = None
            issuer = claims.get("iss")
        # The identity is built here rather than in a helper: this runs on every request
        # of a JWT route, where reading the platform's claims must cost at most 1.2x an
        # anonymous request (benchmarks/auth_cost.py).
        if scopes is None and type(value := claims.get("scope")) is str:
            # The usual case, a space-separated "scope": a client sends the same few
            # scope strings over and over, so each one is split and checked once.
            granted = self._granted.get(value)
            if granted is None:
                granted = self._check_scopes(tuple(value.split()))
                if len(self._granted) >= _MAX_SCOPE_STRINGS:
                    self._granted.clear()
                self._granted[value] = granted
        else:
            granted = self._check_scopes(tuple(scopes) if scopes is not None else scopes_of(claims))
        # Identity.__init__ without its keyword handling; subject and issuer are read
        # from the claims when the handler asks (TokenIdentity).
        identity: TokenIdentity = _new(TokenIdentity)
        identity.claims = claims
        identity.scopes = granted
        identity._route = self
        return identity

    def _check_scopes(self, granted: tuple[str, ...]) -> tuple[str, ...]:
        for scope in self.scopes:
            if scope not in granted:
                raise forbidden(f"token lacks scope {scope}")
        return granted

    def __repr__(self) -> str:
        return f"JWT(issuer={self.issuer!r}, audience={self.audience!r})"


def bearer_token(values: list[str]) -> str:
    """The token of ``Authorization: Bearer <token>`` (``values``: the request's
    Authorization headers); 401 when missing or malformed."""
    if len(values) != 1:
        if not values:
            raise unauthorized("no bearer token", "")
        raise unauthorized("more than one Authorization header", "invalid_request")
    value = values[0]
    if value[:7] == "Bearer ":
        token = value[7:].strip()  # what the partition below gives, for the usual case
    else:
        scheme, _, token = value.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer":
            token = ""
    if not token:
        raise unauthorized("Authorization is not a bearer token", "invalid_request")
    if len(token) > MAX_TOKEN_BYTES:
        raise unauthorized("token too large")
    if token.count(".") != 2 or not token.isascii():
        raise unauthorized("token is not a JWT")
    return token


def scopes_of(claims: Mapping[str, Any]) -> tuple[str, ...]:
    """The scopes a token grants: ``scope`` (a space-separated string, RFC 8693 section
    4.2) or ``scp`` (a list or a string, as Azure AD and Okta write it)."""
    value = claims.get("scope")
    if value is None:
        value = claims.get("scp")
    if type(value) is str:
        return tuple(value.split())
    if type(value) is list:
        return tuple(item for item in value if type(item) is str)
    return ()


# ----------------------------------------------------------------------------- authorizers


class AuthRequest:
    """What a custom authorizer sees: the request's method, path, path parameters,
    headers, query and source IP (as API Gateway's REQUEST authorizers receive them)."""

    __slots__ = ("client_ip", "headers", "method", "path", "path_params", "query")

    def __init__(
        self,
        method: str,
        path: str,
        headers: Headers,
        query: MultiDict,
        path_params: Mapping[str, str],
        client_ip: str | None,
    ) -> None:
        self.method = method
        self.path = path
        self.headers = headers
        self.query = query
        self.path_params = dict(path_params)
        self.client_ip = client_ip

    @classmethod
    def of(cls, request: Request) -> AuthRequest:
        return cls(
            request.method,
            request.path,
            request.headers,
            request.query,
            request.path_params,
            request.client_ip,
        )


class Allow:
    """An authorizer's yes: who the caller is and what the handler may read about them."""

    __slots__ = ("context", "scopes", "subject")

    def __init__(
        self,
        subject: str,
        *,
        context: Mapping[str, str | int | float | bool] | None = None,
        scopes: Iterable[str] = (),
    ) -> None:
        self.subject = subject
        self.context = dict(context or {})
        self.scopes = tuple(scopes)


class Deny:
    """An authorizer's no; ``reason`` is logged, never sent (the caller gets 403)."""

    __slots__ = ("reason",)

    def __init__(self, reason: str = "") -> None:
        self.reason = reason


class Authorizer:
    """A custom authorizer declared with ``@app.authorizer``; routes name it in ``auth=``.

    ``identity`` lists where the caller's credentials are, as ``header:<name>`` or
    ``query:<name>``: a request missing any of them is refused (401) without calling the
    function, and the answer for the same values is reused for ``ttl`` seconds (0: never).
    """

    kind = "authorizer"

    def __init__(
        self,
        name: str,
        function: Callable[[AuthRequest], Allow | Deny],
        *,
        ttl: int = 300,
        identity: Iterable[str] = ("header:authorization",),
        max_entries: int = 10_000,
        clock: Callable[[], float] | None = None,
    ) -> None:
        sources = tuple(identity)
        for source in sources:
            where, _, field = source.partition(":")
            if where not in ("header", "query") or not field:
                raise ConfigError(
                    f"authorizer {name}: identity sources are 'header:<name>' or "
                    f"'query:<name>', got {source!r}"
                )
        if ttl < 0 or (ttl and not sources):
            raise ConfigError(f"authorizer {name}: a cached answer needs identity sources")
        self.name = name
        self.function = function
        self.ttl = ttl
        self.identity = sources
        self._cache = TtlCache(max_entries, clock)

    def __call__(self, request: AuthRequest) -> Allow | Deny:
        return self.function(request)

    def key_of(self, headers: Headers, query: MultiDict) -> tuple[str, ...] | None:
        """The identity sources' values, or None when one is missing."""
        values = []
        for source in self.identity:
            where, _, field = source.partition(":")
            value = headers.get(field) if where == "header" else query.get(field)
            if not value:
                return None
            values.append(value)
        return tuple(values)

    def decide(self, request: AuthRequest, ctx: Context | None) -> Allow | Deny:
        """The authorizer's answer for ``request``, from the cache when it is fresh."""
        key = self.key_of(request.headers, request.query)
        if key is None:
            raise unauthorized("missing credentials", "")
        if self.ttl:
            cached = self._cache.get(key)
            if cached is not None:
                return cached  # type: ignore[no-any-return]
        verdict = self.function(request)
        if not isinstance(verdict, Allow | Deny):
            raise TypeError(
                f"authorizer {self.name} must return Allow or Deny, got {type(verdict).__name__}"
            )
        if self.ttl:
            self._cache.put(key, verdict, self.ttl)
        return verdict

    def authenticate(self, request: Request, ctx: Context) -> Identity:
        context = request._platform_claims("authorizer")
        if context is not None:
            claims, _ = context
            subject = claims.get("sub") or claims.get("principalId")
            scopes = str(claims.get("scopes", "")).split()
            return Identity(
                str(subject) if subject is not None else None,
                method="authorizer",
                claims={k: v for k, v in claims.items() if k not in _NOT_CONTEXT},
                scopes=scopes,
            )
        verdict = self.decide(AuthRequest.of(request), ctx)
        if isinstance(verdict, Deny):
            if ctx is not None:
                ctx.logger.info(
                    "authorizer %s denied %s %s: %s (request %s)",
                    self.name,
                    request.method,
                    request.path,
                    verdict.reason or "no reason given",
                    ctx.request_id,
                )
            raise AuthError(403, "Forbidden")
        return Identity(
            verdict.subject, method="authorizer", claims=verdict.context, scopes=verdict.scopes
        )

    def __repr__(self) -> str:
        return f"<Authorizer {self.name} ttl={self.ttl}>"


# What a gateway adds to an authorizer's context beside the App's own keys: the subject
# and scopes polyfn put there (aws/authorizer.py), and REST API's principalId and
# integrationLatency (api-gateway-lambda-authorizer-output.html, read 2026-12).
_NOT_CONTEXT = frozenset({"sub", "scopes", "principalId", "integrationLatency"})


class TtlCache:
    """A bounded map whose entries expire: the oldest entry goes when it is full."""

    def __init__(self, max_entries: int, clock: Callable[[], float] | None = None) -> None:
        # Imported here: `import polyfn` loads this module, and a Lambda cold start pays
        # for every module it loads (tests/adapters/aws/test_aws_runtime.py).
        import threading
        import time

        self._entries: dict[Any, tuple[float, Any]] = {}
        self._max = max_entries
        self._clock = clock or time.monotonic
        self._lock = threading.Lock()

    def get(self, key: Any) -> Any:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] <= self._clock():
                del self._entries[key]
                return None
            return entry[1]

    def put(self, key: Any, value: Any, ttl: float) -> None:
        with self._lock:
            self._entries.pop(key, None)
            while len(self._entries) >= self._max:
                del self._entries[next(iter(self._entries))]
            self._entries[key] = (self._clock() + ttl, value)

    def __len__(self) -> int:
        return len(self._entries)
