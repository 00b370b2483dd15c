"""The ``polyfn`` command.

Each subcommand lives in ``polyfn.cli.<name>`` with two functions,
``add_arguments(parser)`` and ``run(args) -> int``, and is imported only when it runs, so
``polyfn inspect`` never pays for the deploy or plan code.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from polyfn import __version__
from polyfn.cli.errors import UsageError

# name -> (module, one-line help). Order is the order of `polyfn --help`.
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("polyfn.cli.run", "run an app locally: HTTP, object events, queues, schedules"),
    "invoke": ("polyfn.cli.invoke", "run one function once through a cloud's adapter"),
    "metrics": ("polyfn.cli.metrics", "what the app's functions emitted under the last polyfn run"),
    "events": ("polyfn.cli.events", "print a realistic native event of a cloud"),
    "inspect": ("polyfn.cli.inspect", "show how polyfn reads a native event (JSON)"),
    "openapi": ("polyfn.cli.openapi", "print the app's HTTP API as an OpenAPI 3.1 document"),
    "deploy": ("polyfn.cli.deploy", "build or plan per-cloud deploy artifacts"),
    "plan": ("polyfn.cli.plan", "report what moving between clouds changes and costs"),
    "dlq": ("polyfn.cli.dlq", "list or redrive the dead letters of a local run's queues"),
    "workflow": ("polyfn.cli.workflow", "run a workflow locally, draw it, list its executions"),
    "bench-local": ("polyfn.cli.bench_local", "load-test an app served by `polyfn run`"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="polyfn",
        description="Write serverless handlers once; run them on AWS, Azure, Google Cloud "
        "or locally.",
    )
    parser.add_argument("--version", action="version", version=f"polyfn {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    chosen = _chosen_command(sys.argv[1:])
    for name, (module, help_text) in COMMANDS.items():
        command_parser = sub.add_parser(name, help=help_text, description=help_text)
        # Only the command being run is imported; the others show in --help by name.
        if name == chosen:
            importlib.import_module(module).add_arguments(command_parser)
    return parser


def _chosen_command(argv: Sequence[str]) -> str | None:
    for arg in argv:
        if not arg.startswith("-"):
            return arg if arg in COMMANDS else None
    return None


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    saved = sys.argv
    sys.argv = [saved[0], *args_list]
    try:
        parser = build_parser()
        args = parser.parse_args(args_list)
    finally:
        sys.argv = saved
    module = importlib.import_module(COMMANDS[args.command][0])
    try:
        return int(module.run(args) or 0)
    except UsageError as exc:
        print(f"polyfn {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # Output piped into `head` and the like: the reader left, which is not an error.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
