"""Azure App Service Authentication ("Easy Auth") in the ARM template, when routes use JWT.

Each distinct issuer of the App's ``JWT(...)`` routes (one audience each) becomes a custom
OpenID Connect provider of the Function App (its discovery document at
``<issuer>/.well-known/openid-configuration``, the audience as client id), with
unauthenticated requests allowed through: anonymous routes stay anonymous, and polyfn
refuses a JWT route's caller itself. Where Easy Auth validated a token it passes the
caller in ``X-MS-CLIENT-PRINCIPAL``, and the app setting ``POLYFN_AUTH_FRONT=jwt`` tells
polyfn to read it (``adapters/common/platform_claims``); a request without it still
has its bearer token verified by polyfn.

Source: ARM template reference, "Microsoft.Web sites/config 'authsettingsV2'"
(learn.microsoft.com/azure/templates/microsoft.web/sites/config-authsettingsv2), read
2026-12.
"""

from __future__ import annotations

from typing import Any

from polyfn.core.app import App
from polyfn.core.auth import FRONT_SETTING, JWT
from polyfn.core.errors import ConfigError

__all__ = ["easy_auth_config", "easy_auth_settings"]


def _jwt_configs(app: App) -> list[JWT]:
    """One ``JWT(...)`` per issuer. Easy Auth is app-wide: a token one provider accepted
    reaches every route, and polyfn then checks only its issuer (``JWT.authenticate``),
    so two audiences of one issuer would let either audience's tokens through both."""
    seen: dict[str, JWT] = {}
    for fn in app.functions_of("http"):
        guard = fn.trigger.guard  # type: ignore[union-attr]
        if not isinstance(guard, JWT):
            continue
        known = seen.setdefault(guard.issuer, guard)
        if set(known.audience) != set(guard.audience):
            raise ConfigError(
                f"route {fn.trigger.describe()}: Azure App Service Authentication serves "
                f"the whole Function App, and {guard.issuer} is declared with audience "
                f"{list(known.audience)} on another route; give both routes one audience"
            )
    return list(seen.values())


def easy_auth_settings(app: App) -> dict[str, str]:
    """The app setting telling polyfn that Easy Auth fronts the JWT routes."""
    return {FRONT_SETTING: "jwt"} if _jwt_configs(app) else {}


def easy_auth_config(app: App, web_api: str, site_id: str) -> dict[str, Any] | None:
    """The ``sites/config`` resource ``authsettingsV2``; None when no route uses JWT."""
    configs = _jwt_configs(app)
    if not configs:
        return None
    providers = {
        f"polyfn{index}": {
            "enabled": True,
            "registration": {
                "clientId": config.audience[0],
                "openIdConnectConfiguration": {
                    "wellKnownOpenIdConfiguration": config.issuer.rstrip("/")
                    + "/.well-known/openid-configuration"
                },
            },
        }
        for index, config in enumerate(configs, start=1)
    }
    return {
        "type": "Microsoft.Web/sites/config",
        "apiVersion": web_api,
        "name": "[format('{0}/authsettingsV2', parameters('functionAppName'))]",
        "dependsOn": [site_id],
        "properties": {
            "platform": {"enabled": True},
            "globalValidation": {
                "requireAuthentication": False,
                "unauthenticatedClientAction": "AllowAnonymous",
            },
            "identityProviders": {"customOpenIdConnectProviders": providers},
            "login": {"tokenStore": {"enabled": False}},
        },
    }
