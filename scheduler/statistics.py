"""The monthly statistics frozen on the 25th (seed 000 Điều 2.2.c; Điều 18.3.b, 18.4).

**When**: at ``policy.statistics_time`` (17:00, Asia/Ho_Chi_Minh) on ``policy.statistics_day``
(the 25th) of each month, working day or not: seed 000 Điều 2.2.c says "Định kỳ ngày 25 hằng
tháng", a fixed date, and the scheduler needs nobody at work to freeze the figures. A city that
prefers the next working day when the 25th is a day off (as a period ending on a day off ends
with the next working day, Bộ luật Dân sự 2015, Điều 148) adopts a policy with
``statistics_next_working_day``.

**What**: the month frozen is the *current calendar month up to the freeze instant*: for
every unit, the ``monthly_statistics`` figures (reception and handling) of that month and its
``unit_monthly_lateness`` row (received, late in reception / handling, share late, the 30%
flag, rank) with ``now`` = the freeze instant, and its ``repeat_dissatisfaction`` flag with
the matters listed (Điều 18.4), each figure with the report ids and event
(notification) ids behind it from the read models' explain functions. The read models are
built *as of* the freeze instant (:meth:`Projector.as_of`), so a publication made late (the
scheduler was down on the 25th) holds the same figures as one made on time.

**Afterwards**: a publication never changes (one per month, by id). Events of the month
recorded after its freeze instant appear in the next month's publication, under
``late_additions``: per unit and metric, the reports and events counted for the previous month
since its publication.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import psycopg

from application.database import connect, drop_schema
from domain.policy import SlaPolicy
from projections import monthly_statistics, repeat_dissatisfaction, unit_monthly_lateness
from projections.engine import Projector

MODELS = ["monthly_statistics", "unit_monthly_lateness", "repeat_dissatisfaction"]


def freeze_instant(month: date, policy: SlaPolicy) -> datetime:
    """The instant ``month``'s statistics are frozen: the statistics day at the statistics
    time (seed 000 Điều 2.2.c), or, if the policy says so and that day is off, the next working
    day at that time."""
    last = calendar.monthrange(month.year, month.month)[1]
    day = month.replace(day=min(policy.statistics_day, last))
    while policy.statistics_next_working_day and not policy.calendar.is_working_day(day):
        day += timedelta(days=1)
    return datetime.combine(day, policy.statistics_time,
                            tzinfo=ZoneInfo(policy.calendar.timezone))


def label(month: date) -> str:
    """``YYYY-MM``, the id of a month's statistics."""
    return month.strftime("%Y-%m")


def months(first: date, last: date) -> Iterator[date]:
    """Every month from ``first`` to ``last`` (first days), in order."""
    month = first.replace(day=1)
    while month <= last:
        yield month
        month = (month + timedelta(days=32)).replace(day=1)


def previous(month: date) -> date:
    return (month - timedelta(days=1)).replace(day=1)


def first_month(conn: psycopg.Connection[Any]) -> date | None:
    """The first month with any activity (``monthly_statistics``)."""
    row = conn.execute("SELECT min(month) FROM monthly_statistics").fetchone()
    return row[0] if row else None


def freeze(projector: Projector, month: date, at: datetime, policy: SlaPolicy,
           published_before: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Every unit's figures of ``month`` as they stood at ``at``, with their evidence, and the
    late additions to the previous month since ``published_before`` (its publication)."""
    schema = projector.as_of(at, MODELS)
    try:
        with connect(projector.conninfo, schema=schema) as conn:
            return _figures(conn, month, at, policy, published_before)
    finally:
        drop_schema(projector.conninfo, schema)


def _figures(conn: psycopg.Connection[Any], month: date, at: datetime, policy: SlaPolicy,
             published_before: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    counts = {row.pop("unit_id"): row for row in monthly_statistics.figures(conn, month)}
    ranks = {row.pop("unit_id"): row for row in unit_monthly_lateness.ranking(
        conn, month, at, policy.late_share_threshold)}
    repeats = {row.pop("unit_id"): row for row in repeat_dissatisfaction.tally(
        conn, month, policy.repeat_dissatisfaction_threshold)}
    additions = (_late_additions(conn, previous(month), published_before)
                 if published_before is not None else {})
    units = sorted(set(counts) | set(ranks) | set(repeats) | set(additions), key=str)
    entries = []
    for unit_id in units:
        figures = counts.get(unit_id) or dict.fromkeys(monthly_statistics.METRICS, 0)
        evidence = {metric: _evidence(monthly_statistics.explain(conn, unit_id, month, metric))
                    for metric, value in figures.items() if value}
        lateness = ranks.get(unit_id)
        if lateness is not None:
            evidence.update({f"lateness.{figure}": _evidence(unit_monthly_lateness.explain(
                conn, unit_id, month, figure, at)) for figure in unit_monthly_lateness.FIGURES
                if lateness[figure]})
        repeat = repeats.get(unit_id)
        if repeat is not None:
            evidence["repeat_dissatisfaction"] = _evidence(repeat_dissatisfaction.explain(
                conn, unit_id, month, policy.repeat_dissatisfaction_threshold))
        entry: dict[str, Any] = {
            "unit_id": str(unit_id), "as_of": at.isoformat(),
            "figures": {metric: int(value) for metric, value in figures.items()},
            "lateness": _plain(lateness) if lateness is not None else None,
            "repeat_dissatisfaction": _repeat(repeat),
            "evidence": evidence}
        if unit_id in additions:
            entry["late_additions"] = {"month": label(previous(month)), **additions[unit_id]}
        entries.append(entry)
    return entries


def _late_additions(conn: psycopg.Connection[Any], month: date,
                    published: list[dict[str, Any]]) -> dict[UUID, dict[str, Any]]:
    """Per unit and metric, what ``month`` counts now that its publication did not."""
    before = {UUID(entry["unit_id"]): entry["evidence"] for entry in published}
    additions: dict[UUID, dict[str, Any]] = {}
    for row in monthly_statistics.figures(conn, month):
        unit_id = row.pop("unit_id")
        for metric, value in row.items():
            if not value:
                continue
            now = _evidence(monthly_statistics.explain(conn, unit_id, month, metric))
            then = before.get(unit_id, {}).get(metric, {"report_ids": [],
                                                        "notification_ids": []})
            new_events = sorted(set(now["notification_ids"]) - set(then["notification_ids"]))
            if new_events:
                additions.setdefault(unit_id, {})[metric] = {
                    "report_ids": sorted(set(now["report_ids"]) - set(then["report_ids"])),
                    "notification_ids": new_events}
    return additions


def _repeat(row: dict[str, Any] | None) -> dict[str, Any]:
    """Điều 18.4: the unit's flag and the matters listed (none: not flagged), JSON-able."""
    matters = row["matters"] if row is not None else []
    return {"flagged": bool(matters), "matters": [
        {"matter_id": str(m["matter_id"]), "unsatisfied_ratings": int(m["unsatisfied_ratings"]),
         "reached_at": m["reached_at"].isoformat(), "latest_rating": m["latest_rating"],
         "unresolved": bool(m["unresolved"])} for m in matters]}


def _evidence(explained: dict[str, Any]) -> dict[str, list[Any]]:
    return {"report_ids": [str(r) for r in explained["report_ids"]],
            "notification_ids": [int(n) for n in explained["notification_ids"]]}


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    """A read-model row as JSON-able values (shares as exact decimal strings)."""
    return {key: str(value) if isinstance(value, Decimal | UUID) else value
            for key, value in row.items()}
