"""Over HTTP: where a report goes and who acts on it — the commune step (Điều 8.1.b–c),
coordinating units named with the acceptance (Điều 8.2.a), a district passing a report to a
department (Điều 5.9) and capital initiatives through the service centre (Điều 9)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from application.commands import Accept, Classify
from tests.integration.conftest import Api


def _post(api: Api, path: str, who: Any, body: dict[str, Any] | None = None) -> Any:
    return api.client.post(path, json=body or {}, headers=api.token(who))


def _refused(response: Any, status: int, rule: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["rule"] == rule


def test_the_commune_leader_assigns_the_commune_officer_over_http_dieu_8_1_b_c(
        api: Api) -> None:
    w = api.world
    _, ward_head = w.staff("Đoàn Văn Lộc", w.ward, "unit_head")
    report_id = w.submit()
    w.app.handle(Accept(report_id), w.receiver)
    w.app.handle(Classify(report_id, "normal"), w.head)
    # The district head no longer picks the commune officer himself.
    _refused(_post(api, f"/reports/{report_id}/assignment", w.head,
                   {"department_id": str(w.ward), "officer_id": str(w.ward_officer_id)}),
             422, "Điều 8.1.b")
    # The commune does not hold the report before it is coordinated to it: 404.
    assert _post(api, f"/reports/{report_id}/commune/assignment", ward_head,
                 {"officer_id": str(w.ward_officer_id)}).status_code == 404
    state = _post(api, f"/reports/{report_id}/commune", w.head, {"commune_id": str(w.ward)})
    assert state.status_code == 200, state.text
    assert state.json()["status"] == "in_handling" and state.json()["stage"] == "handling"
    assert state.json()["officer_id"] is None
    handling_due = state.json()["stage_due"]
    _refused(_post(api, f"/reports/{report_id}/commune/assignment", w.head,
                   {"officer_id": str(w.ward_officer_id)}), 403, "Điều 8.1.c")
    _refused(_post(api, f"/reports/{report_id}/commune/assignment", ward_head,
                   {"officer_id": str(w.officer_id)}), 422, "Điều 8.1.c")
    state = _post(api, f"/reports/{report_id}/commune/assignment", ward_head,
                  {"officer_id": str(w.ward_officer_id)})
    assert state.status_code == 200, state.text
    assert state.json()["officer_id"] == str(w.ward_officer_id)
    assert state.json()["stage_due"] == handling_due  # the period ran from the coordination
    api.sync()
    row = api.client.get(f"/reports/{report_id}", headers=api.token(ward_head)).json()
    assert row["department_id"] == str(w.ward) and row["officer_id"] == str(w.ward_officer_id)
    ward_officer = w.app.officer_actor(w.ward_officer_id)
    proposed = _post(api, f"/reports/{report_id}/result", ward_officer,
                     {"text": "Phường đã xử lý xong, lập biên bản",
                      "evidence": [w.attachment(ward_officer)]})
    assert proposed.status_code == 200, proposed.text


def test_the_head_does_not_reassign_to_a_commune_officer_over_http_dieu_8_1_b_c(
        api: Api) -> None:
    """A reassignment is no way around the commune's leader (Điều 8.1.b–c): 422."""
    w = api.world
    report_id = w.submit()
    w.to_handling(report_id)
    _refused(_post(api, f"/reports/{report_id}/reassignment", w.head,
                   {"department_id": str(w.ward), "officer_id": str(w.ward_officer_id),
                    "reason": "Thuộc địa bàn phường"}), 422, "Điều 8.1.b")
    api.sync()
    row = api.client.get(f"/reports/{report_id}", headers=api.token(w.head)).json()
    assert row["department_id"] == str(w.division) and row["officer_id"] == str(w.officer_id)


def test_coordinating_units_named_with_the_acceptance_over_http_dieu_8_2_a(api: Api) -> None:
    w = api.world
    report_id = w.submit()
    _refused(_post(api, f"/reports/{report_id}/acceptance", w.receiver,
                   {"coordinating_unit_ids": [str(w.other_district)]}), 403, "Điều 8.2.a")
    _refused(_post(api, f"/reports/{report_id}/acceptance", w.head,
                   {"coordinating_unit_ids": [str(w.ward)]}), 422, "Điều 8.2.a")
    state = _post(api, f"/reports/{report_id}/acceptance", w.head,
                  {"coordinating_unit_ids": [str(w.other_district), str(w.department)]})
    assert state.status_code == 200, state.text
    assert state.json()["status"] == "accepted"
    api.sync()
    row = api.client.get(f"/reports/{report_id}", headers=api.token(w.head)).json()
    assert row["coordination"] == {str(w.other_district): False, str(w.department): False}
    # The coordinating district sees the report and sends its part back (Điều 8.2.b).
    contributed = _post(api, f"/reports/{report_id}/contributions", w.other_head,
                        {"text": "Quận Ba Đình đã kiểm tra phần giáp ranh", "evidence": []})
    assert contributed.status_code == 200, contributed.text
    _refused(_post(api, f"/reports/{report_id}/classification", w.head, {"urgency": "normal"}),
             422, "Điều 8.4")
    assert _post(api, f"/reports/{report_id}/classification", w.head,
                 {"urgency": "complex"}).status_code == 200


def test_a_district_passes_a_report_to_the_department_of_its_field_over_http_dieu_5_9(
        api: Api) -> None:
    w = api.world
    report_id = w.submit()
    _refused(_post(api, f"/reports/{report_id}/escalation", w.receiver,
                   {"to_unit_id": str(w.other_district), "why": "Thuộc quận khác"}),
             422, "Điều 7.2.c")
    state = _post(api, f"/reports/{report_id}/escalation", w.receiver,
                  {"to_unit_id": str(w.department), "why": "Thuộc lĩnh vực xây dựng"})
    assert state.status_code == 200, state.text
    assert state.json()["receiving_unit_id"] == str(w.department)
    assert state.json()["stage"] == "reception"
    api.sync()
    # The department now holds it (its own reception period runs); the district only saw it.
    row = api.client.get(f"/reports/{report_id}", headers=api.token(w.department_head))
    assert row.status_code == 200 and row.json()["receiving_unit_id"] == str(w.department)
    assert row.json()["status"] == "received"


def test_a_capital_initiative_is_sent_to_the_service_centre_only_over_http_dieu_9(
        api: Api) -> None:
    w = api.world
    body = {"kind": "capital_initiative", "category": "smart_city",
            "text": "Đề xuất lắp cảm biến cảnh báo ngập trên các tuyến phố", "latitude": 0.0,
            "longitude": 0.0, "receiving_unit_id": str(w.district)}
    _refused(_post(api, "/reports", w.citizen, body), 422, "Điều 9")
    created = _post(api, "/reports", w.citizen, {**body, "receiving_unit_id": str(w.centre)})
    assert created.status_code == 201, created.text
    report_id = UUID(created.json()["id"])
    _refused(_post(api, f"/reports/{report_id}/escalation", w.centre_receiver,
                   {"to_unit_id": str(w.district), "why": "Thuộc quận"}), 409, "Điều 9")
    state = _post(api, f"/reports/{report_id}/acceptance", w.centre_receiver,
                  {"handling_unit_id": str(w.department)})
    assert state.status_code == 200, state.text
    assert state.json()["handling_unit_id"] == str(w.department)
    assert state.json()["stage"] == "response"
    answered = _post(api, f"/reports/{report_id}/initiative-answer", w.department_head,
                     {"text": "Sở sẽ nghiên cứu và thí điểm sáng kiến", "evidence": []})
    assert answered.status_code == 200, answered.text
