"""Citizens over HTTP: a complete identity (Điều 5.5, 6.1.a) and a locked account (Điều 27.3)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from application.commands import MarkViolation, RegisterReporter
from domain.report import Report
from domain.reporter import Reporter
from tests.integration.conftest import Api

REPORT = {"kind": "field", "category": "traffic", "text": "Đèn tín hiệu hỏng ở ngã tư Tràng Thi",
          "latitude": 21.027, "longitude": 105.846, "address": "Ngã tư Tràng Thi"}


def _problem(response: Any, status: int, rule: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["rule"] == rule
    return body


def test_registration_names_the_missing_identity_dieu_5_5(api: Api) -> None:
    refused = api.client.post("/reporters", json={"name": "Ngô Thị Mai", "phone": "0987654321"})
    body = _problem(refused, 422, "Điều 5.5")
    assert body["detail"] == ("the reporter's identity is incomplete: missing citizen ID number "
                              "(căn cước công dân), e-mail address")
    created = api.client.post("/reporters", json={
        "name": "Ngô Thị Mai", "phone": "0987654321", "email": "mai@example.vn",
        "national_id": "001099054321"})
    assert created.status_code == 201


def test_an_existing_reporter_completes_his_identity_then_reports_dieu_5_5_6_1_a(
        api: Api) -> None:
    w = api.world
    legacy = Reporter(identity={"name": "Lê Văn Cũ", "phone": "0912000111", "email": None,
                                "national_id": None}, at=w.app.now())
    w.app.save(legacy)  # as registered before Điều 5.5 was enforced
    token = api.token(w.app.citizen_actor(legacy.id))
    body = {**REPORT, "receiving_unit_id": str(w.district)}
    refused = api.client.post("/reports", json=body, headers=token)
    assert "citizen ID number" in _problem(refused, 422, "Điều 5.5, 6.1.a")["detail"]
    partly = api.client.post("/me/identity", json={"email": "cu@example.vn"}, headers=token)
    assert "citizen ID number" in _problem(partly, 422, "Điều 5.5")["detail"]
    done = api.client.post("/me/identity", json={"national_id": "001088000111",
                                                 "email": "cu@example.vn"}, headers=token)
    assert done.status_code == 200 and done.json()["id"] == str(legacy.id)
    assert api.client.post("/reports", json=body, headers=token).status_code == 201
    api.sync()
    audit = api.client.get("/audit", headers=api.token(w.head)).json()["items"]
    assert all("001088000111" not in str(row) for row in audit)  # never in the trail


def test_a_locked_account_can_neither_ask_nor_rate_nor_re_report_dieu_27_3(api: Api) -> None:
    """Điều 27.3 "khóa tài khoản tạm thời": every citizen command is refused while locked,
    naming the lock's end."""
    w = api.world
    abuser_id = w.app.handle(RegisterReporter(
        "Lý Văn Sơn", phone="0911222444", email="son@example.vn",
        national_id="001099222444")).aggregate_id
    abuser = w.app.citizen_actor(abuser_id)
    published = w.submit(reporter_id=abuser_id)
    w.to_published(published)
    for _ in range(4):
        w.app.handle(MarkViolation(w.submit(reporter_id=abuser_id), "Ảnh lấy từ internet"),
                     w.receiver)
    until = w.app.load(abuser_id, Reporter).locked_until
    token = api.token(abuser)
    for path, body in ((f"/reports/{published}/clarifications", {"question": "Khi nào xong?"}),
                       (f"/reports/{published}/rating", {"rating": "unsatisfied"}),
                       ("/reports", {**REPORT, "receiving_unit_id": str(w.district),
                                     "re_report_of": str(published)}),
                       ("/me/identity", {"phone": "0987000111"})):
        refused = _problem(api.client.post(path, json=body, headers=token), 403, "Điều 27.3")
        assert datetime.fromisoformat(refused["locked_until"]) == until
        assert until.isoformat() in refused["detail"]
    assert w.app.load(published, Report).rating is None


def test_post_reports_takes_coordinates_or_an_address_dieu_6_1(api: Api) -> None:
    """Điều 6.1 "cụ thể, chính xác": coordinates in Hà Nội, or an address, or both; neither
    (or half a pair of coordinates) is a 422 naming Điều 6.1."""
    w = api.world
    token = api.token(w.citizen)
    base = {**REPORT, "receiving_unit_id": str(w.district)}
    no_place = {k: v for k, v in base.items() if k not in ("latitude", "longitude", "address")}
    addressed = api.client.post("/reports", json={**no_place, "address": "Ngã tư Tràng Thi"},
                                headers=token)
    assert addressed.status_code == 201, addressed.text
    report = w.app.load(UUID(addressed.json()["id"]), Report)
    assert report.location == {"latitude": None, "longitude": None,
                               "address": "Ngã tư Tràng Thi"}
    located = api.client.post("/reports", json={**base, "address": ""}, headers=token)
    assert located.status_code == 201, located.text
    _problem(api.client.post("/reports", json=no_place, headers=token), 422, "Điều 6.1")
    _problem(api.client.post("/reports", json={**no_place, "latitude": 21.027},
                             headers=token), 422, "Điều 6.1")
