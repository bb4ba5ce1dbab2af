"""What staff must read, the public process, and citizens' answers (issue 11 items 1, 2, 7;
Điều 7.2, 8.2, 12.1, 13, 14.2, 22)."""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

from application.commands import (
    Contribute,
    GrantExtension,
    ProposeResult,
    RequestCoordination,
)
from tests.integration.conftest import Api


def _get(api: Api, path: str, who: Any = None) -> Any:
    response = api.client.get(path, headers=api.token(who) if who else {})
    assert response.status_code == 200, response.text
    return response.json()


def _items(api: Api, path: str, who: Any) -> list[Any]:
    """A list's rows, whether it answers a list or a page of them."""
    answer = _get(api, path, who)
    return answer["items"] if isinstance(answer, dict) else answer


def test_staff_read_the_citizens_question_and_its_answer_dieu_13(api: Api) -> None:
    w, c = api.world, api.client
    report_id = w.submit()
    w.to_published(report_id)
    question = "Xin cho biết vì sao chỉ vá một phần mặt đường?"
    asked = c.post(f"/reports/{report_id}/clarifications", json={"question": question},
                   headers=api.token(w.citizen))
    assert asked.status_code == 200, asked.text
    api.sync()
    for who in (w.head, w.officer):
        report = _get(api, f"/reports/{report_id}", who)
        (clarification,) = report["clarifications"]
        assert clarification["question"] == question and clarification["answer"] is None
        assert clarification["due"] is not None
        assert [s["texts"].get("question") for s in report["timeline"]
                if s["step"] == "clarification_requested"] == [question]
    queue = _items(api, "/work-queue", w.head)
    (item,) = [i for i in queue if i["report_id"] == str(report_id)]
    assert item["item"] == "clarification" and item["question"] == question
    answered = c.post(f"/reports/{report_id}/clarifications/answer",
                      json={"answer": "Phần còn lại thuộc dự án chống ngập"},
                      headers=api.token(w.officer))
    assert answered.status_code == 200, answered.text
    api.sync()
    (clarification,) = _get(api, f"/reports/{report_id}", w.head)["clarifications"]
    assert clarification["answer"] == "Phần còn lại thuộc dự án chống ngập"
    assert clarification["evidence"] == []  # files sent with it: test_api_attachments
    assert clarification["answered"]["actor_id"] == w.officer.id
    assert clarification["answered"]["actor_role"] == "handling_officer"


def test_the_officer_reads_why_the_head_returned_his_result_dieu_12_1(api: Api) -> None:
    w, c = api.world, api.client
    report_id = w.submit()
    w.to_handling(report_id)
    w.app.handle(ProposeResult(report_id, "Đã vá xong ổ gà, mặt đường an toàn",
                               ["bien-ban.pdf"]), w.officer)
    returned = c.post(f"/reports/{report_id}/result/return",
                      json={"reason": "Thiếu ảnh hiện trường sau khi vá"},
                      headers=api.token(w.head))
    assert returned.status_code == 200, returned.text
    api.sync()
    report = _get(api, f"/reports/{report_id}", w.officer)
    (returned_result,) = report["returns"]
    assert returned_result["reason"] == "Thiếu ảnh hiện trường sau khi vá"
    assert returned_result["by"]["actor_id"] == w.head.id
    assert returned_result["by"]["actor_role"] == "unit_head"
    assert returned_result["rework_due"] is not None
    (item,) = [i for i in _items(api, "/work-queue?mine=true", w.officer)
               if i["report_id"] == str(report_id)]
    assert item["item"] == "rework"
    assert item["return_reason"] == "Thiếu ảnh hiện trường sau khi vá"


def test_the_lead_unit_reads_each_coordinating_units_contribution_dieu_8_2_c(
        api: Api) -> None:
    w, c = api.world, api.client
    report_id = w.submit()
    w.to_handling(report_id, "complex")
    asked = c.post(f"/reports/{report_id}/coordination",
                   json={"unit_ids": [str(w.other_district), str(w.department)]},
                   headers=api.token(w.head))
    assert asked.status_code == 200, asked.text
    record = w.attachment(w.other_head, name="bien-ban-ba-dinh.jpg")
    sent = c.post(f"/reports/{report_id}/contributions",
                  json={"text": "Quận Ba Đình đã kiểm tra đoạn giáp ranh",
                        "evidence": [record]}, headers=api.token(w.other_head))
    assert sent.status_code == 200, sent.text
    api.sync()
    for who in (w.head, w.officer):
        units = {u["unit_id"]: u for u in
                 _get(api, f"/reports/{report_id}", who)["coordinating_units"]}
        assert set(units) == {str(w.other_district), str(w.department)}
        done = units[str(w.other_district)]
        assert done["text"] == "Quận Ba Đình đã kiểm tra đoạn giáp ranh"
        assert done["evidence"] == [record]
        assert done["contributed"]["actor_id"] == w.other_head.id
        assert done["requested"]["actor_id"] == w.head.id
        assert units[str(w.department)]["contributed"] is None
    (item,) = [i for i in _items(api, "/work-queue?mine=true", w.officer)
               if i["report_id"] == str(report_id)]
    assert item["item"] == "handling"
    assert {u["unit_id"]: u["text"] for u in item["coordinating_units"]} == {
        str(w.other_district): "Quận Ba Đình đã kiểm tra đoạn giáp ranh",
        str(w.department): None}


def test_rejection_and_escalation_reasons_and_who_decided_dieu_7_2(api: Api) -> None:
    w, c = api.world, api.client
    rejected, escalated = w.submit(), w.submit()
    r = c.post(f"/reports/{rejected}/rejection",
               json={"reason": "a", "note": "Thiếu vị trí cụ thể của ổ gà"},
               headers=api.token(w.receiver))
    assert r.status_code == 200, r.text
    r = c.post(f"/reports/{escalated}/escalation",
               json={"to_unit_id": str(w.city), "why": "Tuyến đường do Thành phố quản lý"},
               headers=api.token(w.receiver))
    assert r.status_code == 200, r.text
    api.sync()
    rejection = _get(api, f"/reports/{rejected}", w.head)["rejection"]
    assert rejection["reason"] == "a" and rejection["note"] == "Thiếu vị trí cụ thể của ổ gà"
    assert rejection["by"]["actor_id"] == w.receiver.id
    assert rejection["by"]["actor_role"] == "receiving_officer"
    assert rejection["by"]["actor_unit_id"] == str(w.district)
    (escalation,) = _get(api, f"/reports/{escalated}", w.centre_receiver)["escalations"]
    assert escalation == {"from_unit_id": str(w.district), "to_unit_id": str(w.city),
                          "why": "Tuyến đường do Thành phố quản lý",
                          "by": {**escalation["by"], "actor_id": w.receiver.id,
                                 "actor_role": "receiving_officer",
                                 "actor_unit_id": str(w.district)}}


def test_the_full_timeline_every_step_who_when_due_on_time_dieu_8_5_22(api: Api) -> None:
    w = api.world
    report_id = w.submit()
    api.world.app.clock.advance(hours=30)  # type: ignore[attr-defined]
    w.to_published(report_id)
    api.sync()
    timeline = _get(api, f"/reports/{report_id}", w.head)["timeline"]
    assert [s["step"] for s in timeline] == [
        "received", "accepted", "classified", "assigned", "result_proposed",
        "result_approved", "result_updated", "published"]
    assert [s["label"] for s in timeline][:2] == ["Tiếp nhận phản ánh", "Tiếp nhận xử lý"]
    received, accepted = timeline[0], timeline[1]
    assert received["actor_role"] == "citizen" and received["actor_id"] is None
    assert received["unit_id"] == str(w.district)
    assert received["opened"][0]["stage"] == "reception" and received["opened"][0]["due"]
    # Accepted 30 hours after receipt: the 8 working hours of reception are passed.
    assert accepted["actor_id"] == w.receiver.id and accepted["actor_role"] == "receiving_officer"
    assert accepted["actor_unit_id"] == str(w.district)
    assert accepted["actor_unit_name"] == "UBND quận Hoàn Kiếm"
    assert accepted["closed"][0]["stage"] == "reception" and accepted["on_time"] is False
    assert accepted["closed"][0]["due"] < accepted["at"]
    assigned = timeline[3]
    assert assigned["unit_id"] == str(w.division) and assigned["on_time"] is True
    assert assigned["unit_name"] == "Phòng Quản lý đô thị"
    assert assigned["opened"][0]["officer_id"] == w.officer.id


def test_a_unit_heads_audit_of_his_report_shows_its_whole_history_dieu_22(api: Api) -> None:
    """Before: only the events whose unit was his — the coordinating unit's contribution
    was missing from the lead unit's audit of its own report."""
    w = api.world
    report_id = w.submit()
    w.to_handling(report_id, "complex")
    w.app.handle(RequestCoordination(report_id, [w.other_district]), w.head)
    w.app.handle(Contribute(report_id, "Ý kiến của quận Ba Đình", ["cv.pdf"]), w.other_head)
    api.sync()
    rows = _items(api, f"/audit?report_id={report_id}", w.head)
    assert [r["event_type"] for r in rows] == [
        "Submitted", "Accepted", "Classified", "Assigned", "CoordinationRequested",
        "CoordinationContributed"]
    assert rows[-1]["actor_unit_id"] == str(w.other_district)
    other = w.submit()
    api.sync()
    refused = api.client.get(f"/audit?report_id={other}", headers=api.token(w.other_head))
    assert refused.status_code == 404
    export = api.client.get(f"/audit.csv?report_id={report_id}", headers=api.token(w.head))
    assert export.status_code == 200 and "CoordinationContributed" in export.text
    assert api.client.get(f"/audit.csv?report_id={other}",
                          headers=api.token(w.other_head)).status_code == 404


def test_a_step_not_known_yet_shows_with_a_fallback_label() -> None:
    """New Report events (other helpers' ResultUpdated, commune assignment…) appear at once."""
    from domain.report import Report
    from projections import report_timeline as t

    assert t.step_of("CommuneAssignmentMade") == ("commune_assignment_made", t.FALLBACK_LABEL)
    declared = {c.__name__ for c in t.report_event_classes()} - {"Event", "Created"}
    assert declared <= set(t.STEPS), "every event of today has its own label"
    assert set(t.model.handlers) >= {f"domain.report:Report.{n}" for n in declared}
    assert Report.Submitted in t.report_event_classes()
    row = {"event_type": "CommuneAssignmentMade", "version": 5, "at": None, "actor_id": "x",
           "actor_role": "unit_head", "actor_unit_id": None, "unit_id": None, "closed": [],
           "opened": [], "texts": {"note": "nội bộ"}, "details": {"commune_id": "c"}}
    public = t.public_step(row, {})
    assert public["label"] == t.FALLBACK_LABEL and public["details"] == {}
    assert "texts" not in public and "actor_id" not in public
    assert t.is_public("CommuneAssignmentMade") and not t.is_public("ResultReturned")


def test_the_public_process_of_every_report_not_hidden_dieu_14_2(api: Api) -> None:
    w, c = api.world, api.client
    report_id = w.submit(confidential=True)
    w.to_handling(report_id, "complex")
    w.app.handle(RequestCoordination(report_id, [w.other_district]), w.head)
    w.app.handle(Contribute(report_id, "Ý kiến phối hợp nội bộ", ["cv.pdf"]), w.other_head)
    w.app.handle(GrantExtension(report_id, 5, "Phải thẩm định theo luật"), w.head)
    w.app.handle(ProposeResult(report_id, "Đã vá xong ổ gà, mặt đường an toàn",
                               ["bien-ban.pdf"]), w.officer)
    assert c.post(f"/reports/{report_id}/result/return", json={"reason": "Thiếu ảnh nội bộ"},
                  headers=api.token(w.head)).status_code == 200
    w.app.handle(ProposeResult(report_id, "Đã vá xong ổ gà, có ảnh sau khi vá",
                               ["anh.jpg"]), w.officer)
    assert c.post(f"/reports/{report_id}/result/approval", headers=api.token(w.head)
                  ).status_code == 200
    assert c.post(f"/reports/{report_id}/result/update", json={"evidence": [w.attachment(w.officer)]},
                  headers=api.token(w.officer)).status_code == 200
    assert c.post(f"/reports/{report_id}/publication", headers=api.token(w.head)
                  ).status_code == 200
    assert c.post(f"/reports/{report_id}/rating", json={"rating": "acceptable",
                                                        "comment": "Tạm được"},
                  headers=api.token(w.citizen)).status_code == 200
    api.sync()
    timeline = _get(api, f"/public/reports/{report_id}/timeline")
    steps = [s["step"] for s in timeline["steps"]]
    assert steps == ["received", "accepted", "classified", "assigned", "coordination_requested",
                     "coordination_contributed", "extension_granted", "published", "rated"]
    by_step = {s["step"]: s for s in timeline["steps"]}
    assert by_step["accepted"]["details"] == {"handling_unit_id": str(w.district)}
    assert by_step["accepted"]["unit_name"] == "UBND quận Hoàn Kiếm"
    assert by_step["assigned"]["unit_id"] == str(w.division)
    assert by_step["coordination_requested"]["details"] == {"unit_ids": [str(w.other_district)]}
    assert set(by_step["extension_granted"]["details"]) == {"previous_due", "due"}
    assert by_step["rated"]["details"] == {"rating": "acceptable"}
    assert by_step["received"]["actor_role"] == "citizen"
    text = str(timeline)
    for private in ("nội bộ", "thẩm định", "Tạm được", w.officer.id, w.head.id,
                    str(w.reporter_id), "Phạm Thị Dung", "0912345678", "Hàng Bài"):
        assert private not in text
    assert c.post(f"/reports/{report_id}/hiding", json={"target": "report",
                                                        "reason": "Nội dung xúc phạm"},
                  headers=api.token(w.head)).status_code == 200
    api.sync()
    assert c.get(f"/public/reports/{report_id}/timeline").status_code == 404
    assert c.get(f"/public/reports/{UUID(int=7)}/timeline").status_code == 404
    received = w.submit()
    api.sync()
    assert [s["step"] for s in _get(api, f"/public/reports/{received}/timeline")["steps"]] \
        == ["received"]


def test_the_reporter_reads_no_field_his_get_hides_dieu_13(api: Api) -> None:
    """Item 7: the rating's answer carried the officer's id, which his GET hides."""
    w, c = api.world, api.client
    report_id = w.submit()
    w.to_published(report_id)
    rated = c.post(f"/reports/{report_id}/rating", json={"rating": "satisfied",
                                                         "comment": "Cảm ơn"},
                   headers=api.token(w.citizen))
    assert rated.status_code == 200, rated.text
    assert rated.json()["officer_id"] is None
    asked = c.post(f"/reports/{report_id}/clarifications", json={"question": "Khi nào xong?"},
                   headers=api.token(w.citizen))
    assert asked.json()["officer_id"] is None
    api.sync()
    mine = _get(api, f"/reports/{report_id}", w.citizen)
    assert mine["officer_id"] is None
    assert w.officer.id not in str(mine) and w.head.id not in str(mine)
    assert "result_proposed" not in {s["step"] for s in mine["timeline"]}
    assert [cl["question"] for cl in mine["clarifications"]] == ["Khi nào xong?"]
    assert mine["returns"] == [] and mine["coordinating_units"] == []
    staff = c.post(f"/reports/{report_id}/clarifications/answer",
                   json={"answer": "Trong tuần này"}, headers=api.token(w.head))
    assert staff.json()["officer_id"] == w.officer.id  # staff still read it


INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")


def _instants(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [i for v in value.values() for i in _instants(v)]
    if isinstance(value, list):
        return [i for v in value for i in _instants(v)]
    return [value] if isinstance(value, str) and INSTANT.match(value) else []


def test_every_instant_is_answered_in_one_iso_8601_form(api: Api) -> None:
    """Item 7: read models answered UTC ('Z'), commands +07:00, Open311 '+00:00'; now every
    instant of every JSON answer is ISO 8601 at Asia/Ho_Chi_Minh's offset, +07:00."""
    w, c = api.world, api.client
    report_id = w.submit()
    answers = [c.post(f"/reports/{report_id}/acceptance", json={},
                      headers=api.token(w.receiver)).json()]
    w.to_published(w.submit())
    alert = c.post("/alerts", headers=api.token(w.head), json={
        "category": "warning", "severity": "medium", "title": "Cắt điện khu vực Hàng Bài",
        "body": "Cắt điện từ 8 giờ đến 12 giờ để sửa chữa lưới điện.",
        "valid_from": "2026-03-02T02:00:00Z", "valid_until": "2026-03-04T10:00:00Z"})
    assert alert.status_code in (200, 201), alert.text
    assert alert.json()["valid_from"] == "2026-03-02T09:00:00+07:00"
    answers.append(alert.json())
    api.sync()
    head, citizen = w.head, w.citizen
    for path, who in ((f"/reports/{report_id}", head), ("/reports", head), ("/work-queue", head),
                      (f"/audit?report_id={report_id}", head), ("/overdue", head),
                      (f"/reports/{report_id}", citizen), ("/me/reports", citizen),
                      (f"/public/reports/{report_id}/timeline", None),
                      ("/public/results", None), ("/open311/v2/requests.json", None),
                      (f"/alerts/{alert.json()['id']}", head)):
        answers.append(_get(api, path, who))
    instants = _instants(answers)
    assert len(instants) > 20
    assert {i[19:].lstrip(".0123456789") for i in instants} == {"+07:00"}, instants
