"""Working time ("giờ/ngày làm việc") behind every deadline (Điều 7.2.d, 8.5).

Expected instants are computed by hand from Vietnam's calendar: Mon–Fri 08:00–12:00, 13:00–17:00.
"""

import json
from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.calendar import BUSINESS_TZ, WorkingCalendar
from tests.budget import examples

CALENDAR = WorkingCalendar()


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BUSINESS_TZ)


def hours(amount: float) -> timedelta:
    return timedelta(hours=amount)


# --- the working day ---------------------------------------------------------------------------


def test_working_day_is_8_working_hours_mon_to_fri_8_to_12_and_13_to_17():
    assert CALENDAR.working_day == hours(8)
    assert CALENDAR.is_working_day(date(2026, 3, 13))  # Friday
    assert not CALENDAR.is_working_day(date(2026, 3, 14))  # Saturday
    assert not CALENDAR.is_working_day(date(2026, 3, 15))  # Sunday


@pytest.mark.parametrize(
    ("instant", "working"),
    [
        (at(2026, 3, 13, 8), True),
        (at(2026, 3, 13, 12), True),
        (at(2026, 3, 13, 12, 30), False),
        (at(2026, 3, 13, 13), True),
        (at(2026, 3, 13, 17), True),
        (at(2026, 3, 13, 7, 59), False),
        (at(2026, 3, 13, 17, 1), False),
        (at(2026, 3, 14, 10), False),  # Saturday
        (at(2026, 2, 17, 10), False),  # Tết
        (datetime(2026, 3, 13, 3, tzinfo=UTC), True),  # 10:00 in Hanoi
        (datetime(2026, 3, 13, 10, 30, tzinfo=UTC), False),  # 17:30 in Hanoi
    ],
)
def test_working_time_is_inside_a_period_of_a_working_day_bounds_included(instant, working):
    assert CALENDAR.is_working_time(instant) is working


def test_working_day_is_the_sum_of_the_periods():
    calendar = WorkingCalendar(periods=((time(7, 30), time(11, 30)), (time(13, 30), time(17))))
    assert calendar.working_day == hours(7.5)
    assert calendar.add_days(at(2026, 3, 9, 7, 30), 1) == at(2026, 3, 9, 17)


@pytest.mark.parametrize(
    "periods",
    [
        (),
        ((time(12), time(8)),),
        ((time(8), time(8)),),
        ((time(13), time(17)), (time(8), time(12))),
        ((time(8), time(12)), (time(11), time(17))),
        ((time(8, tzinfo=UTC), time(12, tzinfo=UTC)),),
    ],
)
def test_working_periods_must_be_sorted_non_overlapping_and_non_empty(periods):
    with pytest.raises(ValueError):
        WorkingCalendar(periods=periods)


def test_a_day_cannot_be_both_an_extra_day_off_and_an_extra_working_day():
    with pytest.raises(ValueError):
        WorkingCalendar(
            extra_days_off=frozenset({date(2026, 3, 10)}),
            extra_working_days=frozenset({date(2026, 3, 10)}),
        )


def test_unknown_timezone_is_rejected():
    with pytest.raises(ValueError):
        WorkingCalendar(timezone="Asia/Nowhere")


# --- adding working time -----------------------------------------------------------------------


def test_deadline_running_out_at_a_period_close_is_that_close():
    assert CALENDAR.add(at(2026, 3, 9, 8), hours(4)) == at(2026, 3, 9, 12)
    assert CALENDAR.add(at(2026, 3, 9, 8), hours(8)) == at(2026, 3, 9, 17)


def test_lunch_break_and_evening_are_not_working_time():
    assert CALENDAR.add(at(2026, 3, 9, 11), hours(2)) == at(2026, 3, 9, 14)
    assert CALENDAR.add(at(2026, 3, 9, 12, 30), hours(1)) == at(2026, 3, 9, 14)
    assert CALENDAR.add(at(2026, 3, 9, 17), hours(1)) == at(2026, 3, 10, 9)
    assert CALENDAR.add(at(2026, 3, 9, 6), hours(1)) == at(2026, 3, 9, 9)


def test_deadline_skips_the_weekend():
    # Fri 16:00–17:00 = 1h, Mon 08:00–09:00 = 1h
    assert CALENDAR.add_hours(at(2026, 3, 13, 16), 2) == at(2026, 3, 16, 9)
    assert CALENDAR.add_hours(at(2026, 3, 14, 10), 1) == at(2026, 3, 16, 9)


def test_zero_working_time_returns_the_start_unchanged():
    start = datetime(2026, 3, 14, 3, 17, tzinfo=UTC)
    assert CALENDAR.add(start, timedelta(0)) is start


def test_deadline_is_in_the_business_timezone_whatever_the_start_timezone():
    deadline = CALENDAR.add(datetime(2026, 3, 13, 2, tzinfo=UTC), hours(1))  # 09:00 in Hanoi
    assert deadline == at(2026, 3, 13, 10)
    assert deadline.tzinfo == BUSINESS_TZ
    assert deadline.utcoffset() == hours(7)


def test_working_time_is_exact_to_the_microsecond():
    start = at(2026, 3, 9, 11, 59).replace(second=59, microsecond=999_999)
    assert CALENDAR.add(start, timedelta(microseconds=2)) == at(2026, 3, 9, 13).replace(
        microsecond=1
    )
    assert CALENDAR.add_hours(at(2026, 3, 9, 8), 0.1) == at(2026, 3, 9, 8, 6)
    assert CALENDAR.add_days(at(2026, 3, 9, 8), 0.5) == at(2026, 3, 9, 12)


def test_naive_datetimes_are_rejected():
    naive = datetime(2026, 3, 9, 8)
    with pytest.raises(ValueError):
        CALENDAR.add(naive, hours(1))
    with pytest.raises(ValueError):
        CALENDAR.add(naive, timedelta(0))
    with pytest.raises(ValueError):
        CALENDAR.elapsed(naive, at(2026, 3, 9, 9))
    with pytest.raises(ValueError):
        CALENDAR.elapsed(at(2026, 3, 9, 9), naive)
    with pytest.raises(ValueError):
        CALENDAR.is_working_time(naive)


def test_negative_working_time_is_rejected():
    with pytest.raises(ValueError):
        CALENDAR.add(at(2026, 3, 9, 8), timedelta(microseconds=-1))
    with pytest.raises(ValueError):
        CALENDAR.add_hours(at(2026, 3, 9, 8), -1)


# --- Tết Nguyên đán 2026: Mon 16 to Fri 20 February off ----------------------------------------


def test_tet_2026_is_five_days_off():
    assert CALENDAR.is_working_day(date(2026, 2, 13))
    for day in range(16, 21):
        assert not CALENDAR.is_working_day(date(2026, 2, day))
    assert CALENDAR.is_working_day(date(2026, 2, 23))


def test_reception_deadline_skips_tet_2026_dieu_7_2_d():
    # Fri 13 15:00–17:00 = 2h; Mon 23 08:00–12:00 = 4h (6h), 13:00–15:00 (8h)
    assert CALENDAR.add_hours(at(2026, 2, 13, 15), 8) == at(2026, 2, 23, 15)


def test_normal_handling_7_working_days_across_tet_2026_dieu_8_5():
    # Thu 12 10:00 → 7 working days: Fri 13, Mon 23 … Fri 27, Mon 2 March, 10:00
    assert CALENDAR.add_days(at(2026, 2, 12, 10), 7) == at(2026, 3, 2, 10)


def test_complex_handling_15_working_days_across_tet_2026_dieu_8_5():
    # from Mon 9 08:00: 9–13 Feb (5), 23–27 Feb (10), 2–6 Mar (15), running out at Fri 6 17:00
    assert CALENDAR.add_days(at(2026, 2, 9, 8), 15) == at(2026, 3, 6, 17)


def test_extension_cap_30_working_days_across_tet_2026_dieu_8_5():
    # Wed 11 14:30–17:00 = 2.5h; 29 whole days: 12–13 Feb, 23–27 Feb, 2–31 Mar (22);
    # the last 5.5h on Wed 1 April: 08:00–12:00, 13:00–14:30
    assert CALENDAR.add_days(at(2026, 2, 11, 14, 30), 30) == at(2026, 4, 1, 14, 30)


# --- Giỗ Tổ Hùng Vương, 30/4 and 1/5 2026 ------------------------------------------------------


def test_hung_kings_day_2026_is_observed_on_monday_27_april():
    assert not CALENDAR.is_working_day(date(2026, 4, 27))
    # Fri 24 13:00–17:00 = 4h; weekend; Mon 27 off; Tue 28 08:00–12:00
    assert CALENDAR.add_days(at(2026, 4, 24, 13), 1) == at(2026, 4, 28, 12)


def test_reception_deadline_skips_30_4_and_1_5_2026_dieu_7_2_d():
    assert not CALENDAR.is_working_day(date(2026, 4, 30))
    assert not CALENDAR.is_working_day(date(2026, 5, 1))
    # Wed 29 16:00–17:00 = 1h; Thu 30, Fri 1, weekend off; Mon 4 08:00–12:00 (5h), 13:00–16:00
    assert CALENDAR.add_hours(at(2026, 4, 29, 16), 8) == at(2026, 5, 4, 16)


# --- Quốc khánh 2/9 2026 -----------------------------------------------------------------------


def test_national_day_2026_is_four_days_off_after_the_weekend():
    for day in (date(2026, 8, 31), date(2026, 9, 1), date(2026, 9, 2)):
        assert not CALENDAR.is_working_day(day)
    # Fri 28 09:00–12:00, 13:00–17:00 = 7h; Sat 29 to Wed 2 off; Thu 3 08:00–09:00
    assert CALENDAR.add_days(at(2026, 8, 28, 9), 1) == at(2026, 9, 3, 9)


def test_saturday_22_august_2026_is_worked_in_exchange_for_31_august():
    assert CALENDAR.is_working_day(date(2026, 8, 22))
    # Fri 21 16:00–17:00 = 1h; Sat 22 08:00–09:00
    assert CALENDAR.add_hours(at(2026, 8, 21, 16), 2) == at(2026, 8, 22, 9)


# --- 2025's swapped Saturday: 26 April worked, 2 May off ---------------------------------------


def test_swapped_saturday_26_april_2025_is_a_working_day():
    assert CALENDAR.is_working_day(date(2025, 4, 26))
    # Fri 25 16:00–17:00 = 1h; Sat 26 08:00–12:00 (5h), 13:00–16:00
    assert CALENDAR.add_hours(at(2025, 4, 25, 16), 8) == at(2025, 4, 26, 16)


def test_2_may_2025_is_off_in_exchange_for_26_april():
    assert not CALENDAR.is_working_day(date(2025, 5, 2))
    # Tue 29 10:00–12:00, 13:00–17:00 = 6h; Wed 30 to Sun 4 off; Mon 5 08:00–10:00
    assert CALENDAR.add_hours(at(2025, 4, 29, 10), 8) == at(2025, 5, 5, 10)


# --- the city's own exceptions -----------------------------------------------------------------


def test_city_extra_day_off_is_skipped():
    calendar = WorkingCalendar(extra_days_off=frozenset({date(2026, 3, 10)}))
    assert not calendar.is_working_day(date(2026, 3, 10))
    # Mon 9 15:00–17:00 = 2h; Tue 10 off; Wed 11 08:00–12:00 (6h), 13:00–15:00
    assert calendar.add_hours(at(2026, 3, 9, 15), 8) == at(2026, 3, 11, 15)
    assert CALENDAR.add_hours(at(2026, 3, 9, 15), 8) == at(2026, 3, 10, 15)


def test_city_extra_working_saturday_counts():
    calendar = WorkingCalendar(extra_working_days=frozenset({date(2026, 3, 14)}))
    assert calendar.is_working_day(date(2026, 3, 14))
    # Fri 13 15:00–17:00 = 2h; Sat 14 08:00–12:00 (6h), 13:00–15:00
    assert calendar.add_hours(at(2026, 3, 13, 15), 8) == at(2026, 3, 14, 15)
    assert calendar.elapsed(at(2026, 3, 13, 17), at(2026, 3, 16, 8)) == hours(8)


def test_city_exceptions_take_precedence_over_the_national_calendar():
    calendar = WorkingCalendar(
        extra_days_off=frozenset({date(2025, 4, 26)}),
        extra_working_days=frozenset({date(2026, 2, 20)}),
    )
    assert not calendar.is_working_day(date(2025, 4, 26))
    assert calendar.is_working_day(date(2026, 2, 20))


# --- elapsed working time ----------------------------------------------------------------------


def test_elapsed_across_a_weekend_counts_only_working_time():
    # Fri 16:00–17:00 = 1h; Mon 08:00–09:30 = 1.5h
    assert CALENDAR.elapsed(at(2026, 3, 13, 16), at(2026, 3, 16, 9, 30)) == hours(2.5)


def test_elapsed_is_negative_when_reversed():
    assert CALENDAR.elapsed(at(2026, 3, 16, 9, 30), at(2026, 3, 13, 16)) == -hours(2.5)


def test_elapsed_accepts_instants_in_any_timezone():
    start = datetime(2026, 3, 13, 9, tzinfo=UTC)  # Fri 16:00 in Hanoi
    assert CALENDAR.elapsed(start, at(2026, 3, 16, 9, 30)) == hours(2.5)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (at(2026, 3, 14, 10), at(2026, 3, 15, 15)),  # weekend
        (at(2026, 3, 13, 12, 15), at(2026, 3, 13, 12, 45)),  # lunch break
        (at(2026, 3, 12, 17, 30), at(2026, 3, 13, 7, 45)),  # overnight
        (at(2026, 2, 13, 17), at(2026, 2, 23, 8)),  # Tết 2026
        (at(2026, 3, 13, 10), at(2026, 3, 13, 10)),
    ],
)
def test_elapsed_outside_working_time_is_zero(start, end):
    assert CALENDAR.elapsed(start, end) == timedelta(0)


def test_2026_has_249_working_days():
    # 261 weekdays; less 13 weekday days off (1/1, Tết ×5, 27/4, 30/4, 1/5, 31/8, 1/9, 2/9,
    # 24/11), plus the swapped Saturday 22/8
    assert CALENDAR.elapsed(at(2026, 1, 1), at(2027, 1, 1)) == hours(249 * 8)


# --- stored inside events ----------------------------------------------------------------------


def test_calendar_round_trips_through_json():
    calendar = WorkingCalendar(
        periods=((time(7, 30), time(11, 30)), (time(13, 30), time(17))),
        extra_days_off=frozenset({date(2026, 3, 10), date(2026, 3, 11)}),
        extra_working_days=frozenset({date(2026, 3, 14)}),
    )
    stored = json.loads(json.dumps(calendar.to_dict()))
    assert stored["extra_days_off"] == ["2026-03-10", "2026-03-11"]
    restored = WorkingCalendar.from_dict(stored)
    assert restored == calendar
    assert hash(restored) == hash(calendar)


# --- properties --------------------------------------------------------------------------------

FIRST_DAY, LAST_DAY = date(2024, 12, 1), date(2027, 1, 31)

starts = st.builds(
    datetime.combine,
    st.dates(FIRST_DAY, LAST_DAY),
    st.builds(time, st.integers(0, 23), st.integers(0, 59)),
    st.sampled_from([BUSINESS_TZ, UTC]),
)
amounts = st.integers(0, 40 * 8 * 60).map(lambda minutes: timedelta(minutes=minutes))
some_days = st.frozensets(st.dates(FIRST_DAY, LAST_DAY), max_size=30)
calendars = st.one_of(
    st.just(CALENDAR),
    st.builds(
        lambda off, working: WorkingCalendar(extra_days_off=off, extra_working_days=working - off),
        some_days,
        some_days,
    ),
)
properties = settings(max_examples=examples(200), deadline=None)


@properties
@given(calendar=calendars, start=starts, amount=amounts)
def test_deadline_of_positive_working_time_falls_within_working_time(calendar, start, amount):
    deadline = calendar.add(start, amount)
    if amount:
        assert calendar.is_working_time(deadline)
        assert deadline > start
        assert deadline.tzinfo == BUSINESS_TZ


@properties
@given(calendar=calendars, start=starts, first=amounts, second=amounts)
def test_adding_working_time_in_two_steps_equals_adding_it_at_once(calendar, start, first, second):
    assert calendar.add(calendar.add(start, first), second) == calendar.add(start, first + second)


@properties
@given(calendar=calendars, start=starts, amount=amounts)
def test_elapsed_working_time_up_to_a_deadline_is_its_amount(calendar, start, amount):
    deadline = calendar.add(start, amount)
    assert calendar.elapsed(start, deadline) == amount
    assert calendar.elapsed(deadline, start) == -amount


@properties
@given(calendar=calendars, start=starts, first=amounts, second=amounts)
def test_deadline_is_monotone_in_the_working_time(calendar, start, first, second):
    shorter, longer = sorted((first, second))
    assert calendar.add(start, shorter) <= calendar.add(start, longer)
