"""``unit_monthly_lateness``: units late in reception or handling, per month (Điều 18.4).

The facts table ``unit_lateness_stages`` holds one row per stage occurrence a unit held for a
report: the stage, when it started, its due instant (extensions included), when it ended and
whether on time (as the closing event recorded it), and the notification ids that opened and
closed it.

**Which month a report counts in** (the rule of this read model): the month, in
Asia/Ho_Chi_Minh, in which the report *first reached the unit* — submitted or escalated to it
for a reception, accepted for handling by it otherwise. Every stage the unit later holds for
that report (handling, rework, publication, a clarification weeks later) counts in that month,
so a report weighs once in one month per unit.

**Late** (DOMAIN.md "Lateness"): a stage is late when it ended after its due instant, or is
still open past it at the query's ``now`` (so the figures are right without waiting for a
scheduler). Late in reception: reception or verification; late in handling: assignment,
handling, rework, publication, clarification, response. A unit is **flagged** when its share of
late reports is *strictly* above the policy threshold (30%: exactly 3 of 10 is not flagged).

**Duplicates** (Điều 6.2.c): marking a report as a duplicate closes its open stages as the
event records them (late if marked after the due instant). Unmarking re-opens *the same stage
occurrences* — the rows with the recorded stage, unit and start instant — with their recorded
due instants, so a stage closed and re-opened is one fact, counted once, and its month never
moves.

The repeat-dissatisfaction flag of Điều 18.4 has its own read model,
``projections/repeat_dissatisfaction.py``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import psycopg

from domain.calendar import BUSINESS_TZ
from domain.policy import DEFAULT_POLICY, Stage
from domain.report import Report
from projections.engine import ReadModel

model = ReadModel("unit_monthly_lateness", tables=("unit_lateness_stages",))

RECEPTION_STAGES = [str(s) for s in (Stage.RECEPTION, Stage.VERIFICATION)]
HANDLING_STAGES = [str(s) for s in (Stage.ASSIGNMENT, Stage.HANDLING, Stage.REWORK,
                                    Stage.PUBLICATION, Stage.CLARIFICATION, Stage.RESPONSE)]
FIGURES = ("received", "late_in_reception", "late_in_handling", "reports_late")


def month_of(at: datetime) -> date:
    """The month (its first day) of an instant, in Asia/Ho_Chi_Minh."""
    return at.astimezone(BUSINESS_TZ).date().replace(day=1)


def _close(cur: psycopg.Cursor[Any], e: Any, nid: int, closed: dict[str, Any]) -> None:
    cur.execute(
        "UPDATE unit_lateness_stages SET ended_at = %s, on_time = %s, due = %s, closed_nid = %s"
        " WHERE report_id = %s AND stage = %s AND ended_at IS NULL",
        (closed["ended_at"], closed["on_time"], closed["due"], nid, e.originator_id,
         closed["stage"]))


def _open(cur: psycopg.Cursor[Any], e: Any, nid: int, opened: dict[str, Any]) -> None:
    # The month is that of the unit's first stage for this report, else this one's.
    cur.execute(
        "INSERT INTO unit_lateness_stages (opened_nid, report_id, unit_id, stage, month,"
        " started_at, due) VALUES (%(nid)s, %(report)s, %(unit)s, %(stage)s, COALESCE("
        " (SELECT month FROM unit_lateness_stages WHERE report_id = %(report)s"
        "  AND unit_id = %(unit)s ORDER BY opened_nid LIMIT 1), %(month)s), %(at)s, %(due)s)",
        {"nid": nid, "report": e.originator_id, "unit": opened["unit_id"],
         "stage": opened["stage"], "month": month_of(opened["started_at"]),
         "at": opened["started_at"], "due": opened["due"]})


@model.on(Report.Submitted, Report.VerificationStarted, Report.VerificationCompleted,
          Report.Rejected, Report.Escalated, Report.Accepted, Report.Assigned,
          Report.ResultProposed, Report.ResultReturned, Report.Published, Report.InitiativeAnswered,
          Report.ClarificationRequested, Report.ClarificationAnswered)
def _stage_changed(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    if getattr(e, "closed", None):
        _close(cur, e, nid, e.closed)
    if getattr(e, "opened", None):
        _open(cur, e, nid, e.opened)


@model.on(Report.MarkedDuplicate)
def _marked_duplicate(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    for closed in e.closed:
        _close(cur, e, nid, closed)


@model.on(Report.DuplicateUnmarked)
def _duplicate_unmarked(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    """The very occurrences the marking closed are open again, with their recorded due."""
    for opened in e.opened:
        cur.execute(
            "UPDATE unit_lateness_stages SET ended_at = NULL, on_time = NULL, closed_nid = NULL,"
            " due = %(due)s WHERE opened_nid = (SELECT max(opened_nid) FROM unit_lateness_stages"
            "  WHERE report_id = %(report)s AND unit_id = %(unit)s AND stage = %(stage)s"
            "  AND started_at = %(at)s)",
            {"due": opened["due"], "report": e.originator_id, "unit": opened["unit_id"],
             "stage": opened["stage"], "at": opened["started_at"]})


@model.on(Report.ExtensionGranted)
def _extended(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    """Điều 8.5: an extension moves the due instant of the open handling stage."""
    cur.execute("UPDATE unit_lateness_stages SET due = %s WHERE report_id = %s"
                " AND stage = 'handling' AND ended_at IS NULL", (e.due, e.originator_id))


# Queries --------------------------------------------------------------------------------

# A stage is late when it ended after its due instant or is still open past it at %(now)s.
LATE = ("CASE WHEN ended_at IS NULL THEN COALESCE(due < %(now)s, false)"
        " ELSE NOT on_time END")


def ranking(conn: psycopg.Connection[Any], month: date, now: datetime,
            threshold: Decimal = DEFAULT_POLICY.late_share_threshold) -> list[dict[str, Any]]:
    """Điều 18.4: per unit, reports received in ``month``, late in reception / handling / at
    all, the share late, flagged above ``threshold``, ranked by share (most late first)."""
    with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        return cur.execute(f"""
            WITH per_report AS (
                SELECT unit_id, report_id,
                       bool_or(stage = ANY(%(reception)s) AND {LATE}) AS late_reception,
                       bool_or(stage = ANY(%(handling)s) AND {LATE}) AS late_handling
                FROM unit_lateness_stages WHERE month = %(month)s
                GROUP BY unit_id, report_id
            ), per_unit AS (
                SELECT unit_id, count(*) AS received,
                       count(*) FILTER (WHERE late_reception) AS late_in_reception,
                       count(*) FILTER (WHERE late_handling) AS late_in_handling,
                       count(*) FILTER (WHERE late_reception OR late_handling) AS reports_late
                FROM per_report GROUP BY unit_id
            )
            SELECT unit_id, received, late_in_reception, late_in_handling, reports_late,
                   round(reports_late::numeric / received, 4) AS share_late,
                   reports_late > %(threshold)s * received AS flagged,
                   rank() OVER (ORDER BY reports_late::numeric / received DESC) AS rank
            FROM per_unit ORDER BY rank, unit_id""",
                           {"month": month, "now": now, "threshold": threshold,
                            "reception": RECEPTION_STAGES, "handling": HANDLING_STAGES}).fetchall()


def explain(conn: psycopg.Connection[Any], unit_id: UUID, month: date, figure: str,
            now: datetime) -> dict[str, Any]:
    """Điều 18.4, seed 001 7.a: the reports behind one figure of :func:`ranking`, and the
    notification ids that produce it — for each report the event by which it first reached
    the unit, and for a lateness figure the events that opened and closed its late stages."""
    if figure not in FIGURES:
        raise ValueError(f"no figure {figure!r}; known: {FIGURES}")
    stages = {"received": [], "late_in_reception": RECEPTION_STAGES,
              "late_in_handling": HANDLING_STAGES,
              "reports_late": RECEPTION_STAGES + HANDLING_STAGES}[figure]
    rows = conn.execute(f"""
        WITH facts AS (
            SELECT report_id, opened_nid, closed_nid,
                   stage = ANY(%(stages)s) AND {LATE} AS counts
            FROM unit_lateness_stages WHERE unit_id = %(unit)s AND month = %(month)s
        )
        SELECT report_id, min(opened_nid),
               array_agg(opened_nid) FILTER (WHERE counts)
                 || array_agg(closed_nid) FILTER (WHERE counts AND closed_nid IS NOT NULL)
        FROM facts GROUP BY report_id
        HAVING %(everyone)s OR bool_or(counts)
        ORDER BY report_id""",
                        {"unit": unit_id, "month": month, "now": now, "stages": stages,
                         "everyone": figure == "received"}).fetchall()
    notification_ids = sorted({n for _, first, late in rows for n in [first, *(late or [])]})
    return {"figure": figure, "value": len(rows), "report_ids": [r for r, _, _ in rows],
            "notification_ids": notification_ids}
