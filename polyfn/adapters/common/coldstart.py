"""The cold-start flag: True for the first invocation a process serves, then False.

One flag per process, whatever the adapter: a process is cold once, and a handler's
``ctx.cold_start`` must say so the same way on every cloud.
"""

from __future__ import annotations

__all__ = ["PENDING", "take_cold_start"]

PENDING = [True]
"""``PENDING[0]`` is True until the process's first invocation has taken the cold start.
A hot path tests it before calling ``take_cold_start``: the call alone costs about 500
instructions, a tenth of polyfn's own cost on an API Gateway GET."""


def take_cold_start() -> bool:
    """True the first time it is called in this process, False after."""
    cold = PENDING[0]
    if cold:
        PENDING[0] = False
    return cold
