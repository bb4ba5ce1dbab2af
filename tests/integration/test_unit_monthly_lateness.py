"""unit_monthly_lateness: units with more than 30% of their month's reports late in reception or
handling are flagged and ranked (Điều 18.4); every figure is explained by its events."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from alembic import command
from application.commands import (
    Accept,
    CompleteVerification,
    Escalate,
    GrantExtension,
    MarkDuplicate,
    ProposeResult,
    Reject,
    ReturnResult,
    StartVerification,
    UnmarkDuplicate,
)
from application.migrations import alembic_config
from domain.calendar import BUSINESS_TZ
from domain.report import ClosedStage, StageRecord
from projections import unit_monthly_lateness as lateness
from projections.engine import Projector

MARCH, APRIL = date(2026, 3, 1), date(2026, 4, 1)


def _at(*args: int) -> datetime:
    return datetime(*args, tzinfo=BUSINESS_TZ)


def _ranking(projector: Projector, month: date, now: datetime) -> dict[UUID, dict[str, Any]]:
    with projector.connect() as conn:
        conn.execute(f"SET search_path TO {projector.schema}")
        return {row["unit_id"]: row for row in lateness.ranking(conn, month, now)}


def _receive(world, unit: UUID, decider, on_time: int, late: int) -> list[UUID]:
    """``on_time + late`` reports to ``unit``, all submitted now and rejected: the first
    ``on_time`` at once, the others on Wednesday, after the 8 working hours (Điều 7.2.d)."""
    reports = [world.submit(receiving_unit_id=unit) for _ in range(on_time + late)]
    for report_id in reports[:on_time]:
        world.app.handle(Reject(report_id, "a", "Thiếu thông tin địa điểm"), decider)
    return reports[on_time:]


def test_exactly_30_percent_late_is_not_flagged_above_is_dieu_18_4(
        world, clock, projector: Projector) -> None:
    late_district = _receive(world, world.district, world.receiver, on_time=7, late=3)
    late_other = _receive(world, world.other_district, world.other_head, on_time=6, late=4)
    _receive(world, world.department, world.department_head, on_time=1, late=0)
    clock.set(2026, 3, 4, 9, 0)
    for report_id in late_district:
        world.app.handle(Reject(report_id, "a", "Thiếu thông tin địa điểm"), world.receiver)
    for report_id in late_other:
        world.app.handle(Reject(report_id, "a", "Thiếu thông tin địa điểm"), world.other_head)
    projector.catch_up()
    ranking = _ranking(projector, MARCH, clock.now)
    district, other = ranking[world.district], ranking[world.other_district]
    department = ranking[world.department]
    assert (district["received"], district["late_in_reception"], district["reports_late"]) == (
        10, 3, 3)
    assert district["share_late"] == Decimal("0.3") and district["flagged"] is False
    assert (other["received"], other["reports_late"], other["flagged"]) == (10, 4, True)
    assert (department["reports_late"], department["flagged"]) == (0, False)
    assert [other["rank"], district["rank"], department["rank"]] == [1, 2, 3]
    # The threshold is policy: at 25% the district is flagged too.
    with projector.connect() as conn:
        conn.execute(f"SET search_path TO {projector.schema}")
        stricter = lateness.ranking(conn, MARCH, clock.now, threshold=Decimal("0.25"))
    assert {r["unit_id"] for r in stricter if r["flagged"]} == {world.district,
                                                                world.other_district}


def test_open_stage_past_due_is_late_at_query_time_dieu_18_4(
        world, clock, projector: Projector) -> None:
    waiting = world.submit()  # reception due Tuesday 09:00
    handled = world.submit()
    world.to_handling(handled)  # handling (normal) due seven working days later
    projector.catch_up()
    monday_noon = _ranking(projector, MARCH, _at(2026, 3, 2, 12, 0))[world.district]
    assert (monday_noon["received"], monday_noon["reports_late"]) == (2, 0)
    tuesday = _ranking(projector, MARCH, _at(2026, 3, 3, 10, 0))[world.district]
    assert (tuesday["late_in_reception"], tuesday["late_in_handling"]) == (1, 0)
    assert tuesday["share_late"] == Decimal("0.5") and tuesday["flagged"] is True
    later = _ranking(projector, MARCH, _at(2026, 3, 20, 10, 0))[world.district]
    assert (later["late_in_reception"], later["late_in_handling"], later["reports_late"]) == (
        1, 1, 2)
    with projector.connect() as conn:
        conn.execute(f"SET search_path TO {projector.schema}")
        behind = lateness.explain(conn, world.district, MARCH, "late_in_handling",
                                  _at(2026, 3, 20, 10, 0))
    assert behind["report_ids"] == [handled] and waiting not in behind["report_ids"]


def test_a_report_counts_in_the_month_it_first_reached_the_unit_dieu_18_4(
        world, clock, projector: Projector) -> None:
    clock.set(2026, 3, 31, 16, 0)
    march = world.submit()
    clock.set(2026, 4, 1, 6, 0)  # still 31 March in UTC
    april = world.submit()
    clock.set(2026, 4, 1, 9, 0)
    world.to_handling(march)  # its assignment and handling stages open in April
    projector.catch_up()
    now = _at(2026, 4, 1, 10, 0)
    with projector.connect() as conn:
        conn.execute(f"SET search_path TO {projector.schema}")
        assert lateness.explain(conn, world.district, MARCH, "received", now)["report_ids"] == [
            march]
        assert lateness.explain(conn, world.district, APRIL, "received", now)["report_ids"] == [
            april]


def _events(app, notification_ids: list[int]) -> list[tuple[int, Any]]:
    found = []
    for nid in notification_ids:
        (notification,) = app.recorder.select_notifications(start=nid, limit=1)
        assert notification.id == nid
        found.append((nid, app.mapper.to_domain_event(notification)))
    return found


def _recompute(figure: str, unit: UUID, month: date, now: datetime,
               events: list[tuple[int, Any]]) -> int:
    """The figure from the events alone: reports whose first event at ``unit`` is in ``month``
    and, for a lateness figure, with a stage of the figure's kind closed late or open past due."""
    stages = {"received": (), "late_in_reception": lateness.RECEPTION_STAGES,
              "late_in_handling": lateness.HANDLING_STAGES,
              "reports_late": lateness.RECEPTION_STAGES + lateness.HANDLING_STAGES}[figure]
    arrived: dict[UUID, datetime] = {}
    opened: dict[tuple, StageRecord] = {}
    closed: dict[tuple, ClosedStage] = {}
    for _, e in sorted(events, key=lambda pair: pair[0]):
        for records, into in ((getattr(e, "closed", []), closed),
                              (getattr(e, "opened", []), opened)):
            for record in records:
                if record.unit_id == unit:
                    arrived.setdefault(e.originator_id, e.at)
                    into[(e.originator_id, record.stage, record.started_at)] = record
    reports = {r for r, at in arrived.items() if lateness.month_of(at) == month}
    if figure == "received":
        return len(reports)
    late = {key[0] for key, o in opened.items() if key[1] in stages and (
        not closed[key].on_time if key in closed else o.due is not None and o.due < now)}
    late |= {key[0] for key, c in closed.items() if key[1] in stages and not c.on_time}
    return len(reports & late)


def test_every_lateness_figure_recomputes_from_the_events_behind_it_dieu_18_4(
        world, clock, projector: Projector) -> None:
    late_reception = world.submit()
    on_time = world.submit()
    world.to_published(on_time)
    escalated = world.submit()
    clock.set(2026, 3, 3, 15, 0)  # past Tuesday 09:00: reception late
    world.app.handle(Escalate(escalated, world.city, "Vượt thẩm quyền của quận"), world.receiver)
    world.to_handling(late_reception)
    world.submit()  # its reception is still open, past due at `now`
    projector.catch_up()
    now = _at(2026, 3, 20, 9, 0)  # the handling of `late_reception` is past due
    row = _ranking(projector, MARCH, now)[world.district]
    assert (row["received"], row["late_in_reception"], row["late_in_handling"],
            row["reports_late"]) == (4, 3, 1, 3)
    with projector.connect() as conn:
        conn.execute(f"SET search_path TO {projector.schema}")
        for figure in lateness.FIGURES:
            behind = lateness.explain(conn, world.district, MARCH, figure, now)
            events = _events(world.app, behind["notification_ids"])
            assert behind["value"] == row[figure]
            assert _recompute(figure, world.district, MARCH, now, events) == row[figure]
            assert {e.originator_id for _, e in events} == set(behind["report_ids"])


def _snapshot(projector: Projector) -> list[tuple]:
    with projector.connect() as conn:
        conn.execute(f"SET search_path TO {projector.schema}")
        return conn.execute("SELECT * FROM unit_lateness_stages ORDER BY opened_nid").fetchall()


def _counters(projector: Projector) -> list[tuple]:
    with projector.connect() as conn:
        conn.execute(f"SET search_path TO {projector.schema}")
        return conn.execute("SELECT * FROM unit_lateness_months ORDER BY 1, 2").fetchall()


def test_rebuild_equals_incremental_unit_monthly_lateness(
        world, clock, projector: Projector) -> None:
    verified = world.submit()
    world.app.handle(StartVerification(verified), world.receiver)
    clock.advance(hours=6)  # Monday 15:00: the 4 working hours ended at 14:00
    world.app.handle(CompleteVerification(verified, passed=True), world.receiver)
    world.app.handle(Accept(verified), world.receiver)
    returned = world.submit()
    world.to_handling(returned)
    world.app.handle(ProposeResult(returned, "Đã vá xong ổ gà", ["anh.jpg"]), world.officer)
    world.app.handle(ReturnResult(returned, "Thiếu ảnh sau khi vá"), world.head)
    clock.advance(days=3)
    world.app.handle(Escalate(world.submit(), world.city, "Vượt thẩm quyền của quận"),
                     world.receiver)
    projector.batch_size = 3
    projector.catch_up()
    before, counters = _snapshot(projector), _counters(projector)
    projector.rebuild(["unit_monthly_lateness"])
    assert _snapshot(projector) == before
    assert _counters(projector) == counters
    # Columns: opened_nid, report_id, unit_id, stage, month, started_at, due, ended_at, on_time.
    by_stage = {row[3]: row for row in before}
    assert by_stage["verification"][8] is False and by_stage["rework"][7] is None
    assert {row[2] for row in before} == {world.district, world.city}


def _from_the_facts(projector: Projector, month: date, now: datetime) -> list[dict[str, Any]]:
    """The ranking aggregated from the month's stage facts on every request, as it was before
    the counters: the reference the counters must reproduce."""
    late = "CASE WHEN ended_at IS NULL THEN COALESCE(due < %(now)s, false) ELSE NOT on_time END"
    with projector.connect() as conn:
        conn.execute(f"SET search_path TO {projector.schema}")
        return conn.execute(f"""
            WITH per_report AS (
                SELECT unit_id, report_id,
                       bool_or(stage = ANY(%(reception)s) AND {late}) AS late_reception,
                       bool_or(stage = ANY(%(handling)s) AND {late}) AS late_handling
                FROM unit_lateness_stages WHERE month = %(month)s
                GROUP BY unit_id, report_id
            ), per_unit AS (
                SELECT unit_id, count(*) AS received,
                       count(*) FILTER (WHERE late_reception) AS late_in_reception,
                       count(*) FILTER (WHERE late_handling) AS late_in_handling,
                       count(*) FILTER (WHERE late_reception OR late_handling) AS reports_late
                FROM per_report GROUP BY unit_id
            )
            SELECT unit_id, received, late_in_reception, late_in_handling, reports_late,
                   round(reports_late::numeric / received, 4) AS share_late,
                   reports_late > 0.3 * received AS flagged,
                   rank() OVER (ORDER BY reports_late::numeric / received DESC) AS rank
            FROM per_unit ORDER BY rank, unit_id""",
            {"month": month, "now": now, "reception": lateness.RECEPTION_STAGES,
             "handling": lateness.HANDLING_STAGES},
            prepare=False).fetchall()


def _columns(rows: list[Any]) -> list[dict[str, Any]]:
    names = ("unit_id", "received", "late_in_reception", "late_in_handling", "reports_late",
             "share_late", "flagged", "rank")
    return [dict(zip(names, row, strict=True)) for row in rows]


def _varied_history(world, clock) -> None:
    """Reports of March and April closed on time and late in reception and handling (one of
    them late in handling twice: handling, then rework), marked as duplicates after their due
    instant and unmarked, escalated, returned, extended."""
    open_reception, on_time, rejected_late = world.submit(), world.submit(), world.submit()
    accepted_late, both_late, handled_late = world.submit(), world.submit(), world.submit()
    escalated, reception_duplicate = world.submit(), world.submit()
    world.to_published(on_time)
    world.to_handling(handled_late)
    clock.set(2026, 3, 3, 10, 0)  # past every reception due at Tuesday 09:00
    world.app.handle(MarkDuplicate(reception_duplicate, open_reception), world.receiver)
    clock.set(2026, 3, 4, 10, 0)
    world.app.handle(Reject(rejected_late, "a", "Thiếu thông tin địa điểm"), world.receiver)
    world.app.handle(Escalate(escalated, world.city, "Vượt thẩm quyền của quận"), world.receiver)
    world.to_handling(accepted_late, urgency="complex")
    world.to_handling(both_late)
    world.app.handle(GrantExtension(accepted_late, 5, "Chờ vật tư thay thế"), world.head)
    clock.set(2026, 3, 13, 10, 0)  # past the handling due of `handled_late` (11 March)
    world.app.handle(MarkDuplicate(handled_late, accepted_late), world.head)
    world.app.handle(UnmarkDuplicate(reception_duplicate, "Hai vị trí khác nhau"), world.head)
    clock.set(2026, 3, 16, 10, 0)
    world.app.handle(UnmarkDuplicate(handled_late, "Không trùng phản ánh trước"), world.head)
    world.app.handle(ProposeResult(both_late, "Đã vá ổ gà", ["anh.jpg"]), world.officer)
    world.app.handle(ReturnResult(both_late, "Thiếu ảnh sau khi vá"), world.head)
    clock.set(2026, 4, 1, 9, 0)
    world.app.handle(ProposeResult(both_late, "Đã vá lại ổ gà", ["anh-2.jpg"]), world.officer)
    world.submit()
    world.submit(receiving_unit_id=world.other_district)


NOWS = [_at(2026, 3, 2, 8, 0), _at(2026, 3, 3, 10, 0), _at(2026, 3, 12, 9, 0),
        _at(2026, 3, 20, 10, 0), _at(2026, 6, 1, 9, 0)]


def _assert_counters_reproduce_the_facts(projector: Projector) -> None:
    for month in (MARCH, APRIL):
        for now in NOWS:
            assert _ranking_rows(projector, month, now) == _columns(
                _from_the_facts(projector, month, now))


def _ranking_rows(projector: Projector, month: date, now: datetime) -> list[dict[str, Any]]:
    with projector.connect() as conn:
        conn.execute(f"SET search_path TO {projector.schema}")
        return lateness.ranking(conn, month, now)


def test_ranking_from_counters_equals_aggregating_the_month_s_stages_dieu_18_4(
        world, clock, projector: Projector) -> None:
    _varied_history(world, clock)
    projector.batch_size = 4
    projector.catch_up()
    _assert_counters_reproduce_the_facts(projector)
    late = _ranking(projector, MARCH, NOWS[-1])[world.district]
    assert (late["received"], late["late_in_reception"], late["late_in_handling"],
            late["reports_late"]) == (8, 6, 3, 7)
    counters = _counters(projector)
    projector.rebuild(["unit_monthly_lateness"])
    assert _counters(projector) == counters


def test_counters_are_filled_from_the_stages_already_projected_on_upgrade_dieu_18_4(
        world, clock, projector: Projector, database_url: str, fresh_schema: str) -> None:
    _varied_history(world, clock)
    projector.catch_up()
    counters = _counters(projector)
    config = alembic_config(database_url, fresh_schema)
    command.downgrade(config, "0021@-1")
    command.upgrade(config, "heads")
    assert _counters(projector) == counters
    _assert_counters_reproduce_the_facts(projector)
