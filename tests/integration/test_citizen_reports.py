"""citizen_reports: a reporter follows his own reports (Điều 7, 8, 12, 13)."""

from datetime import datetime
from typing import Any

import psycopg
import pytest

from application.commands import (
    Accept,
    AnswerClarification,
    ApproveResult,
    Assign,
    Classify,
    GrantExtension,
    ProposeResult,
    Publish,
    Rate,
    RegisterReporter,
    Reject,
    RequestClarification,
    UpdateResult,
)
from domain.calendar import BUSINESS_TZ
from projections import citizen_reports
from projections.engine import Projector


def _at(*args: int) -> datetime:
    return datetime(*args, tzinfo=BUSINESS_TZ)


def _mine(conn: psycopg.Connection[Any], projector: Projector, reporter_id: Any) -> dict:
    projector.catch_up()
    rows, _ = citizen_reports.of_reporter(conn, reporter_id)
    assert len(rows) == 1
    return rows[0]


def test_reporter_follows_each_step_of_his_report_dieu_7_8_12_13(world, projector, conn,
                                                                 clock) -> None:
    report_id = world.submit()
    row = _mine(conn, projector, world.reporter_id)
    assert (row["report_id"], row["kind"], row["category"]) == (report_id, "field", "urban_order")
    assert row["summary"] == "Ổ gà lớn giữa phố Hàng Bài, rất nguy hiểm"
    # Điều 7.2.d: 8 working hours from Monday 09:00 (7 that day) end on Tuesday 09:00.
    assert (row["status"], row["stage"], row["stage_due"]) == ("received", "reception",
                                                               _at(2026, 3, 3, 9, 0))
    assert row["submitted_at"] == row["updated_at"] == _at(2026, 3, 2, 9, 0)

    clock.advance(hours=1)  # Điều 8.5: assignment within 4 working hours, lunch excluded
    world.app.handle(Accept(report_id), world.receiver)
    row = _mine(conn, projector, world.reporter_id)
    assert (row["status"], row["stage"], row["stage_due"]) == ("accepted", "assignment",
                                                               _at(2026, 3, 2, 15, 0))
    assert row["updated_at"] == _at(2026, 3, 2, 10, 0)

    clock.advance(hours=1)  # normal handling: 7 working days from Monday 11:00
    world.app.handle(Classify(report_id, "normal"), world.head)
    world.app.handle(Assign(report_id, world.division, world.officer_id), world.head)
    row = _mine(conn, projector, world.reporter_id)
    assert (row["status"], row["stage"], row["stage_due"]) == ("in_handling", "handling",
                                                               _at(2026, 3, 11, 11, 0))

    clock.set(2026, 3, 3, 9, 0)
    world.app.handle(ProposeResult(report_id, "Đã vá xong ổ gà", ["bien-ban.pdf"]), world.officer)
    row = _mine(conn, projector, world.reporter_id)
    assert (row["status"], row["stage"], row["stage_due"]) == ("awaiting_approval",
                                                               "approval", None)
    assert row["result_text"] is None  # Điều 12.3: not his to see before publication

    world.app.handle(ApproveResult(report_id), world.head)
    row = _mine(conn, projector, world.reporter_id)
    assert (row["status"], row["stage"], row["stage_due"]) == ("approved", "result_update", None)
    clock.advance(hours=1)  # Điều 12.2–12.3: publication 1 working day from the update
    world.app.handle(UpdateResult(report_id, ["anh-sau.jpg"]), world.officer)
    row = _mine(conn, projector, world.reporter_id)
    assert (row["status"], row["stage"], row["stage_due"]) == ("result_updated", "publication",
                                                               _at(2026, 3, 4, 10, 0))
    assert row["result_text"] is None
    published_at = clock.advance(hours=1)
    world.app.handle(Publish(report_id), world.head)
    row = _mine(conn, projector, world.reporter_id)
    assert (row["status"], row["stage"], row["stage_due"]) == ("published", None, None)
    assert (row["result_text"], row["published_at"]) == ("Đã vá xong ổ gà", published_at)

    clock.advance(hours=1)  # Điều 13: answered within 2 working days
    world.app.handle(RequestClarification(report_id, "Khi nào kẻ lại vạch đường?"), world.citizen)
    row = _mine(conn, projector, world.reporter_id)
    assert (row["stage"], row["stage_due"]) == ("clarification", _at(2026, 3, 5, 12, 0))
    world.app.handle(AnswerClarification(report_id, "Tuần sau sẽ kẻ lại vạch"), world.head)
    row = _mine(conn, projector, world.reporter_id)
    assert (row["stage"], row["clarification_answer"]) == (None, "Tuần sau sẽ kẻ lại vạch")

    world.app.handle(Rate(report_id, "satisfied", "Cảm ơn"), world.citizen)
    assert _mine(conn, projector, world.reporter_id)["rating"] == "satisfied"


def test_reporter_sees_why_his_report_was_rejected_dieu_6_2_7_2_a(world, projector,
                                                                  conn) -> None:
    world.app.handle(Reject(world.submit(), "a", "Thiếu địa chỉ cụ thể"), world.receiver)
    row = _mine(conn, projector, world.reporter_id)
    assert (row["status"], row["stage"], row["stage_due"]) == ("rejected", None, None)
    assert (row["rejection_reason"], row["rejection_note"]) == ("a", "Thiếu địa chỉ cụ thể")


def test_extension_moves_the_due_the_reporter_sees_dieu_8_5(world, projector, conn) -> None:
    report_id = world.submit()
    world.to_handling(report_id, "complex")
    due = _mine(conn, projector, world.reporter_id)["stage_due"]
    assert due == _at(2026, 3, 23, 9, 0)  # 15 working days from Monday 2 March 09:00
    world.app.handle(GrantExtension(report_id, 5, "Chờ thẩm định hồ sơ cấp phép"), world.head)
    assert _mine(conn, projector, world.reporter_id)["stage_due"] == _at(2026, 3, 30, 9, 0)


def test_reporter_sees_only_his_own_reports_newest_first_by_pages(world, projector, conn,
                                                                  clock) -> None:
    other = world.app.handle(RegisterReporter(
        "Ngô Văn Bình", phone="0987654321", email="binh@example.vn",
        national_id="001099054321")).aggregate_id
    world.submit(reporter_id=other)
    mine = []
    for _ in range(5):
        clock.advance(minutes=30)
        mine.append(world.submit())
    clock.advance(minutes=30)
    world.submit(reporter_id=other)
    projector.catch_up()
    seen, cursor = [], None
    for _ in range(3):
        page, cursor = citizen_reports.of_reporter(conn, world.reporter_id, cursor, limit=2)
        seen += [row["report_id"] for row in page]
    assert seen == mine[::-1] and cursor is None
    assert len(citizen_reports.of_reporter(conn, other)[0]) == 2
    with pytest.raises(ValueError):
        citizen_reports.of_reporter(conn, other, limit=0)


def test_rebuild_equals_incremental_citizen_reports(world, projector, conn) -> None:
    published = world.submit()
    world.to_published(published)
    world.app.handle(RequestClarification(published, "Đã xử lý triệt để chưa?"), world.citizen)
    world.app.handle(Rate(published, "acceptable"), world.citizen)
    world.app.handle(Reject(world.submit(), "e", "Quảng cáo"), world.receiver)
    extended = world.submit()
    world.to_handling(extended, "complex")
    world.app.handle(GrantExtension(extended, 3, "Chờ ý kiến Sở Xây dựng"), world.head)
    world.submit()
    projector.catch_up()
    query = "SELECT t::text FROM citizen_reports t ORDER BY 1"
    before = conn.execute(query).fetchall()
    projector.rebuild(["citizen_reports"])
    assert conn.execute(query).fetchall() == before and len(before) == 4
