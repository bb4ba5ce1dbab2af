"""The Report aggregate: the life of a citizen report (Điều 5–13, 27).

Public methods decide (check who, when and what; compute due instants from the policy in
force); private ``@event`` methods record. Every event carries the business instant ``at`` and
the actor as he stood then, and two lists of timed stages, usually empty: ``closed``, the
stages it ended (:class:`ClosedStage`: with the due instant and whether it was met), and
``opened``, the stages it started (:class:`StageRecord`: with the due instant and the policy
version), so replaying never consults today's calendar.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, Self
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.actors import SYSTEM, Actor, Role, UnitLevel
from domain.errors import InvalidInput, InvalidState, NotPermitted, OutOfScope
from domain.policy import DEFAULT_POLICY, OUT_OF_SCOPE_KINDS, Kind, SlaPolicy, Stage, Urgency

# Hanoi's territory with a margin (Điều 6.1: the place must be specific and exact).
HANOI_LATITUDE = (20.4, 21.5)
HANOI_LONGITUDE = (105.2, 106.1)


class Status(StrEnum):
    RECEIVED = "received"
    ACCEPTED = "accepted"
    IN_HANDLING = "in_handling"
    AWAITING_APPROVAL = "awaiting_approval"
    IN_REWORK = "in_rework"
    APPROVED = "approved"
    RESULT_UPDATED = "result_updated"
    PUBLISHED = "published"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"


class RejectionReason(StrEnum):
    """Điều 6.2 a–e: the grounds on which a report is refused."""

    INCOMPLETE = "a"  # incomplete or inaccurate information
    MEDIA_EDITED = "b"  # media edited or not intact
    DUPLICATE = "c"  # content or media already sent by someone else
    VERIFICATION_FAILED = "d"  # verification failed repeatedly
    UNTRUE = "đ"  # identity or content found untrue after verification
    ADVERTISING = "e"  # advertising


class Rating(StrEnum):
    """Điều 13: the citizen's assessment of the result."""

    SATISFIED = "satisfied"
    ACCEPTABLE = "acceptable"
    UNSATISFIED = "unsatisfied"


RECEPTION_ROLES = (Role.RECEIVING_OFFICER, Role.UNIT_HEAD)
MODERATION_TARGETS = frozenset({"report", "rating_comment"})
REDACTABLE_FIELDS = frozenset({"text", "rating_comment"})
OFFICER_ROLES = (Role.RECEIVING_OFFICER, Role.HANDLING_OFFICER, Role.UNIT_HEAD)


@dataclass(frozen=True, kw_only=True)
class StageRecord:
    """A timed stage as an event records it (Điều 7.2.d, 8.5, 12, 13): the unit (and officer)
    holding it, when it started, its due instant (None: no period, Điều 9) and the version of
    the policy that set it, so replaying never consults today's policy."""

    stage: Stage
    unit_id: UUID
    started_at: datetime
    due: datetime | None
    policy_version: str
    officer_id: str | None = None

    def closing(self, at: datetime) -> ClosedStage:
        """The stage as it ends at ``at``: late when it ends after its due instant."""
        return ClosedStage(**vars(self), ended_at=at, on_time=self.due is None or at <= self.due)

    def as_dict(self) -> dict[str, Any]:
        """The fields, as an event stores them."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @staticmethod
    def from_dict(data: dict[str, Any]) -> StageRecord:
        """A stage record from its stored fields: a :class:`ClosedStage` when it has ended."""
        cls = ClosedStage if "ended_at" in data else StageRecord
        return cls(**{**data, "stage": Stage(data["stage"])})

    def __deepcopy__(self, memo: dict[int, Any]) -> Self:
        return self  # immutable: copying a report's state shares its stage records


@dataclass(frozen=True, kw_only=True)
class ClosedStage(StageRecord):
    """A timed stage as the event that ends it records it: when, and whether by its due
    instant (DOMAIN.md "Lateness")."""

    ended_at: datetime
    on_time: bool


def stage_record(stage: Stage, unit_id: UUID, at: datetime, due: datetime | None,
                 policy_version: str, officer_id: str | None = None) -> StageRecord:
    """A timed stage opening at ``at``."""
    return StageRecord(stage=stage, unit_id=unit_id, started_at=at, due=due,
                       policy_version=policy_version, officer_id=officer_id)


def _stages_as_records(state: dict[str, Any]) -> None:
    """Upcast a Report event from version 1: ``opened`` and ``closed`` were one stage as a
    dict (a list in duplicate markings) or absent, and every stage (``stage``, ``suspended``,
    ``restored``) was a dict; now both are lists of :class:`StageRecord` in every event."""
    for key in ("opened", "closed"):
        value = state.get(key)
        stages = [] if value is None else value if isinstance(value, list) else [value]
        state[key] = [StageRecord.from_dict(s) for s in stages]
    if isinstance(state.get("stage"), dict):
        state["stage"] = StageRecord.from_dict(state["stage"])
    for key in ("suspended", "restored"):
        if key in state:
            state[key] = {name: StageRecord.from_dict(value) if isinstance(value, dict) else value
                          for name, value in state[key].items()}


@dataclass(frozen=True)
class Location:
    """Điều 6.1: the place must be specific and exact — coordinates in Hà Nội, or an address,
    or both (Open311 GeoReport v2: "lat/long or an address suffices"). Neither is refused;
    coordinates come as a pair; an address is kept without surrounding blanks ("" = none)."""

    latitude: float | None
    longitude: float | None
    address: str = ""

    def __post_init__(self) -> None:
        address = (self.address or "").strip()
        if (self.latitude is None) != (self.longitude is None):
            raise InvalidInput("Điều 6.1", "coordinates need both latitude and longitude")
        if self.latitude is None and not address:
            raise InvalidInput("Điều 6.1", "the place is required: its coordinates, its "
                               "address, or both")
        if self.latitude is not None and self.longitude is not None and not (
                HANOI_LATITUDE[0] <= self.latitude <= HANOI_LATITUDE[1]
                and HANOI_LONGITUDE[0] <= self.longitude <= HANOI_LONGITUDE[1]):
            raise InvalidInput("Điều 6.1", "the location must be a specific place in Hà Nội")
        object.__setattr__(self, "address", address)


@dataclass(frozen=True, kw_only=True)
class ReportContent:
    """What a citizen sends (Điều 1.2–1.3, 3.2, 5, 6.1), refused on construction when out of
    scope or incomplete; text, category and address are kept without surrounding blanks. A
    capital initiative needs no place (Điều 9)."""

    kind: str
    category: str
    text: str
    latitude: float | None
    longitude: float | None
    address: str
    occurred_at: datetime | None
    media: tuple[str, ...]
    submitted_at: datetime

    def __post_init__(self) -> None:
        kind = self.kind
        if kind in OUT_OF_SCOPE_KINDS:
            raise OutOfScope("Điều 1.3, 3.2", f"out of scope: {OUT_OF_SCOPE_KINDS[kind]}")
        if kind not in set(Kind):
            raise InvalidInput("Điều 1.2", f"unknown kind of report {kind!r}")
        if not self.category or not self.category.strip():
            raise InvalidInput("Điều 6.1", "a category is required")
        if not self.text or len(self.text.strip()) < 10 or len(self.text) > 5000:
            raise InvalidInput("Điều 5.1", "the content must be 10 to 5000 characters")
        address = (self.address or "").strip()
        if kind != Kind.INITIATIVE:
            address = Location(self.latitude, self.longitude, self.address).address
        if self.occurred_at is not None and self.occurred_at > self.submitted_at:
            raise InvalidInput("Điều 6.1", "the time of the event cannot be in the future")
        if any(not m or len(m) > 500 for m in self.media) or len(self.media) > 20:
            raise InvalidInput("Điều 5.4", "at most 20 media references of 1 to 500 characters")
        object.__setattr__(self, "kind", Kind(kind))
        object.__setattr__(self, "category", self.category.strip())
        object.__setattr__(self, "text", self.text.strip())
        object.__setattr__(self, "address", address)
        object.__setattr__(self, "media", tuple(self.media))

    @property
    def location(self) -> dict[str, Any]:
        """The place as the Submitted event records it."""
        return {"latitude": self.latitude, "longitude": self.longitude, "address": self.address}


class Report(Aggregate):
    """A citizen report (phản ánh, kiến nghị) or a capital initiative (sáng kiến)."""

    class Event(Aggregate.Event):
        """Every Report event, with the timed stages it opened and closed (often none).

        Version 2: stages are :class:`StageRecord` values and ``opened``/``closed`` are always
        lists; version-1 events (dicts, one stage or none) are upcast when read."""

        class_version = 2
        opened: list[StageRecord] = field(default_factory=list, kw_only=True)
        closed: list[ClosedStage] = field(default_factory=list, kw_only=True)
        upcast_v1_v2 = staticmethod(_stages_as_records)

    class Submitted(Event, Aggregate.Created):
        kind: str
        category: str
        text: str
        location: dict[str, Any]
        occurred_at: datetime | None
        media: list[str]
        confidential: bool
        reporter_id: UUID
        reporter: dict[str, Any]
        receiving_unit_id: UUID
        at: datetime
        matter_id: UUID | None
        re_report_of: UUID | None

    @event(Submitted)
    def __init__(self, kind: str, category: str, text: str, location: dict[str, Any],
                 occurred_at: datetime | None, media: list[str], confidential: bool,
                 reporter_id: UUID, reporter: dict[str, Any], receiving_unit_id: UUID,
                 at: datetime, opened: list[StageRecord], matter_id: UUID | None,
                 re_report_of: UUID | None) -> None:
        self.kind = Kind(kind)
        self.category = category
        self.text = text
        self.location = location
        self.media = media
        self.confidential = confidential
        self.reporter_id = reporter_id
        self.reporter = reporter
        self.receiving_unit_id = receiving_unit_id
        self.handling_unit_id: UUID | None = None
        self.submitted_at = at
        self.occurred_at = occurred_at
        self.status = Status.RECEIVED
        self.stage: StageRecord | None = opened[0]
        self.verification: StageRecord | None = None
        self.failed_verifications = 0
        self.urgency: Urgency | None = None
        self.department_id: UUID | None = None
        self.officer_id: str | None = None
        self.assigned_at: datetime | None = None
        self.coordination: dict[str, bool] = {}
        self.result: dict[str, Any] | None = None
        self.published_at: datetime | None = None
        self.clarification: StageRecord | None = None
        self.rating: str | None = None
        self.violation = False
        self.matter_id = matter_id  # None: the report starts its own matter
        self.re_report_of = re_report_of
        self.duplicate_of: UUID | None = None
        self.suspended: dict[str, Any] | None = None
        self.hidden: set[str] = set()
        self.deadlines_recorded: set[str] = set()

    @property
    def matter(self) -> UUID:
        """The matter the report belongs to: its first report's id (issue: re-reports)."""
        return self.matter_id or self.id

    # ----------------------------------------------------------------- submission (Điều 5, 6)

    @classmethod
    def submit(cls, *, kind: str, category: str, text: str, latitude: float | None,
               longitude: float | None, address: str, occurred_at: datetime | None,
               media: list[str], confidential: bool,
               reporter_id: UUID, reporter: dict[str, Any], receiving_unit_id: UUID,
               at: datetime, policy: SlaPolicy, re_report_of: Report | None = None,
               receiving_unit_level: str | None = None) -> Report:
        """Điều 1.3, 3.2, 3.7, 5, 6.1: refuse what is out of scope (a category outside its
        kind's catalogue in the policy) or incomplete, else record it.

        Điều 9: a capital initiative is received by the public service centre only (which
        then distributes it), never sent straight to a district or a department;
        ``receiving_unit_level`` is the level of the unit it is sent to, as the directory
        holds it."""
        content = ReportContent(kind=kind, category=category, text=text, latitude=latitude,
                                longitude=longitude, address=address, occurred_at=occurred_at,
                                media=tuple(media), submitted_at=at)
        policy.check_category(content.kind, content.category)
        if (content.kind == Kind.INITIATIVE and receiving_unit_level is not None
                and receiving_unit_level != UnitLevel.SERVICE_CENTRE):
            raise InvalidInput("Điều 9", "a capital initiative is sent to the public service "
                               "centre, which distributes it to the units under the city")
        if re_report_of is not None and re_report_of.status != Status.PUBLISHED:
            raise InvalidState("Điều 18.4", "a re-report follows a published result that did "
                               "not settle the matter; an open report is a duplicate instead")
        opened = _reception_stage(content.kind, receiving_unit_id, at, policy)
        return cls(kind=str(content.kind), category=content.category, text=content.text,
                   location=content.location, occurred_at=occurred_at, media=list(content.media),
                   confidential=confidential, reporter_id=reporter_id, reporter=reporter,
                   receiving_unit_id=receiving_unit_id, at=at, opened=[opened],
                   matter_id=re_report_of.matter if re_report_of else None,
                   re_report_of=re_report_of.id if re_report_of else None)

    # ----------------------------------------------------------------- reception (Điều 7)

    def start_verification(self, by: Actor, at: datetime, policy: SlaPolicy) -> None:
        """Điều 7.1.b, 6.2.d: the receiving unit may verify unclear information, in 4 working
        hours *in total counted from receipt* ("kể từ khi nhận phản ánh"): every verification,
        a repeat included, is due at receipt + 4 working hours. Receipt is the report's arrival
        at the unit now receiving it (its submission, or its escalation to that unit)."""
        self._check_receiver(by, "Điều 7.1")
        self._check_status("Điều 7.1", Status.RECEIVED)
        if self.verification is not None:
            raise InvalidState("Điều 7.1", "a verification is already under way")
        assert self.stage is not None  # the reception stage, opened on arrival at the unit
        received_at = self.stage.started_at
        opened = stage_record(Stage.VERIFICATION, self.receiving_unit_id, at,
                              policy.due(self.kind, "verification", received_at), policy.version)
        self._verification_started(by=by.ref(), at=at, opened=[opened])

    class VerificationStarted(Event):
        by: dict[str, Any]
        at: datetime

    @event(VerificationStarted)
    def _verification_started(self, by: dict[str, Any], at: datetime,
                              opened: list[StageRecord]) -> None:
        self.verification = opened[0]

    def complete_verification(self, by: Actor, passed: bool, note: str, at: datetime) -> None:
        """Điều 7.1.b, 7.2.a: the outcome of a verification."""
        self._check_receiver(by, "Điều 7.1")
        if self.verification is None:
            raise InvalidState("Điều 7.1", "no verification is under way")
        self._verification_completed(by=by.ref(), at=at, passed=passed, note=note,
                                     closed=[self.verification.closing(at)])

    class VerificationCompleted(Event):
        by: dict[str, Any]
        at: datetime
        passed: bool
        note: str

    @event(VerificationCompleted)
    def _verification_completed(self, by: dict[str, Any], at: datetime, passed: bool, note: str,
                                closed: list[ClosedStage]) -> None:
        self.verification = None
        if not passed:
            self.failed_verifications += 1

    def reject(self, by: Actor, reason: str, note: str, at: datetime) -> None:
        """Điều 6.2, 7.2.a: refuse reception with a stated reason."""
        self._check_receiver(by, "Điều 7.2.a")
        self._check_status("Điều 7.2.a", Status.RECEIVED)
        self._check_no_verification_under_way()
        if reason not in set(RejectionReason):
            raise InvalidInput("Điều 6.2", f"the reason must be one of Điều 6.2 a–e, not {reason!r}")
        if reason == RejectionReason.VERIFICATION_FAILED and self.failed_verifications < 2:
            raise InvalidState("Điều 6.2.d", "rejection for failed verification needs at least "
                               "two failed verifications")
        if not note or not note.strip():
            raise InvalidInput("Điều 7.2.a", "a rejection must state its reason in a note")
        assert self.stage is not None
        self._rejected(by=by.ref(), at=at, reason=reason, note=note.strip(),
                       closed=[self.stage.closing(at)])

    class Rejected(Event):
        by: dict[str, Any]
        at: datetime
        reason: str
        note: str

    @event(Rejected)
    def _rejected(self, by: dict[str, Any], at: datetime, reason: str, note: str,
                  closed: list[ClosedStage]) -> None:
        self.status = Status.REJECTED
        self.stage = None
        self.verification = None

    def escalate(self, by: Actor, to_unit_id: UUID, to_unit_is_higher: bool, why: str,
                 at: datetime, policy: SlaPolicy, to_unit_level: str | None = None) -> None:
        """Điều 7.2.c: outside the unit's authority, pass it to a higher-level unit.

        The city service centre distributes city-wide (Điều 9, 18), so it may pass a report to
        any unit; a district may pass a report in a department's field to that department,
        with its reason (Điều 5.9; ``to_unit_level`` is the target's level in the directory).
        A capital initiative is not passed on: the centre distributes it by accepting it for a
        handling unit (Điều 9). The new unit's own reception period starts on arrival.
        """
        self._check_receiver(by, "Điều 7.2.c")
        self._check_status("Điều 7.2.c", Status.RECEIVED)
        self._check_no_verification_under_way()
        if self.kind == Kind.INITIATIVE:
            raise InvalidState("Điều 9", "the service centre distributes a capital initiative "
                               "by accepting it for a unit under the city, not by passing it on")
        if to_unit_id == self.receiving_unit_id:
            raise InvalidInput("Điều 7.2.c", "a report cannot be passed to its own unit")
        to_department = (by.unit_level == UnitLevel.DISTRICT
                         and to_unit_level == UnitLevel.DEPARTMENT)
        if not (to_unit_is_higher or to_department
                or by.unit_level == UnitLevel.SERVICE_CENTRE):
            raise InvalidInput("Điều 7.2.c", "a report outside the unit's authority goes to a "
                               "higher-level unit (a district's: also to the department of its "
                               "field, Điều 5.9)")
        if not why or not why.strip():
            raise InvalidInput("Điều 7.2.c", "say why the report is passed on")
        assert self.stage is not None
        self._escalated(by=by.ref(), at=at, to_unit_id=to_unit_id, why=why.strip(),
                        closed=[self.stage.closing(at)],
                        opened=[_reception_stage(self.kind, to_unit_id, at, policy)])

    class Escalated(Event):
        by: dict[str, Any]
        at: datetime
        to_unit_id: UUID
        why: str

    @event(Escalated)
    def _escalated(self, by: dict[str, Any], at: datetime, to_unit_id: UUID, why: str,
                   closed: list[ClosedStage], opened: list[StageRecord]) -> None:
        self.receiving_unit_id = to_unit_id
        self.stage = opened[0]
        self.verification = None
        self.failed_verifications = 0

    def accept(self, by: Actor, handling_unit_id: UUID, at: datetime, policy: SlaPolicy,
               coordinating_unit_ids: Sequence[UUID] = (),
               units_of_other_level: Collection[UUID] = ()) -> None:
        """Điều 7.2.b: accept and pass to the handling unit (which may be the receiving unit).

        A report then waits for classification and assignment (4 working hours, Điều 8.5); a
        capital initiative goes straight to its 30-working-day response (Điều 9).

        Điều 8.2.a: at this step 1 the head of the lead unit, accepting for his own unit, sends
        at the same time the requests to the units of the same or equivalent level that are to
        coordinate (``coordinating_unit_ids``; ``units_of_other_level``: those of them the
        directory places at another level). The report is then complex (Điều 8.4).
        """
        self._check_receiver(by, "Điều 7.2.b")
        self._check_status("Điều 7.2.b", Status.RECEIVED)
        self._check_no_verification_under_way()
        assert self.stage is not None
        if self.kind == Kind.INITIATIVE and handling_unit_id == self.receiving_unit_id:
            raise InvalidInput("Điều 9", "the service centre distributes a capital initiative "
                               "to a unit under the city, which studies and answers it")
        asked: list[UUID] = []
        if coordinating_unit_ids:
            if not by.is_staff_of(handling_unit_id, Role.UNIT_HEAD):
                raise NotPermitted("Điều 8.2.a", "the head of the lead unit, accepting for his "
                                   "own unit, asks the coordinating units")
            policy.duration(self.kind, "handling.complex")  # refused where the kind has none
            asked = self._coordinating(coordinating_unit_ids, handling_unit_id,
                                       units_of_other_level)
        if self.kind == Kind.INITIATIVE:
            opened = stage_record(Stage.RESPONSE, handling_unit_id, at,
                                  policy.due(self.kind, "response", at), policy.version)
        else:
            opened = stage_record(Stage.ASSIGNMENT, handling_unit_id, at,
                                  policy.due(self.kind, "assignment", at), policy.version)
        self._accepted(by=by.ref(), at=at, handling_unit_id=handling_unit_id,
                       closed=[self.stage.closing(at)], opened=[opened])
        if asked:
            self._coordination_requested(by=by.ref(), at=at, unit_ids=asked)

    def _coordinating(self, unit_ids: Sequence[UUID], lead_unit_id: UUID | None,
                      units_of_other_level: Collection[UUID]) -> list[UUID]:
        """Điều 8.2.a: the units newly asked, each once, of the same or equivalent level as
        the lead unit."""
        new = [u for u in dict.fromkeys(unit_ids)
               if u != lead_unit_id and str(u) not in self.coordination]
        if not new:
            raise InvalidInput("Điều 8.2.a", "name at least one other unit not already asked")
        other_level = [str(u) for u in new if u in units_of_other_level]
        if other_level:
            raise InvalidInput("Điều 8.2.a", f"coordinating units are of the same or equivalent "
                               f"level as the lead unit, not {other_level}")
        return new

    class Accepted(Event):
        by: dict[str, Any]
        at: datetime
        handling_unit_id: UUID

    @event(Accepted)
    def _accepted(self, by: dict[str, Any], at: datetime, handling_unit_id: UUID,
                  closed: list[ClosedStage], opened: list[StageRecord]) -> None:
        self.handling_unit_id = handling_unit_id
        self.verification = None
        self.stage = opened[0]
        self.status = Status.IN_HANDLING if self.kind == Kind.INITIATIVE else Status.ACCEPTED

    # ----------------------------------------------------------------- handling (Điều 8)

    def classify(self, by: Actor, urgency: str, at: datetime, policy: SlaPolicy) -> None:
        """Điều 8.4: urgent, normal or complex; decides the handling deadline."""
        self._check_head(by, "Điều 8.4")
        self._check_status("Điều 8.4", Status.ACCEPTED)
        if urgency not in set(Urgency):
            raise InvalidInput("Điều 8.4", f"classification must be urgent, normal or complex, "
                               f"not {urgency!r}")
        policy.duration(self.kind, f"handling.{urgency}")  # refused where the kind has none
        if self.coordination and urgency != Urgency.COMPLEX:
            raise InvalidInput("Điều 8.4", "a report that involves coordinating units is complex")
        self._classified(by=by.ref(), at=at, urgency=urgency)

    class Classified(Event):
        by: dict[str, Any]
        at: datetime
        urgency: str

    @event(Classified)
    def _classified(self, by: dict[str, Any], at: datetime, urgency: str) -> None:
        self.urgency = Urgency(urgency)

    def assign(self, by: Actor, department_id: UUID, department_parent_id: UUID | None,
               officer: Actor, at: datetime, policy: SlaPolicy) -> None:
        """Điều 8.1.b–c, 8.5: the head assigns a division of his unit and an officer there.

        The handling period (4 working hours urgent, 7 days normal, 15 days complex for a
        field report) runs from assignment. A commune is not assigned this way: the head
        coordinates the report to the commune, whose leader assigns the officer
        (:meth:`coordinate_to_commune`, :meth:`assign_commune_officer`).
        """
        self._check_head(by, "Điều 8.1.b")
        self._check_status("Điều 8.1.b", Status.ACCEPTED)
        if self.urgency is None:
            raise InvalidState("Điều 8.4", "classify the report before assigning it")
        self._check_not_commune_officer(officer)
        self._check_assignee(department_id, department_parent_id, officer)
        assert self.stage is not None and self.handling_unit_id is not None
        opened = stage_record(Stage.HANDLING, self.handling_unit_id, at,
                              policy.due(self.kind, f"handling.{self.urgency}", at),
                              policy.version, officer_id=officer.id)
        self._assigned(by=by.ref(), at=at, department_id=department_id, officer=officer.ref(),
                       closed=[self.stage.closing(at)], opened=[opened])

    class Assigned(Event):
        by: dict[str, Any]
        at: datetime
        department_id: UUID
        officer: dict[str, Any]

    @event(Assigned)
    def _assigned(self, by: dict[str, Any], at: datetime, department_id: UUID,
                  officer: dict[str, Any], closed: list[ClosedStage],
                  opened: list[StageRecord]) -> None:
        self.department_id = department_id
        self.officer_id = officer["id"]
        self.assigned_at = at
        self.stage = opened[0]
        self.status = Status.IN_HANDLING

    def coordinate_to_commune(self, by: Actor, commune_id: UUID, commune_parent_id: UUID | None,
                              commune_level: str, at: datetime, policy: SlaPolicy) -> None:
        """Điều 8.1.b, 10.1.b, 11.1.b: the head coordinates the report to a commune-level
        people's committee under his unit, to check and handle it.

        This is the step "điều phối, giao xử lý" of Điều 8.5: it ends the 4-working-hour
        assignment stage. The commune receives the assignment now, so the handling period runs
        from now ("kể từ khi tiếp nhận giao xử lý") and stays the handling unit's, whose head
        approves and publishes the result (Điều 8.1.đ); the commune's leader then assigns the
        commune officer within that period (Điều 8.1.c).
        """
        self._check_head(by, "Điều 8.1.b")
        self._check_status("Điều 8.1.b", Status.ACCEPTED)
        if self.urgency is None:
            raise InvalidState("Điều 8.4", "classify the report before coordinating it")
        if commune_level != UnitLevel.COMMUNE or commune_parent_id != self.handling_unit_id:
            raise InvalidInput("Điều 8.1.b", "coordinate the report to a commune-level people's "
                               "committee under the handling unit")
        assert self.stage is not None and self.handling_unit_id is not None
        opened = stage_record(Stage.HANDLING, self.handling_unit_id, at,
                              policy.due(self.kind, f"handling.{self.urgency}", at),
                              policy.version)
        self._coordinated_to_commune(by=by.ref(), at=at, commune_id=commune_id,
                                     closed=[self.stage.closing(at)], opened=[opened])

    class CoordinatedToCommune(Event):
        by: dict[str, Any]
        at: datetime
        commune_id: UUID

    @event(CoordinatedToCommune)
    def _coordinated_to_commune(self, by: dict[str, Any], at: datetime, commune_id: UUID,
                                closed: list[ClosedStage], opened: list[StageRecord]) -> None:
        self.department_id = commune_id
        self.officer_id = None
        self.assigned_at = at
        self.stage = opened[0]
        self.status = Status.IN_HANDLING

    def assign_commune_officer(self, by: Actor, officer: Actor, at: datetime) -> None:
        """Điều 8.1.c, 10.1.c, 11.1.c: the commune's leader assigns (or replaces) the commune
        officer who studies the report and proposes its result; the handling stage and its
        due instant stay as the coordination set them."""
        if not (by.is_staff_of(self.department_id, Role.UNIT_HEAD)
                and by.unit_level == UnitLevel.COMMUNE):
            raise NotPermitted("Điều 8.1.c", "only the leader of the commune the report was "
                               "coordinated to assigns its officer")
        self._check_status("Điều 8.1.c", Status.IN_HANDLING, Status.IN_REWORK)
        if officer.role != Role.HANDLING_OFFICER or officer.unit_id != self.department_id:
            raise InvalidInput("Điều 8.1.c", "the assignee must be a handling officer of the "
                               "commune")
        if officer.id == self.officer_id:
            raise InvalidInput("Điều 8.1.c", "the report is already assigned to this officer")
        assert self.stage is not None
        self._commune_officer_assigned(by=by.ref(), at=at, officer=officer.ref(),
                                       stage=replace(self.stage, officer_id=officer.id))

    class CommuneOfficerAssigned(Event):
        by: dict[str, Any]
        at: datetime
        officer: dict[str, Any]
        stage: StageRecord

    @event(CommuneOfficerAssigned)
    def _commune_officer_assigned(self, by: dict[str, Any], at: datetime,
                                  officer: dict[str, Any], stage: StageRecord) -> None:
        self.officer_id = officer["id"]
        self.stage = stage

    def reassign(self, by: Actor, department_id: UUID, department_parent_id: UUID | None,
                 officer: Actor, reason: str, at: datetime) -> None:
        """Điều 8.1.b–c: the head gives the report to another division or officer (e.g. the
        assigned officer was transferred); the stage and its due instant stay as they are.

        As with :meth:`assign`, the head does not hand the report to a commune officer: only
        the commune's leader assigns or replaces one (:meth:`assign_commune_officer`)."""
        self._check_head(by, "Điều 8.1.b")
        self._check_status("Điều 8.1.b", Status.IN_HANDLING, Status.IN_REWORK, Status.APPROVED)
        if self.stage is not None and self.stage.stage == Stage.PUBLICATION:
            raise InvalidState("Điều 8.1.b", "the result awaits publication by the head")
        if self.officer_id is None:
            raise InvalidState("Điều 8.1.b", "the report has no assigned officer to replace")
        self._check_not_commune_officer(officer)
        self._check_assignee(department_id, department_parent_id, officer)
        if officer.id == self.officer_id:
            raise InvalidInput("Điều 8.1.c", "the report is already assigned to this officer")
        if not reason or not reason.strip():
            raise InvalidInput("Điều 8.1.b", "say why the report is reassigned")
        assert self.stage is not None
        self._reassigned(by=by.ref(), at=at, department_id=department_id, officer=officer.ref(),
                         reason=reason.strip(), stage=replace(self.stage, officer_id=officer.id))

    class Reassigned(Event):
        by: dict[str, Any]
        at: datetime
        department_id: UUID
        officer: dict[str, Any]
        reason: str
        stage: StageRecord

    @event(Reassigned)
    def _reassigned(self, by: dict[str, Any], at: datetime, department_id: UUID,
                    officer: dict[str, Any], reason: str, stage: StageRecord) -> None:
        self.department_id = department_id
        self.officer_id = officer["id"]
        self.stage = stage

    @staticmethod
    def _check_not_commune_officer(officer: Actor) -> None:
        if officer.unit_level == UnitLevel.COMMUNE:
            raise InvalidInput("Điều 8.1.b", "coordinate the report to the commune's people's "
                               "committee; its leader assigns the commune officer (Điều 8.1.c)")

    def _check_assignee(self, department_id: UUID, department_parent_id: UUID | None,
                        officer: Actor) -> None:
        if self.handling_unit_id not in (department_id, department_parent_id):
            raise InvalidInput("Điều 8.1.b", "assign a division of the handling unit or the "
                               "unit itself")
        if officer.role != Role.HANDLING_OFFICER or officer.unit_id != department_id:
            raise InvalidInput("Điều 8.1.c", "the assignee must be a handling officer of the "
                               "assigned division")

    def request_coordination(self, by: Actor, unit_ids: list[UUID], at: datetime,
                             units_of_other_level: Collection[UUID] = ()) -> None:
        """Điều 8.2.a: a complex report involves coordinating units of the same or equivalent
        level (``units_of_other_level``: those named that the directory places at another).

        The regular path is with the acceptance (:meth:`accept`). This separate request serves
        a lead unit that did not receive the report itself (passed on by the service centre or
        another receiving unit): its head asks at his step 1, once the report is accepted for
        his unit and classified complex, before or after the assignment (kept during handling:
        the text does not forbid a unit found necessary later)."""
        self._check_head(by, "Điều 8.2.a")
        self._check_status("Điều 8.2.a", Status.ACCEPTED, Status.IN_HANDLING)
        if self.urgency != Urgency.COMPLEX:
            raise InvalidState("Điều 8.2", "only a complex report involves coordinating units")
        new = self._coordinating(unit_ids, self.handling_unit_id, units_of_other_level)
        self._coordination_requested(by=by.ref(), at=at, unit_ids=new)

    class CoordinationRequested(Event):
        by: dict[str, Any]
        at: datetime
        unit_ids: list[UUID]

    @event(CoordinationRequested)
    def _coordination_requested(self, by: dict[str, Any], at: datetime,
                                unit_ids: list[UUID]) -> None:
        for unit_id in unit_ids:
            self.coordination[str(unit_id)] = False

    def contribute(self, by: Actor, text: str, evidence: list[str], at: datetime) -> None:
        """Điều 8.2.b: a coordinating unit sends its result to the lead unit."""
        if by.role not in OFFICER_ROLES or str(by.unit_id) not in self.coordination:
            raise NotPermitted("Điều 8.2.b", "only an officer of a coordinating unit contributes")
        self._check_status("Điều 8.2.b", Status.ACCEPTED, Status.IN_HANDLING, Status.IN_REWORK)
        if self.coordination[str(by.unit_id)]:
            raise InvalidState("Điều 8.2.b", "this unit has already contributed")
        if not text or not text.strip():
            raise InvalidInput("Điều 8.2.b", "a contribution needs content")
        assert by.unit_id is not None
        self._contributed(by=by.ref(), at=at, unit_id=by.unit_id, text=text.strip(),
                          evidence=list(evidence))

    class CoordinationContributed(Event):
        by: dict[str, Any]
        at: datetime
        unit_id: UUID
        text: str
        evidence: list[str]

    @event(CoordinationContributed)
    def _contributed(self, by: dict[str, Any], at: datetime, unit_id: UUID, text: str,
                     evidence: list[str]) -> None:
        self.coordination[str(unit_id)] = True

    def grant_extension(self, by: Actor, working_days: int, reason: str, at: datetime,
                        policy: SlaPolicy) -> None:
        """Điều 8.5: a complex report following a legal procedure may be extended, never past
        30 working days from assignment."""
        self._check_head(by, "Điều 8.5")
        self._check_status("Điều 8.5", Status.IN_HANDLING)
        if self.urgency != Urgency.COMPLEX:
            raise InvalidState("Điều 8.5", "only a complex report may be extended")
        if working_days <= 0:
            raise InvalidInput("Điều 8.5", "an extension is a positive number of working days")
        if not reason or not reason.strip():
            raise InvalidInput("Điều 8.5", "an extension names the legal procedure that needs it")
        assert self.stage is not None and self.stage.due is not None
        assert self.assigned_at is not None
        new_due = policy.calendar.add_days(self.stage.due, working_days)
        cap = policy.due(self.kind, "extension_cap", self.assigned_at)
        if new_due > cap:
            raise InvalidInput("Điều 8.5", f"an extension cannot go past 30 working days from "
                               f"assignment ({cap.isoformat()})")
        self._extended(by=by.ref(), at=at, reason=reason.strip(), previous_due=self.stage.due,
                       due=new_due, policy_version=policy.version)

    class ExtensionGranted(Event):
        by: dict[str, Any]
        at: datetime
        reason: str
        previous_due: datetime
        due: datetime
        policy_version: str

    @event(ExtensionGranted)
    def _extended(self, by: dict[str, Any], at: datetime, reason: str, previous_due: datetime,
                  due: datetime, policy_version: str) -> None:
        assert self.stage is not None
        self.stage = replace(self.stage, due=due)

    # ----------------------------------------------------------------- results (Điều 12)

    def propose_result(self, by: Actor, text: str, evidence: list[str], at: datetime,
                       policy: SlaPolicy) -> None:
        """Điều 8.1.d, 12.1: the assigned officer submits the proposed handling content to the
        head for approval; attachments are welcome here but required only when the approved
        result is updated on the system (Điều 12.2, :meth:`update_result`).

        The head's approval of the content (Điều 12.1) has no period in the regulation: the
        ``approval`` stage is due only if the policy adds one.
        """
        if not self._is_assigned_officer(by):
            raise NotPermitted("Điều 8.1.d", "only the assigned handling officer, in the assigned "
                               "division, proposes a result")
        self._check_status("Điều 8.1.d", Status.IN_HANDLING, Status.IN_REWORK)
        if any(not e or not e.strip() for e in evidence):
            raise InvalidInput("Điều 12.2", "an evidence attachment cannot be blank")
        if not text or len(text.strip()) < 10:
            raise InvalidInput("Điều 12.2", "a result needs a written answer of 10 characters "
                               "or more")
        pending = sorted(u for u, done in self.coordination.items() if not done)
        if pending:
            raise InvalidState("Điều 8.2.c", f"waiting for coordinating units {pending}")
        assert self.stage is not None and self.handling_unit_id is not None
        opened = stage_record(Stage.APPROVAL, self.handling_unit_id, at,
                              policy.due_if_set(self.kind, "approval", at), policy.version)
        self._result_proposed(by=by.ref(), at=at, text=text.strip(), evidence=list(evidence),
                              closed=[self.stage.closing(at)], opened=[opened])

    class ResultProposed(Event):
        by: dict[str, Any]
        at: datetime
        text: str
        evidence: list[str]

    @event(ResultProposed)
    def _result_proposed(self, by: dict[str, Any], at: datetime, text: str, evidence: list[str],
                         closed: list[ClosedStage], opened: list[StageRecord]) -> None:
        self.result = {"text": text, "evidence": evidence, "proposed_at": at}
        self.stage = opened[0]
        self.status = Status.AWAITING_APPROVAL

    def return_result(self, by: Actor, reason: str, at: datetime, policy: SlaPolicy) -> None:
        """Điều 12.1: the head refuses the proposal; rework within 1 working day."""
        self._check_head(by, "Điều 12.1")
        self._check_status("Điều 12.1", Status.AWAITING_APPROVAL)
        if not reason or not reason.strip():
            raise InvalidInput("Điều 12.1", "say what the result lacks")
        assert self.stage is not None and self.handling_unit_id is not None
        opened = stage_record(Stage.REWORK, self.handling_unit_id, at,
                              policy.due(self.kind, "rework", at), policy.version,
                              officer_id=self.officer_id)
        self._returned(by=by.ref(), at=at, reason=reason.strip(),
                       closed=[self.stage.closing(at)], opened=[opened])

    class ResultReturned(Event):
        by: dict[str, Any]
        at: datetime
        reason: str

    @event(ResultReturned)
    def _returned(self, by: dict[str, Any], at: datetime, reason: str, closed: list[ClosedStage],
                  opened: list[StageRecord]) -> None:
        self.stage = opened[0]
        self.status = Status.IN_REWORK

    def approve_result(self, by: Actor, at: datetime, policy: SlaPolicy = DEFAULT_POLICY) -> None:
        """Điều 12.1: the head approves the proposed content; the assigned officer then updates
        the result on the system with evidence (Điều 12.2; no period in the regulation: the
        ``result_update`` stage is due only if the policy adds one).

        A proposal made before this step existed (its open stage is the publication, opened
        at the proposal) keeps the earlier flow: approval leaves that stage open and the head
        publishes next."""
        self._check_head(by, "Điều 12.1")
        self._check_status("Điều 12.1", Status.AWAITING_APPROVAL)
        assert self.stage is not None and self.handling_unit_id is not None
        if self.stage.stage == Stage.PUBLICATION:  # proposed before Điều 12.2's update step
            self._approved(by=by.ref(), at=at, closed=[], opened=[])
            return
        opened = stage_record(Stage.RESULT_UPDATE, self.handling_unit_id, at,
                              policy.due_if_set(self.kind, "result_update", at), policy.version,
                              officer_id=self.officer_id)
        self._approved(by=by.ref(), at=at, closed=[self.stage.closing(at)], opened=[opened])

    class ResultApproved(Event):
        by: dict[str, Any]
        at: datetime

    @event(ResultApproved)
    def _approved(self, by: dict[str, Any], at: datetime, closed: list[ClosedStage],
                  opened: list[StageRecord]) -> None:
        if opened:
            self.stage = opened[0]
        self.status = Status.APPROVED

    def update_result(self, by: Actor, text: str | None, evidence: list[str], at: datetime,
                      policy: SlaPolicy) -> None:
        """Điều 12.2: after approval, the assigned officer updates the result on the system
        with at least one attachment proving the handling (inspection record, photo of the
        place, reply letter…); ``text`` None keeps the approved content. The head then has
        1 working day from receiving it to approve its publication (Điều 12.3)."""
        if not self._is_assigned_officer(by):
            raise NotPermitted("Điều 12.2", "only the assigned handling officer, in the assigned "
                               "division, updates the result")
        self._check_status("Điều 12.2", Status.APPROVED)
        assert self.stage is not None and self.handling_unit_id is not None
        if self.stage.stage != Stage.RESULT_UPDATE:
            raise InvalidState("Điều 12.2", "this result was approved for publication as "
                               "proposed; the head publishes it")
        if not evidence or any(not e or not e.strip() for e in evidence):
            raise InvalidInput("Điều 12.2", "an updated result needs at least one evidence "
                               "attachment")
        if text is not None and len(text.strip()) < 10:
            raise InvalidInput("Điều 12.2", "a result needs a written answer of 10 characters "
                               "or more")
        assert self.result is not None
        opened = stage_record(Stage.PUBLICATION, self.handling_unit_id, at,
                              policy.due(self.kind, "publication", at), policy.version)
        self._result_updated(by=by.ref(), at=at,
                             text=self.result["text"] if text is None else text.strip(),
                             evidence=list(evidence), closed=[self.stage.closing(at)],
                             opened=[opened])

    class ResultUpdated(Event):
        by: dict[str, Any]
        at: datetime
        text: str
        evidence: list[str]

    @event(ResultUpdated)
    def _result_updated(self, by: dict[str, Any], at: datetime, text: str, evidence: list[str],
                        closed: list[ClosedStage], opened: list[StageRecord]) -> None:
        assert self.result is not None
        self.result = {**self.result, "text": text, "evidence": evidence, "updated_at": at}
        self.stage = opened[0]
        self.status = Status.RESULT_UPDATED

    def publish(self, by: Actor, at: datetime) -> None:
        """Điều 8.3, 12.3, 14.2: the head releases the updated result publicly: resolved.

        A result approved before the update step existed (publication stage open since its
        proposal) is published straight from its approval."""
        self._check_head(by, "Điều 12.3")
        if self.status == Status.APPROVED and self.stage is not None \
                and self.stage.stage == Stage.RESULT_UPDATE:
            raise InvalidState("Điều 12.2", "the assigned officer updates the approved result "
                               "with evidence before it is published")
        self._check_status("Điều 12.3", Status.RESULT_UPDATED, Status.APPROVED)
        assert self.stage is not None
        self._published(by=by.ref(), at=at, closed=[self.stage.closing(at)])

    class Published(Event):
        by: dict[str, Any]
        at: datetime

    @event(Published)
    def _published(self, by: dict[str, Any], at: datetime, closed: list[ClosedStage]) -> None:
        self.stage = None
        self.status = Status.PUBLISHED
        self.published_at = at

    def respond_to_initiative(self, by: Actor, text: str, evidence: list[str],
                              at: datetime) -> None:
        """Điều 9: the unit answers a capital initiative within 30 working days; public."""
        if self.kind != Kind.INITIATIVE:
            raise InvalidState("Điều 9", "only a capital initiative is answered this way")
        if not by.is_staff_of(self.handling_unit_id, Role.UNIT_HEAD, Role.HANDLING_OFFICER):
            raise NotPermitted("Điều 9", "only the unit the initiative was given to answers it")
        self._check_status("Điều 9", Status.IN_HANDLING)
        if not text or len(text.strip()) < 10:
            raise InvalidInput("Điều 9", "an answer needs 10 characters or more")
        assert self.stage is not None
        self._initiative_answered(by=by.ref(), at=at, text=text.strip(), evidence=list(evidence),
                                  closed=[self.stage.closing(at)])

    class InitiativeAnswered(Event):
        by: dict[str, Any]
        at: datetime
        text: str
        evidence: list[str]

    @event(InitiativeAnswered)
    def _initiative_answered(self, by: dict[str, Any], at: datetime, text: str,
                             evidence: list[str], closed: list[ClosedStage]) -> None:
        self.result = {"text": text, "evidence": evidence, "proposed_at": at}
        self.stage = None
        self.status = Status.PUBLISHED
        self.published_at = at

    # ----------------------------------------------------------------- after the result (Điều 13)

    def request_clarification(self, by: Actor, question: str, at: datetime,
                              policy: SlaPolicy) -> None:
        """Điều 13: within 2 days of the result the reporter may ask; answer in 2 working days.

        The 2 days are calendar days counted from the day after the result, ending at 24:00
        (Asia/Ho_Chi_Minh) of the second (Bộ luật Dân sự 2015, Điều 147–148):
        :meth:`SlaPolicy.clarification_ends`."""
        self._check_reporter(by, "Điều 13")
        self._check_status("Điều 13", Status.PUBLISHED)
        assert self.published_at is not None and self.handling_unit_id is not None
        ends = policy.clarification_ends(self.published_at)
        if at >= ends:
            raise InvalidState("Điều 13", f"clarification may be asked only within "
                               f"{policy.clarification_window_days} days of the result (until "
                               f"{ends.isoformat()})")
        if self.clarification is not None:
            raise InvalidState("Điều 13", "a clarification is already awaiting its answer")
        if not question or len(question.strip()) < 5:
            raise InvalidInput("Điều 13", "a clarification request needs a question")
        opened = stage_record(Stage.CLARIFICATION, self.handling_unit_id, at,
                              policy.due(self.kind, "clarification", at), policy.version)
        self._clarification_requested(by=by.ref(), at=at, question=question.strip(),
                                      opened=[opened])

    class ClarificationRequested(Event):
        by: dict[str, Any]
        at: datetime
        question: str

    @event(ClarificationRequested)
    def _clarification_requested(self, by: dict[str, Any], at: datetime, question: str,
                                 opened: list[StageRecord]) -> None:
        self.clarification = opened[0]

    def answer_clarification(self, by: Actor, answer: str, at: datetime,
                             evidence: Sequence[str] = ()) -> None:
        """Điều 13: the handling unit answers the reporter's question, with files if it wants
        (``evidence``: attachment references, like a result's)."""
        if not (by.is_staff_of(self.handling_unit_id, Role.UNIT_HEAD)
                or self._is_assigned_officer(by)):
            raise NotPermitted("Điều 13", "only the handling unit's head or officer answers")
        if self.clarification is None:
            raise InvalidState("Điều 13", "no clarification is awaiting an answer")
        if not answer or not answer.strip():
            raise InvalidInput("Điều 13", "an answer needs content")
        if len(evidence) > 50 or any(not e or not e.strip() for e in evidence):
            raise InvalidInput("Điều 13", "an answer has at most 50 attachments, none blank")
        self._clarification_answered(by=by.ref(), at=at, answer=answer.strip(),
                                     evidence=list(evidence),
                                     closed=[self.clarification.closing(at)])

    class ClarificationAnswered(Event):
        """Version 3: ``evidence`` (the answer's attachments); earlier answers had none.
        Versions are per class (eventsourcing reads ``class_version`` and the upcasts off the
        event's own class): a later bump of :class:`Report.Event` must also bump this one,
        as 4 with ``upcast_v3_v4``, since this ``upcast_v2_v3`` shadows one on the base."""

        class_version = 3
        by: dict[str, Any]
        at: datetime
        answer: str
        evidence: list[str]

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            state["evidence"] = []

    @event(ClarificationAnswered)
    def _clarification_answered(self, by: dict[str, Any], at: datetime, answer: str,
                                evidence: list[str], closed: list[ClosedStage]) -> None:
        self.clarification = None

    def rate(self, by: Actor, rating: str, comment: str, at: datetime) -> None:
        """Điều 13: satisfied, acceptable or unsatisfied, once, after the result."""
        self._check_reporter(by, "Điều 13")
        self._check_status("Điều 13", Status.PUBLISHED)
        if self.rating is not None:
            raise InvalidState("Điều 13", "the result has already been rated")
        if rating not in set(Rating):
            raise InvalidInput("Điều 13", "rating must be satisfied, acceptable or unsatisfied")
        if len(comment or "") > 2000:
            raise InvalidInput("Điều 13", "a comment is at most 2000 characters")
        self._rated(by=by.ref(), at=at, rating=rating, comment=(comment or "").strip())

    class Rated(Event):
        by: dict[str, Any]
        at: datetime
        rating: str
        comment: str

    @event(Rated)
    def _rated(self, by: dict[str, Any], at: datetime, rating: str, comment: str) -> None:
        self.rating = rating

    # ----------------------------------------------------------------- violations (Điều 27)

    def mark_violation(self, by: Actor, note: str, at: datetime) -> None:
        """Điều 27.2: the report was untrue or abusive; counts toward the reporter's lock."""
        if not (by.is_staff_of(self.receiving_unit_id, *RECEPTION_ROLES)
                or by.is_staff_of(self.handling_unit_id, Role.UNIT_HEAD)):
            raise NotPermitted("Điều 27.2", "only the receiving or handling unit marks a violation")
        if self.violation:
            raise InvalidState("Điều 27.2", "the report is already marked as a violation")
        if not note or not note.strip():
            raise InvalidInput("Điều 27.2", "say what was untrue or abusive")
        self._violation_marked(by=by.ref(), at=at, note=note.strip())

    class ViolationMarked(Event):
        by: dict[str, Any]
        at: datetime
        note: str

    @event(ViolationMarked)
    def _violation_marked(self, by: dict[str, Any], at: datetime, note: str) -> None:
        self.violation = True

    # ----------------------------------------------------------------- deadlines (scheduler)

    def open_stages(self) -> list[StageRecord]:
        """Every timed stage now open: the main one, a verification, a clarification."""
        return [s for s in (self.stage, self.verification, self.clarification) if s is not None]

    def record_deadlines_passed(self, until: datetime, now: datetime | None = None) -> int:
        """Record, once each and in due order, that open stages' due instants up to ``until``
        have passed (Điều 7.2.d, 8.5, 12, 13); the fact is dated at the due instant and
        recorded at ``now`` (default ``until``). Returns how many."""
        due = sorted(((s.due, s) for s in self.open_stages() if s.due is not None
                       and s.due <= until and _deadline_key(s) not in self.deadlines_recorded),
                     key=lambda pair: pair[0])
        for at, stage in due:
            self._deadline_passed(by=SYSTEM.ref(), at=at, stage=stage, recorded_at=now or until)
        return len(due)

    class StageDeadlinePassed(Event):
        by: dict[str, Any]
        at: datetime
        stage: StageRecord
        recorded_at: datetime

    @event(StageDeadlinePassed)
    def _deadline_passed(self, by: dict[str, Any], at: datetime, stage: StageRecord,
                         recorded_at: datetime) -> None:
        self.deadlines_recorded.add(_deadline_key(stage))

    # ----------------------------------------------------------------- matters and duplicates

    def link_to_matter(self, by: Actor, earlier: Report, at: datetime) -> None:
        """An officer links the report to the matter of an earlier report (Điều 18.4)."""
        self._check_staff_of_report(by, "Điều 18.4")
        if earlier.id == self.id or earlier.matter == self.matter:
            raise InvalidInput("Điều 18.4", "the report already belongs to that matter")
        if earlier.submitted_at > self.submitted_at:
            raise InvalidInput("Điều 18.4", "link a report to an earlier report's matter")
        self._linked(by=by.ref(), at=at, matter_id=earlier.matter, earlier_report_id=earlier.id)

    class LinkedToMatter(Event):
        by: dict[str, Any]
        at: datetime
        matter_id: UUID
        earlier_report_id: UUID

    @event(LinkedToMatter)
    def _linked(self, by: dict[str, Any], at: datetime, matter_id: UUID,
                earlier_report_id: UUID) -> None:
        self.matter_id = matter_id
        self.re_report_of = earlier_report_id

    def mark_duplicate(self, by: Actor, original: Report, at: datetime) -> None:
        """Điều 6.2.c: the same problem is already open from another reporter; this report
        closes with a pointer, its reporter follows the original's result."""
        self._check_staff_of_report(by, "Điều 6.2.c")
        self._check_status("Điều 6.2.c", Status.RECEIVED, Status.ACCEPTED, Status.IN_HANDLING,
                           Status.IN_REWORK, Status.AWAITING_APPROVAL)
        if original.id == self.id or original.duplicate_of is not None:
            raise InvalidInput("Điều 6.2.c", "the original must be another report, itself "
                               "not a duplicate")
        if original.status in (Status.REJECTED, Status.DUPLICATE):
            raise InvalidInput("Điều 6.2.c", "the original must be a report still followed")
        suspended = {"status": str(self.status), "stage": self.stage,
                     "verification": self.verification}
        closed = [s.closing(at) for s in (self.stage, self.verification) if s is not None]
        self._marked_duplicate(by=by.ref(), at=at, original_id=original.id,
                               original_reporter_id=original.reporter_id,
                               suspended=suspended, closed=closed)

    class MarkedDuplicate(Event):
        by: dict[str, Any]
        at: datetime
        original_id: UUID
        original_reporter_id: UUID
        suspended: dict[str, Any]

    @event(MarkedDuplicate)
    def _marked_duplicate(self, by: dict[str, Any], at: datetime, original_id: UUID,
                          original_reporter_id: UUID, suspended: dict[str, Any],
                          closed: list[ClosedStage]) -> None:
        self.duplicate_of = original_id
        self.suspended = suspended
        self.status = Status.DUPLICATE
        self.stage = None
        self.verification = None

    def unmark_duplicate(self, by: Actor, reason: str, at: datetime) -> None:
        """A unit head reverses a duplicate marking: the report is back in the queue with the
        stages and due instants it had (recorded, not recomputed)."""
        if not (by.is_staff_of(self.receiving_unit_id, Role.UNIT_HEAD)
                or by.is_staff_of(self.handling_unit_id, Role.UNIT_HEAD)):
            raise NotPermitted("Điều 6.2.c", "only the unit head reverses a duplicate marking")
        self._check_status("Điều 6.2.c", Status.DUPLICATE)
        if not reason or not reason.strip():
            raise InvalidInput("Điều 6.2.c", "say why the report is not a duplicate")
        assert self.suspended is not None
        opened = [s for s in (self.suspended["stage"], self.suspended["verification"])
                  if s is not None]
        self._unmarked(by=by.ref(), at=at, reason=reason.strip(), restored=self.suspended,
                       opened=opened)

    class DuplicateUnmarked(Event):
        by: dict[str, Any]
        at: datetime
        reason: str
        restored: dict[str, Any]

    @event(DuplicateUnmarked)
    def _unmarked(self, by: dict[str, Any], at: datetime, reason: str,
                  restored: dict[str, Any], opened: list[StageRecord]) -> None:
        self.status = Status(restored["status"])
        self.stage = restored["stage"]
        self.verification = restored["verification"]
        self.duplicate_of = None
        self.suspended = None

    # ----------------------------------------------------------------- reorganisation (Điều 28.1)

    def concerns(self, unit_id: UUID) -> bool:
        """Whether the report still has work at ``unit_id``: open, and that unit receives,
        handles, handles through a division or coordinates on it, or holds an open stage."""
        if self.status in (Status.PUBLISHED, Status.REJECTED, Status.DUPLICATE):
            return False
        held = {self.receiving_unit_id, self.handling_unit_id, self.department_id,
                *(s.unit_id for s in self.open_stages())}
        return unit_id in held or str(unit_id) in self.coordination

    def reroute(self, by: Actor, from_unit_id: UUID, to_unit_id: UUID, at: datetime) -> None:
        """Điều 28.1: a unit merged into another in a reorganisation hands its open work on
        this report to its successor: every reference to it now names the successor; stages,
        due instants and the officer assigned stay as they are."""
        if by.role not in (Role.ADMINISTRATOR, Role.SYSTEM):
            raise NotPermitted("Điều 28.1", "only the system or an administrator re-routes a "
                               "report after a reorganisation")
        if from_unit_id == to_unit_id:
            raise InvalidInput("Điều 28.1", "a report is re-routed to another unit")
        if not self.concerns(from_unit_id):
            raise InvalidState("Điều 28.1", f"the report has no open work at unit {from_unit_id}")
        merged_entry = self.coordination.get(str(from_unit_id))
        self._rerouted(by=by.ref(), at=at, from_unit_id=from_unit_id, to_unit_id=to_unit_id,
                       coordination=None if merged_entry is None else (
                           merged_entry or self.coordination.get(str(to_unit_id), False)))

    class Rerouted(Event):
        by: dict[str, Any]
        at: datetime
        from_unit_id: UUID
        to_unit_id: UUID
        coordination: bool | None

    @event(Rerouted)
    def _rerouted(self, by: dict[str, Any], at: datetime, from_unit_id: UUID,
                  to_unit_id: UUID, coordination: bool | None) -> None:
        """``coordination``: the successor's coordination entry afterwards (contributed or
        not), None when the merged unit was not coordinating."""
        def moved(unit_id: UUID | None) -> UUID | None:
            return to_unit_id if unit_id == from_unit_id else unit_id

        if self.receiving_unit_id == from_unit_id:
            self.receiving_unit_id = to_unit_id
        self.handling_unit_id = moved(self.handling_unit_id)
        self.department_id = moved(self.department_id)
        for name in ("stage", "verification", "clarification"):
            stage = getattr(self, name)
            if stage is not None and stage.unit_id == from_unit_id:
                setattr(self, name, replace(stage, unit_id=to_unit_id))
        if coordination is not None:
            del self.coordination[str(from_unit_id)]
            self.coordination[str(to_unit_id)] = coordination

    # ----------------------------------------------------------------- moderation (Điều 4.4, 14.1)

    def hide(self, by: Actor, target: str, reason: str, at: datetime) -> None:
        """A unit head hides the report or its rating comment from public view."""
        self._check_moderator(by)
        if target not in MODERATION_TARGETS:
            raise InvalidInput("Điều 14.1", f"hide one of {sorted(MODERATION_TARGETS)}")
        if target in self.hidden:
            raise InvalidState("Điều 14.1", f"the {target} is already hidden")
        if not reason or not reason.strip():
            raise InvalidInput("Điều 14.1", "say why it is hidden")
        self._hidden(by=by.ref(), at=at, target=target, reason=reason.strip())

    class Hidden(Event):
        by: dict[str, Any]
        at: datetime
        target: str
        reason: str

    @event(Hidden)
    def _hidden(self, by: dict[str, Any], at: datetime, target: str, reason: str) -> None:
        self.hidden.add(target)

    def redact(self, by: Actor, field: str, redacted: str, reason: str, at: datetime) -> None:
        """Điều 4.4, 14.1: replace personal data a citizen typed into the text or a comment;
        the public sees the redacted version, the original stays in the record."""
        self._check_moderator(by)
        if field not in REDACTABLE_FIELDS:
            raise InvalidInput("Điều 14.1", f"redact one of {sorted(REDACTABLE_FIELDS)}")
        if field == "rating_comment" and self.rating is None:
            raise InvalidState("Điều 14.1", "there is no rating comment to redact")
        if not reason or not reason.strip():
            raise InvalidInput("Điều 14.1", "say what personal data is redacted")
        if len(redacted) > 5000:
            raise InvalidInput("Điều 14.1", "the redacted text is at most 5000 characters")
        self._redacted(by=by.ref(), at=at, field=field, redacted=redacted, reason=reason.strip())

    class Redacted(Event):
        by: dict[str, Any]
        at: datetime
        field: str
        redacted: str
        reason: str

    @event(Redacted)
    def _redacted(self, by: dict[str, Any], at: datetime, field: str, redacted: str,
                  reason: str) -> None:
        if field == "text":
            self.text = redacted

    # ----------------------------------------------------------------- guards

    def _check_staff_of_report(self, by: Actor, rule: str) -> None:
        if not (by.is_staff_of(self.receiving_unit_id, *RECEPTION_ROLES)
                or by.is_staff_of(self.handling_unit_id, Role.UNIT_HEAD)):
            raise NotPermitted(rule, "only the receiving unit or the handling unit's head may "
                               "do this")

    def _check_moderator(self, by: Actor) -> None:
        if not (by.is_staff_of(self.handling_unit_id or self.receiving_unit_id,
                               Role.UNIT_HEAD)):
            raise NotPermitted("Điều 14.1", "only the head of the responsible unit moderates")

    def _check_status(self, rule: str, *allowed: Status) -> None:
        if self.status not in allowed:
            wanted = " or ".join(str(s) for s in allowed)
            raise InvalidState(rule, f"the report is {self.status}, this step needs it {wanted}")

    def _check_no_verification_under_way(self) -> None:
        """Điều 7.2: the reception decision follows the verification's outcome, so an open
        verification stage is always closed by its own event."""
        if self.verification is not None:
            raise InvalidState("Điều 7.2", "complete the verification under way before "
                               "deciding on reception")

    def _is_assigned_officer(self, by: Actor) -> bool:
        """The assigned officer, still in the assigned division (an officer acts only with
        his unit's rights: transferred away, he no longer works the report)."""
        return (by.role == Role.HANDLING_OFFICER and by.id == self.officer_id
                and by.unit_id == self.department_id)

    def _check_receiver(self, by: Actor, rule: str) -> None:
        if not by.is_staff_of(self.receiving_unit_id, *RECEPTION_ROLES):
            raise NotPermitted(rule, "only a receiving officer or the head of the receiving unit "
                               "may do this")

    def _check_head(self, by: Actor, rule: str) -> None:
        if not by.is_staff_of(self.handling_unit_id, Role.UNIT_HEAD):
            raise NotPermitted(rule, "only the head of the handling unit may do this")

    def _check_reporter(self, by: Actor, rule: str) -> None:
        if by.role != Role.CITIZEN or by.id != str(self.reporter_id):
            raise NotPermitted(rule, "only the reporter may do this")


def _deadline_key(stage: StageRecord) -> str:
    assert stage.due is not None
    return f"{stage.stage}@{stage.started_at.isoformat()}@{stage.due.isoformat()}"


def _reception_stage(kind: str, unit_id: UUID, at: datetime, policy: SlaPolicy) -> StageRecord:
    """Điều 7.2.d: reception within 8 working hours; Điều 9 sets no period for the centre to
    distribute a capital initiative, so its reception has no due instant unless policy adds one."""
    due = policy.due(kind, "reception", at) if policy.has(kind, "reception") else None
    return stage_record(Stage.RECEPTION, unit_id, at, due, policy.version)
