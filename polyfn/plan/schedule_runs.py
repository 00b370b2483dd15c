"""How often a schedule fires in a month, so that a daily job is priced as ~30 runs.

Counted, not guessed: the expression's own fire times are walked over a year (8760 hours,
twelve of the 730-hour months ``prices.json`` bills) from a fixed start, using the same
``next_fire`` the local scheduler runs on, and divided by twelve: a daily cron is 30.4 runs
a month, a monthly one 1, a weekday one 21.75. A schedule that fires more than a thousand
times in its first month is counted over that month alone (the boundary is then under
0.1 % of the count, and walking a year of minutes would be slow).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from polyfn.core.schedule import ScheduleExpression, next_fire

__all__ = ["MONTH_HOURS", "runs_per_month"]

MONTH_HOURS = 730
_YEAR_HOURS = 12 * MONTH_HOURS
_DENSE = 1000
# A fixed start (a non-leap year's first day) keeps the count reproducible.
_START = datetime(2026, 1, 1, tzinfo=UTC)


def _fires(expression: ScheduleExpression, hours: float, stop_after: int | None = None) -> int:
    end = _START + timedelta(hours=hours)
    count = 0
    moment = _START - timedelta(microseconds=1)
    while stop_after is None or count <= stop_after:
        moment = next_fire(expression, moment)
        if moment >= end:
            break
        count += 1
    return count


def runs_per_month(expression: ScheduleExpression) -> float:
    """The average number of times ``expression`` fires in a 730-hour month."""
    if expression.every_seconds is not None:
        return MONTH_HOURS * 3600 / expression.every_seconds
    first_month = _fires(expression, MONTH_HOURS, stop_after=_DENSE)
    if first_month > _DENSE:
        return float(_fires(expression, MONTH_HOURS))
    return _fires(expression, _YEAR_HOURS) / 12
