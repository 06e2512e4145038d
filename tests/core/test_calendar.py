"""Sending days as small credit-controller stories (see arrears.core.calendar).

Dates used below (2026): 2 October is a Friday, 3-4 October a weekend, 28 October (a Wednesday)
is the Czech Independence Day, 24-26 December are Christmas (Thursday to Saturday).
"""

from datetime import date, timedelta

import pytest

from arrears.core.calendar import WEEKDAY_NAMES, SendingCalendar, with_holidays

CZECH_AUTUMN = frozenset({date(2026, 10, 28), date(2026, 11, 17), date(2026, 12, 24), date(2026, 12, 25)})


def test_default_calendar_sends_monday_to_friday_and_skips_holidays():
    calendar = SendingCalendar()
    assert calendar.weekdays == frozenset({0, 1, 2, 3, 4})
    assert calendar.business_days_only is True
    assert calendar.holidays == frozenset()


@pytest.mark.parametrize(
    ("day", "sending"),
    [
        (date(2026, 10, 5), True),  # Monday
        (date(2026, 10, 6), True),  # Tuesday
        (date(2026, 10, 7), True),  # Wednesday
        (date(2026, 10, 8), True),  # Thursday
        (date(2026, 10, 9), True),  # Friday
        (date(2026, 10, 10), False),  # Saturday
        (date(2026, 10, 11), False),  # Sunday
    ],
)
def test_default_calendar_by_day_of_the_week(day, sending):
    assert SendingCalendar().is_sending_day(day) is sending


@pytest.mark.parametrize(
    ("day", "words"),
    [
        (date(2026, 10, 3), "Saturday is not a sending day"),
        (date(2026, 10, 4), "Sunday is not a sending day"),
        (date(2026, 10, 28), "2026-10-28 is a public holiday"),
        (date(2026, 12, 24), "2026-12-24 is a public holiday"),
        (date(2026, 10, 27), None),
    ],
)
def test_why_not_names_the_day_or_the_holiday(day, words):
    calendar = SendingCalendar(holidays=CZECH_AUTUMN)
    assert calendar.why_not(day) == words
    assert calendar.is_sending_day(day) is (words is None)


def test_a_holiday_on_a_weekend_is_reported_as_the_weekend():
    # 26 December 2026 is both St Stephen's Day and a Saturday: the day of the week is checked first.
    calendar = SendingCalendar(holidays=frozenset({date(2026, 12, 26)}))
    assert calendar.why_not(date(2026, 12, 26)) == "Saturday is not a sending day"


def test_holidays_do_not_matter_when_not_limited_to_business_days():
    # Petra's company sends on every weekday, public holidays included.
    calendar = SendingCalendar(business_days_only=False, holidays=CZECH_AUTUMN)
    assert calendar.why_not(date(2026, 10, 28)) is None
    assert calendar.is_sending_day(date(2026, 12, 24)) is True
    # ... but the days of the week still count.
    assert calendar.why_not(date(2026, 10, 31)) == "Saturday is not a sending day"


def test_weekend_sending_calendar():
    # A shop that sends its reminders only on Saturdays and Sundays.
    calendar = SendingCalendar(weekdays=frozenset({5, 6}))
    assert calendar.is_sending_day(date(2026, 10, 3)) is True
    assert calendar.is_sending_day(date(2026, 10, 4)) is True
    assert calendar.why_not(date(2026, 10, 5)) == "Monday is not a sending day"
    assert calendar.why_not(date(2026, 10, 9)) == "Friday is not a sending day"


@pytest.mark.parametrize(("weekday", "name"), list(enumerate(WEEKDAY_NAMES)))
def test_why_not_uses_the_capitalized_english_day_name(weekday, name):
    only_other_days = SendingCalendar(weekdays=frozenset(range(7)) - {weekday})
    monday = date(2026, 10, 5)
    assert only_other_days.why_not(monday + timedelta(days=weekday)) == f"{name.capitalize()} is not a sending day"


def test_next_sending_day_is_the_day_itself_when_it_is_one():
    assert SendingCalendar().next_sending_day(date(2026, 10, 2)) == date(2026, 10, 2)


def test_next_sending_day_across_a_weekend():
    # The run on Saturday 3 October finds nothing to send; the reminders go out on Monday 5 October.
    calendar = SendingCalendar()
    assert calendar.next_sending_day(date(2026, 10, 3)) == date(2026, 10, 5)
    assert calendar.next_sending_day(date(2026, 10, 4)) == date(2026, 10, 5)


def test_next_sending_day_across_a_holiday():
    calendar = SendingCalendar(holidays=CZECH_AUTUMN)
    assert calendar.next_sending_day(date(2026, 10, 28)) == date(2026, 10, 29)


def test_next_sending_day_across_christmas_and_the_weekend_after_it():
    # 24 and 25 December are holidays (Thu, Fri), 26-27 December a weekend: next is Monday 28 December.
    calendar = SendingCalendar(holidays=CZECH_AUTUMN)
    assert calendar.next_sending_day(date(2026, 12, 24)) == date(2026, 12, 28)


def test_next_sending_day_ignores_holidays_when_not_limited_to_business_days():
    calendar = SendingCalendar(business_days_only=False, holidays=CZECH_AUTUMN)
    assert calendar.next_sending_day(date(2026, 12, 24)) == date(2026, 12, 24)
    assert calendar.next_sending_day(date(2026, 12, 26)) == date(2026, 12, 28)


def test_next_sending_day_raises_when_a_whole_year_is_blocked():
    # Only Mondays, and every Monday for more than a year is a "holiday": no day is left.
    first_monday = date(2026, 10, 5)
    mondays = frozenset(first_monday + timedelta(weeks=n) for n in range(60))
    calendar = SendingCalendar(weekdays=frozenset({0}), holidays=mondays)
    with pytest.raises(ValueError, match="no sending day within a year"):
        calendar.next_sending_day(first_monday)


@pytest.mark.parametrize("weekdays", [frozenset(), frozenset({7}), frozenset({-1}), frozenset({0, 1, 9})])
def test_invalid_weekdays_raise(weekdays):
    with pytest.raises(ValueError, match="day"):
        SendingCalendar(weekdays=weekdays)


def test_empty_weekdays_message():
    with pytest.raises(ValueError, match="at least one day of the week"):
        SendingCalendar(weekdays=frozenset())


def test_out_of_range_weekday_message():
    with pytest.raises(ValueError, match=r"0 \(Monday\) to 6 \(Sunday\)"):
        SendingCalendar(weekdays=frozenset({7}))


def test_with_holidays_keeps_the_days_and_the_switch():
    base = SendingCalendar(weekdays=frozenset({1, 3}), business_days_only=False)
    calendar = with_holidays(base, [date(2026, 10, 28), date(2026, 10, 28), date(2026, 12, 24)])
    assert calendar == SendingCalendar(
        weekdays=frozenset({1, 3}),
        business_days_only=False,
        holidays=frozenset({date(2026, 10, 28), date(2026, 12, 24)}),
    )
    assert base.holidays == frozenset()  # the original is left alone


def test_with_holidays_makes_a_holiday_a_non_sending_day():
    calendar = with_holidays(SendingCalendar(), {date(2026, 11, 17)})
    assert calendar.why_not(date(2026, 11, 17)) == "2026-11-17 is a public holiday"
    assert calendar.next_sending_day(date(2026, 11, 17)) == date(2026, 11, 18)
