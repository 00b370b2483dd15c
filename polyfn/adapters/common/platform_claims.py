"""Read the claims a platform's front door verified and passed on in a request header.

Both are read only when deploy says the front door is there (``core.auth.fronted``):
each header is an ordinary request header to a function nothing fronts, and anyone can
send it.

- Azure App Service Authentication ("Easy Auth") puts the signed-in caller in
  ``X-MS-CLIENT-PRINCIPAL``: base64 of a JSON object whose ``claims`` is a list of
  ``{"typ": ..., "val": ...}`` (learn.microsoft.com, "Work with user identities in Azure
  App Service authentication", configure-authentication-user-identities, read 2026-12).
  With authentication on, App Service sets these headers itself; a client's own
  ``X-MS-CLIENT-PRINCIPAL*`` never reaches the app.
- Google Cloud API Gateway, after validating a JWT of a ``securityDefinitions``
  provider, sends the token's payload base64url-encoded in ``X-Apigateway-Api-Userinfo``
  (cloud.google.com/api-gateway/docs/authenticating-users-jwt, "Receiving authenticated
  results in your API", read 2026-12).
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

__all__ = ["EASY_AUTH_HEADER", "GATEWAY_USERINFO_HEADER", "easy_auth_claims", "gateway_claims"]

EASY_AUTH_HEADER = "x-ms-client-principal"
GATEWAY_USERINFO_HEADER = "x-apigateway-api-userinfo"

# A header larger than this is no principal a platform wrote.
_MAX_HEADER = 16384

# Entra ID (Azure AD) writes some claims under their WS-Federation names; the handler
# reads them under the JWT names every other issuer uses.
_CLAIM_NAMES = {
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier": "sub",
    "http://schemas.microsoft.com/identity/claims/scope": "scp",
    "http://schemas.microsoft.com/identity/claims/objectidentifier": "oid",
    "http://schemas.microsoft.com/identity/claims/tenantid": "tid",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress": "email",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name": "name",
}


def _decode(value: str | None, urlsafe: bool) -> Any:
    if not value or len(value) > _MAX_HEADER:
        return None
    padded = value.strip() + "=" * (-len(value.strip()) % 4)
    try:
        raw = base64.urlsafe_b64decode(padded) if urlsafe else base64.b64decode(padded)
        return json.loads(raw)
    except (binascii.Error, ValueError, RecursionError):
        return None


def easy_auth_claims(value: str | None) -> dict[str, Any] | None:
    """The claims of an ``X-MS-CLIENT-PRINCIPAL`` value; None when it is not one."""
    principal = _decode(value, urlsafe=False)
    if not isinstance(principal, dict) or not isinstance(principal.get("claims"), list):
        return None
    claims: dict[str, Any] = {}
    for entry in principal["claims"]:
        if not isinstance(entry, dict):
            continue
        typ, val = entry.get("typ"), entry.get("val")
        if not isinstance(typ, str) or not isinstance(val, str):
            continue
        name = _CLAIM_NAMES.get(typ, typ)
        if name in claims:
            # A repeated claim (roles, groups) becomes a list, as in the token.
            previous = claims[name]
            claims[name] = [*previous, val] if isinstance(previous, list) else [previous, val]
        else:
            claims[name] = val
    return claims or None


def gateway_claims(value: str | None) -> dict[str, Any] | None:
    """The claims of an ``X-Apigateway-Api-Userinfo`` value; None when it is not one."""
    claims = _decode(value, urlsafe=True)
    return claims if isinstance(claims, dict) and claims else None
