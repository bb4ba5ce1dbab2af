"""``alerts``: units' information and warnings to residents (Chương III, Điều 15–17).

One row per alert with its unit, level, category, severity, content, validity period, status
(draft, approved, sent) and the area it was sent to (``area_unit_id``: the city for a
department's or the service centre's alert, Điều 15.1; the unit itself for a district or
commune), and the unit tree (``alert_units``, from ``Unit`` events): an alert sent to an area
reaches the residents of that unit and of every unit below it.

The 3-day cadence (seed 001 1.d, 8.b, seed 003 1: "tối thiểu 03 ngày 01 tin"): the active
department, district and commune units that have sent no alert in the last ``days`` calendar
days.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row

from domain.alert import CADENCE_LEVELS, Alert
from domain.units import Unit
from projections.engine import ReadModel

model = ReadModel("alerts", tables=("alerts", "alert_units"))

PUBLISHING_LEVELS = sorted(str(level) for level in CADENCE_LEVELS)


def _update(cur: psycopg.Cursor[Any], e: Any, assignments: str, *values: Any) -> None:
    cur.execute(f"UPDATE alerts SET {assignments}, version = %s WHERE alert_id = %s",
                (*values, e.originator_version, e.originator_id))


@model.on(Alert.Drafted)
def _drafted(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    cur.execute(
        "INSERT INTO alerts (alert_id, unit_id, unit_level, category, severity, title, body,"
        " valid_from, valid_until, resend_of, status, drafted_at, version)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'draft', %s, %s)",
        (e.originator_id, e.unit_id, e.unit_level, e.category, e.severity, e.title, e.body,
         e.valid_from, e.valid_until, e.resend_of, e.at, e.originator_version))


@model.on(Alert.Edited)
def _edited(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _update(cur, e, "title = %s, body = %s, severity = %s, valid_from = %s, valid_until = %s",
            e.title, e.body, e.severity, e.valid_from, e.valid_until)


@model.on(Alert.Approved)
def _approved(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _update(cur, e, "status = 'approved', approved_at = %s", e.at)


@model.on(Alert.Sent)
def _sent(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _update(cur, e, "status = 'sent', sent_at = %s, area_unit_id = %s", e.at, e.area_unit_id)


@model.on(Unit.Created)
def _unit_created(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    cur.execute("INSERT INTO alert_units (unit_id, parent_id, level, active, created_at)"
                " VALUES (%s, %s, %s, true, %s)", (e.originator_id, e.parent_id, e.level, e.at))


@model.on(Unit.Moved)
def _unit_moved(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    cur.execute("UPDATE alert_units SET parent_id = %s WHERE unit_id = %s",
                (e.parent_id, e.originator_id))


@model.on(Unit.Merged, Unit.Dissolved)
def _unit_gone(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    cur.execute("UPDATE alert_units SET active = false WHERE unit_id = %s", (e.originator_id,))


# Queries --------------------------------------------------------------------------------

COLUMNS = ("a.alert_id, a.unit_id, a.unit_level, a.category, a.severity, a.title, a.body,"
           " a.valid_from, a.valid_until, a.status, a.sent_at")


def alert(conn: psycopg.Connection[Any], alert_id: UUID) -> dict[str, Any] | None:
    """One alert, by primary key, whatever its status."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(f"SELECT {COLUMNS} FROM alerts a WHERE a.alert_id = %s",
                           (alert_id,)).fetchone()


def for_area(conn: psycopg.Connection[Any], area_unit_id: UUID,
             now: datetime) -> list[dict[str, Any]]:
    """Điều 15–17: the alerts reaching a resident of ``area_unit_id`` at ``now`` — sent to that
    unit or any unit above it (a department's alert: to the city), and valid at ``now`` —
    latest first."""
    with conn.cursor(row_factory=dict_row) as cur:
        # Walk up the tree from the area, then the alerts sent to those units (alerts_area_sent).
        return cur.execute(f"""
            WITH RECURSIVE area AS (
                SELECT unit_id, parent_id FROM alert_units WHERE unit_id = %(area)s
                UNION
                SELECT u.unit_id, u.parent_id FROM alert_units u
                JOIN area ON u.unit_id = area.parent_id
            )
            SELECT {COLUMNS} FROM area JOIN alerts a ON a.area_unit_id = area.unit_id
            WHERE a.status = 'sent' AND a.valid_from <= %(now)s AND %(now)s <= a.valid_until
            ORDER BY a.sent_at DESC, a.alert_id""", {"area": area_unit_id, "now": now}).fetchall()


def cadence(conn: psycopg.Connection[Any], now: datetime, days: int) -> list[dict[str, Any]]:
    """Seed 001 1.d, seed 003 1: the active department, district and commune units that have
    sent no alert in the ``days`` calendar days up to ``now`` (units younger than that are not
    yet due), with their last alert's instant, longest silent first."""
    since = now - timedelta(days=days)
    with conn.cursor(row_factory=dict_row) as cur:
        # The last sent alert of each unit up to now (alerts_unit_sent), kept when older.
        return cur.execute("""
            SELECT u.unit_id, u.level, last.sent_at AS last_sent_at
            FROM alert_units u
            LEFT JOIN LATERAL (SELECT max(sent_at) AS sent_at FROM alerts a
                               WHERE a.unit_id = u.unit_id AND a.sent_at <= %(now)s) last ON true
            WHERE u.active AND u.level = ANY(%(levels)s) AND u.created_at <= %(since)s
              AND (last.sent_at IS NULL OR last.sent_at <= %(since)s)
            ORDER BY last.sent_at NULLS FIRST, u.unit_id""",
                           {"now": now, "since": since, "levels": PUBLISHING_LEVELS}).fetchall()
