"""Reassignment (Điều 8.1.b–c): another division or officer takes over a report in handling,
with its stage and due instant unchanged — e.g. when the assigned officer is transferred."""

from uuid import UUID

import pytest

from application.commands import Accept, Assign, Classify, ProposeResult, Reassign, TransferOfficer
from domain.errors import InvalidInput, InvalidState, NotPermitted
from domain.report import Report
from projections import overdue, report_status, work_queues
from projections.registry import READ_MODELS
from tests.integration.conftest import ADMIN, World


def second_division(world: World) -> tuple[UUID, UUID]:
    """Another division of the district and its handling officer (a commune officer is the
    commune leader's to assign, Điều 8.1.c, so a reassignment goes to a division's)."""
    division = world.unit("Phòng Tài nguyên và Môi trường", "division", world.district)
    officer_id, _ = world.staff("Lý Văn Nam", division, "handling_officer")
    return division, officer_id


def test_transferred_officers_report_is_reassigned_with_its_due_unchanged_dieu_8_1(
        world, projector, conn, clock) -> None:
    app = world.app
    report_id = world.submit()
    world.to_handling(report_id)
    due = app.load(report_id, Report).stage.due
    division, officer_id = second_division(world)
    app.handle(TransferOfficer(UUID(world.officer.id), world.other_district,
                               "handling_officer"), ADMIN)
    with pytest.raises(NotPermitted):  # he no longer holds the division's rights
        app.handle(Reassign(report_id, division, officer_id, "chuyển"), world.officer)
    clock.advance(hours=1)
    app.handle(Reassign(report_id, division, officer_id,
                        "Cán bộ được điều động sang đơn vị khác"), world.head)
    projector.catch_up()
    successor = app.officer_actor(officer_id)
    row = report_status.get(conn, report_id)
    assert (row["department_id"], row["officer_id"], row["stage"], row["stage_due"]) == (
        division, successor.id, "handling", due)
    assert [(r["report_id"], r["officer_id"]) for r in work_queues.queue(conn, division)] == [
        (report_id, successor.id)]
    assert work_queues.queue(conn, world.division) == []
    clock.set(2026, 3, 20, 9, 0)
    [late] = overdue.overdue(conn, clock.now, app.policy().calendar)
    assert (late["report_id"], late["officer_id"], late["due"]) == (report_id, successor.id, due)
    app.handle(ProposeResult(report_id, "Đã xử lý xong vi phạm", ["bien-ban.pdf"]), successor)


def test_reassignment_refusals_dieu_8_1(world) -> None:
    app = world.app
    division, officer_id = second_division(world)
    report_id = world.submit()
    app.handle(Accept(report_id), world.receiver)
    app.handle(Classify(report_id, "normal"), world.head)
    with pytest.raises(InvalidState):  # nothing assigned yet
        app.handle(Reassign(report_id, division, officer_id, "lý do"), world.head)
    app.handle(Assign(report_id, world.division, world.officer_id), world.head)
    with pytest.raises(NotPermitted):  # only the head of the handling unit
        app.handle(Reassign(report_id, division, officer_id, "lý do"), world.other_head)
    with pytest.raises(InvalidInput):  # the same officer again
        app.handle(Reassign(report_id, world.division, world.officer_id, "lý do"), world.head)
    with pytest.raises(InvalidInput):  # a reason is required
        app.handle(Reassign(report_id, division, officer_id, " "), world.head)
    with pytest.raises(InvalidInput):  # an officer of that division, not of another unit
        app.handle(Reassign(report_id, division, world.officer_id, "lý do"), world.head)
    with pytest.raises(InvalidInput, match="Điều 8.1.c"):  # the commune leader's step
        app.handle(Reassign(report_id, world.ward, world.ward_officer_id, "lý do"), world.head)


def test_rebuild_equals_incremental_after_reassignment(world, projector, conn) -> None:
    division, officer_id = second_division(world)
    report_id = world.submit()
    world.to_handling(report_id)
    world.app.handle(Reassign(report_id, division, officer_id, "điều động"), world.head)
    projector.catch_up()
    tables = [t for m in READ_MODELS for t in m.tables]

    def dump() -> dict[str, list[str]]:
        return {t: sorted(map(repr, conn.execute(f"SELECT * FROM {t}").fetchall()))
                for t in tables}

    before = dump()
    projector.rebuild()
    assert dump() == before
