"""The cold-start flag: True for the first invocation a process serves, then False.

One flag per process, whatever the adapter: a process is cold once, and a handler's
``ctx.cold_start`` must say so the same way on every cloud.
"""

from __future__ import annotations

__all__ = ["take_cold_start"]

_cold = [True]  # a list, not a global rebound by ``global``: one cell every adapter shares


def take_cold_start() -> bool:
    """True the first time it is called in this process, False after."""
    cold = _cold[0]
    if cold:
        _cold[0] = False
    return cold
