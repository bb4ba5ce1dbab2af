"""The commands of the write side as messages: one frozen dataclass per command.

A message holds what was asked (the payload), never who asks (the actor, passed beside it to
:meth:`application.services.IHanoi.handle`) nor the version the sender read (``If-Match``), so
a retry after the sender's transfer, or with a fresher version, is still the same command.
Its fingerprint — SHA-256 of its name and the canonical JSON of its fields — is what a
command id stands for: every message is idempotent by construction.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import ClassVar
from uuid import UUID

from domain.policy import SlaPolicy


@dataclass(frozen=True)
class Command:
    """A command of the write side; ``needs_actor``: refused without the actor who sends it."""

    needs_actor: ClassVar[bool] = True


@dataclass(frozen=True)
class ReportCommand(Command):
    """A command on one report."""

    report_id: UUID


@dataclass(frozen=True)
class AlertCommand(Command):
    """A command on one alert (Chương III)."""

    alert_id: UUID


def command_name(command: Command | type[Command]) -> str:
    """The command's name as receipts record it: ``Accept`` → ``accept``."""
    cls = command if isinstance(command, type) else type(command)
    return re.sub(r"(?<!^)(?=[A-Z])", "_", cls.__name__).lower()


def fingerprint(command: Command) -> str:
    """SHA-256 of the command's name and the canonical JSON of its fields (IETF httpapi
    "The Idempotency-Key HTTP Header Field": a key sent again with another payload is an
    error, not a replay)."""
    canonical = json.dumps([command_name(command), payload(command)], sort_keys=True,
                           separators=(",", ":"), ensure_ascii=False, default=_canonical)
    return hashlib.sha256(canonical.encode()).hexdigest()


def payload(command: Command) -> dict[str, object]:
    """The command's fields by name (not copied)."""
    return {item.name: getattr(command, item.name) for item in fields(command)}


def _canonical(value: object) -> object:
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    if isinstance(value, SlaPolicy):
        return value.to_dict()
    raise TypeError(f"no canonical JSON for {type(value).__name__}")


# ----------------------------------------------------------------- citizens (Điều 5, 6, 27.3)

@dataclass(frozen=True)
class RegisterReporter(Command):
    """A citizen account; the identity is encrypted at rest (Điều 4.4, 14.1)."""

    needs_actor: ClassVar[bool] = False
    name: str
    phone: str | None = None
    email: str | None = None
    national_id: str | None = None


@dataclass(frozen=True)
class UpdateIdentity(Command):
    """Điều 5.5: the citizen sending it completes or corrects his identity; a field left out
    (None) stays as it was."""

    name: str | None = None
    phone: str | None = None
    email: str | None = None
    national_id: str | None = None


@dataclass(frozen=True)
class SubmitReport(Command):
    """Điều 5, 6, 27.3: a citizen submits; a re-report names the earlier report whose
    published result did not settle the matter (Điều 18.4)."""

    needs_actor: ClassVar[bool] = False
    reporter_id: UUID
    kind: str
    category: str
    text: str
    latitude: float | None
    longitude: float | None
    address: str
    receiving_unit_id: UUID
    occurred_at: datetime | None = None
    media: list[str] | None = None
    confidential: bool = False
    re_report_of: UUID | None = None


# ----------------------------------------------------------------- attachments (Điều 5.2, 12.2)

@dataclass(frozen=True)
class RecordAttachment(Command):
    """Điều 5.2, 12.2: record a file whose content was checked and whose bytes are stored
    (:meth:`application.services.IHanoi.upload_attachment` does both, then sends this)."""

    sha256: str
    content_type: str
    size: int
    public_sha256: str
    thumbnail_sha256: str | None = None
    file_name: str | None = None


# ----------------------------------------------------------------- Open311 partners (Điều 28.1)

@dataclass(frozen=True)
class IssuePartnerKey(Command):
    """Điều 28.1: the administrator lets a partner application use Open311; the message
    carries the key's SHA-256 only (the key is shown once, never recorded)."""

    name: str
    key_hash: str


@dataclass(frozen=True)
class RevokePartnerKey(Command):
    """Điều 28.1: the key opens nothing any more."""

    partner_id: UUID


@dataclass(frozen=True)
class SubmitPartnerReport(Command):
    """Open311 ``POST requests`` by a partner application (its key's id and SHA-256) for a
    citizen named by his contact fields: the reporter whose citizen ID it is, registered on
    first use with the full identity of Điều 5.5, submits the report (Điều 5, 6)."""

    needs_actor: ClassVar[bool] = False
    partner_id: UUID
    key_hash: str
    name: str
    phone: str | None
    email: str | None
    national_id: str | None
    kind: str
    category: str
    text: str
    latitude: float | None
    longitude: float | None
    address: str
    receiving_unit_id: UUID
    occurred_at: datetime | None = None
    media: list[str] | None = None
    confidential: bool = False


# ----------------------------------------------------------------- reception (Điều 7)

@dataclass(frozen=True)
class StartVerification(ReportCommand):
    """Điều 7.1.b."""


@dataclass(frozen=True)
class CompleteVerification(ReportCommand):
    """Điều 7.1.b."""

    passed: bool
    note: str = ""


@dataclass(frozen=True)
class Reject(ReportCommand):
    """Điều 6.2, 7.2.a: one of the reasons a–e."""

    reason: str
    note: str


@dataclass(frozen=True)
class Escalate(ReportCommand):
    """Điều 7.2.c: to a unit above the receiving unit; Điều 5.9: from a district to the
    department of the report's field."""

    to_unit_id: UUID
    why: str


@dataclass(frozen=True)
class Accept(ReportCommand):
    """Điều 7.2.b: to the handling unit (by default the receiving unit); Điều 8.2.a: the lead
    unit's head, accepting for his unit, names the units of the same or equivalent level that
    are to coordinate."""

    handling_unit_id: UUID | None = None
    coordinating_unit_ids: list[UUID] | None = None


@dataclass(frozen=True)
class MarkViolation(ReportCommand):
    """Điều 27.2–3."""

    note: str


# ----------------------------------------------------------------- handling (Điều 8, 9, 12, 13)

@dataclass(frozen=True)
class Classify(ReportCommand):
    """Điều 8.4."""

    urgency: str


@dataclass(frozen=True)
class Assign(ReportCommand):
    """Điều 8.1.b–c: a division of the handling unit and an officer there (a commune: see
    :class:`CoordinateToCommune`)."""

    department_id: UUID
    officer_id: UUID


@dataclass(frozen=True)
class CoordinateToCommune(ReportCommand):
    """Điều 8.1.b: the head coordinates the report to a commune under his unit."""

    commune_id: UUID


@dataclass(frozen=True)
class AssignCommuneOfficer(ReportCommand):
    """Điều 8.1.c: the commune's leader assigns the commune officer."""

    officer_id: UUID


@dataclass(frozen=True)
class Reassign(ReportCommand):
    """Điều 8.1.b–c: another division's officer takes over (not a commune officer: the
    commune's leader assigns him); deadlines unchanged."""

    department_id: UUID
    officer_id: UUID
    reason: str


@dataclass(frozen=True)
class RequestCoordination(ReportCommand):
    """Điều 8.2.a."""

    unit_ids: list[UUID]


@dataclass(frozen=True)
class Contribute(ReportCommand):
    """Điều 8.2.b."""

    text: str
    evidence: list[str]


@dataclass(frozen=True)
class GrantExtension(ReportCommand):
    """Điều 8.5."""

    working_days: int
    reason: str


@dataclass(frozen=True)
class ProposeResult(ReportCommand):
    """Điều 8.1.d, 12.2."""

    text: str
    evidence: list[str]


@dataclass(frozen=True)
class ReturnResult(ReportCommand):
    """Điều 12.1."""

    reason: str


@dataclass(frozen=True)
class ApproveResult(ReportCommand):
    """Điều 12.1."""


@dataclass(frozen=True)
class UpdateResult(ReportCommand):
    """Điều 12.2: the approved result, updated with evidence; ``text`` None keeps the approved
    content."""

    evidence: list[str]
    text: str | None = None


@dataclass(frozen=True)
class Publish(ReportCommand):
    """Điều 12.3."""


@dataclass(frozen=True)
class RespondToInitiative(ReportCommand):
    """Điều 9."""

    text: str
    evidence: list[str] | None = None


@dataclass(frozen=True)
class RequestClarification(ReportCommand):
    """Điều 13."""

    question: str


@dataclass(frozen=True)
class AnswerClarification(ReportCommand):
    """Điều 13: the answer, with files if wanted (attachment ids over HTTP)."""

    answer: str
    evidence: list[str] | None = None


@dataclass(frozen=True)
class Rate(ReportCommand):
    """Điều 13: once."""

    rating: str
    comment: str = ""


# ----------------------------------------------------------------- matters (Điều 6.2.c, 18.4, 28.1)

@dataclass(frozen=True)
class LinkToMatter(ReportCommand):
    """Điều 18.4."""

    earlier_report_id: UUID


@dataclass(frozen=True)
class MarkDuplicate(ReportCommand):
    """Điều 6.2.c."""

    original_id: UUID


@dataclass(frozen=True)
class UnmarkDuplicate(ReportCommand):
    """Điều 6.2.c."""

    reason: str


@dataclass(frozen=True)
class RerouteAfterMerger(ReportCommand):
    """Điều 28.1: the open work of merged unit ``unit_id`` passes to its successor."""

    unit_id: UUID


# ----------------------------------------------------------------- moderation (Điều 4.4, 14.1)

@dataclass(frozen=True)
class Hide(ReportCommand):
    """Điều 14.1."""

    target: str
    reason: str


@dataclass(frozen=True)
class Redact(ReportCommand):
    """Điều 4.4, 14.1."""

    field: str
    redacted: str
    reason: str


# ----------------------------------------------------------------- alerts (Chương III)

@dataclass(frozen=True)
class DraftAlert(Command):
    """Điều 15–17."""

    category: str
    severity: str
    title: str
    body: str
    valid_from: datetime
    valid_until: datetime
    resend_of: UUID | None = None


@dataclass(frozen=True)
class EditAlert(AlertCommand):
    """Điều 15–17."""

    title: str
    body: str
    severity: str
    valid_from: datetime
    valid_until: datetime


@dataclass(frozen=True)
class ApproveAlert(AlertCommand):
    """Điều 15–17."""


@dataclass(frozen=True)
class SendAlert(AlertCommand):
    """Điều 15–17."""


# ----------------------------------------------------------------- directory, policy (Điều 25, 28.1)

@dataclass(frozen=True)
class AdoptPolicy(Command):
    """A new version of the service-level policy, for stages opened from now on."""

    policy: SlaPolicy


@dataclass(frozen=True)
class CreateUnit(Command):
    """Điều 28.1: a unit anywhere in the tree (administrator)."""

    name: str
    level: str
    parent_id: UUID | None
    code: str = ""


@dataclass(frozen=True)
class RenameUnit(Command):
    """Điều 28.1."""

    unit_id: UUID
    name: str


@dataclass(frozen=True)
class MoveUnit(Command):
    """Điều 28.1: under another parent, never under itself or its descendants."""

    unit_id: UUID
    new_parent_id: UUID


@dataclass(frozen=True)
class MergeUnit(Command):
    """Điều 28.1: into another unit, which takes over its open work."""

    unit_id: UUID
    into_id: UUID


@dataclass(frozen=True)
class DissolveUnit(Command):
    """Điều 28.1."""

    unit_id: UUID


@dataclass(frozen=True)
class AppointOfficer(Command):
    """Điều 25: an officer with a role in a unit (administrator)."""

    name: str
    unit_id: UUID
    role: str


@dataclass(frozen=True)
class TransferOfficer(Command):
    """Điều 25: to another unit or role."""

    officer_id: UUID
    unit_id: UUID
    role: str


@dataclass(frozen=True)
class DismissOfficer(Command):
    """Điều 25."""

    officer_id: UUID


# ----------------------------------------------------------------- notifications (issue 11.5)

@dataclass(frozen=True)
class ChooseHomeWard(Command):
    """Chương III (Điều 17): the ward (commune level) whose residents the citizen is one of,
    so alerts to its area reach him."""

    ward_id: UUID


@dataclass(frozen=True)
class SetNotificationPreferences(Command):
    """The caller's extra channels (``email``, ``webhook``) besides the in-app notice; a
    citizen's e-mail defaults to the one he registered."""

    channels: list[str]
    email: str | None = None
    webhook_url: str | None = None


# ----------------------------------------------------------------- adoption progress (seeds 001, 003)

@dataclass(frozen=True)
class EnterAdoptionFigures(Command):
    """Seed 003 annex: a unit's figures for a round of the adoption-progress form (a later
    entry for the same round corrects the earlier one)."""

    unit_id: UUID
    round: int
    staff_total: int
    staff_installed: int
    residents_total: int = 0
    residents_with_smartphone: int = 0
    residents_installed: int = 0
