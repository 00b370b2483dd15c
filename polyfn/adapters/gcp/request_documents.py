"""HTTP request documents: the JSON form of a request that ``polyfn events gcp http``
prints and ``polyfn inspect`` / ``polyfn invoke`` read::

    {"method": "POST", "path": "/users/1", "query": {"tag": ["a", "b"]},
     "headers": {"Content-Type": ["application/json"]}, "body": "{...}"}

``path`` is decoded; ``query`` and ``headers`` map a name to a list of values (a single
string or a list of ``[name, value]`` pairs is accepted too); a body that is not UTF-8
travels as ``body_base64``. ``werkzeug_request`` builds the request functions-framework
would hand the function, so inspecting one runs the function's own translation.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

from polyfn.core.errors import UnrecognizedEvent

__all__ = [
    "PATH_SAFE",
    "flask_kwargs",
    "is_request_document",
    "pairs",
    "request_body",
    "value_lists",
    "werkzeug_request",
]

# What may stay unescaped in a URL path (RFC 3986 pchar and "/").
PATH_SAFE = "/:@!$&'()*+,;=-._~"
_EXPECTED = "an HTTP request document (method, path, query, headers, body)"


# The keys a request document may have (``polyfn events gcp http`` writes these).
_DOCUMENT_KEYS = frozenset({"method", "path", "query", "headers", "body", "body_base64"})


def is_request_document(document: Any) -> bool:
    """A request document: method and an absolute path, and no key of any other shape.

    Other clouds' HTTP events also have a method and a path (VPC Lattice's payload 2.0
    has ``method``, ``path``, ``version`` and ``requestContext``); the closed set of keys
    is what keeps them from being read as polyfn's own document.
    """
    if not isinstance(document, Mapping):
        return False
    path = document.get("path")
    return (
        isinstance(document.get("method"), str)
        and isinstance(path, str)
        and path.startswith("/")
        and all(key in _DOCUMENT_KEYS for key in document)
    )


def value_lists(value: Any) -> dict[str, list[str]]:
    """name -> [values] from a mapping (single or list values) or (name, value) pairs."""
    result: dict[str, list[str]] = {}
    if not value:
        return result
    items = value.items() if isinstance(value, Mapping) else value
    for item in items:
        if not isinstance(item, tuple | list) or len(item) != 2:
            raise UnrecognizedEvent(
                f"expected a (name, value) pair, got {item!r}", expected=_EXPECTED
            )
        name, values = item
        if isinstance(values, str):
            values = [values]
        result.setdefault(str(name), []).extend(str(one) for one in values)
    return result


def pairs(value: Any) -> list[tuple[str, str]]:
    return [(name, one) for name, values in value_lists(value).items() for one in values]


def request_body(document: Mapping[str, Any]) -> bytes:
    """The body bytes of a request document (``body_base64`` wins over ``body``)."""
    encoded = document.get("body_base64")
    if encoded:
        try:
            return base64.b64decode(str(encoded), validate=True)
        except (binascii.Error, ValueError):
            raise UnrecognizedEvent("body_base64 is not base64", expected=_EXPECTED) from None
    text = document.get("body")
    if text is None:
        return b""
    if isinstance(text, str):
        return text.encode("utf-8")
    return json.dumps(text).encode("utf-8")


def flask_kwargs(document: Mapping[str, Any]) -> dict[str, Any]:
    """Keyword arguments of ``flask_app.test_client().open(**kwargs)`` (and of werkzeug's
    ``EnvironBuilder``) for ``document``."""
    path = str(document.get("path") or "/")
    if not path.startswith("/"):
        raise UnrecognizedEvent(f"path must start with '/', got {path!r}", expected=_EXPECTED)
    return {
        "path": quote(path, safe=PATH_SAFE),
        "method": str(document.get("method") or "GET").upper(),
        "query_string": urlencode(pairs(document.get("query"))),
        "headers": pairs(document.get("headers")),
        "data": request_body(document),
    }


def werkzeug_request(document: Mapping[str, Any]) -> Any:
    """The ``flask.Request`` a WSGI server would build for ``document``."""
    from flask import Request as FlaskRequest
    from werkzeug.test import EnvironBuilder

    builder = EnvironBuilder(**flask_kwargs(document))
    try:
        return builder.get_request(FlaskRequest)
    finally:
        builder.close()
