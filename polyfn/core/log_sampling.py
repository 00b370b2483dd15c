"""DEBUG log sampling: the DEBUG lines of a fraction of invocations, all of their lines.

With ``POLYFN_LOG_DEBUG_SAMPLE_RATE`` set (0 to 1; e.g. 0.05), each function's logger
(``ctx.logger``) lets DEBUG records through for that fraction of invocations, chosen
when the invocation first logs, and drops the DEBUG records of the others; INFO and above
always pass. A sampled invocation's DEBUG lines are complete, so one slow or failing
request can be followed step by step without paying for DEBUG on every request. Unset
or 0: the logger keeps the level the deployment gives it.
"""

from __future__ import annotations

import logging

from polyfn.core.settings import settings

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (cheap_typing.py)
if TYPE_CHECKING:
    from collections.abc import Callable

    from polyfn.core.context import Context

__all__ = ["RATE_SETTING", "configure", "sample_rate"]

RATE_SETTING = "POLYFN_LOG_DEBUG_SAMPLE_RATE"
_configured: set[str] = set()


def sample_rate() -> float:
    """The configured rate, 0 when unset or not a number in [0, 1]."""
    try:
        rate = float(settings().get(RATE_SETTING, "0"))
    except ValueError:
        return 0.0
    return rate if 0 < rate <= 1 else 0.0


def configure(logger: logging.Logger, current: Callable[[], Context | None]) -> None:
    """Sample ``logger``'s DEBUG records per invocation when a rate is set (once per logger)."""
    if logger.name in _configured:
        return
    _configured.add(logger.name)
    rate = sample_rate()
    if not rate:
        return
    import random  # only where sampling is on

    logger.setLevel(logging.DEBUG)

    def sampled(record: logging.LogRecord) -> bool:
        if record.levelno > logging.DEBUG:
            return True
        ctx = current()
        if ctx is None:
            return False
        decision = ctx._debug_sampled
        if decision is None:
            decision = ctx._debug_sampled = random.random() < rate
        return decision

    logger.addFilter(sampled)
