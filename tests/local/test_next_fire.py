"""``next_fire``: when the local scheduler fires a schedule next (UTC)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from polyfn.core.errors import ConfigError
from polyfn.core.schedule import next_fire, parse_schedule

AFTER = datetime(2026, 11, 27, 10, 7, 30, tzinfo=UTC)  # a Friday


def at(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("rate(1 minute)", at(2026, 11, 27, 10, 8)),
        ("rate(5 minutes)", at(2026, 11, 27, 10, 10)),
        ("rate(7 minutes)", at(2026, 11, 27, 10, 11)),  # multiples of 7 min since the epoch
        ("rate(1 hour)", at(2026, 11, 27, 11, 0)),
        ("rate(1 day)", at(2026, 11, 28)),
        ("* * * * *", at(2026, 11, 27, 10, 8)),
        ("*/15 * * * *", at(2026, 11, 27, 10, 15)),
        ("7 10 * * *", at(2026, 11, 28, 10, 7)),  # 10:07 today has passed (by 30 s)
        ("0 3 * * 1-5", at(2026, 11, 30, 3, 0)),  # Friday 03:00 passed: Monday
        ("30 12 1 * *", at(2026, 12, 1, 12, 30)),
        ("0 0 29 2 *", at(2028, 2, 29)),  # the next leap day
        ("0 0 13 * 5", at(2026, 12, 4)),  # both day fields set: either matches (Friday 4th)
        ("0 0 * * 0", at(2026, 11, 29)),  # Sunday as 0
        ("0 0 * * 7", at(2026, 11, 29)),  # and as 7
        ("59 23 31 12 *", at(2026, 12, 31, 23, 59)),
        ("0 9 * jan,jul mon", at(2027, 1, 4, 9, 0)),
    ],
)
def test_next_fire(expression: str, expected: datetime) -> None:
    assert next_fire(parse_schedule(expression), AFTER) == expected


def test_strictly_after_and_chained() -> None:
    every_five = parse_schedule("rate(5 minutes)")
    first = next_fire(every_five, at(2026, 1, 1, 0, 5))
    assert first == at(2026, 1, 1, 0, 10)
    assert next_fire(every_five, first) == at(2026, 1, 1, 0, 15)
    cron = parse_schedule("0 12 * * *")
    noon = next_fire(cron, at(2026, 1, 1, 11, 59, 59))
    assert noon == at(2026, 1, 1, 12, 0)
    assert next_fire(cron, noon) == at(2026, 1, 2, 12, 0)


def test_naive_and_other_zones_are_read_as_the_instant_they_name() -> None:
    cron = parse_schedule("0 12 * * *")
    assert next_fire(cron, datetime(2026, 1, 1, 11, 0)) == at(2026, 1, 1, 12, 0)
    paris_noon = datetime(2026, 1, 1, 12, 30, tzinfo=timezone(timedelta(hours=1)))  # 11:30 UTC
    result = next_fire(cron, paris_noon)
    assert result == at(2026, 1, 1, 12, 0)
    assert result.tzinfo is UTC


def test_a_cron_naming_no_real_day_is_refused_before_it_can_be_waited_for() -> None:
    with pytest.raises(ConfigError, match="never fires"):
        parse_schedule("0 0 30 2 *")
