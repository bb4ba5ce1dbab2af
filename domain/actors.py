"""Who acts: a citizen, or an officer with the role and unit he holds at that moment."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from uuid import UUID


class Role(StrEnum):
    """Roles of DOMAIN.md "Who uses it"."""

    CITIZEN = "citizen"
    RECEIVING_OFFICER = "receiving_officer"
    HANDLING_OFFICER = "handling_officer"
    UNIT_HEAD = "unit_head"
    INSPECTOR = "inspector"  # Sở Nội vụ (Điều 22): reads everything, changes nothing
    CITY_INSPECTOR = "city_inspector"  # Thanh tra Thành phố (Điều 24): waste reports, read only
    ADMINISTRATOR = "administrator"
    SYSTEM = "system"


class UnitLevel(StrEnum):
    """Kinds of unit in the tree (city, departments, districts, communes, divisions...)."""

    CITY = "city"
    SERVICE_CENTRE = "service_centre"
    DEPARTMENT = "department"
    DISTRICT = "district"
    COMMUNE = "commune"
    DIVISION = "division"
    ENTERPRISE = "enterprise"


STAFF_ROLES = frozenset({Role.RECEIVING_OFFICER, Role.HANDLING_OFFICER, Role.UNIT_HEAD})


@dataclass(frozen=True)
class Actor:
    """An actor as he stands when acting: id, role, unit and that unit's level."""

    id: str
    role: Role
    unit_id: UUID | None = None
    unit_level: UnitLevel | None = None

    def ref(self) -> dict[str, Any]:
        """The actor as recorded in an event, so the audit trail shows role and unit at the time."""
        return {
            "id": self.id,
            "role": str(self.role),
            "unit_id": self.unit_id,
            "unit_level": str(self.unit_level) if self.unit_level else None,
        }

    def is_staff_of(self, unit_id: UUID | None, *roles: Role) -> bool:
        """An officer acts only with his own unit's rights (DOMAIN.md, Điều 25)."""
        return unit_id is not None and self.unit_id == unit_id and self.role in roles


SYSTEM = Actor(id="system", role=Role.SYSTEM)
