"""``unit_directory``: the unit tree and its officers as they stand now (Điều 25, 28.1).

Units (name, level, parent, code, whether still active, the unit a merged one passed its work
to) and officers (name, unit, role, whether still in office), from ``Unit`` and ``Officer``
events only: the 2025 reorganisation (renames, moves, merges, dissolutions) is data, not code.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

import psycopg

from domain.units import Officer, Unit
from projections.engine import ReadModel

model = ReadModel("unit_directory", tables=("directory_units", "directory_officers"))


def _update_unit(cur: psycopg.Cursor[Any], e: Any, assignments: str, *values: Any) -> None:
    cur.execute(f"UPDATE directory_units SET {assignments}, version = %s, updated_at = %s"
                f" WHERE unit_id = %s", (*values, e.originator_version, e.at, e.originator_id))


def _update_officer(cur: psycopg.Cursor[Any], e: Any, assignments: str, *values: Any) -> None:
    cur.execute(f"UPDATE directory_officers SET {assignments}, version = %s, updated_at = %s"
                f" WHERE officer_id = %s", (*values, e.originator_version, e.at, e.originator_id))


@model.on(Unit.Created)
def _unit_created(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    cur.execute(
        "INSERT INTO directory_units (unit_id, name, level, parent_id, code, active,"
        " created_at, updated_at, version) VALUES (%s, %s, %s, %s, %s, true, %s, %s, %s)",
        (e.originator_id, e.name, e.level, e.parent_id, e.code, e.at, e.at, e.originator_version))


@model.on(Unit.Renamed)
def _unit_renamed(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _update_unit(cur, e, "name = %s", e.name)


@model.on(Unit.Moved)
def _unit_moved(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _update_unit(cur, e, "parent_id = %s", e.parent_id)


@model.on(Unit.Merged)
def _unit_merged(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _update_unit(cur, e, "active = false, merged_into = %s", e.into)


@model.on(Unit.Dissolved)
def _unit_dissolved(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _update_unit(cur, e, "active = false")


@model.on(Officer.Appointed)
def _officer_appointed(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    cur.execute(
        "INSERT INTO directory_officers (officer_id, name, unit_id, role, active, appointed_at,"
        " updated_at, version) VALUES (%s, %s, %s, %s, true, %s, %s, %s)",
        (e.originator_id, e.name, e.unit_id, e.role, e.at, e.at, e.originator_version))


@model.on(Officer.Transferred)
def _officer_transferred(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _update_officer(cur, e, "unit_id = %s, role = %s", e.unit_id, e.role)


@model.on(Officer.Dismissed)
def _officer_dismissed(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _update_officer(cur, e, "active = false")


# Queries --------------------------------------------------------------------------------

UNIT_COLUMNS = "unit_id, name, level, parent_id, active, merged_into, code"


def unit(conn: psycopg.Connection[Any], unit_id: UUID) -> dict[str, Any] | None:
    """One unit, by primary key."""
    with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        return cur.execute(f"SELECT {UNIT_COLUMNS} FROM directory_units WHERE unit_id = %s",
                           (unit_id,)).fetchone()


def names(conn: psycopg.Connection[Any], unit_ids: Iterable[UUID]) -> dict[UUID, str]:
    """The names of the units ``unit_ids`` (those known), in one query: for lists per unit."""
    rows = conn.execute("SELECT unit_id, name FROM directory_units WHERE unit_id = ANY(%s)",
                        (list(set(unit_ids)),)).fetchall()
    return dict(rows)


def children(conn: psycopg.Connection[Any], unit_id: UUID) -> list[dict[str, Any]]:
    """The units directly under ``unit_id`` (merged and dissolved ones flagged inactive)."""
    with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        return cur.execute(f"SELECT {UNIT_COLUMNS} FROM directory_units WHERE parent_id = %s"
                           f" ORDER BY name, unit_id", (unit_id,)).fetchall()


def descendants(conn: psycopg.Connection[Any], unit_id: UUID) -> list[dict[str, Any]]:
    """Every unit below ``unit_id`` at any depth (1 = a child), depth first by name."""
    with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        return cur.execute(f"""
            WITH RECURSIVE tree AS (
                SELECT {UNIT_COLUMNS}, 1 AS depth, ARRAY[name] AS path
                FROM directory_units WHERE parent_id = %s
                UNION ALL
                SELECT u.unit_id, u.name, u.level, u.parent_id, u.active, u.merged_into, u.code,
                       t.depth + 1, t.path || u.name
                FROM directory_units u JOIN tree t ON u.parent_id = t.unit_id
            ) CYCLE unit_id SET is_cycle USING visited
            SELECT {UNIT_COLUMNS}, depth FROM tree WHERE NOT is_cycle ORDER BY path""",
                           (unit_id,)).fetchall()


def officer(conn: psycopg.Connection[Any], officer_id: UUID) -> dict[str, Any] | None:
    """An officer's current unit (with its name and level) and role."""
    with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        return cur.execute(
            "SELECT o.officer_id, o.name, o.role, o.active, o.unit_id, u.name AS unit_name,"
            " u.level AS unit_level FROM directory_officers o"
            " LEFT JOIN directory_units u ON u.unit_id = o.unit_id WHERE o.officer_id = %s",
            (officer_id,)).fetchone()


def of_level(conn: psycopg.Connection[Any], level: str) -> list[dict[str, Any]]:
    """The active units of one level (e.g. the city service centre), by name."""
    with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        return cur.execute(f"SELECT {UNIT_COLUMNS} FROM directory_units"
                           f" WHERE level = %s AND active ORDER BY name, unit_id",
                           (level,)).fetchall()
