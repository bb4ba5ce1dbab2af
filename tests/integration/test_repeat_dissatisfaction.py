"""Repeat dissatisfaction (Điều 18.4; issue 10 item 5): a matter left unresolved, its reporter
coming back and rating "unsatisfied" 5 times or more over its whole history (the first
report's rating included), flags its handling unit in the month it reaches 5, and keeps it
listed while the matter is unresolved; every figure is explained by its events."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from application.commands import LinkToMatter, Rate
from application.services import IHanoi
from domain.calendar import BUSINESS_TZ
from domain.report import Report
from projections import repeat_dissatisfaction as repeat
from projections.engine import Projector
from projections.unit_monthly_lateness import month_of
from tests.budget import examples

MARCH, APRIL, MAY, JUNE, JULY = (date(2026, m, 1) for m in (3, 4, 5, 6, 7))


def _flagged(conn: Any, month: date, **options: Any) -> dict[UUID, list[UUID]]:
    """Per unit flagged in ``month``, its matters listed."""
    return {r["unit_id"]: [m["matter_id"] for m in r["matters"]]
            for r in repeat.tally(conn, month, **options)}


def _rated(world, rating: str, re_report_of: UUID | None = None) -> UUID:
    """A report (a re-report of ``re_report_of`` if given) published and rated ``rating``."""
    report_id = world.submit(re_report_of=re_report_of) if re_report_of else world.submit()
    world.to_published(report_id)
    world.app.handle(Rate(report_id, rating, "Vẫn như cũ"), world.citizen)
    return report_id


def _matter(world, clock, ratings: list[str]) -> list[UUID]:
    """A matter: its first report then re-reports of the latest, rated ``ratings`` in turn."""
    reports = [_rated(world, ratings[0])]
    for rating in ratings[1:]:
        clock.advance(hours=3)
        reports.append(_rated(world, rating, re_report_of=reports[-1]))
    return reports


def _recompute(app: IHanoi, notification_ids: list[int], matter_id: UUID) -> int:
    """The unsatisfied ratings of a matter again, from the explaining events alone: the
    reports the events put in the matter (its first report's submission, the re-reports'
    submissions and links), and their "unsatisfied" ratings."""
    events = [app.mapper.to_domain_event(app.recorder.select_notifications(
        start=n, limit=1)[0]) for n in notification_ids]
    members = {e.originator_id for e in events
               if isinstance(e, Report.Submitted) and (e.matter_id or e.originator_id)
               == matter_id or isinstance(e, Report.LinkedToMatter) and e.matter_id == matter_id}
    return sum(1 for e in events if isinstance(e, Report.Rated) and e.rating == "unsatisfied"
               and e.originator_id in members)


def test_five_unsatisfied_ratings_of_one_matter_first_included_flag_the_unit_dieu_18_4(
        world, clock, projector: Projector, conn) -> None:
    """"5 lần trở lên": the first report's "unsatisfied" counts with its re-reports'; 4 do
    not flag, the 5th does; "acceptable" or "satisfied" ratings never count."""
    reports = _matter(world, clock, ["unsatisfied", "unsatisfied", "acceptable", "unsatisfied",
                                     "unsatisfied"])
    matter = reports[0]
    projector.catch_up()
    assert _flagged(conn, MARCH) == {}
    assert _flagged(conn, MARCH, threshold=4) == {world.district: [matter]}  # policy decides

    clock.advance(hours=3)
    fifth = _rated(world, "unsatisfied", re_report_of=reports[-1])
    projector.catch_up()
    (row,) = repeat.tally(conn, MARCH)
    assert row["unit_id"] == world.district and row["flagged"]
    (listed,) = row["matters"]
    assert (listed["matter_id"], listed["unsatisfied_ratings"], listed["latest_rating"],
            listed["unresolved"]) == (matter, 5, "unsatisfied", True)
    explained = repeat.explain(conn, world.district, MARCH)
    assert explained["value"] == 1
    assert explained["report_ids"] == sorted([*reports[:2], *reports[3:], fifth], key=str)
    (history,) = explained["matters"]
    assert [r["rating"] for r in history["ratings"]] == [
        "unsatisfied", "unsatisfied", "acceptable", "unsatisfied", "unsatisfied", "unsatisfied"]
    assert [r["report_id"] for r in history["ratings"]] == [*reports, fifth]
    assert _recompute(world.app, explained["notification_ids"], matter) == 5


def test_unsatisfied_ratings_of_unrelated_matters_do_not_add_up_dieu_18_4(
        world, clock, projector: Projector, conn) -> None:
    """Five matters, each re-reported once and rated "unsatisfied" twice: no matter has 5,
    so the unit is not flagged (the old per-unit-per-month count flagged it)."""
    for _ in range(5):
        _matter(world, clock, ["unsatisfied", "unsatisfied"])
    projector.catch_up()
    assert _flagged(conn, MARCH) == {}
    assert repeat.explain(conn, world.district, MARCH)["value"] == 0


def test_the_unit_stays_listed_while_the_matter_is_unresolved_dieu_18_4(
        world, clock, projector: Projector, conn) -> None:
    """Reached in March, listed in April though nothing happened (unresolved); resolved by an
    "acceptable" rating in May (listed in May, unresolved when it began), not in June;
    re-opened by an "unsatisfied" rating in July, listed again."""
    reports = _matter(world, clock, ["unsatisfied"] * 5)
    matter = reports[0]
    projector.catch_up()
    assert _flagged(conn, MARCH) == {world.district: [matter]}
    assert _flagged(conn, APRIL) == {world.district: [matter]}

    clock.set(2026, 5, 12, 9, 0)
    settled = _rated(world, "acceptable", re_report_of=reports[-1])
    projector.catch_up()
    (row,) = repeat.tally(conn, MAY)
    assert [(m["matter_id"], m["unresolved"], m["latest_rating"]) for m in row["matters"]] == [
        (matter, False, "acceptable")]
    assert _flagged(conn, JUNE) == {}

    clock.set(2026, 7, 7, 9, 0)
    _rated(world, "unsatisfied", re_report_of=settled)
    projector.catch_up()
    assert _flagged(conn, JUNE) == {}
    (row,) = repeat.tally(conn, JULY)
    assert [(m["matter_id"], m["unsatisfied_ratings"], m["unresolved"])
            for m in row["matters"]] == [(matter, 6, True)]


def test_linked_report_joins_its_matter_count_in_hanoi_time_dieu_18_4(
        world, clock, projector: Projector, conn) -> None:
    """A report linked to a matter after its rating brings that rating to the matter; the
    month is that of the rating in Asia/Ho_Chi_Minh (00:30 on 1 April there is still 31 March
    in UTC)."""
    reports = _matter(world, clock, ["unsatisfied"] * 4)
    clock.set(2026, 3, 31, 9, 0)
    second = world.submit(text="Ổ gà Hàng Bài lại sụt lún, xe máy ngã liên tục")
    world.to_published(second)
    clock.set(2026, 4, 1, 0, 30)
    world.app.handle(Rate(second, "unsatisfied"), world.citizen)
    projector.catch_up()
    assert _flagged(conn, APRIL) == {}  # not in the matter (yet)
    clock.set(2026, 4, 2, 9, 0)
    world.app.handle(LinkToMatter(second, reports[0]), world.head)
    projector.catch_up()
    assert _flagged(conn, MARCH) == {}
    assert _flagged(conn, APRIL) == {world.district: [reports[0]]}
    explained = repeat.explain(conn, world.district, APRIL)
    assert second in explained["report_ids"]
    assert _recompute(world.app, explained["notification_ids"], reports[0]) == 5


def test_rebuild_equals_incremental_repeat_dissatisfaction(
        world, clock, projector: Projector, conn) -> None:
    reports = _matter(world, clock, ["unsatisfied", "acceptable", "unsatisfied",
                                     "unsatisfied", "unsatisfied", "unsatisfied"])
    world.submit()
    projector.batch_size = 2
    projector.catch_up()
    query = "SELECT * FROM repeat_dissatisfaction ORDER BY report_id"
    before = conn.execute(query).fetchall()
    projector.rebuild(["repeat_dissatisfaction"])
    assert conn.execute(query).fetchall() == before and len(before) == 7
    assert _flagged(conn, MARCH) == {world.district: [reports[0]]}


RATINGS = ("satisfied", "acceptable", "unsatisfied")


def _oracle(rows: list[dict[str, Any]], month: date, threshold: int
            ) -> list[tuple[UUID, UUID, int, str, bool]]:
    """Điều 18.4 as README words it, in Python: (unit, matter, unsatisfied ratings, latest
    rating, unresolved) of each matter listed in ``month``."""
    listed = []
    for matter in {r["matter_id"] for r in rows}:
        history = sorted((r for r in rows if r["matter_id"] == matter and r["month"] <= month),
                         key=lambda r: (r["rated_at"], r["rated_nid"]))
        unsatisfied = [r for r in history if r["rating"] == "unsatisfied"]
        before = [r for r in history if r["month"] < month]
        if len(unsatisfied) >= threshold and (
                any(r["month"] == month for r in unsatisfied)
                or before and before[-1]["rating"] == "unsatisfied"):
            listed.append((unsatisfied[-1]["handling_unit_id"], matter, len(unsatisfied),
                           history[-1]["rating"], history[-1]["rating"] == "unsatisfied"))
    return sorted(listed, key=str)


@settings(max_examples=examples(40), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ratings=st.lists(st.tuples(st.integers(0, 2), st.integers(0, 1), st.sampled_from(RATINGS),
                                  st.integers(0, 24 * 120)), max_size=40),
       threshold=st.integers(1, 5))
def test_listing_follows_the_rule_for_any_history_of_ratings_dieu_18_4(
        conn, ratings: list[tuple[int, int, str, int]], threshold: int) -> None:
    """For any ratings of three matters by two units over four months, the matters listed
    each month are those the rule names (:func:`_oracle`)."""
    matters, units = [uuid4() for _ in range(3)], [uuid4() for _ in range(2)]
    start = datetime(2026, 3, 1, tzinfo=BUSINESS_TZ)
    rows = [{"report_id": uuid4(), "matter_id": matters[m], "handling_unit_id": units[u],
             "rating": rating, "rated_at": start + timedelta(hours=hours),
             "month": month_of(start + timedelta(hours=hours)), "rated_nid": nid}
            for nid, (m, u, rating, hours) in enumerate(ratings, start=1)]
    conn.execute("DELETE FROM repeat_dissatisfaction")
    for r in rows:
        conn.execute("INSERT INTO repeat_dissatisfaction (report_id, matter_id, handling_unit_id,"
                     " rating, rated_at, month, rated_nid) VALUES (%(report_id)s, %(matter_id)s,"
                     " %(handling_unit_id)s, %(rating)s, %(rated_at)s, %(month)s,"
                     " %(rated_nid)s)", r)
    for month in (MARCH, APRIL, MAY, JUNE, JULY):
        got = sorted(((r["unit_id"], r["matter_id"], r["unsatisfied_ratings"],
                       r["latest_rating"], r["unresolved"])
                      for r in repeat.listed(conn, month, threshold)), key=str)
        assert got == _oracle(rows, month, threshold), month
