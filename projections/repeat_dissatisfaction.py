"""``repeat_dissatisfaction``: matters that units leave unresolved, bringing people back to
report again and rate "unsatisfied" 5 times or more (Điều 18.4; issue 10 item 5).

Điều 18.4: "xử lý phản ánh, kiến nghị chưa dứt điểm, để cá nhân, tổ chức phản ánh lặp lại và
đánh giá không hài lòng nhiều lần (5 lần trở lên)". The rule of this read model:

- **What counts**: the "unsatisfied" ratings (Điều 13) of the reports of one **matter** — the
  problem a report starts and its re-reports (``SubmitReport(re_report_of=…)``) or the reports
  an officer links to it (``LinkedToMatter``) — over the matter's whole history, **the first
  report's rating included**. Ratings of unrelated matters never add up.
- **Reached**: a matter reaches the policy's threshold (5) with its 5th unsatisfied rating.
- **Resolved**: a matter is *resolved* when its latest rating (by business instant, then event
  order) is "satisfied" or "acceptable" — the person accepted the result; it is *unresolved*
  while its latest rating is "unsatisfied" (a newer re-report not yet rated leaves it so).
  A matter resolved and later rated "unsatisfied" again is unresolved again.
- **Which unit**: the handling unit (Điều 7.2.b; its successor after a merger, Điều 28.1) of
  the report whose "unsatisfied" rating is the matter's latest — the unit that last left the
  matter unsettled.
- **Listed in a month** (Asia/Ho_Chi_Minh): a matter is listed, flagging its unit, in month M
  when it has at least the threshold of unsatisfied ratings by the end of M (or by the query's
  instant) and either received an unsatisfied rating in M (it reached the threshold, or was
  re-opened, in M) or was unresolved when M began. So a unit is flagged in the month its matter
  reaches 5, and stays listed every following month while the matter is unresolved.

One row per report: its matter and the events that put it there (``Submitted`` or
``LinkedToMatter``), its acceptance by the handling unit and its rating — the events that
explain each figure.
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

UNSATISFIED = str(Rating.UNSATISFIED)


def _update(cur: psycopg.Cursor[Any], e: Any, assignments: str, *values: Any) -> None:
    cur.execute(f"UPDATE repeat_dissatisfaction SET {assignments} WHERE report_id = %s",
                (*values, e.originator_id))


@model.on(Report.Submitted)
def _submitted(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    cur.execute("INSERT INTO repeat_dissatisfaction (report_id, matter_id, re_report_of,"
                " re_report_nid, matter_nid) VALUES (%s, %s, %s, %s, %s)",
                (e.originator_id, e.matter_id or e.originator_id, e.re_report_of,
                 nid if e.re_report_of else None, nid))


@model.on(Report.LinkedToMatter)
def _linked(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _update(cur, e, "matter_id = %s, re_report_of = %s, re_report_nid = %s, matter_nid = %s",
            e.matter_id, e.earlier_report_id, nid, nid)


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
    _update(cur, e, "rating = %s, month = %s, rated_at = %s, rated_nid = %s", e.rating,
            month_of(e.at), e.at, nid)


# Queries --------------------------------------------------------------------------------

# Per matter, from its ratings given up to the end of %(month)s: the unsatisfied ones, whether
# one fell in %(month)s, the latest rating before it and by its end, the unit of the latest
# unsatisfied one and when the threshold was reached; then the matters listed in %(month)s.
# Only the matters with the threshold of unsatisfied ratings by then can be listed: found
# first through repeat_dissatisfaction_unsatisfied (an index-only scan of the unsatisfied
# ratings), their ratings then read through repeat_dissatisfaction_matter, not every rating
# of the history.
LISTED = f"""
    WITH candidates AS (
        SELECT matter_id FROM repeat_dissatisfaction
        WHERE rating = '{UNSATISFIED}' AND month <= %(month)s
        GROUP BY matter_id HAVING count(*) >= %(threshold)s
    ), per_matter AS (
        SELECT matter_id,
               count(*) FILTER (WHERE rating = '{UNSATISFIED}') AS unsatisfied_ratings,
               bool_or(rating = '{UNSATISFIED}' AND month = %(month)s) AS unsatisfied_in_month,
               (array_agg(rating ORDER BY rated_at DESC, rated_nid DESC)
                  FILTER (WHERE month < %(month)s))[1] AS rating_before,
               (array_agg(rating ORDER BY rated_at DESC, rated_nid DESC))[1] AS latest_rating,
               (array_agg(handling_unit_id ORDER BY rated_at DESC, rated_nid DESC)
                  FILTER (WHERE rating = '{UNSATISFIED}'))[1] AS unit_id,
               (array_agg(rated_at ORDER BY rated_at, rated_nid)
                  FILTER (WHERE rating = '{UNSATISFIED}'))[%(threshold)s] AS reached_at
        FROM repeat_dissatisfaction WHERE rating IS NOT NULL AND month <= %(month)s
        AND matter_id IN (SELECT matter_id FROM candidates)
        GROUP BY matter_id
        HAVING count(*) FILTER (WHERE rating = '{UNSATISFIED}') >= %(threshold)s
    )
    SELECT unit_id, matter_id, unsatisfied_ratings, reached_at, latest_rating,
           latest_rating = '{UNSATISFIED}' AS unresolved
    FROM per_matter WHERE unsatisfied_in_month OR rating_before = '{UNSATISFIED}'"""


def listed(conn: psycopg.Connection[Any], month: date,
           threshold: int = DEFAULT_POLICY.repeat_dissatisfaction_threshold,
           unit_id: UUID | None = None) -> list[dict[str, Any]]:
    """Điều 18.4: the matters listed in ``month`` (of ``unit_id``, or of every unit), by
    unit then by when they reached the threshold."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            f"SELECT * FROM ({LISTED}) listed"
            f" WHERE %(unit)s::uuid IS NULL OR unit_id = %(unit)s::uuid"
            f" ORDER BY unit_id, reached_at, matter_id",
            {"month": month, "threshold": threshold, "unit": unit_id}).fetchall()


def tally(conn: psycopg.Connection[Any], month: date,
          threshold: int = DEFAULT_POLICY.repeat_dissatisfaction_threshold
          ) -> list[dict[str, Any]]:
    """Điều 18.4: the units flagged in ``month``, each with its listed matters (most matters
    first; units with none are not listed)."""
    units: dict[UUID, list[dict[str, Any]]] = {}
    for row in listed(conn, month, threshold):
        units.setdefault(row.pop("unit_id"), []).append(row)
    return [{"unit_id": unit_id, "flagged": True, "matters": matters}
            for unit_id, matters in sorted(units.items(), key=lambda u: (-len(u[1]), str(u[0])))]


def explain(conn: psycopg.Connection[Any], unit_id: UUID, month: date,
            threshold: int = DEFAULT_POLICY.repeat_dissatisfaction_threshold
            ) -> dict[str, Any]:
    """Seed 001 7.a: the matters behind a unit's flag in ``month`` and, for each, every rating
    of its history up to the month's end (report, rating, when, by which handling unit) with
    the events that produce it — the rating, the event that put the report in the matter and
    its acceptance by the handling unit. ``value`` is the number of matters listed;
    ``report_ids`` the reports rated "unsatisfied"."""
    matters = listed(conn, month, threshold, unit_id)
    with conn.cursor(row_factory=dict_row) as cur:
        # The matters' ratings by repeat_dissatisfaction_matter.
        ratings = cur.execute(
            "SELECT matter_id, report_id, handling_unit_id, rating, rated_at, rated_nid,"
            " matter_nid, accepted_nid FROM repeat_dissatisfaction WHERE matter_id = ANY(%s)"
            " AND rating IS NOT NULL AND month <= %s ORDER BY rated_at, rated_nid",
            ([m["matter_id"] for m in matters], month)).fetchall()
    report_ids: list[UUID] = []
    nids: set[int] = set()
    explained = []
    for matter in matters:
        rows = [r for r in ratings if r["matter_id"] == matter["matter_id"]]
        for r in rows:
            nids.update(n for n in (r["rated_nid"], r["matter_nid"], r["accepted_nid"]) if n)
            if r["rating"] == UNSATISFIED:
                report_ids.append(r["report_id"])
        explained.append({**matter, "ratings": [
            {"report_id": r["report_id"], "handling_unit_id": r["handling_unit_id"],
             "rating": r["rating"], "rated_at": r["rated_at"],
             "notification_id": r["rated_nid"]} for r in rows]})
    return {"value": len(matters), "report_ids": sorted(report_ids, key=str),
            "notification_ids": sorted(nids), "matters": explained}
