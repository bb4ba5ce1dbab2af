"""overdue: open stages past their deadline, with how late in working time (DOMAIN.md
"Lateness"; Điều 7.2.d, 8.5, 13, 18.4). Lateness is worked out by hand below."""

from datetime import datetime, timedelta
from typing import Any

import psycopg

from application.commands import (
    Accept,
    AnswerClarification,
    Assign,
    Classify,
    CompleteVerification,
    GrantExtension,
    Reject,
    RequestClarification,
    StartVerification,
)
from domain.calendar import BUSINESS_TZ, WorkingCalendar
from projections import overdue

CALENDAR = WorkingCalendar()




def _at(*args: int) -> datetime:
    return datetime(*args, tzinfo=BUSINESS_TZ)


def _late(conn: psycopg.Connection[Any], now: datetime,
          unit_id: Any = None) -> list[tuple[Any, str, timedelta]]:
    return [(row["report_id"], row["stage"], row["late"])
            for row in overdue.overdue(conn, now, CALENDAR, unit_id)]


def test_untouched_report_is_late_in_working_hours_after_reception_due_dieu_7_2_d(
        world, projector, conn, clock) -> None:
    clock.set(2026, 3, 2, 8, 0)  # Monday 08:00: 8 working hours end at 17:00 the same day
    report_id = world.submit()
    projector.catch_up()
    assert _late(conn, _at(2026, 3, 2, 16, 59)) == []
    # Tuesday 08:00–10:00: two working hours; the night does not count.
    assert _late(conn, _at(2026, 3, 3, 10, 0)) == [(report_id, "reception", timedelta(hours=2))]
    [row] = overdue.overdue(conn, _at(2026, 3, 3, 10, 0), CALENDAR)
    assert (row["unit_id"], row["due"]) == (world.district, _at(2026, 3, 2, 17, 0))
    assert _late(conn, _at(2026, 3, 3, 10, 0), world.district) == _late(conn,
                                                                       _at(2026, 3, 3, 10, 0))
    assert _late(conn, _at(2026, 3, 3, 10, 0), world.other_district) == []

    clock.set(2026, 3, 3, 10, 0)  # accepted late; assignment due 15:00 (Điều 8.5: 4 hours)
    world.app.handle(Accept(report_id), world.receiver)
    projector.catch_up()
    assert _late(conn, _at(2026, 3, 3, 10, 0)) == []
    # Tuesday 15:00–17:00 and Wednesday 08:00–09:00.
    assert _late(conn, _at(2026, 3, 4, 9, 0)) == [(report_id, "assignment", timedelta(hours=3))]

    world.app.handle(Classify(report_id, "normal"), world.head)
    world.app.handle(Assign(report_id, world.division, world.officer_id), world.head)
    projector.catch_up()
    assert _late(conn, _at(2026, 3, 4, 9, 0)) == []


def test_lateness_skips_public_holidays_dieu_7_2_d(world, projector, conn, clock) -> None:
    clock.set(2026, 4, 29, 8, 0)  # Wednesday; 30/4 and 1/5 are holidays, then a weekend
    report_id = world.submit()
    projector.catch_up()
    assert _late(conn, _at(2026, 5, 4, 10, 0)) == [(report_id, "reception", timedelta(hours=2))]


def test_verification_is_late_on_its_own_deadline_dieu_7_1(world, projector, conn,
                                                           clock) -> None:
    clock.set(2026, 3, 2, 8, 0)
    report_id = world.submit()
    world.app.handle(StartVerification(report_id), world.receiver)  # 4 working hours: due 12:00
    projector.catch_up()
    # 12:00–13:00 is lunch: at 14:00 the verification is one working hour late.
    assert _late(conn, _at(2026, 3, 2, 14, 0)) == [(report_id, "verification",
                                                    timedelta(hours=1))]
    world.app.handle(CompleteVerification(report_id, True, "Đúng sự thật"), world.receiver)
    projector.catch_up()
    assert _late(conn, _at(2026, 3, 2, 14, 0)) == []


def test_unanswered_clarification_is_late_for_the_handling_unit_dieu_13(world, projector, conn,
                                                                        clock) -> None:
    report_id = world.submit()
    world.to_published(report_id)
    world.app.handle(RequestClarification(report_id, "Bao giờ kẻ lại vạch?"), world.citizen)
    projector.catch_up()
    # Asked Monday 09:00: 2 working days end Wednesday 09:00; Thursday 09:00 is 8 hours late.
    assert _late(conn, _at(2026, 3, 5, 9, 0), world.district) == [
        (report_id, "clarification", timedelta(hours=8))]
    world.app.handle(AnswerClarification(report_id, "Tuần sau"), world.head)
    projector.catch_up()
    assert _late(conn, _at(2026, 3, 5, 9, 0)) == []


def test_extension_removes_an_overdue_handling_stage_dieu_8_5(world, projector, conn,
                                                              clock) -> None:
    report_id = world.submit()
    world.to_handling(report_id, "complex")  # Monday 2 March 09:00 + 15 working days
    projector.catch_up()
    now = clock.set(2026, 3, 24, 9, 0)
    [row] = overdue.overdue(conn, now, CALENDAR)
    assert (row["stage"], row["unit_id"], row["officer_id"]) == ("handling", world.district,
                                                                 world.officer.id)
    assert (row["due"], row["late"]) == (_at(2026, 3, 23, 9, 0), timedelta(hours=8))
    world.app.handle(GrantExtension(report_id, 5, "Chờ thẩm định hồ sơ cấp phép"), world.head)
    projector.catch_up()
    assert _late(conn, now) == []
    assert _late(conn, _at(2026, 3, 31, 9, 0)) == [(report_id, "handling", timedelta(hours=8))]


def test_city_wide_list_is_most_late_first_and_per_unit_dieu_18_4(world, projector, conn,
                                                                  clock) -> None:
    clock.set(2026, 3, 2, 8, 0)
    early = world.submit()  # due Monday 17:00
    clock.set(2026, 3, 2, 13, 0)
    later = world.submit(receiving_unit_id=world.other_district)  # due Tuesday 12:00
    projector.catch_up()
    now = _at(2026, 3, 4, 10, 0)
    assert _late(conn, now) == [(early, "reception", timedelta(hours=10)),
                                (later, "reception", timedelta(hours=6))]
    assert _late(conn, now, world.other_district) == [(later, "reception", timedelta(hours=6))]


def test_overdue_list_pages_in_the_same_order_as_the_whole_list(world, projector, conn,
                                                               clock) -> None:
    for hour in (8, 9, 10, 11):
        clock.set(2026, 3, 2, hour, 0)
        world.submit()
    projector.catch_up()
    now = _at(2026, 3, 5, 10, 0)
    whole = overdue.overdue(conn, now, CALENDAR)
    paged, after = [], None
    while page := overdue.overdue(conn, now, CALENDAR, limit=3, after=after):
        paged += page
        last = page[-1]
        after = (last["due"], last["report_id"], last["stage"])
    assert len(whole) == 4 and paged == whole


def test_capital_initiative_reception_has_no_deadline_so_is_never_late_dieu_9(
        world, projector, conn) -> None:
    world.submit(kind="capital_initiative", category="smart_city", address="",
                 text="Đề xuất xây thêm bãi đỗ xe ngầm dưới công viên",
                 receiving_unit_id=world.centre)
    projector.catch_up()
    assert _late(conn, _at(2027, 1, 4, 9, 0)) == []


def test_rebuild_equals_incremental_overdue(world, projector, conn) -> None:
    world.to_published(world.submit())
    extended = world.submit()
    world.to_handling(extended, "complex")
    world.app.handle(GrantExtension(extended, 4, "Chờ ý kiến Sở Xây dựng"), world.head)
    verifying = world.submit()
    world.app.handle(StartVerification(verifying), world.receiver)
    clarified = world.submit()
    world.to_published(clarified)
    world.app.handle(RequestClarification(clarified, "Đã xử lý triệt để chưa?"), world.citizen)
    world.app.handle(Reject(world.submit(), "a", "Thiếu thông tin"), world.receiver)
    projector.catch_up()
    query = "SELECT t::text FROM overdue t ORDER BY 1"
    before = conn.execute(query).fetchall()
    projector.rebuild(["overdue"])
    assert conn.execute(query).fetchall() == before and len(before) == 4
