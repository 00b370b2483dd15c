"""The one error a subcommand raises for bad arguments."""

from __future__ import annotations

__all__ = ["UsageError"]


class UsageError(Exception):
    """A command was given arguments it cannot use; printed as one line, exit 2."""
