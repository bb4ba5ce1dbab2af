"""Who may see which report: role and unit scope (issue: cross-unit access is a 404).

- a citizen: his own reports;
- an officer or unit head: reports his unit receives, handles (or whose division or commune
  handles them) or coordinates;
- the city service centre (Điều 18): city-wide;
- a Home Affairs inspector (Điều 22): everything, read-only;
- the city inspectorate (Thanh tra Thành phố, Điều 24): waste-behaviour reports city-wide, with
  their results, matters and audit trail, read-only; every command is refused (403, Điều 24);
- an administrator: the directory and policy, not reports.

A confidential reporter's identity (Điều 5.7) is shown only to the reporter and to officers of
the units handling the report. The identity is not in any read model: it is decrypted from the
event store (``IHanoi.reporters``) for those who may see it, and minimised (Điều 4.4): the
e-mail and citizen ID only for the reporter and the staff of the units the report is with
(receiving, handling, division or commune), who verify and answer him (Điều 6.2.đ, 7.1, 13);
other staff (service centre, inspectors, coordinating units) read the name and phone.

Moderation (Điều 4.4, 14.1): where a unit head redacted personal data from a report's text or
rating comment, the original stays visible only to moderators (the head of the unit responsible
for the report) and Home Affairs inspectors — and to the reporter, whose own words they are;
other staff read the redacted version in its place.

Alerts (Chương III, Điều 15–17): an alert is seen, before it reaches residents, by the staff of
its own unit, by the service centre, which manages the channel (Điều 15.2–15.3), and by Home
Affairs inspectors; to everyone else it does not exist (404).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import Request

from api.auth import Principal
from api.errors import Forbidden
from application.services import IHanoi, NotFound
from domain.actors import Actor, Role, UnitLevel
from domain.errors import NotPermitted
from domain.policy import Kind

IDENTITY_FIELDS = ("reporter", "reporter_id")
CITIZEN_HIDDEN = {"officer_id", "stage_officer_id", "coordination"}
REDACTIONS = {"text": "redacted_text", "rating_comment": "redacted_rating_comment"}


def is_city_wide(p: Principal) -> bool:
    """The service centre's staff and Home Affairs inspectors see every report."""
    if p.role == Role.INSPECTOR:
        return True
    return p.is_staff and p.unit_level == UnitLevel.SERVICE_CENTRE


INSPECTORATE_KIND = Kind.WASTE
INSPECTORATE_DETAIL = "the city inspectorate reads waste-behaviour reports and changes nothing"
INSPECTORATE_READS_ONLY = ("Điều 24", INSPECTORATE_DETAIL)


def is_inspectorate(p: Principal) -> bool:
    """Điều 24: the city inspectorate (Thanh tra Thành phố)."""
    return p.role == Role.CITY_INSPECTOR


def check_may_command(p: Principal) -> None:
    """Điều 24: the city inspectorate sends no command, whatever the target (403)."""
    if is_inspectorate(p):
        raise NotPermitted(*INSPECTORATE_READS_ONLY)


def report_units(row: dict[str, Any]) -> set[UUID]:
    """The units a report concerns: receiving, handling, division and coordinating units."""
    units = {row.get("receiving_unit_id"), row.get("handling_unit_id"), row.get("department_id")}
    units.update(UUID(u) for u in (row.get("coordination") or {}))
    return {u for u in units if u is not None}


def check_works_on_reports(p: Principal) -> None:
    """An administrator keeps the directory and the policy; reports are not his role (403)."""
    if p.role == Role.ADMINISTRATOR:
        raise Forbidden("an administrator manages units, officers and policy, not reports")


def may_see(p: Principal, row: dict[str, Any]) -> bool:
    if p.role == Role.CITIZEN:
        return str(row.get("reporter_id")) == p.subject
    if p.role == Role.ADMINISTRATOR:
        return False
    if is_inspectorate(p):  # Điều 24: every waste-behaviour report, city-wide; nothing else
        return str(row.get("kind")) == INSPECTORATE_KIND
    return p.unit_id in report_units(row) or is_city_wide(p)


def may_see_identity(p: Principal, row: dict[str, Any]) -> bool:
    """Điều 5.7: a confidential identity only to the reporter and the handling units."""
    if p.role == Role.CITIZEN:
        return str(row.get("reporter_id")) == p.subject
    if not row.get("confidential"):
        return p.role != Role.ADMINISTRATOR
    return p.is_staff and p.unit_id in handling_units(row)


def handling_units(row: dict[str, Any]) -> set[Any]:
    """The units a report is with (Điều 5.7 "cơ quan, đơn vị"): receiving, handling and the
    division or commune assigned — not the units only asked to coordinate."""
    return {row.get("receiving_unit_id"), row.get("handling_unit_id"), row.get("department_id")}


#: Điều 4.4 (data minimisation): what staff who may see a reporter read of his identity.
CONTACT = ("name", "phone")
#: The whole identity (Điều 5.5), for the reporter and the staff working on the report.
IDENTITY = ("name", "phone", "email", "national_id")
#: The roles that work on reports (inspectors and the inspectorate only read them).
WORKING_ROLES = (Role.RECEIVING_OFFICER, Role.HANDLING_OFFICER, Role.UNIT_HEAD)


def identity_shown(p: Principal, row: dict[str, Any]) -> tuple[str, ...]:
    """The parts of the reporter's identity ``p`` reads on ``row``: none unless Điều 5.7
    allows; all of it for the reporter and for the staff of the units the report is with —
    the receiving unit verifies the reporter's identity (Điều 6.2.đ, 7.1), the handling unit
    and its division or commune answer him (Điều 12, 13); only the name and phone, enough to
    contact him, for the other staff who may see him (service centre, inspectors,
    coordinating units, city inspectorate; Điều 4.4)."""
    if not may_see_identity(p, row):
        return ()
    if p.role == Role.CITIZEN or (p.role in WORKING_ROLES and p.unit_id in handling_units(row)):
        return IDENTITY
    return CONTACT


def may_read_originals(p: Principal, row: dict[str, Any]) -> bool:
    """Điều 4.4, 14.1: the text and comment as typed, before a redaction, are for the reporter,
    the report's moderator (the responsible unit's head) and Home Affairs inspectors."""
    if p.role in (Role.CITIZEN, Role.INSPECTOR):
        return True
    responsible = row.get("handling_unit_id") or row.get("receiving_unit_id")
    return p.role == Role.UNIT_HEAD and p.unit_id == responsible


def redact(p: Principal, row: dict[str, Any],
           identity: dict[str, Any] | None = None) -> dict[str, Any]:
    """The row as ``p`` may read it: the reporter's ``identity`` (from the event store) only
    where Điều 5.7 allows and only what his role needs (:func:`identity_shown`); the redacted text
    and comment in place of the originals unless ``p`` may read those (Điều 14.1); and for the
    reporter himself no internal working (officers, coordination) nor a result that is not
    yet published (Điều 12.3)."""
    hidden = set() if may_see_identity(p, row) else set(IDENTITY_FIELDS)
    if p.role == Role.CITIZEN:
        hidden |= CITIZEN_HIDDEN
        if row.get("status") != "published":
            hidden |= {"result_text", "result_evidence"}
    shown = {k: (None if k in hidden else v) for k, v in row.items()}
    parts = identity_shown(p, row) if identity else ()
    shown["reporter"] = ({k: (identity or {}).get(k) if k in parts else None for k in IDENTITY}
                         if parts else None)
    if not may_read_originals(p, row):
        for original, redacted in REDACTIONS.items():
            if row.get(redacted) is not None:
                shown[original] = row[redacted]
    return shown


def may_see_alert(p: Principal, alert_unit_id: UUID) -> bool:
    """Chương III: an alert's own unit's staff, the service centre managing the channel
    (Điều 15.2–15.3) and Home Affairs inspectors (Điều 22)."""
    return is_city_wide(p) or (p.is_staff and p.unit_id == alert_unit_id)


def acting_as(request: Request, p: Principal) -> Actor:
    """The domain actor for a caller, resolved once per request (``request.state.actor``): an
    officer or administrator as the directory held him when his token was checked
    (:mod:`api.auth`), a citizen whose account exists."""
    actor: Actor | None = getattr(request.state, "actor", None)
    if actor is None:
        actor = _actor(request.app.state.runtime.app, p)
        request.state.actor = actor
    return actor


def _actor(app: IHanoi, p: Principal) -> Actor:
    if p.role == Role.CITIZEN:
        return app.citizen_actor(_uuid(p.subject))
    if p.role == Role.INSPECTOR:
        raise NotPermitted("Điều 22", "a Home Affairs inspector reads and changes nothing")
    if is_inspectorate(p):
        raise NotPermitted(*INSPECTORATE_READS_ONLY)
    actor = app.officer_actor(_uuid(p.subject))
    if actor.role != p.role or actor.unit_id != p.unit_id:
        raise NotPermitted("Điều 25", "the token's role or unit no longer matches the "
                           "directory; sign in again")
    return actor


def _uuid(value: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise NotFound(f"no account {value}") from None
