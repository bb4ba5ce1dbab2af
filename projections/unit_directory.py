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
from projections.paging import decode_keys, page_by_keys

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


#: Levels whose unit is an area of residents (Điều 15–17): a unit of another level serves
#: the area of the nearest unit above it of one of these levels (a department: the city).
AREA_LEVELS = ["city", "district", "commune"]
TREE_ORDER = "directory_units depth"
OFFICERS_ORDER = "directory_officers name"


def tree_page(conn: psycopg.Connection[Any], *, level: str | None = None,
              parent_id: UUID | None = None, include_inactive: bool = False,
              cursor: str | None = None, limit: int = 100
              ) -> tuple[list[dict[str, Any]], str | None]:
    """The unit tree breadth first — each unit with its ``depth`` (0: a root) and its area
    (``area_unit_id``: itself for the city, a district or a commune, else its nearest such
    ancestor) — by depth, then name; filtered by level and parent; active units only unless
    ``include_inactive``. One page and the cursor of the next (None on the last)."""
    filters = {"level = %(level)s": level, "parent_id = %(parent)s": parent_id,
               "active": None if include_inactive else True}
    where = ["NOT is_cycle", *(c for c, v in filters.items() if v is not None)]
    params: dict[str, Any] = {"level": level, "parent": parent_id, "areas": AREA_LEVELS,
                              "limit": limit + 1}
    if cursor:
        depth, name, unit_id = decode_keys(cursor, TREE_ORDER, 3)
        if not (depth.isdigit() and len(depth) <= 4):
            raise ValueError(f"invalid cursor {cursor!r}")
        try:
            params["after_id"] = UUID(unit_id)
        except ValueError as error:
            raise ValueError(f"invalid cursor {cursor!r}") from error
        params["after_depth"], params["after_name"] = int(depth), name
        where.append("(depth, name, unit_id) > (%(after_depth)s, %(after_name)s,"
                     " %(after_id)s)")
    with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        # The whole tree from its roots (a few thousand units at most), then one page of it.
        rows = cur.execute(f"""
            WITH RECURSIVE tree AS (
                SELECT {UNIT_COLUMNS}, 0 AS depth,
                       CASE WHEN level = ANY(%(areas)s) THEN unit_id END AS area_unit_id
                FROM directory_units WHERE parent_id IS NULL
                UNION ALL
                SELECT u.unit_id, u.name, u.level, u.parent_id, u.active, u.merged_into, u.code,
                       t.depth + 1, CASE WHEN u.level = ANY(%(areas)s) THEN u.unit_id
                                         ELSE t.area_unit_id END
                FROM directory_units u JOIN tree t ON u.parent_id = t.unit_id
            ) CYCLE unit_id SET is_cycle USING visited
            SELECT {UNIT_COLUMNS}, depth, area_unit_id FROM tree WHERE {' AND '.join(where)}
            ORDER BY depth, name, unit_id LIMIT %(limit)s""", params).fetchall()
    return page_by_keys(rows, limit, TREE_ORDER,
                        lambda r: (str(r["depth"]), r["name"], str(r["unit_id"])))


def ancestors(conn: psycopg.Connection[Any], unit_id: UUID) -> list[UUID]:
    """The units above ``unit_id``, its parent first, up to the root."""
    rows = conn.execute("""
        WITH RECURSIVE up AS (
            SELECT parent_id FROM directory_units WHERE unit_id = %s
            UNION ALL
            SELECT u.parent_id FROM directory_units u JOIN up ON u.unit_id = up.parent_id
        ) CYCLE parent_id SET is_cycle USING visited
        SELECT parent_id FROM up WHERE parent_id IS NOT NULL AND NOT is_cycle""",
                        (unit_id,)).fetchall()
    return [row[0] for row in rows]


def officers_page(conn: psycopg.Connection[Any], unit_id: UUID, *, role: str | None = None,
                  cursor: str | None = None, limit: int = 100
                  ) -> tuple[list[dict[str, Any]], str | None]:
    """The officers in office in ``unit_id`` (optionally of one role), by name; one page and
    the cursor of the next (None on the last)."""
    where = ["unit_id = %(unit)s", "active"]
    params: dict[str, Any] = {"unit": unit_id, "role": role, "limit": limit + 1}
    if role is not None:
        where.append("role = %(role)s")
    if cursor:
        name, officer_id = decode_keys(cursor, OFFICERS_ORDER, 2)
        try:
            params["after_id"] = UUID(officer_id)
        except ValueError as error:
            raise ValueError(f"invalid cursor {cursor!r}") from error
        params["after_name"] = name
        where.append("(name, officer_id) > (%(after_name)s, %(after_id)s)")
    with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        # Served by directory_officers_unit.
        rows = cur.execute(
            f"SELECT officer_id, name, role, unit_id FROM directory_officers"
            f" WHERE {' AND '.join(where)} ORDER BY name, officer_id LIMIT %(limit)s",
            params).fetchall()
    return page_by_keys(rows, limit, OFFICERS_ORDER,
                        lambda r: (r["name"], str(r["officer_id"])))
