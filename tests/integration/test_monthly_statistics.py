"""monthly_statistics: reception and handling per unit per month, published on the 25th
(seed 000 Điều 2.2.c; Điều 18.3.b); every figure is explained by its events."""

from datetime import date
from typing import Any
from uuid import UUID

from application.commands import (
    Accept,
    ApproveResult,
    Escalate,
    ProposeResult,
    Publish,
    Rate,
    Reject,
    UpdateResult,
)
from domain.calendar import BUSINESS_TZ
from projections import monthly_statistics as statistics
from projections.engine import Projector

MARCH, APRIL = date(2026, 3, 1), date(2026, 4, 1)


def _month(e: Any) -> date:
    return e.at.astimezone(BUSINESS_TZ).date().replace(day=1)


def _history(world, clock) -> dict[str, UUID]:
    """A month of reports at the district, one passed to the city, one distributed by the
    centre to the department, and one submitted at 06:00 on 1 April (31 March in UTC)."""
    app, r = world.app, {}
    r["resolved"] = world.submit()
    world.to_published(r["resolved"])
    app.handle(Rate(r["resolved"], "unsatisfied", "Ổ gà lại xuất hiện"), world.citizen)
    r["rejected"] = world.submit()
    app.handle(Reject(r["rejected"], "e", "Nội dung quảng cáo"), world.receiver)
    r["escalated"] = world.submit()
    app.handle(Escalate(r["escalated"], world.city, "Vượt thẩm quyền của quận"), world.receiver)
    r["distributed"] = world.submit(receiving_unit_id=world.centre)
    app.handle(Accept(r["distributed"], world.department), world.centre_receiver)
    r["late"] = world.submit()
    world.to_handling(r["late"])  # handling due Wednesday 11 March
    clock.set(2026, 3, 16, 9, 0)
    app.handle(ProposeResult(r["late"], "Đã vá xong ổ gà, mặt đường an toàn", ["a.jpg"]),
               world.officer)
    app.handle(ApproveResult(r["late"]), world.head)
    app.handle(UpdateResult(r["late"], ["a.jpg"]), world.officer)
    app.handle(Publish(r["late"]), world.head)
    clock.set(2026, 4, 1, 6, 0)
    r["april"] = world.submit()
    return r


def _figures(projector: Projector, month: date) -> dict[UUID, dict[str, Any]]:
    with projector.connect() as conn:
        conn.execute(f"SET search_path TO {projector.schema}")
        return {row["unit_id"]: row for row in statistics.figures(conn, month)}


def test_statistics_count_reception_and_handling_per_unit_seed_000_dieu_2_2_c(
        world, clock, projector: Projector) -> None:
    _history(world, clock)
    projector.catch_up()
    march = _figures(projector, MARCH)
    district = {m: march[world.district][m] for m in statistics.METRICS}
    assert district == {"received": 4, "accepted": 2, "rejected": 1, "escalated": 1,
                        "marked_duplicate": 0, "assigned": 2, "published": 2, "published_on_time": 1,
                        "rated_satisfied": 0, "rated_acceptable": 0, "rated_unsatisfied": 1}
    assert march[world.city]["received"] == 1
    assert (march[world.centre]["received"], march[world.centre]["accepted"]) == (1, 1)
    assert march[world.department]["received"] == 1
    # Months are those of Asia/Ho_Chi_Minh: 06:00 on 1 April counts in April.
    assert {u: row["received"] for u, row in _figures(projector, APRIL).items()} == {
        world.district: 1}


def test_city_totals_add_up_the_units_figures_month_by_month_seed_000_dieu_2_2_c(
        world, clock, projector: Projector) -> None:
    _history(world, clock)
    projector.catch_up()
    with projector.connect() as conn:
        conn.execute(f"SET search_path TO {projector.schema}")
        totals = statistics.city_totals(conn, date(2026, 1, 1), date(2026, 5, 1))
    assert [t["month"] for t in totals] == [date(2026, m, 1) for m in range(1, 6)]
    for total in totals:
        units = _figures(projector, total["month"]).values()
        assert {m: total[m] for m in statistics.METRICS} == {
            m: sum(u[m] for u in units) for m in statistics.METRICS}
    assert [t["received"] for t in totals] == [0, 0, 7, 1, 0]  # months without facts: 0


def _events(app, notification_ids: list[int]) -> list[Any]:
    found = []
    for nid in notification_ids:
        (notification,) = app.recorder.select_notifications(start=nid, limit=1)
        assert notification.id == nid
        found.append(app.mapper.to_domain_event(notification))
    return found


def _recompute(metric: str, unit: UUID, month: date, events: list[Any]) -> int:
    """A figure from the events alone, by the definitions of the read model's docstring."""
    published = {e.originator_id: e for e in events
                 if type(e).__name__ in ("Published", "InitiativeAnswered")
                 and e.closed[0].unit_id == unit}

    def counts(e: Any) -> bool:
        name, report = type(e).__name__, e.originator_id
        if metric == "received":
            return ((name == "Submitted" and e.receiving_unit_id == unit)
                    or (name == "Escalated" and e.to_unit_id == unit)
                    or (name == "Accepted" and e.handling_unit_id == unit != e.closed[0].unit_id))
        if metric in ("accepted", "rejected", "escalated"):
            return name == metric.capitalize() and e.closed[0].unit_id == unit
        if metric == "assigned":
            return name == "Assigned" and e.opened[0].unit_id == unit
        if metric == "published":
            return e is published.get(report)
        if metric == "published_on_time":
            return e is published.get(report) and all(
                c.on_time for x in events if x.originator_id == report
                for c in getattr(x, "closed", []) if c.unit_id == unit)
        return name == "Rated" and f"rated_{e.rating}" == metric and report in published

    return len({e.originator_id for e in events if counts(e) and _month(e) == month})


def test_every_statistic_recomputes_from_the_events_behind_it_seed_001_7_a(
        world, clock, projector: Projector) -> None:
    _history(world, clock)
    projector.catch_up()
    march = _figures(projector, MARCH)
    with projector.connect() as conn:
        conn.execute(f"SET search_path TO {projector.schema}")
        for unit in (world.district, world.department):
            for metric in statistics.METRICS:
                behind = statistics.explain(conn, unit, MARCH, metric)
                events = _events(world.app, behind["notification_ids"])
                assert behind["value"] == march[unit][metric]
                assert _recompute(metric, unit, MARCH, events) == march[unit][metric]
                assert {e.originator_id for e in events} == set(behind["report_ids"])


def _snapshot(projector: Projector) -> dict[str, list[tuple]]:
    with projector.connect() as conn:
        conn.execute(f"SET search_path TO {projector.schema}")
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY {t}").fetchall()
                for t in statistics.model.tables}


def test_rebuild_equals_incremental_monthly_statistics(world, clock, projector: Projector) -> None:
    _history(world, clock)
    projector.batch_size = 4
    projector.catch_up()
    before = _snapshot(projector)
    projector.rebuild(["monthly_statistics"])
    assert _snapshot(projector) == before and len(before["monthly_statistics"]) > 15
