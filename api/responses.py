"""Response bodies of the read endpoints (pydantic): what each GET answers, field by field.

They are the contract the OpenAPI document publishes and the tests hold the answers to
(schemathesis' response-schema conformance, and every API test's GET through
``tests/integration/conftest.py``): ``extra="forbid"`` documents each object as closed, so a
column added to a query without being declared here — personal data above all — fails them.
The query handlers serialise their rows once with pydantic-core (:func:`api.queries._json`)
rather than validating them again through these models on every request.

Request bodies live in :mod:`api.schemas`.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Generic, Literal, TypeVar
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from domain.actors import Role, UnitLevel
from domain.alert import AlertCategory, Severity
from domain.policy import Kind, Stage, Urgency
from domain.report import Rating, RejectionReason, Status

Instant = AwareDatetime
T = TypeVar("T")


class Out(BaseModel):
    """A response object: closed (no field beyond those declared)."""

    model_config = ConfigDict(extra="forbid")


class Page(Out, Generic[T]):
    """A page of rows and the cursor of the next page (null at the end)."""

    items: list[T]
    next_cursor: str | None


# ----------------------------------------------------------------- public (no login)

class PublicResult(Out):
    """Điều 8.3, 14.2: a published result — never the reporter nor any personal data."""

    report_id: UUID
    kind: Kind
    category: str
    summary: str
    area: str
    latitude: float | None
    longitude: float | None
    submitted_at: Instant
    published_at: Instant
    handling_unit_id: UUID | None
    handling_unit_name: str | None
    result_text: str | None
    evidence: list[str]
    rating: Rating | None
    rating_comment: str | None


class UnitLateness(Out):
    """Điều 18.4: a unit's reports of a month, how many were late, and its rank."""

    unit_id: UUID
    received: int
    late_in_reception: int
    late_in_handling: int
    reports_late: int
    share_late: Decimal
    flagged: bool
    rank: int
    unit_name: str | None


class UnitStatistics(Out):
    """Seed 000 Điều 2.2.c: a unit's reception and handling figures for a month (distinct
    reports per metric: ``projections.monthly_statistics.METRICS``)."""

    unit_id: UUID
    received: int
    accepted: int
    rejected: int
    escalated: int
    marked_duplicate: int
    assigned: int
    published: int
    published_on_time: int
    rated_satisfied: int
    rated_acceptable: int
    rated_unsatisfied: int
    unit_name: str | None


class Evidence(Out):
    """The reports and event notification ids behind a figure."""

    report_ids: list[UUID]
    notification_ids: list[int]


class FrozenLateness(Out):
    """The lateness ranking row of a unit as frozen (shares as exact decimal strings)."""

    received: int
    late_in_reception: int
    late_in_handling: int
    reports_late: int
    share_late: str
    flagged: bool
    rank: int


class RepeatMatter(Out):
    """Điều 18.4: a matter listed in a month: its unsatisfied ratings over its whole history
    (the first report's included), when it reached the threshold, its latest rating and
    whether it is unresolved (latest rating "unsatisfied")."""

    matter_id: UUID
    unsatisfied_ratings: int
    reached_at: Instant
    latest_rating: Literal["satisfied", "acceptable", "unsatisfied"]
    unresolved: bool


class FrozenRepeatDissatisfaction(Out):
    """Điều 18.4 as frozen: flagged when a matter of the unit is listed. Publications made
    before issue 10 counted unsatisfied re-reports per unit and month instead
    (``unsatisfied_re_reports``, no ``matters``)."""

    flagged: bool
    matters: list[RepeatMatter] = []
    unsatisfied_re_reports: int | None = None


class LateAdditions(BaseModel):
    """What the previous month (``month``) counts now that its publication did not: per
    metric, the reports and events added since."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, Evidence]

    month: str


class PublishedUnitFigures(Out):
    """One unit's figures as frozen on the 25th, with the events behind each and the late
    additions to the previous month."""

    unit_id: UUID
    as_of: Instant
    figures: dict[str, int]
    lateness: FrozenLateness | None
    repeat_dissatisfaction: FrozenRepeatDissatisfaction
    evidence: dict[str, Evidence]
    late_additions: LateAdditions | None = None


class PublishedStatistics(Out):
    """Seed 000 Điều 2.2.c: a month's statistics as published; they never change."""

    month: str
    published_at: Instant
    policy_version: str
    figures: list[PublishedUnitFigures]


class UnitRepeatDissatisfaction(Out):
    """Điều 18.4: a unit flagged in a month, with its matters listed."""

    unit_id: UUID
    flagged: bool
    matters: list[RepeatMatter]
    unit_name: str | None


class Alert(Out):
    """Chương III: an alert of a unit to the residents of its area."""

    alert_id: UUID
    unit_id: UUID
    unit_level: UnitLevel
    category: AlertCategory
    severity: Severity
    title: str
    body: str
    valid_from: Instant
    valid_until: Instant
    status: Literal["draft", "approved", "sent"]
    sent_at: Instant | None


class DirectoryUnit(Out):
    """A unit of the directory as it stands (merged and dissolved ones inactive)."""

    unit_id: UUID
    name: str
    level: UnitLevel
    parent_id: UUID | None
    active: bool
    merged_into: UUID | None
    code: str


class UnitWithChildren(DirectoryUnit):
    children: list[DirectoryUnit]


class UnitInTree(DirectoryUnit):
    """A unit of the tree: its depth (0: a root) and the area of residents it serves — itself
    for the city, a district or a commune, else its nearest such unit above (Điều 15–17)."""

    depth: int
    area_unit_id: UUID | None


class Category(Out):
    """A category of the policy's catalogue for a kind of report, and the article defining
    the kind's scope (Điều 1.2, 3.2, 3.7, 9, 10, 11)."""

    kind: Kind
    code: str
    name: str
    article: str


class Calendar(Out):
    """The working calendar: working periods of a day, the city's own exceptions."""

    periods: list[tuple[str, str]]
    extra_days_off: list[str]
    extra_working_days: list[str]
    timezone: str


class AdoptionPolicyOut(Out):
    """Seed 001 1.a, 1.c; seed 003: the adoption-progress form's rounds (each due at 00:00 of
    its day, "trước ngày") and targets (shares of staff, of residents with a smartphone)."""

    rounds: list[date]
    staff_target: str
    staff_target_day: date
    residents_target: str
    residents_target_day: date


class Policy(Out):
    """The service-level policy in force (``domain.policy.SlaPolicy.to_dict``)."""

    version: str
    calendar: Calendar
    deadlines: dict[str, dict[str, tuple[int, str]]]
    clarification_window_days: int
    clarification_window_rolls_over_days_off: bool
    late_share_threshold: str
    violations_before_lock: int
    lock_length_days: float
    repeat_dissatisfaction_threshold: int
    categories: dict[str, dict[str, str]]
    deadline_warning_hours: float
    statistics_day: int
    statistics_next_working_day: bool
    statistics_time: str
    alert_cadence_days: int
    equivalent_levels: list[list[str]]
    attachment_max_bytes: int
    adoption: AdoptionPolicyOut


# ----------------------------------------------------------------- staff and citizens

class ReporterIdentity(Out):
    """Điều 5.5: who sent a report, decrypted from the event store; shown only where Điều 5.7
    allows, and minimised (Điều 4.4): ``email`` and ``national_id`` are null except for the
    reporter and the staff of the units the report is with (``api.access.identity_shown``)."""

    name: str
    phone: str | None
    email: str | None
    national_id: str | None


class UnitOfficer(Out):
    """An officer in office in a unit, as staff need him to assign work (Điều 8.1)."""

    officer_id: UUID
    name: str
    role: Role
    unit_id: UUID


class ReportStatus(Out):
    """A report's full state, as the caller may read it (``api.access.redact``): fields he may
    not see are null — the identity (Điều 5.7), and for the reporter the officers, the
    coordination and an unpublished result (Điều 12.3)."""

    report_id: UUID
    kind: Kind
    category: str
    text: str
    latitude: float | None
    longitude: float | None
    address: str
    media: list[str]
    confidential: bool
    reporter_id: UUID | None
    reporter: ReporterIdentity | None
    receiving_unit_id: UUID
    handling_unit_id: UUID | None
    department_id: UUID | None
    officer_id: str | None
    status: Status
    urgency: Urgency | None
    stage: Stage | None
    stage_unit_id: UUID | None
    stage_officer_id: str | None
    stage_due: Instant | None
    verification_due: Instant | None
    clarification_due: Instant | None
    coordination: dict[str, bool] | None
    result_text: str | None
    result_evidence: list[str] | None
    rating: Rating | None
    rating_comment: str | None
    violation: bool
    submitted_at: Instant
    assigned_at: Instant | None
    published_at: Instant | None
    updated_at: Instant
    version: int
    matter_id: UUID
    re_report_of: UUID | None
    duplicate_of: UUID | None
    hidden: bool
    rating_comment_hidden: bool
    redacted_text: str | None
    redacted_rating_comment: str | None


class TimelineStage(Out):
    """A timed stage a step opened or closed: its unit, start, due instant and, once closed,
    when it ended and whether by its due instant. ``stage`` is open-ended text (new stages
    may appear); ``officer_id`` is null in the public timeline."""

    stage: str
    unit_id: UUID
    officer_id: str | None = None
    started_at: Instant
    due: Instant | None
    ended_at: Instant | None = None
    on_time: bool | None = None


class TimelineStep(Out):
    """One step of a report's history (issue 11): ``step`` an English key and ``label`` its
    Vietnamese name (``projections.report_timeline.STEPS``; a step not known yet has a
    fallback label), who acted (role and unit at the time; an officer's id, never a
    citizen's), when, the stages it closed (due, on time) and opened (due), the texts staff
    must read (``texts``: question, answer, reason, note, why, text, evidence) and the other
    facts (``details``)."""

    step: str
    label: str
    event_type: str
    version: int
    at: Instant
    actor_id: str | None
    actor_role: Role | None
    actor_unit_id: UUID | None
    actor_unit_name: str | None
    unit_id: UUID | None
    unit_name: str | None
    closed: list[TimelineStage]
    opened: list[TimelineStage]
    on_time: bool | None
    texts: dict[str, Any]
    details: dict[str, Any]


class DecidedBy(Out):
    """Who took a step and when: role and unit at the time, an officer's id."""

    at: Instant
    actor_id: str | None
    actor_role: Role | None
    actor_unit_id: UUID | None


class Clarification(Out):
    """Điều 13: the citizen's question, its answer's due instant, the answer, the files sent
    with it (attachment ids: GET /attachments/{id}, the reporter included) and who gave it."""

    question: str | None
    asked_at: Instant
    due: Instant | None
    answer: str | None
    evidence: list[str]
    answered: DecidedBy | None


class ResultReturn(Out):
    """Điều 12.1: the head's reason for returning a proposed result, and the rework's due."""

    reason: str | None
    rework_due: Instant | None
    by: DecidedBy


class CoordinatingUnit(Out):
    """Điều 8.2: a unit asked to coordinate, and its contribution (text and attachments) once
    sent, for the lead unit to synthesise (Điều 8.2.c)."""

    unit_id: UUID
    requested: DecidedBy
    contributed: DecidedBy | None
    text: str | None
    evidence: list[str]


class RejectionDecision(Out):
    """Điều 6.2, 7.2.a: the ground (a–e), the stated reason, and who decided."""

    reason: RejectionReason | None
    note: str | None
    by: DecidedBy


class EscalationDecision(Out):
    """Điều 7.2.c: passed from one unit to another, why, and who decided."""

    from_unit_id: UUID | None
    to_unit_id: UUID | None
    why: str | None
    by: DecidedBy


class ReportDetail(ReportStatus):
    """``GET /reports/{id}``: the report's state, its whole timeline and what staff must read
    (issue 11 item 1). A citizen gets his own report's public steps, his questions and their
    answers and his rejection's reason; never officers, internal texts nor coordination."""

    timeline: list[TimelineStep]
    clarifications: list[Clarification]
    returns: list[ResultReturn]
    coordinating_units: list[CoordinatingUnit]
    rejection: RejectionDecision | None
    escalations: list[EscalationDecision]


class PublicTimelineStage(Out):
    """A stage of the public timeline: no officer."""

    stage: str
    unit_id: UUID
    started_at: Instant
    due: Instant | None
    ended_at: Instant | None
    on_time: bool | None


class PublicTimelineStep(Out):
    """Điều 14.2: one step of the process as the public sees it — when, which role of which
    unit, the stage's due instant and whether it was met, and a few facts (``details``: the
    units involved, the urgency, a new due instant, the rejection ground, the rating); no
    text, no officer, nothing about the citizen."""

    step: str
    label: str
    at: Instant
    actor_role: Role | None
    actor_unit_id: UUID | None
    actor_unit_name: str | None
    unit_id: UUID | None
    unit_name: str | None
    closed: list[PublicTimelineStage]
    opened: list[PublicTimelineStage]
    on_time: bool | None
    details: dict[str, Any]


class PublicTimeline(Out):
    """Điều 14.2: the public process of a report that is not hidden."""

    report_id: UUID
    steps: list[PublicTimelineStep]


class MatterReport(Out):
    """Điều 18.4: a report of a matter, with its published result and rating."""

    report_id: UUID
    matter_id: UUID
    re_report_of: UUID | None
    kind: Kind
    category: str
    receiving_unit_id: UUID
    handling_unit_id: UUID | None
    status: Status
    duplicate_of: UUID | None
    submitted_at: Instant
    result_text: str | None
    published_at: Instant | None
    rating: Rating | None
    rated_at: Instant | None


class DuplicateCandidate(Out):
    """Điều 6.2.c: an open report nearby, of the same category, from another reporter."""

    report_id: UUID
    category: str
    latitude: float
    longitude: float
    submitted_at: Instant
    receiving_unit_id: UUID
    handling_unit_id: UUID | None
    status: Status
    distance_m: float


class DuplicateCandidates(Out):
    candidates: list[DuplicateCandidate]
    in_other_units: int


class ReporterLock(Out):
    """Điều 27.2–3: a reporter's streak of consecutive violations and his lock."""

    reporter_id: UUID
    consecutive_violations: int
    locked_at: Instant | None
    locked_until: Instant | None
    lifted_at: Instant | None
    locked: bool


class CitizenReport(Out):
    """A reporter's own report and its status (no internal working)."""

    report_id: UUID
    kind: Kind
    category: str
    summary: str
    status: Status
    stage: Stage | None
    stage_due: Instant | None
    rejection_reason: RejectionReason | None
    rejection_note: str | None
    result_text: str | None
    clarification_answer: str | None
    rating: Rating | None
    submitted_at: Instant
    updated_at: Instant
    published_at: Instant | None
    duplicate_of: UUID | None
    original_result_text: str | None
    original_published_at: Instant | None


class OverdueStage(Out):
    """Điều 7.2.d, 8.5: an open stage past its due instant; ``late`` in working hours."""

    report_id: UUID
    stage: Stage
    unit_id: UUID
    officer_id: str | None
    started_at: Instant
    due: Instant
    policy_version: str
    late: float


class WorkItem(Out):
    """What awaits a unit or officer: a report's stage, or a coordination request, with what
    its holder must read (issue 11): on a clarification the citizen's open question
    (Điều 13), on a rework the head's last reason for returning the result (Điều 12.1), and
    for a report with coordination every coordinating unit and its contribution (Điều 8.2.c).
    """

    report_id: UUID
    item: Stage | Literal["coordination"]
    unit_id: UUID
    officer_id: str | None
    since: Instant
    due: Instant | None
    kind: Kind
    category: str
    urgency: Urgency | None
    question: str | None
    return_reason: str | None
    coordinating_units: list[CoordinatingUnit]


class AuditEntry(Out):
    """Điều 22: one event — who (role and unit at the time), what, which report, when, the
    stage it closed (due, on time) and opened. A citizen is never named (Điều 5.7, 14.1)."""

    notification_id: int
    aggregate_type: str
    aggregate_id: UUID | None
    version: int
    event_type: str
    at: Instant
    actor_id: str | None
    actor_role: Role | None
    actor_unit_id: UUID | None
    actor_unit_level: UnitLevel | None
    unit_id: UUID | None
    report_id: UUID | None
    closed_stage: Stage | None
    closed_unit_id: UUID | None
    closed_started_at: Instant | None
    closed_due: Instant | None
    closed_on_time: bool | None
    opened_stage: Stage | None
    opened_unit_id: UUID | None
    opened_due: Instant | None
    details: dict[str, Any]


class LatenessExplained(Out):
    """The reports and events behind one figure of the monthly lateness ranking."""

    figure: Literal["received", "late_in_reception", "late_in_handling", "reports_late"]
    value: int
    report_ids: list[UUID]
    notification_ids: list[int]


class StatisticsExplained(Out):
    """The reports and events behind one figure of the monthly statistics."""

    metric: str
    value: int
    report_ids: list[UUID]
    notification_ids: list[int]


class MatterRating(Out):
    """One rating of a matter's history."""

    report_id: UUID
    handling_unit_id: UUID | None
    rating: Literal["satisfied", "acceptable", "unsatisfied"]
    rated_at: Instant
    notification_id: int


class ExplainedMatter(RepeatMatter):
    """A listed matter with every rating of its history up to the month's end."""

    unit_id: UUID
    ratings: list[MatterRating]


class RepeatDissatisfactionExplained(Out):
    """Seed 001 7.a: the matters behind a unit's repeat-dissatisfaction flag in a month
    (``value``: how many), the reports rated "unsatisfied", the events (ratings, matter
    membership, acceptance) and each matter's ratings."""

    value: int
    report_ids: list[UUID]
    notification_ids: list[int]
    matters: list[ExplainedMatter]


class SilentUnit(Out):
    """Seed 001 1.d: a unit that has sent no alert in the policy's last days."""

    unit_id: UUID
    level: UnitLevel
    last_sent_at: Instant | None
    unit_name: str | None


# ----------------------------------------------------------------- operations

class Health(Out):
    status: Literal["ok"]


class Ready(Out):
    """The database answers and the read models lag within the bound."""

    status: Literal["ready"]
    projection_lag: int


class NotReady(Out):
    """The database is unreachable (``detail``: the error's type), the read models lag, or
    one read model is stalled: its handler keeps failing on one event (``read_model``,
    ``event`` — the event's topic —, ``notification_id``, ``attempts``, ``detail``: the
    error)."""

    status: Literal["unavailable", "lagging", "stalled"]
    projection_lag: int | None = None
    detail: str | None = None
    read_model: str | None = None
    event: str | None = None
    notification_id: int | None = None
    attempts: int | None = None


# ----------------------------------------------------------------- Open311 GeoReport v2

W3CDateTime = Annotated[str, Field(json_schema_extra={"format": "date-time"})]


class Open311Service(Out):
    """GeoReport v2 ``GET services``: one service per kind and category of report."""

    service_code: str
    service_name: str
    description: str
    metadata: bool
    type: Literal["realtime", "batch", "blackbox"]
    keywords: str
    group: str


class Open311Attribute(Out):
    """GeoReport v2: an extra attribute a service asks for (ours ask none)."""

    variable: bool
    code: str
    datatype: Literal["string", "number", "datetime", "text", "singlevaluelist",
                      "multivaluelist"]
    required: bool
    datatype_description: str | None
    order: int
    description: str
    values: list[dict[str, str]] | None = None


class Open311ServiceDefinition(Out):
    """GeoReport v2 ``GET service definition``."""

    service_code: str
    attributes: list[Open311Attribute]


class Open311Request(Out):
    """GeoReport v2 ``GET service requests``: a report without any personal data, its text
    only once its result is public; instants as W3C date-times."""

    service_request_id: str
    status: Literal["open", "closed"]
    status_notes: str
    service_name: str
    service_code: str
    description: str | None
    agency_responsible: str | None
    service_notice: str | None
    requested_datetime: W3CDateTime
    updated_datetime: W3CDateTime
    expected_datetime: W3CDateTime | None
    address: str | None
    address_id: str | None
    zipcode: str | None
    lat: float | None
    long: float | None
    media_url: str | None


class PartnerApplicationRow(Out):
    """An Open311 partner application (Điều 28.1): never its key nor the key's hash."""

    partner_id: UUID
    name: str
    issued_by: str
    issued_at: Instant
    revoked_at: Instant | None


class Open311Submitted(Out):
    """GeoReport v2 ``POST service request``: the id once the request is readable, else a
    ``token`` to resolve with ``GET tokens/{token}``; the account it was filed under."""

    service_request_id: str | None
    token: str | None
    service_notice: str
    account_id: str | None


class Open311Token(Out):
    """GeoReport v2 ``GET service_request_id from a token``."""

    service_request_id: str
    token: str


class Open311Endpoint(Out):
    """An endpoint of GeoReport v2 service discovery."""

    specification: str
    url: str
    changeset: str
    type: Literal["production", "test"]
    formats: list[str]


class Open311Discovery(Out):
    """GeoReport v2 service discovery."""

    changeset: str
    contact: str
    key_service: str
    endpoints: list[Open311Endpoint]


class Open311Error(Out):
    """GeoReport v2's error: its code (the HTTP status) and what is wrong."""

    code: int
    description: str


# ----------------------------------------------------------------- periodic reports (Điều 18.3.b)

class Period(Out):
    """A report's period: monthly ``YYYY-MM``, quarterly ``YYYY-Qn``, yearly ``YYYY`` or ad
    hoc ``YYYY-MM-DD..YYYY-MM-DD``; days in Asia/Ho_Chi_Minh, ``start`` ≤ instant < ``end``."""

    kind: Literal["monthly", "quarterly", "yearly", "ad_hoc"]
    label: str
    first_day: date
    last_day: date
    start: Instant
    end: Instant


class PeriodTotals(Out):
    """Distinct reports (alerts for ``alerts_sent``) per figure over a period: a report that
    reached two units counts once."""

    received: int
    accepted: int
    rejected: int
    escalated: int
    assigned: int
    published: int
    published_on_time: int
    late_in_reception: int
    late_in_handling: int
    rated_satisfied: int
    rated_acceptable: int
    rated_unsatisfied: int
    alerts_sent: int
    initiatives_received: int
    initiatives_answered: int
    initiatives_answered_on_time: int


class UnitPeriodFigures(PeriodTotals):
    """Điều 18.3.b, 25.4: one unit's reception and handling figures, alerts sent and capital
    initiatives received and answered over a period."""

    unit_id: UUID
    unit_name: str | None


class PeriodicReport(Out):
    """Điều 18.3.b: the report of a period, per unit, with the city's totals."""

    period: Period
    totals: PeriodTotals
    units: list[UnitPeriodFigures]


class PeriodExplained(Out):
    """Seed 001 7.a: the reports (alerts for ``alerts_sent``) and event ids behind one figure
    of a unit over a period."""

    metric: str
    value: int
    subject_ids: list[UUID]
    notification_ids: list[int]


class HeadFigures(Out):
    """Seed 000 Điều 2.4: a head of unit's term within a month (``from_at`` ≤ instant <
    ``to_at``), the events that began and ended it, and the unit's figures over it."""

    officer_id: UUID
    name: str
    unit_id: UUID
    unit_name: str | None
    from_at: Instant
    to_at: Instant
    since_nid: int
    until_nid: int | None
    figures: PeriodTotals


# ----------------------------------------------------------------- adoption progress (seeds 001, 003)

class AdoptionFiguresOut(Out):
    """Seed 003 annex: a unit's staff (total, installed iHanoi) and the residents of its area
    (total, with a smartphone, installed iHanoi)."""

    staff_total: int
    staff_installed: int
    residents_total: int
    residents_with_smartphone: int
    residents_installed: int


class AdoptionTotals(AdoptionFiguresOut):
    """The figures of a unit and every unit below it (of the whole form, for its totals):
    how many units that is, how many entered the round and were late, the shares (4
    decimals; null over nothing) and whether the staff target is met (null without staff)."""

    units: int
    units_entered: int
    units_late: int
    staff_installed_share: Decimal | None
    residents_with_smartphone_share: Decimal | None
    residents_installed_share: Decimal | None
    smartphone_owners_installed_share: Decimal | None
    staff_target_met: bool | None


class UnitAdoption(Out):
    """One numbered row of the form (``stt``): a unit, depth first under the form's root, its
    own entry for the round (``own``, null if none; ``entries`` > 1: corrected), whether it is
    late (entered after the due, or not entered and the due past) and its rolled-up total."""

    stt: int
    unit_id: UUID
    unit_name: str
    level: UnitLevel
    parent_id: UUID | None
    depth: int
    entered: bool
    entries: int
    first_entered_at: Instant | None
    entered_at: Instant | None
    on_time: bool | None
    late: bool
    own: AdoptionFiguresOut | None
    total: AdoptionTotals


class AdoptionRound(Out):
    round: int
    due: Instant


class AdoptionForm(Out):
    """Seed 001, 003: the adoption-progress form of a round — its due, every round's due,
    the targets and their dues, the instant the late flags are read at (``at``), the totals
    and one row per unit under ``unit_id`` (every root if null)."""

    round: int
    due: Instant
    rounds: list[AdoptionRound]
    staff_target: Decimal
    staff_target_due: Instant
    residents_target: Decimal
    residents_target_due: Instant
    unit_id: UUID | None
    at: Instant
    totals: AdoptionTotals
    units: list[UnitAdoption]
