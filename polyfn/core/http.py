"""Request, Response and HTTPError: the HTTP half of the cloud-neutral model.

``Request`` is built by an adapter. Everything a handler might not read (headers, query,
cookies, the decoded body) is computed on first access by the adapter's ``_build_*``
overrides, so a handler that reads only a path parameter pays for nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping

from polyfn.core import json_codec
from polyfn.core.datastructures import Headers, MultiDict

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (cheap_typing.py)
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

    from polyfn.core.auth import Identity

__all__ = [
    "HTTPError",
    "Request",
    "Response",
    "parse_cookie_header",
    "reason_phrase",
    "to_response",
]


# object.__new__ without the classmethod hop: a Response.json costs two allocations
# and nothing else besides the encoding.
_new = object.__new__


def reason_phrase(status: int) -> str:
    """The reason phrase of ``status`` (``"Not Found"``), "" for a code HTTP does not name.

    From ``http.HTTPStatus``, the standard library's table of the IANA registry; loaded
    on first use (an error answer or ALB's status line), memoised per status.
    """
    phrase = _REASONS.get(status)
    if phrase is None:
        from http import HTTPStatus

        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = ""
        _REASONS[status] = phrase
    return phrase


_REASONS: dict[int, str] = {}


class HTTPError(Exception):
    """Raise from a handler to answer with ``status`` and a JSON error body.

    The message is shown to the client, so it must not carry secrets; anything else a
    handler raises becomes a 500 whose body names only the request id.
    """

    def __init__(
        self,
        status: int,
        message: str | None = None,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        if not 400 <= status <= 599:
            raise ValueError(f"HTTPError status must be 4xx or 5xx, got {status}")
        self.status = status
        self.message = message or reason_phrase(status) or "Error"
        self.headers = dict(headers or {})
        super().__init__(status, self.message)

    def __str__(self) -> str:
        return f"{self.status} {self.message}"


def parse_cookie_header(value: str, into: dict[str, str]) -> None:
    """Parse one ``Cookie`` header (``a=1; b=2``) into ``into``; the first value of a name wins.

    A front end that joined two Cookie headers with ``", "`` (the Azure host, Google's
    front end) is read as both: a cookie value may not hold a comma (RFC 6265 4.1.1), so
    a comma followed by ``name=`` starts another cookie on every runtime alike.
    """
    for part in value.split(";"):
        for piece in _cookie_pieces(part):
            name, sep, val = piece.strip().partition("=")
            if sep and name and name not in into:
                if len(val) >= 2 and val[0] == val[-1] == '"':
                    val = val[1:-1]
                into[name] = val


def _cookie_pieces(part: str) -> list[str]:
    if "," not in part:
        return [part]
    pieces: list[str] = []
    start = 0
    for index, char in enumerate(part):
        if char != ",":
            continue
        following = part[index + 1 :].lstrip()
        name, sep, _ = following.partition("=")
        # ", name=": a join; any other comma belongs to the (non-conforming) value.
        if sep and name and not any(c in name for c in ' \t;,"'):
            pieces.append(part[start:index])
            start = index + 1
    pieces.append(part[start:])
    return pieces


class Request:
    """An HTTP request, the same on every cloud.

    ``raw`` is the platform's native event or request object. It is there for the rare
    case polyfn does not model, and it is not portable: code that reads it runs on one
    cloud only (``polyfn plan`` reports it).
    """

    __slots__ = (
        "_body",
        "_client_ip",
        "_cookies",
        "_headers",
        "_json",
        "_model",
        "_params",
        "_query",
        "identity",
        "method",
        "path",
        "path_params",
        "raw",
        "request_id",
    )

    def __init__(
        self,
        method: str,
        path: str,
        *,
        headers: Headers | Mapping[str, str] | None = None,
        query: MultiDict | Mapping[str, str | list[str]] | None = None,
        cookies: Mapping[str, str] | None = None,
        body: bytes | str | None = None,
        client_ip: str | None = None,
        request_id: str = "",
        raw: Any = None,
    ) -> None:
        self.method = method.upper()
        self.path = path or "/"
        self.path_params: dict[str, str] = {}
        self._client_ip: str | None = client_ip
        self.request_id = request_id
        self.raw = raw
        # Who is calling (``polyfn.core.auth.Identity``): set by dispatch before the
        # handler runs on a route that declares auth; None on an anonymous route.
        self.identity: Identity | None = None
        self._json: Any = _UNSET
        self._model: Any = _UNSET
        self._params: Any = _UNSET
        if headers is None or isinstance(headers, Headers):
            self._headers = headers
        else:
            self._headers = Headers.from_single(headers)
        if query is None or isinstance(query, MultiDict):
            self._query = query
        else:
            self._query = MultiDict(query)
        self._cookies = dict(cookies) if cookies is not None else None
        self._body = body.encode() if isinstance(body, str) else body

    # Adapter views override these; the base versions serve requests built by hand.
    def _build_headers(self) -> Headers:
        return Headers()

    def _build_client_ip(self) -> str | None:
        return None

    def _build_query(self) -> MultiDict:
        return MultiDict()

    def _build_body(self) -> bytes:
        return b""

    # What the deployment's front door checks (``jwt``, ``authorizer``): empty unless the
    # adapter's entry point read deploy's POLYFN_AUTH_FRONT and made its view say so.
    _front: frozenset[str] = frozenset()

    def _platform_claims(self, kind: str) -> tuple[dict[str, Any], list[str] | None] | None:
        """What the platform's front door verified about the caller (``kind`` is ``jwt``
        or ``authorizer``): the claims or authorizer context, and the scopes when the
        platform lists them apart; None when the deployment has no such front door
        (``kind`` not in ``_front``) or the native request carries none."""
        return None

    def _authorization(self) -> list[str]:
        """The Authorization header's values: what a JWT route reads on every request,
        which an adapter's view may find in its native event without building headers."""
        return self.headers.getlist("authorization")

    def _build_cookies(self) -> dict[str, str]:
        cookies: dict[str, str] = {}
        for value in self.headers.getlist("cookie"):
            parse_cookie_header(value, cookies)
        return cookies

    @property
    def client_ip(self) -> str | None:
        """The caller's address as the platform saw it (first X-Forwarded-For hop where
        the platform's front end puts it there); None when unknown."""
        client_ip = self._client_ip
        if client_ip is _UNSET:
            client_ip = self._client_ip = self._build_client_ip()
        return client_ip

    @client_ip.setter
    def client_ip(self, value: str | None) -> None:
        self._client_ip = value

    @property
    def headers(self) -> Headers:
        """Case-insensitive, multi-valued: ``headers["Content-Type"]``, ``headers.getlist(...)``."""
        headers = self._headers
        if headers is None:
            headers = self._headers = self._build_headers()
        return headers

    @property
    def query(self) -> MultiDict:
        """Query parameters: ``query["q"]`` is the first value, ``query.getlist("q")`` all."""
        query = self._query
        if query is None:
            query = self._query = self._build_query()
        return query

    @property
    def cookies(self) -> dict[str, str]:
        cookies = self._cookies
        if cookies is None:
            cookies = self._cookies = self._build_cookies()
        return cookies

    @property
    def body(self) -> bytes:
        body = self._body
        if body is None:
            body = self._body = self._build_body()
        return body

    @property
    def text(self) -> str:
        """The body decoded as UTF-8 (undecodable bytes are replaced, never an error)."""
        return self.body.decode("utf-8", "replace")

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")

    def json(self) -> Any:
        """The body parsed as JSON; a missing or malformed body is ``HTTPError(400)``."""
        if self._json is _UNSET:
            body = self.body
            if not body.strip():
                raise HTTPError(400, "Request body is empty; a JSON document was expected")
            try:
                self._json = json_codec.decode(body)
            except (ValueError, UnicodeDecodeError) as exc:
                # NaN and Infinity land here too: they are not JSON (json_codec).
                raise HTTPError(400, "Request body is not valid JSON") from exc
            except RecursionError:
                # Nesting deeper than the interpreter's recursion limit (about 1,000
                # levels): the client's document, not a server fault. Raised without its
                # cause, whose traceback would be a thousand identical frames.
                raise HTTPError(400, "Request body is nested too deeply") from None
        return self._json

    # The route's declared models fill these in (core.models) before the handler runs.
    @property
    def model(self) -> Any:
        """The body as the route's ``body=`` model (a dataclass, TypedDict or pydantic
        instance), checked before the handler ran."""
        model = self._model
        if model is _UNSET:
            raise AttributeError("req.model: this route declares no body= model (see App.route)")
        return model

    @model.setter
    def model(self, value: Any) -> None:
        self._model = value

    @property
    def params(self) -> dict[str, Any]:
        """The route's declared ``path_params=`` and ``query=`` parameters, typed."""
        params = self._params
        if params is _UNSET:
            raise AttributeError("req.params: this route declares no path_params= or query= types")
        return params  # type: ignore[no-any-return]

    @params.setter
    def params(self, value: dict[str, Any]) -> None:
        self._params = value

    def to_dict(self) -> dict[str, Any]:
        """What the request holds, as JSON values (``polyfn inspect`` prints it): the body
        as text when it is UTF-8 (None when empty or not), and always as base64."""
        import base64

        body = self.body
        try:
            text: str | None = body.decode("utf-8") if body else None
        except UnicodeDecodeError:
            text = None
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query.to_lists(),
            "headers": self.headers.to_lists(),
            "cookies": dict(self.cookies),
            "body": text,
            "body_base64": base64.b64encode(body).decode("ascii"),
            "client_ip": self.client_ip,
            "request_id": self.request_id,
        }

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.path}>"


def fill_request(
    request: Request,
    method: str,
    path: str,
    path_params: dict[str, str],
    client_ip: str | None,
    request_id: str,
    raw: Any,
) -> None:
    """Set every slot of an adapter's Request view, as ``__init__`` would for arguments the
    view has normalised already (upper-case method, a path): ``__init__``'s checks and
    keyword arguments cost a third of a view, which is built on every invocation.
    ``path_params`` is ``{}`` unless the platform has routed the request already (see
    ``App.handle_http``). Pass ``client_ip=_UNSET`` to have ``_build_client_ip`` find it
    on first read."""
    request.method = method
    request.path = path
    request.path_params = path_params
    request._client_ip = client_ip
    request.request_id = request_id
    request.raw = raw
    request.identity = None
    request._json = _UNSET
    request._model = _UNSET
    request._params = _UNSET
    request._headers = None
    request._query = None
    request._cookies = None
    request._body = None


class _Unset:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<unset>"


_UNSET: Any = _Unset()


class Response:
    """An HTTP response. Build one directly or with ``json``/``text``/``binary``/``redirect``.

    ``body`` is always bytes; adapters encode it the way their platform wants (base64
    for binary content on API Gateway, for instance).

    Internals the renderers read: ``_headers`` is None until a header is set or read;
    until then ``_content_type`` holds the one header most responses have (the type
    ``json`` and ``content_type=`` give), so the usual answer builds no Headers at all.
    """

    __slots__ = ("_content_type", "_headers", "body", "status")

    def __init__(
        self,
        body: bytes | str = b"",
        status: int = 200,
        headers: Headers | Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        *,
        content_type: str | None = None,
    ) -> None:
        if not 100 <= status <= 599:
            raise ValueError(f"HTTP status must be between 100 and 599, got {status}")
        self.status = status
        self.body = body.encode() if isinstance(body, str) else body
        self._content_type: str | None = None
        if headers is None:
            self._headers: Headers | None = None
            self._content_type = content_type
            return
        if isinstance(headers, Headers):
            self._headers = headers
        elif isinstance(headers, Mapping):
            self._headers = Headers.from_single(headers)
        else:
            self._headers = Headers(headers)
        if content_type is not None:
            self._headers.set("content-type", content_type)

    @property
    def headers(self) -> Headers:
        headers = self._headers
        if headers is None:
            headers = self._headers = Headers()
            if self._content_type is not None:
                headers._data["content-type"] = [self._content_type]
                self._content_type = None
        return headers

    def has_headers(self) -> bool:
        """True when any header was set; lets adapters skip work on the common path."""
        return bool(self._headers) or self._content_type is not None

    @property
    def content_type(self) -> str | None:
        headers = self._headers
        if headers is None:
            return self._content_type
        return headers.get("content-type")

    @property
    def cookies(self) -> list[str]:
        """The ``Set-Cookie`` header values, in order."""
        return self._headers.getlist("set-cookie") if self._headers else []

    @classmethod
    def json(
        cls,
        data: Any,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        try:
            body = json_codec.encode(data).encode()
        except ValueError as exc:
            if "JSON compliant" not in str(exc):  # json's words for NaN and Infinity
                raise
            raise ValueError(
                "Response.json: the data holds NaN or Infinity, which JSON cannot carry "
                "(RFC 8259); send null or a string instead"
            ) from None
        if headers is not None:
            response = cls(body, status, headers)
            response.headers.set("content-type", "application/json")
            return response
        # The most common answer of all, so built without __init__'s argument checks.
        if status != 200 and not 100 <= status <= 599:
            raise ValueError(f"HTTP status must be between 100 and 599, got {status}")
        response = _new(cls)
        response.status = status
        response.body = body
        response._headers = None
        response._content_type = "application/json"
        return response

    @classmethod
    def text(
        cls, text: str, status: int = 200, headers: Mapping[str, str] | None = None
    ) -> Response:
        if headers is None:
            return cls(text.encode(), status, content_type="text/plain; charset=utf-8")
        response = cls(text.encode(), status, headers)
        response.headers.setdefault_value("content-type", "text/plain; charset=utf-8")
        return response

    @classmethod
    def binary(
        cls,
        data: bytes,
        content_type: str = "application/octet-stream",
        status: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        return cls(data, status, headers, content_type=content_type)

    @classmethod
    def redirect(cls, location: str, status: int = 302) -> Response:
        if status not in (301, 302, 303, 307, 308):
            raise ValueError(f"redirect status must be 301, 302, 303, 307 or 308, got {status}")
        return cls(b"", status, {"location": location})

    def set_cookie(
        self,
        name: str,
        value: str,
        *,
        max_age: int | None = None,
        path: str = "/",
        domain: str | None = None,
        secure: bool = True,
        http_only: bool = True,
        same_site: str | None = "Lax",
    ) -> Response:
        """Add a ``Set-Cookie`` header; secure and HttpOnly unless told otherwise."""
        if not name or any(c in name for c in '=;, \t\r\n"'):
            raise ValueError(f"invalid cookie name {name!r}")
        if any(c in value for c in ";\r\n"):
            raise ValueError("cookie values may not contain ';' or line breaks")
        parts = [f"{name}={value}", f"Path={path}"]
        if max_age is not None:
            parts.append(f"Max-Age={max_age}")
        if domain:
            parts.append(f"Domain={domain}")
        if secure:
            parts.append("Secure")
        if http_only:
            parts.append("HttpOnly")
        if same_site:
            parts.append(f"SameSite={same_site}")
        self.headers.add("set-cookie", "; ".join(parts))
        return self

    def delete_cookie(self, name: str, *, path: str = "/") -> Response:
        return self.set_cookie(name, "", max_age=0, path=path)

    @property
    def is_text(self) -> bool:
        """Whether the body can travel as text (JSON, text/*, XML, forms); else base64."""
        ctype = self.content_type
        if ctype is None:
            return True
        ctype = ctype.lower()
        return (
            ctype.startswith(("text/", "application/x-www-form-urlencoded"))
            or "json" in ctype
            or "xml" in ctype
            or "javascript" in ctype
        )

    def __repr__(self) -> str:
        return f"<Response {self.status} {len(self.body)} bytes>"


def to_response(result: Any) -> Response:
    """Turn what a handler returned into a Response (dict/list -> JSON, str -> text, ...)."""
    if isinstance(result, Response):
        return result
    if result is None:
        return Response(b"", 204)
    if isinstance(result, dict | list):
        return Response.json(result)
    if isinstance(result, str):
        return Response.text(result)
    if isinstance(result, bytes | bytearray):
        return Response.binary(bytes(result))
    raise TypeError(
        "an HTTP handler must return a Response, dict, list, str, bytes or None; "
        f"got {type(result).__name__}"
    )
