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

model = ReadModel("monthly_statistics", tables=(
    "monthly_statistics", "monthly_statistics_closings", "monthly_statistics_counts"),
    replay_indexes=("monthly_statistics_report", "monthly_statistics_closings_report"))

METRICS = ("received", "accepted", "rejected", "escalated", "marked_duplicate", "assigned",
           "published", "published_on_time", *(f"rated_{r}" for r in Rating))
HANDLING_STAGES = {Stage.ASSIGNMENT, Stage.HANDLING, Stage.REWORK, Stage.APPROVAL,
                   Stage.RESULT_UPDATE, Stage.PUBLICATION, Stage.RESPONSE}


def _counted(insert: str) -> str:
    """``insert`` (facts into monthly_statistics), keeping the figures: each (month, unit,
    metric) counts the reports that had no fact of it before this statement (which sees the
    table as it was before the insert)."""
    return f"""
        WITH new AS ({insert} RETURNING month, unit_id, metric, report_id)
        INSERT INTO monthly_statistics_counts AS c (month, unit_id, metric, reports)
        SELECT month, unit_id, metric, count(DISTINCT report_id) FROM new n
        WHERE NOT EXISTS (SELECT FROM monthly_statistics f WHERE f.unit_id = n.unit_id
                          AND f.month = n.month AND f.metric = n.metric
                          AND f.report_id = n.report_id)
        GROUP BY month, unit_id, metric
        ON CONFLICT (month, unit_id, metric) DO UPDATE SET reports = c.reports + EXCLUDED.reports"""


FACT = _counted("INSERT INTO monthly_statistics (unit_id, month, metric, report_id,"
                " notification_id) VALUES (%s, %s, %s, %s, %s)")


def _fact(cur: psycopg.Cursor[Any], e: Any, nid: int, metric: str, unit_id: UUID) -> None:
    cur.execute(FACT, (unit_id, _month(e), metric, e.originator_id, nid))


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
    # Every fact of the report's (month, unit, 'marked_duplicate') goes: one report less each.
    cur.execute("""
        WITH gone AS (DELETE FROM monthly_statistics WHERE report_id = %s
                      AND metric = 'marked_duplicate' RETURNING month, unit_id, metric)
        UPDATE monthly_statistics_counts c SET reports = c.reports - 1
        FROM (SELECT DISTINCT month, unit_id, metric FROM gone) g
        WHERE c.month = g.month AND c.unit_id = g.unit_id AND c.metric = g.metric""",
                (e.originator_id,))


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
    cur.execute(_counted(
        "INSERT INTO monthly_statistics (unit_id, month, metric, report_id, notification_id)"
        " SELECT unit_id, %(month)s::date, 'published_on_time', report_id, notification_id"
        " FROM monthly_statistics_closings WHERE report_id = %(report)s AND unit_id = %(unit)s"
        " AND NOT EXISTS (SELECT 1 FROM monthly_statistics_closings WHERE report_id = %(report)s"
        "  AND unit_id = %(unit)s AND NOT on_time)"),
        {"month": _month(e), "report": e.originator_id, "unit": unit_id})


@model.on(Report.Rated)
def _rated(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    # Counted for the unit that published the result: the rating and that publication.
    cur.execute(_counted(
        "INSERT INTO monthly_statistics (unit_id, month, metric, report_id, notification_id)"
        " SELECT p.unit_id, %(month)s::date, %(metric)s::text, p.report_id, n"
        " FROM monthly_statistics p, unnest(ARRAY[p.notification_id, %(nid)s::bigint]) n"
        " WHERE p.report_id = %(report)s AND p.metric = 'published'"),
        {"month": _month(e), "metric": f"rated_{e.rating}", "nid": nid,
         "report": e.originator_id})


# Queries --------------------------------------------------------------------------------


def figures(conn: psycopg.Connection[Any], month: date) -> list[dict[str, Any]]:
    """Seed 000 Điều 2.2.c: every unit's figures for ``month`` (distinct reports per metric:
    the counts the handlers keep, :func:`_counted`) for every unit with facts that month."""
    columns = ", ".join(f"COALESCE(max(reports) FILTER (WHERE metric = '{m}'), 0) AS {m}"
                        for m in METRICS)
    with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        return cur.execute(f"SELECT unit_id, {columns} FROM monthly_statistics_counts"
                           f" WHERE month = %s GROUP BY unit_id HAVING sum(reports) > 0"
                           f" ORDER BY unit_id", (month,)).fetchall()


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
