"""Matters (issue 7; Điều 12.3, 13, 18.4): a report submitted again after a result that did not
settle the problem, or linked by an officer to an earlier report, joins that report's matter;
the matter's timeline lists its reports oldest first with their results and ratings."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg
import pytest

from application.commands import (
    ApproveResult,
    LinkToMatter,
    MarkDuplicate,
    ProposeResult,
    Publish,
    Rate,
    UpdateResult,
)
from domain.errors import InvalidState
from projections import audit_trail, matters, report_status
from projections.engine import Projector


def _summary(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(r["report_id"], r["status"], r["result_text"], r["rating"]) for r in rows]


def test_matter_timeline_lists_its_reports_oldest_first_dieu_18_4(
        world, clock, projector: Projector, conn) -> None:
    first = world.submit()
    world.to_published(first)
    world.app.handle(Rate(first, "unsatisfied", "Ổ gà đã xuất hiện lại"), world.citizen)
    clock.advance(hours=2)
    unrelated = world.submit(text="Ổ gà khác trên phố Tràng Tiền, chưa ai xử lý")
    clock.advance(days=3)
    again = world.submit(re_report_of=first)  # the citizen: "still not fixed"
    world.to_handling(again)
    world.app.handle(ProposeResult(again, "Đã vá lại bằng bê tông nhựa", ["anh.jpg"]),
                     world.officer)
    clock.advance(hours=1)
    world.app.handle(LinkToMatter(unrelated, first),
                     world.receiver)  # an officer sees it is the same
    projector.catch_up()

    timeline = matters.timeline(conn, first)
    assert _summary(timeline) == [
        (first, "published", "Đã vá xong ổ gà, mặt đường an toàn", "unsatisfied"),
        (unrelated, "received", None, None),
        (again, "awaiting_approval", None, None),  # a proposal is not a result until published
    ]
    assert [r["re_report_of"] for r in timeline] == [None, first, first]
    assert {r["matter_id"] for r in timeline} == {first}
    assert matters.timeline_of_report(conn, again) == timeline == matters.timeline_of_report(
        conn, unrelated)
    assert [report_status.get(conn, r)["matter_id"] for r in (first, unrelated, again)] == [
        first] * 3

    world.app.handle(ApproveResult(again), world.head)
    world.app.handle(UpdateResult(again, ["anh-sau.jpg"]), world.officer)
    world.app.handle(Publish(again), world.head)
    world.app.handle(Rate(again, "satisfied"), world.citizen)
    projector.catch_up()
    assert _summary(matters.timeline(conn, first))[2] == (
        again, "published", "Đã vá lại bằng bê tông nhựa", "satisfied")
    linked = next(r for r in audit_trail.rows(conn, report_id=unrelated)
                  if r["event_type"] == "LinkedToMatter")
    assert linked["details"] == {"matter_id": str(first), "earlier_report_id": str(first)}
    assert (linked["actor_id"], linked["actor_unit_id"]) == (world.receiver.id, world.district)


def test_re_report_of_an_unsettled_report_is_refused_and_starts_nothing_dieu_18_4(
        world, projector: Projector, conn) -> None:
    open_report = world.submit()
    with pytest.raises(InvalidState):
        world.submit(re_report_of=open_report)
    projector.catch_up()
    assert _summary(matters.timeline_of_report(conn, open_report)) == [
        (open_report, "received", None, None)]
    assert matters.timeline_of_report(conn, UUID(int=0)) == []


def test_rebuild_equals_incremental_matters(world, clock, projector: Projector,
                                            conn: psycopg.Connection[Any]) -> None:
    first = world.submit()
    world.to_published(first)
    clock.advance(hours=5)
    second = world.submit(re_report_of=first)
    world.to_published(second)
    world.app.handle(Rate(second, "acceptable"), world.citizen)
    clock.advance(hours=5)
    third = world.submit(re_report_of=second)
    world.app.handle(MarkDuplicate(world.submit(), third), world.receiver)
    projector.batch_size = 3
    projector.catch_up()
    query = "SELECT * FROM matter_reports ORDER BY report_id"
    before = conn.execute(query).fetchall()
    projector.rebuild(["matters"])
    assert conn.execute(query).fetchall() == before and len(before) == 4
    assert [r["report_id"] for r in matters.timeline(conn, first)] == [first, second, third]
