"""Repeat dissatisfaction (Điều 18.4; issue 7): a unit whose unresolved matter brought reporters
back to report again and rate "unsatisfied" 5 or more times in a month is flagged; every figure
is explained by its events."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from application.commands import LinkToMatter, Rate
from application.services import IHanoi
from domain.calendar import BUSINESS_TZ
from domain.report import Report
from projections import repeat_dissatisfaction as repeat
from projections.engine import Projector

MARCH, APRIL = date(2026, 3, 1), date(2026, 4, 1)




def _tally(conn: Any, month: date, **options: Any) -> dict[UUID, tuple[int, bool]]:
    return {r["unit_id"]: (r["unsatisfied_re_reports"], r["flagged"])
            for r in repeat.tally(conn, month, **options)}


def _re_report(world, earlier: UUID, rating: str) -> UUID:
    """The reporter comes back about the same matter; the new result is rated ``rating``."""
    report_id = world.submit(re_report_of=earlier)
    world.to_published(report_id)
    world.app.handle(Rate(report_id, rating, "Vẫn như cũ"), world.citizen)
    return report_id


def _recompute(app: IHanoi, notification_ids: list[int], unit_id: UUID, month: date) -> int:
    """The figure again, from the explaining events alone: unsatisfied ratings in ``month`` of
    reports that the events show were re-reports accepted for handling by ``unit_id``."""
    events = [app.mapper.to_domain_event(app.recorder.select_notifications(
        start=n, limit=1)[0]) for n in notification_ids]
    re_reports = {e.originator_id for e in events
                  if isinstance(e, Report.Submitted) and e.re_report_of is not None
                  or isinstance(e, Report.LinkedToMatter)}
    handled = {e.originator_id for e in events
               if isinstance(e, Report.Accepted) and e.handling_unit_id == unit_id}
    return sum(1 for e in events if isinstance(e, Report.Rated) and e.rating == "unsatisfied"
               and e.at.astimezone(BUSINESS_TZ).date().replace(day=1) == month
               and e.originator_id in re_reports & handled)


def test_five_unsatisfied_re_reports_flag_the_unit_four_do_not_dieu_18_4(
        world, clock, projector: Projector, conn) -> None:
    first = world.submit()
    world.to_published(first)
    world.app.handle(Rate(first, "unsatisfied"),
                     world.citizen)  # the matter's first report: not counted
    latest = first
    for _ in range(4):
        clock.advance(hours=3)
        latest = _re_report(world, latest, "unsatisfied")
    _re_report(world, first, "satisfied")
    _re_report(world, latest, "acceptable")
    projector.catch_up()
    assert _tally(conn, MARCH) == {world.district: (4, False)}
    assert _tally(conn, MARCH, threshold=4) == {world.district: (4, True)}  # policy decides

    clock.advance(hours=3)
    fifth = _re_report(world, latest, "unsatisfied")
    projector.catch_up()
    assert _tally(conn, MARCH) == {world.district: (5, True)}
    assert _tally(conn, APRIL) == {}
    explained = repeat.explain(conn, world.district, MARCH)
    assert explained["value"] == 5 and fifth in explained["report_ids"]
    assert first not in explained["report_ids"]
    assert len(explained["notification_ids"]) == 15  # re-report, acceptance, rating of each
    assert _recompute(world.app, explained["notification_ids"], world.district, MARCH) == 5


def test_linked_report_counts_in_the_month_of_its_rating_in_hanoi_time_dieu_18_4(
        world, clock, projector: Projector, conn) -> None:
    first = world.submit()
    world.to_published(first)
    clock.set(2026, 3, 31, 9, 0)
    second = world.submit(text="Ổ gà Hàng Bài lại sụt lún, xe máy ngã liên tục")
    world.to_published(second)
    clock.set(2026, 4, 1, 0, 30)  # still 31 March in UTC
    world.app.handle(Rate(second, "unsatisfied"), world.citizen)
    projector.catch_up()
    assert _tally(conn, APRIL) == {}  # not a re-report (yet)
    clock.set(2026, 4, 2, 9, 0)
    world.app.handle(LinkToMatter(second, first), world.head)
    projector.catch_up()
    assert _tally(conn, APRIL) == {world.district: (1, False)}
    assert _tally(conn, MARCH) == {}
    explained = repeat.explain(conn, world.district, APRIL)
    assert explained["report_ids"] == [second]
    assert _recompute(world.app, explained["notification_ids"], world.district, APRIL) == 1


def test_rebuild_equals_incremental_repeat_dissatisfaction(
        world, clock, projector: Projector, conn) -> None:
    first = world.submit()
    world.to_published(first)
    latest = first
    for rating in ("unsatisfied", "acceptable", "unsatisfied"):
        clock.advance(hours=10)
        latest = _re_report(world, latest, rating)
    world.submit()
    projector.batch_size = 2
    projector.catch_up()
    query = "SELECT * FROM repeat_dissatisfaction ORDER BY report_id"
    before = conn.execute(query).fetchall()
    projector.rebuild(["repeat_dissatisfaction"])
    assert conn.execute(query).fetchall() == before and len(before) == 5
    assert _tally(conn, MARCH) == {world.district: (2, False)}
