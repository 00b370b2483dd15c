"""Splitting header values that a front end joined with commas.

API Gateway v2, the Azure Functions host and Google's front ends hand repeated headers
over as one comma-joined value. RFC 9110 section 5.3 lets only list-based fields be
combined that way, so a comma in a single-valued field (dates, user agents, cookies) is
part of the value and must not be split.
"""

from __future__ import annotations

__all__ = ["SINGLE_VALUE_HEADERS", "split_joined"]

SINGLE_VALUE_HEADERS = frozenset(
    {
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


def split_joined(name: str, value: str, single_valued: frozenset[str]) -> list[str]:
    """The values joined into ``value``; ``name`` is lower-case, ``single_valued`` the
    fields never to split (``SINGLE_VALUE_HEADERS`` plus the platform's own)."""
    if "," not in value or name in single_valued:
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
