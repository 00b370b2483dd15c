"""Inputs nothing ran for: the one WARNING every runtime logs, and who may listen to it.

An object event for a bucket no function watches, an event whose source or type no
``on_event`` pattern matches, a key that a pinned function's prefix filter refuses: the
platform is right to acknowledge them (retrying would never succeed), but silently
acknowledging hides a misconfigured subscription. Dispatch calls ``report`` for each,
which logs one WARNING naming what arrived and why nothing ran.

``polyfn invoke`` must say the same thing on every cloud (the handler did not run, and
why) without reading logs: ``listening()`` collects the reasons reported in the current
context while an entry point runs in it. It is a ``ContextVar``, so concurrent
invocations on other threads never see each other's reasons, and reading it costs one
lookup for inputs that already ran nothing.
"""

from __future__ import annotations

from contextvars import ContextVar

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (cheap_typing.py)
if TYPE_CHECKING:
    from contextvars import Token
    from typing import Any

    from polyfn.core.context import Context

__all__ = ["listening", "report"]

_listener: ContextVar[list[str] | None] = ContextVar("polyfn_unmatched", default=None)


def report(ctx: Context, arrived: str, why: str) -> None:
    """Log that ``arrived`` (what the input was) ran nothing, because ``why``."""
    ctx.logger.warning("%s: no function ran: %s (request %s)", arrived, why, ctx.request_id)
    reasons = _listener.get()
    if reasons is not None:
        reasons.append(f"{arrived}: {why}")


class listening:  # lower case: it reads as a function, ``with listening() as reasons``
    """The reasons reported in this context while the block runs (empty: something ran).

    A class rather than ``contextlib.contextmanager``: core is imported on every cold
    start, and contextlib is not otherwise loaded by it.
    """

    def __init__(self) -> None:
        self.reasons: list[str] = []
        self._token: Token[list[str] | None] | None = None

    def __enter__(self) -> list[str]:
        self._token = _listener.set(self.reasons)
        return self.reasons

    def __exit__(self, *exc_info: Any) -> None:
        if self._token is not None:
            _listener.reset(self._token)
            self._token = None
