"""A citizen's account (Điều 26, 27): identity, and the violation streak that locks it."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidInput, ReporterLocked
from domain.policy import SlaPolicy


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
                 national_id: str | None, at: datetime) -> Reporter:
        """Điều 5.6: a report carries its author's identity; at least a phone or e-mail."""
        if not name or not name.strip():
            raise InvalidInput("Điều 5.6", "the reporter's name is required")
        if not phone and not email:
            raise InvalidInput("Điều 5.6", "a phone number or an e-mail address is required")
        identity = {"name": name.strip(), "phone": phone, "email": email,
                    "national_id": national_id}
        return cls(identity=identity, at=at)

    def check_may_submit(self, at: datetime) -> None:
        """Điều 27.3: a locked account cannot submit until its lock ends."""
        if self.locked_until is not None and at < self.locked_until:
            raise ReporterLocked(self.locked_until)

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
