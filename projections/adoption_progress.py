"""``adoption_progress``: the adoption-progress form of the roll-out orders (seed 001 1.a, 1.c;
seed 003 annex "Biểu tổng hợp tiến độ cài đặt, sử dụng ứng dụng iHanoi").

One row per unit and round: the latest entry's figures (a later entry corrects the earlier;
both stay in the event store and the audit trail), when the round was first entered and
whether that was by its due. The form of a round reads the unit tree of ``unit_directory``
and rolls each unit's figures up to every unit above it.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row

from domain.adoption import AdoptionProgress
from projections.engine import ReadModel

model = ReadModel("adoption_progress", tables=("adoption_progress",))

#: The form's columns: the unit's staff, then the residents of its area.
FIGURES = ("staff_total", "staff_installed", "residents_total", "residents_with_smartphone",
           "residents_installed")
#: share → (numerator, denominator), each a column of :data:`FIGURES`.
SHARES = {"staff_installed_share": ("staff_installed", "staff_total"),
          "residents_with_smartphone_share": ("residents_with_smartphone", "residents_total"),
          "residents_installed_share": ("residents_installed", "residents_total"),
          "smartphone_owners_installed_share": ("residents_installed",
                                                "residents_with_smartphone")}


@model.on(AdoptionProgress.Entered)
def _entered(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    """The round's first entry sets its first instant and timeliness; a correction only its
    figures and latest instant."""
    by = e.by or {}
    cur.execute(
        f"INSERT INTO adoption_progress (unit_id, round, {', '.join(FIGURES)}, due,"
        " first_entered_at, on_time, entered_at, entries, entered_by, entered_by_role)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (unit_id, round) DO UPDATE SET"
        f" {', '.join(f'{f} = excluded.{f}' for f in FIGURES)},"
        " entered_at = excluded.entered_at, entries = excluded.entries,"
        " entered_by = excluded.entered_by, entered_by_role = excluded.entered_by_role",
        (e.unit_id, e.round, *(getattr(e, f) for f in FIGURES), e.due, e.at, e.on_time, e.at,
         e.entry, by.get("id"), by.get("role")))


# Queries --------------------------------------------------------------------------------

def form(conn: psycopg.Connection[Any], root: UUID | None, round_number: int, due: datetime,
         now: datetime, staff_target: Decimal) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The form of a round under ``root`` (every root of the tree if None): its active units
    depth first by name, numbered (``stt``), each with its own entry (``own``, None if it
    entered nothing), whether it is ``late`` (entered after ``due``, or not at all and
    ``due`` is past at ``now``), and its ``total``: its figures with those of every unit
    below it, the shares, how many of those units entered, were late, and whether the staff
    target is met. Also the grand total over the roots."""
    with conn.cursor(row_factory=dict_row) as cur:
        # The active tree from the root(s), then each unit's row of the round (primary key).
        rows = cur.execute(f"""
            WITH RECURSIVE tree AS (
                SELECT unit_id, name, level, parent_id, 0 AS depth,
                       ARRAY[name || ' ' || unit_id] AS path
                FROM directory_units
                WHERE active AND (unit_id = %(root)s
                                  OR (%(root)s::uuid IS NULL AND parent_id IS NULL))
                UNION ALL
                SELECT u.unit_id, u.name, u.level, u.parent_id, t.depth + 1,
                       t.path || (u.name || ' ' || u.unit_id)
                FROM directory_units u JOIN tree t ON u.parent_id = t.unit_id
                WHERE u.active
            ) CYCLE unit_id SET is_cycle USING visited
            SELECT t.unit_id, t.name AS unit_name, t.level, t.parent_id, t.depth,
                   {', '.join(f'a.{f}' for f in FIGURES)}, a.first_entered_at, a.entered_at,
                   a.on_time, coalesce(a.entries, 0) AS entries
            FROM tree t LEFT JOIN adoption_progress a
                 ON a.unit_id = t.unit_id AND a.round = %(round)s
            WHERE NOT t.is_cycle ORDER BY t.path""",
                           {"root": root, "round": round_number}).fetchall()
    return roll_up(rows, due, now, staff_target)


def roll_up(rows: list[dict[str, Any]], due: datetime, now: datetime, staff_target: Decimal
            ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """:func:`form` from its rows, each unit (depth first, a parent before its children) with
    its entry's columns (``entries`` 0: none): the flags, the numbers and each unit's total
    with the units below it, added up from the deepest."""
    keys = (*FIGURES, "units", "units_entered", "units_late")
    totals: dict[UUID, dict[str, int]] = {}
    for row in reversed(rows):  # children before their parents
        entered = row["entries"] > 0
        row["entered"] = entered
        row["late"] = not row["on_time"] if entered else now > due
        own = {f: row.pop(f) for f in FIGURES}
        row["own"] = own if entered else None
        total = totals.setdefault(row["unit_id"], dict.fromkeys(keys, 0))
        _add(total, {**(own if entered else {}), "units": 1, "units_entered": int(entered),
                     "units_late": int(row["late"])})
        if row["depth"] > 0:
            _add(totals.setdefault(row["parent_id"], dict.fromkeys(keys, 0)), total)
    grand = dict.fromkeys(keys, 0)
    for number, row in enumerate(rows, start=1):
        row["stt"] = number
        row["total"] = _with_shares(totals[row["unit_id"]], staff_target)
        if row["depth"] == 0:
            _add(grand, totals[row["unit_id"]])
    return rows, _with_shares(grand, staff_target)


def _add(into: dict[str, int], figures: dict[str, int]) -> None:
    for key, value in figures.items():
        into[key] += value


def _with_shares(total: dict[str, int], staff_target: Decimal) -> dict[str, Any]:
    """``total`` with each share of :data:`SHARES` (4 decimals; None over nothing) and
    whether the staff target is met (None without staff)."""
    shares = {name: (Decimal(total[part]) / total[whole]).quantize(
        Decimal("0.0001"), ROUND_HALF_UP) if total[whole] else None
        for name, (part, whole) in SHARES.items()}
    met = (total["staff_installed"] >= staff_target * total["staff_total"]
           if total["staff_total"] else None)
    return {**total, **shares, "staff_target_met": met}
