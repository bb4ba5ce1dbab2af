"""public_results: what the public sees of a report, and never who sent it (Điều 5.7, 8.3, 12.3,
14.2)."""

from datetime import datetime
from typing import Any

import psycopg
import pytest

from application.commands import (
    Accept,
    ApproveResult,
    ProposeResult,
    Publish,
    Rate,
    Reject,
    RenameUnit,
    RespondToInitiative,
    ReturnResult,
    UpdateResult,
)
from domain.actors import Actor, Role
from domain.calendar import BUSINESS_TZ
from projections import public_results

ADMIN = Actor(id="admin", role=Role.ADMINISTRATOR)
TABLES = ("public_results", "public_results_pending", "public_results_units")




def _dump(conn: psycopg.Connection[Any], table: str) -> list[str]:
    """Every column of every row, as text."""
    return [row for (row,) in conn.execute(f"SELECT t::text FROM {table} t ORDER BY 1")]


def test_result_is_public_only_once_published_dieu_12_3(world, projector, conn, clock) -> None:
    report_id = world.submit()
    projector.catch_up()
    assert public_results.get(conn, report_id) is None
    world.to_handling(report_id)
    clock.advance(hours=2)
    world.app.handle(ProposeResult(report_id, "Đã vá xong ổ gà, mặt đường an toàn",
                                   ["bien-ban.pdf"]), world.officer)
    world.app.handle(ApproveResult(report_id), world.head)
    world.app.handle(UpdateResult(report_id, ["bien-ban.pdf", "anh-sau.jpg"]), world.officer)
    projector.catch_up()
    assert public_results.get(conn, report_id) is None
    assert public_results.search(conn) == ([], None)

    published_at = clock.advance(hours=1)
    world.app.handle(Publish(report_id), world.head)
    projector.catch_up()
    row = public_results.get(conn, report_id)
    assert row == {
        "report_id": report_id, "kind": "field", "category": "urban_order",
        "summary": "Ổ gà lớn giữa phố Hàng Bài, rất nguy hiểm", "area": "12 Hàng Bài, Hoàn Kiếm",
        "latitude": 21.0245, "longitude": 105.8532,
        "submitted_at": datetime(2026, 3, 2, 9, 0, tzinfo=BUSINESS_TZ),
        "published_at": published_at, "handling_unit_id": world.district,
        "handling_unit_name": "UBND quận Hoàn Kiếm",
        "result_text": "Đã vá xong ổ gà, mặt đường an toàn",
        "evidence": ["bien-ban.pdf", "anh-sau.jpg"], "rating": None,
        "rating_comment": None}
    assert _dump(conn, "public_results_pending") == []


def test_rating_and_its_comment_show_on_the_public_result_dieu_13(world, projector,
                                                                    conn) -> None:
    report_id = world.submit()
    world.to_published(report_id)
    world.app.handle(Rate(report_id, "unsatisfied", "Vẫn còn ổ gà nhỏ"), world.citizen)
    projector.catch_up()
    row = public_results.get(conn, report_id)
    assert (row["rating"], row["rating_comment"]) == ("unsatisfied", "Vẫn còn ổ gà nhỏ")


def test_the_approved_proposal_after_a_return_is_published_dieu_12_1(world, projector,
                                                                       conn) -> None:
    report_id = world.submit()
    world.to_handling(report_id)
    world.app.handle(ProposeResult(report_id, "Đã kiểm tra hiện trường", ["a.jpg"]), world.officer)
    world.app.handle(ReturnResult(report_id, "Chưa có biên bản"), world.head)
    world.app.handle(ProposeResult(report_id, "Đã vá ổ gà, có biên bản", ["bb.pdf"]), world.officer)
    world.app.handle(ApproveResult(report_id), world.head)
    world.app.handle(UpdateResult(report_id, ["bb.pdf"]), world.officer)
    world.app.handle(Publish(report_id), world.head)
    projector.catch_up()
    row = public_results.get(conn, report_id)
    assert (row["result_text"], row["evidence"]) == ("Đã vá ổ gà, có biên bản", ["bb.pdf"])


def test_rejected_report_is_never_public_dieu_7_2_a(world, projector, conn) -> None:
    report_id = world.submit()
    world.app.handle(Reject(report_id, "e", "Nội dung quảng cáo"), world.receiver)
    projector.catch_up()
    assert public_results.get(conn, report_id) is None
    assert _dump(conn, "public_results") == [] == _dump(conn, "public_results_pending")


def test_capital_initiative_answer_is_public_dieu_9(world, projector, conn) -> None:
    report_id = world.submit(kind="capital_initiative", category="smart_city", address="",
                             text="Đề xuất lắp đèn đường năng lượng mặt trời ở các ngõ nhỏ",
                             receiving_unit_id=world.centre)
    world.app.handle(Accept(report_id, world.district), world.centre_receiver)
    world.app.handle(RespondToInitiative(report_id, "Cảm ơn, quận sẽ thí điểm năm 2026",
                                         ["cong-van.pdf"]), world.head)
    projector.catch_up()
    row = public_results.get(conn, report_id)
    assert row["kind"] == "capital_initiative" and row["handling_unit_id"] == world.district
    assert row["result_text"] == "Cảm ơn, quận sẽ thí điểm năm 2026"
    assert row["evidence"] == ["cong-van.pdf"]


def test_confidential_reporter_identity_appears_in_no_public_row_dieu_5_7(world, projector,
                                                                          conn) -> None:
    confidential = world.submit(confidential=True)
    world.to_published(confidential)
    world.app.handle(Rate(confidential, "satisfied", "Cảm ơn"), world.citizen)
    world.to_published(world.submit())  # not confidential: no personal data either (Điều 14.1)
    still_pending = world.submit(confidential=True)
    world.app.handle(Accept(still_pending), world.receiver)
    projector.catch_up()
    identity = ("Phạm Thị Dung", "0912345678", "dung@example.vn", "001099012345",
                str(world.reporter_id))
    dumped = {table: _dump(conn, table) for table in TABLES}
    assert len(dumped["public_results"]) == 2 and len(dumped["public_results_pending"]) == 1
    for table, rows in dumped.items():
        for row in rows:
            assert not [secret for secret in identity if secret in row], (table, row)
    columns = {c for (c,) in conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema()"
        " AND table_name = ANY(%s)", (list(TABLES),))}
    assert not columns & {"reporter_id", "reporter", "phone", "email", "national_id"}


def test_renamed_handling_unit_shows_its_new_name_dieu_28_1(world, projector, conn) -> None:
    report_id = world.submit()
    world.to_published(report_id)
    world.app.handle(RenameUnit(world.district, "UBND phường Hoàn Kiếm"), ADMIN)
    projector.catch_up()
    assert public_results.get(conn, report_id)["handling_unit_name"] == "UBND phường Hoàn Kiếm"


def test_a_result_placed_by_its_address_alone_shows_no_coordinates_dieu_6_1_14_2(
        world, projector, conn) -> None:
    """Điều 6.1: a report placed by its address alone is published with empty coordinates."""
    report_id = world.submit(latitude=None, longitude=None, address="12 Hàng Bài, Hoàn Kiếm")
    world.to_published(report_id)
    projector.catch_up()
    row = public_results.get(conn, report_id)
    assert (row["latitude"], row["longitude"], row["area"]) == (
        None, None, "12 Hàng Bài, Hoàn Kiếm")
    assert report_id in {r["report_id"] for r in public_results.search(conn)[0]}


def test_search_filters_and_pages_newest_first_dieu_14_2(world, projector, conn, clock) -> None:
    published = {}
    for day, (kind, category) in enumerate([("field", "traffic"),
                                            ("waste_behaviour", "public_spending"),
                                            ("field", "traffic"), ("field", "environment"),
                                            ("field", "traffic")]):
        clock.set(2026, 3, 2 + day, 9, 0)
        report_id = world.submit(kind=kind, category=category)
        world.to_published(report_id)
        published[report_id] = clock.now
    projector.catch_up()
    newest_first = sorted(published, key=published.get, reverse=True)

    seen, cursor = [], None
    while True:
        page, cursor = public_results.search(conn, limit=2, cursor=cursor)
        assert len(page) <= 2
        seen += [row["report_id"] for row in page]
        if cursor is None:
            break
    assert seen == newest_first

    traffic, _ = public_results.search(conn, category="traffic")
    assert [r["report_id"] for r in traffic] == [r for r in newest_first if
                                                 published[r].day in (2, 4, 6)]
    waste, _ = public_results.search(conn, kind="waste_behaviour")
    assert [r["published_at"].day for r in waste] == [3]
    march_3_to_5, _ = public_results.search(
        conn, published_from=datetime(2026, 3, 3, tzinfo=BUSINESS_TZ),
        published_to=datetime(2026, 3, 5, tzinfo=BUSINESS_TZ))
    assert [r["published_at"].day for r in march_3_to_5] == [4, 3]
    assert len(public_results.search(conn, handling_unit_id=world.district)[0]) == 5
    assert public_results.search(conn, handling_unit_id=world.other_district) == ([], None)
    with pytest.raises(ValueError):
        public_results.search(conn, cursor="not-a-cursor")


def test_rebuild_equals_incremental_public_results(world, projector, conn) -> None:
    for confidential in (True, False, False):
        world.to_published(world.submit(confidential=confidential))
    rated = world.submit()
    world.to_published(rated)
    world.app.handle(Rate(rated, "acceptable"), world.citizen)
    world.app.handle(Reject(world.submit(), "c", "Trùng phản ánh đã gửi"), world.receiver)
    world.to_handling(world.submit())
    world.app.handle(RenameUnit(world.division, "Phòng Quản lý đô thị quận"), ADMIN)
    projector.catch_up()
    before = {table: _dump(conn, table) for table in TABLES}
    projector.rebuild(["public_results"])
    assert {table: _dump(conn, table) for table in TABLES} == before
    assert len(before["public_results"]) == 4 and len(before["public_results_pending"]) == 1
