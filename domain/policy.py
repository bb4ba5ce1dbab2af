"""Service-level policy as data: the regulation's deadline table with its values as defaults.

Officials may change any figure by adopting a new version; the event that opens a stage records
the due instant and the version in force, so a later policy never rewrites history.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from domain.calendar import WorkingCalendar
from domain.errors import InvalidInput


class Kind(StrEnum):
    """The five kinds of report (Điều 1.2, 3)."""

    FIELD = "field"
    ADMINISTRATIVE = "administrative_regulation"
    WASTE = "waste_behaviour"
    INVESTOR = "investor_enterprise"
    INITIATIVE = "capital_initiative"


OUT_OF_SCOPE_KINDS = {
    "complaint": "complaints (khiếu nại) follow the Law on Complaints",
    "denunciation": "denunciations (tố cáo) follow the Law on Denunciations",
    "dispute": "disputes between parties are not handled by iHanoi",
    "state_secret": "content classified as state secrets is not handled by iHanoi",
}


class Urgency(StrEnum):
    """Điều 8.4: classification of a report."""

    URGENT = "urgent"
    NORMAL = "normal"
    COMPLEX = "complex"


class Stage(StrEnum):
    """Timed stages of the procedure; each has a due instant and a responsible unit."""

    RECEPTION = "reception"
    VERIFICATION = "verification"
    ASSIGNMENT = "assignment"
    HANDLING = "handling"
    REWORK = "rework"
    APPROVAL = "approval"
    RESULT_UPDATE = "result_update"
    PUBLICATION = "publication"
    CLARIFICATION = "clarification"
    RESPONSE = "response"


@dataclass(frozen=True)
class WorkingDuration:
    """An amount of working time: ``amount`` working ``unit`` ("hours" or "days")."""

    amount: int
    unit: str = "hours"

    def __post_init__(self) -> None:
        if self.unit not in ("hours", "days") or self.amount <= 0:
            raise ValueError(f"invalid working duration {self.amount} {self.unit}")

    def after(self, calendar: WorkingCalendar, start: datetime) -> datetime:
        if self.unit == "days":
            return calendar.add_days(start, self.amount)
        return calendar.add_hours(start, self.amount)

    def __str__(self) -> str:
        return f"{self.amount} working {self.unit}"


def _h(n: int) -> WorkingDuration:
    return WorkingDuration(n, "hours")


def _d(n: int) -> WorkingDuration:
    return WorkingDuration(n, "days")


_REPORT = {"reception": _h(8), "verification": _h(4), "assignment": _h(4), "handling.urgent": _h(4)}
_SHARED = {"rework": _d(1), "publication": _d(1), "clarification": _d(2)}

#: kind → stage key → working duration (DOMAIN.md "Service-level deadlines").
DEFAULT_DEADLINES: dict[str, dict[str, WorkingDuration]] = {
    Kind.FIELD: {  # Điều 7.2.d, 8.5
        **_REPORT, "handling.normal": _d(7), "handling.complex": _d(15),
        "extension_cap": _d(30), **_SHARED,
    },
    Kind.ADMINISTRATIVE: {  # Điều 5.3: same as a field report until configured
        **_REPORT, "handling.normal": _d(7), "handling.complex": _d(15),
        "extension_cap": _d(30), **_SHARED,
    },
    # Điều 10.2, 10.4 and 11.2, 11.4: a complex report (same-level coordination) is still
    # handled within 30 working days from assignment; there is no extension beyond that.
    Kind.WASTE: {**_REPORT, "handling.normal": _d(30), "handling.complex": _d(30), **_SHARED},
    Kind.INVESTOR: {**_REPORT, "handling.normal": _d(30), "handling.complex": _d(30), **_SHARED},
    Kind.INITIATIVE: {"response": _d(30), **_SHARED},  # Điều 9
}

ARTICLE_OF_KIND = {
    Kind.FIELD: "Điều 8.5",
    Kind.ADMINISTRATIVE: "Điều 5.3",
    Kind.WASTE: "Điều 10.4",
    Kind.INVESTOR: "Điều 11.4",
    Kind.INITIATIVE: "Điều 9",
}


#: kind → category code → Vietnamese name: the catalogue a report's category is chosen from.
#: Field reports: the purposes Điều 3.2 lists (its "..." leaves the list open, so the city's
#: own additions, such as urban infrastructure, are data); administrative regulations: the
#: mechanisms, policies and procedures of Điều 3.7; waste behaviour, investors and enterprises,
#: capital initiatives: the regulation names no sub-categories (Điều 1.2, 9, 10, 11), so broad
#: ones (waste of the budget or of public assets; investors' obstacles; initiatives).
DEFAULT_CATEGORIES: dict[str, dict[str, str]] = {
    Kind.FIELD: {  # Điều 3.2
        "public_order": "An ninh an toàn, trật tự công cộng",
        "urban_order": "Trật tự đô thị",
        "traffic": "An toàn giao thông",
        "environment": "Vệ sinh môi trường",
        "fire_safety": "An toàn phòng cháy chữa cháy",
        "public_culture": "Văn hóa nơi công cộng",
        "workplace_culture": "Văn hóa nơi công sở",
        "infrastructure": "Hạ tầng đô thị",
    },
    Kind.ADMINISTRATIVE: {  # Điều 3.7
        "policies": "Cơ chế, chính sách",
        "procedures": "Thủ tục hành chính",
    },
    Kind.WASTE: {  # Điều 1.2, 10
        "public_spending": "Lãng phí ngân sách nhà nước",
        "public_assets": "Lãng phí tài sản công",
    },
    Kind.INVESTOR: {  # Điều 11
        "permits": "Vướng mắc của nhà đầu tư, doanh nghiệp",
    },
    Kind.INITIATIVE: {  # Điều 9
        "smart_city": "Sáng kiến xây dựng Thủ đô",
    },
}

#: The article defining each kind's scope, cited when a category falls outside it.
ARTICLE_OF_SCOPE: dict[str, str] = {
    Kind.FIELD: "Điều 3.2",
    Kind.ADMINISTRATIVE: "Điều 3.7",
    Kind.WASTE: "Điều 1.2",
    Kind.INVESTOR: "Điều 11",
    Kind.INITIATIVE: "Điều 9",
}


#: Seed 003 (its closing paragraph): the rounds of the adoption-progress form.
ADOPTION_ROUNDS_RULE = "seed 003, report rounds (báo cáo lần …)"


@dataclass(frozen=True)
class AdoptionPolicy:
    """The adoption-progress form of the roll-out orders (seed 001 1.a, 1.c, 8.a; seed 003 1, 2,
    8 and its annex "Biểu tổng hợp tiến độ cài đặt, sử dụng ứng dụng iHanoi"): the days its
    rounds are due and the targets it is read against.

    A day is read as the orders write it, "trước ngày …" (before that day): due at 00:00,
    Asia/Ho_Chi_Minh, of that day."""

    #: Seed 003: "Báo cáo lần 1 trước ngày 19/7/2024; lần 2 trước ngày 26/7/2024; lần 3 trước
    #: ngày 20/8/2024; lần 4 trước ngày 10/9/2024".
    rounds: tuple[date, ...] = (date(2024, 7, 19), date(2024, 7, 26), date(2024, 8, 20),
                                date(2024, 9, 10))
    #: Seed 001 1.a, seed 003 1: accounts for 100 % of a unit's staff, before 25/7/2024 (seed
    #: 003 1, 5, 8; the city's own order, seed 001 1.a, gives 30/7/2024).
    staff_target: Decimal = Decimal(1)
    staff_target_day: date = date(2024, 7, 25)
    #: Seed 001 1.c "100% người dân", seed 003 8 "cho người dân có điện thoại thông minh": every
    #: resident with a smartphone, before 31/8/2024 (seed 003 2, 8; seed 001 8.a: 15/9/2024).
    residents_target: Decimal = Decimal(1)
    residents_target_day: date = date(2024, 8, 31)

    def due(self, round_number: int, timezone: str) -> datetime:
        """The instant round ``round_number`` (1, 2, …) is due; an unknown round is refused."""
        if not 1 <= round_number <= len(self.rounds):
            raise InvalidInput(ADOPTION_ROUNDS_RULE, f"round {round_number} is not one of the "
                               f"form's rounds (1 to {len(self.rounds)})")
        return start_of(self.rounds[round_number - 1], timezone)

    def to_dict(self) -> dict[str, Any]:
        return {"rounds": [day.isoformat() for day in self.rounds],
                "staff_target": str(self.staff_target),
                "staff_target_day": self.staff_target_day.isoformat(),
                "residents_target": str(self.residents_target),
                "residents_target_day": self.residents_target_day.isoformat()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AdoptionPolicy:
        default = cls()
        return cls(
            rounds=tuple(date.fromisoformat(day) for day in data["rounds"])
            if "rounds" in data else default.rounds,
            staff_target=Decimal(str(data.get("staff_target", default.staff_target))),
            staff_target_day=date.fromisoformat(data["staff_target_day"])
            if "staff_target_day" in data else default.staff_target_day,
            residents_target=Decimal(str(data.get("residents_target",
                                                  default.residents_target))),
            residents_target_day=date.fromisoformat(data["residents_target_day"])
            if "residents_target_day" in data else default.residents_target_day)


def start_of(day: date, timezone: str) -> datetime:
    """00:00 of ``day`` in ``timezone``: the instant a "before that day" deadline falls."""
    return datetime.combine(day, time(), tzinfo=ZoneInfo(timezone))


@dataclass(frozen=True)
class SlaPolicy:
    """One version of the service-level policy (deadlines, calendar, thresholds, lock lengths)."""

    version: str = "2024-default"
    calendar: WorkingCalendar = field(default_factory=WorkingCalendar)
    deadlines: dict[str, dict[str, WorkingDuration]] = field(
        default_factory=lambda: {k: dict(v) for k, v in DEFAULT_DEADLINES.items()}
    )
    # Điều 13 "trong vòng 02 ngày kể từ ngày nhận được kết quả": calendar days counted from the
    # day after the result (Bộ luật Dân sự 2015, Điều 147.2), ending at 24:00 of the last one
    # (Điều 148.1, 148.6); a last day that is a weekend or holiday carries the end to 24:00 of
    # the next working day (Điều 148.5) unless this is False.
    clarification_window_days: int = 2
    clarification_window_rolls_over_days_off: bool = True
    late_share_threshold: Decimal = Decimal("0.30")  # Điều 18.4: flagged when strictly above
    violations_before_lock: int = 3  # Điều 27.3: locked when more than this many in a row
    lock_length: timedelta = timedelta(days=30)  # Điều 27.3
    repeat_dissatisfaction_threshold: int = 5  # Điều 18.4
    deadline_warning: timedelta = timedelta(hours=1)  # working time before a due instant
    statistics_day: int = 25  # seed 000 Điều 2.2.c: monthly statistics on the 25th
    statistics_time: time = time(17, 0)  # at this wall-clock time, Asia/Ho_Chi_Minh
    #: seed 000 Điều 2.2.c "Định kỳ ngày 25 hằng tháng": on the 25th itself, working day or
    #: not; True moves a 25th that is a day off to the next working day (a city's option).
    statistics_next_working_day: bool = False
    alert_cadence_days: int = 3  # seed 001 1.d: at least one alert every 3 days
    #: Điều 8.2.a "cùng cấp và tương đương": besides units of the same level, the levels of one
    #: group coordinate with each other (departments and districts, both directly under the
    #: city; communes among themselves).
    equivalent_levels: tuple[frozenset[str], ...] = (
        frozenset({"department", "district"}), frozenset({"commune"}))
    categories: dict[str, dict[str, str]] = field(
        default_factory=lambda: {k: dict(v) for k, v in DEFAULT_CATEGORIES.items()}
    )
    #: Điều 5.2, 12.2: the largest attachment (photo, video frame, PDF) accepted, in bytes.
    #: The regulation sets none; 20 MiB holds a phone's photo or a scanned record.
    attachment_max_bytes: int = 20 * 1024 * 1024
    #: Seed 001, seed 003: the adoption-progress form's rounds and targets.
    adoption: AdoptionPolicy = field(default_factory=AdoptionPolicy)

    def duration(self, kind: str, key: str) -> WorkingDuration:
        """The working duration of a stage for a kind; refused where the table has none."""
        try:
            return self.deadlines[kind][key]
        except KeyError:
            article = ARTICLE_OF_KIND.get(Kind(kind), "Điều 8.5") if kind in set(Kind) else "Điều 3"
            raise InvalidInput(article, f"no '{key}' deadline is defined for {kind} reports") from None

    def due(self, kind: str, key: str, start: datetime) -> datetime:
        """The due instant of a stage of ``kind`` started at ``start``."""
        return self.duration(kind, key).after(self.calendar, start)

    def same_or_equivalent_level(self, lead: str, other: str) -> bool:
        """Điều 8.2.a: whether a unit of level ``other`` may coordinate on a report led by a
        unit of level ``lead``."""
        return lead == other or any(lead in group and other in group
                                    for group in self.equivalent_levels)

    def check_category(self, kind: str, category: str) -> None:
        """Điều 3.2, 3.7, 9, 10, 11: a report's category is one of its kind's catalogue."""
        if category not in self.categories.get(kind, {}):
            known = ", ".join(self.categories.get(kind, {})) or "none"
            article = ARTICLE_OF_SCOPE.get(kind, "Điều 1.2")
            raise InvalidInput(article, f"category {category!r} is not one of the {kind}"
                               f" categories ({known})")

    def is_category(self, category: str, kind: str | None = None) -> bool:
        """Whether ``category`` is in the catalogue of ``kind`` (of any kind if None)."""
        kinds = [kind] if kind is not None else list(self.categories)
        return any(category in self.categories.get(k, {}) for k in kinds)

    def has(self, kind: str, key: str) -> bool:
        return key in self.deadlines.get(kind, {})

    def due_if_set(self, kind: str, key: str, start: datetime) -> datetime | None:
        """The due instant of a stage the regulation sets no period for (Điều 9 reception,
        Điều 12.1 approval, Điều 12.2 update): None unless the policy adds one."""
        return self.due(kind, key, start) if self.has(kind, key) else None

    def clarification_ends(self, result_at: datetime) -> datetime:
        """Điều 13: the instant the window to ask for clarification closes — 24:00
        (Asia/Ho_Chi_Minh) of the ``clarification_window_days``-th calendar day after the day
        the result was published (Bộ luật Dân sự 2015, Điều 147.2, 148.1, 148.6), carried to
        the end of the next working day when that day is a weekend or holiday (Điều 148.5)."""
        zone = ZoneInfo(self.calendar.timezone)
        last: date = result_at.astimezone(zone).date() + timedelta(
            days=self.clarification_window_days)
        if self.clarification_window_rolls_over_days_off:
            while not self.calendar.is_working_day(last):
                last += timedelta(days=1)
        return datetime.combine(last + timedelta(days=1), time(), tzinfo=zone)

    def with_changes(self, **changes: Any) -> SlaPolicy:
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form, stored in the ``PolicyAdopted`` event."""
        return {
            "version": self.version,
            "calendar": self.calendar.to_dict(),
            "deadlines": {
                kind: {key: [d.amount, d.unit] for key, d in table.items()}
                for kind, table in self.deadlines.items()
            },
            "clarification_window_days": self.clarification_window_days,
            "clarification_window_rolls_over_days_off":
                self.clarification_window_rolls_over_days_off,
            "late_share_threshold": str(self.late_share_threshold),
            "violations_before_lock": self.violations_before_lock,
            "lock_length_days": self.lock_length / timedelta(days=1),
            "repeat_dissatisfaction_threshold": self.repeat_dissatisfaction_threshold,
            "deadline_warning_hours": self.deadline_warning / timedelta(hours=1),
            "statistics_day": self.statistics_day,
            "statistics_time": self.statistics_time.isoformat(timespec="minutes"),
            "statistics_next_working_day": self.statistics_next_working_day,
            "alert_cadence_days": self.alert_cadence_days,
            "equivalent_levels": [sorted(group) for group in self.equivalent_levels],
            "categories": {str(kind): dict(table) for kind, table in self.categories.items()},
            "attachment_max_bytes": self.attachment_max_bytes,
            "adoption": self.adoption.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SlaPolicy:
        default = cls()
        return cls(
            version=str(data["version"]),
            calendar=WorkingCalendar.from_dict(data["calendar"]) if "calendar" in data
            else default.calendar,
            deadlines={
                kind: {key: WorkingDuration(int(a), str(u)) for key, (a, u) in table.items()}
                for kind, table in data["deadlines"].items()
            } if "deadlines" in data else default.deadlines,
            clarification_window_days=_clarification_days(data, default),
            clarification_window_rolls_over_days_off=bool(data.get(
                "clarification_window_rolls_over_days_off",
                default.clarification_window_rolls_over_days_off)),
            late_share_threshold=Decimal(str(data.get("late_share_threshold",
                                                      default.late_share_threshold))),
            violations_before_lock=int(data.get("violations_before_lock",
                                                default.violations_before_lock)),
            lock_length=timedelta(days=float(data["lock_length_days"]))
            if "lock_length_days" in data else default.lock_length,
            repeat_dissatisfaction_threshold=int(data.get(
                "repeat_dissatisfaction_threshold", default.repeat_dissatisfaction_threshold)),
            deadline_warning=timedelta(hours=float(data["deadline_warning_hours"]))
            if "deadline_warning_hours" in data else default.deadline_warning,
            statistics_day=int(data.get("statistics_day", default.statistics_day)),
            statistics_time=time.fromisoformat(data["statistics_time"])
            if "statistics_time" in data else default.statistics_time,
            statistics_next_working_day=bool(data.get("statistics_next_working_day",
                                                      default.statistics_next_working_day)),
            alert_cadence_days=int(data.get("alert_cadence_days", default.alert_cadence_days)),
            equivalent_levels=tuple(frozenset(str(level) for level in group)
                                    for group in data["equivalent_levels"])
            if "equivalent_levels" in data else default.equivalent_levels,
            categories={kind: {str(code): str(name) for code, name in table.items()}
                        for kind, table in data["categories"].items()}
            if "categories" in data else default.categories,
            attachment_max_bytes=int(data.get("attachment_max_bytes",
                                              default.attachment_max_bytes)),
            adoption=AdoptionPolicy.from_dict(data["adoption"]) if "adoption" in data
            else default.adoption,
        )


def _clarification_days(data: dict[str, Any], default: SlaPolicy) -> int:
    """The clarification window in days; versions adopted before it was counted in calendar
    days stored it in hours (48.0 for the regulation's 2 days)."""
    if "clarification_window_days" in data:
        return int(data["clarification_window_days"])
    if "clarification_window_hours" in data:
        return max(1, math.ceil(float(data["clarification_window_hours"]) / 24))
    return default.clarification_window_days


DEFAULT_POLICY = SlaPolicy()
