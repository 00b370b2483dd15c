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
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, unquote, urlsplit

from polyfn.adapters.header_lists import SINGLE_VALUE_HEADERS, split_joined
from polyfn.core.datastructures import Headers, MultiDict
from polyfn.core.http import Request, parse_cookie_header

if TYPE_CHECKING:
    import azure.functions as func

    from polyfn.core.http import Response

__all__ = [
    "AzureRequest",
    "client_address",
    "request_path",
    "split_header_value",
    "to_azure_response",
]

# Fields whose one value may contain a comma, so a comma in them is not a join made by
# the host (RFC 9110 section 5.3 lets only list-based fields be combined). The x-arr-* and
# x-waws-* ones are set by App Service's front end and carry URLs or certificate names.
_SINGLE_VALUE_HEADERS = SINGLE_VALUE_HEADERS | frozenset(
    {
        "x-original-url",
        "x-waws-unencoded-url",
        "x-arr-ssl",
        "x-ms-client-principal",
    }
)

# A comma that starts a new cookie (``, name=``): cookie values may not hold commas
# (RFC 6265 section 4.1.1), so this is where the host joined two Cookie headers.
_COOKIE_JOIN = re.compile(r",\s*(?=[^\s;,=]+=)")


def split_header_value(name: str, value: str) -> list[str]:
    """The values the host joined into ``value`` (``name`` in lower case)."""
    return split_joined(name, value, _SINGLE_VALUE_HEADERS)


def request_path(url: str, route_prefix: str) -> str:
    """The decoded path the app declared: the URL path without the host's route prefix."""
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


def client_address(forwarded_for: str | None) -> str | None:
    """The caller's IP from App Service's ``X-Forwarded-For`` (its first hop carries a port)."""
    if not forwarded_for:
        return None
    first = forwarded_for.split(",", 1)[0].strip()
    if first.startswith("["):  # [2001:db8::1]:443
        end = first.find("]")
        return first[1:end] if end > 1 else None
    if first.count(":") == 1:  # 203.0.113.7:50312
        first = first.split(":", 1)[0]
    return first or None


class AzureRequest(Request):
    """A core ``Request`` reading an ``azure.functions.HttpRequest`` on demand."""

    __slots__ = ("_native",)

    def __init__(self, native: func.HttpRequest, route_prefix: str, request_id: str) -> None:
        self._native = native
        headers = native.headers
        super().__init__(
            native.method,
            request_path(native.url, route_prefix),
            client_ip=client_address(headers.get("x-forwarded-for")),
            request_id=request_id,
            raw=native,
        )

    def _build_headers(self) -> Headers:
        data: dict[str, list[str]] = {}
        for name, value in self._native.headers.items():
            key = name.lower()
            data.setdefault(key, []).extend(split_header_value(key, value))
        return Headers.from_multi(data)

    def _build_query(self) -> MultiDict:
        query = urlsplit(self._native.url).query
        if query:
            return MultiDict(parse_qsl(query, keep_blank_values=True))
        # A request built by hand may carry params without a query string in its URL.
        return MultiDict(dict(self._native.params))

    def _build_body(self) -> bytes:
        return self._native.get_body() or b""

    def _build_cookies(self) -> dict[str, str]:
        cookies: dict[str, str] = {}
        for value in self.headers.getlist("cookie"):
            for chunk in _COOKIE_JOIN.split(value):
                parse_cookie_header(chunk, cookies)
        return cookies


def to_azure_response(response: Response) -> func.HttpResponse:
    """The worker's response object for a core ``Response``.

    Raises ``ValueError`` for a header value werkzeug refuses (a line break); the caller
    answers 500 then.
    """
    import azure.functions as func

    native = func.HttpResponse(body=response.body, status_code=response.status)
    if response.has_headers():
        headers = native.headers
        for name, values in response.headers.to_lists().items():
            if name == "set-cookie":
                for cookie in values:
                    headers.add_header("Set-Cookie", cookie)
            else:
                headers[name] = ", ".join(values)
    return native
