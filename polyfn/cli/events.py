"""``polyfn events CLOUD [KIND] [options]``: print a realistic native event as JSON.

The events come from each cloud's host module (``polyfn.hosts``), the same builders the
hosts feed the adapters in ``polyfn invoke`` and in the behaviour suite.
Each command-line option is handed to the generator as the keyword argument of the same
meaning; a generator that does not take it makes the option an error, not a silent no-op.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from polyfn.cli.errors import UsageError
from polyfn.hosts import CLOUDS, UnknownRuntime, runtime_hosts
from polyfn.hosts.vocabulary import (
    EventOptionError,
    Generator,
    accepted_flags,
    describe_kind,
    generator_kwargs,
    keywords,
)

__all__ = [
    "CLOUDS",
    "add_event_options",
    "describe_kind",
    "generate",
    "generators",
    "options_from_args",
]


def add_event_options(parser: argparse.ArgumentParser) -> None:
    """The options shared by ``polyfn events`` and ``polyfn invoke --sample``."""
    group = parser.add_argument_group("event options (each kind takes some of them)")
    group.add_argument("--path", help="HTTP path, decoded (/users/1)")
    group.add_argument("--method", help="HTTP method")
    body = group.add_mutually_exclusive_group()
    body.add_argument("--body", help="HTTP body (text)")
    body.add_argument("--body-file", help="HTTP body read from a file")
    group.add_argument("--bucket", help="bucket or container (physical name)")
    group.add_argument("--key", help="object key or blob name, decoded")
    group.add_argument(
        "--message", action="append", metavar="BODY", help="a queue message body (repeatable)"
    )
    group.add_argument(
        "--header", action="append", metavar="'NAME: VALUE'", help="an HTTP header (repeatable)"
    )
    group.add_argument(
        "--query", action="append", metavar="NAME=VALUE", help="a query parameter (repeatable)"
    )
    group.add_argument("--queue", help="queue name (physical)")
    group.add_argument("--topic", help="topic name (SNS, Pub/Sub)")
    group.add_argument("--action", choices=("created", "deleted"), help="object event action")
    group.add_argument("--source", help="event source")
    group.add_argument("--type", help="event type")
    group.add_argument("--data", help="event data, as JSON (a change: the item after it)")
    group.add_argument("--table", help="table name (physical) of a change")
    group.add_argument(
        "--change", choices=("insert", "modify", "remove"), help="what a table change did"
    )
    group.add_argument(
        "--option",
        action="append",
        metavar="NAME=VALUE",
        help="any other keyword of the generator (VALUE is read as JSON when it parses)",
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("cloud", help=f"one of {', '.join(CLOUDS)}")
    parser.add_argument("kind", nargs="?", help="the event kind; omit it to list the kinds")
    add_event_options(parser)


def run(args: argparse.Namespace) -> int:
    kinds = generators(args.cloud)
    if args.kind is None:
        given = options_from_args(args)
        if given:
            raise UsageError(f"name a KIND to use {', '.join(sorted(given))}")
        width = max(len(kind) for kind in kinds)
        for kind, generator in kinds.items():
            flags = accepted_flags(keywords(generator))
            print(
                f"{kind:<{width}}  {describe_kind(generator)}" + (f"  [{flags}]" if flags else "")
            )
        return 0
    document = generate(args.cloud, args.kind, options_from_args(args))
    json.dump(document, sys.stdout, indent=2, ensure_ascii=False, default=_jsonable)
    sys.stdout.write("\n")
    return 0


# ----------------------------------------------------------------------------- generators


def generators(cloud: str) -> dict[str, Generator]:
    """The cloud's generators (kind -> builder); an unknown cloud is a usage error."""
    if cloud not in CLOUDS:
        raise UsageError(f"unknown cloud {cloud!r}; expected one of {', '.join(CLOUDS)}")
    try:
        return dict(runtime_hosts(cloud).GENERATORS)
    except UnknownRuntime as exc:
        raise UsageError(str(exc)) from None
    except ImportError as exc:
        raise UsageError(f"the {cloud} event generators cannot be imported: {exc}") from None


def generator_for(cloud: str, kind: str) -> Generator:
    kinds = generators(cloud)
    generator = kinds.get(kind)
    if generator is None:
        raise UsageError(f"unknown {cloud} event kind {kind!r}; expected one of {', '.join(kinds)}")
    return generator


def generate(cloud: str, kind: str, given: Mapping[str, Any]) -> Any:
    """Call the generator of ``cloud``/``kind`` with the options the user gave.

    ``given`` maps an option's dest (``path``, ``message``, ...) to its value, or
    ``option:NAME`` to a raw generator keyword; see ``options_from_args``.
    """
    generator = generator_for(cloud, kind)
    try:
        kwargs = generator_kwargs(cloud, kind, generator, given)
    except EventOptionError as exc:
        raise UsageError(str(exc)) from None
    return generator(**kwargs)


# ----------------------------------------------------------------------------- arguments


def options_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """The event options the user gave, parsed: dest -> value, ``option:NAME`` -> value."""
    given: dict[str, Any] = {}
    for name in (
        "path",
        "method",
        "bucket",
        "key",
        "queue",
        "topic",
        "action",
        "source",
        "type",
        "table",
        "change",
    ):
        value = getattr(args, name, None)
        if value is not None:
            given[name] = value
    if getattr(args, "body", None) is not None:
        given["body"] = args.body
    elif getattr(args, "body_file", None) is not None:
        given["body"] = _read_body_file(args.body_file)
    if getattr(args, "message", None):
        given["message"] = list(args.message)
    if getattr(args, "header", None):
        given["header"] = [_parse_header(value) for value in args.header]
    if getattr(args, "query", None):
        given["query"] = _parse_query(args.query)
    if getattr(args, "data", None) is not None:
        try:
            given["data"] = json.loads(args.data)
        except ValueError as exc:
            raise UsageError(f"--data must be JSON ({exc})") from None
    for item in getattr(args, "option", None) or ():
        name, sep, text = item.partition("=")
        if not sep or not name.strip().isidentifier():
            raise UsageError(f"--option expects NAME=VALUE, got {item!r}")
        given[f"option:{name.strip()}"] = _json_or_text(text)
    return given


def _read_body_file(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not UTF-8 text") from None


def _parse_header(value: str) -> tuple[str, str]:
    name, sep, content = value.partition(":")
    if not sep or not name.strip():
        raise UsageError(f"--header expects 'Name: value', got {value!r}")
    return name.strip(), content.strip()


def _parse_query(values: Sequence[str]) -> dict[str, list[str]]:
    query: dict[str, list[str]] = {}
    for value in values:
        name, sep, content = value.partition("=")
        if not sep or not name:
            raise UsageError(f"--query expects name=value, got {value!r}")
        query.setdefault(name, []).append(content)
    return query


def _json_or_text(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return value.decode("utf-8", "replace")
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
