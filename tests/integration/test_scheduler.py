"""The scheduler: what time alone triggers — deadlines passing (Điều 7.2.d, 8.5), the monthly
statistics of the 25th (seed 000 Điều 2.2.c), locks expiring (Điều 27.3). The clock is moved,
never waited for; ``tick`` runs every job once."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.utils import get_topic

from application.commands import Accept, GrantExtension, MarkViolation, MergeUnit, StartVerification
from domain.calendar import BUSINESS_TZ
from domain.errors import ReporterLocked
from domain.report import Report
from domain.statistics import MonthlyStatistics
from projections import monthly_statistics, notifications, reporter_locks, unit_monthly_lateness
from projections.deployment import Deployment
from scheduler import Scheduler
from scheduler.statistics import freeze_instant
from tests.integration.conftest import ADMIN

MARCH, APRIL = date(2026, 3, 1), date(2026, 4, 1)


def _at(*args: int) -> datetime:
    return datetime(*args, tzinfo=BUSINESS_TZ)


@pytest.fixture
def scheduler(world, projector, clock, database_url, fresh_schema) -> Scheduler:
    return Scheduler(Deployment(url=database_url, schema=fresh_schema, app=world.app,
                                projector=projector), clock)




def deadline_facts(app) -> list[Any]:
    """Every StageDeadlinePassed in the event store, in the order it was recorded."""
    stored = app.recorder.select_notifications(start=1, limit=10_000,
                                               topics=[get_topic(Report.StageDeadlinePassed)])
    return [app.mapper.to_domain_event(n) for n in stored]


def _facts(app) -> list[tuple[UUID, str, datetime]]:
    return [(e.originator_id, e.stage.stage, e.at) for e in deadline_facts(app)]


# ----------------------------------------------------------------- deadlines


def test_reception_deadline_over_tet_is_recorded_at_its_working_time_instant_once_dieu_7_2_d(
        world, scheduler, clock, conn) -> None:
    clock.set(2026, 2, 13, 15, 0)  # Friday before Tết: 2 working hours, then Tết 16–20/2
    report_id = world.submit()
    due = _at(2026, 2, 23, 15, 0)  # Monday after Tết, 6 more working hours
    for instant in [(2026, 2, 17, 10, 0), (2026, 2, 23, 14, 59)]:
        clock.set(*instant)
        assert scheduler.tick().deadlines == 0
    clock.set(2026, 2, 23, 15, 0)
    assert scheduler.tick().deadlines == 1
    [fact] = deadline_facts(world.app)
    assert (fact.originator_id, fact.stage.stage, fact.at) == (report_id, "reception", due)
    assert fact.stage.unit_id == world.district and fact.recorded_at == due

    # The clock moved back and forth: never a second fact, never a second notification.
    for instant in [(2026, 2, 20, 9, 0), (2026, 2, 25, 9, 0), (2026, 2, 23, 15, 0),
                    (2026, 3, 9, 9, 0)]:
        clock.set(*instant)
        assert scheduler.tick().deadlines == 0
    assert _facts(world.app) == [(report_id, "reception", due)]
    [row] = notifications.outbox(conn, f"deadline:{report_id}")
    assert (row["recipient_kind"], row["recipient_id"]) == ("unit_head", str(world.district))
    assert "15:00 23/02/2026" in row["body"]


def test_scheduler_down_five_days_records_each_missed_deadline_once_in_due_order_dieu_7_2_d(
        world, scheduler, clock, conn) -> None:
    app = world.app
    clock.set(2026, 3, 2, 8, 0)
    first = world.submit()  # reception due Monday 17:00
    clock.set(2026, 3, 2, 9, 0)
    verified = world.submit()  # reception due Tuesday 09:00
    app.handle(StartVerification(verified), world.receiver)  # 4 working hours: Monday 14:00
    clock.set(2026, 3, 2, 10, 0)
    accepted = world.submit()
    app.handle(Accept(accepted), world.receiver)  # assignment due Monday 15:00 (Điều 8.5)
    assert scheduler.tick().deadlines == 0

    clock.set(2026, 3, 7, 10, 0)  # Saturday: the scheduler was down since Monday 10:00
    assert scheduler.tick().deadlines == 4
    # Recorded in due order across reports, exactly as they fell due.
    assert _facts(app) == [
        (verified, "verification", _at(2026, 3, 2, 14, 0)),
        (accepted, "assignment", _at(2026, 3, 2, 15, 0)),
        (first, "reception", _at(2026, 3, 2, 17, 0)),
        (verified, "reception", _at(2026, 3, 3, 9, 0))]
    assert all(e.recorded_at == _at(2026, 3, 7, 10, 0) for e in deadline_facts(app))
    assert scheduler.tick().deadlines == 0
    assert len(notifications.outbox(conn, "deadline:")) == 4  # one unit head each, no officer


def test_extended_handling_deadline_is_a_new_fact_when_the_new_due_passes_dieu_8_5(
        world, scheduler, clock) -> None:
    clock.set(2026, 3, 2, 8, 0)
    report_id = world.submit()
    world.to_handling(report_id, "complex")  # 15 working days: due Monday 23 March 08:00+
    [handling_due] = [s.due for s in world.app.load(report_id, Report).open_stages()]
    clock.now = handling_due
    assert scheduler.tick().deadlines == 1
    world.app.handle(GrantExtension(report_id, 5, "Chờ thủ tục thu hồi đất"), world.head)
    clock.now = handling_due + timedelta(days=1)
    assert scheduler.tick().deadlines == 0
    clock.now = handling_due + timedelta(days=8)
    assert scheduler.tick().deadlines == 1
    facts = deadline_facts(world.app)
    assert [f.stage.stage for f in facts] == ["handling", "handling"]
    assert facts[1].at == world.app.policy().calendar.add_days(handling_due, 5)
    assert facts[0].stage.officer_id == str(world.officer_id)


def test_warning_one_working_hour_before_the_deadline_is_queued_once(
        world, scheduler, clock, conn) -> None:
    clock.set(2026, 3, 6, 8, 0)  # Friday: reception due 17:00
    report_id = world.submit()
    clock.set(2026, 3, 6, 15, 59)
    assert scheduler.tick().warnings == 0
    clock.set(2026, 3, 6, 16, 0)
    assert scheduler.tick().warnings == 1
    clock.set(2026, 3, 6, 16, 30)
    assert scheduler.tick().warnings == 0
    [warning] = notifications.outbox(conn, "warning:")
    assert warning["recipient_id"] == str(world.district) and str(report_id) in warning["body"]
    assert warning["subject"] == "Sắp đến hạn tiếp nhận phản ánh"


def test_warning_counts_working_time_across_the_weekend(world, scheduler, clock, conn) -> None:
    clock.set(2026, 3, 6, 16, 0)  # Friday 16:00: 1 working hour, then due Monday 16:00
    world.submit()
    clock.set(2026, 3, 7, 10, 0)  # Saturday: still 7 working hours left
    assert scheduler.tick().warnings == 0
    clock.set(2026, 3, 9, 14, 59)
    assert scheduler.tick().warnings == 0
    clock.set(2026, 3, 9, 15, 0)  # Monday 15:00: one working hour left
    assert scheduler.tick().warnings == 1


# ----------------------------------------------------------------- statistics on the 25th


def _statistics(app, month: str) -> MonthlyStatistics:
    return app.load(MonthlyStatistics.create_id(month), MonthlyStatistics)


def _by_unit(published: MonthlyStatistics) -> dict[UUID, dict[str, Any]]:
    return {UUID(entry["unit_id"]): entry for entry in published.figures}


def _march(world, clock) -> dict[str, UUID]:
    app, r = world.app, {}
    clock.set(2026, 3, 2, 9, 0)
    r["resolved"] = world.submit()
    world.to_published(r["resolved"])
    clock.set(2026, 3, 3, 9, 0)
    r["untouched"] = world.submit()  # late in reception from 4 March
    clock.set(2026, 3, 24, 16, 0)
    r["fresh"] = world.submit()  # reception due 25 March 15:00: late at the freeze
    r["centre"] = world.submit(receiving_unit_id=world.centre)
    app.handle(Accept(r["centre"], world.department), world.centre_receiver)
    return r


def test_statistics_of_the_25th_equal_the_read_models_at_the_freeze_instant_seed_000_2_2_c(
        world, scheduler, projector, clock, conn) -> None:
    _march(world, clock)
    clock.set(2026, 3, 25, 16, 59)
    assert scheduler.tick().statistics == ()
    freeze = clock.set(2026, 3, 25, 17, 0)
    projector.catch_up()
    counts = {row.pop("unit_id"): row for row in monthly_statistics.figures(conn, MARCH)}
    ranks = {row.pop("unit_id"): row for row in unit_monthly_lateness.ranking(conn, MARCH,
                                                                              freeze)}
    received = monthly_statistics.explain(conn, world.district, MARCH, "received")
    late = unit_monthly_lateness.explain(conn, world.district, MARCH, "late_in_reception", freeze)

    assert scheduler.tick().statistics == ("2026-03",)
    published = _statistics(world.app, "2026-03")
    by_unit = _by_unit(published)
    assert set(by_unit) == set(counts) | set(ranks)
    for unit_id, entry in by_unit.items():
        assert entry["figures"] == counts[unit_id]
        assert entry["lateness"] == {k: str(v) if k == "share_late" else v
                                     for k, v in ranks[unit_id].items()}
        assert entry["as_of"] == freeze.isoformat()
    district = by_unit[world.district]
    assert (district["lateness"]["late_in_reception"], district["lateness"]["flagged"]) == (2, True)
    assert district["evidence"]["received"] == {
        "report_ids": [str(r) for r in received["report_ids"]],
        "notification_ids": received["notification_ids"]}
    assert district["evidence"]["lateness.late_in_reception"]["notification_ids"] == \
        late["notification_ids"]
    assert district["repeat_dissatisfaction"] == {"flagged": False, "matters": []}

    clock.set(2026, 3, 25, 17, 30)  # re-run: never a second publication
    assert scheduler.tick().statistics == ()
    assert Scheduler(scheduler.runtime, clock).tick().statistics == ()
    assert _statistics(world.app, "2026-03").version == 1


def test_published_statistics_never_change_late_events_show_in_next_months_seed_000_2_2_c(
        world, scheduler, clock) -> None:
    r = _march(world, clock)
    clock.set(2026, 3, 25, 17, 0)
    scheduler.tick()
    march = _statistics(world.app, "2026-03").figures

    clock.set(2026, 3, 27, 9, 0)  # after the freeze, still March
    world.app.handle(Accept(r["fresh"]), world.receiver)
    late_report = world.submit()
    scheduler.tick()
    assert _statistics(world.app, "2026-03").figures == march
    assert _statistics(world.app, "2026-03").version == 1

    # 25 April 2026 is a Saturday: published on the 25th itself all the same.
    assert freeze_instant(APRIL, world.app.policy()) == _at(2026, 4, 25, 17, 0)
    clock.set(2026, 4, 25, 16, 59)
    assert scheduler.tick().statistics == ()
    clock.set(2026, 4, 25, 17, 0)
    assert scheduler.tick().statistics == ("2026-04",)
    additions = _by_unit(_statistics(world.app, "2026-04"))[world.district]["late_additions"]
    assert additions["month"] == "2026-03"
    assert additions["received"]["report_ids"] == [str(late_report)]
    assert additions["accepted"]["report_ids"] == [str(r["fresh"])]
    assert _statistics(world.app, "2026-03").figures == march


def test_statistics_missed_while_down_are_published_on_start_each_as_of_its_freeze(
        world, scheduler, clock) -> None:
    clock.set(2026, 4, 6, 9, 0)
    april = world.submit()
    clock.set(2026, 4, 29, 9, 0)  # after April's freeze (Saturday 25, 17:00)
    after_freeze = world.submit()
    clock.set(2026, 5, 11, 9, 0)
    world.submit()

    clock.set(2026, 6, 26, 8, 0)  # the scheduler starts only now
    assert scheduler.tick().statistics == ("2026-04", "2026-05", "2026-06")
    apr = _by_unit(_statistics(world.app, "2026-04"))[world.district]
    assert apr["as_of"] == _at(2026, 4, 25, 17, 0).isoformat()
    assert apr["evidence"]["received"]["report_ids"] == [str(april)]
    may = _by_unit(_statistics(world.app, "2026-05"))[world.district]
    assert may["figures"]["received"] == 1
    assert may["late_additions"]["received"]["report_ids"] == [str(after_freeze)]
    assert _by_unit(_statistics(world.app, "2026-06")) == {}
    assert scheduler.tick().statistics == ()


# ----------------------------------------------------------------- locks (Điều 27.3)


def test_lock_lifts_by_itself_after_30_days_visible_in_reporter_locks_dieu_27_3(
        world, scheduler, clock, conn) -> None:
    app = world.app
    for _ in range(4):  # more than 3 violations in a row
        report_id = world.submit()
        app.handle(MarkViolation(report_id, "Nội dung sai sự thật"), world.receiver)
    locked_at = clock.now
    scheduler.tick()
    row = reporter_locks.lock(conn, world.reporter_id)
    assert row["locked_until"] == locked_at + timedelta(days=30) and row["lifted_at"] is None
    with pytest.raises(ReporterLocked):
        world.submit()

    clock.now = locked_at + timedelta(days=30) - timedelta(minutes=1)
    assert scheduler.tick().locks == 0
    clock.now = locked_at + timedelta(days=30)
    assert scheduler.tick().locks == 1
    assert scheduler.tick().locks == 0
    scheduler.follow()
    row = reporter_locks.lock(conn, world.reporter_id)
    assert row["lifted_at"] == clock.now and row["consecutive_violations"] == 0
    assert reporter_locks.expired(conn, clock.now) == []
    world.submit()  # may submit again


# ----------------------------------------------------------------- reorganisation


def test_open_reports_of_a_merged_unit_pass_to_its_successor_once_dieu_28_1(
        world, scheduler, clock, conn) -> None:
    """Điều 28.1: after a merger the scheduler hands every open report still at the merged
    unit (here: received by the district, or handled through its division) to the unit that
    took it over, keeping its deadlines; a closed report stays as it was; once done, nothing
    more happens."""
    clock.set(2026, 3, 2, 9, 0)
    received, handled, closed = world.submit(), world.submit(), world.submit()
    world.to_handling(handled)
    world.to_published(closed)
    successor = world.unit("UBND phường Hoàn Kiếm", "district", world.city)
    world.app.handle(MergeUnit(world.division, world.ward), ADMIN)
    world.app.handle(MergeUnit(world.district, successor), ADMIN)
    world.app.handle(MergeUnit(world.ward, successor), ADMIN)  # the division's successor, in turn
    scheduler.follow()
    before = {r: conn.execute("SELECT stage_due FROM report_status WHERE report_id = %s",
                              (r,)).fetchone()[0] for r in (received, handled)}

    assert scheduler.tick().rerouted == 3  # received: 1; handled: the district and the division
    rows = {r: conn.execute("SELECT receiving_unit_id, handling_unit_id, department_id,"
                            " stage_due FROM report_status WHERE report_id = %s",
                            (r,)).fetchone() for r in (received, handled, closed)}
    assert rows[received] == (successor, None, None, before[received])
    assert rows[handled] == (successor, successor, successor, before[handled])
    assert rows[closed][:3] == (world.district, world.district, world.division)
    assert scheduler.tick().rerouted == 0
