"""``citizen_reports``: a reporter's own reports and where they stand (Điều 7, 8, 12, 13).

One row per report: kind, category, the text, status, the current stage and its due instant
(after publication, an open clarification's), the rejection reason, the result once
published and the rating. A proposed result stays hidden (``proposed_result``) until it is
published (Điều 12.3).

A report marked as a duplicate (Điều 6.2.c) shows status ``duplicate`` and the original it
follows, with the original's result once that is published; unmarked, it is back where it
stood. The reporter sees his own text as he wrote it: redaction is for the public (Điều 14.1).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row

from domain.policy import Stage
from domain.report import Report
from projections.engine import ReadModel
from projections.paging import decode_cursor, page

model = ReadModel("citizen_reports", tables=("citizen_reports",),
                  replay_indexes=("citizen_reports_duplicate_of",))


def _stage(e: Report.Event) -> tuple[Stage, datetime | None]:
    """The stage the event opened (one) and its due instant."""
    (stage,) = e.opened
    return stage.stage, stage.due


def _update(cur: psycopg.Cursor[Any], e: Any, assignments: str, *values: Any) -> None:
    cur.execute(f"UPDATE citizen_reports SET {assignments}, updated_at = %s WHERE report_id = %s",
                (*values, e.at, e.originator_id))


@model.on(Report.Submitted)
def _submitted(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    cur.execute(
        "INSERT INTO citizen_reports (report_id, reporter_id, kind, category, summary, status,"
        " stage, stage_due, submitted_at, updated_at)"
        " VALUES (%s, %s, %s, %s, %s, 'received', %s, %s, %s, %s)",
        (e.originator_id, e.reporter_id, e.kind, e.category, e.text, *_stage(e), e.at, e.at))


@model.on(Report.Escalated)
def _escalated(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _update(cur, e, "stage = %s, stage_due = %s", *_stage(e))


@model.on(Report.Rejected)
def _rejected(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    """Điều 7.2.a: the reporter sees the reason of a refusal."""
    _update(cur, e, "status = 'rejected', rejection_reason = %s, rejection_note = %s,"
            " stage = NULL, stage_due = NULL", e.reason, e.note)


@model.on(Report.Accepted)
def _accepted(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    stage, due = _stage(e)
    status = "in_handling" if stage == "response" else "accepted"
    _update(cur, e, "status = %s, stage = %s, stage_due = %s", status, stage, due)


@model.on(Report.Assigned, Report.CoordinatedToCommune)
def _assigned(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _update(cur, e, "status = 'in_handling', stage = %s, stage_due = %s", *_stage(e))


@model.on(Report.ExtensionGranted)
def _extended(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _update(cur, e, "stage_due = %s", e.due)


@model.on(Report.ResultProposed)
def _proposed(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _update(cur, e, "status = 'awaiting_approval', proposed_result = %s, stage = %s,"
            " stage_due = %s", e.text, *_stage(e))


@model.on(Report.ResultReturned)
def _returned(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _update(cur, e, "status = 'in_rework', stage = %s, stage_due = %s", *_stage(e))


@model.on(Report.ResultApproved)
def _approved(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    if e.opened:  # Điều 12.2: the officer now updates the result
        _update(cur, e, "status = 'approved', stage = %s, stage_due = %s", *_stage(e))
    else:
        _update(cur, e, "status = 'approved'")


@model.on(Report.ResultUpdated)
def _result_updated(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    """Điều 12.2–12.3: the updated result is what will be published."""
    _update(cur, e, "status = 'result_updated', proposed_result = %s, stage = %s,"
            " stage_due = %s", e.text, *_stage(e))


def _to_duplicates(cur: psycopg.Cursor[Any], report_id: UUID) -> None:
    """Điều 6.2.c: the reporters of the duplicates follow the original's result."""
    cur.execute("UPDATE citizen_reports d SET original_result_text = o.result_text,"
                " original_published_at = o.published_at FROM citizen_reports o"
                " WHERE o.report_id = %s AND d.duplicate_of = o.report_id", (report_id,))


@model.on(Report.Published)
def _published(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _update(cur, e, "status = 'published', published_at = %s, result_text = proposed_result,"
            " stage = NULL, stage_due = NULL", e.at)
    _to_duplicates(cur, e.originator_id)


@model.on(Report.InitiativeAnswered)
def _answered(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _update(cur, e, "status = 'published', published_at = %s, proposed_result = %s,"
            " result_text = %s, stage = NULL, stage_due = NULL", e.at, e.text, e.text)
    _to_duplicates(cur, e.originator_id)


@model.on(Report.MarkedDuplicate)
def _marked_duplicate(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    """Điều 6.2.c: closed with a pointer; the original's result if already published."""
    _update(cur, e, "status = 'duplicate', stage = NULL, stage_due = NULL, duplicate_of = %s",
            e.original_id)
    _to_duplicates(cur, e.original_id)


@model.on(Report.DuplicateUnmarked)
def _duplicate_unmarked(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    """Back to the status and stage it had, with the recorded due instant."""
    stage = e.restored["stage"]
    _update(cur, e, "status = %s, stage = %s, stage_due = %s, duplicate_of = NULL,"
            " original_result_text = NULL, original_published_at = NULL", e.restored["status"],
            stage.stage if stage else None, stage.due if stage else None)


@model.on(Report.ClarificationRequested)
def _clarification_requested(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _update(cur, e, "stage = %s, stage_due = %s", *_stage(e))


@model.on(Report.ClarificationAnswered)
def _clarification_answered(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _update(cur, e, "stage = NULL, stage_due = NULL, clarification_answer = %s", e.answer)


@model.on(Report.Rated)
def _rated(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _update(cur, e, "rating = %s", e.rating)


# Queries --------------------------------------------------------------------------------

COLUMNS = ("report_id, kind, category, summary, status, stage, stage_due, rejection_reason,"
           " rejection_note, result_text, clarification_answer, rating, submitted_at,"
           " updated_at, published_at, duplicate_of, original_result_text,"
           " original_published_at")


ORDER = "citizen_reports -submitted_at"
"""The tag of the reporter's list in cursors (its one order: newest first)."""


def of_reporter(conn: psycopg.Connection[Any], reporter_id: UUID, cursor: str | None = None,
                limit: int = 20) -> tuple[list[dict[str, Any]], str | None]:
    """The reporter's reports, newest first; one page and the cursor of the next (None on the
    last page)."""
    after = "AND (submitted_at, report_id) < (%s, %s)" if cursor else ""
    params = (reporter_id, *(decode_cursor(cursor, ORDER) if cursor else ()), limit + 1)
    with conn.cursor(row_factory=dict_row) as cur:
        # Keyset page on (submitted_at, report_id) descending within the reporter's index range.
        rows = cur.execute(
            f"SELECT {COLUMNS} FROM citizen_reports WHERE reporter_id = %s {after}"
            f" ORDER BY submitted_at DESC, report_id DESC LIMIT %s", params).fetchall()
    return page(rows, limit, ORDER, "submitted_at")
