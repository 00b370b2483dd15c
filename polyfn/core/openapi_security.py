"""The auth of the App's routes in its OpenAPI 3.1 document: security schemes and the
per-operation ``security`` requirement, with the answers a refusal gives.

- ``JWT(...)``: an ``openIdConnect`` scheme per distinct issuer and audience
  (``jwt1``, ``jwt2``...), its discovery document at
  ``<issuer>/.well-known/openid-configuration``, the route's required scopes listed in
  the requirement (OpenAPI 3.1 section 4.8.30: for schemes other than OAuth2 and
  OpenID Connect the list holds role names; for OpenID Connect, the scopes).
- ``@app.authorizer``: an ``apiKey`` scheme per identity source (``header:<name>`` or
  ``query:<name>``); a requirement names every source at once (all are required, as
  API Gateway requires every identity source).
- ``"platform-key"`` (formerly ``"function"``): the platform's own check, one
  ``apiKey`` scheme (``FUNCTION_AUTH``).

A guarded route documents 401 (no or bad credentials) and 403 (a missing scope, an
authorizer's deny); a JWT route also 503 (the issuer's keys cannot be had); a route
with a body model 422. Each has the one error body (``#/components/schemas/Error``).
"""

from __future__ import annotations

from polyfn.core.functions import HttpTrigger

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (cheap_typing.py)
if TYPE_CHECKING:
    from typing import Any

    from polyfn.core.app import App

__all__ = ["FUNCTION_AUTH", "SecuritySchemes"]

# auth="platform-key" is the platform's check, which differs per cloud; one scheme names it.
FUNCTION_AUTH: dict[str, Any] = {
    "type": "apiKey",
    "in": "header",
    "name": "x-functions-key",
    "description": "auth='platform-key' (formerly 'function'): the platform checks the "
    "caller before polyfn runs. Azure: a function key (this header, or the 'code' query "
    "parameter). AWS: an IAM (SigV4) signature of the request. Google Cloud: an identity "
    "token of an account with the invoker role, as 'Authorization: Bearer'. polyfn run: "
    "the key it prints at start (this header, X-Polyfn-Key or '?code=').",
}

_ERROR_BODY = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}

REFUSALS = {
    401: "No credentials, or credentials that failed a check (WWW-Authenticate says which)",
    403: "Credentials valid but not allowed: a missing scope or the authorizer's deny",
    422: "The body does not fit the route's model: one entry per problem in error.errors",
    503: "The issuer's signing keys cannot be fetched and none are cached",
}


def refusal(status: int) -> dict[str, Any]:
    return {"description": REFUSALS[status], "content": _ERROR_BODY}


class SecuritySchemes:
    """The schemes of one document, named as the routes that use them are met."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.schemes: dict[str, dict[str, Any]] = {}
        self._jwt_names: dict[tuple[str, tuple[str, ...]], str] = {}

    def requirement(self, trigger: HttpTrigger) -> list[dict[str, list[str]]] | None:
        """The operation's ``security``; None for an anonymous route."""
        if trigger.auth == "function":
            self.schemes["function"] = FUNCTION_AUTH
            return [{"function": []}]
        guard = trigger.guard
        if guard is None:
            return None
        if guard.kind == "jwt":
            from polyfn.core.auth import JWT

            assert isinstance(guard, JWT)
            return [{self._jwt_scheme(guard): list(guard.scopes)}]
        from polyfn.core.auth import Authorizer

        assert isinstance(guard, Authorizer)
        return [{self._authorizer_scheme(guard, source): [] for source in guard.identity}]

    def refusals(self, trigger: HttpTrigger) -> list[int]:
        """The auth answers an operation documents besides its own."""
        if trigger.guard is None and trigger.auth != "function":
            return []
        if trigger.guard is not None and trigger.guard.kind == "jwt":
            return [401, 403, 503]
        return [401, 403]

    def _jwt_scheme(self, guard: Any) -> str:
        key = (guard.issuer, guard.audience)
        name = self._jwt_names.get(key)
        if name is None:
            name = self._jwt_names[key] = f"jwt{len(self._jwt_names) + 1}"
            self.schemes[name] = {
                "type": "openIdConnect",
                "openIdConnectUrl": guard.issuer.rstrip("/") + "/.well-known/openid-configuration",
                "description": (
                    f"A bearer JWT (Authorization: Bearer <token>) from {guard.issuer} for "
                    f"audience {', '.join(guard.audience)}, signed with "
                    f"{', '.join(guard.algorithms)} by a key of {guard.jwks_url}"
                ),
            }
        return name

    def _authorizer_scheme(self, guard: Any, source: str) -> str:
        where, _, field = source.partition(":")
        name = guard.name if len(guard.identity) == 1 else f"{guard.name}_{field}"
        self.schemes[name] = {
            "type": "apiKey",
            "in": where,
            "name": field,
            "description": f"Checked by the App's authorizer {guard.name} "
            f"(answers cached {guard.ttl} s per caller)",
        }
        return name
