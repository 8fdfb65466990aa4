"""Working-day arithmetic: weekends and Finnish public holidays excluded (the `holidays`
package knows them)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays

FINLAND = ZoneInfo("Europe/Helsinki")


@cache
def _finnish_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("FI", years=year)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _finnish_holidays(day.year)


def add_working_days(start: date, days: int) -> date:
    """The date `days` working days after `start` (start itself not counted)."""
    current, left = start, days
    while left > 0:
        current += timedelta(days=1)
        if is_working_day(current):
            left -= 1
    return current


def day_start(day: date) -> datetime:
    """Midnight at the start of the day, Finnish time."""
    return datetime.combine(day, time(0, 0), tzinfo=FINLAND)


def tomorrow(now: datetime) -> tuple[datetime, datetime]:
    """The start and the end of tomorrow (Finnish time): what is "due tomorrow" falls in it."""
    today = now.astimezone(FINLAND).date()
    return day_start(today + timedelta(days=1)), day_start(today + timedelta(days=2))


def due_at(start: datetime, days: int) -> datetime:
    """The end (16:00 Finnish time) of the working day `days` working days after `start`."""
    local = start.astimezone(FINLAND).date()
    end = datetime.combine(add_working_days(local, days), time(16, 0), tzinfo=FINLAND)
    return end.astimezone(UTC)


def working_days_between(start: datetime, end: datetime) -> int:
    """Working days from `start`'s day (exclusive) to `end`'s day (inclusive); negative if
    `end` is before `start`. Constant work per year spanned, not per day."""
    a, b = start.astimezone(FINLAND).date(), end.astimezone(FINLAND).date()
    if b < a:
        return -working_days_between(end, start)
    full_weeks, rest = divmod((b - a).days, 7)
    count = full_weeks * 5 + sum(
        1 for i in range(1, rest + 1) if (a + timedelta(days=i)).weekday() < 5
    )
    for year in range(a.year, b.year + 1):
        count -= sum(1 for day in _finnish_holidays(year) if a < day <= b and day.weekday() < 5)
    return count
