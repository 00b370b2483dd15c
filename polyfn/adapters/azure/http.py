"""HTTP on Azure Functions: ``azure.functions.HttpRequest`` in, ``HttpResponse`` out.

What the Functions host hands the Python worker is already flattened, and the view below
undoes what it can:

- Repeated request headers arrive joined by commas in one value (the host builds a
  name -> string map). List-valued headers are split back at commas outside quotes;
  headers whose single value may itself hold a comma (dates, ``User-Agent``,
  ``Authorization``, URLs, ...) stay whole.
- ``req.params`` keeps one value per query key, so the query is parsed from ``req.url``,
  which still carries the raw query string with every repeated key.
- The URL path includes the host's route prefix (``api`` unless host.json says
  otherwise); it is removed so the core router sees the path the app declared.

Going out, ``HttpResponse.headers`` is a werkzeug ``Headers``; the worker turns every
``Set-Cookie`` entry into its own cookie and keeps one value for every other name, so
other repeated headers are joined with ", " (RFC 9110 section 5.3) and cookies are added
one by one.

``http_handler`` is the callable registered for each HTTP function: request view in,
core dispatch, worker response out.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlsplit

from polyfn.adapters.azure.invocation import AUTH_ORDER, Invocations, worker_signature
from polyfn.adapters.common.environment import front_kinds, with_front
from polyfn.adapters.common.headers import headers_from_joined
from polyfn.core.datastructures import Headers, MultiDict
from polyfn.core.dispatch import error_response
from polyfn.core.errors import UnrecognizedEvent
from polyfn.core.http import _UNSET, HTTPError, Request, fill_request
from polyfn.core.routing import MethodNotAllowed, NotFound

if TYPE_CHECKING:
    import azure.functions as func

    from polyfn.core.context import Context
    from polyfn.core.http import Response

__all__ = [
    "ROOT_ROUTE",
    "AzureRequest",
    "client_address",
    "http_handler",
    "request_path",
    "to_azure_response",
]

_log = logging.getLogger("polyfn.azure")

# The host replaces an empty route with the function's name, so the app's "/" needs an
# optional parameter that can only be empty (github.com/Azure/Azure-Functions issue 2473).
ROOT_ROUTE = "{polyfn_root:maxlength(0)?}"

# route prefix -> the regex below for it, or None when the prefix itself holds what a
# path cannot ("?", "#", line breaks) or is not ASCII: such a prefix takes the long way
# every time. A process sees one or two prefixes.
_PATTERNS: dict[str, re.Pattern[str] | None] = {}
# route prefix -> scheme, host and prefix as the last URL the regex read wrote them
# ("https://app.azurewebsites.net/api"): every request to a function app starts with the
# same ones, and checking that costs far less than a regex match.
_ORIGINS: dict[str, str] = {}


def request_path(url: str, route_prefix: str) -> str:
    """The decoded path the app declared: the URL path without the host's route prefix."""
    # urlsplit costs as much as the rest of the request view (its cache hides that only
    # while one URL repeats, which real traffic does not). The host sends plain absolute
    # URLs: after the first, what follows the known origin is the path, up to a query or
    # fragment; anything else takes the regex, or urlsplit itself.
    origin = _ORIGINS.get(route_prefix)
    if origin is not None and url.startswith(origin):
        rest = url[len(origin) :]
        if "#" in rest:
            rest = rest.partition("#")[0]
        if "?" in rest:
            rest = rest.partition("?")[0]
        if not rest:
            return "/"
        # A tab or line break, which urlsplit deletes, is not printable.
        if rest[0] == "/" and rest.isprintable():
            return unquote(rest) if "%" in rest else rest
    pattern = _PATTERNS.get(route_prefix) or _pattern(route_prefix)
    match = pattern.fullmatch(url) if pattern is not None and url.isascii() else None
    if match is None:
        return _split_path(url, route_prefix)
    if match["prefix"] is not None and (route_prefix in _ORIGINS or len(_ORIGINS) < 32):
        _ORIGINS[route_prefix] = match["origin"]
    path = match["path"] or "/"
    return unquote(path) if "%" in path else path


def _pattern(route_prefix: str) -> re.Pattern[str] | None:
    """An absolute http(s) URL with nothing urlsplit would clean up or check: no tab or
    line break (which it deletes) and no bracket in the authority (an IPv6 literal, which
    it validates). ``path`` is urlsplit's path after the prefix, when the path starts
    with the prefix (case-insensitively, as the host matches it) followed by a slash or
    nothing; ``origin`` is what precedes it, ``prefix`` None when the prefix was absent."""
    name = route_prefix.strip("/")
    pattern = None
    if name.isascii() and not any(char in name for char in "?#\t\r\n"):
        prefix = f"/(?i:{re.escape(name)})(?=[/?#]|\\Z)" if name else ""
        pattern = re.compile(
            rf"(?P<origin>https?://[^/?#\[\]\t\r\n]*(?P<prefix>{prefix})?)"
            r"(?P<path>/[^?#\t\r\n]*)?(?:[?#][^\t\r\n]*)?"
        )
    if len(_PATTERNS) < 32:  # bounded, should a caller pass prefixes taken from URLs
        _PATTERNS[route_prefix] = pattern
    return pattern


def _split_path(url: str, route_prefix: str) -> str:
    raw = urlsplit(url).path or "/"
    prefix = "/" + route_prefix.strip("/") if route_prefix.strip("/") else ""
    if prefix:
        lowered = raw.lower()  # the host matches its prefix case-insensitively
        if lowered == prefix.lower():
            raw = "/"
        elif lowered.startswith(prefix.lower() + "/"):
            raw = raw[len(prefix) :]
    path = unquote(raw)
    return path if path.startswith("/") else "/" + path


def client_address(client_ip: str | None, forwarded_for: str | None = None) -> str | None:
    """The caller's IP as App Service's front end saw it, without the port it adds.

    The front end sets ``CLIENT-IP`` (``ip:port``) and overwrites any the client sent, so it
    cannot be spoofed (App Service on Linux, "Headers on Azure App Service",
    https://github.com/Azure/app-service-linux-docs/blob/master/Things_You_Should_Know/headers.md,
    read 2026-12). Without it, the last ``X-Forwarded-For`` entry is the one the front end
    appended; the entries to its left are whatever the client sent.
    """
    address = (client_ip or "").strip()
    if not address and forwarded_for:
        address = forwarded_for.rpartition(",")[2].strip()
    if address.startswith("["):  # [2001:db8::1]:443
        end = address.find("]")
        return address[1:end] if end > 1 else None
    if address.count(":") == 1:  # 203.0.113.7:50312
        address = address.split(":", 1)[0]
    return address or None


class AzureRequest(Request):
    """A core ``Request`` reading an ``azure.functions.HttpRequest`` on demand."""

    __slots__ = ("_native",)

    def __init__(self, native: func.HttpRequest, route_prefix: str, request_id: str) -> None:
        self._native = native
        # The method comes upper-cased from HttpRequest. The caller's address costs a
        # tenth of the view and few handlers read it, so, like headers and query, it is
        # found on first read (_build_client_ip).
        try:
            path = request_path(native.url, route_prefix)
        except ValueError:  # urlsplit refuses it: an unclosed IPv6 bracket, say
            raise UnrecognizedEvent(
                f"the request URL {native.url[:100]!r} cannot be parsed",
                expected="an absolute http(s) URL as the Functions host sends it",
            ) from None
        fill_request(
            self,
            native.method,
            path,
            {},
            _UNSET,
            request_id,
            native,
        )

    def _build_client_ip(self) -> str | None:
        headers = self._native.headers
        return client_address(headers.get("client-ip"), headers.get("x-forwarded-for"))

    def _build_headers(self) -> Headers:
        return headers_from_joined(self._native.headers.items())

    def _build_query(self) -> MultiDict:
        try:
            query = urlsplit(self._native.url).query
        except ValueError:
            raise HTTPError(400, "The request URL cannot be parsed") from None
        if query:
            return MultiDict(parse_qsl(query, keep_blank_values=True))
        # A request built by hand may carry params without a query string in its URL.
        return MultiDict(dict(self._native.params))

    def _build_body(self) -> bytes:
        return self._native.get_body() or b""

    def _platform_claims(self, kind: str) -> tuple[dict[str, Any], list[str] | None] | None:
        # The JWT claims Easy Auth verified: read only when deploy configured it
        # (core.auth.fronted), see adapters/common/platform_claims.
        if kind != "jwt" or kind not in self._front:
            return None
        from polyfn.adapters.common.platform_claims import EASY_AUTH_HEADER, easy_auth_claims

        claims = easy_auth_claims(self.headers.get(EASY_AUTH_HEADER))
        return None if claims is None else (claims, None)


def to_azure_response(response: Response) -> func.HttpResponse:
    """The worker's response object for a core ``Response``.

    Raises ``ValueError`` for a header value werkzeug refuses (a line break); the caller
    answers 500 then.
    """
    native = (_http_response or _load_http_response())(
        body=response.body, status_code=response.status
    )
    headers = response._headers
    if headers is not None and headers._data:
        # Core's name -> values lists, read without the copy to_lists makes (as the AWS
        # renderers do). Names are unique and lower-case there, so adding each to the new,
        # empty werkzeug Headers gives what setting it would, without set's scan for an
        # earlier value; add is what add_header calls, and refuses line breaks alike.
        add = native.headers.add
        for name, values in headers._data.items():
            if name == "set-cookie":
                for cookie in values:
                    add("Set-Cookie", cookie)
            else:
                add(name, values[0] if len(values) == 1 else ", ".join(values))
    elif response._content_type is not None:
        native.headers.add("content-type", response._content_type)
    return native


# azure.functions.HttpResponse, looked up once: importing this module must not import
# azure.functions, and an import statement per response costs more than building headers.
_http_response: type[func.HttpResponse] | None = None


def _load_http_response() -> type[func.HttpResponse]:
    global _http_response
    import azure.functions as func

    _http_response = func.HttpResponse
    return _http_response


# ----------------------------------------------------------------------------- serving
# Each factory imports azure.functions itself: the request view above
# also serves ``polyfn inspect``, which must work without the worker library.


def http_handler(
    invocations: Invocations, name: str, level: str
) -> Callable[[func.HttpRequest, func.Context | None], func.HttpResponse]:
    import azure.functions as func

    app, route_prefix = invocations.app, invocations.route_prefix
    guarded = invocations.router is not None  # only when routes need different keys
    # Easy Auth in front (deploy's POLYFN_AUTH_FRONT): the view reads its principal.
    view = with_front(AzureRequest, front_kinds())

    def handle(req: func.HttpRequest, context: func.Context | None = None) -> func.HttpResponse:
        ctx = invocations.context(name, context, True)
        try:
            request = view(req, route_prefix, ctx.request_id)
        except UnrecognizedEvent as exc:
            # The host let through what cannot be read as a request: the client's fault,
            # answered as such; the reason goes to the log, not to the client.
            _log.warning("refused request %s: %s", ctx.request_id, exc)
            return to_azure_response(error_response(400, "Bad Request", ctx.request_id))
        refused = None
        if guarded:
            refused = _guard(invocations, request.method, request.path, level, ctx)
        response = refused if refused is not None else app.handle_http(request, ctx)
        try:
            return to_azure_response(response)
        except ValueError:
            ctx.logger.exception("response of %s %s cannot be sent", request.method, request.path)
            return to_azure_response(error_response(500, "Internal Server Error", ctx.request_id))

    worker_signature(handle, "req", func.HttpRequest, func.HttpResponse)
    return handle


def _guard(
    invocations: Invocations, method: str, path: str, level: str, ctx: Context
) -> Response | None:
    """Refuse a request that reached a function with a weaker key than its route needs.

    The host picks among overlapping routes by function name, so ``/users/me`` (keyed)
    may arrive at the anonymous ``/users/{id}``; the core router would then run the keyed
    handler without a key. Failing closed is the only safe answer.
    """
    router = invocations.router
    if router is None:
        return None
    try:
        target, _ = router.match(method, path)
    except (NotFound, MethodNotAllowed):
        return None
    needed = invocations.levels[target.name]
    if AUTH_ORDER.index(needed) <= AUTH_ORDER.index(level):
        return None
    _log.warning(
        "%s %s needs a %s key but arrived at %s (%s); refused (request %s)",
        method,
        path,
        needed,
        ctx.function_name,
        level,
        ctx.request_id,
    )
    return error_response(401, "Unauthorized", ctx.request_id)
