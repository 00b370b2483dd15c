"""Portable schedule expressions.

One language for every cloud: ``rate(N minute|minutes|hour|hours|day|days)`` or a
5-field unix cron (minute hour day-of-month month day-of-week, UTC). Parsing happens when
the decorator runs, so a bad expression fails at import; the converters to each cloud's
dialect (EventBridge, Azure NCRONTAB, Cloud Scheduler) raise ``ConfigError`` for what a
dialect cannot express, which deploy reports at build time.
"""

from __future__ import annotations

import itertools

from polyfn.core.errors import ConfigError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (core/cheap_typing.py)
if TYPE_CHECKING:
    from datetime import datetime

__all__ = [
    "CronField",
    "ScheduleExpression",
    "next_fire",
    "parse_schedule",
    "to_eventbridge",
    "to_ncrontab",
    "to_unix_cron",
]

# rate(N unit): no regular expression, ``re`` is not for a module every schedule loads.
_RATE_UNITS = frozenset(("minute", "minutes", "hour", "hours", "day", "days"))
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}

# (name, low, high) for each of the five fields
_FIELDS = (
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("day-of-month", 1, 31),
    ("month", 1, 12),
    ("day-of-week", 0, 6),
)
# What one cycle of a field is, for saying what a too-large step really does.
_UNIT_OF = {
    "minute": "hour",
    "hour": "day",
    "day-of-month": "month",
    "month": "year",
    "day-of-week": "week",
}
_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    )
}
_DAYS = {d: i for i, d in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])}


class CronField:
    """One cron field: its source text and the set of values it allows."""

    __slots__ = ("any", "text", "values")

    def __init__(self, text: str, values: frozenset[int], any: bool) -> None:
        self.text = text
        self.values = values
        self.any = any  # written as '*': matters for day-of-month/day-of-week semantics

    def __repr__(self) -> str:
        return f"CronField({self.text!r})"


class ScheduleExpression:
    """A parsed schedule: either a rate (``every_seconds``) or cron fields."""

    __slots__ = ("cron", "every_seconds", "rate_unit", "rate_value", "text")

    def __init__(
        self,
        text: str,
        *,
        every_seconds: int | None = None,
        rate_value: int | None = None,
        rate_unit: str | None = None,
        cron: tuple[CronField, ...] | None = None,
    ) -> None:
        self.text = text
        self.every_seconds = every_seconds
        self.rate_value = rate_value
        self.rate_unit = rate_unit
        self.cron = cron

    @property
    def is_rate(self) -> bool:
        return self.every_seconds is not None

    def __repr__(self) -> str:
        return f"ScheduleExpression({self.text!r})"


def parse_schedule(text: str) -> ScheduleExpression:
    """Parse ``rate(5 minutes)`` or ``*/5 * * * *``; ``ConfigError`` says what is wrong."""
    source = text.strip()
    rate = _rate(source)
    if rate is not None:
        value, unit = rate
        if value < 1:
            raise ConfigError(f"schedule {text!r}: a rate must be at least 1")
        singular = unit.rstrip("s")
        if (value == 1) != (unit == singular):
            raise ConfigError(
                f"schedule {text!r}: write 'rate(1 {singular})' or 'rate(N {singular}s)'"
            )
        return ScheduleExpression(
            source,
            every_seconds=value * _UNIT_SECONDS[singular],
            rate_value=value,
            rate_unit=singular,
        )
    if source.startswith(("rate(", "cron(")):
        raise ConfigError(
            f"schedule {text!r}: expected 'rate(N minutes|hours|days)' or a 5-field unix "
            "cron such as '*/5 * * * *'"
        )
    parts = source.split()
    if len(parts) != 5:
        raise ConfigError(
            f"schedule {text!r}: a cron expression has 5 fields (minute hour day month "
            f"weekday), this one has {len(parts)}"
        )
    fields = tuple(
        _parse_field(text, part, name, low, high)
        for part, (name, low, high) in zip(parts, _FIELDS, strict=True)
    )
    _check_some_day_exists(text, fields)
    return ScheduleExpression(source, cron=fields)


# The most days each month can have (February: 29, in leap years), for the one check of a
# day-of-month against the calendar that needs no datetime.
_MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _check_some_day_exists(text: str, fields: tuple[CronField, ...]) -> None:
    """Refuse a cron whose days of the month exist in none of its months (``0 0 31 2 *``):
    it would never fire, and a scheduler would wait for it forever. When the day of the
    week is restricted too, unix cron fires on either, so some day always matches."""
    dom, month, dow = fields[2], fields[3], fields[4]
    if dom.any or not dow.any:
        return
    if any(day <= _MONTH_DAYS[m - 1] for m in month.values for day in dom.values):
        return
    february = " (February has 29 days at most)" if 2 in month.values else ""
    raise ConfigError(
        f"schedule {text!r} never fires: no month in {month.text!r} has a day "
        f"{dom.text!r}{february}"
    )


def _rate(source: str) -> tuple[int, str] | None:
    """(N, unit) when ``source`` is ``rate(N unit)``, spaces allowed inside the parentheses
    and required between N and the unit; None for anything else."""
    if not (source.startswith("rate(") and source.endswith(")")):
        return None
    words = source[5:-1].split()
    if len(words) != 2:
        return None
    number, unit = words
    # isdecimal, not isdigit: the digits int() reads (isdigit also takes "²").
    if not number.isdecimal() or unit not in _RATE_UNITS:
        return None
    return int(number), unit


def _parse_field(expr: str, part: str, name: str, low: int, high: int) -> CronField:
    values: set[int] = set()
    size = high - low + 1  # the field's own values (weekdays: 7), before 7-as-Sunday below
    names = _MONTHS if name == "month" else _DAYS if name == "day-of-week" else {}
    weekday = name == "day-of-week"
    if weekday:
        # cron reads weekdays as 0-7, 7 being Sunday again, so "1-7" is Monday to Sunday;
        # ranges and steps run over 0-7 and the values fold onto 0-6 at the end.
        high = 7
    for item in part.split(","):
        step = 1
        body = item
        if "/" in item:
            body, _, step_text = item.partition("/")
            if not step_text.isdigit() or int(step_text) < 1:
                raise ConfigError(f"schedule {expr!r}: bad step {item!r} in the {name} field")
            step = int(step_text)
        if body == "*":
            start, end = low, high
        elif "-" in body:
            a, _, b = body.partition("-")
            start, end = (
                _value(expr, a, name, names, low, high),
                _value(expr, b, name, names, low, high),
            )
            if start > end:
                raise ConfigError(f"schedule {expr!r}: range {body!r} runs backwards in {name}")
        else:
            start = _value(expr, body, name, names, low, high)
            end = high if "/" in item else start
        stepped = range(start, end + 1, step)
        if step > size:
            # */61 in minutes is only minute 0, hourly, which is not what was written: no
            # clock-aligned cron can fire every 61 minutes, so say so instead of rounding.
            raise ConfigError(
                f"schedule {expr!r}: step {step} in {item!r} is more than the {size} values "
                f"of the {name} field, so it would fire only at {name} {start} (every "
                f"{_UNIT_OF[name]}), not every {step}; write {start} for that"
            )
        values.update(stepped)
    if weekday:
        values = {value % 7 for value in values}
    return CronField(part, frozenset(values), part == "*")


def _value(expr: str, text: str, name: str, names: dict[str, int], low: int, high: int) -> int:
    upper = text.upper()
    if upper in names:
        return names[upper]
    if not text.isdigit():
        raise ConfigError(f"schedule {expr!r}: {text!r} is not a valid {name}")
    value = int(text)
    if not low <= value <= high:
        raise ConfigError(f"schedule {expr!r}: {name} {value} is outside {low}-{high}")
    return value


# ----------------------------------------------------------------------------- dialects
#
# EventBridge: "rate(5 minutes)" or cron(min hour day-of-month month day-of-week year), one
#   of the two day fields must be '?', day-of-week counts 1-7 from Sunday (names are safer).
#   Source: EventBridge Scheduler "Schedule types" user guide, read 2026-11.
# Azure Functions timer: NCRONTAB with six fields, seconds first.
#   Source: Azure Functions timer trigger reference, read 2026-11.
# Cloud Scheduler: unix cron, five fields. Source: Cloud Scheduler "cron job format", 2026-11.

_DOW_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_MINUTE, _HOUR, _DOM, _MONTH, _DOW = range(5)


def _rate_as_cron(expr: ScheduleExpression, dialect: str) -> list[str]:
    """A rate as five unix-cron fields, when the clock can express it exactly.

    A cron fires on clock boundaries, so an interval is exact only when it divides the next
    unit up: ``rate(120 minutes)`` is every two hours, ``rate(7 minutes)`` has no cron.
    """
    seconds = expr.every_seconds
    assert seconds is not None
    minutes = seconds // 60
    if minutes < 60 and 60 % minutes == 0:
        return ["*" if minutes == 1 else f"*/{minutes}", "*", "*", "*", "*"]
    hours = minutes // 60
    if minutes % 60 == 0 and hours < 24 and 24 % hours == 0:
        return ["0", "*" if hours == 1 else f"*/{hours}", "*", "*", "*"]
    if minutes == 24 * 60:
        return ["0", "0", "*", "*", "*"]
    raise ConfigError(
        f"schedule {expr.text!r} cannot be expressed exactly in {dialect}: its cron fires on "
        "clock boundaries, so a rate must divide an hour (minutes) or a day (hours), or be "
        "one day; write a cron expression instead"
    )


def _both_days_restricted(expr: ScheduleExpression) -> bool:
    assert expr.cron is not None
    return not expr.cron[_DOM].any and not expr.cron[_DOW].any


def _progression_step(values: list[int]) -> int | None:
    """The common difference of three or more evenly spaced values, else None."""
    if len(values) < 3:
        return None
    step = values[1] - values[0]
    if step < 2 or any(b - a != step for a, b in itertools.pairwise(values)):
        return None
    return step


def _runs(values: list[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for value in values:
        if runs and runs[-1][1] == value - 1:
            runs[-1] = (runs[-1][0], value)
        else:
            runs.append((value, value))
    return runs


def _render_field(field: CronField, index: int, dialect: str) -> str:
    """One field rebuilt from its values, in a form every dialect reads the same way.

    Rendering from the value set (not echoing the user's text) removes the spellings the
    dialects disagree on: ``5/15`` without a range, month and weekday names, Sunday as 7,
    and a leading ``*`` in a day field, which some crons take to mean "unrestricted" when
    they decide between the day-of-month/day-of-week rules.
    """
    if field.any:
        return "*"
    _, low, high = _FIELDS[index]
    values = sorted(field.values)
    day_field = index in (_DOM, _DOW)
    step = _progression_step(values)
    if step is not None and values[-1] + step > high:
        # An arithmetic run to the end of the field.
        if dialect == "eventbridge":
            return f"{values[0]}/{step}"
        if values[0] == low and not day_field:
            return f"*/{step}"
        return f"{values[0]}-{values[-1]}/{step}"
    if step is not None and dialect != "eventbridge":
        return f"{values[0]}-{values[-1]}/{step}"
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in _runs(values))


def _cron_fields(expr: ScheduleExpression, dialect: str, label: str) -> list[str]:
    if expr.is_rate:
        return _rate_as_cron(expr, label)
    assert expr.cron is not None
    return [_render_field(field, i, dialect) for i, field in enumerate(expr.cron)]


def to_unix_cron(expr: ScheduleExpression) -> str:
    """Cloud Scheduler's five-field cron (UTC), day-of-week 0-6 from Sunday."""
    return " ".join(_cron_fields(expr, "unix", "Cloud Scheduler"))


def to_ncrontab(expr: ScheduleExpression) -> str:
    """Azure's six-field NCRONTAB (seconds first)."""
    if not expr.is_rate and _both_days_restricted(expr):
        raise ConfigError(
            f"schedule {expr.text!r}: Azure NCRONTAB does not promise unix cron's 'either day "
            "matches' rule when both day-of-month and day-of-week are set; use one of them"
        )
    return " ".join(["0", *_cron_fields(expr, "ncrontab", "Azure NCRONTAB")])


def to_eventbridge(expr: ScheduleExpression) -> str:
    """EventBridge's ``rate(...)`` or six-field ``cron(...)``.

    A rate stays a rate: EventBridge counts it from when the rule is created rather than
    from the clock, so only its interval, not its phase, matches the cron dialects.
    """
    if expr.is_rate:
        assert expr.rate_value is not None and expr.rate_unit is not None
        plural = "" if expr.rate_value == 1 else "s"
        return f"rate({expr.rate_value} {expr.rate_unit}{plural})"
    assert expr.cron is not None
    if _both_days_restricted(expr):
        raise ConfigError(
            f"schedule {expr.text!r}: EventBridge cannot restrict both day-of-month and "
            "day-of-week; use one of them"
        )
    minute, hour, dom, month, _ = _cron_fields(expr, "eventbridge", "EventBridge")
    dow = expr.cron[_DOW]
    # Weekdays by name: EventBridge numbers them 1-7 from Sunday where unix cron uses 0-6.
    dow_text = "?" if dow.any else ",".join(_DOW_NAMES[d] for d in sorted(dow.values))
    dom_text = "?" if not dow.any else dom
    return f"cron({minute} {hour} {dom_text} {month} {dow_text} *)"


# ----------------------------------------------------------------------------- firing times
#
# The local runtime's scheduler asks when a schedule fires next. A rate is aligned to the
# clock (multiples of its interval since the Unix epoch, UTC), which is what the cron
# dialects above translate it to; a cron follows unix cron's rules, minute resolution, UTC.

# The calendar's pattern of weekdays and month lengths repeats within 28 years, but any day
# a cron can name (a 29th of February, a Friday the 13th) comes round within eight years.
_SEARCH_DAYS = 8 * 366


def next_fire(expr: ScheduleExpression, after: datetime) -> datetime:
    """The first time strictly after ``after`` at which ``expr`` fires, as an aware UTC time.

    A naive ``after`` is taken to be UTC. A cron that names no existing day (``0 0 30 2 *``)
    raises ``ConfigError``.
    """
    # datetime is imported here: the cloud runtimes never compute firing times, and the
    # module costs ~2 ms of every cold start.
    from datetime import UTC, datetime, timedelta

    moment = after.replace(tzinfo=UTC) if after.tzinfo is None else after.astimezone(UTC)
    if expr.every_seconds is not None:
        epoch_seconds = moment.timestamp()
        intervals = int(epoch_seconds // expr.every_seconds) + 1
        return datetime.fromtimestamp(intervals * expr.every_seconds, UTC)
    assert expr.cron is not None
    minutes, hours, _, months, _ = (field.values for field in expr.cron)
    # The next whole minute: cron fires at second zero.
    candidate = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
    day = candidate.replace(hour=0, minute=0)
    for _ in range(_SEARCH_DAYS):
        if day.month in months and _day_matches(expr, day):
            same_day = day.date() == candidate.date()
            earliest_hour = candidate.hour if same_day else 0
            for hour in sorted(h for h in hours if h >= earliest_hour):
                earliest_minute = candidate.minute if same_day and hour == candidate.hour else 0
                later = [m for m in minutes if m >= earliest_minute]
                if later:
                    return day.replace(hour=hour, minute=min(later))
        day += timedelta(days=1)
    raise ConfigError(f"schedule {expr.text!r} never fires: no calendar day matches it")


def _day_matches(expr: ScheduleExpression, day: datetime) -> bool:
    """Unix cron's day rule: when both day fields are restricted, either one matching is
    enough; otherwise the restricted one (if any) decides."""
    assert expr.cron is not None
    dom, dow = expr.cron[_DOM], expr.cron[_DOW]
    dom_ok = day.day in dom.values
    dow_ok = (day.isoweekday() % 7) in dow.values  # cron counts Sunday as 0
    if not dom.any and not dow.any:
        return dom_ok or dow_ok
    return dom_ok and dow_ok
