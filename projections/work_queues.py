"""``work_queues``: per unit and per officer, what awaits them, oldest due first (Điều 7, 8, 12,
13).

One row per open item of a report:

- its main stage: reception for the receiving unit (Điều 7.2), assignment for the head of the
  handling unit (Điều 8.1.b), handling or rework for the assigned officer in his own unit
  (Điều 8.1.c, 12.1), approval of the proposed content for the head of the handling unit
  (Điều 12.1), the update of the approved result with evidence for the assigned officer
  (Điều 12.2), publication for the head of the handling unit (Điều 12.3), the answer to
  a capital initiative for the handling unit (Điều 9);
- an open verification, for the receiving unit (Điều 7.1);
- an open clarification, for the handling unit (Điều 13);
- a coordination request awaiting a unit's contribution, with no due instant (Điều 8.2).

``work_queue_reports`` keeps what the rows show about their report (kind, category, urgency),
the unit of the assigned officer, and the original while the report is marked as a duplicate
(Điều 6.2.c): its stages are closed then and its coordination requests wait out of every
queue; unmarked, its stages come back with their recorded start and due instants.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row

from domain.report import ClosedStage, Report, StageRecord
from projections.engine import ReadModel
from projections.paging import decode_keys, page_by_keys

model = ReadModel("work_queues", tables=("work_queues", "work_queue_reports"))

OFFICER_STAGES = ("handling", "rework", "result_update")


def _close(cur: psycopg.Cursor[Any], report_id: UUID, closed: list[ClosedStage],
           *items: str) -> None:
    """The stages closed, and the other ``items``, leave the queues."""
    if closed or items:
        cur.execute("DELETE FROM work_queues WHERE report_id = %s AND item = ANY(%s)",
                    (report_id, [*(stage.stage for stage in closed), *items]))


def _open(cur: psycopg.Cursor[Any], report_id: UUID, opened: list[StageRecord]) -> None:
    """A stage held by an officer sits in his own unit's queue, the others in the stage's."""
    for stage in opened:
        if stage.stage in OFFICER_STAGES:
            unit = "(SELECT officer_unit_id FROM work_queue_reports WHERE report_id = %s)"
            unit_param = report_id
        else:
            unit, unit_param = "%s", stage.unit_id
        cur.execute(f"INSERT INTO work_queues (report_id, item, unit_id, officer_id, since, due)"
                    f" VALUES (%s, %s, {unit}, %s, %s, %s)",
                    (report_id, stage.stage, unit_param, stage.officer_id, stage.started_at,
                     stage.due))


@model.on(Report.Submitted)
def _submitted(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    cur.execute("INSERT INTO work_queue_reports (report_id, kind, category) VALUES (%s, %s, %s)",
                (e.originator_id, e.kind, e.category))
    _open(cur, e.originator_id, e.opened)


@model.on(Report.VerificationStarted, Report.ClarificationRequested)
def _opened(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _open(cur, e.originator_id, e.opened)


@model.on(Report.VerificationCompleted, Report.ClarificationAnswered, Report.Published,
          Report.InitiativeAnswered)
def _closed(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _close(cur, e.originator_id, e.closed)


@model.on(Report.Rejected)
def _rejected(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _close(cur, e.originator_id, e.closed, "verification")


@model.on(Report.Escalated, Report.Accepted)
def _passed_on(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    """Điều 7.2.b–c: leaving the receiving unit ends its reception and any verification."""
    _close(cur, e.originator_id, e.closed, "verification")
    _open(cur, e.originator_id, e.opened)


@model.on(Report.Classified)
def _classified(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    cur.execute("UPDATE work_queue_reports SET urgency = %s WHERE report_id = %s",
                (e.urgency, e.originator_id))


@model.on(Report.Assigned)
def _assigned(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    cur.execute("UPDATE work_queue_reports SET officer_unit_id = %s WHERE report_id = %s",
                (e.officer["unit_id"], e.originator_id))
    _close(cur, e.originator_id, e.closed)
    _open(cur, e.originator_id, e.opened)


@model.on(Report.CoordinatedToCommune)
def _coordinated_to_commune(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    """Điều 8.1.b–c: the handling stage waits in the commune's queue for its leader to assign
    an officer."""
    cur.execute("UPDATE work_queue_reports SET officer_unit_id = %s WHERE report_id = %s",
                (e.commune_id, e.originator_id))
    _close(cur, e.originator_id, e.closed)
    _open(cur, e.originator_id, e.opened)


@model.on(Report.Reassigned, Report.CommuneOfficerAssigned)
def _reassigned(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    """Điều 8.1.c: the officer's items move to the new officer and his unit."""
    cur.execute("UPDATE work_queue_reports SET officer_unit_id = %s WHERE report_id = %s",
                (e.officer["unit_id"], e.originator_id))
    cur.execute("UPDATE work_queues SET unit_id = %s, officer_id = %s"
                " WHERE report_id = %s AND item = ANY(%s)",
                (e.officer["unit_id"], e.officer["id"], e.originator_id, list(OFFICER_STAGES)))


@model.on(Report.ResultProposed, Report.ResultReturned, Report.ResultApproved,
          Report.ResultUpdated)
def _handed_over(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _close(cur, e.originator_id, e.closed)
    _open(cur, e.originator_id, e.opened)


@model.on(Report.ExtensionGranted)
def _extended(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    """Điều 8.5: an extension moves the handling stage's due instant."""
    cur.execute("UPDATE work_queues SET due = %s WHERE report_id = %s AND item = 'handling'",
                (e.due, e.originator_id))


@model.on(Report.MarkedDuplicate)
def _marked_duplicate(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    cur.execute("UPDATE work_queue_reports SET duplicate_of = %s WHERE report_id = %s",
                (e.original_id, e.originator_id))
    _close(cur, e.originator_id, e.closed)


@model.on(Report.DuplicateUnmarked)
def _duplicate_unmarked(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    cur.execute("UPDATE work_queue_reports SET duplicate_of = NULL WHERE report_id = %s",
                (e.originator_id,))
    _open(cur, e.originator_id, e.opened)


@model.on(Report.CoordinationRequested)
def _coordination_requested(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    cur.executemany("INSERT INTO work_queues (report_id, item, unit_id, since)"
                    " VALUES (%s, 'coordination', %s, %s)",
                    [(e.originator_id, unit_id, e.at) for unit_id in e.unit_ids])


@model.on(Report.CoordinationContributed)
def _contributed(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    cur.execute("DELETE FROM work_queues WHERE report_id = %s AND item = 'coordination'"
                " AND unit_id = %s", (e.originator_id, e.unit_id))


@model.on(Report.Rerouted)
def _rerouted(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    """Điều 28.1: the merged unit's items of the report, and the unit of its officer, pass to
    the successor with their start and due instants; a coordination request the successor
    already awaits is not doubled, and none is left once either unit has contributed."""
    params = {"report": e.originator_id, "from": e.from_unit_id, "to": e.to_unit_id}
    if e.coordination:
        cur.execute("DELETE FROM work_queues WHERE report_id = %(report)s"
                    " AND item = 'coordination' AND unit_id IN (%(from)s, %(to)s)", params)
    cur.execute("UPDATE work_queue_reports SET officer_unit_id = %(to)s"
                " WHERE report_id = %(report)s AND officer_unit_id = %(from)s", params)
    cur.execute("DELETE FROM work_queues w WHERE report_id = %(report)s AND unit_id = %(from)s"
                " AND EXISTS (SELECT FROM work_queues s WHERE s.report_id = w.report_id"
                " AND s.item = w.item AND s.unit_id = %(to)s)", params)
    cur.execute("UPDATE work_queues SET unit_id = %(to)s"
                " WHERE report_id = %(report)s AND unit_id = %(from)s", params)


# Queries --------------------------------------------------------------------------------

QUEUE_ORDER = "work_queues due"
QUEUE_PAGE = 100


def queue(conn: psycopg.Connection[Any], unit_id: UUID,
          officer_id: str | None = None) -> list[dict[str, Any]]:
    """What awaits a unit (or one officer of it): soonest due first, undated items last, then
    the longest waiting; nothing of a report while it is marked as a duplicate."""
    return _queue(conn, unit_id, officer_id, None, None)


def queue_page(conn: psycopg.Connection[Any], unit_id: UUID, officer_id: str | None = None,
               *, cursor: str | None = None, limit: int = QUEUE_PAGE
               ) -> tuple[list[dict[str, Any]], str | None]:
    """:func:`queue` one page of ``limit`` items at a time, with the cursor of the next page
    (None on the last); ``ValueError`` for a cursor of another list."""
    after = _checked_position(cursor) if cursor else None
    rows = _queue(conn, unit_id, officer_id, after, limit + 1)
    return page_by_keys(rows, limit, QUEUE_ORDER, _queue_position)


def _queue(conn: psycopg.Connection[Any], unit_id: UUID, officer_id: str | None,
           after: tuple[str, ...] | None, limit: int | None) -> list[dict[str, Any]]:
    officer = " AND w.officer_id = %s" if officer_id is not None else ""
    params: list[Any] = [unit_id, officer_id] if officer_id is not None else [unit_id]
    keyset = ""
    if after is not None:
        keyset = (" AND (COALESCE(w.due, 'infinity'), w.since, w.report_id, w.item)"
                  " > (%s::timestamptz, %s::timestamptz, %s::uuid, %s)")
        params.extend(after)
    with conn.cursor(row_factory=dict_row) as cur:
        # Served by work_queues_unit / work_queues_officer; the keyset follows the same order
        # (an undated item sorts as due at infinity). LIMIT NULL: no limit.
        return cur.execute(
            f"SELECT w.report_id, w.item, w.unit_id, w.officer_id, w.since, w.due, r.kind,"
            f" r.category, r.urgency FROM work_queues w JOIN work_queue_reports r USING (report_id)"
            f" WHERE w.unit_id = %s{officer} AND r.duplicate_of IS NULL{keyset}"
            f" ORDER BY w.due NULLS LAST, w.since, w.report_id, w.item LIMIT %s",
            [*params, limit]).fetchall()


def _checked_position(cursor: str) -> tuple[str, ...]:
    due, since, report_id, item = decode_keys(cursor, QUEUE_ORDER, 4)
    try:
        for instant in (since, *([due] if due != "infinity" else [])):
            if datetime.fromisoformat(instant).tzinfo is None:
                raise ValueError(instant)
        UUID(report_id)
    except ValueError as error:
        raise ValueError(f"invalid cursor {cursor!r}") from error
    return due, since, report_id, item


def _queue_position(row: dict[str, Any]) -> tuple[str, ...]:
    due = row["due"].isoformat() if row["due"] is not None else "infinity"
    return (due, row["since"].isoformat(), str(row["report_id"]), row["item"])
