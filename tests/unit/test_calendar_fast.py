"""The working calendar's fast paths (elapsed and add by counting working days per year)
give exactly what walking day by day gives (Điều 7.2.d, 8.5): same timedeltas, same instants.

The reference below is the algorithm the calendar used before, walking every day, copied here
as the oracle; it reads the calendar's fields only.
"""

from datetime import UTC, date, datetime, time, timedelta, timezone
from functools import cache
from zoneinfo import ZoneInfo

import holidays
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.calendar import BUSINESS_TZ, WorkingCalendar
from tests.budget import examples

_NOTHING = timedelta(0)


@cache
def _reference_national(year: int) -> frozenset[date]:
    national = holidays.Vietnam(years=year)
    ordinals = range(date(year, 1, 1).toordinal(), date(year + 1, 1, 1).toordinal())
    return frozenset(day for day in map(date.fromordinal, ordinals) if national.is_working_day(day))


def _reference_is_working_day(calendar: WorkingCalendar, day: date) -> bool:
    if day in calendar.extra_days_off:
        return False
    return day in calendar.extra_working_days or day in _reference_national(day.year)


def _offsets(calendar: WorkingCalendar) -> list[tuple[timedelta, timedelta]]:
    def since_midnight(clock: time) -> timedelta:
        return timedelta(hours=clock.hour, minutes=clock.minute, seconds=clock.second,
                         microseconds=clock.microsecond)
    return [(since_midnight(opens), since_midnight(closes)) for opens, closes in calendar.periods]


def _local(calendar: WorkingCalendar, at: datetime) -> datetime:
    assert at.utcoffset() is not None
    return at.astimezone(ZoneInfo(calendar.timezone)).replace(tzinfo=None)


def _worked_before(calendar: WorkingCalendar, local: datetime) -> timedelta:
    if not _reference_is_working_day(calendar, local.date()):
        return _NOTHING
    clock = local - datetime.combine(local.date(), time())
    return sum((max(_NOTHING, min(clock, closes) - opens) for opens, closes in _offsets(calendar)),
               _NOTHING)


def _working_day(calendar: WorkingCalendar) -> timedelta:
    return sum((closes - opens for opens, closes in _offsets(calendar)), _NOTHING)


def reference_elapsed(calendar: WorkingCalendar, start: datetime, end: datetime) -> timedelta:
    begins, ends = _local(calendar, start), _local(calendar, end)
    if end < start:
        return -reference_elapsed(calendar, end, start)
    ordinals = range(begins.date().toordinal(), ends.date().toordinal())
    whole_days = sum(1 for day in map(date.fromordinal, ordinals)
                     if _reference_is_working_day(calendar, day))
    return (_working_day(calendar) * whole_days - _worked_before(calendar, begins)
            + _worked_before(calendar, ends))


def reference_add(calendar: WorkingCalendar, start: datetime, amount: timedelta) -> datetime:
    if not amount:
        return start
    local = _local(calendar, start)
    day, clock = local.date(), local - datetime.combine(local.date(), time())
    remaining = amount
    while True:
        if _reference_is_working_day(calendar, day):
            for opens, closes in _offsets(calendar):
                begins = max(opens, clock)
                if begins < closes:
                    if remaining <= closes - begins:
                        midnight = datetime.combine(day, time(),
                                                    tzinfo=ZoneInfo(calendar.timezone))
                        return midnight + begins + remaining
                    remaining -= closes - begins
        day += timedelta(days=1)
        clock = _NOTHING


# --- strategies ----------------------------------------------------------------------------------

FIRST_DAY, LAST_DAY = date(2024, 1, 1), date(2027, 12, 31)

# Tết 2024–2027, Hùng Kings, 30/4–1/5, 2/9, swapped Saturdays, new year: instants cluster here.
SPECIAL_DAYS = [
    date(2024, 1, 1), date(2024, 2, 8), date(2024, 2, 14), date(2024, 4, 18), date(2024, 4, 30),
    date(2024, 5, 1), date(2024, 9, 2), date(2024, 9, 3), date(2025, 1, 1), date(2025, 1, 27),
    date(2025, 2, 1), date(2025, 4, 7), date(2025, 4, 26), date(2025, 4, 30), date(2025, 5, 2),
    date(2025, 9, 1), date(2025, 9, 2), date(2026, 1, 1), date(2026, 2, 16), date(2026, 2, 20),
    date(2026, 4, 27), date(2026, 4, 30), date(2026, 5, 1), date(2026, 8, 22), date(2026, 8, 31),
    date(2026, 9, 2), date(2027, 1, 1), date(2027, 2, 5), date(2027, 2, 10), date(2027, 4, 16),
    date(2027, 4, 30), date(2027, 5, 3), date(2027, 9, 2), date(2027, 12, 31),
]

days = st.one_of(
    st.dates(FIRST_DAY, LAST_DAY),
    st.builds(lambda day, shift: day + timedelta(days=shift),
              st.sampled_from(SPECIAL_DAYS), st.integers(-3, 3)),
)
# Whole hours and minutes (period bounds, lunch, evening, night) and arbitrary microseconds.
clocks = st.one_of(
    st.builds(time, st.integers(0, 23), st.sampled_from([0, 0, 0, 30, 59])),
    st.builds(time, st.integers(0, 23), st.integers(0, 59), st.integers(0, 59),
              st.integers(0, 999_999)),
)
zones = st.sampled_from([BUSINESS_TZ, UTC, timezone(timedelta(hours=-5)),
                         ZoneInfo("Europe/Paris")])
instants = st.builds(datetime.combine, days, clocks, zones)

some_days = st.frozensets(days, max_size=30)
periods = st.sampled_from([
    ((time(8), time(12)), (time(13), time(17))),
    ((time(7, 30), time(11, 30)), (time(13, 30), time(17))),
    ((time(9), time(17)),),
    ((time(0), time(1)), (time(8, 0, 0, 1), time(12)), (time(22), time(23, 59, 59, 999_999))),
])
calendars = st.one_of(
    st.just(WorkingCalendar()),
    st.builds(
        lambda off, working, spans, zone: WorkingCalendar(
            periods=spans, extra_days_off=off, extra_working_days=working - off, timezone=zone),
        some_days, some_days, periods,
        st.sampled_from(["Asia/Ho_Chi_Minh", "Asia/Bangkok", "Europe/Paris"]),
    ),
)
amounts = st.one_of(
    st.integers(0, 60 * 8 * 60).map(lambda minutes: timedelta(minutes=minutes)),
    st.integers(0, 60 * 8 * 3600 * 10**6).map(lambda micro: timedelta(microseconds=micro)),
    st.integers(0, 60).map(lambda whole: timedelta(hours=8 * whole)),
)
properties = settings(max_examples=examples(1500), deadline=None)


@properties
@given(calendar=calendars, start=instants, end=instants)
def test_elapsed_working_time_equals_walking_day_by_day(calendar, start, end):
    assert calendar.elapsed(start, end) == reference_elapsed(calendar, start, end)


@properties
@given(calendar=calendars, starts=st.lists(instants, max_size=8), end=instants)
def test_elapsed_of_many_starts_until_one_end_equals_walking_day_by_day(calendar, starts, end):
    late = calendar.elapsed_until(end)
    assert [late(start) for start in starts] == [
        reference_elapsed(calendar, start, end) for start in starts]


@properties
@given(calendar=calendars, start=instants, amount=amounts)
def test_deadline_equals_walking_day_by_day(calendar, start, amount):
    deadline, expected = calendar.add(start, amount), reference_add(calendar, start, amount)
    assert deadline == expected
    assert deadline.tzinfo == expected.tzinfo
    assert deadline.utcoffset() == expected.utcoffset()


def test_calendars_equal_in_value_are_equal_and_hash_alike_after_use():
    used, fresh = WorkingCalendar(), WorkingCalendar()
    used.elapsed(datetime(2025, 1, 2, tzinfo=UTC), datetime(2026, 3, 2, tzinfo=UTC))
    used.add(datetime(2025, 1, 2, tzinfo=UTC), timedelta(hours=100))
    assert used == fresh
    assert hash(used) == hash(fresh)
    assert used.to_dict() == fresh.to_dict()
    assert repr(used) == repr(fresh)
