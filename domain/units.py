"""The unit directory as event-sourced data (DOMAIN.md "Who uses it"; Điều 28.1).

Units form a tree that the 2025 reorganisation reshaped: units are created, renamed, moved,
merged and dissolved by events, never by code. Officers hold one unit and one role at a time,
and every change is an event, so the audit trail can say which unit and role an actor had then.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.actors import Actor, Role, UnitLevel
from domain.errors import InvalidInput, InvalidState


class Unit(Aggregate):
    """A unit of government: the city, a department, a district, a commune, a division..."""

    class Created(Aggregate.Created):
        name: str
        level: str
        parent_id: UUID | None
        code: str
        by: dict[str, Any]
        at: datetime

    @event(Created)
    def __init__(self, name: str, level: str, parent_id: UUID | None, code: str,
                 by: dict[str, Any], at: datetime) -> None:
        self.name = name
        self.level = UnitLevel(level)
        self.parent_id = parent_id
        self.code = code
        self.active = True
        self.merged_into: UUID | None = None
        self.created_at = at

    @classmethod
    def create(cls, name: str, level: str, parent: Unit | None, code: str, by: Actor,
               at: datetime) -> Unit:
        _check_name(name)
        if level not in set(UnitLevel):
            raise InvalidInput("Điều 28.1", f"unknown unit level {level!r}")
        if parent is not None:
            parent.check_active()
        return cls(name=name.strip(), level=level, parent_id=parent.id if parent else None,
                   code=code, by=by.ref(), at=at)

    def check_active(self) -> None:
        if not self.active:
            raise InvalidState("Điều 28.1", f"unit {self.name!r} no longer exists "
                               f"(merged or dissolved)")

    def rename(self, name: str, by: Actor, at: datetime) -> None:
        self.check_active()
        _check_name(name)
        self._renamed(name=name.strip(), by=by.ref(), at=at)

    class Renamed(Aggregate.Event):
        name: str
        by: dict[str, Any]
        at: datetime

    @event(Renamed)
    def _renamed(self, name: str, by: dict[str, Any], at: datetime) -> None:
        self.name = name

    def move(self, new_parent: Unit, ancestors_of_new_parent: list[UUID], by: Actor,
             at: datetime) -> None:
        """Re-attach the unit under another parent; a unit cannot become its own descendant."""
        self.check_active()
        new_parent.check_active()
        if new_parent.id == self.id or self.id in ancestors_of_new_parent:
            raise InvalidInput("Điều 28.1", "a unit cannot be moved under itself or its descendants")
        self._moved(parent_id=new_parent.id, by=by.ref(), at=at)

    class Moved(Aggregate.Event):
        parent_id: UUID
        by: dict[str, Any]
        at: datetime

    @event(Moved)
    def _moved(self, parent_id: UUID, by: dict[str, Any], at: datetime) -> None:
        self.parent_id = parent_id

    def merge_into(self, target: Unit, by: Actor, at: datetime) -> None:
        """The unit's work passes to ``target`` (the 2025 reorganisation)."""
        self.check_active()
        target.check_active()
        if target.id == self.id:
            raise InvalidInput("Điều 28.1", "a unit cannot be merged into itself")
        self._merged(into=target.id, by=by.ref(), at=at)

    class Merged(Aggregate.Event):
        into: UUID
        by: dict[str, Any]
        at: datetime

    @event(Merged)
    def _merged(self, into: UUID, by: dict[str, Any], at: datetime) -> None:
        self.active = False
        self.merged_into = into

    def dissolve(self, by: Actor, at: datetime) -> None:
        self.check_active()
        self._dissolved(by=by.ref(), at=at)

    class Dissolved(Aggregate.Event):
        by: dict[str, Any]
        at: datetime

    @event(Dissolved)
    def _dissolved(self, by: dict[str, Any], at: datetime) -> None:
        self.active = False


class Officer(Aggregate):
    """A public servant holding one role in one unit at a time."""

    class Appointed(Aggregate.Created):
        name: str
        unit_id: UUID
        role: str
        by: dict[str, Any]
        at: datetime

    @event(Appointed)
    def __init__(self, name: str, unit_id: UUID, role: str, by: dict[str, Any],
                 at: datetime) -> None:
        self.name = name
        self.unit_id = unit_id
        self.role = Role(role)
        self.active = True

    @classmethod
    def appoint(cls, name: str, unit: Unit, role: str, by: Actor, at: datetime) -> Officer:
        _check_name(name)
        unit.check_active()
        _check_staff_role(role)
        return cls(name=name.strip(), unit_id=unit.id, role=role, by=by.ref(), at=at)

    def transfer(self, unit: Unit, role: str, by: Actor, at: datetime) -> None:
        """A new unit and/or role from ``at`` on; earlier events keep the old ones."""
        self.check_active()
        unit.check_active()
        _check_staff_role(role)
        self._transferred(unit_id=unit.id, role=role, by=by.ref(), at=at)

    class Transferred(Aggregate.Event):
        unit_id: UUID
        role: str
        by: dict[str, Any]
        at: datetime

    @event(Transferred)
    def _transferred(self, unit_id: UUID, role: str, by: dict[str, Any], at: datetime) -> None:
        self.unit_id = unit_id
        self.role = Role(role)

    def dismiss(self, by: Actor, at: datetime) -> None:
        self.check_active()
        self._dismissed(by=by.ref(), at=at)

    class Dismissed(Aggregate.Event):
        by: dict[str, Any]
        at: datetime

    @event(Dismissed)
    def _dismissed(self, by: dict[str, Any], at: datetime) -> None:
        self.active = False

    def check_active(self) -> None:
        if not self.active:
            raise InvalidState("Điều 25", f"officer {self.name!r} no longer holds office")

    def as_actor(self, unit: Unit) -> Actor:
        """The officer as he acts now: with his current unit's rights only (Điều 25)."""
        self.check_active()
        unit.check_active()
        return Actor(id=str(self.id), role=self.role, unit_id=self.unit_id, unit_level=unit.level)


def _check_name(name: str) -> None:
    if not name or not name.strip() or len(name) > 300:
        raise InvalidInput("Điều 28.1", "a name must be 1 to 300 characters")


def _check_staff_role(role: str) -> None:
    allowed = {Role.RECEIVING_OFFICER, Role.HANDLING_OFFICER, Role.UNIT_HEAD, Role.INSPECTOR,
               Role.CITY_INSPECTOR, Role.ADMINISTRATOR}
    if role not in {str(r) for r in allowed}:
        raise InvalidInput("Điều 25", f"unknown officer role {role!r}")
