"""Read-only ``Request`` views over the four HTTP event shapes Lambda receives.

Each view keeps the native event and fills in only what routing needs up front (method,
path, client address, request id). Headers, query, cookies and the body are built by the
``_build_*`` hooks the first time a handler reads them, so a handler that reads one path
parameter pays for nothing else.

How the sources differ (path encoding per source as reported from live captures in
github.com/middleapi/standard-server pull request 93, citing hotsock/voker pull
request 8; read 2026-11):

- Path: HTTP APIs (v2 and payload 1.0) deliver it decoded; REST APIs, Function URLs and
  ALB keep the percent-encoding, so those are decoded here.
- Query: REST and HTTP API 1.0 give decoded ``multiValueQueryStringParameters``; v2 and
  Function URLs give ``rawQueryString``; ALB gives the parameters still encoded
  ("the load balancer does not decode them", ELB user guide, lambda-functions.html,
  read 2026-11).
- Headers: v2 and Function URLs join a repeated header's values with commas.
"""

from __future__ import annotations

from polyfn.adapters.aws import url_codec
from polyfn.adapters.common.headers import split_joined
from polyfn.core.datastructures import Headers, MultiDict
from polyfn.core.http import _UNSET, HTTPError, Request, fill_request, parse_cookie_header

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (cheap_typing.py)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar

    _Built = TypeVar("_Built")

__all__ = [
    "AlbRequest",
    "ApiGatewayV1Request",
    "ApiGatewayV2Request",
    "FunctionUrlRequest",
    "JoinedHeaders",
]


class JoinedHeaders(Headers):
    """Headers whose list-valued fields are split at commas when read, lazily.

    HTTP API v2 joins repeated values with commas, and any client may send a list in
    one line; ``headers["x-tag"]`` is the value as received (``"one,two"``) and
    ``getlist`` gives ``["one", "two"]``, by the rule every runtime shares
    (``adapters.common.headers``). Splitting on read keeps the many requests that never
    ask for a list from paying for it.
    """

    __slots__ = ()

    def getlist(self, name: str) -> list[str]:
        values = super().getlist(name)
        if not any("," in value for value in values):
            return values
        key = name.lower()
        return [part for value in values for part in split_joined(key, value)]

    def multi_items(self) -> list[tuple[str, str]]:
        return [(name, value) for name in self for value in self.getlist(name)]

    def to_lists(self) -> dict[str, list[str]]:
        return {name: self.getlist(name) for name in self}


def _read_or_400(build: Callable[[Any], _Built]) -> Callable[[Any], _Built]:
    """A ``_build_*`` hook whose malformed input is a 400, not a handler's 500.

    The hooks run the first time a handler reads headers, query or cookies, long after
    the event was accepted; an event whose fields have the wrong JSON types (a header
    value that is a number, a list where a text was due) can only be refused then. The
    built mapping is checked too, so a bad value cannot fail later, inside user code.
    """

    def guarded(self: Any) -> _Built:
        try:
            built = build(self)
        except HTTPError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError, IndexError):
            raise HTTPError(400, _MALFORMED) from None
        if isinstance(built, MultiDict):
            # Loops rather than any(<generator>): a generator per header cost more than
            # building the headers (benchmarks/auth_cost.py reads them on every call).
            for name, values in built._data.items():
                if type(name) is not str or not values:
                    raise HTTPError(400, _MALFORMED)
                for value in values:
                    if type(value) is not str:
                        raise HTTPError(400, _MALFORMED)
        elif isinstance(built, dict):
            if any(type(k) is not str or type(v) is not str for k, v in built.items()):
                raise HTTPError(400, _MALFORMED)
        elif built is not None and type(built) is not str:
            raise HTTPError(400, _MALFORMED)
        return built

    guarded.__name__ = build.__name__
    return guarded


_MALFORMED = "The request's headers, query or cookies are malformed in the Lambda event"


def _decode_body(event: dict[str, Any]) -> bytes:
    body = event.get("body")
    if not body:
        return b""
    if type(body) is not str:
        raise HTTPError(400, "Request body must be a string in the Lambda event")
    if event.get("isBase64Encoded"):
        import binascii

        try:
            return binascii.a2b_base64(body, strict_mode=True)
        except (binascii.Error, ValueError):
            raise HTTPError(400, "Request body is marked base64 but is not valid base64") from None
    return body.encode("utf-8", "surrogatepass")


# What the sources send; anything else is upper-cased (str.upper always copies).
_UPPER_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _upper(method: str) -> str:
    if type(method) is not str:
        raise TypeError(f"the HTTP method is a {type(method).__name__}, not a string")
    return method if method in _UPPER_METHODS else method.upper()


def _text_path(path: Any) -> str:
    # Routing hashes and slices the path: anything but a string is a malformed event.
    if type(path) is not str:
        raise TypeError(f"the path is a {type(path).__name__}, not a string")
    return path


def _path_parameters(event: dict[str, Any]) -> dict[str, str]:
    # API Gateway's own parameters of the route it matched, decoded (REST APIs too, though
    # their path is not). App.handle_http keeps them only when it knows that route.
    params = event.get("pathParameters")
    if params is None:
        return {}
    if type(params) is not dict:
        raise TypeError(f"pathParameters is a {type(params).__name__}, not an object")
    return params


def _bad_params(params: object) -> dict[str, str]:
    raise TypeError(f"pathParameters is a {type(params).__name__}, not an object")


def _authorizer_context(
    event: dict[str, Any], key: str | None
) -> tuple[dict[str, Any], list[str] | None] | None:
    """``requestContext.authorizer`` (or its ``key`` member) when it is an object."""
    context = event.get("requestContext")
    found = context.get("authorizer") if type(context) is dict else None
    if key is not None and type(found) is dict:
        found = found.get(key)
    return (found, None) if type(found) is dict and found else None


def _unquote(path: str) -> str:
    return url_codec.unquote(path) if "%" in path else path


class ApiGatewayV1Request(Request):
    """API Gateway REST API (and HTTP API payload format 1.0)."""

    __slots__ = ("_event",)

    def __init__(self, event: dict[str, Any], request_id: str) -> None:
        context = event.get("requestContext") or {}
        path = _text_path(event.get("path") or "/")
        if event.get("version") != "1.0":  # a REST API: the path is still percent-encoded
            path = _unquote(path)
        identity = context.get("identity") or {}
        fill_request(
            self,
            _upper(event["httpMethod"]),
            path,
            _path_parameters(event),
            identity.get("sourceIp"),
            request_id or context.get("requestId", ""),
            event,
        )
        self._event = event

    @_read_or_400
    def _build_headers(self) -> Headers:
        event = self._event
        multi = event.get("multiValueHeaders")
        if multi:
            return JoinedHeaders.from_multi(multi)
        return JoinedHeaders.from_single(event.get("headers"))

    @_read_or_400
    def _build_query(self) -> MultiDict:
        event = self._event
        multi = event.get("multiValueQueryStringParameters")
        if multi:
            return MultiDict._from_lists({name: list(values) for name, values in multi.items()})
        return MultiDict(event.get("queryStringParameters") or None)

    def _build_body(self) -> bytes:
        return _decode_body(self._event)

    def _platform_claims(self, kind: str) -> tuple[dict[str, Any], list[str] | None] | None:
        # A Lambda authorizer's principalId and context, which API Gateway puts in
        # requestContext.authorizer ("Output from an API Gateway Lambda authorizer",
        # api-gateway-lambda-authorizer-output.html, read 2026-12).
        if kind != "authorizer" or kind not in self._front:
            return None
        return _authorizer_context(self._event, None)


class ApiGatewayV2Request(Request):
    """API Gateway HTTP API payload 2.0 (Function URLs: ``FunctionUrlRequest``)."""

    __slots__ = ("_event",)

    def __init__(self, event: dict[str, Any], request_id: str) -> None:
        context = event["requestContext"]
        http = context["http"]
        # HTTP APIs deliver rawPath decoded; a named stage may lead it (see _strip_stage).
        path = _text_path(event.get("rawPath") or http.get("path") or "/")
        stage = context.get("stage")
        if stage and stage != "$default":
            path = _strip_stage(path, stage, context)
        method = http["method"]
        params = event.get("pathParameters")
        # _upper and _path_parameters inlined: this view is built on every HTTP API call.
        fill_request(
            self,
            method if method in _UPPER_METHODS else _upper(method),
            path,
            {} if params is None else params if type(params) is dict else _bad_params(params),
            http.get("sourceIp"),
            request_id or context.get("requestId", ""),
            event,
        )
        self._event = event

    @_read_or_400
    def _build_headers(self) -> Headers:
        event = self._event
        headers = JoinedHeaders.from_single(event.get("headers"))
        cookies = event.get("cookies")
        # Payload 2.0 moves the Cookie header into the cookies list; put it back so that
        # headers look the same as on every other source.
        if cookies and "cookie" not in headers:
            headers.add("cookie", "; ".join(cookies))
        return headers

    def _authorization(self) -> list[str]:
        # Straight from the event: payload 2.0 gives header names in lower case, and
        # Authorization is one value (never split at commas), so a JWT route need not
        # build the request's Headers. Anything else takes the general path.
        if self._headers is None:
            headers = self._event.get("headers")
            if type(headers) is dict:
                value = headers.get("authorization")
                if type(value) is str:
                    return [value]
        return self.headers.getlist("authorization")

    @_read_or_400
    def _build_query(self) -> MultiDict:
        event = self._event
        raw = event.get("rawQueryString")
        if raw:
            return MultiDict(url_codec.parse_qsl(raw, keep_blank_values=True))
        # Without rawQueryString only the comma-joined single values are left.
        return MultiDict(event.get("queryStringParameters") or None)

    @_read_or_400
    def _build_cookies(self) -> dict[str, str]:
        cookies = self._event.get("cookies")
        if cookies is None:
            return super()._build_cookies()
        parsed: dict[str, str] = {}
        for cookie in cookies:
            parse_cookie_header(cookie, parsed)
        return parsed

    def _build_body(self) -> bytes:
        return _decode_body(self._event)

    def _platform_claims(self, kind: str) -> tuple[dict[str, Any], list[str] | None] | None:
        # What the HTTP API's authorizer verified, in requestContext.authorizer: "jwt"
        # ({"claims": {...}, "scopes": [...] or null}) for a JWT authorizer, "lambda"
        # (the simple response's context) for a Lambda authorizer ("Working with AWS
        # Lambda proxy integrations for HTTP APIs", payload format 2.0, and "Controlling
        # access to HTTP APIs with JWT authorizers", read 2026-12).
        if kind not in self._front:
            return None
        if kind == "jwt":
            # Inlined lookups: this runs on every request of a fronted JWT route, which
            # must cost at most 1.2x an anonymous one (benchmarks/auth_cost.py). The
            # membership test first: a request without claims (which polyfn then
            # verifies itself) must not pay for raising and catching a KeyError.
            # __init__ read requestContext["http"], so requestContext is a dict.
            context = self._event["requestContext"]
            if "authorizer" not in context:
                return None
            try:
                jwt = context["authorizer"]["jwt"]
                claims = jwt["claims"]
            except (KeyError, TypeError):
                return None
            if type(claims) is not dict or not claims:
                return None
            scopes = jwt.get("scopes")
            return claims, scopes if type(scopes) is list else None
        return _authorizer_context(self._event, "lambda")


class FunctionUrlRequest(ApiGatewayV2Request):
    """A Lambda Function URL request: payload 2.0, but with the path still encoded."""

    __slots__ = ()

    def __init__(self, event: dict[str, Any], request_id: str) -> None:
        super().__init__(event, request_id)
        self.path = _unquote(self.path)

    def _platform_claims(self, kind: str) -> tuple[dict[str, Any], list[str] | None] | None:
        # No gateway fronts a Function URL: nothing in its event was verified for polyfn.
        return None


def _strip_stage(path: str, stage: str, context: dict[str, Any]) -> str:
    # On the execute-api domain a named stage is the first path segment of rawPath
    # ("/prod/users/1"); routes are declared without it. Custom domains map the stage
    # away themselves, and "$default" never appears in the path.
    domain = context.get("domainName") or ""
    if ".execute-api." not in domain:
        return path
    prefix = "/" + stage
    if path == prefix:
        return "/"
    if path.startswith(prefix + "/"):
        return path[len(prefix) :]
    return path


class AlbRequest(Request):
    """An Application Load Balancer request, single- or multi-value headers mode."""

    __slots__ = ("_event", "multi_value")

    def __init__(self, event: dict[str, Any], request_id: str) -> None:
        self.multi_value = multi_value = "multiValueHeaders" in event
        headers = event.get("multiValueHeaders" if multi_value else "headers")
        if headers is not None and type(headers) is not dict:
            # Headers are read lazily; a malformed event is refused now, not on that read.
            raise TypeError(f"the headers are a {type(headers).__name__}, not an object")
        path = _unquote(_text_path(event.get("path") or "/"))
        fill_request(
            self,
            _upper(event["httpMethod"]),
            path,
            {},
            _UNSET,  # found on first read: few handlers read it (_build_client_ip)
            request_id,
            event,
        )
        self._event = event
        if not request_id:
            # ALB has no request id of its own; its trace id is what its access log shows.
            self.request_id = _alb_header(event, self.multi_value, "x-amzn-trace-id") or ""

    @_read_or_400
    def _build_client_ip(self) -> str | None:
        # ALB appends the address it saw to X-Forwarded-For; entries to its left were sent
        # by the client and can be anything, so the last one is the trustworthy one.
        forwarded = _alb_header(self._event, self.multi_value, "x-forwarded-for")
        if not forwarded:
            return None
        return forwarded.rpartition(",")[2].strip() or None

    @_read_or_400
    def _build_headers(self) -> Headers:
        event = self._event
        if self.multi_value:
            return JoinedHeaders.from_multi(event.get("multiValueHeaders"))
        return JoinedHeaders.from_single(event.get("headers"))

    @_read_or_400
    def _build_query(self) -> MultiDict:
        event = self._event
        unquote_plus = url_codec.unquote_plus
        if self.multi_value:
            multi = event.get("multiValueQueryStringParameters") or {}
            return MultiDict(
                [
                    (unquote_plus(name), unquote_plus(value))
                    for name, values in multi.items()
                    for value in values
                ]
            )
        single = event.get("queryStringParameters") or {}
        return MultiDict([(unquote_plus(k), unquote_plus(v)) for k, v in single.items()])

    def _build_body(self) -> bytes:
        return _decode_body(self._event)


def _alb_header(event: dict[str, Any], multi_value: bool, name: str) -> str | None:
    # One header's last value, read from the event without building Headers (ALB sends
    # the names lower-cased).
    if multi_value:
        values = (event.get("multiValueHeaders") or {}).get(name)
        return str(values[-1]) if values else None
    value = (event.get("headers") or {}).get(name)
    return str(value) if value is not None else None
