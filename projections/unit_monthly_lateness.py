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
handling, rework, approval and result update (Điều 12.1–12.2: late only when the policy gives
them a period), publication, clarification, response. A unit is **flagged** when its share of
late reports is *strictly* above the policy threshold (30%: exactly 3 of 10 is not flagged).

**Duplicates** (Điều 6.2.c): marking a report as a duplicate closes its open stages as the
event records them (late if marked after the due instant). Unmarking re-opens *the same stage
occurrences* — the rows with the recorded stage, unit and start instant — with their recorded
due instants, so a stage closed and re-opened is one fact, counted once, and its month never
moves.

**Counters** (``unit_lateness_months``): per unit and month, the reports received and the
reports with a reception / handling / any stage *closed* late, kept by the handlers, so that the
ranking reads one row per unit; to them it adds the reports late only through a stage still open
past due at its ``now`` (few: found by a partial index). The facts stay the evidence
(:func:`explain`).

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
from domain.report import ClosedStage, Report, StageRecord
from projections.engine import ReadModel

model = ReadModel("unit_monthly_lateness",
                  tables=("unit_lateness_stages", "unit_lateness_months"),
                  replay_indexes=("unit_lateness_stages_report",))

RECEPTION_STAGES = [str(s) for s in (Stage.RECEPTION, Stage.VERIFICATION)]
HANDLING_STAGES = [str(s) for s in (Stage.ASSIGNMENT, Stage.HANDLING, Stage.REWORK,
                                    Stage.APPROVAL, Stage.RESULT_UPDATE, Stage.PUBLICATION,
                                    Stage.CLARIFICATION, Stage.RESPONSE)]
FIGURES = ("received", "late_in_reception", "late_in_handling", "reports_late")


def month_of(at: datetime) -> date:
    """The month (its first day) of an instant, in Asia/Ho_Chi_Minh."""
    return at.astimezone(BUSINESS_TZ).date().replace(day=1)


# A stage closed late: it ended after its due instant, as the closing event recorded.
CLOSED_LATE = "s.ended_at IS NOT NULL AND s.on_time IS FALSE"
# The month of the unit's first stage for the report (none yet: the unit receives it now).
FIRST_MONTH = ("SELECT month FROM unit_lateness_stages WHERE report_id = %(report)s"
               " AND unit_id = %(unit)s ORDER BY opened_nid LIMIT 1")


def _received(condition: str) -> str:
    """The statement by which the unit ``%(unit)s`` receives the report in ``%(month)s``
    when ``condition`` holds."""
    return ("INSERT INTO unit_lateness_months (month, unit_id, received)"
            f" SELECT %(month)s, %(unit)s, 1 WHERE {condition} ON CONFLICT (month, unit_id)"
            " DO UPDATE SET received = unit_lateness_months.received + 1")


def _close(cur: psycopg.Cursor[Any], e: Report.Event, nid: int, closed: ClosedStage) -> None:
    params = {"ended": closed.ended_at, "on_time": closed.on_time, "due": closed.due,
              "nid": nid, "report": e.originator_id, "stage": closed.stage}
    close = ("UPDATE unit_lateness_stages SET ended_at = %(ended)s, on_time = %(on_time)s,"
             " due = %(due)s, closed_nid = %(nid)s"
             " WHERE report_id = %(report)s AND stage = %(stage)s AND ended_at IS NULL")
    reception, handling = closed.stage in RECEPTION_STAGES, closed.stage in HANDLING_STAGES
    if closed.ended_at is None or closed.on_time is not False or not (reception or handling):
        cur.execute(close, params)
        return
    # Closed late: the report now counts late in the stage's kind, and at all, at each unit
    # whose stage this is — unless a stage it closed late before already counted it (the
    # flags below read the facts as they were before this statement).
    cur.execute(f"""
        WITH closed AS ({close} RETURNING unit_id, month),
        before AS (
            SELECT DISTINCT c.unit_id, c.month,
                   EXISTS (SELECT FROM unit_lateness_stages s WHERE s.report_id = %(report)s
                           AND s.unit_id = c.unit_id AND s.stage = ANY(%(reception_stages)s)
                           AND {CLOSED_LATE}) AS reception,
                   EXISTS (SELECT FROM unit_lateness_stages s WHERE s.report_id = %(report)s
                           AND s.unit_id = c.unit_id AND s.stage = ANY(%(handling_stages)s)
                           AND {CLOSED_LATE}) AS handling
            FROM closed c)
        UPDATE unit_lateness_months m SET
            closed_late_in_reception = closed_late_in_reception
                + (%(reception)s AND NOT b.reception)::int,
            closed_late_in_handling = closed_late_in_handling
                + (%(handling)s AND NOT b.handling)::int,
            closed_reports_late = closed_reports_late + (NOT (b.reception OR b.handling))::int
        FROM before b WHERE m.month = b.month AND m.unit_id = b.unit_id""",
                {**params, "reception": reception, "handling": handling,
                 "reception_stages": RECEPTION_STAGES, "handling_stages": HANDLING_STAGES})


def _open(cur: psycopg.Cursor[Any], e: Report.Event, nid: int, opened: StageRecord) -> None:
    # The month is that of the unit's first stage for this report, else this one's: then the
    # report is received by the unit in this month.
    cur.execute(f"""
        WITH first AS ({FIRST_MONTH}), fact AS (
            INSERT INTO unit_lateness_stages (opened_nid, report_id, unit_id, stage, month,
                                              started_at, due)
            VALUES (%(nid)s, %(report)s, %(unit)s, %(stage)s,
                    COALESCE((SELECT month FROM first), %(month)s), %(at)s, %(due)s)
        )
        {_received("NOT EXISTS (SELECT FROM first)")}""",
                {"nid": nid, "report": e.originator_id, "unit": opened.unit_id,
                 "stage": opened.stage, "month": month_of(opened.started_at),
                 "at": opened.started_at, "due": opened.due})


@model.on(Report.Submitted, Report.VerificationStarted, Report.VerificationCompleted,
          Report.Rejected, Report.Escalated, Report.Accepted, Report.Assigned,
          Report.CoordinatedToCommune,
          Report.ResultProposed, Report.ResultReturned, Report.ResultApproved,
          Report.ResultUpdated, Report.Published, Report.InitiativeAnswered,
          Report.ClarificationRequested, Report.ClarificationAnswered, Report.MarkedDuplicate)
def _stage_changed(cur: psycopg.Cursor[Any], e: Report.Event, nid: int) -> None:
    for closed in e.closed:
        _close(cur, e, nid, closed)
    for opened in e.opened:
        _open(cur, e, nid, opened)


@model.on(Report.DuplicateUnmarked)
def _duplicate_unmarked(cur: psycopg.Cursor[Any], e: Report.DuplicateUnmarked, nid: int) -> None:
    """The very occurrences the marking closed are open again, with their recorded due; a
    stage it had closed late no longer counts as closed late (open, it is judged at query
    time), unless another stage the report closed late at the unit still counts it."""
    for opened in e.opened:
        cur.execute(f"""
            WITH target AS (
                SELECT opened_nid, unit_id, month, stage,
                       ended_at IS NOT NULL AND on_time IS FALSE AS was_late
                FROM unit_lateness_stages WHERE opened_nid = (
                    SELECT max(opened_nid) FROM unit_lateness_stages
                    WHERE report_id = %(report)s AND unit_id = %(unit)s AND stage = %(stage)s
                    AND started_at = %(at)s)
            ), reopened AS (
                UPDATE unit_lateness_stages s SET ended_at = NULL, on_time = NULL,
                       closed_nid = NULL, due = %(due)s
                FROM target t WHERE s.opened_nid = t.opened_nid
            ), others AS (
                SELECT t.month, t.unit_id, t.stage = ANY(%(reception_stages)s) AS reception_stage,
                       t.stage = ANY(%(handling_stages)s) AS handling_stage,
                       EXISTS (SELECT FROM unit_lateness_stages s WHERE s.report_id = %(report)s
                               AND s.unit_id = t.unit_id AND s.opened_nid <> t.opened_nid
                               AND s.stage = ANY(%(reception_stages)s) AND {CLOSED_LATE}
                       ) AS reception,
                       EXISTS (SELECT FROM unit_lateness_stages s WHERE s.report_id = %(report)s
                               AND s.unit_id = t.unit_id AND s.opened_nid <> t.opened_nid
                               AND s.stage = ANY(%(handling_stages)s) AND {CLOSED_LATE}
                       ) AS handling
                FROM target t WHERE t.was_late
            )
            UPDATE unit_lateness_months m SET
                closed_late_in_reception = closed_late_in_reception
                    - (o.reception_stage AND NOT o.reception)::int,
                closed_late_in_handling = closed_late_in_handling
                    - (o.handling_stage AND NOT o.handling)::int,
                closed_reports_late = closed_reports_late
                    - (NOT (o.reception OR o.handling))::int
            FROM others o WHERE (o.reception_stage OR o.handling_stage)
            AND m.month = o.month AND m.unit_id = o.unit_id""",
                    {"due": opened.due, "report": e.originator_id, "unit": opened.unit_id,
                     "stage": opened.stage, "at": opened.started_at,
                     "reception_stages": RECEPTION_STAGES, "handling_stages": HANDLING_STAGES})


@model.on(Report.Rerouted)
def _rerouted(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    """Điều 28.1: the merged unit's open stages pass to its successor with their start and due
    instants; its closed stages and its counters stay (history). They count in the month the
    report first reached the successor: that of its earlier stages there, else the re-route's,
    in which the successor then receives the report."""
    cur.execute(f"""
        WITH first AS ({FIRST_MONTH}), moved AS (
            UPDATE unit_lateness_stages SET unit_id = %(unit)s,
                   month = COALESCE((SELECT month FROM first), %(month)s)
            WHERE report_id = %(report)s AND unit_id = %(from)s AND ended_at IS NULL
            RETURNING opened_nid
        )
        {_received("EXISTS (SELECT FROM moved) AND NOT EXISTS (SELECT FROM first)")}""",
                {"report": e.originator_id, "from": e.from_unit_id, "unit": e.to_unit_id,
                 "month": month_of(e.at)})


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
        # The month's counters (one row per unit), plus the reports late at `now` only through
        # a stage still open past due (unit_lateness_stages_open, then each such report's
        # stages by unit_lateness_stages_report).
        return cur.execute(f"""
            WITH open_late AS (
                SELECT DISTINCT unit_id, report_id FROM unit_lateness_stages
                WHERE month = %(month)s AND ended_at IS NULL AND due < %(now)s
            ), per_report AS (
                SELECT s.unit_id,
                       bool_or(stage = ANY(%(reception)s) AND {LATE}) AS late_reception,
                       bool_or(stage = ANY(%(handling)s) AND {LATE}) AS late_handling,
                       bool_or(stage = ANY(%(reception)s) AND {CLOSED_LATE}) AS closed_reception,
                       bool_or(stage = ANY(%(handling)s) AND {CLOSED_LATE}) AS closed_handling
                FROM open_late o JOIN unit_lateness_stages s
                     ON s.report_id = o.report_id AND s.unit_id = o.unit_id
                GROUP BY s.unit_id, s.report_id
            ), late_now AS (
                SELECT unit_id,
                       count(*) FILTER (WHERE late_reception AND NOT closed_reception)
                         AS reception,
                       count(*) FILTER (WHERE late_handling AND NOT closed_handling) AS handling,
                       count(*) FILTER (WHERE (late_reception OR late_handling)
                                        AND NOT (closed_reception OR closed_handling)) AS late
                FROM per_report GROUP BY unit_id
            ), per_unit AS (
                SELECT c.unit_id, c.received,
                       c.closed_late_in_reception + COALESCE(n.reception, 0)
                         AS late_in_reception,
                       c.closed_late_in_handling + COALESCE(n.handling, 0) AS late_in_handling,
                       c.closed_reports_late + COALESCE(n.late, 0) AS reports_late
                FROM unit_lateness_months c LEFT JOIN late_now n ON n.unit_id = c.unit_id
                WHERE c.month = %(month)s
            )
            SELECT unit_id, received, late_in_reception, late_in_handling, reports_late,
                   round(reports_late::numeric / received, 4) AS share_late,
                   reports_late > %(threshold)s * received AS flagged,
                   rank() OVER (ORDER BY reports_late::numeric / received DESC) AS rank
            FROM per_unit ORDER BY rank, unit_id""",
                           {"month": month, "now": now, "threshold": threshold,
                            "reception": RECEPTION_STAGES, "handling": HANDLING_STAGES}).fetchall()


def ranking_stands(conn: psycopg.Connection[Any], month: date, now: datetime
                   ) -> datetime | None:
    """Until when :func:`ranking` of ``month`` answers at any instant from ``now`` on as it
    does at ``now``, while no event is applied: the next due instant of the month's stages
    still open (one turns late then), None if there is none."""
    row = conn.execute("SELECT min(due) FROM unit_lateness_stages WHERE month = %s"
                       " AND ended_at IS NULL AND due >= %s", (month, now)).fetchone()
    return row[0] if row else None


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
