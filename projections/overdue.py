"""``overdue``: every open stage past its deadline, per unit and city-wide, with how late in
working time (DOMAIN.md "Lateness"; Điều 7.2.d, 8.5, 12, 13, 18.4).

The table holds every open timed stage with its due instant, as recorded by the event that
opened it (an extension moves it, Điều 8.5). Which of them are overdue, and by how much, is
decided when the list is asked for, against the ``now`` and the working calendar given: the
list is right at any moment without a scheduler. A stage without a due instant (a capital
initiative's reception, Điều 9) is never overdue and is not kept. A report marked as a
duplicate has no open stage (Điều 6.2.c); unmarked, its stages are open again with the due
instants they had.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row

from domain.calendar import WorkingCalendar
from domain.report import Report, StageRecord
from projections.engine import ReadModel
from projections.paging import decode_cursor, page

model = ReadModel("overdue", tables=("overdue",))


def _close(cur: psycopg.Cursor[Any], report_id: UUID, *stages: str) -> None:
    cur.execute("DELETE FROM overdue WHERE report_id = %s AND stage = ANY(%s)",
                (report_id, list(stages)))


def _open(cur: psycopg.Cursor[Any], report_id: UUID, opened: StageRecord) -> None:
    if opened.due is not None:
        cur.execute("INSERT INTO overdue (report_id, stage, unit_id, officer_id, started_at, due,"
                    " policy_version) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                    (report_id, opened.stage, opened.unit_id, opened.officer_id,
                     opened.started_at, opened.due, opened.policy_version))


@model.on(Report.Submitted, Report.VerificationStarted, Report.ClarificationRequested,
          Report.VerificationCompleted, Report.ClarificationAnswered, Report.Published,
          Report.InitiativeAnswered, Report.Assigned, Report.CoordinatedToCommune,
          Report.ResultProposed, Report.ResultReturned, Report.ResultApproved,
          Report.ResultUpdated, Report.MarkedDuplicate, Report.DuplicateUnmarked)
def _stages_changed(cur: psycopg.Cursor[Any], e: Report.Event, nid: int) -> None:
    """The stages the event closed leave the table, those it opened (with a due) enter it; a
    duplicate marking closes every open stage, its reversal re-opens them as recorded."""
    if e.closed:
        _close(cur, e.originator_id, *(stage.stage for stage in e.closed))
    for stage in e.opened:
        _open(cur, e.originator_id, stage)


@model.on(Report.Rejected, Report.Escalated, Report.Accepted)
def _passed_on(cur: psycopg.Cursor[Any], e: Report.Event, nid: int) -> None:
    """Điều 7.2.a–c: deciding on reception ends it and any verification."""
    _close(cur, e.originator_id, *(stage.stage for stage in e.closed), "verification")
    for stage in e.opened:
        _open(cur, e.originator_id, stage)


@model.on(Report.Reassigned, Report.CommuneOfficerAssigned)
def _reassigned(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    cur.execute("UPDATE overdue SET officer_id = %s WHERE report_id = %s AND stage = %s",
                (e.officer["id"], e.originator_id, e.stage.stage))


@model.on(Report.ExtensionGranted)
def _extended(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    """Điều 8.5: an extension moves the handling stage's due instant."""
    cur.execute("UPDATE overdue SET due = %s, policy_version = %s"
                " WHERE report_id = %s AND stage = 'handling'",
                (e.due, e.policy_version, e.originator_id))


@model.on(Report.Rerouted)
def _rerouted(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    """Điều 28.1: the merged unit's open stages pass to its successor, due instants unchanged."""
    cur.execute("UPDATE overdue SET unit_id = %s WHERE report_id = %s AND unit_id = %s",
                (e.to_unit_id, e.originator_id, e.from_unit_id))


# Queries --------------------------------------------------------------------------------

def overdue(conn: psycopg.Connection[Any], now: datetime, calendar: WorkingCalendar,
            unit_id: UUID | None = None, limit: int | None = None,
            after: tuple[datetime, UUID, str] | None = None) -> list[dict[str, Any]]:
    """The open stages past their due instant at ``now``, city-wide or of one unit, most late
    first; ``late`` is the working time elapsed since the due instant. ``limit`` and ``after``
    (the last row's due, report id and stage) page through a long list."""
    conditions, params = ["due < %s"], list[Any]([now])
    if unit_id is not None:
        conditions.append("unit_id = %s")
        params.append(unit_id)
    if after is not None:
        conditions.append("(due, report_id, stage) > (%s, %s, %s)")
        params.extend(after)
    with conn.cursor(row_factory=dict_row) as cur:
        # The earlier the due instant, the later in working time: most late first.
        # Served by overdue_due (city-wide) or overdue_unit (one unit).
        rows = cur.execute(
            f"SELECT report_id, stage, unit_id, officer_id, started_at, due, policy_version"
            f" FROM overdue WHERE {' AND '.join(conditions)} ORDER BY due, report_id, stage"
            f"{' LIMIT %s' if limit else ''}", (*params, limit) if limit else params).fetchall()
    late = calendar.elapsed_until(now)
    for row in rows:
        row["late"] = late(row["due"])
    return rows


ORDER = "overdue due"
"""The tag of the list in cursors (its one order: earliest due, most late, first)."""
MAX_PAGE = 500


def overdue_page(conn: psycopg.Connection[Any], now: datetime, calendar: WorkingCalendar,
                 unit_id: UUID | None, cursor: str | None, limit: int
                 ) -> tuple[list[dict[str, Any]], str | None]:
    """:func:`overdue` a page at a time: the ``limit`` stages after ``cursor`` and the cursor
    of the next page (None on the last); ``ValueError`` for a cursor not of this list."""
    after = decode_cursor(cursor, ORDER, keys=1) if cursor else None
    rows = overdue(conn, now, calendar, unit_id, limit=limit + 1, after=after)
    return page(rows, limit, ORDER, "due", "stage", max_page=MAX_PAGE)
