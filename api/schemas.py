"""Request and response bodies (pydantic); the domain never sees these."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    field_validator,
)

from domain.calendar import BUSINESS_TZ


def refuse_nul(value: Any) -> Any:
    """A NUL character cannot be stored in a PostgreSQL text column: accepted into an event,
    it would stop every read model at that event, so it is refused at the door."""
    texts = value if isinstance(value, list) else [value]
    if any(isinstance(text, str) and "\x00" in text for text in texts):
        raise ValueError("text must not contain NUL characters")
    return value


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")

    _no_nul = field_validator("*")(refuse_nul)


class ReporterIn(Body):
    name: str = Field(min_length=1, max_length=200)
    phone: str | None = Field(default=None, max_length=20, pattern=r"^\+?[0-9 .-]{6,20}$")
    email: str | None = Field(default=None, max_length=200, pattern=r"^[^@\s]+@[^@\s]+$")
    national_id: str | None = Field(default=None, pattern=r"^[0-9]{9,12}$")
    home_ward_id: UUID | None = Field(default=None, description="the commune-level unit the "
                                      "citizen lives in: alerts to its area reach him (Điều 17)")


class IdentityIn(Body):
    """Điều 5.5: what to complete or correct; a field left out stays as it was."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    phone: str | None = Field(default=None, max_length=20, pattern=r"^\+?[0-9 .-]{6,20}$")
    email: str | None = Field(default=None, max_length=200, pattern=r"^[^@\s]+@[^@\s]+$")
    national_id: str | None = Field(default=None, pattern=r"^[0-9]{9,12}$")


class ReportIn(Body):
    kind: str = Field(description="field, administrative_regulation, waste_behaviour, "
                      "investor_enterprise or capital_initiative (Điều 1.2)", max_length=40)
    category: str = Field(min_length=1, max_length=100)
    text: str = Field(min_length=1, max_length=5000)
    latitude: float | None = Field(default=None, ge=-90, le=90, description=(
        "Điều 6.1: the place is its coordinates (both, in Hà Nội), its address, or both"))
    longitude: float | None = Field(default=None, ge=-180, le=180)
    address: str = Field(default="", max_length=500)
    receiving_unit_id: UUID
    occurred_at: AwareDatetime | None = None
    media: list[str] = Field(default_factory=list, max_length=20, description=(
        "Điều 5.2: ids of files the caller uploaded (POST /attachments)"))
    confidential: bool = False
    re_report_of: UUID | None = Field(default=None, description=(
        "Điều 18.4: the caller's own earlier report, published, whose matter is not settled"))


class NoteIn(Body):
    note: str = Field(default="", max_length=2000)


class VerificationIn(Body):
    passed: bool
    note: str = Field(default="", max_length=2000)


class RejectIn(Body):
    reason: Literal["a", "b", "c", "d", "đ", "e"] = Field(description="Điều 6.2 a–e")
    note: str = Field(min_length=1, max_length=2000)


class EscalateIn(Body):
    to_unit_id: UUID
    why: str = Field(min_length=1, max_length=2000)


class AcceptIn(Body):
    handling_unit_id: UUID | None = None
    coordinating_unit_ids: list[UUID] | None = Field(default=None, max_length=20, description=(
        "Điều 8.2.a: the lead unit's head, accepting for his unit, names the units of the same "
        "or equivalent level that are to coordinate (the report is then complex)"))


class CommuneIn(Body):
    commune_id: UUID = Field(description="Điều 8.1.b: a commune under the handling unit")


class CommuneOfficerIn(Body):
    officer_id: UUID = Field(description="Điều 8.1.c: a handling officer of the commune")


class ClassifyIn(Body):
    urgency: Literal["urgent", "normal", "complex"]


class AssignIn(Body):
    department_id: UUID
    officer_id: UUID


class ReassignIn(Body):
    department_id: UUID
    officer_id: UUID
    reason: str = Field(min_length=1, max_length=2000)


class CoordinationIn(Body):
    unit_ids: list[UUID] = Field(min_length=1, max_length=20)


class ResultIn(Body):
    text: str = Field(min_length=1, max_length=10000)
    evidence: list[str] = Field(default_factory=list, max_length=50, description=(
        "ids of files uploaded by the caller or his unit (POST /attachments)"))


class ResultUpdateIn(Body):
    """Điều 12.2: the approved result, updated on the system with evidence attached."""

    evidence: list[str] = Field(max_length=50, description="at least one attachment proving "
                                "the handling (Điều 12.2): ids of files uploaded by the "
                                "caller or his unit (POST /attachments)")
    text: str | None = Field(default=None, min_length=1, max_length=10000,
                             description="the result as carried out; omitted: the approved "
                                         "content")


class ReasonIn(Body):
    reason: str = Field(min_length=1, max_length=2000)


class ExtensionIn(Body):
    working_days: int = Field(ge=1, le=30)
    reason: str = Field(min_length=1, max_length=2000)


class QuestionIn(Body):
    question: str = Field(min_length=1, max_length=2000)


class AnswerIn(Body):
    answer: str = Field(min_length=1, max_length=5000)
    evidence: list[str] = Field(default_factory=list, max_length=50, description=(
        "files sent with the answer (Điều 13): ids of files uploaded by the caller or his "
        "unit (POST /attachments)"))


class RatingIn(Body):
    rating: Literal["satisfied", "acceptable", "unsatisfied"]
    comment: str = Field(default="", max_length=2000)


class MatterLinkIn(Body):
    earlier_report_id: UUID


class DuplicateIn(Body):
    original_id: UUID


class HidingIn(Body):
    target: Literal["report", "rating_comment"]
    reason: str = Field(min_length=1, max_length=2000)


class RedactionIn(Body):
    field: Literal["text", "rating_comment"]
    redacted: str = Field(max_length=5000, description="the text as the public sees it")
    reason: str = Field(min_length=1, max_length=2000)


SERVICE_YEARS = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))


def within_service_years(value: datetime) -> datetime:
    """An alert's validity lies in this century: an instant near year 1 or 9999 with an extreme
    UTC offset is stored by PostgreSQL but cannot be read back into Python, which would break
    every alert query reaching it."""
    if not SERVICE_YEARS[0] <= value < SERVICE_YEARS[1]:
        raise ValueError("the instant must lie between 2000 and 2099")
    return value


ServiceInstant = Annotated[AwareDatetime, AfterValidator(within_service_years)]


def in_business_time(value: datetime) -> str:
    """Issue 11 item 7: every instant the API answers in one ISO 8601 form, the offset of
    Asia/Ho_Chi_Minh (+07:00, no daylight saving), as the read models answer it
    (``api.app``: the read connections' session time zone) and the CSV export writes it."""
    return value.astimezone(BUSINESS_TZ).isoformat()


Instant = Annotated[datetime, PlainSerializer(in_business_time, return_type=str,
                                              when_used="json")]


class AlertContent(Body):
    severity: Literal["low", "medium", "high"]
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=10000)
    valid_from: ServiceInstant
    valid_until: ServiceInstant


class AlertIn(AlertContent):
    category: Literal["information", "warning"]
    resend_of: UUID | None = Field(default=None, description="an alert sent earlier, by this "
                                   "unit or another (never by a unit above: Điều 16.2, 17.2)")


class UnitIn(Body):
    name: str = Field(min_length=1, max_length=300)
    level: Literal["city", "service_centre", "department", "district", "commune", "division",
                   "enterprise"]
    parent_id: UUID | None = None
    code: str = Field(default="", max_length=40)


class AdoptionFiguresIn(Body):
    """Seed 003 annex: a unit's figures for a round (residents: those of its own area, none
    for a unit that has none, such as a division)."""

    round: int
    staff_total: int
    staff_installed: int
    residents_total: int = 0
    residents_with_smartphone: int = 0
    residents_installed: int = 0


class AdoptionEntered(BaseModel):
    """The unit's adoption progress after the entry: its id and version, and the round's
    latest entry — which one it is (2 and more: a correction), its due and whether it was on
    time (a replay answers the round as it stands now)."""

    id: UUID
    version: int
    replayed: bool = False
    unit_id: UUID
    round: int
    entry: int
    due: Instant
    on_time: bool


class PartnerIn(Body):
    """Điều 28.1: an application to let use Open311 (its name, as the administrator knows it)."""

    name: str = Field(min_length=1, max_length=200)


class RenameIn(Body):
    name: str = Field(min_length=1, max_length=300)


class MoveIn(Body):
    parent_id: UUID


class MergeIn(Body):
    into_id: UUID


class OfficerIn(Body):
    name: str = Field(min_length=1, max_length=300)
    unit_id: UUID
    role: Literal["receiving_officer", "handling_officer", "unit_head", "inspector",
                  "administrator"]


class TransferIn(Body):
    unit_id: UUID
    role: Literal["receiving_officer", "handling_officer", "unit_head", "inspector",
                  "administrator"]


class HomeWardIn(Body):
    ward_id: UUID = Field(description="a commune-level unit (xã, phường, thị trấn), Điều 17")


class NotificationPreferencesIn(Body):
    channels: list[Literal["email", "webhook"]] = Field(
        max_length=2, description="extra channels besides the in-app notice (always sent)")
    email: str | None = Field(default=None, max_length=200, pattern=r"^[^@\s]+@[^@\s]+$",
                              description="a citizen's defaults to the one he registered")
    webhook_url: str | None = Field(default=None, max_length=2000,
                                    pattern=r"^https?://[^\s]+$")


class NotificationPreferencesState(BaseModel):
    """The caller's channels as recorded; webhooks are signed per Standard Webhooks."""

    model_config = ConfigDict(extra="forbid")
    channels: list[Literal["email", "webhook"]]
    email: str | None
    webhook_url: str | None
    version: int
    replayed: bool = False


class AttachmentState(BaseModel):
    """Điều 5.2, 12.2: an uploaded file; reference it by ``id``."""

    id: UUID
    sha256: str
    content_type: str
    size: int
    file_name: str | None
    uploaded_at: Instant
    has_thumbnail: bool
    replayed: bool = False


class Created(BaseModel):
    id: UUID
    version: int
    replayed: bool = False


class PartnerKey(Created):
    """The partner application and its ``api_key``: shown this once, only its SHA-256 kept."""

    api_key: str


class ReportState(BaseModel):
    """A report as the write side holds it right after the command."""

    id: UUID
    version: int
    replayed: bool = False
    kind: str
    status: str
    stage: str | None
    stage_due: Instant | None
    receiving_unit_id: UUID
    handling_unit_id: UUID | None
    officer_id: str | None
    urgency: str | None
    rating: str | None
    clarification_due: Instant | None


class AlertState(BaseModel):
    """An alert as the write side holds it right after the command."""

    id: UUID
    version: int
    replayed: bool = False
    unit_id: UUID
    unit_level: str
    category: str
    severity: str
    title: str
    body: str
    valid_from: Instant
    valid_until: Instant
    resend_of: UUID | None
    status: str


class Problem(BaseModel):
    """RFC 9457 problem details; ``rule`` names the article of the regulation broken."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    rule: str | None = None
    errors: list[dict[str, Any]] | None = None
    locked_until: str | None = None
