"""Portable schedule expressions and their dialects."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from polyfn.core import schedule
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


@pytest.mark.parametrize(
    ("never", "reason"),
    [
        ("0 0 31 2 *", "never fires: no month in '2' has a day '31' (February has 29"),
        ("0 0 30 2 *", "never fires"),
        ("0 0 31 4,6,9,11 *", "never fires: no month in '4,6,9,11' has a day '31'"),
        ("*/61 * * * *", "step 61 in '*/61' is more than the 60 values of the minute field"),
        ("*/61 * * * *", "fire only at minute 0 (every hour), not every 61"),
        ("0 */25 * * *", "fire only at hour 0 (every day)"),
        ("0 0 1 1/13 *", "more than the 12 values of the month field"),
    ],
)
def test_a_schedule_that_never_fires_or_misreads_its_step_is_refused(
    never: str, reason: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_schedule(never)
    assert reason in str(raised.value)


@pytest.mark.parametrize(
    "fine",
    ["0 0 29 2 *", "0 0 31 2 MON", "0 0 31 1-3 *", "*/60 * * * *", "0-1/2 * * * *", "0 0 * * */7"],
)
def test_rare_but_real_schedules_are_accepted(fine: str) -> None:
    parse_schedule(fine)


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


# The rate syntax parse_schedule accepted when it used a regular expression; the
# parser without one must accept the same strings and read the same numbers.
_RATE_PATTERN = r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$"


_SPACE = st.sampled_from(["", " ", "  ", "\t", "\u2003", "\n"])


@settings(max_examples=500)
@given(
    st.tuples(
        st.sampled_from(["rate(", "rate (", "(", "", "cron("]),
        _SPACE,
        st.sampled_from(["5", "1", "0", "12", "007", "\u0665", "\u00b2", "x", "", "-1"]),
        _SPACE,
        st.sampled_from(["minute", "minutes", "hours", "day", "days", "week", "", "5"]),
        _SPACE,
        st.sampled_from([")", "))", "", ")x", "()"]),
    ).map("".join)
)
def test_rate_parser_accepts_what_the_old_pattern_did(text: str) -> None:
    source = text.strip()
    old = re.match(_RATE_PATTERN, source)
    expected = (int(old.group(1)), old.group(2)) if old else None
    assert schedule._rate(source) == expected


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("rate(5 minutes)", 300), ("rate( 2   hours )", 7200), (" rate(1 day) ", 86400)],
)
def test_rates_with_spaces(text: str, seconds: int) -> None:
    assert parse_schedule(text).every_seconds == seconds
