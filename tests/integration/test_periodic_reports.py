"""Periodic reports (Điều 18.3.b, 25.4; seed 000 Điều 2.2.c, 2.4; issue 10 item 15):
monthly, quarterly, yearly and ad-hoc reports of reception and handling per unit, alerts sent
and capital initiatives received and answered, and the monthly figures per head of unit —
every figure explained by its events; incremental equals rebuild, and as of a past instant."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from application.commands import (
    Accept,
    AppointOfficer,
    ApproveAlert,
    ApproveResult,
    Assign,
    Classify,
    DraftAlert,
    ProposeResult,
    Publish,
    Rate,
    Reject,
    RespondToInitiative,
    SendAlert,
    TransferOfficer,
    UpdateResult,
)
from application.services import IHanoi
from domain.actors import Actor, Role
from domain.alert import Alert
from domain.calendar import BUSINESS_TZ
from domain.report import Report
from projections import periodic_reports as periodic
from projections.engine import Projector
from tests.integration.conftest import ADMIN


def _by_unit(report: dict[str, Any]) -> dict[UUID, dict[str, Any]]:
    return {row["unit_id"]: row for row in report["units"]}


def _events(app: IHanoi, notification_ids: list[int]) -> list[Any]:
    return [app.mapper.to_domain_event(app.recorder.select_notifications(
        start=n, limit=1)[0]) for n in notification_ids]


def _alert(world, clock) -> UUID:
    now = clock.now
    alert_id = world.app.handle(DraftAlert(
        category="warning", severity="high", title="Ngập úng", body="Mưa lớn, tránh Hàng Bài.",
        valid_from=now, valid_until=now + timedelta(days=1)), world.head).aggregate_id
    world.app.handle(ApproveAlert(alert_id), world.head)
    world.app.handle(SendAlert(alert_id), world.head)
    return alert_id


def _history(world, clock) -> dict[str, UUID]:
    """March: two reports resolved (one rated), one rejected, an alert; an initiative sent to
    the centre, distributed to the department and answered. April: one report received."""
    r: dict[str, UUID] = {}
    r["resolved"] = world.submit()
    world.to_published(r["resolved"])
    world.app.handle(Rate(r["resolved"], "satisfied"), world.citizen)
    clock.set(2026, 3, 10, 9, 0)
    r["second"] = world.submit()
    world.to_published(r["second"])
    r["rejected"] = world.submit()
    world.app.handle(Reject(r["rejected"], "a", "Thiếu thông tin"), world.receiver)
    r["alert"] = _alert(world, clock)
    clock.set(2026, 3, 16, 9, 0)
    r["initiative"] = world.submit(kind="capital_initiative", category="smart_city",
                                   receiving_unit_id=world.centre,
                                   text="Đề xuất lắp cảm biến ngập cho các tuyến phố")
    world.app.handle(Accept(r["initiative"], world.department), world.centre_receiver)
    world.app.handle(RespondToInitiative(r["initiative"], "Sở tiếp thu, sẽ triển khai thí điểm"),
                     world.department_head)
    clock.set(2026, 4, 6, 9, 0)
    r["april"] = world.submit()
    return r


def test_monthly_quarterly_yearly_and_ad_hoc_reports_dieu_18_3_b(
        world, clock, projector: Projector, conn) -> None:
    r = _history(world, clock)
    projector.catch_up()
    march = periodic.report(conn, "2026-03")
    assert (march["period"]["kind"], march["period"]["first_day"],
            march["period"]["last_day"]) == ("monthly", date(2026, 3, 1), date(2026, 3, 31))
    district = _by_unit(march)[world.district]
    assert {m: district[m] for m in ("received", "accepted", "rejected", "assigned",
                                     "published", "published_on_time", "rated_satisfied",
                                     "alerts_sent")} == {
        "received": 3, "accepted": 2, "rejected": 1, "assigned": 2, "published": 2,
        "published_on_time": 2, "rated_satisfied": 1, "alerts_sent": 1}
    department, centre = _by_unit(march)[world.department], _by_unit(march)[world.centre]
    assert (centre["initiatives_received"], centre["accepted"]) == (1, 1)
    assert (department["received"], department["initiatives_received"],
            department["initiatives_answered"], department["initiatives_answered_on_time"],
            department["published_on_time"]) == (1, 1, 1, 1, 1)
    # The initiative reached two units but is one report of the city.
    assert march["totals"]["received"] == 4 and march["totals"]["initiatives_received"] == 1

    quarter = _by_unit(periodic.report(conn, "2026-Q1"))[world.district]
    assert quarter == district  # nothing else in January–March
    assert _by_unit(periodic.report(conn, "2026-Q2"))[world.district]["received"] == 1
    assert _by_unit(periodic.report(conn, "2026"))[world.district]["received"] == 4
    ad_hoc = periodic.report(conn, "2026-03-09..2026-03-10")
    assert ad_hoc["period"]["kind"] == "ad_hoc"
    assert _by_unit(ad_hoc)[world.district]["received"] == 2  # the 10th's two, not the 2nd's
    assert periodic.report(conn, "2026-03", world.department)["units"] == [
        {"unit_id": world.department, **{m: department[m] for m in periodic.METRICS}}]
    for bad in ("2026-13", "2026-Q5", "26", "2026-03-10..2026-03-09"):
        with pytest.raises(ValueError):
            periodic.period(bad)

    # Each figure from its events alone.
    start, end = periodic.bounds(date(2026, 3, 1), date(2026, 3, 31))
    received = periodic.explain(conn, world.district, start, end, "received")
    assert received["subject_ids"] == sorted([r["resolved"], r["second"], r["rejected"]],
                                             key=lambda u: u.bytes)
    events = _events(world.app, received["notification_ids"])
    assert {e.originator_id for e in events if isinstance(e, Report.Submitted)
            and e.receiving_unit_id == world.district} == set(received["subject_ids"])
    alerts = periodic.explain(conn, world.district, start, end, "alerts_sent")
    (sent,) = _events(world.app, alerts["notification_ids"])
    assert isinstance(sent, Alert.Sent) and sent.originator_id == r["alert"]


def test_late_in_the_period_counts_stages_that_ended_late_or_passed_their_deadline_dieu_18_3_b(
        world, clock, projector: Projector, conn) -> None:
    """A reception ended late counts at its end; an open stage counts once the scheduler
    records its passed deadline (dated at the due instant)."""
    slow = world.submit()  # reception due Tuesday 09:00
    clock.set(2026, 3, 4, 9, 0)
    world.app.handle(Accept(slow), world.receiver)
    open_one = world.submit()  # reception due Thursday 09:00, never decided
    clock.set(2026, 3, 6, 9, 0)
    assert world.app.record_deadlines_passed(open_one) == 1
    projector.catch_up()
    start, end = periodic.bounds(date(2026, 3, 1), date(2026, 3, 31))
    late = periodic.explain(conn, world.district, start, end, "late_in_reception")
    assert set(late["subject_ids"]) == {slow, open_one}
    first_week = periodic.report(conn, "2026-03-01..2026-03-04")
    assert _by_unit(first_week)[world.district]["late_in_reception"] == 1

    # Assigned late (4 working hours from acceptance): published, but not on time; its
    # late assignment counts in handling, in the month it ended.
    clock.set(2026, 3, 9, 9, 0)
    late_assignment = world.submit()
    world.app.handle(Accept(late_assignment), world.receiver)
    clock.set(2026, 3, 10, 9, 0)
    world.app.handle(Classify(late_assignment, "normal"), world.head)
    world.app.handle(Assign(late_assignment, world.division, world.officer_id), world.head)
    world.app.handle(ProposeResult(late_assignment, "Đã vá xong", ["bien-ban.pdf"]),
                     world.officer)
    world.app.handle(ApproveResult(late_assignment), world.head)
    world.app.handle(UpdateResult(late_assignment, ["anh.jpg"]), world.officer)
    world.app.handle(Publish(late_assignment), world.head)
    projector.catch_up()
    march = _by_unit(periodic.report(conn, "2026-03"))[world.district]
    assert (march["published"], march["published_on_time"], march["late_in_handling"]) == (
        1, 0, 1)
    assert periodic.explain(conn, world.district, start, end, "late_in_handling")[
        "subject_ids"] == [late_assignment]


def test_figures_per_head_of_unit_follow_the_heads_terms_seed_000_2_4(
        world, clock, projector: Projector, conn) -> None:
    """Seed 000 Điều 2.4: each head answers for his unit's figures over the part of the month
    he was in office; the events that began and ended the term are named."""
    world.submit()
    clock.set(2026, 3, 16, 9, 0)
    head_id = world.head.id
    world.app.handle(TransferOfficer(UUID(str(head_id)), world.other_district, "unit_head"),
                     ADMIN)
    successor = world.app.handle(AppointOfficer("Bùi Thị Mai", world.district, "unit_head"),
                                 ADMIN).aggregate_id
    clock.set(2026, 3, 17, 9, 0)
    world.submit()
    world.submit()
    projector.catch_up()
    terms = periodic.heads(conn, date(2026, 3, 1), world.district)
    assert [(t["name"], t["figures"]["received"]) for t in terms] == [
        ("Nguyễn Văn Hùng", 1), ("Bùi Thị Mai", 2)]
    assert terms[1]["officer_id"] == successor and terms[0]["until_nid"] is not None
    assert terms[0]["to_at"] == terms[1]["from_at"]
    everywhere = periodic.heads(conn, date(2026, 3, 1))
    assert ("Nguyễn Văn Hùng", world.other_district) in {
        (t["name"], t["unit_id"]) for t in everywhere}
    (april,) = periodic.heads(conn, date(2026, 4, 1), world.district)
    assert (april["name"], april["figures"]["received"]) == ("Bùi Thị Mai", 0)


def test_rebuild_and_as_of_equal_incremental_periodic_reports(
        world, clock, projector: Projector, conn) -> None:
    _history(world, clock)
    projector.batch_size = 3
    projector.catch_up()
    queries = ["SELECT t::text FROM period_facts t ORDER BY 1",
               "SELECT t::text FROM period_heads t ORDER BY 1",
               "SELECT t::text FROM period_reports t ORDER BY 1"]
    before = [conn.execute(q).fetchall() for q in queries]
    projector.rebuild(["periodic_reports"])
    assert [conn.execute(q).fetchall() for q in queries] == before
    march = periodic.report(conn, "2026-03")
    schema = projector.as_of(datetime(2026, 3, 31, 23, 0, tzinfo=BUSINESS_TZ),
                             ["periodic_reports"])
    conn.execute(f"SET search_path TO {schema}, {projector.schema}")
    assert periodic.report(conn, "2026-03") == march
    assert periodic.report(conn, "2026-Q2")["units"] == []


def test_periodic_reports_over_http_for_the_centre_and_inspectors_dieu_18_3_b(
        api, clock) -> None:
    """Over HTTP: the quarter's report with unit names, a figure explained, the heads of the
    month, as of an instant; a period that is none is a 422."""
    w = api.world
    r = _history(w, clock)
    api.sync()
    inspector = api.token(Actor(id="inspector-1", role=Role.INSPECTOR))
    quarter = api.client.get("/periodic-reports?period=2026-Q1", headers=inspector)
    assert quarter.status_code == 200, quarter.text
    body = quarter.json()
    assert body["period"]["kind"] == "quarterly" and body["period"]["last_day"] == "2026-03-31"
    district = next(u for u in body["units"] if u["unit_id"] == str(w.district))
    assert (district["unit_name"], district["received"], district["alerts_sent"]) == (
        "UBND quận Hoàn Kiếm", 3, 1)
    explained = api.client.get(f"/periodic-reports/explain?period=2026-03-10..2026-03-10"
                               f"&unit_id={w.district}&metric=rejected", headers=inspector)
    assert explained.json()["subject_ids"] == [str(r["rejected"])]
    heads = api.client.get("/periodic-reports/heads?month=2026-03",
                           headers=inspector).json()["items"]
    assert ("Nguyễn Văn Hùng", 3) in {(h["name"], h["figures"]["received"]) for h in heads}
    own = api.client.get("/periodic-reports?period=2026", headers=api.token(w.head)).json()
    assert [u["unit_id"] for u in own["units"]] == [str(w.district)]
    as_of = api.client.get("/periodic-reports?period=2026&as_of=2026-03-09T00:00:00%2B07:00",
                           headers=inspector).json()
    assert next(u for u in as_of["units"] if u["unit_id"] == str(w.district))["received"] == 1
    for bad in ("2026-Q7", "2026-03-10..2026-03-01", "march"):
        answer = api.client.get(f"/periodic-reports?period={bad}", headers=inspector)
        assert answer.status_code == 422, answer.text


def test_periodic_report_on_the_command_line_dieu_18_3_b(
        world, clock, projector: Projector, database_url, fresh_schema, monkeypatch) -> None:
    """``ihanoi report PERIOD``: the table per unit, a figure's events, the heads' figures."""
    from rich.console import Console
    from typer.testing import CliRunner

    from ihanoi import cli
    from projections.deployment import Deployment

    class Borrowed(Deployment):
        def close(self) -> None:  # the test's write side stays open
            pass

    r = _history(world, clock)
    projector.catch_up()
    monkeypatch.setattr(cli, "_runtime", lambda: Borrowed(
        url=database_url, schema=fresh_schema, app=world.app, projector=projector))
    monkeypatch.setattr(cli, "console", Console(width=400))  # whatever the terminal's width
    runner = CliRunner()
    table = runner.invoke(cli.app, ["report", "2026-Q1"])
    assert table.exit_code == 0, table.output
    assert "UBND quận Hoàn Kiếm" in table.output and "city (distinct)" in table.output
    explained = runner.invoke(cli.app, ["report", "2026-03-10..2026-03-10", "--unit",
                                        str(world.district), "--explain", "rejected"])
    assert explained.exit_code == 0, explained.output
    assert f"subjects: {r['rejected']}" in explained.output
    heads = runner.invoke(cli.app, ["report", "2026-03", "--heads"])
    assert heads.exit_code == 0 and "Nguyễn Văn Hùng" in heads.output
    assert runner.invoke(cli.app, ["report", "2026-Q9"]).exit_code != 0
    assert runner.invoke(cli.app, ["report", "2026", "--heads"]).exit_code != 0
