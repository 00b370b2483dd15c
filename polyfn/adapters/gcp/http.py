"""HTTP through functions-framework: a Flask request in, a werkzeug response out.

functions-framework hands an HTTP function the ``flask.Request`` of a WSGI server
(gunicorn on Cloud Functions 2nd gen and Cloud Run, werkzeug's server or test client
elsewhere). What WSGI flattens, the view below undoes where it can:

- WSGI keeps one value per header name; servers join repeated headers with commas
  (gunicorn ``,``, werkzeug ``, ``). They are split back by the one rule every adapter
  uses (``adapters.common.headers.split_joined``): list fields at commas outside quotes,
  single-valued fields never.
- Two ``Cookie`` headers become one value joined by a comma, which core's cookie parser
  reads as both, as it does on every runtime.
- The request id is the trace id Google's front end puts in ``X-Cloud-Trace-Context``
  (or the W3C ``traceparent``), so the id in an error body finds the request's logs.

Nothing here imports Flask or werkzeug at module level: the request arrives already
built, and the response class is created on first use. The local runtime reuses this
module with ``cloud="local"``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from polyfn.adapters.common.headers import headers_from_joined
from polyfn.core.datastructures import Headers, MultiDict
from polyfn.core.http import Request, fill_request

if TYPE_CHECKING:
    from collections.abc import Mapping

    from polyfn.core.http import Response

__all__ = [
    "FlaskRequest",
    "client_address",
    "new_request_id",
    "request_id_from",
    "request_id_from_environ",
    "to_flask_response",
]

_HEX = frozenset("0123456789abcdef")


def _trace_id(value: str | None) -> str | None:
    if value and len(value) == 32 and set(value.lower()) <= _HEX and value.strip("0"):
        return value.lower()
    return None


def request_id_from(headers: Any) -> str | None:
    """The trace id of ``X-Cloud-Trace-Context: TRACE/SPAN;o=1`` or ``traceparent:
    00-TRACE-SPAN-01``; None when neither carries a well-formed one (a client can send
    anything, and the id is echoed back in error bodies)."""
    return _request_id(headers.get("X-Cloud-Trace-Context"), headers.get("traceparent"))


def request_id_from_environ(environ: Mapping[str, Any]) -> str | None:
    """``request_id_from`` for a WSGI environ, read directly: werkzeug's header view raises
    and catches a KeyError for every header that is absent, as traceparent usually is."""
    return _request_id(environ.get("HTTP_X_CLOUD_TRACE_CONTEXT"), environ.get("HTTP_TRACEPARENT"))


def _request_id(cloud_trace: str | None, traceparent: str | None) -> str | None:
    if cloud_trace:
        found = _trace_id(cloud_trace.split("/", 1)[0].strip())
        if found:
            return found
    if traceparent:
        fields = traceparent.strip().split("-")
        if len(fields) >= 4:
            return _trace_id(fields[1])
    return None


def new_request_id() -> str:
    return os.urandom(16).hex()


def client_address(
    forwarded: str | None,
    remote_addr: str | None,
    *,
    trust_forwarded: bool = True,
    hops: int = 1,
) -> str | None:
    """The caller's address: the last ``X-Forwarded-For`` entry on Google Cloud, the
    socket's peer elsewhere.

    Google's front end appends the address it received the request from to whatever
    ``X-Forwarded-For`` the client sent ("clientIp, proxy1Ip, proxy2Ip": Cloud Functions,
    "Request headers", https://cloud.google.com/functions/docs/reference/headers, and
    Cloud Load Balancing, "X-Forwarded-For header",
    https://cloud.google.com/load-balancing/docs/https#x-forwarded-for_header, read
    2026-12). Entries to the left of it are the client's own words, so only the last one
    is an address Google saw. Behind a load balancer of your own, that is the balancer.
    With ``trust_forwarded=False`` (the local runtime, which no front end protects) the
    header is ignored and the socket's peer is the caller.

    ``hops`` counts the Google front ends that appended an entry: 2 behind the API
    Gateway (``GatewayFlaskRequest``), whose own address the function's front end
    appends after the client's, so the client is the second entry from the right.
    """
    if trust_forwarded and forwarded:
        # Only the last ``hops`` entries are split off: the rest is the client's to write.
        entries = forwarded.rsplit(",", hops)
        # Fewer entries than hops: the request did not come the expected way; the
        # leftmost is still one a Google front end wrote.
        chosen = (entries[-hops] if len(entries) >= hops else entries[0]).strip()
        if chosen:
            return chosen
    return remote_addr or None


class FlaskRequest(Request):
    """A core ``Request`` read lazily from a ``flask.Request`` (or any werkzeug request)."""

    __slots__ = ("_native",)

    # How many Google front ends appended to X-Forwarded-For (client_address).
    _forwarded_hops = 1

    def __init__(self, native: Any, request_id: str, trust_forwarded: bool = True) -> None:
        # The two headers come from the WSGI environ, where werkzeug's own view reads
        # them, without the KeyError that view raises and catches for an absent one.
        environ = native.environ
        self._native = native
        client = client_address(
            environ.get("HTTP_X_FORWARDED_FOR"),
            environ.get("REMOTE_ADDR"),
            trust_forwarded=trust_forwarded,
            hops=self._forwarded_hops,
        )
        fill_request(
            self, native.method.upper(), native.path or "/", {}, client, request_id, native
        )

    def _build_headers(self) -> Headers:
        return headers_from_joined(self._native.headers.items())

    def _build_query(self) -> MultiDict:
        return MultiDict._from_lists(
            {name: list(values) for name, values in self._native.args.lists()}
        )

    def _build_body(self) -> bytes:
        body: bytes = self._native.get_data(cache=True)
        return body

    def _platform_claims(self, kind: str) -> tuple[dict[str, Any], list[str] | None] | None:
        # The JWT claims the front door verified (API Gateway): read only when deploy
        # put it there (core.auth.fronted), see adapters/common/platform_claims.
        if kind != "jwt" or kind not in self._front:
            return None
        from polyfn.adapters.common.platform_claims import GATEWAY_USERINFO_HEADER, gateway_claims

        values = self.headers.getlist(GATEWAY_USERINFO_HEADER)
        if len(values) != 1:
            # Two values: one may be the client's own, kept beside the gateway's;
            # neither is trusted, and polyfn verifies the bearer token itself.
            return None
        claims = gateway_claims(values[0])
        return None if claims is None else (claims, None)


class GatewayFlaskRequest(FlaskRequest):
    """A request that came through polyfn's API Gateway (deploy's ``POLYFN_GCP_GATEWAY``).

    The gateway calls the function with its own identity token in ``Authorization``
    (``x-google-backend.jwt_audience``) and moves the client's to
    ``X-Forwarded-Authorization``; handlers and authorizers see the client's, as on
    every other runtime, and never the gateway's. The client's address is one
    ``X-Forwarded-For`` entry left of the gateway's.
    """

    __slots__ = ()

    _forwarded_hops = 2

    def _build_headers(self) -> Headers:
        headers = super()._build_headers()
        forwarded = headers.getlist(FORWARDED_AUTHORIZATION)
        headers.remove(FORWARDED_AUTHORIZATION)
        headers.remove("authorization")
        for value in forwarded:
            headers.add("authorization", value)
        return headers


FORWARDED_AUTHORIZATION = "x-forwarded-authorization"

_response_class: Any = None
_headers_class: Any = None


def _werkzeug_response() -> Any:
    """werkzeug's Response without a default content type: a body the handler left untyped
    (a 204, raw bytes) must not be announced as ``text/html``."""
    global _response_class, _headers_class
    if _response_class is None:
        from werkzeug.datastructures import Headers as WerkzeugHeaders
        from werkzeug.wrappers import Response as WerkzeugResponse

        class UntypedResponse(WerkzeugResponse):
            default_mimetype = None

        _response_class, _headers_class = UntypedResponse, WerkzeugHeaders
    return _response_class


def to_flask_response(response: Response) -> Any:
    """A werkzeug response with every header (repeated ``Set-Cookie`` included) and the
    body bytes untouched. Raises ``ValueError`` for a header werkzeug refuses (a line break
    in a value), which the caller answers as a 500."""
    response_class = _response_class or _werkzeug_response()
    # Filled here rather than handed over as a list: werkzeug adds a list's items one by
    # one just the same, after a generic walk over it that costs three times as much.
    headers = _headers_class()
    core_headers = response._headers
    if core_headers is not None:
        add = headers.add
        # Core's name -> values lists, read without a copy, as the AWS renderers do.
        for name, values in core_headers._data.items():
            for value in values:
                add(name, value)
    elif response._content_type is not None:  # the one header most answers have
        headers.add("content-type", response._content_type)
    return response_class(response.body, status=response.status, headers=headers)
