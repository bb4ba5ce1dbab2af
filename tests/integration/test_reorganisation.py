"""The 2025 reorganisation in the read models: the open work of a merged unit on a report passes
to its successor, deadlines unchanged (Điều 28.1)."""

from datetime import date
from typing import Any
from uuid import UUID

import psycopg
import pytest

from application.commands import (
    Accept,
    ApproveResult,
    Assign,
    Classify,
    Contribute,
    MergeUnit,
    ProposeResult,
    Publish,
    RequestCoordination,
    RerouteAfterMerger,
    StartVerification,
    UpdateResult,
)
from domain.actors import SYSTEM
from domain.calendar import WorkingCalendar
from domain.errors import InvalidInput, InvalidState, NotPermitted
from projections import monthly_statistics, overdue, report_status, work_queues
from tests.integration.conftest import ADMIN, World
from tests.integration.test_projection_engine import assert_equals_rebuild, snapshot

CALENDAR = WorkingCalendar()
MARCH = date(2026, 3, 1)


def _merge(world: World, unit: UUID, name: str, level: str, parent: UUID) -> UUID:
    successor = world.unit(name, level, parent)
    world.app.handle(MergeUnit(unit, successor), ADMIN)
    return successor


def _coordinated(world: World, *units: UUID) -> UUID:
    """A complex report in handling at the district, coordinated with ``units``."""
    report_id = world.submit()
    world.to_handling(report_id, "complex")
    world.app.handle(RequestCoordination(report_id, list(units)), world.head)
    return report_id


def _open_lateness(conn: psycopg.Connection[Any], report_id: UUID) -> list[tuple[Any, ...]]:
    return conn.execute("SELECT stage, unit_id, started_at, due FROM unit_lateness_stages"
                        " WHERE report_id = %s AND ended_at IS NULL ORDER BY stage",
                        (report_id,)).fetchall()


def _queue(conn: psycopg.Connection[Any], unit_id: UUID) -> list[tuple[Any, ...]]:
    return [(row["report_id"], row["item"], row["officer_id"], row["since"], row["due"])
            for row in work_queues.queue(conn, unit_id)]


def _received(conn: psycopg.Connection[Any], unit_id: UUID) -> list[tuple[Any, ...]]:
    return conn.execute("SELECT month, received FROM unit_lateness_months WHERE unit_id = %s",
                        (unit_id,)).fetchall()


def test_open_report_of_a_merged_ward_moves_to_its_successor_with_its_deadlines_dieu_28_1(
        world, clock, projector, conn) -> None:
    _, ward_receiver = world.staff("Ngô Thị Mai", world.ward, "receiving_officer")
    report_id = world.submit(receiving_unit_id=world.ward)
    world.app.handle(StartVerification(report_id), ward_receiver)
    projector.catch_up()
    queue_before, overdue_before = _queue(conn, world.ward), overdue.overdue(
        conn, clock.advance(days=30), CALENDAR, world.ward)
    lateness_before = _open_lateness(conn, report_id)
    assert {row[1] for row in queue_before} == {"reception", "verification"}
    assert len(overdue_before) == len(lateness_before) == 2

    successor = _merge(world, world.ward, "UBND phường Hoàn Kiếm", "commune", world.district)
    world.app.handle(RerouteAfterMerger(report_id, world.ward), SYSTEM)
    projector.catch_up()

    status = report_status.get(conn, report_id)
    assert (status["receiving_unit_id"], status["stage_unit_id"]) == (successor, successor)
    assert status["status"] == "received"
    assert _queue(conn, world.ward) == []
    assert _queue(conn, successor) == queue_before
    moved = overdue.overdue(conn, clock.now, CALENDAR, successor)
    assert [{**row, "unit_id": world.ward} for row in moved] == overdue_before
    assert overdue.overdue(conn, clock.now, CALENDAR, world.ward) == []
    assert _open_lateness(conn, report_id) == [(stage, successor, started, due)
                                               for stage, _, started, due in lateness_before]
    # The ward's reception stays in its history; the successor receives the report now.
    assert [received for _, received in _received(conn, world.ward)] == [1]
    assert [received for _, received in _received(conn, successor)] == [1]
    assert_equals_rebuild(projector)


def test_report_in_handling_follows_its_merged_division_and_coordinating_department_dieu_28_1(
        world, projector, conn) -> None:
    report_id = _coordinated(world, world.department)
    projector.catch_up()
    before = report_status.get(conn, report_id)
    [handling] = _queue(conn, world.division)

    division = _merge(world, world.division, "Phòng Quản lý đô thị và Xây dựng", "division",
                      world.district)
    department = _merge(world, world.department, "Sở Xây dựng và Giao thông", "department",
                        world.city)
    world.app.handle(RerouteAfterMerger(report_id, world.division), SYSTEM)
    world.app.handle(RerouteAfterMerger(report_id, world.department), ADMIN)
    projector.catch_up()

    after = report_status.get(conn, report_id)
    assert after["department_id"] == division
    assert after["coordination"] == {str(department): False}
    unchanged = ("handling_unit_id", "officer_id", "status", "stage", "stage_unit_id",
                 "stage_officer_id", "stage_due")
    assert {k: after[k] for k in unchanged} == {k: before[k] for k in unchanged}
    assert _queue(conn, world.division) == _queue(conn, world.department) == []
    assert _queue(conn, division) == [handling]
    assert [row[1] for row in _queue(conn, department)] == ["coordination"]
    assert_equals_rebuild(projector)


def test_contribution_of_a_merged_coordinating_unit_carries_to_its_successor_dieu_28_1(
        world, projector, conn) -> None:
    report_id = _coordinated(world, world.department)
    world.app.handle(Contribute(report_id, "Sở đồng ý phương án sửa chữa",
                                ["y-kien-so.pdf"]), world.department_head)
    department = _merge(world, world.department, "Sở Xây dựng và Giao thông", "department",
                        world.city)
    world.app.handle(RerouteAfterMerger(report_id, world.department), SYSTEM)
    projector.catch_up()
    assert report_status.get(conn, report_id)["coordination"] == {str(department): True}
    assert _queue(conn, department) == []
    assert_equals_rebuild(projector)


def test_a_merged_unit_that_contributed_settles_its_successors_pending_request_dieu_28_1(
        world, projector, conn) -> None:
    """Both units were asked to coordinate; the merged one had contributed, its successor not
    yet: the successor's entry counts as contributed and leaves its queue."""
    transport = world.unit("Sở Giao thông vận tải", "department", world.city)
    report_id = _coordinated(world, world.department, transport)
    world.app.handle(Contribute(report_id, "Sở đồng ý phương án sửa chữa",
                                ["y-kien-so.pdf"]), world.department_head)
    projector.catch_up()
    assert [row[1] for row in _queue(conn, transport)] == ["coordination"]
    world.app.handle(MergeUnit(world.department, transport), ADMIN)
    world.app.handle(RerouteAfterMerger(report_id, world.department), SYSTEM)
    projector.catch_up()
    assert report_status.get(conn, report_id)["coordination"] == {str(transport): True}
    assert _queue(conn, transport) == [] and _queue(conn, world.department) == []
    assert_equals_rebuild(projector)


def test_successor_publishes_on_time_only_if_the_merged_unit_handled_on_time_dieu_28_1(
        world, clock, projector, conn) -> None:
    report_id = world.submit()
    world.app.handle(Accept(report_id), world.receiver)
    clock.advance(days=7)  # the assignment closes late at the district
    world.app.handle(Classify(report_id, "normal"), world.head)
    world.app.handle(Assign(report_id, world.division, world.officer_id), world.head)
    successor = _merge(world, world.district, "UBND phường Hoàn Kiếm mới", "district", world.city)
    _, successor_head = world.staff("Lý Văn Sơn", successor, "unit_head")
    world.app.handle(RerouteAfterMerger(report_id, world.district), SYSTEM)
    world.app.handle(ProposeResult(report_id, "Đã vá xong ổ gà", ["anh-sau.jpg"]), world.officer)
    world.app.handle(ApproveResult(report_id), successor_head)
    world.app.handle(UpdateResult(report_id, ["anh-sau.jpg"]), world.officer)
    world.app.handle(Publish(report_id), successor_head)
    projector.catch_up()
    figures = {row["unit_id"]: row for row in monthly_statistics.figures(conn, MARCH)}
    assert (figures[successor]["published"], figures[successor]["published_on_time"]) == (1, 0)
    # The merged district's facts stay its own (history); the re-route is not a reception.
    assert {m: figures[world.district][m] for m in ("received", "accepted", "assigned")} == {
        "received": 1, "accepted": 1, "assigned": 1}
    assert figures[successor]["received"] == 0
    assert_equals_rebuild(projector)


@pytest.mark.parametrize("case", ["not merged", "no open work there", "citizen", "officer"])
def test_reroute_is_refused_and_records_nothing_dieu_28_1(world, projector, case) -> None:
    report_id = world.submit()
    successor = _merge(world, world.ward, "UBND phường Hoàn Kiếm", "commune", world.district)
    projector.catch_up()
    before = snapshot(projector), projector.head()
    refusals = {
        "not merged": (InvalidInput, SYSTEM, successor),
        "no open work there": (InvalidState, SYSTEM, world.ward),
        "citizen": (NotPermitted, world.citizen, world.district),
        "officer": (NotPermitted, world.head, world.district),
    }
    error, actor, unit = refusals[case]
    if case in ("citizen", "officer"):
        # The district itself is merged: only the actor is at fault.
        world.app.handle(MergeUnit(world.district, world.other_district), ADMIN)
        projector.catch_up()
        before = snapshot(projector), projector.head()
    with pytest.raises(error, match="Điều 28.1"):
        world.app.handle(RerouteAfterMerger(report_id, unit), actor)
    projector.catch_up()
    assert (snapshot(projector), projector.head()) == before
