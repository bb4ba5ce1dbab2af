"""``audit_trail``: one row per event, for Home Affairs inspections (Điều 22; seed 000 Điều 2.4).

Every event of a report, a unit, an officer, a reporter, a unit's adoption figures (seed 003
annex) and of the policy book becomes one immutable row: its notification id, aggregate, version
and event type, the instant, **who** acted (actor id, role, unit and unit level *as recorded in
the event*, so a later transfer never rewrites the past), which report it concerns, the stage it
closed (with its due instant and whether it was on time) and the stage it opened (with its due
instant), and a small JSON of non-personal details. A reporter's identity (name, phone, e-mail,
citizen id; Điều 5.7, 14.1) is never copied: ``Reporter.Registered`` and
``Reporter.IdentityUpdated`` rows carry no details at all, and free texts written by citizens
(report content, questions, rating comments) are left out.

``unit_id`` is where the event happened: the actor's unit at the time, else the unit of the
stage opened or closed (a citizen's submission lands on the receiving unit; a deadline passing
is the unit holding the stage).

Issue 7: links to a matter, duplicate markings (the stages closed, and on unmarking the stages
re-opened with their recorded due instants; the first in the columns, all in ``details``), and
moderation — who hid or redacted what, when and why. A redaction's row never carries the text:
neither the original (the personal data it removes) nor the redacted version (a citizen's
text, which the trail never copies).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from functools import partial
from typing import Any
from uuid import UUID

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from domain.actors import Role
from domain.adoption import AdoptionProgress
from domain.ledger import DailySeal
from domain.policy_book import PolicyBook
from domain.report import ClosedStage, Report, StageRecord
from domain.reporter import Reporter
from domain.units import Officer, Unit
from projections.engine import ReadModel
from projections.paging import decode_keys, page_by_keys

model = ReadModel("audit_trail", tables=("audit_trail",))

#: The non-personal attributes each event contributes to ``details``.
DETAILS: dict[type, tuple[str, ...]] = {
    Report.Submitted: ("kind", "category", "confidential", "receiving_unit_id", "re_report_of"),
    Report.VerificationStarted: (),
    Report.VerificationCompleted: ("passed",),
    Report.Rejected: ("reason", "note"),
    Report.Escalated: ("to_unit_id", "why"),
    Report.Accepted: ("handling_unit_id",),
    Report.Classified: ("urgency",),
    Report.Assigned: ("department_id", "officer"),
    Report.Reassigned: ("department_id", "officer", "reason"),
    Report.CoordinatedToCommune: ("commune_id",),
    Report.CommuneOfficerAssigned: ("officer",),
    Report.CoordinationRequested: ("unit_ids",),
    Report.CoordinationContributed: ("unit_id", "evidence"),
    Report.ExtensionGranted: ("reason", "previous_due", "due", "policy_version"),
    Report.ResultProposed: ("evidence",),
    Report.ResultReturned: ("reason",),
    Report.ResultApproved: (),
    Report.ResultUpdated: ("evidence",),
    Report.Published: (),
    Report.InitiativeAnswered: ("evidence",),
    Report.ClarificationRequested: (),
    Report.ClarificationAnswered: (),
    Report.Rated: ("rating",),
    Report.ViolationMarked: ("note",),
    Report.LinkedToMatter: ("matter_id", "earlier_report_id"),
    Report.Hidden: ("target", "reason"),
    Report.Redacted: ("field", "reason"),
    Report.Rerouted: ("from_unit_id", "to_unit_id"),
    Unit.Created: ("name", "level", "parent_id", "code"),
    Unit.Renamed: ("name",),
    Unit.Moved: ("parent_id",),
    Unit.Merged: ("into",),
    Unit.Dissolved: (),
    Officer.Appointed: ("unit_id", "role"),
    Officer.Transferred: ("unit_id", "role"),
    Officer.Dismissed: (),
    Reporter.Registered: (),
    Reporter.IdentityUpdated: (),
    Reporter.ViolationRecorded: ("streak",),
    Reporter.Locked: ("until", "policy_version"),
    Reporter.ViolationStreakBroken: (),
    Reporter.LockLifted: ("locked_until",),
    DailySeal.Sealed: ("day", "head_notification_id", "head_hash", "events"),
}

COLUMNS = ("notification_id", "aggregate_type", "aggregate_id", "version", "event_type", "at",
           "actor_id", "actor_role", "actor_unit_id", "actor_unit_level", "unit_id", "report_id",
           "closed_stage", "closed_unit_id", "closed_started_at", "closed_due", "closed_on_time",
           "opened_stage", "opened_unit_id", "opened_due", "details")

#: The hash chain's columns the CSV export adds to each row (Điều 22): the event's digest, the
#: chain's hash before it and after it; ``scripts/verify_audit_export.py`` checks them offline.
CHAIN_COLUMNS = ("event_digest", "previous_hash", "event_hash")

_INSERT = (f"INSERT INTO audit_trail ({', '.join(COLUMNS)})"
           f" VALUES ({', '.join(['%s'] * len(COLUMNS))})")


def _json_default(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


_dumps = partial(json.dumps, default=_json_default, ensure_ascii=False, sort_keys=True)


def _actor(e: Any) -> dict[str, Any]:
    """The actor as the event recorded him; a submission or a registration is the citizen's own."""
    by: dict[str, Any] | None = getattr(e, "by", None)
    if by is not None:
        return by
    if isinstance(e, Report.Submitted):
        return {"id": str(e.reporter_id), "role": str(Role.CITIZEN)}
    if isinstance(e, Reporter.Registered | Reporter.IdentityUpdated):
        return {"id": str(e.originator_id), "role": str(Role.CITIZEN)}
    return {}


def _report_id(e: Any) -> UUID | None:
    if isinstance(e, Report.Event):
        return e.originator_id
    return getattr(e, "report_id", None)


def _insert(cur: psycopg.Cursor[Any], e: Any, nid: int, details: dict[str, Any],
            unit_id: UUID | None = None) -> None:
    """One row: the first stage the event closed and the first it opened in the columns."""
    actor = _actor(e)
    closed: ClosedStage | None = next(iter(getattr(e, "closed", ())), None)
    opened: StageRecord | None = next(iter(getattr(e, "opened", ())), None)
    aggregate_type, _, event_type = type(e).__qualname__.rpartition(".")
    unit_id = (unit_id or actor.get("unit_id") or (opened.unit_id if opened else None)
               or (closed.unit_id if closed else None))
    cur.execute(
        _INSERT,
        (nid, aggregate_type, e.originator_id, e.originator_version, event_type, e.at,
         actor.get("id"), actor.get("role"), actor.get("unit_id"), actor.get("unit_level"),
         unit_id, _report_id(e), *_columns(closed, "stage", "unit_id", "started_at", "due",
                                           "on_time"),
         *_columns(opened, "stage", "unit_id", "due"), Jsonb(details, dumps=_dumps)))


def _columns(stage: StageRecord | None, *names: str) -> list[Any]:
    return [getattr(stage, name) if stage is not None else None for name in names]


@model.on(*DETAILS)
def _event(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _insert(cur, e, nid, {name: getattr(e, name) for name in DETAILS[type(e)]})


def _stages(stages: list[ClosedStage] | list[StageRecord]) -> list[dict[str, Any]]:
    keys = ("stage", "unit_id", "officer_id", "started_at", "due", "ended_at", "on_time")
    return [{k: v for k, v in stage.as_dict().items() if k in keys} for stage in stages]


@model.on(Report.MarkedDuplicate)
def _marked_duplicate(cur: psycopg.Cursor[Any], e: Report.MarkedDuplicate, nid: int) -> None:
    """Điều 6.2.c: the original it duplicates and every stage the marking closed."""
    _insert(cur, e, nid, {"original_id": e.original_id, "closed": _stages(e.closed)})


@model.on(Report.DuplicateUnmarked)
def _duplicate_unmarked(cur: psycopg.Cursor[Any], e: Report.DuplicateUnmarked, nid: int) -> None:
    """The reason, and the stages re-opened with their recorded due instants."""
    _insert(cur, e, nid, {"reason": e.reason, "opened": _stages(e.opened)})


@model.on(Report.StageDeadlinePassed)
def _deadline_passed(cur: psycopg.Cursor[Any], e: Report.StageDeadlinePassed, nid: int) -> None:
    """A stage's due instant passed while it was open (dated at the due instant); recorded
    by the scheduler at ``recorded_at``."""
    (stage,) = _stages([e.stage])
    _insert(cur, e, nid, {**stage, "recorded_at": e.recorded_at}, unit_id=e.stage.unit_id)


@model.on(AdoptionProgress.Entered)
def _adoption_entered(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    """Seed 003 annex: a unit's figures for a round — a correction too, the earlier entry
    keeping its row — on the unit's rows whoever entered them."""
    _insert(cur, e, nid, {name: getattr(e, name) for name in (
        "round", "staff_total", "staff_installed", "residents_total",
        "residents_with_smartphone", "residents_installed", "entry", "due", "on_time")},
            unit_id=e.unit_id)


@model.on(PolicyBook.PolicyAdopted)
def _policy_adopted(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _insert(cur, e, nid, {"version": e.policy["version"]})


# Queries --------------------------------------------------------------------------------


def _where(report_id: UUID | None, unit_id: UUID | None, since: datetime | None,
           until: datetime | None, kind: str | None = None
           ) -> tuple[sql.Composable, list[Any]]:
    conditions: list[sql.Composable] = [sql.SQL("true")]
    params: list[Any] = []
    if kind is not None:  # the reports of that kind, by their submission's row
        conditions.append(sql.SQL(
            "report_id IN (SELECT report_id FROM audit_trail WHERE aggregate_type = 'Report'"
            " AND event_type = 'Submitted' AND details->>'kind' = %s)"))
        params.append(kind)
    for column, op, value in (("report_id", "=", report_id), ("unit_id", "=", unit_id),
                              ("at", ">=", since), ("at", "<", until)):
        if value is not None:
            conditions.append(sql.SQL("{} {} %s").format(sql.Identifier(column), sql.SQL(op)))
            params.append(value)
    return sql.SQL(" AND ").join(conditions), params


def rows(conn: psycopg.Connection[Any], *, report_id: UUID | None = None,
         unit_id: UUID | None = None, since: datetime | None = None,
         until: datetime | None = None, limit: int = 1000, kind: str | None = None,
         after: int | None = None) -> list[dict[str, Any]]:
    """The trail in event order, filtered by report, unit, ``since <= at < until`` and the
    reports' ``kind`` (which keeps only rows of reports), from the event after notification
    ``after`` on."""
    where, params = _where(report_id, unit_id, since, until, kind)
    if after is not None:
        where = sql.SQL("{} AND notification_id > %s").format(where)
        params.append(after)
    query = sql.SQL("SELECT {} FROM audit_trail WHERE {} ORDER BY notification_id LIMIT %s").format(
        sql.SQL(", ").join(map(sql.Identifier, COLUMNS)), where)
    with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        return cur.execute(query, [*params, limit]).fetchall()


PAGE_ORDER = "audit_trail notification_id"
MAX_PAGE = 5000


def rows_page(conn: psycopg.Connection[Any], *, report_id: UUID | None = None,
              unit_id: UUID | None = None, since: datetime | None = None,
              until: datetime | None = None, kind: str | None = None,
              cursor: str | None = None, limit: int = 1000
              ) -> tuple[list[dict[str, Any]], str | None]:
    """:func:`rows` one page of ``limit`` events at a time (keyset on the notification id),
    with the cursor of the next page (None on the last); ``ValueError`` for a cursor of
    another list."""
    after = None
    if cursor:
        (position,) = decode_keys(cursor, PAGE_ORDER, 1)
        if not (position.isdigit() and len(position) <= 18):
            raise ValueError(f"invalid cursor {cursor!r}")
        after = int(position)
    found = rows(conn, report_id=report_id, unit_id=unit_id, since=since, until=until,
                 limit=limit + 1, kind=kind, after=after)
    return page_by_keys(found, limit, PAGE_ORDER, lambda r: (str(r["notification_id"]),),
                        max_page=MAX_PAGE)


#: The instants of a row, printed in ISO 8601 by :func:`export_csv`.
INSTANT_COLUMNS = ("at", "closed_started_at", "closed_due", "opened_due")


def _iso(column: str) -> sql.Composable:
    """``column`` (a timestamptz) as ISO 8601 text at the session's offset, as Python's
    ``isoformat`` prints it: ``2026-03-02T09:00:00+07:00``, microseconds only when present."""
    name = sql.Identifier(column)
    return sql.SQL(
        "to_char({c}, 'YYYY-MM-DD\"T\"HH24:MI:SS')"
        " || CASE WHEN mod(date_part('microseconds', {c})::bigint, 1000000) = 0 THEN ''"
        " ELSE to_char({c}, '.US') END || to_char({c}, 'TZH:TZM') AS {c}").format(c=name)


def _export_query(where: sql.Composable, *, iso: bool) -> sql.Composed:
    columns = [_iso(c) if iso and c in INSTANT_COLUMNS else sql.Identifier(c) for c in COLUMNS]
    return sql.SQL("SELECT {}, c.event_digest, c.previous_hash, c.hash AS event_hash"
                   " FROM audit_trail LEFT JOIN event_chain c USING (notification_id)"
                   " WHERE {} ORDER BY notification_id").format(sql.SQL(", ").join(columns),
                                                                where)


def export_csv(conn: psycopg.Connection[Any], *, report_id: UUID | None = None,
               unit_id: UUID | None = None, since: datetime | None = None,
               until: datetime | None = None, kind: str | None = None) -> Iterator[bytes]:
    """Stream the trail as CSV with a header, in event order, instants in ISO 8601 at
    Asia/Ho_Chi_Minh's offset (``2026-03-02T09:00:00+07:00``), each event with its place in
    the event store's hash chain (:data:`CHAIN_COLUMNS`, empty for an event not chained yet;
    Điều 22, ``projections/event_chain.py``)."""
    where, params = _where(report_id, unit_id, since, until, kind)
    # COPY streams from the server; memory stays flat however long the trail.
    query = sql.SQL("COPY ({}) TO STDOUT WITH (FORMAT csv, HEADER)").format(
        _export_query(where, iso=True))
    with conn.transaction(), conn.cursor() as cur:
        cur.execute("SET LOCAL TIME ZONE 'Asia/Ho_Chi_Minh'")
        with cur.copy(query, params) as copy:
            for block in copy:
                yield bytes(block)


def export_rows(conn: psycopg.Connection[Any], *, report_id: UUID | None = None,
                unit_id: UUID | None = None, since: datetime | None = None,
                until: datetime | None = None, kind: str | None = None,
                batch: int = 2000) -> Iterator[dict[str, Any]]:
    """The rows of :func:`export_csv` (typed: instants as aware datetimes), from a server-side
    cursor ``batch`` rows at a time: memory stays flat however long the trail."""
    where, params = _where(report_id, unit_id, since, until, kind)
    with conn.transaction(), conn.cursor("audit_export",
                                         row_factory=psycopg.rows.dict_row) as cur:
        cur.itersize = batch
        cur.execute(_export_query(where, iso=False), params)
        yield from cur
