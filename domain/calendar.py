"""Working time ("giờ làm việc", "ngày làm việc") of Vietnam's public administration.

Every service-level deadline of the regulation runs in working time from the start of a stage:
8 working hours to decide on reception (Điều 7.2.d), 4 working hours to assign and 7, 15 or at
most 30 working days to handle a field report (Điều 8.5), and likewise for Điều 10.4 and 11.4.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

BUSINESS_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

_NOTHING = timedelta(0)


@lru_cache(maxsize=64)
def _national_working_days(year: int) -> frozenset[date]:
    """Vietnam's working days of `year` per `holidays.Vietnam().is_working_day`: weekdays less
    public holidays and substitute days off, plus swapped working Saturdays."""
    national = holidays.Vietnam(years=year)
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

    @property
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
        day, clock = local.date(), local - datetime.combine(local.date(), time())
        offsets, remaining = self._offsets, amount
        while True:
            if self.is_working_day(day):
                for opens, closes in offsets:
                    begins = max(opens, clock)
                    if begins < closes:
                        if remaining <= closes - begins:
                            midnight = datetime.combine(day, time(), tzinfo=self._zone)
                            return midnight + begins + remaining
                        remaining -= closes - begins
            day += timedelta(days=1)
            clock = _NOTHING

    def add_hours(self, start: datetime, hours: float) -> datetime:
        """`start` plus `hours` giờ làm việc (e.g. 8 for reception, Điều 7.2.d)."""
        return self.add(start, timedelta(hours=hours))

    def add_days(self, start: datetime, days: float) -> datetime:
        """`start` plus `days` ngày làm việc of `working_day` each (e.g. 7, 15, 30, Điều 8.5)."""
        return self.add(start, self.working_day * days)

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Working time between two instants; negative when `end` precedes `start`."""
        begins, ends = self._local(start), self._local(end)
        if end < start:
            return -self.elapsed(end, start)
        ordinals = range(begins.date().toordinal(), ends.date().toordinal())
        whole_days = sum(1 for day in map(date.fromordinal, ordinals) if self.is_working_day(day))
        return (
            self.working_day * whole_days - self._worked_before(begins) + self._worked_before(ends)
        )

    def to_dict(self) -> dict:
        """JSON-able form, with ISO times and dates, for storing inside events."""
        return {
            "periods": [[opens.isoformat(), closes.isoformat()] for opens, closes in self.periods],
            "extra_days_off": sorted(day.isoformat() for day in self.extra_days_off),
            "extra_working_days": sorted(day.isoformat() for day in self.extra_working_days),
            "timezone": self.timezone,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "WorkingCalendar":
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

    @property
    def _zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def _offsets(self) -> tuple[tuple[timedelta, timedelta], ...]:
        return tuple(
            (_since_midnight(opens), _since_midnight(closes)) for opens, closes in self.periods
        )

    def _local(self, at: datetime) -> datetime:
        """`at` as naive wall-clock time in the calendar's timezone."""
        _require_aware(at)
        return at.astimezone(self._zone).replace(tzinfo=None)

    def _worked_before(self, local: datetime) -> timedelta:
        """Working time on the day of the wall-clock time `local`, before it."""
        if not self.is_working_day(local.date()):
            return _NOTHING
        clock = local - datetime.combine(local.date(), time())
        return sum(
            (max(_NOTHING, min(clock, closes) - opens) for opens, closes in self._offsets), _NOTHING
        )
