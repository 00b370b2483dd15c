"""``polyfn openapi APP``: print the App's HTTP API as an OpenAPI 3.1 document (JSON).

The document is ``polyfn.core.openapi.openapi_document``: the same one ``polyfn run``
serves at ``/openapi.json``.
"""

from __future__ import annotations

import argparse
import json
import sys

from polyfn.cli.errors import UsageError
from polyfn.core.errors import ConfigError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("app", help="module:attr, a .py file, or a folder with an app.py")
    parser.add_argument(
        "--api-version", default="0.1.0", help="info.version of the document (default 0.1.0)"
    )
    parser.add_argument("--output", "-o", help="write to this file instead of stdout")


def run(args: argparse.Namespace) -> int:
    from polyfn.core.openapi import openapi_document
    from polyfn.loading import AppNotFound, load_app

    try:
        app = load_app(args.app)
        document = openapi_document(app, version=args.api_version)
    except AppNotFound as exc:
        raise UsageError(str(exc)) from None
    except ConfigError as exc:
        raise UsageError(f"{args.app}: {exc}") from None
    text = json.dumps(document, indent=2) + "\n"
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as exc:
            raise UsageError(f"cannot write {args.output}: {exc.strerror or exc}") from None
    else:
        sys.stdout.write(text)
    return 0
