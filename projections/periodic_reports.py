"""``periodic_reports``: reception and handling per unit over any period — a month, a
quarter, a year or any range of days — with the alerts each unit sent and the capital
initiatives it received and answered, and the figures per head of unit (Điều 18.3.b, 25.4;
seed 000 Điều 2.2.c, 2.4; issue 10 item 15).

A facts table: one row ``(unit, metric, subject, instant, notification id)`` for every event
that counts towards a figure, dated at the event's business instant. A figure over a period is
the number of distinct subjects (reports; alerts for ``alerts_sent``) among its facts whose
instant falls in the period, and those facts' notification ids are the events that produce it.
Periods are days in Asia/Ho_Chi_Minh: from 00:00 of the first day to 00:00 after the last.

Metrics (the unit is the one the event names; facts stay with it after a merger, Điều 28.1):

- ``received``: submitted or escalated to the unit, or accepted for handling by it from
  another unit (Điều 7.2); ``accepted``, ``rejected``, ``escalated``: its reception decisions;
- ``assigned`` (Điều 8.1: to a division, or coordinated to a commune, 8.1.b); ``published``: the result made public, the report resolved
  (Điều 12.3); ``published_on_time``: published with every stage the unit held for it in
  handling (assignment, handling, rework, publication; response for an initiative) closed by
  its due instant — its facts are the publication and those closings; ``rated_satisfied`` / ``rated_acceptable`` / ``rated_unsatisfied`` (Điều 13),
  for the unit that published the result, dated at the rating;
- ``late_in_reception`` / ``late_in_handling``: reports of which a reception or verification
  stage / an assignment, handling, rework, publication, clarification or response stage of
  the unit *became late in the period* — it ended after its due instant (dated at its end), or
  its deadline passed while it was open (the scheduler's ``StageDeadlinePassed``, dated at the
  due instant). Closings by a duplicate marking do not count (the stage did not end by
  handling). This is lateness *as it happened in the period*; the 30% rule of Điều 18.4 counts
  by the month a report reached the unit instead (``unit_monthly_lateness``);
- ``alerts_sent`` (Chương III, Điều 18.3.b "hoạt động truyền thông, cảnh báo"): alerts the
  unit sent;
- ``initiatives_received``, ``initiatives_answered``, ``initiatives_answered_on_time``
  (Điều 9, 18.3.b "đóng góp sáng kiến"): capital initiatives submitted to the unit or
  distributed to it, and its answers (on time: by the 30-day response due).

Heads of unit (seed 000 Điều 2.4: the heads are evaluated monthly on their unit's reception,
assignment and handling): ``period_heads`` keeps each officer's terms as head of a unit
(appointed or transferred into the role, until transferred out or dismissed); a head's
figures for a month are his unit's figures over the part of the month he was in office.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row

from domain.actors import Role
from domain.alert import Alert
from domain.calendar import BUSINESS_TZ
from domain.policy import Kind, Stage
from domain.report import Report
from domain.units import Officer
from projections.engine import Handler, ReadModel

model = ReadModel("periodic_reports", tables=("period_facts", "period_reports",
                                              "period_closings", "period_heads",
                                              "period_officers"))

RECEPTION_STAGES = {Stage.RECEPTION, Stage.VERIFICATION}
HANDLING_STAGES = {Stage.ASSIGNMENT, Stage.HANDLING, Stage.REWORK, Stage.PUBLICATION,
                   Stage.CLARIFICATION, Stage.RESPONSE}
METRICS = ("received", "accepted", "rejected", "escalated", "assigned", "published",
           "published_on_time", "late_in_reception", "late_in_handling", "rated_satisfied", "rated_acceptable",
           "rated_unsatisfied", "alerts_sent", "initiatives_received", "initiatives_answered",
           "initiatives_answered_on_time")


def _fact(cur: psycopg.Cursor[Any], unit_id: UUID, metric: str, subject_id: UUID,
          at: datetime, nid: int) -> None:
    cur.execute("INSERT INTO period_facts (unit_id, metric, subject_id, at, notification_id)"
                " VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                (unit_id, metric, subject_id, at, nid))


def _late(stage: str) -> str | None:
    if stage in RECEPTION_STAGES:
        return "late_in_reception"
    if stage in HANDLING_STAGES:
        return "late_in_handling"
    return None


def _submitted(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    cur.execute("INSERT INTO period_reports (report_id, kind) VALUES (%s, %s)",
                (e.originator_id, e.kind))
    _fact(cur, e.receiving_unit_id, "received", e.originator_id, e.at, nid)
    if e.kind == Kind.INITIATIVE:
        _fact(cur, e.receiving_unit_id, "initiatives_received", e.originator_id, e.at, nid)


def _escalated(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    (reception,) = e.closed
    _fact(cur, reception.unit_id, "escalated", e.originator_id, e.at, nid)
    _fact(cur, e.to_unit_id, "received", e.originator_id, e.at, nid)


def _rejected(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    (reception,) = e.closed
    _fact(cur, reception.unit_id, "rejected", e.originator_id, e.at, nid)


def _accepted(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    (reception,) = e.closed
    _fact(cur, reception.unit_id, "accepted", e.originator_id, e.at, nid)
    if e.handling_unit_id != reception.unit_id:
        _fact(cur, e.handling_unit_id, "received", e.originator_id, e.at, nid)
        # One statement, no read: a fetch would sync the handlers' pipeline (issue 16).
        cur.execute("INSERT INTO period_facts (unit_id, metric, subject_id, at, notification_id)"
                    " SELECT %s, 'initiatives_received', report_id, %s, %s FROM period_reports"
                    " WHERE report_id = %s AND kind = %s ON CONFLICT DO NOTHING",
                    (e.handling_unit_id, e.at, nid, e.originator_id, Kind.INITIATIVE))


def _assigned(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    for opened in e.opened:
        if opened.stage == Stage.HANDLING:
            _fact(cur, opened.unit_id, "assigned", e.originator_id, e.at, nid)


def _published(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    (closed,) = e.closed
    cur.execute("UPDATE period_reports SET published_unit_id = %s WHERE report_id = %s",
                (closed.unit_id, e.originator_id))
    _fact(cur, closed.unit_id, "published", e.originator_id, e.at, nid)
    # On time when every handling stage the unit held for the report closed by its due.
    cur.execute(
        "INSERT INTO period_facts (unit_id, metric, subject_id, at, notification_id)"
        " SELECT unit_id, 'published_on_time', report_id, %(at)s, n"
        " FROM period_closings, unnest(ARRAY[notification_id, %(nid)s::bigint]) n"
        " WHERE report_id = %(report)s AND unit_id = %(unit)s AND NOT EXISTS ("
        "  SELECT 1 FROM period_closings WHERE report_id = %(report)s AND unit_id = %(unit)s"
        "  AND NOT on_time) ON CONFLICT DO NOTHING",
        {"at": e.at, "nid": nid, "report": e.originator_id, "unit": closed.unit_id})


def _rerouted(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    """Điều 28.1: the successor of a merged unit takes over the handling with its closings so
    far, which decide whether it publishes on time; the facts stay (history)."""
    cur.execute("UPDATE period_closings SET unit_id = %s WHERE report_id = %s AND unit_id = %s",
                (e.to_unit_id, e.originator_id, e.from_unit_id))


def _answered(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _published(cur, e, nid)
    (closed,) = e.closed
    _fact(cur, closed.unit_id, "initiatives_answered", e.originator_id, e.at, nid)
    if closed.on_time:
        _fact(cur, closed.unit_id, "initiatives_answered_on_time", e.originator_id, e.at, nid)


def _rated(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    cur.execute("INSERT INTO period_facts (unit_id, metric, subject_id, at, notification_id)"
                " SELECT published_unit_id, %s, report_id, %s, %s FROM period_reports"
                " WHERE report_id = %s AND published_unit_id IS NOT NULL ON CONFLICT DO NOTHING",
                (f"rated_{e.rating}", e.at, nid, e.originator_id))


def _deadline_passed(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    metric = _late(e.stage.stage)
    if metric is not None:
        _fact(cur, e.stage.unit_id, metric, e.originator_id, e.at, nid)


SPECIFIC: dict[type, Handler] = {
    Report.Submitted: _submitted, Report.Escalated: _escalated, Report.Rejected: _rejected,
    Report.Accepted: _accepted, Report.Assigned: _assigned,
    Report.CoordinatedToCommune: _assigned, Report.Published: _published,
    Report.InitiativeAnswered: _answered, Report.Rated: _rated,
    Report.StageDeadlinePassed: _deadline_passed, Report.Rerouted: _rerouted,
}
# The stages whose closings decide ``published_on_time``.
ON_TIME_STAGES = {Stage.ASSIGNMENT, Stage.HANDLING, Stage.REWORK, Stage.PUBLICATION,
                  Stage.RESPONSE}


def _report_event(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    """Every Report event: its stages closed late, then what the event itself counts."""
    if not isinstance(e, Report.MarkedDuplicate):
        for closed in e.closed:
            metric = _late(closed.stage)
            if metric is not None and not closed.on_time:
                _fact(cur, closed.unit_id, metric, e.originator_id, closed.ended_at, nid)
            if closed.stage in ON_TIME_STAGES:
                cur.execute("INSERT INTO period_closings (notification_id, report_id, unit_id,"
                            " stage, on_time) VALUES (%s, %s, %s, %s, %s)",
                            (nid, e.originator_id, closed.unit_id, closed.stage,
                             closed.on_time))
    handler = SPECIFIC.get(type(e))
    if handler is not None:
        handler(cur, e, nid)


model.on(*(cls for cls in vars(Report).values()
           if isinstance(cls, type) and issubclass(cls, Report.Event)
           and cls is not Report.Event))(_report_event)


@model.on(Alert.Sent)
def _alert_sent(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _fact(cur, e.area_unit_id, "alerts_sent", e.originator_id, e.at, nid)


def _end_term(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    cur.execute("UPDATE period_heads SET until = %s, until_nid = %s"
                " WHERE officer_id = %s AND until IS NULL", (e.at, nid, e.originator_id))


def _begin_term(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    cur.execute("INSERT INTO period_heads (officer_id, unit_id, since, since_nid)"
                " VALUES (%s, %s, %s, %s)", (e.originator_id, e.unit_id, e.at, nid))


@model.on(Officer.Appointed)
def _appointed(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    cur.execute("INSERT INTO period_officers (officer_id, name) VALUES (%s, %s)",
                (e.originator_id, e.name))
    if e.role == Role.UNIT_HEAD:
        _begin_term(cur, e, nid)


@model.on(Officer.Transferred)
def _transferred(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _end_term(cur, e, nid)
    if e.role == Role.UNIT_HEAD:
        _begin_term(cur, e, nid)


@model.on(Officer.Dismissed)
def _dismissed(cur: psycopg.Cursor[Any], e: Any, nid: int) -> None:
    _end_term(cur, e, nid)


# Queries --------------------------------------------------------------------------------


def bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """The instants of a period of days in Asia/Ho_Chi_Minh: 00:00 of ``first`` to 00:00
    after ``last``."""
    return (datetime.combine(first, time(), BUSINESS_TZ),
            datetime.combine(last + timedelta(days=1), time(), BUSINESS_TZ))


def figures(conn: psycopg.Connection[Any], start: datetime, end: datetime,
            unit_id: UUID | None = None) -> list[dict[str, Any]]:
    """Every unit's figures (distinct subjects per metric) over ``start <= at < end``, or
    ``unit_id``'s only; units with no fact in the period are not listed."""
    columns = ", ".join(f"count(DISTINCT subject_id) FILTER (WHERE metric = '{m}') AS {m}"
                        for m in METRICS)
    with conn.cursor(row_factory=dict_row) as cur:
        # One range of period_facts_at (or of period_facts_unit for one unit).
        return cur.execute(
            f"SELECT unit_id, {columns} FROM period_facts WHERE at >= %(start)s"
            f" AND at < %(end)s AND (%(unit)s::uuid IS NULL OR unit_id = %(unit)s::uuid)"
            f" GROUP BY unit_id ORDER BY unit_id",
            {"start": start, "end": end, "unit": unit_id}).fetchall()


def explain(conn: psycopg.Connection[Any], unit_id: UUID, start: datetime, end: datetime,
            metric: str) -> dict[str, Any]:
    """Seed 001 7.a: the subjects (reports, or alerts) and notification ids behind one figure
    of a unit over ``start <= at < end``."""
    if metric not in METRICS:
        raise ValueError(f"no metric {metric!r}; known: {METRICS}")
    # One range of period_facts_unit.
    rows = conn.execute(
        "SELECT subject_id, array_agg(notification_id ORDER BY notification_id)"
        " FROM period_facts WHERE unit_id = %s AND metric = %s AND at >= %s AND at < %s"
        " GROUP BY subject_id ORDER BY subject_id", (unit_id, metric, start, end)).fetchall()
    return {"metric": metric, "value": len(rows), "subject_ids": [s for s, _ in rows],
            "notification_ids": sorted({n for _, ids in rows for n in ids})}


def heads(conn: psycopg.Connection[Any], month: date, unit_id: UUID | None = None
          ) -> list[dict[str, Any]]:
    """Seed 000 Điều 2.4: every term of a head of unit overlapping ``month`` (or of
    ``unit_id``'s heads), with the unit's figures over that part of the month and the events
    that began and ended the term."""
    start, _ = bounds(month, month)
    next_month = (month + timedelta(days=32)).replace(day=1)
    end, _ = bounds(next_month, next_month)
    with conn.cursor(row_factory=dict_row) as cur:
        # Terms by period_heads_unit; few per unit.
        terms = cur.execute(
            "SELECT h.officer_id, o.name, h.unit_id, greatest(h.since, %(start)s) AS from_at,"
            " least(COALESCE(h.until, %(end)s), %(end)s) AS to_at, h.since_nid, h.until_nid"
            " FROM period_heads h JOIN period_officers o ON o.officer_id = h.officer_id"
            " WHERE h.since < %(end)s AND (h.until IS NULL OR h.until > %(start)s)"
            " AND (%(unit)s::uuid IS NULL OR h.unit_id = %(unit)s::uuid)"
            " ORDER BY h.unit_id, h.since, h.officer_id",
            {"start": start, "end": end, "unit": unit_id}).fetchall()
    result = []
    for term in terms:
        (row,) = figures(conn, term["from_at"], term["to_at"], term["unit_id"]) or [
            {"unit_id": term["unit_id"], **dict.fromkeys(METRICS, 0)}]
        row.pop("unit_id")
        result.append({**term, "figures": row})
    return result


def period(spec: str) -> tuple[str, date, date]:
    """Điều 18.3.b: a period by its label — ``2026-03`` (monthly), ``2026-Q1`` (quarterly),
    ``2026`` (yearly) or ``2026-03-01..2026-03-15`` (ad hoc, both days included) — as (kind,
    first day, last day). Raises ``ValueError`` for anything else."""
    try:
        kind, first, last = _parse(spec)
    except (ValueError, OverflowError):
        pass
    else:
        if date.min < first and last < date.max:  # bounds() reaches the day after
            return kind, first, last
    raise ValueError(f"no period {spec!r}: YYYY-MM, YYYY-Qn, YYYY or YYYY-MM-DD..YYYY-MM-DD")


def _parse(spec: str) -> tuple[str, date, date]:
    """The kind and days of ``spec``, unchecked (may raise ValueError, OverflowError)."""
    if ".." in spec:
        first_text, last_text = spec.split("..")
        first, last = date.fromisoformat(first_text), date.fromisoformat(last_text)
        if last < first:
            raise ValueError("the period ends before it starts")
        return "ad_hoc", first, last
    if "-Q" in spec:
        year_text, quarter_text = spec.split("-Q")
        year, quarter = int(year_text), int(quarter_text)
        if not 1 <= quarter <= 4 or len(year_text) != 4:
            raise ValueError(spec)
        first = date(year, 3 * quarter - 2, 1)
        return "quarterly", first, _last_day(date(year, 3 * quarter, 1))
    if len(spec) == 4:
        year = int(spec)
        return "yearly", date(year, 1, 1), date(year, 12, 31)
    if len(spec) == 7:
        first = date.fromisoformat(f"{spec}-01")
        return "monthly", first, _last_day(first)
    raise ValueError(spec)


def _last_day(month: date) -> date:
    return (month + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def report(conn: psycopg.Connection[Any], spec: str, unit_id: UUID | None = None
           ) -> dict[str, Any]:
    """Điều 18.3.b, 25.4: the report of the period ``spec`` (:func:`period`): its bounds and
    every unit's figures (or ``unit_id``'s), with the city's totals of distinct subjects."""
    kind, first, last = period(spec)
    start, end = bounds(first, last)
    units = figures(conn, start, end, unit_id)
    columns = ", ".join(f"count(DISTINCT subject_id) FILTER (WHERE metric = '{m}') AS {m}"
                        for m in METRICS)
    with conn.cursor(row_factory=dict_row) as cur:
        # The same range of period_facts_at, across units: a report counted by two units
        # (escalated, distributed) counts once.
        totals = cur.execute(
            f"SELECT {columns} FROM period_facts WHERE at >= %(start)s AND at < %(end)s"
            f" AND (%(unit)s::uuid IS NULL OR unit_id = %(unit)s::uuid)",
            {"start": start, "end": end, "unit": unit_id}).fetchone()
    return {"period": {"kind": kind, "label": spec, "first_day": first, "last_day": last,
                       "start": start, "end": end}, "totals": totals, "units": units}
