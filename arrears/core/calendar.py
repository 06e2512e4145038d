"""Sending days: which days a company may send reminders on.

Holidays come in as a set of dates from the caller (the `holidays` package lives outside the
core), so that the rule stays pure and testable with any calendar.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta

WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True, slots=True)
class SendingCalendar:
    """Allowed days of the week (0 = Monday) and whether public holidays are skipped."""

    weekdays: frozenset[int] = frozenset(range(5))
    business_days_only: bool = True
    holidays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        if not self.weekdays:
            raise ValueError("a sending calendar needs at least one day of the week")
        if not self.weekdays <= frozenset(range(7)):
            raise ValueError("days of the week are 0 (Monday) to 6 (Sunday)")

    def why_not(self, day: date) -> str | None:
        """None when reminders may go out on `day`; otherwise the reason in words."""
        if day.weekday() not in self.weekdays:
            return f"{WEEKDAY_NAMES[day.weekday()].capitalize()} is not a sending day"
        if self.business_days_only and day in self.holidays:
            return f"{day.isoformat()} is a public holiday"
        return None

    def is_sending_day(self, day: date) -> bool:
        return self.why_not(day) is None

    def next_sending_day(self, day: date) -> date:
        """The first sending day on or after `day`."""
        for offset in range(370):
            candidate = day + timedelta(days=offset)
            if self.is_sending_day(candidate):
                return candidate
        raise ValueError("no sending day within a year: check the calendar")


def with_holidays(calendar: SendingCalendar, holidays: Collection[date]) -> SendingCalendar:
    return SendingCalendar(calendar.weekdays, calendar.business_days_only, frozenset(holidays))
