"""``monthly_statistics``: reception and handling per unit per month, for the statistics the
city service centre publishes on the 25th (seed 000 Điều 2.2.c; Điều 18.3.b).

A facts table: one row ``(unit, month, metric, report, notification id)`` for every event that
counts towards a figure, the month being that of the event in Asia/Ho_Chi_Minh. A figure is
the number of distinct reports among its facts, and its facts' notification ids are the events
that produce it. Metrics:

- ``received``: submitted or escalated to the unit, or accepted for handling by it from
  another unit (Điều 7.2);
- ``accepted``, ``rejected``, ``escalated`` (passed away to another unit): the reception
  decisions of the unit (Điều 7.2.a–c);
- ``marked_duplicate``: closed as a duplicate of another open report (Điều 6.2.c), counted for
  the unit whose stage the marking closed, in the month of the marking, while the report stays
  a duplicate (unmarking removes the fact; the stages it closed then close again by their own
  events, so the marking's closings never decide ``published_on_time``);
- ``assigned``: assigned to an officer of the handling unit (Điều 8.1);
- ``published``: the result made public — the report resolved (Điều 12.3; Điều 9 for an
  initiative's answer);
- ``published_on_time``: published with every stage the handling unit held (assignment,
  handling, rework, approval and result update — undated unless the policy dates them —,
  publication; response for an initiative) closed by its due instant; its
  facts are the publication and every one of those closings;
- ``rated_satisfied``, ``rated_acceptable``, ``rated_unsatisfied`` (Điều 13): the rating, in
  the month it was given, counted for the unit that published the result; its facts are the
  rating and the publication.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

import psycopg

from domain.calendar import BUSINESS_TZ
from domain.policy import Stage
from domain.report import Rating, Report
from projections.engine import ReadModel

model = ReadModel("monthly_statistics",
                  tables=("monthly_statistics", "monthly_statistics_closings"))

METRICS = ("received", "accepted", "rejected", "escalated", "marked_duplicate", "assigned",
           "published", "published_on_time", *(f"rated_{r}" for r in Rating))
HANDLING_STAGES = {Stage.ASSIGNMENT, Stage.HANDLING, Stage.REWORK, Stage.APPROVAL,
                   Stage.RESULT_UPDATE, Stage.PUBLICATION, Stage.RESPONSE}


def _fact(cur: psycopg.Cursor[Any], e: Any, nid: int, metric: str, unit_id: UUID) -> None:
    cur.execute("INSERT INTO monthly_statistics (unit_id, month, metric, report_id,"
                " notification_id) VALUES (%s, %s, %s, %s, %s)",
                (unit_id, _month(e), metric, e.originator_id, nid))


def _month(e: Any) -> date:
    at: datetime = e.at
    return at.astimezone(BUSINESS_TZ).date().replace(day=1)


def _closing(cur: psycopg.Cursor[Any], e: Report.Event, nid: int) -> None:
    """Keep the closings of handling stages, which decide ``published_on_time``."""
    for closed in e.closed:
        if closed.stage in HANDLING_STAGES:
            cur.execute("INSERT INTO monthly_statistics_closings (notification_id, report_id,"
                        " unit_id, on_time) VALUES (%s, %s, %s, %s)",
                        (nid, e.originator_id, closed.unit_id, closed.on_time))


@model.on(Report.Submitted)
def _submitted(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _fact(cur, e, nid, "received", e.receiving_unit_id)


@model.on(Report.Escalated)
def _escalated(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    (reception,) = e.closed
    _fact(cur, e, nid, "escalated", reception.unit_id)
    _fact(cur, e, nid, "received", e.to_unit_id)


@model.on(Report.Rejected)
def _rejected(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    (reception,) = e.closed
    _fact(cur, e, nid, "rejected", reception.unit_id)


@model.on(Report.Accepted)
def _accepted(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    (reception,) = e.closed
    _fact(cur, e, nid, "accepted", reception.unit_id)
    if e.handling_unit_id != reception.unit_id:
        _fact(cur, e, nid, "received", e.handling_unit_id)


@model.on(Report.MarkedDuplicate)
def _marked_duplicate(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _fact(cur, e, nid, "marked_duplicate", e.closed[0].unit_id)


@model.on(Report.DuplicateUnmarked)
def _duplicate_unmarked(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    cur.execute("DELETE FROM monthly_statistics WHERE report_id = %s"
                " AND metric = 'marked_duplicate'", (e.originator_id,))


@model.on(Report.Assigned, Report.CoordinatedToCommune)
def _assigned(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _closing(cur, e, nid)
    (handling,) = e.opened
    _fact(cur, e, nid, "assigned", handling.unit_id)


@model.on(Report.ResultProposed, Report.ResultReturned, Report.ResultApproved,
          Report.ResultUpdated)
def _result_moved(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _closing(cur, e, nid)


@model.on(Report.Rerouted)
def _rerouted(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    """Điều 28.1: the successor of a merged handling unit takes the handling over with the
    closings so far, which decide whether it publishes on time; the facts stay (history)."""
    cur.execute("UPDATE monthly_statistics_closings SET unit_id = %s"
                " WHERE report_id = %s AND unit_id = %s",
                (e.to_unit_id, e.originator_id, e.from_unit_id))


@model.on(Report.Published, Report.InitiativeAnswered)
def _published(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _closing(cur, e, nid)
    (closed,) = e.closed
    unit_id = closed.unit_id
    _fact(cur, e, nid, "published", unit_id)
    # On time when every closing of the unit's handling stages for this report was.
    cur.execute(
        "INSERT INTO monthly_statistics (unit_id, month, metric, report_id, notification_id)"
        " SELECT unit_id, %(month)s, 'published_on_time', report_id, notification_id"
        " FROM monthly_statistics_closings WHERE report_id = %(report)s AND unit_id = %(unit)s"
        " AND NOT EXISTS (SELECT 1 FROM monthly_statistics_closings WHERE report_id = %(report)s"
        "  AND unit_id = %(unit)s AND NOT on_time)",
        {"month": _month(e), "report": e.originator_id, "unit": unit_id})


@model.on(Report.Rated)
def _rated(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    # Counted for the unit that published the result: the rating and that publication.
    cur.execute(
        "INSERT INTO monthly_statistics (unit_id, month, metric, report_id, notification_id)"
        " SELECT p.unit_id, %(month)s, %(metric)s, p.report_id, n"
        " FROM monthly_statistics p, unnest(ARRAY[p.notification_id, %(nid)s::bigint]) n"
        " WHERE p.report_id = %(report)s AND p.metric = 'published'",
        {"month": _month(e), "metric": f"rated_{e.rating}", "nid": nid,
         "report": e.originator_id})


# Queries --------------------------------------------------------------------------------


def figures(conn: psycopg.Connection[Any], month: date) -> list[dict[str, Any]]:
    """Seed 000 Điều 2.2.c: every unit's figures for ``month`` (distinct reports per metric)."""
    columns = ", ".join(f"count(*) FILTER (WHERE metric = '{m}') AS {m}" for m in METRICS)
    with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        # The distinct (unit, metric, report) of the month, in the order of the index
        # monthly_statistics_month (no sort), then counted per unit.
        return cur.execute(f"SELECT unit_id, {columns} FROM (SELECT DISTINCT unit_id, metric,"
                           f" report_id FROM monthly_statistics WHERE month = %s) AS facts"
                           f" GROUP BY unit_id ORDER BY unit_id", (month,)).fetchall()


def city_totals(conn: psycopg.Connection[Any], first: date, last: date
                ) -> list[dict[str, Any]]:
    """Seed 000 Điều 2.2.c: per month from ``first`` to ``last`` (1sts of months), each
    metric summed over the units — what :func:`figures` adds up to, a report passed between
    units counting for each unit it reached; a month with no fact counts 0."""
    columns = ", ".join(f"count(DISTINCT (f.unit_id, f.report_id)) FILTER"
                        f" (WHERE f.metric = '{m}') AS {m}" for m in METRICS)
    with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        return cur.execute(
            f"SELECT m.month::date AS month, {columns}"
            f" FROM generate_series(%(first)s::date, %(last)s::date, interval '1 month') m(month)"
            f" LEFT JOIN monthly_statistics f ON f.month = m.month::date"
            f" GROUP BY m.month ORDER BY m.month", {"first": first, "last": last}).fetchall()


def explain(conn: psycopg.Connection[Any], unit_id: UUID, month: date,
            metric: str) -> dict[str, Any]:
    """Seed 001 7.a: the reports and the notification ids behind one figure of a unit."""
    if metric not in METRICS:
        raise ValueError(f"no metric {metric!r}; known: {METRICS}")
    # One row per report, with the events that count it.
    rows = conn.execute(
        "SELECT report_id, array_agg(notification_id ORDER BY notification_id)"
        " FROM monthly_statistics WHERE unit_id = %s AND month = %s AND metric = %s"
        " GROUP BY report_id ORDER BY report_id", (unit_id, month, metric)).fetchall()
    return {"metric": metric, "value": len(rows), "report_ids": [r for r, _ in rows],
            "notification_ids": sorted({n for _, ids in rows for n in ids})}
