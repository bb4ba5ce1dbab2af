"""Alerts and broadcasts (Chương III, Điều 15–17): a department's alert reaches every resident
of the city, a district's or commune's its residents, once approved and sent; a lower level
never sends what a higher level created, declared or with the same content (Điều 16.2, 17.2);
departments, districts and communes publish at least one alert every 3 days (seed 001 1.d,
8.b; seed 003 1)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest

from application.commands import ApproveAlert, DraftAlert, EditAlert, SendAlert
from domain.actors import Actor
from domain.errors import InvalidState, NotPermitted
from projections import alerts, notifications
from projections.deployment import Deployment
from scheduler import Scheduler


@pytest.fixture
def heads(world) -> dict[str, Actor]:
    """Heads of a department (the city level, Điều 15), of a ward of the district and of a ward
    of another district."""
    other_ward = world.unit("UBND phường Điện Biên", "commune", world.other_district)
    return {"city": world.staff("Trần Sỹ Thanh", world.department, "unit_head")[1],
            "ward": world.staff("Ngô Thị Mai", world.ward, "unit_head")[1],
            "other_ward": world.staff("Lý Văn Bình", other_ward, "unit_head")[1]}


def _send(world, by: Actor, title: str, days: float = 2, **overrides: Any) -> UUID:
    now = world.app.now()
    alert_id = world.app.handle(DraftAlert(
        category="warning", severity="medium", title=title, body=f"{title}: đề nghị người "
        "dân chú ý.", valid_from=now, valid_until=now + timedelta(days=days),
        **overrides), by).aggregate_id
    world.app.handle(ApproveAlert(alert_id), by)
    world.app.handle(SendAlert(alert_id), by)
    return alert_id


def _titles(conn, area: UUID, now) -> list[str]:
    return [row["title"] for row in alerts.for_area(conn, area, now)]


def test_alert_reaches_the_residents_of_its_units_area_only_dieu_15_17(
        world, heads, projector, clock, conn) -> None:
    _send(world, heads["city"], "Rét đậm toàn thành phố")
    clock.advance(minutes=1)
    _send(world, world.head, "Cắt điện quận Hoàn Kiếm")
    clock.advance(minutes=1)
    _send(world, heads["ward"], "Tiêm chủng phường Tràng Tiền")
    clock.advance(minutes=1)
    _send(world, heads["other_ward"], "Ngập phường Điện Biên", days=0.5)
    projector.catch_up()
    now = clock.now
    assert _titles(conn, world.ward, now) == ["Tiêm chủng phường Tràng Tiền",
                                              "Cắt điện quận Hoàn Kiếm", "Rét đậm toàn thành phố"]
    assert _titles(conn, world.district, now) == ["Cắt điện quận Hoàn Kiếm",
                                                  "Rét đậm toàn thành phố"]
    other_ward = heads["other_ward"].unit_id
    assert _titles(conn, other_ward, now) == ["Ngập phường Điện Biên", "Rét đậm toàn thành phố"]
    # Valid at now only: half a day later the flood warning is over.
    assert _titles(conn, other_ward, now + timedelta(days=1)) == ["Rét đậm toàn thành phố"]


def test_alert_is_sent_only_once_approved_by_the_units_head_dieu_16(
        world, projector, clock, conn) -> None:
    app, now = world.app, clock.now
    alert_id = app.handle(DraftAlert(category="information", severity="low",
                                     title="Lịch thu gom rác", body="Thu gom rác từ 18 giờ.",
                                     valid_from=now, valid_until=now + timedelta(days=3)),
                          world.receiver).aggregate_id
    with pytest.raises(InvalidState) as refused:
        app.handle(SendAlert(alert_id), world.receiver)
    assert refused.value.rule == "Điều 16"
    with pytest.raises(NotPermitted):
        app.handle(ApproveAlert(alert_id), world.receiver)  # a receiving officer is not the head
    with pytest.raises(NotPermitted):
        app.handle(ApproveAlert(alert_id), world.other_head)  # nor is another unit's head
    projector.catch_up()
    assert alerts.alert(conn, alert_id)["status"] == "draft"
    assert _titles(conn, world.district, now) == []

    app.handle(ApproveAlert(alert_id), world.head)
    app.handle(SendAlert(alert_id), world.receiver)
    projector.catch_up()
    row = alerts.alert(conn, alert_id)
    assert (row["status"], row["sent_at"], row["unit_level"]) == ("sent", now, "district")
    assert _titles(conn, world.district, now) == ["Lịch thu gom rác"]


def test_lower_level_may_not_resend_a_higher_levels_alert_dieu_16_2_17_2(
        world, heads, clock) -> None:
    city_alert = _send(world, heads["city"], "Bão số 3")
    district_alert = _send(world, world.head, "Cắt nước quận Hoàn Kiếm")
    for by, original in [(world.head, city_alert), (heads["ward"], city_alert),
                         (heads["ward"], district_alert)]:
        with pytest.raises(InvalidState) as refused:
            _send(world, by, "Nhắc lại", resend_of=original)
        assert refused.value.rule == "Điều 16.2, 17.2"
    # Another district is not below the district: its re-send is its own alert.
    assert _send(world, world.other_head, "Cắt nước lân cận", resend_of=district_alert)


def test_the_same_content_as_a_higher_level_is_refused_even_undeclared_dieu_16_2_17_2(
        world, heads, clock) -> None:
    """Điều 16.2, 17.2: a district does not send what the city level created, a commune
    neither that nor what its district created — the same title and body once normalised."""
    _send(world, heads["city"], "Bão số 3")
    _send(world, world.head, "Cắt nước quận Hoàn Kiếm")
    for by, title, rule in [(world.head, "  BÃO số 3 ", "Điều 16.2"),
                            (heads["ward"], "Bão số 3!", "Điều 17.2"),
                            (heads["ward"], "cắt nước quận hoàn kiếm", "Điều 17.2")]:
        with pytest.raises(InvalidState) as refused:
            world.app.handle(DraftAlert(
                category="warning", severity="medium", title=title,
                body=title.strip(" !").capitalize() + ": đề nghị người dân chú ý.",
                valid_from=clock.now, valid_until=clock.now + timedelta(days=1)), by)
        assert refused.value.rule == rule, title
    # another district's ward is not below the district: the same words are its own alert
    assert _send(world, heads["other_ward"], "Cắt nước quận Hoàn Kiếm")
    # a draft edited into the city level's content is refused too
    draft_id = world.app.handle(DraftAlert(
        category="warning", severity="low", title="Mưa lớn", body="Bão số 3: đề nghị người "
        "dân chú ý.", valid_from=clock.now, valid_until=clock.now + timedelta(days=1)),
        world.head).aggregate_id
    with pytest.raises(InvalidState):
        world.app.handle(EditAlert(draft_id, "Bão số 3", "Bão số 3: đề nghị người dân chú ý.",
                                   "low", clock.now, clock.now + timedelta(days=1)), world.head)
    # and a district alert approved before the department wrote the same is not sent
    approved = world.app.handle(DraftAlert(
        category="warning", severity="low", title="Rét đậm", body="Rét đậm: đề nghị người dân "
        "chú ý.", valid_from=clock.now, valid_until=clock.now + timedelta(days=1)),
        world.head).aggregate_id
    world.app.handle(ApproveAlert(approved), world.head)
    _send(world, heads["city"], "Rét đậm")
    with pytest.raises(InvalidState) as refused:
        world.app.handle(SendAlert(approved), world.head)
    assert refused.value.rule == "Điều 16.2"


def test_the_citys_committee_itself_sends_no_alert_dieu_15_5(world) -> None:
    """Điều 15.5: at city level the departments and units under the city create and send."""
    mayor = world.staff("Trần Sỹ Thanh", world.city, "unit_head")[1]
    with pytest.raises(NotPermitted):
        _send(world, mayor, "Thông báo")
    assert world.app.handle(DraftAlert(  # the service centre, a unit under the city
        category="information", severity="low", title="Hệ thống iHanoi bảo trì", body="Tối nay.",
        valid_from=world.app.now(), valid_until=world.app.now() + timedelta(days=1)),
        world.centre_receiver).aggregate_id


def test_units_silent_for_three_days_are_listed_and_reminded_daily_seed_001_1_d(
        world, heads, projector, clock, conn) -> None:
    scheduler = Scheduler(Deployment(url=projector.conninfo, schema=projector.schema,
                                     app=world.app, projector=projector), clock)
    publishing = {world.department, world.district, world.ward, world.other_district,
                  heads["other_ward"].unit_id}
    days = world.app.policy().alert_cadence_days

    def silent(now) -> set[UUID]:
        projector.catch_up()
        return {row["unit_id"] for row in alerts.cadence(conn, now, days)}

    start = clock.now
    assert silent(start + timedelta(days=3) - timedelta(minutes=1)) == set()  # too young
    clock.now = start + timedelta(days=1)
    _send(world, world.head, "Cắt điện quận Hoàn Kiếm")
    assert silent(start + timedelta(days=3)) == publishing - {world.district}
    assert silent(start + timedelta(days=4)) == publishing  # the district's alert is 3 days old

    clock.now = start + timedelta(days=3, hours=1)
    assert scheduler.tick().reminders == 4
    assert scheduler.tick().reminders == 0  # once a day
    clock.now = start + timedelta(days=4, hours=1)
    assert scheduler.tick().reminders == 5
    rows = notifications.outbox(conn, "cadence:")
    assert {r["recipient_id"] for r in rows} == {str(u) for u in publishing}
    assert rows[0]["subject"] == "Nhắc nhở đăng tin truyền thông, cảnh báo"


def test_an_alert_valid_only_in_the_past_or_for_years_is_refused_dieu_15(world, clock) -> None:
    from domain.errors import InvalidInput

    app, now = world.app, clock.now
    for start, end in [(now - timedelta(days=3), now - timedelta(days=1)),
                       (now, now + timedelta(days=800))]:
        with pytest.raises(InvalidInput) as refused:
            app.handle(DraftAlert(category="warning", severity="high",
                                  title="Cảnh báo ngập úng",
                                  body="Mưa lớn, tránh các tuyến phố trũng",
                                  valid_from=start, valid_until=end), world.head)
        assert refused.value.rule == "Điều 15"


def test_a_departments_alert_reaches_every_ward_over_http_and_binds_districts_dieu_15_16_2(
        api, clock) -> None:
    """Điều 15.1: a department's alert reaches all the city's residents; Điều 16.2: the
    district's same words are refused (409, citing the article)."""
    w = api.world
    body = {"category": "warning", "severity": "high", "title": "Bão số 3",
            "body": "Hạn chế ra đường.", "valid_from": clock.now.isoformat(),
            "valid_until": (clock.now + timedelta(days=1)).isoformat()}
    head = api.token(w.department_head)
    alert_id = api.client.post("/alerts", json=body, headers=head).json()["id"]
    api.client.post(f"/alerts/{alert_id}/approval", headers=head)
    assert api.client.post(f"/alerts/{alert_id}/sending", headers=head).json()["status"] == "sent"
    api.sync()
    for area in (w.ward, w.other_district, w.city):
        assert [a["alert_id"] for a in api.client.get(
            f"/public/alerts?area_unit_id={area}").json()["items"]] == [alert_id]
    refused = api.client.post("/alerts", json={**body, "title": "bão số 3!"},
                              headers=api.token(w.head))
    assert (refused.status_code, refused.json()["rule"]) == (409, "Điều 16.2")
    seen = api.client.get(f"/alerts/{alert_id}", headers=api.token(w.centre_receiver))
    assert seen.status_code == 200  # the service centre manages the channel (Điều 15.2)
