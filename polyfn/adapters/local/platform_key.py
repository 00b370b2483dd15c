"""The platform key of ``polyfn run``: what a route declared ``auth="platform-key"`` needs.

On the clouds the platform checks the key before the function runs (IAM/SigV4 on AWS,
a function key on Azure, the invoker role on Google Cloud), so polyfn never sees an
unauthenticated request there. Locally nothing else would, so this WSGI middleware does:
``polyfn run`` makes a key when it starts (or takes ``POLYFN_LOCAL_KEY``), prints it, and
a request for a key route must carry it in ``X-Polyfn-Key``, in Azure's
``x-functions-key`` header or in Azure's ``code`` query parameter; anything else is 401.
Routes with other auth modes pass through: JWT and custom authorizers are enforced by
core, as on every cloud.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from polyfn.core.app import App
from polyfn.core.dispatch import error_response
from polyfn.core.routing import MethodNotAllowed, NotFound

__all__ = ["KEY_VARIABLE", "PlatformKeyGate", "make_key"]

KEY_VARIABLE = "POLYFN_LOCAL_KEY"

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def make_key() -> str:
    return secrets.token_urlsafe(24)


class PlatformKeyGate:
    """WSGI middleware refusing (401) a key route's request without the local key."""

    def __init__(self, wsgi: WsgiApp, app: App, key: str) -> None:
        self.wsgi = wsgi
        self.app = app
        self.key = key.encode()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if self._needs_key(environ) and not self._has_key(environ):
            request_id = (environ.get("HTTP_X_CLOUD_TRACE_CONTEXT") or "").split("/")[0]
            answer = error_response(401, "a platform key is required", request_id)
            body = answer.body
            start_response(
                "401 Unauthorized",
                [
                    ("Content-Type", "application/json"),
                    ("Content-Length", str(len(body))),
                    ("WWW-Authenticate", 'X-Polyfn-Key realm="polyfn run"'),
                ],
            )
            return [body]
        return self.wsgi(environ, start_response)

    def _needs_key(self, environ: dict[str, Any]) -> bool:
        from werkzeug.wrappers import Request as WerkzeugRequest

        native = WerkzeugRequest(environ, shallow=True)
        method = native.method.upper()
        try:
            fn, _ = self.app.router.match("GET" if method == "HEAD" else method, native.path)
        except (NotFound, MethodNotAllowed):
            return False
        return getattr(fn.trigger, "auth", "anonymous") == "function"

    def _has_key(self, environ: dict[str, Any]) -> bool:
        offered = [environ.get("HTTP_X_POLYFN_KEY"), environ.get("HTTP_X_FUNCTIONS_KEY")]
        offered += parse_qs(environ.get("QUERY_STRING", "")).get("code", [])
        return any(
            value is not None and hmac.compare_digest(value.encode(), self.key) for value in offered
        )
