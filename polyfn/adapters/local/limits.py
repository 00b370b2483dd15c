"""What ``polyfn run``'s HTTP server bounds, as the clouds' front ends do: the request body
size, how long a connection may stay silent, and how many connections it holds at once.

The body limit of each platform, for choosing ``--max-body`` (sources read 2026-12):

- AWS Lambda: 6 MB for a synchronous invocation's request payload (Lambda quotas), less
  once API Gateway has base64-encoded a binary body; API Gateway itself takes 10 MB.
- Google Cloud Functions: 32 MB for an HTTP request (Cloud Functions quotas, "Max
  uncompressed HTTP request size").
- Azure Functions: 100 MB for an HTTP request (the host's ``maxRequestBodySize``).

Locally the default is the strictest, Lambda's 6 MB: a body ``polyfn run`` accepts then
fits every cloud. A larger body is answered 413 before the app runs.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

__all__ = [
    "DEFAULT_IDLE_TIMEOUT_SECONDS",
    "DEFAULT_MAX_BODY_BYTES",
    "DEFAULT_MAX_CONNECTIONS",
    "BodyTooLarge",
    "ClientGone",
    "ServerLimits",
    "buffer_body",
    "parse_size",
]

DEFAULT_MAX_BODY_BYTES = 6 * 1024 * 1024
# A connection that sends nothing for this long (a request line, a header, a piece of
# body) is closed, so a half-sent or idle connection does not hold its thread forever.
DEFAULT_IDLE_TIMEOUT_SECONDS = 30.0
# Each connection is a thread; past this many at once a new one is answered 503.
DEFAULT_MAX_CONNECTIONS = 100
_READ_SIZE = 64 * 1024


@dataclass(frozen=True)
class ServerLimits:
    max_body: int = DEFAULT_MAX_BODY_BYTES
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT_SECONDS
    max_connections: int = DEFAULT_MAX_CONNECTIONS


class BodyTooLarge(Exception):
    """The request body is over the limit; answered 413."""


class ClientGone(Exception):
    """The client closed the connection (or went silent) before sending its whole body."""


def buffer_body(environ: dict[str, Any], max_body: int) -> None:
    """Read the request body (``Content-Length`` or chunked) into memory, at most
    ``max_body`` bytes, and hand the app a stream of it with its exact length.

    Reading it here, before the app runs, is what lets a too-large body be a 413 rather
    than an error inside the handler, and a client that leaves mid-body a line saying so
    rather than a handler failure.
    """
    stream = environ["wsgi.input"]
    length_text = environ.get("CONTENT_LENGTH") or ""
    chunked = bool(environ.get("wsgi.input_terminated"))
    if not chunked and not length_text.strip():
        return  # no body
    if chunked:
        data = _read_to_end(stream, max_body)
    else:
        try:
            length = int(length_text)
        except ValueError:
            return  # werkzeug reads an unparsable length as no body; so does the app
        if length > max_body:
            raise BodyTooLarge(f"Content-Length {length} is over the limit of {max_body} bytes")
        data = _read_exactly(stream, length)
    environ["wsgi.input"] = io.BytesIO(data)
    environ["CONTENT_LENGTH"] = str(len(data))


def _read_exactly(stream: Any, length: int) -> bytes:
    parts: list[bytes] = []
    remaining = length
    while remaining > 0:
        try:
            part = stream.read(min(remaining, _READ_SIZE))
        except OSError as exc:  # a timeout or a reset
            raise ClientGone(str(exc)) from None
        if not part:
            raise ClientGone(f"the body ended after {length - remaining} of {length} bytes")
        parts.append(part)
        remaining -= len(part)
    return b"".join(parts)


def _read_to_end(stream: Any, max_body: int) -> bytes:
    parts: list[bytes] = []
    size = 0
    while True:
        try:
            part = stream.read(_READ_SIZE)
        except OSError as exc:  # werkzeug's dechunker raises this for a broken stream too
            raise ClientGone(str(exc)) from None
        if not part:
            return b"".join(parts)
        size += len(part)
        if size > max_body:
            raise BodyTooLarge(f"a chunked body over the limit of {max_body} bytes")
        parts.append(part)


_UNITS = {
    "": 1,
    "B": 1,
    "K": 1024,
    "KB": 1024,
    "M": 1024**2,
    "MB": 1024**2,
    "G": 1024**3,
    "GB": 1024**3,
}


def parse_size(text: str) -> int:
    """``6291456``, ``6MB``, ``512K``, ``1G`` as bytes (binary units); ValueError otherwise."""
    stripped = text.strip().upper()
    digits = stripped.rstrip("KMGB")
    unit = stripped[len(digits) :]
    if not digits.isdecimal() or unit not in _UNITS:
        raise ValueError(f"expected a size such as 6MB, 512K or 6291456, got {text!r}")
    return int(digits) * _UNITS[unit]
