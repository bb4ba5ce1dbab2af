"""``report_status``: the full current state of every report, for staff (Điều 7, 8, 12, 13).

One row per report: kind, content, place, the reporter's account id (never his identity: that
stays encrypted in the event store, Điều 4.4, 14.1, and the API reads it from there for those
Điều 5.7 allows), receiving and handling units, officer, status, the current stage with its
due instant and responsible unit, and the open clarification if any.

Matters and duplicates (issue 7; Điều 6.2.c, 18.4): the report's matter (its first report's
id), the earlier report it repeats, and the open report it duplicates while marked so.
Moderation (Điều 4.4, 14.1): ``text`` and ``rating_comment`` keep the originals, for moderators
and Home Affairs inspectors; ``redacted_text`` / ``redacted_rating_comment`` hold what the public
sees instead, ``hidden`` / ``rating_comment_hidden`` what it does not see at all.
:func:`public_summaries` serves only the public versions.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg.types.json import Jsonb

from domain.personal_data import scrub
from domain.report import Report, StageRecord
from projections.engine import ReadModel, rerouted
from projections.paging import decode_cursor, keyset, page
from projections.text_search import document, ranked, search_rows

model = ReadModel("report_status", tables=("report_status",))

_STAGE_COLUMNS = "stage = %s, stage_unit_id = %s, stage_officer_id = %s, stage_due = %s"


def _stage(stage: StageRecord | None) -> tuple[Any, ...]:
    if stage is None:
        return (None, None, None, None)
    return (stage.stage, stage.unit_id, stage.officer_id, stage.due)


def _opened(e: Report.Event) -> StageRecord:
    """The one stage the event opened."""
    (stage,) = e.opened
    return stage


def _update(cur: psycopg.Cursor[Any], e: Any, assignments: str, *values: Any) -> None:
    cur.execute(f"UPDATE report_status SET {assignments}, version = %s, updated_at = %s "
                f"WHERE report_id = %s", (*values, e.originator_version, e.at, e.originator_id))


@model.on(Report.Submitted)
def _submitted(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    cur.execute(
        "INSERT INTO report_status (report_id, kind, category, text, latitude, longitude,"
        " address, media, confidential, reporter_id, receiving_unit_id, status,"
        " stage, stage_unit_id, stage_officer_id, stage_due, submitted_at, updated_at, version,"
        " matter_id, re_report_of)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'received',"
        " %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (e.originator_id, e.kind, e.category, e.text, e.location["latitude"],
         e.location["longitude"], e.location["address"], Jsonb(e.media), e.confidential,
         e.reporter_id, e.receiving_unit_id, *_stage(_opened(e)), e.at, e.at,
         e.originator_version, e.matter_id or e.originator_id, e.re_report_of))


@model.on(Report.VerificationStarted)
def _verification_started(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _update(cur, e, "verification_due = %s", _opened(e).due)


@model.on(Report.VerificationCompleted)
def _verification_completed(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _update(cur, e, "verification_due = NULL, failed_verifications = failed_verifications + %s",
            0 if e.passed else 1)


@model.on(Report.Rejected)
def _rejected(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _update(cur, e, f"status = 'rejected', rejection_reason = %s, rejection_note = %s,"
            f" verification_due = NULL, {_STAGE_COLUMNS}", e.reason, e.note, *_stage(None))


@model.on(Report.Escalated)
def _escalated(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _update(cur, e, f"receiving_unit_id = %s, verification_due = NULL, failed_verifications = 0,"
            f" {_STAGE_COLUMNS}", e.to_unit_id, *_stage(_opened(e)))


@model.on(Report.Accepted)
def _accepted(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    status = "in_handling" if _opened(e).stage == "response" else "accepted"
    _update(cur, e, f"status = %s, handling_unit_id = %s, verification_due = NULL,"
            f" {_STAGE_COLUMNS}", status, e.handling_unit_id, *_stage(_opened(e)))


@model.on(Report.Classified)
def _classified(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _update(cur, e, "urgency = %s", e.urgency)


@model.on(Report.Assigned)
def _assigned(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _update(cur, e, f"status = 'in_handling', department_id = %s, officer_id = %s,"
            f" assigned_at = %s, {_STAGE_COLUMNS}", e.department_id, e.officer["id"], e.at,
            *_stage(_opened(e)))


@model.on(Report.CoordinatedToCommune)
def _coordinated_to_commune(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    """Điều 8.1.b: the commune handles; its leader has yet to assign the officer."""
    _update(cur, e, f"status = 'in_handling', department_id = %s, officer_id = NULL,"
            f" assigned_at = %s, {_STAGE_COLUMNS}", e.commune_id, e.at, *_stage(_opened(e)))


@model.on(Report.CommuneOfficerAssigned)
def _commune_officer_assigned(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    """Điều 8.1.c: the commune's leader assigns the officer."""
    _update(cur, e, "officer_id = %s, stage_officer_id = %s", e.officer["id"], e.officer["id"])


@model.on(Report.Reassigned)
def _reassigned(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _update(cur, e, "department_id = %s, officer_id = %s, stage_officer_id = %s",
            e.department_id, e.officer["id"], e.officer["id"])


@model.on(Report.CoordinationRequested)
def _coordination_requested(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    pending = {str(u): False for u in e.unit_ids}
    _update(cur, e, "coordination = coordination || %s", Jsonb(pending))


@model.on(Report.CoordinationContributed)
def _contributed(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _update(cur, e, "coordination = coordination || %s", Jsonb({str(e.unit_id): True}))


@model.on(Report.ExtensionGranted)
def _extended(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _update(cur, e, "stage_due = %s, extensions = extensions + 1", e.due)


@model.on(Report.ResultProposed)
def _proposed(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _update(cur, e, f"status = 'awaiting_approval', result_text = %s, result_evidence = %s,"
            f" {_STAGE_COLUMNS}", e.text, Jsonb(e.evidence), *_stage(_opened(e)))


@model.on(Report.ResultReturned)
def _returned(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _update(cur, e, f"status = 'in_rework', returns = returns + 1, {_STAGE_COLUMNS}",
            *_stage(_opened(e)))


@model.on(Report.ResultApproved)
def _approved(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    """Điều 12.1: approved; the officer's update (Điều 12.2) is the stage now open (approvals
    recorded before that step opened none: the publication stage stays)."""
    if e.opened:
        _update(cur, e, f"status = 'approved', {_STAGE_COLUMNS}", *_stage(_opened(e)))
    else:
        _update(cur, e, "status = 'approved'")


@model.on(Report.ResultUpdated)
def _result_updated(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    """Điều 12.2–12.3: the result with its evidence, awaiting publication (1 working day)."""
    _update(cur, e, f"status = 'result_updated', result_text = %s, result_evidence = %s,"
            f" {_STAGE_COLUMNS}", e.text, Jsonb(e.evidence), *_stage(_opened(e)))


@model.on(Report.Published)
def _published(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _update(cur, e, f"status = 'published', published_at = %s, {_STAGE_COLUMNS}", e.at,
            *_stage(None))


@model.on(Report.InitiativeAnswered)
def _answered(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _update(cur, e, f"status = 'published', published_at = %s, result_text = %s,"
            f" result_evidence = %s, {_STAGE_COLUMNS}", e.at, e.text, Jsonb(e.evidence),
            *_stage(None))


@model.on(Report.ClarificationRequested)
def _clarification_requested(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _update(cur, e, "clarification_due = %s", _opened(e).due)


@model.on(Report.ClarificationAnswered)
def _clarification_answered(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _update(cur, e, "clarification_due = NULL")


@model.on(Report.Rated)
def _rated(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _update(cur, e, "rating = %s, rating_comment = %s", e.rating, e.comment)


@model.on(Report.ViolationMarked)
def _violation(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _update(cur, e, "violation = true")


@model.on(Report.StageDeadlinePassed)
def _deadline_passed(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    """Only the version (a report's ETag): the passed deadline shows in ``overdue``."""
    cur.execute("UPDATE report_status SET version = %s WHERE report_id = %s",
                (e.originator_version, e.originator_id))


@model.on(Report.LinkedToMatter)
def _linked(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    """Điều 18.4: an officer links the report to an earlier report's matter."""
    _update(cur, e, "matter_id = %s, re_report_of = %s", e.matter_id, e.earlier_report_id)


@model.on(Report.MarkedDuplicate)
def _marked_duplicate(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    """Điều 6.2.c: closed with a pointer to the original; no stage is open."""
    _update(cur, e, f"status = 'duplicate', duplicate_of = %s, verification_due = NULL,"
            f" {_STAGE_COLUMNS}", e.original_id, *_stage(None))


@model.on(Report.DuplicateUnmarked)
def _duplicate_unmarked(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    """Back to the status and stages it had, with their recorded due instants."""
    verification = e.restored["verification"]
    _update(cur, e, f"status = %s, duplicate_of = NULL, verification_due = %s, {_STAGE_COLUMNS}",
            e.restored["status"], verification.due if verification else None,
            *_stage(e.restored["stage"]))


@model.on(Report.Rerouted)
def _rerouted(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    """Điều 28.1: every reference to the merged unit names its successor; its coordination
    entry becomes the successor's (as the event settles it)."""
    cur.execute(
        f"UPDATE report_status SET"
        f" {rerouted('receiving_unit_id', 'handling_unit_id', 'department_id', 'stage_unit_id')},"
        f" coordination = CASE WHEN %(entry)s::boolean IS NULL THEN coordination"
        f" ELSE coordination - %(old)s || jsonb_build_object(%(new)s::text, %(entry)s::boolean)"
        f" END, version = %(version)s, updated_at = %(at)s WHERE report_id = %(report)s",
        {"from": e.from_unit_id, "to": e.to_unit_id, "old": str(e.from_unit_id),
         "new": str(e.to_unit_id), "entry": e.coordination, "version": e.originator_version,
         "at": e.at, "report": e.originator_id})


@model.on(Report.Hidden)
def _hidden(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    """Điều 14.1: hidden from public view (the report, or its rating comment)."""
    column = "hidden" if e.target == "report" else "rating_comment_hidden"
    _update(cur, e, f"{column} = true")


@model.on(Report.Redacted)
def _redacted(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    """Điều 4.4, 14.1: the public version of the text or comment; the original stays."""
    column = "redacted_text" if e.field == "text" else "redacted_rating_comment"
    _update(cur, e, f"{column} = %s", e.redacted)


# Queries --------------------------------------------------------------------------------

COLUMNS = ("report_id, kind, category, text, latitude, longitude, address, media, confidential,"
           " reporter_id, receiving_unit_id, handling_unit_id, department_id,"
           " officer_id, status, urgency, stage, stage_unit_id, stage_officer_id, stage_due,"
           " verification_due, clarification_due, coordination, result_text, result_evidence,"
           " rating, rating_comment, violation, submitted_at, assigned_at, published_at,"
           " updated_at, version, matter_id, re_report_of, duplicate_of, hidden,"
           " rating_comment_hidden, redacted_text, redacted_rating_comment")


def get(conn: psycopg.Connection[Any], report_id: Any) -> dict[str, Any] | None:
    """One report's current state, by primary key."""
    with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        return cur.execute(f"SELECT {COLUMNS} FROM report_status WHERE report_id = %s",
                           (report_id,)).fetchone()


SORTS = {"-submitted_at": "submitted_at", "submitted_at": "submitted_at",
         "-updated_at": "updated_at", "updated_at": "updated_at"}
"""Orders of the staff list: by submission or by last change, newest (``-``) or oldest first."""


def search(conn: psycopg.Connection[Any], *, units: set[Any] | None = None,
           unit_id: Any = None, kind: str | None = None, status: str | None = None,
           category: str | None = None, submitted_from: datetime | None = None,
           submitted_to: datetime | None = None,
           area: str | None = None, cursor: str | None = None, limit: int = 20,
           sort: str = "-submitted_at", q: str | None = None
           ) -> tuple[list[dict[str, Any]], str | None]:
    """Reports in ``sort`` order (one of :data:`SORTS`; newest first by default); ``units``
    limits to reports concerning those units (None: all); returns one page and the cursor of
    the next (None on the last page). With ``q``: only the reports whose :data:`DOCUMENT`
    holds every word of ``q`` (diacritics and case ignored), best match first (``sort`` does
    not apply; :mod:`projections.text_search`)."""
    column, direction, beyond, tag = keyset("report_status", sort, SORTS)
    concerning = ("(receiving_unit_id = ANY(%(units)s) OR handling_unit_id = ANY(%(units)s)"
                  " OR department_id = ANY(%(units)s)"
                  " OR coordination ?| %(unit_texts)s::text[])")
    filters = {
        concerning: units,
        "(receiving_unit_id = %(unit)s OR handling_unit_id = %(unit)s"
        " OR department_id = %(unit)s)": unit_id,
        "kind = %(kind)s": kind, "status = %(status)s": status,
        "category = %(category)s": category,
        "submitted_at >= %(since)s": submitted_from, "submitted_at < %(until)s": submitted_to,
        "address ILIKE %(area)s": area,
    }
    where = [condition for condition, value in filters.items() if value is not None]
    params: dict[str, Any] = {
        "units": list(units or []), "unit_texts": [str(u) for u in units or []],
        "unit": unit_id, "kind": kind, "status": status, "category": category,
        "since": submitted_from, "until": submitted_to, "area": f"%{area}%" if area else None,
        "limit": limit + 1}
    if q is not None:
        return _ranked(conn, where, params, q, cursor, limit)
    if cursor:
        where.append(f"({column}, report_id) {beyond} (%(after_at)s, %(after_id)s)")
        params["after_at"], params["after_id"] = decode_cursor(cursor, tag)
    with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        # Keyset page on (column, report_id); unit indexes serve the filters.
        rows = cur.execute(
            f"SELECT {COLUMNS} FROM report_status WHERE {' AND '.join(where) or 'true'}"
            f" ORDER BY {column} {direction}, report_id {direction} LIMIT %(limit)s",
            params).fetchall()
    return page(rows, limit, tag, column)


#: What staff search matches (issue 13.3): the report's text as the public reads it (a
#: redaction's words are not found), its address and its result; never the reporter, whose
#: identity no read model holds. Indexed (GIN trigram) by the migration 0038, spelt alike, and
#: (GiST, for the order) by 0041sa.
DOCUMENT = document("COALESCE(redacted_text, text)", "address", "result_text")
RANKED = "report_status rank"
"""The order tag of the ranked (``q``) list in cursors."""


def _ranked(conn: psycopg.Connection[Any], where: list[str], params: dict[str, Any], q: str,
            cursor: str | None, limit: int) -> tuple[list[dict[str, Any]], str | None]:
    """The page of reports matching ``q`` and ``where``, best first (rank, then report id,
    both descending)."""
    rows = search_rows(conn, COLUMNS, "report_status", where, DOCUMENT, "report_id", q, params,
                       RANKED, cursor, limit)
    return ranked(rows, limit, RANKED)


PUBLIC_COLUMNS = ("report_id, kind, category, status, COALESCE(redacted_text, text) AS text,"
                  " receiving_unit_id, handling_unit_id, submitted_at, updated_at, stage_due,"
                  " address, latitude, longitude, media, confidential")
CLOSED = ["published", "rejected"]


def public_summaries(conn: psycopg.Connection[Any], *, report_ids: list[Any] | None = None,
                     submitted_from: datetime | None = None,
                     submitted_to: datetime | None = None, kind: str | None = None,
                     category: str | None = None, closed: bool | None = None,
                     limit: int = 1000, services: list[str] | None = None
                     ) -> list[dict[str, Any]]:
    """Non-personal columns only (never the reporter), newest first: for Open311. A hidden
    report is left out, a redacted text shows redacted (Điều 14.1) and phone numbers, e-mail
    addresses and ID numbers in the text and place are masked (Điều 4.4). ``services``: any
    of these ``kind.category`` codes."""
    filters = {"NOT hidden": True, "report_id = ANY(%(ids)s)": report_ids,
               "submitted_at >= %(since)s": submitted_from,
               "submitted_at < %(until)s": submitted_to,
               "kind = %(kind)s": kind, "category = %(category)s": category,
               "kind || '.' || category = ANY(%(services)s)": services,
               "status = ANY(%(closed)s)": True if closed else None,
               "status <> ALL(%(closed)s)": True if closed is False else None}
    where = [condition for condition, value in filters.items() if value is not None]
    params = {"ids": report_ids, "since": submitted_from, "until": submitted_to, "kind": kind,
              "category": category, "closed": CLOSED, "limit": limit, "services": services}
    with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        rows = cur.execute(
            f"SELECT {PUBLIC_COLUMNS} FROM report_status WHERE {' AND '.join(where) or 'true'}"
            f" ORDER BY submitted_at DESC LIMIT %(limit)s", params).fetchall()
    # Điều 4.4, 14.1: no phone, e-mail or ID number reaches the public, moderated or not.
    return [{**r, "text": scrub(r["text"]), "address": scrub(r["address"])} for r in rows]


def at_merged_units(conn: psycopg.Connection[Any]) -> list[tuple[UUID, UUID]]:
    """Điều 28.1: (report, unit) for every open report with work left at a unit merged into
    another in a reorganisation — what the successor must take over."""
    # directory_units is the unit_directory read model; merged units are few.
    return conn.execute(
        "SELECT r.report_id, u.unit_id FROM directory_units u JOIN report_status r"
        " ON u.unit_id IN (r.receiving_unit_id, r.handling_unit_id, r.department_id,"
        "                  r.stage_unit_id) OR r.coordination ? u.unit_id::text"
        " WHERE u.merged_into IS NOT NULL"
        "   AND r.status NOT IN ('published', 'rejected', 'duplicate')"
        " ORDER BY r.submitted_at, r.report_id, u.unit_id").fetchall()
