"""``polyfn inspect EVENT.json [--cloud aws|azure|gcp]``: how polyfn reads a native event.

The detection asks each cloud's ``looks_like`` in turn and translates with that cloud's
``describe``, which is the same code the runtime uses; what is printed is what a handler
would receive.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from polyfn.cli.errors import UsageError
from polyfn.core.errors import UnrecognizedEvent
from polyfn.hosts import CLOUDS, runtime_hosts

# Checked in this order: AWS events are plain dicts with distinctive keys, Azure Event Grid
# documents have eventType/topic, and a CloudEvent's specversion/type is the loosest shape.
_EXPECTED = (
    "an AWS Lambda event (API Gateway v1/v2, ALB, Function URL, S3, SQS, SNS, EventBridge), "
    "an Azure Event Grid event (Event Grid or CloudEvents schema, alone or in an array), "
    "or a Google Cloud CloudEvent (structured JSON) or legacy background event"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("event", help="a JSON file with one native event ('-' for stdin)")
    parser.add_argument("--cloud", choices=CLOUDS, help="the event's cloud (detected when omitted)")


def describe(document: Any, cloud: str | None = None) -> dict[str, Any]:
    """The common model of one native event, as ``polyfn inspect`` prints it."""
    if cloud is not None:
        return runtime_hosts(cloud).describe(document)
    for candidate in CLOUDS:
        hosts = runtime_hosts(candidate)
        if hosts.looks_like(document):
            return hosts.describe(document)
    raise UnrecognizedEvent("this is not an event polyfn recognises", expected=_EXPECTED)


def run(args: argparse.Namespace) -> int:
    try:
        if args.event == "-":
            text = sys.stdin.read().removeprefix("\ufeff")
        else:
            # utf-8-sig: a file saved with a byte order mark (Windows editors, PowerShell's
            # Out-File) is JSON all the same.
            with open(args.event, encoding="utf-8-sig") as handle:
                text = handle.read()
    except OSError as exc:
        raise UsageError(f"cannot read {args.event}: {exc.strerror or exc}") from None
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise UsageError(f"{args.event} is not JSON ({exc}); expected {_EXPECTED}") from None
    try:
        model = describe(document, args.cloud)
    except UnrecognizedEvent as exc:
        raise UsageError(str(exc)) from None
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        # A document with the right markers but broken fields: say so in one line.
        raise UsageError(
            f"malformed event ({type(exc).__name__}: {exc}); expected {_EXPECTED}"
        ) from None
    json.dump(model, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0
