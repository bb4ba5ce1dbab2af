"""Command endpoints: HTTP in, one message of :mod:`application.commands` out (built from the
request body), the new state and version back.

``Idempotency-Key`` makes a retried request apply once; ``If-Match: "<version>"`` makes a
command on a report (or an alert, unit or officer) fail with 412 when it has another version
(someone else changed it first; RFC 9110 §13.1.1), ``If-Match: *`` matches any version.
Every command's answer carries ``X-Store-Position`` and ``Location`` (:mod:`api.consistency`:
a query given that position reads what the command wrote).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from typing import Annotated, Any, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate
from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse

from api import schemas as s
from api.access import (
    acting_as,
    check_may_command,
    check_works_on_reports,
    may_see,
    may_see_alert,
)
from api.auth import Caller, requires
from api.consistency import etag, written
from api.errors import PreconditionFailed
from application import commands as c
from application.services import CommandResult, ConflictError, IHanoi, NotFound, check_home_ward
from domain.actors import Actor, Role
from domain.alert import Alert
from domain.preferences import NotificationPreferences
from domain.report import Report
from domain.units import Unit

router = APIRouter()
A = TypeVar("A", bound=Aggregate)


class CommandRequest:
    """The context of one command request: caller, idempotency key and expected version."""

    def __init__(self, request: Request, caller: Caller,
                 idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
                 if_match: Annotated[str | None, Header(max_length=40)] = None) -> None:
        check_may_command(caller)  # Điều 24: before anything is looked up
        self.request = request
        self.app: IHanoi = request.app.state.runtime.app
        self.caller = caller
        self.command_id = f"{caller.subject}:{idempotency_key}" if idempotency_key else None
        self.if_match = if_match
        self.expected_version = _version(if_match)

    @property
    def actor(self) -> Actor:
        """The caller as the domain sees him, resolved once per request."""
        return acting_as(self.request, self.caller)

    def visible(self, report_id: UUID) -> None:
        """Refuse a report the caller may not see: 404, never a leak."""
        check_works_on_reports(self.caller)
        report = self.app.load(report_id, Report, to_change=False)
        if not may_see(self.caller, _scope_row(report)):
            raise NotFound(f"no report {report_id}")

    def on_report(self, command: c.ReportCommand, naming: Iterable[UUID] = ()) -> JSONResponse:
        """Run ``command`` on a visible report; the other reports it is ``naming`` must be
        visible to the caller too."""
        self.visible(command.report_id)
        for other in naming:
            self.visible(other)
        return _report_response(self.app, self.send(command),
                                to_citizen=self.caller.role == Role.CITIZEN)

    def on_alert(self, command: c.AlertCommand) -> JSONResponse:
        """Run ``command`` on an alert of the caller's unit (else 404)."""
        alert = self.app.load(command.alert_id, Alert, to_change=False)
        if not may_see_alert(self.caller, alert.unit_id):
            raise NotFound(f"no alert {command.alert_id}")
        return _alert_response(self.app, self.send(command))

    def run(self, command: c.Command, creates: bool = False) -> JSONResponse:
        """Run a directory command; 201 when it ``creates`` something (unless replayed)."""
        result = self.send(command)
        body = s.Created(id=result.aggregate_id, version=result.version,
                         replayed=result.replayed)
        status = 201 if creates and not result.replayed else 200
        return JSONResponse(body.model_dump(mode="json"), status_code=status,
                            headers={"ETag": etag(result.version)})

    def send(self, command: c.Command) -> CommandResult:
        """The one path of every command: the caller's actor, the ``Idempotency-Key`` and the
        ``If-Match`` version (compared with the aggregate the command changes, if it exists:
        another version is a 412); the answer then carries the store position after it and
        the URL of what it wrote (:func:`api.consistency.written`)."""
        try:
            # Điều 5.2, 12.2: over HTTP a file is referenced by the id POST /attachments
            # answered, and only by its uploader or his unit (422 otherwise).
            result = self.app.handle(command, self.actor, command_id=self.command_id,
                                     expected_version=self.expected_version,
                                     uploads_required=True)
        except ConflictError as error:
            if self.if_match is None:
                raise
            if self.expected_version == -1:
                raise PreconditionFailed(f"If-Match {self.if_match} is neither a strong entity "
                                         'tag ("<version>") nor *') from None
            raise PreconditionFailed(f"If-Match {self.if_match} does not name the current "
                                     f"version: {error}") from None
        written(self.request, result, location_of(self.app, result.aggregate_id))
        return result


Cmd = Annotated[CommandRequest, Depends()]
_RETRY = "A retry with the same Idempotency-Key, answered from the first (replayed)"
REPLAYED_STATE: dict[int | str, dict[str, Any]] = {
    200: {"model": s.ReportState, "description": _RETRY}}
REPLAYED: dict[int | str, dict[str, Any]] = {200: {"model": s.Created, "description": _RETRY}}
REPLAYED_ALERT: dict[int | str, dict[str, Any]] = {
    200: {"model": s.AlertState, "description": _RETRY}}


def _version(if_match: str | None) -> int | None:
    """The version an ``If-Match`` names: ``*`` any (None); a strong tag ``"<n>"`` that
    number; anything else — a weak tag (If-Match compares strongly), a list, garbage — no
    version at all (-1, so the command fails with 412 as for a stale tag)."""
    if if_match is None or if_match.strip() == "*":
        return None
    tag = if_match.strip()
    if len(tag) < 3 or tag[0] != '"' or tag[-1] != '"' or not tag[1:-1].isdigit():
        return -1
    return int(tag[1:-1])


#: Where each kind of aggregate is read (``Location`` of a command's answer).
LOCATIONS: dict[type[Aggregate], str] = {Report: "/reports/{}", Alert: "/alerts/{}",
                                         Unit: "/public/units/{}"}


def location_of(app: IHanoi, aggregate_id: UUID) -> str | None:
    """The URL of the resource an aggregate is read at, if there is one."""
    aggregate = app.aggregates.cached(aggregate_id)
    if aggregate is None:
        aggregate = app.aggregates.read(aggregate_id).get(aggregate_id)
    pattern = LOCATIONS.get(type(aggregate)) if aggregate is not None else None
    return pattern.format(aggregate_id) if pattern else None


def _scope_row(report: Report) -> dict[str, Any]:
    return {"receiving_unit_id": report.receiving_unit_id,
            "handling_unit_id": report.handling_unit_id,
            "department_id": report.department_id, "coordination": report.coordination,
            "reporter_id": report.reporter_id, "confidential": report.confidential}


def _after(app: IHanoi, result: CommandResult, cls: type[A]) -> A:
    """The aggregate as the command left it: the snapshot it saved, without asking the store
    again; for a replay, as it stands now."""
    snapshot = app.aggregates.cached(result.aggregate_id)
    if isinstance(snapshot, cls) and snapshot.version == result.version:
        return snapshot
    return app.load(result.aggregate_id, cls, to_change=False)


def _report_response(app: IHanoi, result: CommandResult, status: int = 200,
                     to_citizen: bool = False) -> JSONResponse:
    """The report's new state; ``to_citizen`` without what his ``GET`` hides (the officer:
    ``api.access.CITIZEN_HIDDEN``; issue 11 item 7)."""
    report = _after(app, result, Report)
    stage, clarification = report.stage, report.clarification
    state = s.ReportState(
        id=report.id, version=result.version, replayed=result.replayed, kind=report.kind,
        status=report.status, stage=stage.stage if stage else None,
        stage_due=stage.due if stage else None,
        receiving_unit_id=report.receiving_unit_id, handling_unit_id=report.handling_unit_id,
        officer_id=None if to_citizen else report.officer_id, urgency=report.urgency,
        rating=report.rating,
        clarification_due=clarification.due if clarification else None)
    return JSONResponse(state.model_dump(mode="json"), status_code=status,
                        headers={"ETag": etag(result.version)})


def _alert_response(app: IHanoi, result: CommandResult, status: int = 200) -> JSONResponse:
    alert = _after(app, result, Alert)
    state = s.AlertState(
        id=alert.id, version=result.version, replayed=result.replayed, unit_id=alert.unit_id,
        unit_level=alert.unit_level, category=alert.category, severity=alert.severity,
        title=alert.title, body=alert.body, valid_from=alert.valid_from,
        valid_until=alert.valid_until, resend_of=alert.resend_of, status=alert.status)
    return JSONResponse(state.model_dump(mode="json"), status_code=status,
                        headers={"ETag": etag(result.version)})


# ----------------------------------------------------------------- citizens (Điều 5, 13)

@router.post("/reporters", status_code=201, response_model=s.Created, tags=["citizens"])
def register_reporter(body: s.ReporterIn, request: Request) -> s.Created:
    """Register a citizen account with his full identity — citizen ID number, phone and
    e-mail (Điều 5.5; a refusal names what is missing) — encrypted at rest (Điều 4.4, 14.1)."""
    app: IHanoi = request.app.state.runtime.app
    if body.home_ward_id is not None:
        check_home_ward(app, body.home_ward_id)
    result = app.handle(c.RegisterReporter(**body.model_dump(exclude={"home_ward_id"})))
    if body.home_ward_id is not None:
        result = app.handle(c.ChooseHomeWard(body.home_ward_id),
                            app.citizen_actor(result.aggregate_id))  # same account, later
    written(request, result, None)
    return s.Created(id=result.aggregate_id, version=result.version)


@router.post("/me/identity", response_model=s.Created, tags=["citizens"],
             dependencies=[Depends(requires(Role.CITIZEN))])
def update_identity(body: s.IdentityIn, cmd: Cmd) -> JSONResponse:
    """Điều 5.5: the caller completes or corrects his identity (citizen ID number, phone,
    e-mail); an account registered before all three were required completes it here before
    it may report (Điều 6.1.a). Refused while the account is locked (Điều 27.3)."""
    return cmd.run(c.UpdateIdentity(**body.model_dump()))


@router.put("/me/home-ward", response_model=s.Created, tags=["citizens"],
            responses=REPLAYED, dependencies=[Depends(requires(Role.CITIZEN))])
def choose_home_ward(body: s.HomeWardIn, cmd: Cmd) -> JSONResponse:
    """Điều 17: the ward the citizen lives in; alerts sent to an area containing it reach him."""
    return cmd.run(c.ChooseHomeWard(body.ward_id))


@router.put("/me/notification-preferences", response_model=s.NotificationPreferencesState,
            tags=["citizens", "staff"],
            dependencies=[Depends(requires(Role.CITIZEN, Role.RECEIVING_OFFICER,
                                           Role.HANDLING_OFFICER, Role.UNIT_HEAD))])
def set_notification_preferences(body: s.NotificationPreferencesIn, cmd: Cmd) -> JSONResponse:
    """The caller's notification channels besides the in-app notice: ``email`` (to the given
    address, a citizen's registered one by default) and ``webhook`` (a signed POST, Standard
    Webhooks). An empty list leaves the in-app notice only."""
    result = cmd.send(c.SetNotificationPreferences(list(body.channels), body.email,
                                                   body.webhook_url))
    preferences = _after(cmd.app, result, NotificationPreferences)
    state = s.NotificationPreferencesState(
        channels=preferences.channels, email=preferences.email,
        webhook_url=preferences.webhook_url, version=result.version, replayed=result.replayed)
    return JSONResponse(state.model_dump(mode="json"), headers={"ETag": etag(result.version)})


@router.post("/reports", status_code=201, response_model=s.ReportState, tags=["citizens"],
             responses=REPLAYED_STATE, dependencies=[Depends(requires(Role.CITIZEN))])
def submit_report(body: s.ReportIn, cmd: Cmd) -> JSONResponse:
    """Điều 5, 6: submit a report; refused when out of scope (Điều 1.3) or locked (27.3).
    With ``re_report_of`` it is a re-report (Điều 18.4) of one of the caller's own published
    reports: another citizen's report does not exist for him (404)."""
    if body.re_report_of is not None:
        cmd.visible(body.re_report_of)
    result = cmd.send(c.SubmitReport(UUID(cmd.actor.id), **body.model_dump()))
    return _report_response(cmd.app, result, status=200 if result.replayed else 201,
                            to_citizen=True)


@router.post("/reports/{report_id}/clarifications", response_model=s.ReportState,
             tags=["citizens"])
def request_clarification(report_id: UUID, body: s.QuestionIn, cmd: Cmd) -> JSONResponse:
    """Điều 13: ask for clarification within 2 days of the result."""
    return cmd.on_report(c.RequestClarification(report_id, **body.model_dump()))


@router.post("/reports/{report_id}/rating", response_model=s.ReportState, tags=["citizens"])
def rate(report_id: UUID, body: s.RatingIn, cmd: Cmd) -> JSONResponse:
    """Điều 13: rate the published result, once."""
    return cmd.on_report(c.Rate(report_id, **body.model_dump()))


# ----------------------------------------------------------------- reception (Điều 7)

@router.post("/reports/{report_id}/verification", response_model=s.ReportState,
             tags=["reception"])
def start_verification(report_id: UUID, cmd: Cmd) -> JSONResponse:
    """Điều 7.1.b: start verifying unclear information (4 working hours)."""
    return cmd.on_report(c.StartVerification(report_id))


@router.post("/reports/{report_id}/verification/outcome", response_model=s.ReportState,
             tags=["reception"])
def complete_verification(report_id: UUID, body: s.VerificationIn, cmd: Cmd) -> JSONResponse:
    """Điều 7.1.b: record the outcome of the verification."""
    return cmd.on_report(c.CompleteVerification(report_id, **body.model_dump()))


@router.post("/reports/{report_id}/rejection", response_model=s.ReportState,
             tags=["reception"])
def reject(report_id: UUID, body: s.RejectIn, cmd: Cmd) -> JSONResponse:
    """Điều 6.2, 7.2.a: refuse with one of the reasons a–e."""
    return cmd.on_report(c.Reject(report_id, **body.model_dump()))


@router.post("/reports/{report_id}/escalation", response_model=s.ReportState,
             tags=["reception"])
def escalate(report_id: UUID, body: s.EscalateIn, cmd: Cmd) -> JSONResponse:
    """Điều 7.2.c: pass to a higher-level unit (the service centre: to any unit; a district:
    also to the department of the report's field, with the reason, Điều 5.9)."""
    return cmd.on_report(c.Escalate(report_id, **body.model_dump()))


@router.post("/reports/{report_id}/acceptance", response_model=s.ReportState,
             tags=["reception"])
def accept(report_id: UUID, body: s.AcceptIn, cmd: Cmd) -> JSONResponse:
    """Điều 7.2.b: accept and pass to the handling unit; Điều 8.2.a: the lead unit's head may
    name, at the same time, the units of the same or equivalent level that coordinate."""
    return cmd.on_report(c.Accept(report_id, **body.model_dump()))


@router.post("/reports/{report_id}/violation", response_model=s.ReportState,
             tags=["reception"])
def mark_violation(report_id: UUID, body: s.NoteIn, cmd: Cmd) -> JSONResponse:
    """Điều 27.2: the report was untrue or abusive."""
    return cmd.on_report(c.MarkViolation(report_id, **body.model_dump()))


# ----------------------------------------------------------------- handling (Điều 8, 12)

@router.post("/reports/{report_id}/classification", response_model=s.ReportState,
             tags=["handling"])
def classify(report_id: UUID, body: s.ClassifyIn, cmd: Cmd) -> JSONResponse:
    """Điều 8.4: urgent, normal or complex."""
    return cmd.on_report(c.Classify(report_id, **body.model_dump()))


@router.post("/reports/{report_id}/assignment", response_model=s.ReportState,
             tags=["handling"])
def assign(report_id: UUID, body: s.AssignIn, cmd: Cmd) -> JSONResponse:
    """Điều 8.1.b–c: a division of the handling unit and a handling officer there (a commune:
    /commune, then its leader assigns)."""
    return cmd.on_report(c.Assign(report_id, **body.model_dump()))


@router.post("/reports/{report_id}/commune", response_model=s.ReportState, tags=["handling"])
def coordinate_to_commune(report_id: UUID, body: s.CommuneIn, cmd: Cmd) -> JSONResponse:
    """Điều 8.1.b: the head coordinates the report to a commune under his unit (the handling
    period starts); the commune's leader then assigns the officer."""
    return cmd.on_report(c.CoordinateToCommune(report_id, **body.model_dump()))


@router.post("/reports/{report_id}/commune/assignment", response_model=s.ReportState,
             tags=["handling"])
def assign_commune_officer(report_id: UUID, body: s.CommuneOfficerIn, cmd: Cmd) -> JSONResponse:
    """Điều 8.1.c: the commune's leader assigns a commune officer to the report."""
    return cmd.on_report(c.AssignCommuneOfficer(report_id, **body.model_dump()))


@router.post("/reports/{report_id}/reassignment", response_model=s.ReportState,
             tags=["handling"])
def reassign(report_id: UUID, body: s.ReassignIn, cmd: Cmd) -> JSONResponse:
    """Điều 8.1.b–c: another division's officer takes over (not a commune officer: the
    commune's leader assigns him); deadlines unchanged."""
    return cmd.on_report(c.Reassign(report_id, **body.model_dump()))


@router.post("/reports/{report_id}/coordination", response_model=s.ReportState,
             tags=["handling"])
def request_coordination(report_id: UUID, body: s.CoordinationIn, cmd: Cmd) -> JSONResponse:
    """Điều 8.2.a: the lead unit's head asks units of the same or equivalent level to
    coordinate on a complex report (usually with the acceptance, at step 1)."""
    return cmd.on_report(c.RequestCoordination(report_id, **body.model_dump()))


@router.post("/reports/{report_id}/contributions", response_model=s.ReportState,
             tags=["handling"])
def contribute(report_id: UUID, body: s.ResultIn, cmd: Cmd) -> JSONResponse:
    """Điều 8.2.b: a coordinating unit's contribution (attachments: ids of uploads)."""
    return cmd.on_report(c.Contribute(report_id, **body.model_dump()))


@router.post("/reports/{report_id}/extension", response_model=s.ReportState,
             tags=["handling"])
def grant_extension(report_id: UUID, body: s.ExtensionIn, cmd: Cmd) -> JSONResponse:
    """Điều 8.5: extend a complex report, never past 30 working days from assignment."""
    return cmd.on_report(c.GrantExtension(report_id, **body.model_dump()))


@router.post("/reports/{report_id}/result", response_model=s.ReportState, tags=["handling"])
def propose_result(report_id: UUID, body: s.ResultIn, cmd: Cmd) -> JSONResponse:
    """Điều 8.1.d, 12.1: propose the result to the head (attachments optional here: ids of
    uploads)."""
    return cmd.on_report(c.ProposeResult(report_id, **body.model_dump()))


@router.post("/reports/{report_id}/result/return", response_model=s.ReportState,
             tags=["handling"])
def return_result(report_id: UUID, body: s.ReasonIn, cmd: Cmd) -> JSONResponse:
    """Điều 12.1: send the result back for rework (1 working day)."""
    return cmd.on_report(c.ReturnResult(report_id, **body.model_dump()))


@router.post("/reports/{report_id}/result/approval", response_model=s.ReportState,
             tags=["handling"])
def approve_result(report_id: UUID, cmd: Cmd) -> JSONResponse:
    """Điều 12.1: approve the proposed result."""
    return cmd.on_report(c.ApproveResult(report_id))


@router.post("/reports/{report_id}/result/update", response_model=s.ReportState,
             tags=["handling"])
def update_result(report_id: UUID, body: s.ResultUpdateIn, cmd: Cmd) -> JSONResponse:
    """Điều 12.2: the assigned officer updates the approved result, with evidence attached;
    the head then has 1 working day to publish it (Điều 12.3). The evidence: ids of files
    uploaded by the officer or his unit (``POST /attachments``)."""
    return cmd.on_report(c.UpdateResult(report_id, **body.model_dump()))


@router.post("/reports/{report_id}/publication", response_model=s.ReportState,
             tags=["handling"])
def publish(report_id: UUID, cmd: Cmd) -> JSONResponse:
    """Điều 12.3: publish the updated result (the report is resolved)."""
    return cmd.on_report(c.Publish(report_id))


@router.post("/reports/{report_id}/initiative-answer", response_model=s.ReportState,
             tags=["handling"])
def respond_to_initiative(report_id: UUID, body: s.ResultIn, cmd: Cmd) -> JSONResponse:
    """Điều 9: answer a capital initiative (within 30 working days)."""
    return cmd.on_report(c.RespondToInitiative(report_id, **body.model_dump()))


@router.post("/reports/{report_id}/clarifications/answer", response_model=s.ReportState,
             tags=["handling"])
def answer_clarification(report_id: UUID, body: s.AnswerIn, cmd: Cmd) -> JSONResponse:
    """Điều 13: answer the reporter's question within 2 working days."""
    return cmd.on_report(c.AnswerClarification(report_id, **body.model_dump()))


# ----------------------------------------------------------------- matters (Điều 6.2.c, 18.4)

@router.post("/reports/{report_id}/matter", response_model=s.ReportState, tags=["matters"])
def link_to_matter(report_id: UUID, body: s.MatterLinkIn, cmd: Cmd) -> JSONResponse:
    """Điều 18.4: the report is the same problem as an earlier one (which the caller must be
    able to see): it joins that report's matter."""
    return cmd.on_report(c.LinkToMatter(report_id, **body.model_dump()),
                         naming=[body.earlier_report_id])


@router.post("/reports/{report_id}/duplicate", response_model=s.ReportState, tags=["matters"])
def mark_duplicate(report_id: UUID, body: s.DuplicateIn, cmd: Cmd) -> JSONResponse:
    """Điều 6.2.c: the same problem is already open from another reporter (an original the
    caller can see); the report closes and its reporter follows the original's result."""
    return cmd.on_report(c.MarkDuplicate(report_id, **body.model_dump()),
                         naming=[body.original_id])


@router.post("/reports/{report_id}/duplicate/reversal", response_model=s.ReportState,
             tags=["matters"])
def unmark_duplicate(report_id: UUID, body: s.ReasonIn, cmd: Cmd) -> JSONResponse:
    """Điều 6.2.c: the unit head reverses a duplicate marking; the report is back where it
    stood, with the due instants it had."""
    return cmd.on_report(c.UnmarkDuplicate(report_id, **body.model_dump()))


# ----------------------------------------------------------------- moderation (Điều 4.4, 14.1)

@router.post("/reports/{report_id}/hiding", response_model=s.ReportState, tags=["moderation"])
def hide(report_id: UUID, body: s.HidingIn, cmd: Cmd) -> JSONResponse:
    """Điều 14.1: the responsible unit's head hides the report or its rating comment from
    public view, for good."""
    return cmd.on_report(c.Hide(report_id, **body.model_dump()))


@router.post("/reports/{report_id}/redaction", response_model=s.ReportState,
             tags=["moderation"])
def redact(report_id: UUID, body: s.RedactionIn, cmd: Cmd) -> JSONResponse:
    """Điều 4.4, 14.1: the responsible unit's head replaces personal data in the text or the
    rating comment; the public sees the redacted version, the original stays in the record."""
    return cmd.on_report(c.Redact(report_id, **body.model_dump()))


# ----------------------------------------------------------------- alerts (Chương III)

AlertStaff = Depends(requires(Role.RECEIVING_OFFICER, Role.HANDLING_OFFICER, Role.UNIT_HEAD,
                              Role.INSPECTOR))


@router.post("/alerts", status_code=201, response_model=s.AlertState, tags=["alerts"],
             responses=REPLAYED_ALERT, dependencies=[AlertStaff])
def draft_alert(body: s.AlertIn, cmd: Cmd) -> JSONResponse:
    """Điều 15–17: an officer of a department or unit under the city (to the whole city), of a
    district or of a commune (to its residents) drafts an alert; a district or commune may not
    send what a higher level created, as a declared re-send or with the same title and body
    (Điều 16.2, 17.2). A re-sent alert must be one sent already, or one of the caller's unit."""
    if body.resend_of is not None:
        original = cmd.app.load(body.resend_of, Alert, to_change=False)
        if original.status != "sent" and not may_see_alert(cmd.caller, original.unit_id):
            raise NotFound(f"no alert {body.resend_of}")
    result = cmd.send(c.DraftAlert(**body.model_dump()))
    return _alert_response(cmd.app, result, status=200 if result.replayed else 201)


@router.post("/alerts/{alert_id}/edit", response_model=s.AlertState, tags=["alerts"],
             dependencies=[AlertStaff])
def edit_alert(alert_id: UUID, body: s.AlertContent, cmd: Cmd) -> JSONResponse:
    """Điều 15–17: the unit's staff edit a draft."""
    return cmd.on_alert(c.EditAlert(alert_id, **body.model_dump()))


@router.post("/alerts/{alert_id}/approval", response_model=s.AlertState, tags=["alerts"],
             dependencies=[AlertStaff])
def approve_alert(alert_id: UUID, cmd: Cmd) -> JSONResponse:
    """Điều 15–17: the unit's head approves the draft."""
    return cmd.on_alert(c.ApproveAlert(alert_id))


@router.post("/alerts/{alert_id}/sending", response_model=s.AlertState, tags=["alerts"],
             dependencies=[AlertStaff])
def send_alert(alert_id: UUID, cmd: Cmd) -> JSONResponse:
    """Điều 15–17: send the approved alert to the residents of the unit's area."""
    return cmd.on_alert(c.SendAlert(alert_id))


# ----------------------------------------------------------------- directory (Điều 25, 28.1)

Admin = Depends(requires(Role.ADMINISTRATOR))


@router.post("/units", status_code=201, response_model=s.Created, tags=["directory"],
             responses=REPLAYED, dependencies=[Admin])
def create_unit(body: s.UnitIn, cmd: Cmd) -> JSONResponse:
    """Create a unit anywhere in the tree."""
    return cmd.run(c.CreateUnit(**body.model_dump()), creates=True)


@router.post("/units/{unit_id}/name", response_model=s.Created, tags=["directory"],
             dependencies=[Admin])
def rename_unit(unit_id: UUID, body: s.RenameIn, cmd: Cmd) -> JSONResponse:
    return cmd.run(c.RenameUnit(unit_id, **body.model_dump()))


@router.post("/units/{unit_id}/parent", response_model=s.Created, tags=["directory"],
             dependencies=[Admin])
def move_unit(unit_id: UUID, body: s.MoveIn, cmd: Cmd) -> JSONResponse:
    return cmd.run(c.MoveUnit(unit_id, new_parent_id=body.parent_id))


@router.post("/units/{unit_id}/merger", response_model=s.Created, tags=["directory"],
             dependencies=[Admin])
def merge_unit(unit_id: UUID, body: s.MergeIn, cmd: Cmd) -> JSONResponse:
    return cmd.run(c.MergeUnit(unit_id, **body.model_dump()))


@router.post("/units/{unit_id}/dissolution", response_model=s.Created, tags=["directory"],
             dependencies=[Admin])
def dissolve_unit(unit_id: UUID, cmd: Cmd) -> JSONResponse:
    return cmd.run(c.DissolveUnit(unit_id))


@router.post("/officers", status_code=201, response_model=s.Created, tags=["directory"],
             responses=REPLAYED, dependencies=[Admin])
def appoint_officer(body: s.OfficerIn, cmd: Cmd) -> JSONResponse:
    return cmd.run(c.AppointOfficer(**body.model_dump()), creates=True)


@router.post("/officers/{officer_id}/transfer", response_model=s.Created, tags=["directory"],
             dependencies=[Admin])
def transfer_officer(officer_id: UUID, body: s.TransferIn, cmd: Cmd) -> JSONResponse:
    return cmd.run(c.TransferOfficer(officer_id, **body.model_dump()))


@router.post("/officers/{officer_id}/dismissal", response_model=s.Created, tags=["directory"],
             dependencies=[Admin])
def dismiss_officer(officer_id: UUID, cmd: Cmd) -> JSONResponse:
    return cmd.run(c.DismissOfficer(officer_id))


# ----------------------------------------------------------------- Open311 partners (Điều 28.1)

@router.post("/partner-applications", status_code=201, response_model=s.PartnerKey,
             tags=["directory"], dependencies=[Admin])
def issue_partner_key(body: s.PartnerIn, cmd: Cmd) -> JSONResponse:
    """Issue an Open311 ``api_key`` to a partner application: ``<id>.<secret>``, answered
    this once; only its SHA-256 is recorded."""
    secret = secrets.token_urlsafe(32)
    key_hash = hashlib.sha256(secret.encode()).hexdigest()
    result = cmd.send(c.IssuePartnerKey(body.name, key_hash))
    answer = s.PartnerKey(id=result.aggregate_id, version=result.version,
                          replayed=result.replayed, api_key=f"{result.aggregate_id}.{secret}")
    return JSONResponse(answer.model_dump(mode="json"), status_code=201,
                        headers={"ETag": etag(result.version)})


@router.post("/partner-applications/{partner_id}/revocation", response_model=s.Created,
             tags=["directory"], dependencies=[Admin])
def revoke_partner_key(partner_id: UUID, cmd: Cmd) -> JSONResponse:
    """Revoke a partner application's ``api_key``: Open311 refuses it from then on (403)."""
    return cmd.run(c.RevokePartnerKey(partner_id))
