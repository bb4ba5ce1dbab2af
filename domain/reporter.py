"""A citizen's account (Điều 5.5, 26, 27): identity, and the violation streak that locks it."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidInput, ReporterLocked
from domain.policy import SlaPolicy

#: Điều 5.5: what a complete identity holds, as a refusal names it.
IDENTITY_FIELDS = {"name": "name", "national_id": "citizen ID number (căn cước công dân)",
                   "phone": "phone number", "email": "e-mail address"}


def missing_identity(identity: dict[str, Any]) -> list[str]:
    """Điều 5.5: the parts of ``identity`` missing or blank, by name."""
    return [label for key, label in IDENTITY_FIELDS.items()
            if not str(identity.get(key) or "").strip()]


def _clean(value: str | None) -> str | None:
    return value.strip() or None if value is not None else None


class Reporter(Aggregate):
    """A citizen or organisation using the app.

    Personal data (name, phone, e-mail, citizen id) lives in events that are encrypted at rest
    (Điều 4.4, 14.1).
    """

    class Registered(Aggregate.Created):
        identity: dict[str, Any]
        at: datetime

    @event(Registered)
    def __init__(self, identity: dict[str, Any], at: datetime) -> None:
        self.identity = identity
        self.consecutive_violations = 0
        self.locked_until: datetime | None = None
        self.registered_at = at

    @classmethod
    def register(cls, name: str, phone: str | None, email: str | None,
                 national_id: str | None, at: datetime, *,
                 reporter_id: UUID | None = None) -> Reporter:
        """Điều 5.5: the full identity — citizen ID number (căn cước công dân), phone and
        e-mail — besides a name; a refusal names everything missing. ``reporter_id``, when
        given, is the account's id (Open311 derives it from the citizen ID, to match him)."""
        identity = {"name": (name or "").strip(), "phone": _clean(phone),
                    "email": _clean(email), "national_id": _clean(national_id)}
        missing = missing_identity(identity)
        if missing:
            raise InvalidInput("Điều 5.5", f"the reporter's identity is incomplete: missing "
                               f"{', '.join(missing)}")
        if reporter_id is not None:
            return cls._create(cls.Registered, id=reporter_id, identity=identity, at=at)
        return cls(identity=identity, at=at)

    def update_identity(self, name: str | None, phone: str | None, email: str | None,
                        national_id: str | None, at: datetime) -> None:
        """Điều 5.5: the reporter completes or corrects his identity; what is not given stays
        as it was, and the result must be complete. A locked account changes nothing (27.3)."""
        self.check_not_locked(at)
        given = {"name": _clean(name), "phone": _clean(phone), "email": _clean(email),
                 "national_id": _clean(national_id)}
        identity = {**self.identity, **{k: v for k, v in given.items() if v is not None}}
        missing = missing_identity(identity)
        if missing:
            raise InvalidInput("Điều 5.5", f"the reporter's identity is incomplete: missing "
                               f"{', '.join(missing)}")
        if identity != self.identity:
            self._identity_updated(identity=identity, at=at)

    class IdentityUpdated(Aggregate.Event):
        identity: dict[str, Any]
        at: datetime

    @event(IdentityUpdated)
    def _identity_updated(self, identity: dict[str, Any], at: datetime) -> None:
        self.identity = identity

    def check_not_locked(self, at: datetime) -> None:
        """Điều 27.3 "khóa tài khoản tạm thời": while locked, the account does nothing —
        no report, re-report, clarification, rating or change of identity."""
        if self.locked_until is not None and at < self.locked_until:
            raise ReporterLocked(self.locked_until)

    def check_may_submit(self, at: datetime) -> None:
        """Điều 27.3: a locked account cannot submit until its lock ends; Điều 5.5, 6.1.a: a
        report is acceptable only from a reporter whose identity is complete (an account
        registered before that was required completes it first)."""
        self.check_not_locked(at)
        missing = missing_identity(self.identity)
        if missing:
            raise InvalidInput("Điều 5.5, 6.1.a", f"the reporter's identity is incomplete: "
                               f"missing {', '.join(missing)}; complete it before reporting")

    def is_locked(self, at: datetime) -> bool:
        return self.locked_until is not None and at < self.locked_until

    def record_violation(self, report_id: UUID, at: datetime, policy: SlaPolicy) -> None:
        """Điều 27.2–3: more than ``violations_before_lock`` in a row lock the account."""
        streak = self.consecutive_violations + 1
        self._violation_recorded(report_id=report_id, at=at, streak=streak)
        if streak > policy.violations_before_lock:
            self._locked(at=at, until=at + policy.lock_length, policy_version=policy.version)

    class ViolationRecorded(Aggregate.Event):
        report_id: UUID
        at: datetime
        streak: int

    @event(ViolationRecorded)
    def _violation_recorded(self, report_id: UUID, at: datetime, streak: int) -> None:
        self.consecutive_violations = streak

    class Locked(Aggregate.Event):
        at: datetime
        until: datetime
        policy_version: str

    @event(Locked)
    def _locked(self, at: datetime, until: datetime, policy_version: str) -> None:
        self.locked_until = until
        self.consecutive_violations = 0

    def record_genuine_report(self, report_id: UUID, at: datetime) -> None:
        """An accepted report breaks the streak of violations (Điều 27.3 "liên tiếp")."""
        if self.consecutive_violations:
            self._streak_broken(report_id=report_id, at=at)

    class ViolationStreakBroken(Aggregate.Event):
        report_id: UUID
        at: datetime

    @event(ViolationStreakBroken)
    def _streak_broken(self, report_id: UUID, at: datetime) -> None:
        self.consecutive_violations = 0

    def lift_expired_lock(self, at: datetime) -> bool:
        """Điều 27.3: the lock lifts by itself once its 30 days are over (scheduler)."""
        if self.locked_until is None or at < self.locked_until:
            return False
        self._lock_lifted(at=at, locked_until=self.locked_until)
        return True

    class LockLifted(Aggregate.Event):
        at: datetime
        locked_until: datetime

    @event(LockLifted)
    def _lock_lifted(self, at: datetime, locked_until: datetime) -> None:
        self.locked_until = None

    # ----------------------------------------------------------------- home ward (Chương III)

    def choose_home_ward(self, ward_id: UUID, at: datetime) -> None:
        """Chương III (Điều 15–17): alerts reach the residents of an area; a citizen says
        where he lives by choosing a home ward (at registration or later)."""
        if getattr(self, "home_ward_id", None) != ward_id:
            self._home_ward_chosen(ward_id=ward_id, at=at)

    class HomeWardChosen(Aggregate.Event):
        ward_id: UUID
        at: datetime

    @event(HomeWardChosen)
    def _home_ward_chosen(self, ward_id: UUID, at: datetime) -> None:
        self.home_ward_id = ward_id
