"""work_queues: what awaits each unit and officer, soonest due first (Điều 7, 8, 12, 13)."""

from datetime import datetime
from typing import Any

import psycopg

from application.commands import (
    Accept,
    AnswerClarification,
    ApproveResult,
    Assign,
    AssignCommuneOfficer,
    Classify,
    CompleteVerification,
    Contribute,
    CoordinateToCommune,
    Escalate,
    GrantExtension,
    ProposeResult,
    Publish,
    RequestClarification,
    RequestCoordination,
    ReturnResult,
    StartVerification,
    UpdateResult,
)
from domain.calendar import BUSINESS_TZ
from projections import work_queues


def _items(conn: psycopg.Connection[Any], unit_id: Any,
           officer_id: str | None = None) -> list[tuple[Any, ...]]:
    return [(row["report_id"], row["item"], row["officer_id"])
            for row in work_queues.queue(conn, unit_id, officer_id)]


def test_queue_moves_from_receiver_to_head_to_officer_to_head_dieu_7_8_12(world, projector,
                                                                          conn) -> None:
    report_id = world.submit()
    projector.catch_up()
    assert _items(conn, world.district) == [(report_id, "reception", None)]
    [row] = work_queues.queue(conn, world.district)
    assert (row["kind"], row["category"], row["urgency"]) == ("field", "urban_order", None)
    assert row["due"] == datetime(2026, 3, 3, 9, 0, tzinfo=BUSINESS_TZ)

    world.app.handle(Accept(report_id), world.receiver)
    projector.catch_up()
    assert _items(conn, world.district) == [(report_id, "assignment", None)]

    world.app.handle(Classify(report_id, "urgent"), world.head)
    world.app.handle(Assign(report_id, world.division, world.officer_id), world.head)
    projector.catch_up()
    assert _items(conn, world.district) == []
    assert _items(conn, world.division) == [(report_id, "handling", world.officer.id)]
    assert _items(conn, world.division, world.officer.id) == _items(conn, world.division)
    assert work_queues.queue(conn, world.division)[0]["urgency"] == "urgent"

    world.app.handle(ProposeResult(report_id, "Đã vá xong ổ gà", ["bien-ban.pdf"]), world.officer)
    projector.catch_up()
    assert _items(conn, world.division) == []
    assert _items(conn, world.district) == [(report_id, "approval", None)]

    world.app.handle(ReturnResult(report_id, "Thiếu ảnh sau khi vá"), world.head)
    projector.catch_up()
    assert _items(conn, world.district) == []
    assert _items(conn, world.division, world.officer.id) == [(report_id, "rework",
                                                               world.officer.id)]

    world.app.handle(ProposeResult(report_id, "Đã vá xong, có ảnh", ["anh.jpg"]), world.officer)
    world.app.handle(ApproveResult(report_id), world.head)
    projector.catch_up()
    assert _items(conn, world.district) == []  # Điều 12.2: the officer updates the result
    assert _items(conn, world.division, world.officer.id) == [(report_id, "result_update",
                                                               world.officer.id)]

    world.app.handle(UpdateResult(report_id, ["anh-sau.jpg"]), world.officer)
    projector.catch_up()
    assert _items(conn, world.division) == []
    assert _items(conn, world.district) == [(report_id, "publication", None)]

    world.app.handle(Publish(report_id), world.head)
    projector.catch_up()
    assert conn.execute("SELECT count(*) FROM work_queues").fetchone() == (0,)


def test_open_verification_awaits_the_receiving_unit_dieu_7_1(world, projector, conn) -> None:
    report_id = world.submit()
    world.app.handle(StartVerification(report_id), world.receiver)
    projector.catch_up()
    assert sorted(_items(conn, world.district)) == [(report_id, "reception", None),
                                                    (report_id, "verification", None)]
    world.app.handle(CompleteVerification(report_id, True, "Đã xác minh tại chỗ"), world.receiver)
    projector.catch_up()
    assert _items(conn, world.district) == [(report_id, "reception", None)]


def test_escalated_report_awaits_the_higher_unit_dieu_7_2_c(world, projector, conn) -> None:
    report_id = world.submit()
    world.app.handle(Escalate(report_id, world.city, "Vượt thẩm quyền của quận"), world.receiver)
    projector.catch_up()
    assert _items(conn, world.district) == []
    assert _items(conn, world.city) == [(report_id, "reception", None)]


def test_clarification_awaits_the_handling_unit_dieu_13(world, projector, conn) -> None:
    report_id = world.submit()
    world.to_published(report_id)
    world.app.handle(RequestClarification(report_id, "Vì sao chỉ vá một nửa?"), world.citizen)
    projector.catch_up()
    assert _items(conn, world.district) == [(report_id, "clarification", None)]
    world.app.handle(AnswerClarification(report_id, "Nửa còn lại thuộc dự án khác"), world.officer)
    projector.catch_up()
    assert _items(conn, world.district) == []


def test_coordinating_unit_awaits_its_contribution_undated_last_dieu_8_2(world, projector,
                                                                         conn, clock) -> None:
    report_id = world.submit()
    world.to_handling(report_id, "complex")
    world.app.handle(RequestCoordination(report_id, [world.other_district,
                                                     world.department]), world.head)
    clock.advance(hours=1)
    later = world.submit(receiving_unit_id=world.other_district)
    projector.catch_up()
    # Điều 8.2 sets no period for a contribution: it comes after every dated item.
    assert _items(conn, world.other_district) == [(later, "reception", None),
                                                  (report_id, "coordination", None)]
    assert _items(conn, world.department) == [(report_id, "coordination", None)]
    world.app.handle(Contribute(report_id, "Ba Đình đã rà soát phần giáp ranh", []),
                     world.other_head)
    projector.catch_up()
    assert _items(conn, world.other_district) == [(later, "reception", None)]
    assert _items(conn, world.department) == [(report_id, "coordination", None)]
    assert _items(conn, world.division) == [(report_id, "handling", world.officer.id)]


def test_queue_is_soonest_due_first_and_per_officer_dieu_8_5(world, projector, conn) -> None:
    normal, urgent = world.submit(), world.submit()
    world.to_handling(normal, "normal")
    world.to_handling(urgent, "urgent")
    in_ward = world.submit()
    world.app.handle(Accept(in_ward), world.receiver)
    world.app.handle(Classify(in_ward, "urgent"), world.head)
    world.app.handle(CoordinateToCommune(in_ward, world.ward), world.head)
    _, ward_head = world.staff("Đoàn Văn Lộc", world.ward, "unit_head")
    world.app.handle(AssignCommuneOfficer(in_ward, world.ward_officer_id), ward_head)
    projector.catch_up()
    assert _items(conn, world.division) == [(urgent, "handling", world.officer.id),
                                            (normal, "handling", world.officer.id)]
    assert _items(conn, world.division, str(world.ward_officer_id)) == []
    assert _items(conn, world.ward, str(world.ward_officer_id)) == [
        (in_ward, "handling", str(world.ward_officer_id))]


def test_a_report_coordinated_to_a_commune_waits_for_its_leader_dieu_8_1_b_c(
        world, projector, conn) -> None:
    """Điều 8.1.b: the district head coordinates to the commune; the handling stage waits in
    the commune's queue, with no officer, until its leader assigns one (Điều 8.1.c)."""
    report_id = world.submit()
    world.app.handle(Accept(report_id), world.receiver)
    world.app.handle(Classify(report_id, "normal"), world.head)
    world.app.handle(CoordinateToCommune(report_id, world.ward), world.head)
    projector.catch_up()
    assert _items(conn, world.district) == []
    assert _items(conn, world.ward) == [(report_id, "handling", None)]
    _, ward_head = world.staff("Đoàn Văn Lộc", world.ward, "unit_head")
    world.app.handle(AssignCommuneOfficer(report_id, world.ward_officer_id), ward_head)
    projector.catch_up()
    assert _items(conn, world.ward) == [(report_id, "handling", str(world.ward_officer_id))]


def test_extension_moves_the_due_in_the_officers_queue_dieu_8_5(world, projector, conn) -> None:
    report_id = world.submit()
    world.to_handling(report_id, "complex")
    world.app.handle(GrantExtension(report_id, 5, "Chờ thẩm định hồ sơ"), world.head)
    projector.catch_up()
    [row] = work_queues.queue(conn, world.division, world.officer.id)
    assert row["due"] == datetime(2026, 3, 30, 9, 0, tzinfo=BUSINESS_TZ)  # 15 + 5 working days


def test_rebuild_equals_incremental_work_queues(world, projector, conn) -> None:
    world.to_published(world.submit())
    coordinated = world.submit()
    world.to_handling(coordinated, "complex")
    world.app.handle(RequestCoordination(coordinated, [world.department]), world.head)
    world.app.handle(GrantExtension(coordinated, 2, "Chờ ý kiến Sở Xây dựng"), world.head)
    verifying = world.submit()
    world.app.handle(StartVerification(verifying), world.receiver)
    returned = world.submit()
    world.to_handling(returned)
    world.app.handle(ProposeResult(returned, "Đã xử lý xong", ["a.jpg"]), world.officer)
    world.app.handle(ReturnResult(returned, "Chưa đủ chứng cứ"), world.head)
    projector.catch_up()
    query = ("SELECT (SELECT array_agg(w::text ORDER BY w::text) FROM work_queues w),"
             " (SELECT array_agg(r::text ORDER BY r::text) FROM work_queue_reports r)")
    before = conn.execute(query).fetchone()
    projector.rebuild(["work_queues"])
    assert conn.execute(query).fetchone() == before
    assert (len(before[0]), len(before[1])) == (5, 4)
