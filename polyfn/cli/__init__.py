"""The ``polyfn`` command: ``main`` parses the command line, one module per subcommand.

Each subcommand module has two functions, ``add_arguments(parser)`` and
``run(args) -> int``, and is imported only when it runs. Nothing outside this package
imports it: the CLI is the outermost layer of the house (see docs/architecture.md).
"""

from polyfn.cli.main import main

__all__ = ["main"]
