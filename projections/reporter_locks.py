"""``reporter_locks``: each reporter's streak of violations and lock (Điều 27.2–3).

One row per reporter, from ``Reporter`` events only and never his identity: the consecutive
violations, the current or last lock (when it started and ends) and when it was lifted. A lock
lifts by itself once its 30 days are over: the scheduler asks the write side to record it
(:func:`expired`), after which ``lifted_at`` is set.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row

from domain.reporter import Reporter
from projections.engine import ReadModel

model = ReadModel("reporter_locks", tables=("reporter_locks",))


def _update(cur: psycopg.Cursor[Any], e: Any, assignments: str, *values: Any) -> None:
    cur.execute(f"UPDATE reporter_locks SET {assignments}, updated_at = %s WHERE reporter_id = %s",
                (*values, e.at, e.originator_id))


@model.on(Reporter.Registered)
def _registered(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    cur.execute("INSERT INTO reporter_locks (reporter_id, updated_at) VALUES (%s, %s)",
                (e.originator_id, e.at))


@model.on(Reporter.ViolationRecorded)
def _violation(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _update(cur, e, "consecutive_violations = %s", e.streak)


@model.on(Reporter.ViolationStreakBroken)
def _streak_broken(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _update(cur, e, "consecutive_violations = 0")


@model.on(Reporter.Locked)
def _locked(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    """Điều 27.3: more than 3 violations in a row lock the account for 30 days."""
    _update(cur, e, "consecutive_violations = 0, locked_at = %s, locked_until = %s,"
            " lifted_at = NULL", e.at, e.until)


@model.on(Reporter.LockLifted)
def _lifted(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _update(cur, e, "lifted_at = %s", e.at)


# Queries --------------------------------------------------------------------------------

COLUMNS = "reporter_id, consecutive_violations, locked_at, locked_until, lifted_at"


def lock(conn: psycopg.Connection[Any], reporter_id: UUID) -> dict[str, Any] | None:
    """One reporter's streak and lock, by primary key."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(f"SELECT {COLUMNS} FROM reporter_locks WHERE reporter_id = %s",
                           (reporter_id,)).fetchone()


def expired(conn: psycopg.Connection[Any], now: datetime) -> list[UUID]:
    """Reporters whose lock has run out at ``now`` but is not yet lifted, earliest end first."""
    # Served by the partial index reporter_locks_until.
    rows = conn.execute("SELECT reporter_id FROM reporter_locks WHERE lifted_at IS NULL"
                        " AND locked_until <= %s ORDER BY locked_until, reporter_id",
                        (now,)).fetchall()
    return [reporter_id for (reporter_id,) in rows]
