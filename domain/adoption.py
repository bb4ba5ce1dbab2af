"""The adoption-progress form of the roll-out orders (seed 001 1.a, 1.c; seed 003 1, 8 and its
annex "BIỂU TỔNG HỢP TIẾN ĐỘ CÀI ĐẶT, SỬ DỤNG ỨNG DỤNG iHANOI").

Each unit reports, per round, its staff (total, installed iHanoi) and the residents of its
area (total, with a smartphone, installed iHanoi). One :class:`AdoptionProgress` per unit, its
id derived from the unit's. A later entry for the same round corrects the earlier one; both
stay in its history (the event store, the audit trail).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.actors import STAFF_ROLES, Actor, Role
from domain.errors import InvalidInput, NotPermitted
from domain.units import Unit

#: The form's columns and what they imply of each other.
FORM_RULE = "seed 003 annex (biểu tổng hợp tiến độ cài đặt)"
#: Seed 001 1.a, seed 003 1, 8: each unit's head answers for his unit's figures.
WHO_RULE = "seed 001 1.a; seed 003 1, 8"
#: More than anyone counts in Việt Nam: a typing error, refused before it is stored.
MAX_COUNT = 200_000_000


def adoption_progress_id(unit_id: UUID) -> UUID:
    """The id of a unit's adoption progress."""
    return uuid5(NAMESPACE_URL, f"ihanoi:adoption-progress:{unit_id}")


@dataclass(frozen=True)
class AdoptionFigures:
    """One row of the form: the unit's staff and the residents of its area."""

    staff_total: int
    staff_installed: int
    residents_total: int
    residents_with_smartphone: int
    residents_installed: int

    def check(self) -> None:
        """Seed 003 annex: counts are whole numbers from 0 to :data:`MAX_COUNT`; no more staff installed than staff,
        no more residents with a smartphone than residents, and no more residents installed
        than residents with a smartphone (the app runs on one, seed 003 8)."""
        for name, value in asdict(self).items():
            if type(value) is not int or not 0 <= value <= MAX_COUNT:
                raise InvalidInput(FORM_RULE, f"{name} must be a whole number from 0 to "
                                   f"{MAX_COUNT:,}")
        if self.staff_installed > self.staff_total:
            raise InvalidInput(FORM_RULE, "staff_installed cannot exceed staff_total")
        if self.residents_with_smartphone > self.residents_total:
            raise InvalidInput(FORM_RULE,
                               "residents_with_smartphone cannot exceed residents_total")
        if self.residents_installed > self.residents_with_smartphone:
            raise InvalidInput(FORM_RULE, "residents_installed cannot exceed "
                               "residents_with_smartphone (iHanoi runs on a smartphone)")


def check_may_enter(by: Actor, unit_id: UUID) -> None:
    """Seed 001 1.a, seed 003 1, 8: a unit's own officers and head enter its figures; an
    administrator may enter them for it."""
    if by.role == Role.ADMINISTRATOR or by.is_staff_of(unit_id, *STAFF_ROLES):
        return
    raise NotPermitted(WHO_RULE, "only the unit's own officers and head (or an administrator) "
                       "enter its adoption figures")


class AdoptionProgress(Aggregate):
    """A unit's entries in the adoption-progress form, round by round."""

    class Opened(Aggregate.Created):
        unit_id: UUID

    @event(Opened)
    def __init__(self, unit_id: UUID) -> None:
        self.unit_id = unit_id
        #: round → its entries, the first first (a later one corrects it).
        self.rounds: dict[int, list[dict[str, Any]]] = {}

    @staticmethod
    def create_id(unit_id: UUID) -> UUID:
        return adoption_progress_id(unit_id)

    @classmethod
    def open(cls, unit: Unit) -> AdoptionProgress:
        unit.check_active()
        return cls(unit_id=unit.id)

    def enter(self, unit: Unit, round_number: int, figures: AdoptionFigures, by: Actor,
              at: datetime, due: datetime) -> None:
        """Seed 003 annex: the unit's figures for a round due at ``due`` (from the policy in
        force, decided here so history never depends on a later policy)."""
        if unit.id != self.unit_id:
            raise ValueError("the unit is not this progress's unit")
        check_may_enter(by, self.unit_id)
        unit.check_active()
        figures.check()
        entry = len(self.rounds.get(round_number, [])) + 1
        self._entered(unit_id=self.unit_id, round=round_number, **asdict(figures), entry=entry,
                      due=due, on_time=at <= due, by=by.ref(), at=at)

    class Entered(Aggregate.Event):
        unit_id: UUID
        round: int
        staff_total: int
        staff_installed: int
        residents_total: int
        residents_with_smartphone: int
        residents_installed: int
        entry: int  # 1: the round's first entry; 2, 3…: corrections
        due: datetime
        on_time: bool
        by: dict[str, Any]
        at: datetime

    @event(Entered)
    def _entered(self, unit_id: UUID, round: int, staff_total: int, staff_installed: int,
                 residents_total: int, residents_with_smartphone: int,
                 residents_installed: int, entry: int, due: datetime, on_time: bool,
                 by: dict[str, Any], at: datetime) -> None:
        self.rounds.setdefault(round, []).append({
            "staff_total": staff_total, "staff_installed": staff_installed,
            "residents_total": residents_total,
            "residents_with_smartphone": residents_with_smartphone,
            "residents_installed": residents_installed, "entry": entry, "due": due,
            "on_time": on_time, "at": at})
