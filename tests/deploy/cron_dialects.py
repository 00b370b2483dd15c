"""Small, independent evaluators of each schedule dialect's string, for the property tests.

Each reads the text a cloud would read (not polyfn's parsed fields) and lists the next
firing times, following that dialect's documented rules:

- unix cron (Cloud Scheduler): 5 fields; when day-of-month and day-of-week are both
  restricted a day matches if either does, and a field counts as unrestricted when it
  starts with ``*`` (Vixie cron's rule);
- NCRONTAB (Azure): 6 fields, seconds first; day fields combine with AND;
- EventBridge: ``cron(min hour dom month dow year)`` with ``?`` for "no restriction",
  weekdays 1-7 from Sunday (or names), ``a/s`` meaning "from a, every s"; and
  ``rate(N unit)``, an interval whose phase is set when the rule is created.

``reference`` evaluates polyfn's own parsed expression, the meaning every dialect must keep.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from polyfn.core.schedule import ScheduleExpression

MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
HORIZON_DAYS = 800


class DialectError(ValueError):
    """The text is not valid in the dialect (the cloud would refuse it)."""


def _field(text: str, low: int, high: int, names: dict[str, int]) -> set[int]:
    values: set[int] = set()
    for item in text.split(","):
        body, _, step_text = item.partition("/")
        step = int(step_text) if step_text else 1
        if step < 1:
            raise DialectError(f"bad step in {text!r}")
        if body == "*":
            start, end = low, high
        elif "-" in body:
            a, b = body.split("-")
            start, end = _value(a, names), _value(b, names)
        else:
            start = _value(body, names)
            end = high if step_text else start
        if not (low <= start <= high and low <= end <= high) or start > end:
            raise DialectError(f"{item!r} is outside {low}-{high}")
        values.update(range(start, end + 1, step))
    return values


def _value(text: str, names: dict[str, int]) -> int:
    if text.upper() in names:
        return names[text.upper()]
    if not re.fullmatch(r"\d+", text):
        raise DialectError(f"{text!r} is not a number")
    return int(text)


class _Spec:
    """Sets of allowed values plus the day rule, for the shared enumeration."""

    def __init__(
        self,
        seconds: set[int],
        minutes: set[int],
        hours: set[int],
        day_ok: Callable[[date], bool],
    ) -> None:
        self.seconds = sorted(seconds)
        self.minutes = sorted(minutes)
        self.hours = sorted(hours)
        self.day_ok = day_ok

    def next_times(self, after: datetime, count: int) -> list[datetime]:
        found: list[datetime] = []
        day = after.date()
        for _ in range(HORIZON_DAYS):
            if self.day_ok(day):
                for hour in self.hours:
                    for minute in self.minutes:
                        for second in self.seconds:
                            moment = datetime.combine(day, time(hour, minute, second), UTC)
                            if moment > after:
                                found.append(moment)
                                if len(found) == count:
                                    return found
            day += timedelta(days=1)
        return found


def _unix_dow(day: date) -> int:
    return (day.weekday() + 1) % 7  # Monday is 0 in Python, 1 in cron


def unix_cron(text: str) -> _Spec:
    fields = text.split()
    if len(fields) != 5:
        raise DialectError(f"unix cron has 5 fields: {text!r}")
    minute, hour, dom, month, dow = fields
    dow_values = {v % 7 for v in _field(dow, 0, 7, {d: i for i, d in enumerate(DAYS)})}
    dom_values = _field(dom, 1, 31, {})
    months = _field(month, 1, 12, {m: i + 1 for i, m in enumerate(MONTHS)})
    either = not dom.startswith("*") and not dow.startswith("*")

    def day_ok(day: date) -> bool:
        if day.month not in months:
            return False
        dom_ok, dow_ok = day.day in dom_values, _unix_dow(day) in dow_values
        return (dom_ok or dow_ok) if either else (dom_ok and dow_ok)

    return _Spec({0}, _field(minute, 0, 59, {}), _field(hour, 0, 23, {}), day_ok)


def ncrontab(text: str) -> _Spec:
    fields = text.split()
    if len(fields) != 6:
        raise DialectError(f"NCRONTAB has 6 fields: {text!r}")
    second, minute, hour, dom, month, dow = fields
    dow_values = _field(dow, 0, 6, {d: i for i, d in enumerate(DAYS)})
    dom_values = _field(dom, 1, 31, {})
    months = _field(month, 1, 12, {m: i + 1 for i, m in enumerate(MONTHS)})

    def day_ok(day: date) -> bool:
        return day.month in months and day.day in dom_values and _unix_dow(day) in dow_values

    return _Spec(
        _field(second, 0, 59, {}), _field(minute, 0, 59, {}), _field(hour, 0, 23, {}), day_ok
    )


def eventbridge_cron(text: str) -> _Spec:
    match = re.fullmatch(r"cron\((.*)\)", text)
    if not match:
        raise DialectError(f"not an EventBridge cron(): {text!r}")
    fields = match.group(1).split()
    if len(fields) != 6:
        raise DialectError(f"EventBridge cron has 6 fields: {text!r}")
    minute, hour, dom, month, dow, year = fields
    if (dom == "?") == (dow == "?"):
        raise DialectError("exactly one of day-of-month and day-of-week must be '?'")
    if year != "*" or re.search(r"[LW]", dom) or re.search(r"#|\dL|^L$", dow):
        raise DialectError(f"unsupported by this evaluator: {text!r}")
    dom_values = set(range(1, 32)) if dom == "?" else _field(dom, 1, 31, {})
    # EventBridge weekdays: 1-7 from Sunday, or names.
    names = {d: i + 1 for i, d in enumerate(DAYS)}
    dow_values = set(range(1, 8)) if dow == "?" else _field(dow, 1, 7, names)
    months = _field(month, 1, 12, {m: i + 1 for i, m in enumerate(MONTHS)})

    def day_ok(day: date) -> bool:
        return day.month in months and day.day in dom_values and _unix_dow(day) + 1 in dow_values

    return _Spec({0}, _field(minute, 0, 59, {}), _field(hour, 0, 23, {}), day_ok)


def eventbridge_rate_seconds(text: str) -> int:
    match = re.fullmatch(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)", text)
    if not match:
        raise DialectError(f"not an EventBridge rate(): {text!r}")
    value, unit = int(match.group(1)), match.group(2)
    if (value == 1) != (not unit.endswith("s")):
        raise DialectError(f"EventBridge wants 'rate(1 unit)' or 'rate(N units)': {text!r}")
    return value * {"minute": 60, "hour": 3600, "day": 86400}[unit.rstrip("s")]


def reference(expr: ScheduleExpression) -> _Spec:
    """polyfn's meaning of a parsed cron expression (``CronField.values``/``any``)."""
    assert expr.cron is not None
    minute, hour, dom, month, dow = expr.cron
    either = not dom.any and not dow.any

    def day_ok(day: date) -> bool:
        if day.month not in month.values:
            return False
        dom_ok, dow_ok = day.day in dom.values, _unix_dow(day) in dow.values
        return (dom_ok or dow_ok) if either else (dom_ok and dow_ok)

    return _Spec({0}, set(minute.values), set(hour.values), day_ok)
