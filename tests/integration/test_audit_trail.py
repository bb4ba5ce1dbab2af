"""audit_trail: who did what to which report, when, in which unit, on time or not (Điều 22;
seed 000 Điều 2.4) — exportable in event order, never with a reporter's identity."""

import csv
import io
from datetime import datetime
from uuid import UUID

from application.commands import Accept, Escalate, Reject, RenameUnit, TransferOfficer
from projections import audit_trail
from projections.engine import Projector
from tests.integration.conftest import ADMIN


def _snapshot(projector: Projector) -> list[tuple]:
    with projector.connect() as conn:
        conn.execute(f"SET search_path TO {projector.schema}")
        return conn.execute("SELECT * FROM audit_trail ORDER BY notification_id").fetchall()


def _csv(projector: Projector, **filters) -> list[list[str]]:
    with projector.connect() as conn:
        conn.execute(f"SET search_path TO {projector.schema}")
        data = b"".join(audit_trail.export_csv(conn, **filters)).decode()
    return list(csv.reader(io.StringIO(data)))


def test_audit_trail_keeps_role_and_unit_at_the_time_after_a_transfer_dieu_22(
        world, clock, projector: Projector) -> None:
    report_id = world.submit()
    clock.advance(hours=1)
    world.app.handle(Accept(report_id), world.receiver)
    world.app.handle(TransferOfficer(UUID(world.receiver.id), world.other_district, "unit_head"),
                     ADMIN)
    projector.catch_up()
    with projector.connect() as conn:
        conn.execute(f"SET search_path TO {projector.schema}")
        submitted, accepted = audit_trail.rows(conn, report_id=report_id)
        transfer = audit_trail.rows(conn)[-1]
    assert (submitted["event_type"], submitted["actor_role"]) == ("Submitted", "citizen")
    assert submitted["actor_id"] == str(world.reporter_id)
    assert submitted["unit_id"] == world.district and submitted["opened_stage"] == "reception"
    assert accepted["event_type"] == "Accepted" and accepted["report_id"] == report_id
    assert (accepted["actor_id"], accepted["actor_role"], accepted["actor_unit_id"]) == (
        world.receiver.id, "receiving_officer", world.district)
    assert accepted["closed_stage"] == "reception" and accepted["closed_on_time"] is True
    assert accepted["closed_due"] == submitted["opened_due"]
    assert accepted["opened_stage"] == "assignment" and accepted["opened_due"] is not None
    assert (transfer["aggregate_type"], transfer["event_type"]) == ("Officer", "Transferred")
    assert transfer["details"] == {"unit_id": str(world.other_district), "role": "unit_head"}
    # The receiver now heads another district: his past act still shows him as he stood then.
    assert world.app.officer_actor(UUID(world.receiver.id)).unit_id == world.other_district


def test_late_rejection_is_recorded_as_late_with_its_reason_dieu_7_2_d(
        world, clock, projector: Projector) -> None:
    report_id = world.submit()
    clock.set(2026, 3, 4, 10, 0)  # Wednesday: the 8 working hours ended Tuesday 09:00
    world.app.handle(Reject(report_id, "a", "Thiếu ảnh hiện trường"), world.receiver)
    projector.catch_up()
    with projector.connect() as conn:
        conn.execute(f"SET search_path TO {projector.schema}")
        rejected = audit_trail.rows(conn, report_id=report_id)[-1]
    assert rejected["event_type"] == "Rejected" and rejected["closed_on_time"] is False
    assert rejected["details"] == {"reason": "a", "note": "Thiếu ảnh hiện trường"}
    assert rejected["closed_due"] < rejected["at"]


def test_csv_export_is_in_event_order_with_a_header_and_no_identity_dieu_22_5_7(
        world, clock, projector: Projector) -> None:
    first = world.submit(confidential=True)
    world.to_published(first)
    clock.set(2026, 3, 10, 9, 0)
    second = world.submit()
    world.app.handle(Reject(second, "e", "Nội dung quảng cáo"), world.receiver)
    projector.catch_up()
    table = _csv(projector)
    header, rows = table[0], table[1:]
    assert header == [*audit_trail.COLUMNS, *audit_trail.CHAIN_COLUMNS]
    ids = [int(r[0]) for r in rows]
    assert ids == sorted(ids) and len(ids) == len(set(ids)) == len(_snapshot(projector))
    text = "\n".join(",".join(r) for r in table)
    for personal in ("Phạm Thị Dung", "0912345678", "dung@example.vn", "001099012345"):
        assert personal not in text
    registered = next(r for r in rows if r[header.index("event_type")] == "Registered")
    assert registered[header.index("details")] == "{}"
    # Filters: one report; a period (business instants, Asia/Ho_Chi_Minh).
    only_second = _csv(projector, report_id=second)[1:]
    assert [r[header.index("event_type")] for r in only_second] == ["Submitted", "Rejected"]
    march_tenth = _csv(projector, since=clock.set(2026, 3, 10, 0, 0))[1:]
    assert {r[header.index("report_id")] for r in march_tenth} == {str(second)}
    assert march_tenth[0][header.index("at")] == "2026-03-10T09:00:00+07:00"


def test_rebuild_equals_incremental_audit_trail(world, clock, projector: Projector) -> None:
    world.to_published(world.submit())
    clock.advance(hours=30)
    world.app.handle(Escalate(world.submit(), world.city, "Vượt thẩm quyền của quận"),
                     world.receiver)
    world.app.handle(RenameUnit(world.ward, "UBND phường Hoàn Kiếm"), ADMIN)
    projector.batch_size = 3
    projector.catch_up()
    before = _snapshot(projector)
    projector.rebuild(["audit_trail"])
    assert _snapshot(projector) == before and len(before) > 20


def test_passed_deadline_is_audited_on_the_unit_holding_the_stage_dieu_7_2_d_22(
        world, clock, projector: Projector) -> None:
    report_id = world.submit()
    clock.set(2026, 3, 4, 10, 0)  # the 8 working hours of reception ended Tuesday 09:00
    assert world.app.record_deadlines_passed(report_id) == 1
    projector.catch_up()
    with projector.connect() as conn:
        conn.execute(f"SET search_path TO {projector.schema}")
        submitted, passed = audit_trail.rows(conn, report_id=report_id)
        of_unit = audit_trail.rows(conn, unit_id=world.district)
    assert passed["event_type"] == "StageDeadlinePassed" and passed["actor_role"] == "system"
    assert passed["at"] == submitted["opened_due"] and passed["unit_id"] == world.district
    assert passed["details"]["stage"] == "reception"
    recorded = {k: datetime.fromisoformat(passed["details"][k]) for k in ("due", "recorded_at")}
    assert recorded == {"due": submitted["opened_due"], "recorded_at": clock.now}
    assert passed in of_unit
