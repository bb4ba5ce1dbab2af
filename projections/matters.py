"""``matters``: the history of a matter — every report of the same problem, oldest first, with
its status, its result once published and its rating (issue 7; Điều 12.3, 13, 18.4).

A report belongs to the matter recorded by its events: its own (its id) when it starts one, the
earlier report's matter when submitted as a re-report of it, or the matter an officer links it
to later (``LinkedToMatter``). A proposed result stays in ``proposed_result`` until it is
published (Điều 12.3). No citizen text and no identity is copied here.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row

from domain.report import Report
from projections.engine import ReadModel, rerouted

model = ReadModel("matters", tables=("matter_reports",))


def _update(cur: psycopg.Cursor[Any], e: Any, assignments: str, *values: Any) -> None:
    cur.execute(f"UPDATE matter_reports SET {assignments} WHERE report_id = %s",
                (*values, e.originator_id))


@model.on(Report.Submitted)
def _submitted(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    cur.execute(
        "INSERT INTO matter_reports (report_id, matter_id, re_report_of, kind, category,"
        " receiving_unit_id, status, submitted_at)"
        " VALUES (%s, %s, %s, %s, %s, %s, 'received', %s)",
        (e.originator_id, e.matter_id or e.originator_id, e.re_report_of, e.kind, e.category,
         e.receiving_unit_id, e.at))


@model.on(Report.LinkedToMatter)
def _linked(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _update(cur, e, "matter_id = %s, re_report_of = %s", e.matter_id, e.earlier_report_id)


@model.on(Report.Escalated)
def _escalated(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _update(cur, e, "receiving_unit_id = %s", e.to_unit_id)


@model.on(Report.Rerouted)
def _rerouted(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    """Điều 28.1: the merged unit's place on the report passes to its successor."""
    cur.execute(f"UPDATE matter_reports SET {rerouted('receiving_unit_id', 'handling_unit_id')}"
                " WHERE report_id = %(report)s",
                {"from": e.from_unit_id, "to": e.to_unit_id, "report": e.originator_id})


@model.on(Report.Rejected)
def _rejected(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _update(cur, e, "status = 'rejected'")


@model.on(Report.Accepted)
def _accepted(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    (opened,) = e.opened
    status = "in_handling" if opened.stage == "response" else "accepted"
    _update(cur, e, "status = %s, handling_unit_id = %s", status, e.handling_unit_id)


@model.on(Report.Assigned, Report.CoordinatedToCommune)
def _assigned(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _update(cur, e, "status = 'in_handling'")


@model.on(Report.ResultProposed)
def _proposed(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _update(cur, e, "status = 'awaiting_approval', proposed_result = %s", e.text)


@model.on(Report.ResultReturned)
def _returned(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _update(cur, e, "status = 'in_rework'")


@model.on(Report.ResultApproved)
def _approved(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _update(cur, e, "status = 'approved'")


@model.on(Report.ResultUpdated)
def _result_updated(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    """Điều 12.2: the updated result is the one published."""
    _update(cur, e, "status = 'result_updated', proposed_result = %s", e.text)


@model.on(Report.Published)
def _published(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _update(cur, e, "status = 'published', result_text = proposed_result, published_at = %s",
            e.at)


@model.on(Report.InitiativeAnswered)
def _answered(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _update(cur, e, "status = 'published', proposed_result = %s, result_text = %s,"
            " published_at = %s", e.text, e.text, e.at)


@model.on(Report.MarkedDuplicate)
def _marked_duplicate(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _update(cur, e, "status = 'duplicate', duplicate_of = %s", e.original_id)


@model.on(Report.DuplicateUnmarked)
def _duplicate_unmarked(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _update(cur, e, "status = %s, duplicate_of = NULL", e.restored["status"])


@model.on(Report.Rated)
def _rated(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _update(cur, e, "rating = %s, rated_at = %s", e.rating, e.at)


# Queries --------------------------------------------------------------------------------

COLUMNS = ("report_id, matter_id, re_report_of, kind, category, receiving_unit_id,"
           " handling_unit_id, status, duplicate_of, submitted_at, result_text, published_at,"
           " rating, rated_at")


def timeline(conn: psycopg.Connection[Any], matter_id: UUID) -> list[dict[str, Any]]:
    """The reports of a matter, oldest first, with their published results and ratings."""
    with conn.cursor(row_factory=dict_row) as cur:
        # Served by matter_reports_matter.
        return cur.execute(f"SELECT {COLUMNS} FROM matter_reports WHERE matter_id = %s"
                           f" ORDER BY submitted_at, report_id", (matter_id,)).fetchall()


def timeline_of_report(conn: psycopg.Connection[Any], report_id: UUID) -> list[dict[str, Any]]:
    """The timeline of the matter the report belongs to ([] for an unknown report)."""
    with conn.cursor(row_factory=dict_row) as cur:
        # The report's matter by primary key, then its timeline by matter_reports_matter.
        return cur.execute(
            f"SELECT {COLUMNS} FROM matter_reports WHERE matter_id ="
            f" (SELECT matter_id FROM matter_reports WHERE report_id = %s)"
            f" ORDER BY submitted_at, report_id", (report_id,)).fetchall()
