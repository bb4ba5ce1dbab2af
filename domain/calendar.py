"""Working time ("giờ làm việc", "ngày làm việc") of Vietnam's public administration.

Every service-level deadline of the regulation runs in working time from the start of a stage:
8 working hours to decide on reception (Điều 7.2.d), 4 working hours to assign and 7, 15 or at
most 30 working days to handle a field report (Điều 8.5), and likewise for Điều 10.4 and 11.4.
"""

from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cached_property, lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from holidays import country_holidays

BUSINESS_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

_NOTHING = timedelta(0)
_TICK = timedelta(microseconds=1)  # working time is exact to the microsecond


@lru_cache(maxsize=64)
def _national_working_days(year: int) -> frozenset[date]:
    """Vietnam's working days of `year` per `holidays.Vietnam().is_working_day`: weekdays less
    public holidays and substitute days off, plus swapped working Saturdays."""
    national = country_holidays("VN", years=year)
    ordinals = range(date(year, 1, 1).toordinal(), date(year + 1, 1, 1).toordinal())
    return frozenset(day for day in map(date.fromordinal, ordinals) if national.is_working_day(day))


def _since_midnight(clock: time) -> timedelta:
    return timedelta(
        hours=clock.hour, minutes=clock.minute, seconds=clock.second, microseconds=clock.microsecond
    )


def _require_aware(at: datetime) -> None:
    if at.utcoffset() is None:
        raise ValueError(f"working time needs a timezone-aware datetime, got naive {at!r}")


@dataclass(frozen=True)
class WorkingCalendar:
    """Working time of Vietnam's public administration, which measures every deadline of the
    regulation (Điều 7.2.d, 8.5): Monday–Friday 08:00–12:00 and 13:00–17:00 in
    Asia/Ho_Chi_Minh, one working day being 8 working hours; public holidays and substitute days
    off are not working days, swapped Saturdays are. The city may add its own days off and
    working days, which take precedence over the national calendar.

    Derived tables (the periods as offsets from midnight, each year's working days as sorted
    ordinals) are computed once per calendar and cached on it; they are not fields, so equality,
    hashing and ``to_dict`` see the four fields only.
    """

    periods: tuple[tuple[time, time], ...] = ((time(8), time(12)), (time(13), time(17)))
    extra_days_off: frozenset[date] = frozenset()
    extra_working_days: frozenset[date] = frozenset()
    timezone: str = "Asia/Ho_Chi_Minh"

    def __post_init__(self) -> None:
        object.__setattr__(self, "periods", tuple(tuple(period) for period in self.periods))
        object.__setattr__(self, "extra_days_off", frozenset(self.extra_days_off))
        object.__setattr__(self, "extra_working_days", frozenset(self.extra_working_days))
        if not self.periods:
            raise ValueError("a working day needs at least one working period")
        previous_end = None
        for opens, closes in self.periods:
            if opens.tzinfo is not None or closes.tzinfo is not None:
                raise ValueError("working periods are wall-clock times without tzinfo")
            if not opens < closes:
                raise ValueError(f"working period {opens}–{closes} must start before it ends")
            if previous_end is not None and opens < previous_end:
                raise ValueError("working periods must be sorted and must not overlap")
            previous_end = closes
        if both := self.extra_days_off & self.extra_working_days:
            raise ValueError(f"days both off and working: {sorted(both)}")
        try:
            ZoneInfo(self.timezone)
        except ZoneInfoNotFoundError as error:
            raise ValueError(f"unknown timezone {self.timezone!r}") from error

    def is_working_day(self, day: date) -> bool:
        """Whether `day` is a "ngày làm việc": city overrides first, then Vietnam's calendar."""
        if day in self.extra_days_off:
            return False
        return day in self.extra_working_days or day in _national_working_days(day.year)

    def is_working_time(self, at: datetime) -> bool:
        """Whether the instant `at` falls within "giờ làm việc" (period bounds included)."""
        local = self._local(at)
        clock = local.time()
        return self.is_working_day(local.date()) and any(
            opens <= clock <= closes for opens, closes in self.periods
        )

    @cached_property
    def working_day(self) -> timedelta:
        """Working time in one working day: 8 working hours by default."""
        return sum((closes - opens for opens, closes in self._offsets), _NOTHING)

    def add(self, start: datetime, amount: timedelta) -> datetime:
        """The instant at which `amount` of working time has elapsed since `start`: the deadline
        of a stage starting at `start`. A deadline running out exactly at the close of a period
        is that close (08:00 plus 4 working hours is 12:00 the same day)."""
        _require_aware(start)
        if amount < _NOTHING:
            raise ValueError(f"working time to add must not be negative, got {amount}")
        if not amount:
            return start
        local = self._local(start)
        day = local.date()
        clock = local - datetime.combine(day, time())
        remaining = amount
        if self.is_working_day(day):
            for opens, closes in self._offsets:
                begins = max(opens, clock)
                if begins < closes:
                    if remaining <= closes - begins:
                        return self._at(day, begins + remaining)
                    remaining -= closes - begins
        # Whole working days while more than one is left, then the last one period by period.
        whole_days = (remaining - _TICK) // self.working_day
        day = self._working_day_after(day.toordinal(), whole_days)
        remaining -= self.working_day * whole_days
        for opens, closes in self._offsets:
            if remaining <= closes - opens:
                break
            remaining -= closes - opens
        return self._at(day, opens + remaining)

    def add_hours(self, start: datetime, hours: float) -> datetime:
        """`start` plus `hours` giờ làm việc (e.g. 8 for reception, Điều 7.2.d)."""
        return self.add(start, timedelta(hours=hours))

    def add_days(self, start: datetime, days: float) -> datetime:
        """`start` plus `days` ngày làm việc of `working_day` each (e.g. 7, 15, 30, Điều 8.5)."""
        return self.add(start, self.working_day * days)

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Working time between two instants; negative when `end` precedes `start`."""
        return self.elapsed_until(end)(start)

    def elapsed_until(self, end: datetime) -> Callable[[datetime], timedelta]:
        """``elapsed(start, end)`` as a function of ``start``, with ``end`` converted once: how
        late each of many stages is at one ``now`` (the overdue list, Điều 7.2.d, 8.5)."""
        ends = self._local(end)
        last, worked_at_end, working_day = ends.date(), self._worked_before(ends), self.working_day

        def elapsed(start: datetime) -> timedelta:
            begins = self._local(start)
            if end < start:
                return -self.elapsed(end, start)
            whole_days = self._working_days_between(begins.date(), last)
            return working_day * whole_days - self._worked_before(begins) + worked_at_end

        return elapsed

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form, with ISO times and dates, for storing inside events."""
        return {
            "periods": [[opens.isoformat(), closes.isoformat()] for opens, closes in self.periods],
            "extra_days_off": sorted(day.isoformat() for day in self.extra_days_off),
            "extra_working_days": sorted(day.isoformat() for day in self.extra_working_days),
            "timezone": self.timezone,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "WorkingCalendar":
        """Inverse of `to_dict`."""
        return cls(
            periods=tuple(
                (time.fromisoformat(opens), time.fromisoformat(closes))
                for opens, closes in data["periods"]
            ),
            extra_days_off=frozenset(map(date.fromisoformat, data["extra_days_off"])),
            extra_working_days=frozenset(map(date.fromisoformat, data["extra_working_days"])),
            timezone=data["timezone"],
        )

    @cached_property
    def _zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @cached_property
    def _offsets(self) -> tuple[tuple[timedelta, timedelta], ...]:
        return tuple(
            (_since_midnight(opens), _since_midnight(closes)) for opens, closes in self.periods
        )

    @cached_property
    def _years(self) -> dict[int, list[int]]:
        """Each year's working days as sorted ordinals, filled in by :meth:`_working_ordinals`."""
        return {}

    def _working_ordinals(self, year: int) -> list[int]:
        """The ordinals of the working days of `year`, per :meth:`is_working_day`, sorted."""
        ordinals = self._years.get(year)
        if ordinals is None:
            first, last = date(year, 1, 1).toordinal(), date(year + 1, 1, 1).toordinal()
            ordinals = [n for n in range(first, last) if self.is_working_day(date.fromordinal(n))]
            self._years[year] = ordinals
        return ordinals

    def _working_days_between(self, first: date, last: date) -> int:
        """The working days from `first` included to `last` excluded."""
        if first >= last:
            return 0
        count = -bisect_left(self._working_ordinals(first.year), first.toordinal())
        for year in range(first.year, last.year):
            count += len(self._working_ordinals(year))
        return count + bisect_left(self._working_ordinals(last.year), last.toordinal())

    def _working_day_after(self, ordinal: int, skipped: int) -> date:
        """The working day after the `skipped` next ones following the day `ordinal`."""
        year = date.fromordinal(ordinal).year
        ordinals = self._working_ordinals(year)
        index = bisect_right(ordinals, ordinal) + skipped
        while index >= len(ordinals):
            index -= len(ordinals)
            year += 1
            ordinals = self._working_ordinals(year)
        return date.fromordinal(ordinals[index])

    def _at(self, day: date, since_midnight: timedelta) -> datetime:
        """The instant `since_midnight` after the (wall-clock) midnight of `day`."""
        return datetime.combine(day, time(), tzinfo=self._zone) + since_midnight

    def _local(self, at: datetime) -> datetime:
        """`at` as naive wall-clock time in the calendar's timezone."""
        _require_aware(at)
        return at.astimezone(self._zone).replace(tzinfo=None)

    def _worked_before(self, local: datetime) -> timedelta:
        """Working time on the day of the wall-clock time `local`, before it."""
        day = local.date()
        if not self.is_working_day(day):
            return _NOTHING
        clock = local - datetime.combine(day, time())
        worked = _NOTHING
        for opens, closes in self._offsets:  # sorted: none opens before `clock` after this one
            if clock <= opens:
                break
            worked += min(clock, closes) - opens
        return worked
