"""Portable schedule expressions.

One language for every cloud: ``rate(N minute|minutes|hour|hours|day|days)`` or a
5-field unix cron (minute hour day-of-month month day-of-week, UTC). Parsing happens when
the decorator runs, so a bad expression fails at import; the converters to each cloud's
dialect (EventBridge, Azure NCRONTAB, Cloud Scheduler) raise ``ConfigError`` for what a
dialect cannot express, which deploy reports at build time.
"""

from __future__ import annotations

import re

from polyfn.core.errors import ConfigError

__all__ = [
    "CronField",
    "ScheduleExpression",
    "parse_schedule",
    "to_eventbridge",
    "to_ncrontab",
    "to_unix_cron",
]

_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}

# (name, low, high) for each of the five fields
_FIELDS = (
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("day-of-month", 1, 31),
    ("month", 1, 12),
    ("day-of-week", 0, 6),
)
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
    m = _RATE.match(source)
    if m:
        value, unit = int(m.group(1)), m.group(2)
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
    return ScheduleExpression(source, cron=fields)


def _parse_field(expr: str, part: str, name: str, low: int, high: int) -> CronField:
    values: set[int] = set()
    names = _MONTHS if name == "month" else _DAYS if name == "day-of-week" else {}
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
        values.update(range(start, end + 1, step))
    return CronField(part, frozenset(values), part == "*")


def _value(expr: str, text: str, name: str, names: dict[str, int], low: int, high: int) -> int:
    upper = text.upper()
    if upper in names:
        return names[upper]
    if not text.isdigit():
        raise ConfigError(f"schedule {expr!r}: {text!r} is not a valid {name}")
    value = int(text)
    if name == "day-of-week" and value == 7:  # cron allows 7 for Sunday
        return 0
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


def _rate_as_cron(expr: ScheduleExpression, dialect: str) -> list[str]:
    """A rate as five unix-cron fields, when the clock can express it exactly."""
    value, unit = expr.rate_value, expr.rate_unit
    assert value is not None and unit is not None
    if unit == "minute" and 60 % value == 0:
        return ["*" if value == 1 else f"*/{value}", "*", "*", "*", "*"]
    if unit == "hour" and 24 % value == 0:
        return ["0", "*" if value == 1 else f"*/{value}", "*", "*", "*"]
    if unit == "day" and value == 1:
        return ["0", "0", "*", "*", "*"]
    raise ConfigError(
        f"schedule {expr.text!r} cannot be expressed exactly in {dialect}: its cron fires on "
        "clock boundaries, so a rate must divide an hour (minutes) or a day (hours); "
        "write a cron expression instead"
    )


def _both_days_restricted(expr: ScheduleExpression) -> bool:
    assert expr.cron is not None
    return not expr.cron[2].any and not expr.cron[4].any


def to_unix_cron(expr: ScheduleExpression) -> str:
    """Cloud Scheduler's five-field cron."""
    if expr.is_rate:
        return " ".join(_rate_as_cron(expr, "Cloud Scheduler"))
    return expr.text


def to_ncrontab(expr: ScheduleExpression) -> str:
    """Azure's six-field NCRONTAB (seconds first)."""
    fields = _rate_as_cron(expr, "Azure NCRONTAB") if expr.is_rate else expr.text.split()
    if not expr.is_rate and _both_days_restricted(expr):
        raise ConfigError(
            f"schedule {expr.text!r}: Azure NCRONTAB does not promise unix cron's 'either day "
            "matches' rule when both day-of-month and day-of-week are set; use one of them"
        )
    if fields[4] == "7":  # unix cron's second Sunday; NCRONTAB knows only 0
        fields[4] = "0"
    return " ".join(["0", *fields])


def to_eventbridge(expr: ScheduleExpression) -> str:
    """EventBridge's ``rate(...)`` or six-field ``cron(...)``."""
    if expr.is_rate:
        return expr.text.replace("  ", " ")
    assert expr.cron is not None
    minute, hour, dom, month, dow = expr.cron
    if _both_days_restricted(expr):
        raise ConfigError(
            f"schedule {expr.text!r}: EventBridge cannot restrict both day-of-month and "
            "day-of-week; use one of them"
        )
    # Render weekdays by name: EventBridge numbers them 1-7 from Sunday, unix 0-6.
    dow_text = "?" if dow.any else ",".join(_DOW_NAMES[d] for d in sorted(dow.values))
    dom_text = "?" if not dow.any else dom.text
    return f"cron({minute.text} {hour.text} {dom_text} {month.text} {dow_text} *)"
