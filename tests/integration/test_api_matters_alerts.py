"""Matters, duplicates, moderation, the 25th's published statistics, reporter locks and alerts
over HTTP (issues 6 and 7; Điều 6.2.c, 13, 14.1, 15–17, 18.4, 27.3; seed 000 Điều 2.2.c;
seed 001 1.d): each endpoint translates to one command or one read-model query, with the
same scoping as the rest of the API — another unit's or another citizen's thing is a 404."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from application.commands import (
    ApproveAlert,
    DraftAlert,
    MarkViolation,
    Rate,
    RegisterReporter,
    SendAlert,
)
from domain.actors import Actor, Role
from tests.integration.conftest import Api, Clock, World

TEXT = "Ổ gà lớn trước nhà bà Nguyễn Thị Hạnh, điện thoại 0911222333, rất nguy hiểm"
REDACTED = "Ổ gà lớn trước nhà [đã ẩn], điện thoại [đã ẩn], rất nguy hiểm"
COMMENT = "Chưa vá xong, gọi tôi 0911222333"
REDACTED_COMMENT = "Chưa vá xong, gọi tôi [đã ẩn]"
REPORT = {"kind": "field", "category": "urban_order",
          "text": "Ổ gà vẫn còn nguyên ở phố Hàng Bài sau khi báo đã xử lý",
          "latitude": 21.0245, "longitude": 105.8532, "address": "12 Hàng Bài, Hoàn Kiếm"}
ADMIN = Actor(id="admin", role=Role.ADMINISTRATOR)


def _post(api: Api, actor: Actor, path: str, body: dict[str, Any] | None = None,
          **headers: str) -> Any:
    return api.client.post(path, json=body or {}, headers={**api.token(actor), **headers})


def _get(api: Api, path: str, actor: Actor | None = None) -> Any:
    return api.client.get(path, headers=api.token(actor) if actor else {})


def _problem(response: Any, status: int, rule: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    if rule is not None:
        assert response.json()["rule"] == rule
    return response.json()


def _citizen(w: World, name: str, phone: str) -> Actor:
    return w.app.citizen_actor(w.app.handle(RegisterReporter(
        name, phone=phone, email=f"{phone}@example.vn",
        national_id=f"00109{phone[-7:]}")).aggregate_id)


def _ids(rows: list[dict[str, Any]]) -> list[str]:
    return [str(r["report_id"]) for r in rows]


def _open311(api: Api, report_id: UUID) -> dict[str, Any]:
    response = _get(api, f"/open311/v2/requests/{report_id}.json")
    assert response.status_code == 200, response.text
    return response.json()[0]


def test_a_citizen_re_reports_only_his_own_published_report_dieu_18_4(
        api: Api, clock: Clock) -> None:
    """Điều 18.4: a re-report joins the earlier report's matter; another citizen's report is not
    his to re-report (404), and an open report is not re-reported (409, a duplicate instead)."""
    w = api.world
    earlier = w.submit()
    w.to_published(earlier)
    still_open = w.submit()
    stranger = _citizen(w, "Lý Văn Sơn", "0911222444")
    body = {**REPORT, "receiving_unit_id": str(w.district), "re_report_of": str(earlier)}
    clock.advance(days=1)

    created = _post(api, w.citizen, "/reports", body)
    assert created.status_code == 201, created.text
    _problem(_post(api, stranger, "/reports", body), 404)
    _problem(_post(api, w.citizen, "/reports", {**body, "re_report_of": str(still_open)}), 409,
             "Điều 18.4")
    api.sync()
    re_report = created.json()["id"]
    timeline = _get(api, f"/reports/{re_report}/matter", w.citizen).json()["items"]
    assert _ids(timeline) == [str(earlier), re_report]
    assert {str(r["matter_id"]) for r in timeline} == {str(earlier)}
    assert timeline[1]["re_report_of"] == str(earlier)
    assert timeline[0]["result_text"] == "Đã vá xong ổ gà, mặt đường an toàn"
    _problem(_get(api, f"/reports/{re_report}/matter", stranger), 404)


def test_an_officer_links_a_report_into_an_earlier_matter_dieu_18_4(
        api: Api, clock: Clock) -> None:
    """Điều 18.4: the receiving unit links a report to an earlier report it can see; the matter's
    timeline is whole for staff, while a citizen sees his own reports and the others' only once
    their result is public."""
    w = api.world
    earlier = w.submit()
    w.to_published(earlier)
    neighbour = _citizen(w, "Lý Văn Sơn", "0911222444")
    clock.advance(days=1)
    later = w.submit(reporter_id=UUID(neighbour.id))
    elsewhere = w.submit(receiving_unit_id=w.other_district)

    _problem(_post(api, w.receiver, f"/reports/{later}/matter",
                   {"earlier_report_id": str(elsewhere)}), 404)
    _problem(_post(api, w.officer, f"/reports/{later}/matter",
                   {"earlier_report_id": str(earlier)}), 404)  # not yet the division's
    linked = _post(api, w.receiver, f"/reports/{later}/matter",
                   {"earlier_report_id": str(earlier)})
    assert linked.status_code == 200, linked.text
    api.sync()
    both = [str(earlier), str(later)]
    assert _ids(_get(api, f"/reports/{later}/matter", w.receiver).json()["items"]) == both
    assert _ids(_get(api, f"/reports/{later}/matter", neighbour).json()["items"]) == both
    # The earlier reporter does not learn of his neighbour's report before its result is out.
    own = _get(api, f"/reports/{earlier}/matter", w.citizen).json()["items"]
    assert _ids(own) == [str(earlier)]
    w.to_published(later)
    api.sync()
    assert _ids(_get(api, f"/reports/{earlier}/matter", w.citizen).json()["items"]) == both


def test_duplicate_closes_in_open311_and_the_head_reverses_it_dieu_6_2_c(api: Api) -> None:
    """Điều 6.2.c: the receiving officer marks a duplicate of an open report he can see —
    Open311 shows it closed, "Trùng với phản ánh đã gửi"; only the unit head reverses it, and
    the report is back with the due instant it had."""
    w = api.world
    original = w.submit()
    duplicate = w.submit(reporter_id=UUID(_citizen(w, "Lý Văn Sơn", "0911222444").id))
    elsewhere = w.submit(receiving_unit_id=w.other_district)
    api.sync()
    due = datetime.fromisoformat(_get(api, f"/reports/{duplicate}", w.receiver).json()["stage_due"])

    _problem(_post(api, w.receiver, f"/reports/{duplicate}/duplicate",
                   {"original_id": str(elsewhere)}), 404)
    marked = _post(api, w.receiver, f"/reports/{duplicate}/duplicate",
                   {"original_id": str(original)})
    assert marked.status_code == 200, marked.text
    assert (marked.json()["status"], marked.json()["stage"]) == ("duplicate", None)
    api.sync()
    assert _get(api, f"/reports/{duplicate}", w.head).json()["duplicate_of"] == str(original)
    request = _open311(api, duplicate)
    assert (request["status"], request["status_notes"]) == ("closed", "Trùng với phản ánh đã gửi")
    closed = _ids_of_requests(api, "closed")
    assert str(duplicate) in closed and str(original) not in closed
    assert str(duplicate) not in _ids_of_requests(api, "open")

    reason = {"reason": "Khác vị trí, không trùng vụ việc"}
    _problem(_post(api, w.receiver, f"/reports/{duplicate}/duplicate/reversal", reason), 403,
             "Điều 6.2.c")
    reversed_ = _post(api, w.head, f"/reports/{duplicate}/duplicate/reversal", reason)
    assert reversed_.status_code == 200, reversed_.text
    assert reversed_.json()["status"] == "received"
    assert datetime.fromisoformat(reversed_.json()["stage_due"]) == due
    api.sync()
    assert _open311(api, duplicate)["status"] == "open"
    assert str(duplicate) in _ids_of_requests(api, "open")


def _ids_of_requests(api: Api, status: str) -> list[str]:
    response = _get(api, f"/open311/v2/requests.json?status={status}")
    assert response.status_code == 200, response.text
    return [r["service_request_id"] for r in response.json()]


def test_redacted_and_hidden_reports_on_public_and_staff_endpoints_dieu_14_1(api: Api) -> None:
    """Điều 4.4, 14.1: only the responsible unit's head moderates; the public sees the redacted
    text and comment, other staff too; the head, inspectors and the reporter read the
    originals; a hidden report leaves every public endpoint."""
    w = api.world
    report_id = w.submit(text=TEXT)
    w.to_published(report_id)
    w.app.handle(Rate(report_id, "unsatisfied", COMMENT), w.citizen)
    inspector = w.staff("Trịnh Văn Quang", w.city, "inspector")[1]
    path = f"/reports/{report_id}/redaction"
    text = {"field": "text", "redacted": REDACTED, "reason": "Họ tên, số điện thoại"}
    _problem(_post(api, w.receiver, path, text), 403, "Điều 14.1")
    for body in (text, {"field": "rating_comment", "redacted": REDACTED_COMMENT,
                        "reason": "Số điện thoại"}):
        assert _post(api, w.head, path, body).status_code == 200
    api.sync()

    public = _get(api, f"/public/results/{report_id}").json()
    assert (public["summary"], public["rating_comment"]) == (REDACTED, REDACTED_COMMENT)
    assert _open311(api, report_id)["description"] == REDACTED
    for actor in (w.receiver, w.officer):
        view = _get(api, f"/reports/{report_id}", actor).json()
        assert (view["text"], view["rating_comment"]) == (REDACTED, REDACTED_COMMENT)
        listed = _get(api, "/reports", actor).json()["items"]
        assert [r["text"] for r in listed if r["report_id"] == str(report_id)] == [REDACTED]
    for actor in (w.head, inspector, w.citizen):
        view = _get(api, f"/reports/{report_id}", actor).json()
        assert (view["text"], view["rating_comment"]) == (TEXT, COMMENT), actor.role

    hidden = _post(api, w.head, f"/reports/{report_id}/hiding",
                   {"target": "report", "reason": "Ảnh có biển số xe của người khác"})
    assert hidden.status_code == 200, hidden.text
    api.sync()
    _problem(_get(api, f"/public/results/{report_id}"), 404)
    assert str(report_id) not in _ids(_get(api, "/public/results").json()["items"])
    gone = _get(api, f"/open311/v2/requests/{report_id}.json")  # GeoReport's error form
    assert gone.status_code == 404 and gone.json()[0]["code"] == 404
    assert _get(api, f"/reports/{report_id}", w.receiver).json()["hidden"] is True


def test_duplicate_candidates_nearby_in_the_same_category_dieu_6_2_c(api: Api) -> None:
    """Điều 6.2.c: open reports of the same category, from other reporters, within the radius:
    the service centre sees them all; the district's staff those concerning the district, and
    how many concern other units."""
    w = api.world
    neighbour = UUID(_citizen(w, "Lý Văn Sơn", "0911222444").id)
    base = w.submit()
    near = w.submit(reporter_id=neighbour, latitude=21.0249)  # about 45 m north
    elsewhere = w.submit(reporter_id=neighbour, latitude=21.0247,  # about 22 m
                         receiving_unit_id=w.other_district)
    w.submit(reporter_id=neighbour, latitude=21.0345)  # about 1.1 km: too far
    w.submit(reporter_id=neighbour, category="traffic")  # another category
    w.submit()  # the same reporter again is no "someone else"
    api.sync()
    path = f"/reports/{base}/duplicate-candidates"

    centre = _get(api, path, w.centre_receiver).json()
    assert _ids(centre["candidates"]) == [str(elsewhere), str(near)]
    assert 20 < centre["candidates"][0]["distance_m"] < 25
    district = _get(api, path, w.head).json()
    assert (_ids(district["candidates"]), district["in_other_units"]) == ([str(near)], 1)
    assert _ids(_get(api, f"{path}?radius_m=30", w.centre_receiver).json()["candidates"]) == [
        str(elsewhere)]
    _problem(_get(api, path, w.other_head), 404)
    _problem(_get(api, path, w.citizen), 403)


def test_published_statistics_are_404_until_frozen_then_never_change_seed_000_2_2_c(
        api: Api) -> None:
    """Seed 000 Điều 2.2.c: the 25th's figures are public once published, and a second
    publication of the month changes nothing."""
    w = api.world
    path = "/public/statistics/published?month=2026-03"
    _problem(_get(api, path), 404)
    received = [str(w.submit()) for _ in range(3)]
    figures = [{"unit_id": str(w.district), "as_of": "2026-03-25T17:00:00+07:00",
                "figures": {"received": 3}, "lateness": None,
                "repeat_dissatisfaction": {"flagged": False, "matters": []},
                "evidence": {"received": {"report_ids": received,
                                          "notification_ids": [101, 102, 103]}}}]
    w.app.publish_monthly_statistics("2026-03", figures)
    first = _get(api, path)
    assert first.status_code == 200, first.text
    assert first.json()["month"] == "2026-03" and first.json()["figures"] == figures
    w.app.publish_monthly_statistics("2026-03", [])
    assert _get(api, path).json() == first.json()
    _problem(_get(api, "/public/statistics/published?month=2026-13"), 422)


def test_five_unsatisfied_ratings_of_a_matter_flag_the_unit_publicly_dieu_18_4(
        api: Api) -> None:
    """Điều 18.4: the public list names the unit and the matter whose "unsatisfied" ratings
    reach the policy's 5, the first report's included; the ratings and events behind it are
    explained to the unit's staff, not to another district's."""
    w = api.world
    earlier = w.submit()
    w.to_published(earlier)
    w.app.handle(Rate(earlier, "unsatisfied", "Chưa xử lý"), w.citizen)
    rated = [str(earlier)]
    for _ in range(4):
        report_id = w.submit(re_report_of=earlier)
        w.to_published(report_id)
        w.app.handle(Rate(report_id, "unsatisfied", "Vẫn chưa xử lý dứt điểm"), w.citizen)
        rated.append(str(report_id))
    api.sync()
    tally = _get(api, "/public/repeat-dissatisfaction?month=2026-03").json()["items"]
    assert [(t["unit_id"], t["flagged"], t["unit_name"]) for t in tally] == [
        (str(w.district), True, "UBND quận Hoàn Kiếm")]
    (matter,) = tally[0]["matters"]
    assert (matter["matter_id"], matter["unsatisfied_ratings"], matter["unresolved"]) == (
        str(earlier), 5, True)
    explain = f"/explain/repeat-dissatisfaction?unit_id={w.district}&month=2026-03"
    explained = _get(api, explain, w.receiver).json()
    assert explained["value"] == 1 and sorted(explained["report_ids"]) == sorted(rated)
    assert [r["rating"] for r in explained["matters"][0]["ratings"]] == ["unsatisfied"] * 5
    assert len(explained["notification_ids"]) == 15  # each: in the matter, accepted, rated
    _problem(_get(api, explain, w.other_head), 404)


def test_alert_lifecycle_reaches_the_wards_residents_once_approved_dieu_15_17(
        api: Api, clock: Clock) -> None:
    """Điều 15–17: drafted and edited by the district's staff, approved by its head, sent, then
    public for the residents of the district's wards until it expires; never re-sent by a ward
    below it (Điều 16.2, 17.2)."""
    w = api.world
    ward_head = w.staff("Ngô Thị Mai", w.ward, "unit_head")[1]
    inspector = w.staff("Trịnh Văn Quang", w.city, "inspector")[1]
    now = clock.now
    content = {"severity": "high", "title": "Ngập úng phố Hàng Bài",
               "body": "Mưa lớn gây ngập, đề nghị người dân hạn chế đi lại.",
               "valid_from": now.isoformat(),
               "valid_until": (now + timedelta(days=2)).isoformat()}
    # An instant PostgreSQL would store but Python could not read back is refused at the door.
    odd = _post(api, w.receiver, "/alerts", {**content, "category": "warning",
                                             "valid_from": "0001-01-01T00:00:00+23:59"})
    assert [e["loc"] for e in _problem(odd, 422)["errors"]] == [["body", "valid_from"]]
    drafted = _post(api, w.receiver, "/alerts", {**content, "category": "warning"},
                    **{"Idempotency-Key": "ngap-1"})
    assert drafted.status_code == 201, drafted.text
    alert_id = drafted.json()["id"]
    retried = _post(api, w.receiver, "/alerts", {**content, "category": "warning"},
                    **{"Idempotency-Key": "ngap-1"})
    assert (retried.status_code, retried.json()["id"], retried.json()["replayed"]) == (
        200, alert_id, True)
    edited = _post(api, w.receiver, f"/alerts/{alert_id}/edit",
                   {**content, "title": "Ngập sâu phố Hàng Bài"})
    assert (edited.json()["title"], edited.headers["ETag"]) == ("Ngập sâu phố Hàng Bài", '"2"')
    _problem(_post(api, w.receiver, f"/alerts/{alert_id}/sending"), 409, "Điều 16")
    _problem(_post(api, w.receiver, f"/alerts/{alert_id}/approval"), 403, "Điều 16")
    _problem(_post(api, w.head, f"/alerts/{alert_id}/approval", **{"If-Match": '"1"'}), 412)
    _problem(_post(api, w.other_head, f"/alerts/{alert_id}/approval"), 404)
    api.sync()
    assert _get(api, f"/public/alerts?area_unit_id={w.ward}").json()["items"] == []

    assert _post(api, w.head, f"/alerts/{alert_id}/approval").json()["status"] == "approved"
    assert _post(api, w.receiver, f"/alerts/{alert_id}/sending").json()["status"] == "sent"
    api.sync()
    for area in (w.ward, w.district):
        public = _get(api, f"/public/alerts?area_unit_id={area}").json()["items"]
        assert [(a["alert_id"], a["title"]) for a in public] == [
            (alert_id, "Ngập sâu phố Hàng Bài")]
    assert _get(api, f"/public/alerts?area_unit_id={w.other_district}").json()["items"] == []
    assert _get(api, f"/alerts/{alert_id}", inspector).json()["status"] == "sent"
    _problem(_get(api, f"/alerts/{alert_id}", w.other_head), 404)

    resend = {**content, "category": "warning", "resend_of": alert_id}
    refused = _problem(_post(api, ward_head, "/alerts", resend), 409, "Điều 16.2, 17.2")
    assert "higher level already sent" in refused["detail"]
    assert _post(api, w.other_head, "/alerts", resend).status_code == 201
    clock.advance(days=3)
    assert _get(api, f"/public/alerts?area_unit_id={w.ward}").json()["items"] == []


def test_units_silent_for_three_days_are_listed_to_whom_follows_them_seed_001_1_d(
        api: Api, clock: Clock) -> None:
    """Seed 001 1.d: the units with no alert in the last 3 days — city-wide for the service
    centre and inspectors, a head's own unit and those below it for a unit head."""
    w = api.world
    start = clock.now
    clock.now = start + timedelta(days=2)
    alert_id = w.app.handle(DraftAlert(category="information", severity="low",
                                       title="Lịch thu gom rác", body="Thu gom rác từ 18 giờ.",
                                       valid_from=clock.now,
                                       valid_until=clock.now + timedelta(days=5)),
                            w.head).aggregate_id
    w.app.handle(ApproveAlert(alert_id), w.head)
    w.app.handle(SendAlert(alert_id), w.head)
    clock.now = start + timedelta(days=4)
    api.sync()

    def silent(actor: Actor) -> set[tuple[str, str]]:
        response = _get(api, "/alerts/cadence", actor)
        assert response.status_code == 200, response.text
        return {(r["unit_id"], r["unit_name"]) for r in response.json()["items"]}

    ward = (str(w.ward), "UBND phường Tràng Tiền")
    city_wide = {(str(w.department), "Sở Xây dựng"), ward,
                 (str(w.other_district), "UBND quận Ba Đình")}
    assert silent(w.centre_receiver) == city_wide
    assert silent(w.staff("Trịnh Văn Quang", w.city, "inspector")[1]) == city_wide
    assert silent(w.head) == {ward}
    assert silent(w.other_head) == {(str(w.other_district), "UBND quận Ba Đình")}
    _problem(_get(api, "/alerts/cadence", w.receiver), 403)


def test_reporter_lock_is_shown_to_himself_inspectors_and_administrators_dieu_27_3(
        api: Api, clock: Clock) -> None:
    """Điều 27.3: after more than 3 violations in a row the account is locked for 30 days;
    the reporter, inspectors and administrators read the lock, no one else."""
    w = api.world
    abuser = _citizen(w, "Lý Văn Sơn", "0911222444")
    for _ in range(4):
        w.app.handle(MarkViolation(w.submit(reporter_id=UUID(abuser.id)),
                                   "Ảnh lấy từ internet"), w.receiver)
    api.sync()
    path = f"/reporters/{abuser.id}/lock"
    own = _get(api, path, abuser).json()
    assert own["locked"] is True and own["lifted_at"] is None
    assert datetime.fromisoformat(own["locked_until"]) == clock.now + timedelta(days=30)
    inspector = w.staff("Trịnh Văn Quang", w.city, "inspector")[1]
    assert _get(api, path, inspector).json() == own == _get(api, path, ADMIN).json()
    _problem(_get(api, path, w.citizen), 404)
    _problem(_get(api, path, w.receiver), 403)
    locked = _post(api, abuser, "/reports", {**REPORT, "receiving_unit_id": str(w.district)})
    until = _problem(locked, 403, "Điều 27.3")["locked_until"]
    assert datetime.fromisoformat(until) == datetime.fromisoformat(own["locked_until"])
    clock.advance(days=30, minutes=1)
    assert _get(api, path, abuser).json()["locked"] is False
