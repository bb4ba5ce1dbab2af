"""Duplicates (Điều 6.2.c; issue 7): a report marked as a duplicate of another open report closes
with a pointer and leaves every queue; unmarked by the unit head, it is back with the stages
and due instants it had — recorded, not recomputed — and the lateness facts count each stage
occurrence once. Nearby candidates: open reports of the same category, of other reporters,
within a distance and a period."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

import psycopg
import pytest
from psycopg import sql

from application.commands import (
    MarkDuplicate,
    ProposeResult,
    RegisterReporter,
    Reject,
    RequestCoordination,
    StartVerification,
    UnmarkDuplicate,
)
from domain.calendar import BUSINESS_TZ
from projections import (
    audit_trail,
    citizen_reports,
    duplicate_candidates,
    monthly_statistics,
    overdue,
    report_status,
    unit_monthly_lateness,
    work_queues,
)
from projections.engine import Projector

MARCH = date(2026, 3, 1)
HANG_BAI = (21.0245, 105.8532)
DUPLICATE_TABLES = ("report_status", "citizen_reports", "work_queues", "work_queue_reports",
                    "overdue", "unit_lateness_stages", "monthly_statistics", "audit_trail",
                    "duplicate_candidates", "duplicate_candidates_parked")




@pytest.fixture
def neighbour(world) -> UUID:
    """Another reporter, who sees the same problem."""
    return world.app.handle(RegisterReporter(
        "Ngô Thị Mai", phone="0987654321", email="mai@example.vn", national_id="001099054321")).aggregate_id


def _dump(conn: psycopg.Connection[Any], *tables: str) -> dict[str, list[str]]:
    return {t: [r for (r,) in conn.execute(sql.SQL("SELECT x::text FROM {} x ORDER BY 1").format(
        sql.Identifier(t)))] for t in tables}


def _stage_facts(conn: psycopg.Connection[Any], report_id: UUID) -> list[tuple[Any, ...]]:
    return conn.execute(
        "SELECT opened_nid, stage, started_at, due, ended_at, on_time, closed_nid"
        " FROM unit_lateness_stages WHERE report_id = %s ORDER BY opened_nid",
        (report_id,)).fetchall()


def _queue_items(conn: psycopg.Connection[Any], unit: UUID, report_id: UUID
                 ) -> list[tuple[str, datetime, datetime | None]]:
    return [(r["item"], r["since"], r["due"]) for r in work_queues.queue(conn, unit)
            if r["report_id"] == report_id]


def test_duplicate_leaves_the_queues_and_comes_back_with_its_original_due_dieu_6_2_c(
        world, clock, projector: Projector, conn, neighbour: UUID) -> None:
    original = world.submit()
    duplicate = world.submit(reporter_id=neighbour)
    world.to_handling(original)
    world.to_handling(duplicate)
    projector.catch_up()
    handling = report_status.get(conn, duplicate)
    assigned_at, due = handling["assigned_at"], handling["stage_due"]
    assert _queue_items(conn, world.division, duplicate) == [("handling", assigned_at, due)]
    facts_before = _stage_facts(conn, duplicate)

    clock.advance(hours=2)
    world.app.handle(MarkDuplicate(duplicate, original), world.head)
    projector.catch_up()
    row = report_status.get(conn, duplicate)
    assert (row["status"], row["duplicate_of"], row["stage"], row["stage_due"]) == (
        "duplicate", original, None, None)
    mine = citizen_reports.of_reporter(conn, neighbour)[0][0]
    assert (mine["status"], mine["duplicate_of"], mine["stage"]) == ("duplicate", original, None)
    assert _queue_items(conn, world.division, duplicate) == []
    far_future = datetime(2026, 6, 1, 9, 0, tzinfo=BUSINESS_TZ)
    assert duplicate not in {r["report_id"] for r in overdue.overdue(
        conn, far_future, world.app.policy().calendar)}
    handling_fact = _stage_facts(conn, duplicate)[-1]
    assert (handling_fact[1], handling_fact[4], handling_fact[5]) == ("handling", clock.now, True)

    # Unmarked two weeks later, past the handling stage's due instant.
    clock.set(2026, 3, 16, 10, 0)
    world.app.handle(UnmarkDuplicate(duplicate, "Hai vị trí khác nhau trên phố"), world.head)
    projector.catch_up()
    row = report_status.get(conn, duplicate)
    assert (row["status"], row["duplicate_of"], row["stage"], row["stage_due"]) == (
        "in_handling", None, "handling", due)
    mine = citizen_reports.of_reporter(conn, neighbour)[0][0]
    assert (mine["status"], mine["stage"], mine["stage_due"]) == ("in_handling", "handling", due)
    assert _queue_items(conn, world.division, duplicate) == [("handling", assigned_at, due)]
    late = [r for r in overdue.overdue(conn, clock.now, world.app.policy().calendar)
            if r["report_id"] == duplicate]
    assert [(r["stage"], r["started_at"], r["due"]) for r in late] == [
        ("handling", assigned_at, due)]
    assert late[0]["late"] > timedelta(0)
    # The same stage occurrence, open again: one fact, not two; late at query time.
    assert _stage_facts(conn, duplicate) == facts_before
    ranking = {r["unit_id"]: r for r in unit_monthly_lateness.ranking(conn, MARCH, clock.now)}
    assert (ranking[world.district]["received"],
            ranking[world.district]["late_in_handling"]) == (2, 2)

    clock.advance(hours=1)
    world.app.handle(ProposeResult(duplicate, "Đã vá ổ gà thứ hai", ["anh.jpg"]), world.officer)
    projector.catch_up()
    handling_fact = _stage_facts(conn, duplicate)[-2]
    assert (handling_fact[1], handling_fact[3], handling_fact[5]) == ("handling", due, False)
    assert handling_fact[0] == facts_before[-1][0]


def test_unmarking_a_received_report_reopens_reception_and_verification_dieu_6_2_c(
        world, clock, projector: Projector, conn, neighbour: UUID) -> None:
    original = world.submit()
    duplicate = world.submit(reporter_id=neighbour)
    world.app.handle(StartVerification(duplicate), world.receiver)
    projector.catch_up()
    before = report_status.get(conn, duplicate)
    queue_before = _queue_items(conn, world.district, duplicate)
    assert sorted(item for item, _, _ in queue_before) == ["reception", "verification"]
    clock.advance(hours=1)
    world.app.handle(MarkDuplicate(duplicate, original), world.receiver)
    projector.catch_up()
    assert _queue_items(conn, world.district, duplicate) == []
    assert report_status.get(conn, duplicate)["verification_due"] is None
    assert monthly_statistics.explain(conn, world.district, MARCH, "marked_duplicate")[
        "report_ids"] == [duplicate]

    clock.advance(hours=1)
    world.app.handle(UnmarkDuplicate(duplicate, "Nội dung khác phản ánh trước"), world.head)
    projector.catch_up()
    after = report_status.get(conn, duplicate)
    assert (after["status"], after["stage"], after["stage_due"], after["verification_due"]) == (
        "received", "reception", before["stage_due"], before["verification_due"])
    assert sorted(_queue_items(conn, world.district, duplicate)) == sorted(queue_before)
    assert monthly_statistics.explain(conn, world.district, MARCH, "marked_duplicate")[
        "value"] == 0
    trail = audit_trail.rows(conn, report_id=duplicate)
    marked, unmarked = (next(r for r in trail if r["event_type"] == kind)
                        for kind in ("MarkedDuplicate", "DuplicateUnmarked"))
    assert marked["details"]["original_id"] == str(original)
    assert {s["stage"] for s in marked["details"]["closed"]} == {"reception", "verification"}
    assert marked["closed_stage"] == "reception" and marked["closed_on_time"] is True
    assert (unmarked["opened_stage"], unmarked["opened_due"]) == ("reception",
                                                                   before["stage_due"])
    assert unmarked["details"]["reason"] == "Nội dung khác phản ánh trước"
    assert unmarked["actor_role"] == "unit_head" and unmarked["actor_unit_id"] == world.district


def test_coordination_requests_of_a_duplicate_wait_out_of_the_queue_dieu_6_2_c_8_2(
        world, projector: Projector, conn, neighbour: UUID) -> None:
    original = world.submit()
    duplicate = world.submit(reporter_id=neighbour)
    world.to_handling(duplicate, urgency="complex")
    world.app.handle(RequestCoordination(duplicate, [world.other_district]), world.head)
    world.app.handle(MarkDuplicate(duplicate, original), world.head)
    projector.catch_up()
    assert _queue_items(conn, world.other_district, duplicate) == []
    world.app.handle(UnmarkDuplicate(duplicate, "Cần phối hợp xử lý riêng"), world.head)
    projector.catch_up()
    assert [item for item, _, _ in _queue_items(conn, world.other_district, duplicate)] == [
        "coordination"]


def test_duplicate_reporter_follows_the_original_result_dieu_6_2_c(
        world, projector: Projector, conn, neighbour: UUID) -> None:
    original = world.submit()
    duplicate = world.submit(reporter_id=neighbour)
    world.app.handle(MarkDuplicate(duplicate, original), world.receiver)
    projector.catch_up()
    mine = citizen_reports.of_reporter(conn, neighbour)[0][0]
    assert (mine["original_result_text"], mine["original_published_at"]) == (None, None)
    world.to_published(original)
    projector.catch_up()
    mine = citizen_reports.of_reporter(conn, neighbour)[0][0]
    published = citizen_reports.of_reporter(conn, world.reporter_id)[0][0]
    assert mine["status"] == "duplicate"
    assert (mine["original_result_text"], mine["original_published_at"]) == (
        "Đã vá xong ổ gà, mặt đường an toàn", published["published_at"])
    # Marked after the original was published: its result is there at once.
    late_duplicate = world.submit(reporter_id=neighbour)
    world.app.handle(MarkDuplicate(late_duplicate, original), world.receiver)
    projector.catch_up()
    rows = {r["report_id"]: r for r in citizen_reports.of_reporter(conn, neighbour)[0]}
    assert rows[late_duplicate]["original_result_text"] == "Đã vá xong ổ gà, mặt đường an toàn"


def test_rebuild_equals_incremental_after_marking_and_unmarking_dieu_6_2_c(
        world, clock, projector: Projector, conn, neighbour: UUID) -> None:
    original = world.submit()
    kept = world.submit(reporter_id=neighbour)
    restored = world.submit(reporter_id=neighbour)
    world.to_handling(restored)
    world.app.handle(MarkDuplicate(kept, original), world.receiver)
    clock.advance(hours=3)
    world.app.handle(MarkDuplicate(restored, original), world.head)
    clock.advance(hours=30)
    world.app.handle(UnmarkDuplicate(restored, "Không trùng"), world.head)
    world.to_published(original)
    projector.batch_size = 4
    projector.catch_up()
    before = _dump(conn, *DUPLICATE_TABLES)
    projector.rebuild()
    assert _dump(conn, *DUPLICATE_TABLES) == before


# --------------------------------------------------------------------------- candidates


def _metres_to_degrees(north: float = 0.0, east: float = 0.0) -> tuple[float, float]:
    """The point ``north`` and ``east`` metres from Hàng Bài (on the mean sphere)."""
    radians = 1 / duplicate_candidates.EARTH_RADIUS_M
    return (HANG_BAI[0] + math.degrees(north * radians),
            HANG_BAI[1] + math.degrees(east * radians) / math.cos(math.radians(HANG_BAI[0])))


def _candidates(conn: psycopg.Connection[Any], report_id: UUID, **options: Any
                ) -> dict[UUID, float]:
    return {r["report_id"]: r["distance_m"]
            for r in duplicate_candidates.candidates(conn, report_id, **options)}


def test_nearby_open_reports_of_the_same_category_are_candidates_dieu_6_2_c(
        world, clock, projector: Projector, conn, neighbour: UUID) -> None:
    def at(north: float = 0.0, east: float = 0.0, **fields: Any) -> UUID:
        latitude, longitude = _metres_to_degrees(north, east)
        return world.submit(latitude=latitude, longitude=longitude, **fields)

    clock.set(2026, 1, 26, 9, 0)
    old = at(north=50, reporter_id=neighbour)  # 40 days before the new report
    clock.set(2026, 3, 7, 9, 0)
    north_100 = at(north=100, reporter_id=neighbour)
    east_190 = at(east=190, reporter_id=neighbour)
    east_210 = at(east=210, reporter_id=neighbour)
    north_300 = at(north=300, reporter_id=neighbour)
    other_category = at(north=20, reporter_id=neighbour, category="environment")
    published = at(north=30, reporter_id=neighbour)
    world.to_published(published)
    rejected = at(north=40, reporter_id=neighbour)
    world.app.handle(Reject(rejected, "a", "Thiếu ảnh hiện trường"), world.receiver)
    initiative = at(reporter_id=neighbour, kind="capital_initiative",
                    receiving_unit_id=world.centre)  # Điều 9
    clock.advance(hours=1)
    same_reporter = at(north=10)
    new = at(north=0)
    projector.catch_up()

    found = _candidates(conn, new)
    assert set(found) == {north_100, east_190}
    assert found[north_100] == pytest.approx(100, abs=0.01)
    assert found[east_190] == pytest.approx(190, abs=0.05)
    assert list(found) == [north_100, east_190]  # nearest first
    wider = _candidates(conn, new, radius_m=400, days=60)
    assert set(wider) == {north_100, east_190, east_210, north_300, old}
    assert not {other_category, published, rejected, initiative, same_reporter, new} & set(wider)

    # A report marked as a duplicate is no candidate; unmarked, it is one again.
    world.app.handle(MarkDuplicate(north_100, new), world.receiver)
    projector.catch_up()
    assert set(_candidates(conn, new)) == {east_190}
    assert set(_candidates(conn, north_100)) == {new, same_reporter}  # parked, it still asks
    world.app.handle(UnmarkDuplicate(north_100, "Hai ổ gà khác nhau"), world.head)
    projector.catch_up()
    assert set(_candidates(conn, new)) == {north_100, east_190}
    assert duplicate_candidates.candidates(conn, published) == []


def test_a_report_with_an_address_but_no_coordinates_has_no_nearby_candidates_dieu_6_1_6_2_c(
        world, clock, projector: Projector, conn, neighbour: UUID) -> None:
    """Điều 6.1 (an address alone is a place): without coordinates a report is neither near
    another nor has another near it — the proximity query answers [] without error."""
    nearby = world.submit(reporter_id=neighbour)
    clock.advance(hours=1)
    addressed = world.submit(latitude=None, longitude=None, address="12 Hàng Bài, Hoàn Kiếm")
    located = world.submit(address="")
    projector.catch_up()
    assert _candidates(conn, addressed) == {}
    assert set(_candidates(conn, nearby)) == {located}
    assert addressed not in _candidates(conn, nearby)
    row = report_status.get(conn, addressed)
    assert (row["latitude"], row["longitude"], row["address"]) == (
        None, None, "12 Hàng Bài, Hoàn Kiếm")
    world.app.handle(MarkDuplicate(addressed, nearby), world.receiver)
    projector.catch_up()
    assert _candidates(conn, addressed) == {}
