"""CORS, configured once per App and applied the same way on every runtime.

polyfn answers preflights itself rather than leaning on API Gateway, Azure or Cloud Run
CORS settings, so the behaviour does not change when the app moves.
"""

from __future__ import annotations

from polyfn.core.datastructures import Headers
from polyfn.core.errors import ConfigError
from polyfn.core.http import HTTPError, Request, Response

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (cheap_typing.py)
if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["CORS"]


class CORS:
    """Which origins may call the app from a browser, and with what."""

    __slots__ = (
        "_any_origin",
        "allow_credentials",
        "allow_headers",
        "allow_methods",
        "allow_origins",
        "expose_headers",
        "max_age",
    )

    def __init__(
        self,
        allow_origins: Iterable[str] = ("*",),
        *,
        allow_methods: Iterable[str] | None = None,
        allow_headers: Iterable[str] = ("content-type", "authorization"),
        expose_headers: Iterable[str] = (),
        allow_credentials: bool = False,
        max_age: int = 600,
    ) -> None:
        origins = tuple(o.rstrip("/") for o in allow_origins)
        if not origins:
            raise ConfigError("CORS needs at least one allowed origin")
        self._any_origin = "*" in origins
        if self._any_origin and allow_credentials:
            # Browsers reject '*' with credentials, and echoing any origin instead would
            # hand every site the user's cookies. Name the origins.
            raise ConfigError(
                "CORS: allow_credentials=True cannot be combined with the '*' origin; "
                "list the allowed origins explicitly"
            )
        self.allow_origins = frozenset(origins)
        self.allow_methods = tuple(m.upper() for m in allow_methods) if allow_methods else None
        self.allow_headers = tuple(h.lower() for h in allow_headers)
        self.expose_headers = tuple(expose_headers)
        self.allow_credentials = allow_credentials
        if max_age < 0:
            raise ConfigError("CORS max_age must not be negative")
        self.max_age = max_age

    def origin_allowed(self, origin: str) -> bool:
        return self._any_origin or origin.rstrip("/") in self.allow_origins

    def is_preflight(self, request: Request) -> bool:
        if request.method != "OPTIONS":
            return False
        headers = request.headers
        return "origin" in headers and "access-control-request-method" in headers

    def preflight(self, request: Request, route_methods: list[str] | None) -> Response:
        """The answer to an OPTIONS preflight: 204 with the grants, or 403 if refused."""
        origin = request.headers.get("origin", "")
        wanted = request.headers.get("access-control-request-method", "").upper()
        methods = list(self.allow_methods or route_methods or [])
        if route_methods is None:
            raise HTTPError(404, "Not Found")
        if not self.origin_allowed(origin) or wanted not in methods:
            return Response(b"", 403, {"vary": "Origin"})
        response = Response(b"", 204)
        headers = response.headers
        self._allow_origin(headers, origin)
        headers.set("access-control-allow-methods", ", ".join(methods))
        asked = request.headers.get("access-control-request-headers")
        if asked:
            allowed = self.allow_headers
            if "*" in allowed and not self.allow_credentials:
                headers.set("access-control-allow-headers", asked)
            else:
                granted = [h.strip() for h in asked.split(",") if h.strip().lower() in allowed]
                if granted:
                    headers.set("access-control-allow-headers", ", ".join(granted))
        headers.set("access-control-max-age", str(self.max_age))
        return response

    def decorate(self, request: Request, response: Response) -> None:
        """Add the CORS headers to an ordinary response for an allowed origin."""
        origin = request.headers.get("origin")
        if origin is None or not self.origin_allowed(origin):
            return
        headers = response.headers
        self._allow_origin(headers, origin)
        if self.expose_headers:
            headers.set("access-control-expose-headers", ", ".join(self.expose_headers))

    def _allow_origin(self, headers: Headers, origin: str) -> None:
        if self._any_origin:
            headers.set("access-control-allow-origin", "*")
        else:
            headers.set("access-control-allow-origin", origin)
            if "Origin" not in headers.getlist("vary"):
                headers.add("vary", "Origin")
        if self.allow_credentials:
            headers.set("access-control-allow-credentials", "true")
