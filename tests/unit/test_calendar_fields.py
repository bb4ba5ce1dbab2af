"""The working calendar's fields as the policy stores them (Điều 7.2.d, 8.5): periods, the
city's own days off and working days, and the timezone survive being given as plain lists
and being stored inside events."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from domain.calendar import BUSINESS_TZ, WorkingCalendar


def test_periods_and_city_days_given_as_lists_make_the_same_hashable_calendar() -> None:
    """Stored policies come back as JSON lists: the calendar freezes them into its fields."""
    from_lists = WorkingCalendar(periods=[[time(8), time(12)], [time(13), time(17)]],
                                 extra_days_off={date(2026, 3, 10)},
                                 extra_working_days={date(2026, 3, 14)})
    frozen = WorkingCalendar(periods=((time(8), time(12)), (time(13), time(17))),
                             extra_days_off=frozenset({date(2026, 3, 10)}),
                             extra_working_days=frozenset({date(2026, 3, 14)}))
    assert from_lists == frozen
    assert hash(from_lists) == hash(frozen)
    assert type(from_lists.periods) is tuple and type(from_lists.periods[0]) is tuple
    assert type(from_lists.extra_days_off) is frozenset
    assert type(from_lists.extra_working_days) is frozenset


def test_a_calendar_in_another_timezone_keeps_it_when_stored() -> None:
    calendar = WorkingCalendar(timezone="Asia/Bangkok")
    assert calendar.to_dict()["timezone"] == "Asia/Bangkok"
    assert WorkingCalendar.from_dict(calendar.to_dict()) == calendar


def test_a_period_may_open_when_the_previous_one_closes() -> None:
    """Sorted, not overlapping: 08:00–12:00 then 12:00–17:00 is one 9-hour working day."""
    contiguous = WorkingCalendar(periods=((time(8), time(12)), (time(12), time(17))))
    assert contiguous.working_day == timedelta(hours=9)


@pytest.mark.parametrize("periods", [((time(8, tzinfo=UTC), time(12)),),
                                     ((time(8), time(12, tzinfo=UTC)),)])
def test_a_period_with_a_timezone_at_either_end_is_refused(periods) -> None:
    """Periods are wall-clock times of the calendar's own timezone."""
    with pytest.raises(ValueError):
        WorkingCalendar(periods=periods)


def test_a_city_working_new_years_day_counts_once_across_the_year_end() -> None:
    """The city's own working days (Điều 7.2.d: "ngày làm việc") belong to their own year."""
    calendar = WorkingCalendar(extra_working_days=frozenset({date(2027, 1, 1)}))
    new_years_eve = datetime(2026, 12, 31, 9, tzinfo=BUSINESS_TZ)
    assert calendar.add_days(new_years_eve, 1) == datetime(2027, 1, 1, 9, tzinfo=BUSINESS_TZ)
    assert calendar.elapsed(new_years_eve, datetime(2027, 1, 4, 9, tzinfo=BUSINESS_TZ)) == \
        timedelta(hours=16)
