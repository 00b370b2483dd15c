"""Portable schedules: the three dialects fire at the same times as polyfn's expression.

Hypothesis writes cron expressions in polyfn's language (every field form: ``*``, values,
ranges, steps, lists, month and weekday names, Sunday as 7); each is converted to
EventBridge, NCRONTAB and unix cron, and each converted string is evaluated by an
independent evaluator of that dialect (``cron_dialects``). The next 50 firing times must
equal polyfn's own meaning, or the converter must refuse with a ``ConfigError``, and only
for what the dialect cannot say.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, reject, settings
from hypothesis import strategies as st

from deploy import cron_dialects as dialects
from polyfn import App
from polyfn.core.errors import ConfigError
from polyfn.core.schedule import parse_schedule, to_eventbridge, to_ncrontab, to_unix_cron
from polyfn.deploy.model import build_model, schedule_expression

FIRINGS = 50


def _items(low: int, high: int, names: list[str] | None = None) -> st.SearchStrategy[str]:
    def value(v: int) -> str:
        return names[v - low] if names and 0 <= v - low < len(names) else str(v)

    single = st.integers(low, high).map(value)
    pair = st.tuples(st.integers(low, high), st.integers(low, high)).map(sorted)
    span = pair.map(lambda ab: f"{value(ab[0])}-{value(ab[1])}")
    steps = st.integers(1, max(1, (high - low) // 2))
    stepped_span = st.tuples(pair, steps).map(lambda t: f"{t[0][0]}-{t[0][1]}/{t[1]}")
    start_step = st.tuples(st.integers(low, high), steps).map(lambda t: f"{t[0]}/{t[1]}")
    star_step = steps.map(lambda s: f"*/{s}")
    item = st.one_of(single, span, stepped_span, start_step, star_step)
    return st.one_of(st.just("*"), item, st.lists(item, min_size=2, max_size=4).map(",".join))


_MINUTE = _items(0, 59)
_HOUR = _items(0, 23)
_DOM = _items(1, 31)
_MONTH = _items(1, 12, dialects.MONTHS)
# 0-7 with 7 as Sunday again; names for 0-6.
_DOW = st.one_of(_items(0, 6, dialects.DAYS), _items(0, 7))
CRONS = st.tuples(_MINUTE, _HOUR, _DOM, _MONTH, _DOW).map(" ".join)
STARTS = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2031, 12, 31), timezones=st.just(UTC)
).map(lambda d: d.replace(second=0, microsecond=0))


@settings(max_examples=300, deadline=None)
@given(CRONS, STARTS)
def test_cron_fires_the_same_in_every_dialect(text: str, start: datetime) -> None:
    try:
        expr = parse_schedule(text)
    except ConfigError as exc:
        # A cron that names no real day (``30 FEB``) is refused when it is declared
        # (tests/core/test_schedule.py pins that); it has no firings to compare.
        assert "never fires" in str(exc), str(exc)
        reject()
    expected = dialects.reference(expr).next_times(start, FIRINGS)
    assert dialects.unix_cron(to_unix_cron(expr)).next_times(start, FIRINGS) == expected
    both_days = not expr.cron[2].any and not expr.cron[4].any  # type: ignore[index]
    for convert, evaluate in (
        (to_eventbridge, dialects.eventbridge_cron),
        (to_ncrontab, dialects.ncrontab),
    ):
        if both_days:
            # Neither can say unix cron's "either day matches"; refusing is the contract.
            with pytest.raises(ConfigError, match="day-of-month and day-of-week"):
                convert(expr)
            continue
        assert evaluate(convert(expr)).next_times(start, FIRINGS) == expected


RATES = st.one_of(
    st.just("rate(1 minute)"),
    st.integers(2, 180).map(lambda n: f"rate({n} minutes)"),
    st.just("rate(1 hour)"),
    st.integers(2, 48).map(lambda n: f"rate({n} hours)"),
    st.just("rate(1 day)"),
    st.integers(2, 3).map(lambda n: f"rate({n} days)"),
)


@settings(max_examples=150, deadline=None)
@given(RATES, STARTS)
def test_rate_keeps_its_interval_in_every_dialect(text: str, start: datetime) -> None:
    expr = parse_schedule(text)
    interval = timedelta(seconds=expr.every_seconds or 0)
    # EventBridge keeps the rate; its phase is set when the rule is created.
    assert dialects.eventbridge_rate_seconds(to_eventbridge(expr)) == interval.total_seconds()
    try:
        unix = to_unix_cron(expr)
    except ConfigError as exc:
        assert "cannot be expressed exactly" in str(exc)
        with pytest.raises(ConfigError):
            to_ncrontab(expr)
        # Only intervals that do not divide the clock are refused.
        minutes = interval.total_seconds() / 60
        assert not (minutes < 60 and 60 % minutes == 0)
        assert not (minutes % 60 == 0 and minutes / 60 < 24 and 24 % (minutes / 60) == 0)
        assert minutes != 24 * 60
        return
    fired = dialects.unix_cron(unix).next_times(start, FIRINGS)
    assert len(fired) == FIRINGS
    assert all(b - a == interval for a, b in itertools.pairwise(fired))
    assert dialects.ncrontab(to_ncrontab(expr)).next_times(start, FIRINGS) == fired


def test_the_evaluators_catch_a_wrong_conversion() -> None:
    """The property tests can fail: a classic mistake (weekday numbers passed to
    EventBridge unchanged) fires on the wrong days under the EventBridge evaluator."""
    start = datetime(2026, 11, 2, tzinfo=UTC)
    expected = dialects.unix_cron("0 9 * * 1-5").next_times(start, 10)
    wrong = dialects.eventbridge_cron("cron(0 9 ? * 1-5 *)").next_times(start, 10)
    right = dialects.eventbridge_cron(to_eventbridge(parse_schedule("0 9 * * 1-5")))
    assert wrong != expected
    assert right.next_times(start, 10) == expected


@pytest.mark.parametrize(
    ("text", "dialect", "label"),
    [
        ("0 0 1 * MON", "eventbridge", "EventBridge"),
        ("0 0 1 * MON", "ncrontab", "NCRONTAB"),
        ("rate(7 minutes)", "ncrontab", "NCRONTAB"),
        ("rate(7 minutes)", "unix", "Cloud Scheduler"),
    ],
)
def test_an_inexpressible_schedule_names_the_function(text: str, dialect: str, label: str) -> None:
    app = App("sched")

    @app.schedule(text)
    def nightly_report(tick: object) -> None:
        return None

    model = build_model(app)
    with pytest.raises(ConfigError, match=rf"function 'nightly_report'.*{label}"):
        schedule_expression(model.function("nightly_report").fn, dialect)
