"""``duplicate_candidates``: open reports that may be the same problem as a new one, for staff
(issue 7; Điều 6.2.c).

``duplicate_candidates`` holds every open report that has a place (a capital initiative has
none, Điều 9): category, coordinates, submission instant, reporter, receiving and handling
units, status. A report leaves it when published, rejected or marked as a duplicate; a
duplicate waits in ``duplicate_candidates_parked`` and comes back if unmarked.

The candidates for a report are the open reports of the same category, of *another* reporter
(the same reporter repeating himself is not "someone else" of Điều 6.2.c), submitted within
``days`` days of it (before or after) and within ``radius_m`` metres of it on the ground: a
bounding box on the indexed coordinates narrows the search, the haversine great-circle distance
decides. Plain PostgreSQL: at a few hundred metres PostGIS would not earn its place.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row

from domain.policy import Kind
from domain.report import Report
from projections.engine import ReadModel, rerouted

model = ReadModel("duplicate_candidates",
                  tables=("duplicate_candidates", "duplicate_candidates_parked"))

DEFAULT_RADIUS_M = 200.0
DEFAULT_DAYS = 30
EARTH_RADIUS_M = 6_371_008.8  # the mean radius (IUGG)
_COLUMNS = ("report_id, category, latitude, longitude, submitted_at, reporter_id,"
            " receiving_unit_id, handling_unit_id, status")


def _update(cur: psycopg.Cursor[Any], e: Any, assignments: str, *values: Any) -> None:
    cur.execute(f"UPDATE duplicate_candidates SET {assignments} WHERE report_id = %s",
                (*values, e.originator_id))


def _move(cur: psycopg.Cursor[Any], report_id: UUID, source: str, target: str,
          status: str) -> None:
    cur.execute(f"WITH moved AS (DELETE FROM {source} WHERE report_id = %s RETURNING *)"
                f" INSERT INTO {target} ({_COLUMNS}) SELECT report_id, category, latitude,"
                f" longitude, submitted_at, reporter_id, receiving_unit_id, handling_unit_id, %s"
                f" FROM moved", (report_id, status))


@model.on(Report.Submitted)
def _submitted(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    if e.kind == Kind.INITIATIVE:
        return
    cur.execute(f"INSERT INTO duplicate_candidates ({_COLUMNS})"
                f" VALUES (%s, %s, %s, %s, %s, %s, %s, NULL, 'received')",
                (e.originator_id, e.category, e.location["latitude"], e.location["longitude"],
                 e.at, e.reporter_id, e.receiving_unit_id))


@model.on(Report.Escalated)
def _escalated(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _update(cur, e, "receiving_unit_id = %s", e.to_unit_id)


@model.on(Report.Rerouted)
def _rerouted(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    """Điều 28.1: the merged unit's place on the report passes to its successor."""
    cur.execute(f"UPDATE duplicate_candidates"
                f" SET {rerouted('receiving_unit_id', 'handling_unit_id')}"
                " WHERE report_id = %(report)s",
                {"from": e.from_unit_id, "to": e.to_unit_id, "report": e.originator_id})


@model.on(Report.Accepted)
def _accepted(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _update(cur, e, "status = 'accepted', handling_unit_id = %s", e.handling_unit_id)


@model.on(Report.Assigned, Report.CoordinatedToCommune, Report.ResultProposed,
          Report.ResultReturned, Report.ResultApproved, Report.ResultUpdated)
def _moved_on(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    status = {Report.Assigned: "in_handling", Report.CoordinatedToCommune: "in_handling",
              Report.ResultProposed: "awaiting_approval",
              Report.ResultReturned: "in_rework", Report.ResultApproved: "approved",
              Report.ResultUpdated: "result_updated"}[type(e)]
    _update(cur, e, "status = %s", status)


@model.on(Report.Published, Report.Rejected)
def _closed(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    cur.execute("DELETE FROM duplicate_candidates WHERE report_id = %s", (e.originator_id,))


@model.on(Report.MarkedDuplicate)
def _marked_duplicate(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _move(cur, e.originator_id, "duplicate_candidates", "duplicate_candidates_parked",
          "duplicate")


@model.on(Report.DuplicateUnmarked)
def _duplicate_unmarked(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _move(cur, e.originator_id, "duplicate_candidates_parked", "duplicate_candidates",
          e.restored["status"])


# Queries --------------------------------------------------------------------------------

def candidates(conn: psycopg.Connection[Any], report_id: UUID,
               radius_m: float = DEFAULT_RADIUS_M, days: int = DEFAULT_DAYS
               ) -> list[dict[str, Any]]:
    """Open reports of the same category and another reporter within ``radius_m`` metres and
    ``days`` days of the report (open, or parked as a duplicate), nearest first, with their
    distance in metres; [] when the report is closed or has no place."""
    with conn.cursor(row_factory=dict_row) as cur:
        # The box (1% wider than the circle: it only narrows the search) is served by
        # duplicate_candidates_place; the haversine distance then decides.
        return cur.execute("""
            WITH subject AS (
                SELECT report_id, category, latitude, longitude, submitted_at, reporter_id,
                       degrees(%(radius)s / %(earth)s) * 1.01 AS box
                FROM (SELECT * FROM duplicate_candidates WHERE report_id = %(report)s
                      UNION ALL
                      SELECT * FROM duplicate_candidates_parked WHERE report_id = %(report)s) s
            ), nearby AS (
                SELECT c.report_id, c.category, c.latitude, c.longitude, c.submitted_at,
                       c.receiving_unit_id, c.handling_unit_id, c.status,
                       2 * %(earth)s * asin(sqrt(
                           power(sin(radians(c.latitude - s.latitude) / 2), 2)
                           + cos(radians(s.latitude)) * cos(radians(c.latitude))
                             * power(sin(radians(c.longitude - s.longitude) / 2), 2)
                       )) AS distance_m
                FROM subject s JOIN duplicate_candidates c
                  ON c.category = s.category
                 AND c.latitude BETWEEN s.latitude - s.box AND s.latitude + s.box
                 AND c.longitude BETWEEN s.longitude - s.box / cos(radians(s.latitude))
                                     AND s.longitude + s.box / cos(radians(s.latitude))
                 AND c.submitted_at BETWEEN s.submitted_at - make_interval(days => %(days)s::int)
                                        AND s.submitted_at + make_interval(days => %(days)s::int)
                 AND c.report_id <> s.report_id AND c.reporter_id <> s.reporter_id
            )
            SELECT * FROM nearby WHERE distance_m <= %(radius)s
            ORDER BY distance_m, submitted_at, report_id""",
                           {"report": report_id, "radius": radius_m, "earth": EARTH_RADIUS_M,
                            "days": days}).fetchall()
