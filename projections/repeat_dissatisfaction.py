"""``repeat_dissatisfaction``: units whose unresolved matters bring reporters back unsatisfied
(Điều 18.4; issue 7).

The rule of this read model:

- **What counts**: an "unsatisfied" rating (Điều 13) given to a **re-report** — a report
  submitted as a re-report of an earlier one, or linked by an officer into an earlier report's
  matter (``re_report_of`` set). The matter came back because its earlier result did not
  settle it, and the new result did not satisfy either. Ratings of a matter's first report,
  and "satisfied" or "acceptable" ratings, never count.
- **Which unit**: the handling unit of that re-report — the unit it was accepted for handling
  by (Điều 7.2.b), which is the unit that published the result rated.
- **Which month**: the month of the rating, in Asia/Ho_Chi_Minh. A report linked into a
  matter after it was rated counts in its rating's month from the link on.
- **Flag**: a unit is flagged for a month when it has ``threshold`` (policy, default 5) or more
  such ratings in it.

One row per report: its matter, the earlier report it repeats, the notification ids of the
event that made it a re-report (``Submitted`` or ``LinkedToMatter``), of its acceptance and of
its rating — the events that explain each figure.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row

from domain.policy import DEFAULT_POLICY
from domain.report import Rating, Report
from projections.engine import ReadModel
from projections.unit_monthly_lateness import month_of

model = ReadModel("repeat_dissatisfaction", tables=("repeat_dissatisfaction",))

# A row counts toward its unit and month (served by the partial repeat_dissatisfaction_month).
COUNTS = f"rating = '{Rating.UNSATISFIED}' AND re_report_of IS NOT NULL"


def _update(cur: psycopg.Cursor[Any], e: Any, assignments: str, *values: Any) -> None:
    cur.execute(f"UPDATE repeat_dissatisfaction SET {assignments} WHERE report_id = %s",
                (*values, e.originator_id))


@model.on(Report.Submitted)
def _submitted(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    cur.execute("INSERT INTO repeat_dissatisfaction (report_id, matter_id, re_report_of,"
                " re_report_nid) VALUES (%s, %s, %s, %s)",
                (e.originator_id, e.matter_id or e.originator_id, e.re_report_of,
                 nid if e.re_report_of else None))


@model.on(Report.LinkedToMatter)
def _linked(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _update(cur, e, "matter_id = %s, re_report_of = %s, re_report_nid = %s", e.matter_id,
            e.earlier_report_id, nid)


@model.on(Report.Accepted)
def _accepted(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _update(cur, e, "handling_unit_id = %s, accepted_nid = %s", e.handling_unit_id, nid)


@model.on(Report.Rerouted)
def _rerouted(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    """Điều 28.1: the successor of a merged handling unit publishes the result; the re-route
    is the event that made it the handling unit."""
    cur.execute("UPDATE repeat_dissatisfaction SET handling_unit_id = %s, accepted_nid = %s"
                " WHERE report_id = %s AND handling_unit_id = %s",
                (e.to_unit_id, nid, e.originator_id, e.from_unit_id))


@model.on(Report.Rated)
def _rated(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _update(cur, e, "rating = %s, month = %s, rated_nid = %s", e.rating, month_of(e.at), nid)


# Queries --------------------------------------------------------------------------------

def tally(conn: psycopg.Connection[Any], month: date,
          threshold: int = DEFAULT_POLICY.repeat_dissatisfaction_threshold
          ) -> list[dict[str, Any]]:
    """Điều 18.4: per unit, the "unsatisfied" ratings of re-reports given in ``month``, flagged
    at ``threshold`` or more; most first (units with none are not listed)."""
    with conn.cursor(row_factory=dict_row) as cur:
        # One index range of repeat_dissatisfaction_month.
        return cur.execute(
            f"SELECT handling_unit_id AS unit_id, count(*) AS unsatisfied_re_reports,"
            f" count(*) >= %s AS flagged FROM repeat_dissatisfaction"
            f" WHERE month = %s AND {COUNTS} GROUP BY handling_unit_id"
            f" ORDER BY unsatisfied_re_reports DESC, unit_id", (threshold, month)).fetchall()


def explain(conn: psycopg.Connection[Any], unit_id: UUID, month: date) -> dict[str, Any]:
    """Seed 001 7.a: the re-reports behind a unit's tally, and the notification ids that
    produce it — for each, the event that made it a re-report, its acceptance by the unit and
    its rating."""
    rows = conn.execute(
        f"SELECT report_id, re_report_nid, accepted_nid, rated_nid FROM repeat_dissatisfaction"
        f" WHERE month = %s AND handling_unit_id = %s AND {COUNTS} ORDER BY report_id",
        (month, unit_id)).fetchall()
    return {"value": len(rows), "report_ids": [r[0] for r in rows],
            "notification_ids": sorted(n for r in rows for n in r[1:])}
