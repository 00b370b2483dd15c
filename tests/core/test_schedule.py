"""Portable schedule expressions and their dialects."""

from __future__ import annotations

import pytest

from polyfn.core.errors import ConfigError
from polyfn.core.schedule import parse_schedule, to_eventbridge, to_ncrontab, to_unix_cron


@pytest.mark.parametrize(
    ("expr", "eventbridge", "ncrontab", "unix"),
    [
        ("rate(5 minutes)", "rate(5 minutes)", "0 */5 * * * *", "*/5 * * * *"),
        ("rate(1 hour)", "rate(1 hour)", "0 0 * * * *", "0 * * * *"),
        ("rate(1 day)", "rate(1 day)", "0 0 0 * * *", "0 0 * * *"),
        ("0 3 * * 1-5", "cron(0 3 ? * MON,TUE,WED,THU,FRI *)", "0 0 3 * * 1-5", "0 3 * * 1-5"),
        ("30 12 1 * *", "cron(30 12 1 * ? *)", "0 30 12 1 * *", "30 12 1 * *"),
    ],
)
def test_dialects(expr: str, eventbridge: str, ncrontab: str, unix: str) -> None:
    parsed = parse_schedule(expr)
    assert to_eventbridge(parsed) == eventbridge
    assert to_ncrontab(parsed) == ncrontab
    assert to_unix_cron(parsed) == unix


@pytest.mark.parametrize(
    "bad",
    [
        "rate(0 minutes)",
        "rate(5 minute)",
        "rate(1 minutes)",
        "rate(5 weeks)",
        "* * *",
        "61 * * * *",
        "* 24 * * *",
        "* * 0 * *",
        "* * * 13 *",
        "*/0 * * * *",
        "5-1 * * * *",
        "cron(0 3 * * ? *)",
    ],
)
def test_bad_expressions_name_the_problem(bad: str) -> None:
    with pytest.raises(ConfigError, match="schedule"):
        parse_schedule(bad)


def test_what_a_dialect_cannot_express_is_an_error() -> None:
    with pytest.raises(ConfigError, match="cannot be expressed"):
        to_ncrontab(parse_schedule("rate(7 minutes)"))
    assert to_eventbridge(parse_schedule("rate(7 minutes)")) == "rate(7 minutes)"
    with pytest.raises(ConfigError, match="both"):
        to_eventbridge(parse_schedule("0 0 1 * MON"))


def test_names_and_sunday_seven() -> None:
    parsed = parse_schedule("0 0 * JAN,FEB SUN,7")
    assert parsed.cron is not None
    assert parsed.cron[3].values == frozenset({1, 2})
    assert parsed.cron[4].values == frozenset({0})
