"""Splitting header values that a front end joined with commas: one rule, every cloud.

API Gateway v2, the Azure Functions host and Google's front ends hand repeated headers
over as one comma-joined value. RFC 9110 section 5.3 lets only list-based fields be
combined that way, so a comma in a single-valued field (dates, user agents, media types,
mailboxes, credentials, cookies) is part of the value and must not be split; every
other field is a list and is split here, the same way for every runtime.
"""

from __future__ import annotations

from polyfn.core.datastructures import Headers

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (cheap_typing.py)
if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["SINGLE_VALUE_HEADERS", "headers_from_joined", "split_joined"]

# Fields whose one value may itself hold a comma, or that use another separator:
# RFC 9110 singletons (Content-Type, From, Authorization, Date, ...), cookies (RFC 6265)
# and the trace-context fields whose value is one identifier; App Service's front end
# adds x-arr-* / x-waws-* / x-original-url ones that carry URLs or certificate names.
SINGLE_VALUE_HEADERS = frozenset(
    {
        "x-original-url",
        "x-waws-unencoded-url",
        "x-arr-ssl",
        "x-ms-client-principal",
        "from",
        "traceparent",
        "tracestate",
        "x-cloud-trace-context",
        "x-amzn-trace-id",
        "x-cloudscheduler-scheduletime",
        "authorization",
        "proxy-authorization",
        "www-authenticate",
        "proxy-authenticate",
        "date",
        "expires",
        "if-modified-since",
        "if-unmodified-since",
        "last-modified",
        "retry-after",
        "if-range",
        "user-agent",
        "referer",
        "location",
        "content-location",
        "content-type",
        "content-disposition",
        "content-length",
        "host",
        "origin",
        "cookie",
        "set-cookie",
    }
)


def split_joined(name: str, value: str) -> list[str]:
    """The values a front end joined into ``value``; ``name`` is lower-case.

    ``'a, "b,c", d'`` gives ``['a', '"b,c"', 'd']``: a comma inside a quoted string
    (where ``\\"`` escapes a quote) does not split, and empty members are dropped.
    """
    if "," not in value or name in SINGLE_VALUE_HEADERS:
        return [value]
    parts: list[str] = []
    start = 0
    quoted = escaped = False
    for index, char in enumerate(value):
        if escaped:
            escaped = False
        elif char == "\\" and quoted:
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            parts.append(value[start:index].strip())
            start = index + 1
    parts.append(value[start:].strip())
    kept = [part for part in parts if part]  # empty list members carry nothing (RFC 9110)
    return kept or [value.strip()]


def headers_from_joined(items: Iterable[tuple[str, str]]) -> Headers:
    """Core ``Headers`` from a front end's (name, joined value) pairs, split by the rule
    above: how the Azure host and Google's front end hand headers over."""
    data: dict[str, list[str]] = {}
    for name, value in items:
        key = name.lower()
        data.setdefault(key, []).extend(split_joined(key, value))
    return Headers._from_lists(data)  # names are lower-case already: no second pass
