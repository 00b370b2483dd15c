"""The vocabulary of event options shared by ``polyfn events``, ``polyfn invoke`` and hosts.

Each option (``--path``, ``--message``, ...) means one thing on every cloud and reaches a
native event generator as the keyword of the same meaning (``bucket`` on AWS is
``container`` on Azure). A generator that does not take an option makes it an error,
not a silent no-op. ``given`` mappings use an option's dest (``path``, ``message``) or
``option:NAME`` for any other keyword of the generator.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "OPTIONS",
    "EventOptionError",
    "Generator",
    "Option",
    "accepted_flags",
    "describe_kind",
    "generator_kwargs",
    "keywords",
]

Generator = Callable[..., Any]


class EventOptionError(ValueError):
    """An event option a generator cannot take, or takes in another form; one line."""


@dataclass(frozen=True)
class Option:
    """One command-line option and the generator keywords that may receive it, in order.

    ``plural`` keywords take a list (every value given); singular ones take one value.
    """

    flag: str
    dest: str
    keywords: tuple[str, ...]
    plural: tuple[str, ...] = ()


OPTIONS: tuple[Option, ...] = (
    Option("--path", "path", ("path",)),
    Option("--method", "method", ("method",)),
    Option("--body", "body", ("body",)),
    Option("--bucket", "bucket", ("bucket", "container")),
    Option("--key", "key", ("key",)),
    Option("--message", "message", ("message",), plural=("messages", "bodies")),
    Option("--header", "header", ("headers",)),
    Option("--query", "query", ("query",)),
    Option("--queue", "queue", ("queue", "queue_name")),
    Option("--topic", "topic", ("topic",)),
    Option("--action", "action", ("action",)),
    Option("--source", "source", ("source",)),
    Option("--type", "type", ("type", "detail_type")),
    Option("--data", "data", ("data", "detail")),
    Option("--table", "table", ("table", "collection")),
    Option("--change", "change", ("change",)),
)


def describe_kind(generator: Generator) -> str:
    """The first line of the generator's docstring: what the event is."""
    doc = (inspect.getdoc(generator) or "").strip()
    if not doc:
        return "(no description)"
    # The docstrings are reST: keep the first clause of the first line, without markup.
    return doc.splitlines()[0].split("; ")[0].rstrip(".").replace("``", "")


def keywords(generator: Generator) -> dict[str, inspect.Parameter]:
    parameters = inspect.signature(generator).parameters
    return {
        name: parameter
        for name, parameter in parameters.items()
        if parameter.kind
        in (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    }


def generator_kwargs(
    cloud: str, kind: str, generator: Generator, given: Mapping[str, Any]
) -> dict[str, Any]:
    """The keyword arguments for ``generator``; an option it does not take is an error."""
    accepted = keywords(generator)
    kwargs: dict[str, Any] = {}
    for option in OPTIONS:
        if option.dest not in given:
            continue
        value = given[option.dest]
        keyword = _keyword_for(option, accepted)
        if keyword is None:
            raise EventOptionError(
                f"{cloud} {kind} does not take {option.flag}; it takes "
                f"{accepted_flags(accepted) or 'no options'}"
            )
        if option.dest == "message":
            values = list(value)
            if keyword not in option.plural:
                if len(values) != 1:
                    raise EventOptionError(f"{cloud} {kind} takes one --message, got {len(values)}")
                value = values[0]
            else:
                value = values
        kwargs[keyword] = value
    for name, value in given.items():
        if not name.startswith("option:"):
            continue
        keyword = name.removeprefix("option:")
        if keyword not in accepted:
            raise EventOptionError(
                f"{cloud} {kind} has no option {keyword!r}; it takes "
                f"{', '.join(accepted) or 'none'}"
            )
        if keyword in kwargs:
            raise EventOptionError(f"{keyword!r} is given twice")
        kwargs[keyword] = value
    return kwargs


def _keyword_for(option: Option, accepted: Mapping[str, inspect.Parameter]) -> str | None:
    for keyword in (*option.plural, *option.keywords):
        if keyword in accepted:
            return keyword
    return None


def accepted_flags(accepted: Mapping[str, inspect.Parameter]) -> str:
    flags = [option.flag for option in OPTIONS if _keyword_for(option, accepted) is not None]
    return " ".join(flags)
