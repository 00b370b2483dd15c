"""Google Cloud's front door: an API Gateway config (OpenAPI 2.0) for the App's routes.

Without it each HTTP function has its own URL. The config gives the App one host name:
every anonymous route is an operation whose ``x-google-backend`` is its function's URL,
with the request path appended (``APPEND_PATH_TO_ADDRESS``), so the function sees the
path the client sent and polyfn routes it as everywhere else. The gateway calls the
functions with its own service account's identity token (``jwt_audience``: the function's
URL), and the functions themselves are private: only that account may invoke them.

Function URLs are known only once the functions exist, so the document carries tokens
(``@POLYFN_URL_<FUNCTION>@``, ``@POLYFN_MANAGED_SERVICE@``) that ``deploy.sh`` replaces before
it creates the config.

CORS: with ``App(cors=...)``, ``x-google-endpoints`` ``allowCors`` lets preflights through
to the backend (source: Google Cloud, "Enabling CORS support for Endpoints": "If your
backend supports CORS, you can configure ESP or ESPv2 to pass the CORS request to your
backend"), and an ``options`` operation on every path sends them to one small private
function that runs polyfn's CORS rules for the whole App (the route functions are each
pinned to their own methods, so the route's own function could not grant a sibling
route's method).

JWT: every distinct issuer of the App's ``JWT(...)`` routes is a ``securityDefinitions``
provider (``x-google-issuer``, ``x-google-jwks_uri``, ``x-google-audiences``) and each
JWT route's operation requires it, so the gateway validates the token before the
function runs and passes its payload in ``X-Apigateway-Api-Userinfo``; deploy tells
those functions so (``POLYFN_AUTH_FRONT=jwt``), and polyfn reads the claims and checks
the route's scopes (the gateway checks none). Google Cloud takes one definition per
issuer ("each definition must have a different issuer": API Gateway, "Using JWT to
authenticate users", read 2026-12), so routes of one issuer must agree on audience and
keys. Custom authorizers have no gateway counterpart: they run in the function.

The gateway calls a function with its own identity token in ``Authorization``
(``jwt_audience``: "This ID token will be added in the HTTP authorization header",
Service Management ``BackendRule.jwtAudience``), the client's own moved to
``X-Forwarded-Authorization``; deploy writes ``POLYFN_GCP_GATEWAY=1`` next to every
fronted function, and the adapter puts the client's header back and reads the client's
address one ``X-Forwarded-For`` hop further left (the gateway's own address is the
last).

``auth="function"`` routes stay off the gateway: their callers authenticate to the
function itself (the invoker role), which the gateway's own identity would replace.

A greedy parameter (``/files/{path+}``) is written ``{path=**}``, API Gateway's
multi-segment wildcard.
"""

from __future__ import annotations

from typing import Any

from polyfn.core.auth import JWT
from polyfn.core.errors import ConfigError
from polyfn.core.functions import HttpTrigger
from polyfn.deploy.model import DeployFunction, DeployModel
from polyfn.deploy.naming import app_slug

__all__ = [
    "CORS_FUNCTION",
    "MANAGED_SERVICE_TOKEN",
    "gateway_config",
    "gateway_functions",
    "gateway_path",
    "jwt_providers",
    "url_token",
]

# Between '@'s, so that no token is the start of another (deploy.sh replaces them with sed).
MANAGED_SERVICE_TOKEN = "@POLYFN_MANAGED_SERVICE@"
# The function that answers preflights behind the gateway (a name no polyfn function can
# have: polyfn function names are Python identifiers, this has a '-').
CORS_FUNCTION = "http-cors"


def url_token(function_name: str) -> str:
    """The placeholder of one function's URL in the document."""
    return "@POLYFN_URL_" + function_name.upper().replace("-", "_") + "@"


def gateway_functions(model: DeployModel) -> list[DeployFunction]:
    """The HTTP functions the gateway fronts: every anonymous route."""
    return [
        f
        for f in model.functions
        if isinstance(f.fn.trigger, HttpTrigger) and f.fn.trigger.auth == "anonymous"
    ]


def gateway_path(template: str) -> str:
    """``/files/{path+}`` as API Gateway writes a multi-segment parameter."""
    return template.replace("+}", "=**}")


def jwt_providers(model: DeployModel) -> dict[str, JWT]:
    """The ``securityDefinitions`` names of the JWT routes' issuers: ``jwt1``, ``jwt2``..."""
    providers: dict[str, JWT] = {}
    by_issuer: dict[str, str] = {}
    for function in gateway_functions(model):
        guard = function.fn.trigger.guard  # type: ignore[union-attr]
        if not isinstance(guard, JWT):
            continue
        name = by_issuer.get(guard.issuer)
        if name is None:
            name = by_issuer[guard.issuer] = f"jwt{len(by_issuer) + 1}"
            providers[name] = guard
            continue
        known = providers[name]
        if set(known.audience) != set(guard.audience) or known.jwks_url != guard.jwks_url:
            raise ConfigError(
                f"route {function.fn.trigger.describe()}: Google Cloud API Gateway takes one "
                f"JWT provider per issuer, and {guard.issuer} is declared with audience "
                f"{list(known.audience)} and keys {known.jwks_url} on another route"
            )
    return providers


def _security_definition(config: JWT) -> dict[str, Any]:
    return {
        # The form Google Cloud documents for a JWT provider: an OAuth2 implicit flow
        # extended by the x-google-* fields. Google's examples leave authorizationUrl
        # empty, which OpenAPI 2.0's schema refuses (it must be a URI); the gateway
        # validates tokens and never sends anyone there, so the issuer's URL fills it.
        "authorizationUrl": config.issuer,
        "flow": "implicit",
        "type": "oauth2",
        "x-google-issuer": config.issuer,
        "x-google-jwks_uri": config.jwks_url,
        "x-google-audiences": ",".join(config.audience),
    }


def _backend(token: str, deadline: float) -> dict[str, Any]:
    return {
        "address": token,
        "path_translation": "APPEND_PATH_TO_ADDRESS",
        "jwt_audience": token,
        "deadline": deadline,
    }


def gateway_config(model: DeployModel) -> dict[str, Any]:
    """The OpenAPI 2.0 document of the gateway (with the tokens ``deploy.sh`` fills in)."""
    app = model.app
    providers = jwt_providers(model)
    by_issuer = {config.issuer: name for name, config in providers.items()}
    paths: dict[str, dict[str, Any]] = {}
    for function in gateway_functions(model):
        trigger = function.fn.trigger
        assert isinstance(trigger, HttpTrigger)
        path = gateway_path(trigger.path)
        item = paths.setdefault(path, {})
        methods = [m.lower() for m in trigger.methods]
        if "get" in methods and "head" not in methods:
            methods.append("head")  # polyfn answers HEAD with the GET handler
        for method in methods:
            item[method] = {
                "operationId": f"{function.name}_{method}",
                "x-google-backend": _backend(url_token(function.name), float(function.timeout)),
                "parameters": [
                    {"name": name, "in": "path", "required": True, "type": "string"}
                    for name in trigger.template.params
                ],
                "responses": {"default": {"description": "the function's answer"}},
            }
            if isinstance(trigger.guard, JWT):
                item[method]["security"] = [{by_issuer[trigger.guard.issuer]: []}]
    document: dict[str, Any] = {
        "swagger": "2.0",
        "info": {
            "title": f"{app_slug(app)}-{model.stage}",
            "description": f"polyfn app {app.name}, stage {model.stage} (by polyfn deploy)",
            "version": "1.0.0",
        },
        "schemes": ["https"],
        "produces": ["application/json"],
        "paths": dict(sorted(paths.items())),
    }
    if providers:
        document["securityDefinitions"] = {
            name: _security_definition(config) for name, config in providers.items()
        }
    if app.cors is not None and paths:
        document["x-google-endpoints"] = [{"name": MANAGED_SERVICE_TOKEN, "allowCors": True}]
        for path, item in paths.items():
            params = next(iter(item.values()))["parameters"]
            item.setdefault(
                "options",
                {
                    "operationId": "cors_" + _operation_suffix(path),
                    "x-google-backend": _backend(url_token(CORS_FUNCTION), 10.0),
                    "parameters": params,
                    "responses": {"default": {"description": "the CORS preflight's answer"}},
                },
            )
    return document


def _operation_suffix(path: str) -> str:
    words = "".join(c if c.isalnum() else " " for c in path).split()
    return "_".join(words) or "root"
