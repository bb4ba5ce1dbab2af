"""Alerts and broadcasts to residents, domain only (Chương III, Điều 15–17).

A unit's officer drafts an alert for the unit's own area, the unit's head approves it, then it
is sent; a lower level must not re-send what a higher level already sent (Điều 16.2, 17.2).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import uuid4

import pytest

from domain.actors import Actor, Role, UnitLevel
from domain.alert import CADENCE_LEVELS, MAX_VALIDITY, Alert, AlertContent, content_key
from domain.calendar import BUSINESS_TZ
from domain.errors import InvalidInput, InvalidState, NotPermitted

T0 = datetime(2026, 3, 2, 9, tzinfo=BUSINESS_TZ)
UNTIL = T0 + timedelta(days=7)
DISTRICT = uuid4()


def staff(role: Role, level: UnitLevel = UnitLevel.DISTRICT, unit_id=DISTRICT) -> Actor:
    return Actor(id=str(uuid4()), role=role, unit_id=unit_id, unit_level=level)


OFFICER = staff(Role.HANDLING_OFFICER)
RECEIVER = staff(Role.RECEIVING_OFFICER)
HEAD = staff(Role.UNIT_HEAD)
OTHER_HEAD = staff(Role.UNIT_HEAD, unit_id=uuid4())


def draft(by: Actor = OFFICER, **content) -> Alert:
    fields = {"category": "warning", "severity": "high", "title": " Ngập úng ",
              "body": " Tránh phố Hàng Bài ", "valid_from": T0, "valid_until": UNTIL,
              "at": T0} | content
    return Alert.draft(by, **fields)


def approved() -> Alert:
    alert = draft()
    alert.approve(HEAD, T0)
    return alert


def names(alert: Alert) -> list[str]:
    return [type(e).__name__ for e in alert.collect_events()]


# --------------------------------------------------------------------------- drafting


@pytest.mark.parametrize("level, article", [
    (UnitLevel.DEPARTMENT, "Điều 15"), (UnitLevel.SERVICE_CENTRE, "Điều 15"),
    (UnitLevel.DISTRICT, "Điều 16"), (UnitLevel.COMMUNE, "Điều 17")])
def test_departments_districts_and_communes_draft_alerts_for_their_area_dieu_15_17(
        level: UnitLevel, article: str) -> None:
    for role in (Role.RECEIVING_OFFICER, Role.HANDLING_OFFICER, Role.UNIT_HEAD):
        alert = draft(staff(role, level))
        assert (alert.unit_id, alert.unit_level, alert.status) == (DISTRICT, level, "draft")
        assert alert._article == article
    alert = draft(staff(Role.HANDLING_OFFICER, level))
    assert (alert.category, alert.severity, alert.title, alert.body) == (
        "warning", "high", "Ngập úng", "Tránh phố Hàng Bài")
    assert (alert.valid_from, alert.valid_until, alert.resend_of) == (T0, UNTIL, None)
    assert names(alert) == ["Drafted"]


def test_each_step_of_an_alert_records_who_did_it_and_when_dieu_15_17() -> None:
    alert = draft(OFFICER, at=T0)
    alert.edit(RECEIVER, "t", "b", "low", T0, UNTIL, T0 + timedelta(minutes=1))
    alert.approve(HEAD, T0 + timedelta(minutes=2))
    alert.send(RECEIVER, T0 + timedelta(minutes=3))
    assert [(type(e).__name__, e.by, e.at) for e in alert.collect_events()] == [
        ("Drafted", OFFICER.ref(), T0), ("Edited", RECEIVER.ref(), T0 + timedelta(minutes=1)),
        ("Approved", HEAD.ref(), T0 + timedelta(minutes=2)),
        ("Sent", RECEIVER.ref(), T0 + timedelta(minutes=3))]


@pytest.mark.parametrize("author", [
    Actor(id="c", role=Role.CITIZEN),
    staff(Role.INSPECTOR), staff(Role.ADMINISTRATOR),
    Actor(id="o", role=Role.HANDLING_OFFICER, unit_id=None, unit_level=UnitLevel.DISTRICT),
    staff(Role.HANDLING_OFFICER, UnitLevel.DIVISION),
    staff(Role.UNIT_HEAD, UnitLevel.CITY), staff(Role.UNIT_HEAD, UnitLevel.ENTERPRISE),
])
def test_only_departments_districts_and_communes_publish_alerts_dieu_15_5_16_17(
        author: Actor) -> None:
    """Điều 15.5: at city level "Sở, ban, ngành và đơn vị trực thuộc" create, approve and send;
    the city's committee itself is not an author."""
    with pytest.raises(NotPermitted) as refused:
        draft(author)
    assert refused.value.rule == "Điều 15–17"


CITY = uuid4()
DEPARTMENT_HEAD = staff(Role.UNIT_HEAD, UnitLevel.DEPARTMENT, uuid4())
COMMUNE = uuid4()
COMMUNE_HEAD = staff(Role.UNIT_HEAD, UnitLevel.COMMUNE, COMMUNE)


def test_a_lower_level_does_not_resend_what_a_higher_level_sent_dieu_16_2_17_2() -> None:
    city_alert = draft(DEPARTMENT_HEAD)
    with pytest.raises(InvalidState) as refused:
        draft(resend_of=city_alert, ancestors=[CITY])
    assert refused.value.rule == "Điều 16.2, 17.2"
    district_alert = draft()
    with pytest.raises(InvalidState):
        draft(COMMUNE_HEAD, resend_of=district_alert, ancestors=[DISTRICT, CITY])
    # another district is not above: its re-send is its own alert
    other = staff(Role.UNIT_HEAD, UnitLevel.DISTRICT, uuid4())
    assert draft(other, resend_of=district_alert, ancestors=[CITY]).resend_of == \
        district_alert.id
    # a department is never barred: Điều 16.2, 17.2 bind districts and communes
    assert draft(DEPARTMENT_HEAD, resend_of=district_alert, ancestors=[CITY]).resend_of


def test_the_same_content_as_a_higher_level_is_refused_undeclared_dieu_16_2_17_2() -> None:
    """Điều 16.2, 17.2 "Cấp huyện không thực hiện gửi thông tin ... cấp Thành phố đã tạo để
    tránh trùng lặp, trùng nội dung": the content counts, not a declared ``resend_of``."""
    city_alert = draft(DEPARTMENT_HEAD, title="Bão số 3", body="Người dân hạn chế ra đường.")
    with pytest.raises(InvalidState) as refused:
        draft(title="  BÃO SỐ 3! ", body="Người dân   hạn chế ra đường", ancestors=[CITY],
              same_content=[city_alert])
    assert refused.value.rule == "Điều 16.2"
    district_alert = draft(title="Cắt nước", body="Từ 8 giờ.")
    with pytest.raises(InvalidState) as refused:
        draft(COMMUNE_HEAD, title="Cắt nước", body="Từ 8 giờ.", ancestors=[DISTRICT, CITY],
              same_content=[district_alert])
    assert refused.value.rule == "Điều 17.2"
    with pytest.raises(InvalidState):
        draft(COMMUNE_HEAD, ancestors=[DISTRICT, CITY], same_content=[city_alert])
    # another district's content, the district's own, or a lower level's: not barred
    other_district = draft(staff(Role.UNIT_HEAD, UnitLevel.DISTRICT, uuid4()))
    assert draft(ancestors=[CITY], same_content=[other_district, district_alert]).status \
        == "draft"
    assert draft(DEPARTMENT_HEAD, same_content=[district_alert]).status == "draft"


def test_same_content_is_title_and_body_equal_once_normalised_dieu_16_2_17_2() -> None:
    assert content_key("Bão số 3", "Hạn chế ra đường.") == content_key(
        " bão  SỐ 3 ", "hạn chế, ra đường")
    assert content_key("Bão số 3", "x") != content_key("Bao so 3", "x")  # diacritics count
    assert content_key("Bão số 3", "x") != content_key("Bão số 4", "x")
    assert content_key("a", "b c") != content_key("a b", "c")
    assert len(content_key("t", "b")) == 64 and "Bão" not in content_key("Bão", "b")


def test_editing_or_sending_into_a_higher_levels_content_is_refused_dieu_16_2_17_2() -> None:
    city_alert = draft(DEPARTMENT_HEAD, title="Bão số 3", body="b")
    alert = draft()
    with pytest.raises(InvalidState) as refused:
        alert.edit(HEAD, "Bão số 3", "b", "low", T0, UNTIL, T0, [CITY], [city_alert, alert])
    assert refused.value.rule == "Điều 16.2"
    alert.edit(HEAD, "Bão số 3 tại Hoàn Kiếm", "b", "low", T0, UNTIL, T0, [CITY], [alert])
    alert.approve(HEAD, T0)
    with pytest.raises(InvalidState):  # the department created the same content meanwhile
        alert.send(HEAD, T0, CITY, [CITY], [draft(DEPARTMENT_HEAD, title=alert.title,
                                                  body="b"), alert])
    alert.send(HEAD, T0, CITY, [CITY], [alert])
    assert alert.status == "sent"


def test_a_city_level_alert_reaches_the_whole_city_dieu_15_1() -> None:
    alert = draft(DEPARTMENT_HEAD)
    alert.approve(DEPARTMENT_HEAD, T0)
    alert.collect_events()
    alert.send(DEPARTMENT_HEAD, T0, CITY)
    assert alert.collect_events()[0].area_unit_id == CITY
    district = approved()
    district.collect_events()
    district.send(HEAD, T0, CITY)
    assert district.collect_events()[0].area_unit_id == DISTRICT


def test_the_3_day_cadence_binds_departments_districts_and_communes_seed_001_1_d() -> None:
    assert CADENCE_LEVELS == {UnitLevel.DEPARTMENT, UnitLevel.DISTRICT, UnitLevel.COMMUNE}


def test_the_index_of_a_content_lists_each_alert_once_dieu_16_2_17_2() -> None:
    key = content_key("t", "b")
    index = AlertContent(key=key)
    assert index.id == AlertContent.create_id(key) and index.alert_ids == []
    first = uuid4()
    index.add(first, T0)
    index.add(first, T0)
    assert index.alert_ids == [first]
    assert [type(e).__name__ for e in index.collect_events()] == ["Registered", "Used"]


@pytest.mark.parametrize("content", [
    {"category": "advert"}, {"severity": "extreme"},
    {"title": ""}, {"title": "  "}, {"title": "t" * 201},
    {"body": ""}, {"body": "  "}, {"body": "b" * 10001},
    {"valid_from": T0.replace(tzinfo=None)}, {"valid_until": UNTIL.replace(tzinfo=None)},
    {"valid_until": T0}, {"valid_until": T0 - timedelta(hours=1)}, {"valid_from": UNTIL},
    {"valid_from": T0 - timedelta(days=2), "valid_until": T0},
    {"valid_until": T0 + MAX_VALIDITY + timedelta(microseconds=1)},
])
def test_an_alert_has_a_category_severity_title_body_and_a_future_validity_dieu_15(
        content: dict) -> None:
    with pytest.raises(InvalidInput) as refused:
        draft(**content)
    assert refused.value.rule == "Điều 15"


def test_the_content_limits_are_inclusive_and_validity_lasts_at_most_366_days_dieu_15() -> None:
    assert MAX_VALIDITY == timedelta(days=366)
    alert = draft(category="information", severity="low", title="t" * 200, body="b" * 10000,
                  valid_until=T0 + MAX_VALIDITY)
    assert (len(alert.title), len(alert.body), alert.valid_until) == (200, 10000, T0 + MAX_VALIDITY)
    assert draft(severity="medium", valid_until=T0 + timedelta(microseconds=1)).severity == "medium"


# --------------------------------------------------------------------------- edit, approve, send


def test_the_units_staff_edit_a_draft_dieu_15_17() -> None:
    alert = draft()
    alert.collect_events()
    later = UNTIL + timedelta(days=1)
    alert.edit(RECEIVER, " Mới ", " Nội dung mới ", "low", T0, later, T0)
    assert (alert.title, alert.body, alert.severity, alert.valid_from, alert.valid_until) == (
        "Mới", "Nội dung mới", "low", T0, later)
    assert names(alert) == ["Edited"]
    alert.edit(HEAD, "Trưởng sửa", "b", "low", T0, later, T0)
    assert alert.title == "Trưởng sửa"
    with pytest.raises(InvalidInput):
        alert.edit(RECEIVER, "", "x", "low", T0, later, T0)
    with pytest.raises(NotPermitted) as refused:
        alert.edit(OTHER_HEAD, "t", "b", "low", T0, later, T0)
    assert refused.value.rule == "Điều 16"
    with pytest.raises(NotPermitted):
        alert.edit(staff(Role.INSPECTOR), "t", "b", "low", T0, later, T0)


def test_only_a_draft_is_edited_or_approved_dieu_15_17() -> None:
    alert = approved()
    with pytest.raises(InvalidState) as refused:
        alert.edit(OFFICER, "t", "b", "low", T0, UNTIL, T0)
    assert refused.value.rule == "Điều 16"
    with pytest.raises(InvalidState) as refused:
        alert.approve(HEAD, T0)
    assert refused.value.rule == "Điều 16"


def test_only_the_units_head_approves_an_alert_dieu_15_17() -> None:
    alert = draft()
    for someone in (OFFICER, RECEIVER, OTHER_HEAD):
        with pytest.raises(NotPermitted):
            alert.approve(someone, T0)
    alert.approve(HEAD, T0)
    assert alert.status == "approved"
    assert names(alert) == ["Drafted", "Approved"]


def test_an_approved_alert_is_sent_to_the_units_area_dieu_15_17() -> None:
    alert = approved()
    alert.collect_events()
    alert.send(OFFICER, UNTIL)
    assert alert.status == "sent"
    sent = alert.collect_events()
    assert [type(e).__name__ for e in sent] == ["Sent"]
    assert (sent[0].area_unit_id, sent[0].at) == (DISTRICT, UNTIL)


def test_an_alert_is_sent_only_once_approved_and_while_valid_dieu_15_17() -> None:
    with pytest.raises(InvalidState) as refused:
        draft().send(HEAD, T0)
    assert refused.value.rule == "Điều 16"
    with pytest.raises(InvalidState) as refused:
        approved().send(HEAD, UNTIL + timedelta(microseconds=1))
    assert refused.value.rule == "Điều 16"
    with pytest.raises(NotPermitted):
        approved().send(OTHER_HEAD, T0)
    sent = approved()
    sent.send(HEAD, T0)
    with pytest.raises(InvalidState):
        sent.send(HEAD, T0)
