"""The one rule for splitting comma-joined header values, as every adapter applies it."""

from __future__ import annotations

import pytest

from polyfn.adapters.common.headers import SINGLE_VALUE_HEADERS, split_joined
from polyfn.core.http import parse_cookie_header


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("x-tag", "one, two", ["one", "two"]),
        ("x-tag", "one,two, three", ["one", "two", "three"]),
        ("x-tag", "one", ["one"]),
        ("accept", 'a, "b, c", d', ["a", '"b, c"', "d"]),
        ("x-tag", 'a="x\\", y", b', ['a="x\\", y"', "b"]),
        ("x-tag", r'"a\", b", c', [r'"a\", b"', "c"]),
        ("x-tag", "a,,b, ", ["a", "b"]),
        ("x-tag", "one,,", ["one"]),
        ("x-tag", ",", [","]),
        ("date", "Tue, 15 Nov 1994 08:12:31 GMT", ["Tue, 15 Nov 1994 08:12:31 GMT"]),
        ("authorization", "Digest a=1, b=2", ["Digest a=1, b=2"]),
        ("content-type", "text/plain, text/html", ["text/plain, text/html"]),
        ("from", "a@x.org, b@y.org", ["a@x.org, b@y.org"]),
    ],
)
def test_split_joined(name: str, value: str, expected: list[str]) -> None:
    assert split_joined(name, value) == expected


def test_rfc_9110_singletons_are_never_split() -> None:
    singletons = {"content-type", "from", "authorization", "date", "user-agent", "host"}
    assert singletons <= SINGLE_VALUE_HEADERS


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("a=1; b=2", {"a": "1", "b": "2"}),
        ("a=1, b=2", {"a": "1", "b": "2"}),  # two Cookie headers a front end joined
        ('a="q"; a=2', {"a": "q"}),  # the first value of a name wins, quotes dropped
        ("a=x,y; b=2", {"a": "x,y", "b": "2"}),  # a comma not followed by name= stays
    ],
)
def test_cookie_headers_joined_by_a_front_end_read_as_both(
    header: str, expected: dict[str, str]
) -> None:
    cookies: dict[str, str] = {}
    parse_cookie_header(header, cookies)
    assert cookies == expected
