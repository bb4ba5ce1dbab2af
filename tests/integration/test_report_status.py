"""report_status shows each lifecycle step of a report (Điều 7, 8, 12, 13)."""

from application.commands import ApproveResult, ProposeResult, Publish, UpdateResult
from projections import report_status
from projections.engine import Projector


def test_report_status_follows_the_lifecycle_dieu_7_8_12(world, projector: Projector) -> None:
    report_id = world.submit()
    projector.catch_up()
    with projector.connect() as conn:
        conn.execute(f"SET search_path TO {projector.schema}")
        row = report_status.get(conn, report_id)
        assert row["status"] == "received" and row["stage"] == "reception"
        assert row["stage_unit_id"] == world.district
        world.to_handling(report_id)
        projector.catch_up()
        row = report_status.get(conn, report_id)
        assert (row["status"], row["stage"], row["urgency"]) == ("in_handling", "handling", "normal")
        assert row["officer_id"] == world.officer.id and row["department_id"] == world.division
        world.app.handle(ProposeResult(report_id, "Đã vá xong ổ gà", ["anh.jpg"]), world.officer)
        world.app.handle(ApproveResult(report_id), world.head)
        world.app.handle(UpdateResult(report_id, ["anh.jpg"]), world.officer)
        world.app.handle(Publish(report_id), world.head)
        projector.catch_up()
        row = report_status.get(conn, report_id)
        assert row["status"] == "published" and row["stage"] is None
        assert row["result_evidence"] == ["anh.jpg"]


def test_rebuild_equals_incremental_report_status(world, projector: Projector) -> None:
    for _ in range(3):
        world.to_published(world.submit())
    world.submit()
    projector.catch_up()
    query = "SELECT * FROM report_status ORDER BY report_id"
    with projector.connect() as conn:
        conn.execute(f"SET search_path TO {projector.schema}")
        before = conn.execute(query).fetchall()
    projector.rebuild(["report_status"])
    with projector.connect() as conn:
        conn.execute(f"SET search_path TO {projector.schema}")
        after = conn.execute(query).fetchall()
    assert before == after and len(after) == 4
