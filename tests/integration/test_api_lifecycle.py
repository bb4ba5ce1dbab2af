"""End to end over HTTP: a field report from submission to rating (Điều 5–13)."""

from __future__ import annotations

from uuid import UUID

import pytest
from eventsourcing.domain import Aggregate

from application.aggregates import Aggregates
from application.commands import Accept, ApproveResult, Classify, ProposeResult
from tests.integration.conftest import Api


def test_field_report_end_to_end_over_http_dieu_7_8_12_13(api: Api) -> None:
    w, c = api.world, api.client
    citizen, receiver, head, officer = (api.token(a) for a in
                                        (w.citizen, w.receiver, w.head, w.officer))
    body = {"kind": "field", "category": "infrastructure",
            "text": "Ổ gà lớn trước số 12 Hàng Bài, nguy hiểm cho xe máy",
            "latitude": 21.0245, "longitude": 105.8532, "address": "12 Hàng Bài",
            "receiving_unit_id": str(w.district), "media": [w.attachment(w.citizen)]}
    r = c.post("/reports", json=body, headers=citizen)
    assert r.status_code == 201, r.text
    report_id = r.json()["id"]
    assert r.json()["stage"] == "reception" and r.headers["ETag"] == '"1"'

    def step(path: str, who: dict[str, str], json: dict | None = None) -> dict:
        response = c.post(f"/reports/{report_id}/{path}", json=json or {}, headers=who)
        assert response.status_code == 200, response.text
        return response.json()

    step("acceptance", receiver)
    api.sync()
    assert c.get(f"/reports/{report_id}", headers=head).json()["status"] == "accepted"
    step("classification", head, {"urgency": "normal"})
    state = step("assignment", head, {"department_id": str(w.division),
                                      "officer_id": str(w.officer_id)})
    assert state["stage"] == "handling" and state["officer_id"] == w.officer.id
    step("result", officer, {"text": "Đã vá ổ gà", "evidence": [w.attachment(w.officer)]})
    step("result/return", head, {"reason": "Thiếu ảnh sau khi vá"})
    api.sync()
    assert c.get(f"/reports/{report_id}", headers=officer).json()["status"] == "in_rework"
    step("result", officer, {"text": "Đã vá ổ gà, có ảnh",
                             "evidence": [w.attachment(w.officer)]})
    step("result/approval", head)
    state = step("result/update", officer, {"evidence": [w.attachment(w.officer)]})
    assert (state["status"], state["stage"]) == ("result_updated", "publication")
    assert c.get(f"/public/results/{report_id}").status_code == 404
    step("publication", head)
    api.sync()
    public = c.get(f"/public/results/{report_id}")
    assert public.status_code == 200 and public.json()["result_text"] == "Đã vá ổ gà, có ảnh"
    state = step("rating", citizen, {"rating": "satisfied", "comment": "Cảm ơn"})
    assert state["rating"] == "satisfied"
    api.sync()
    mine = c.get("/me/reports", headers=citizen).json()["items"]
    assert [m["report_id"] for m in mine] == [report_id] and mine[0]["rating"] == "satisfied"


def test_result_without_evidence_is_a_problem_naming_dieu_12_2(api: Api) -> None:
    w = api.world
    report_id = w.submit()
    w.to_handling(report_id)
    w.app.handle(ProposeResult(report_id, "Đã xử lý xong ổ gà", []), w.officer)
    w.app.handle(ApproveResult(report_id), w.head)
    r = api.client.post(f"/reports/{report_id}/result/update", json={"evidence": []},
                        headers=api.token(w.officer))
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["rule"] == "Điều 12.2"


def test_the_caller_is_read_once_per_command_request_dieu_25(api: Api,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Điều 25: the caller's officer is read once per request (the token check gives the
    actor), the report once (may he see it?), the assigned officer with his division once;
    the response is the state the command saved, not read again."""
    w = api.world
    report_id = w.submit()
    w.app.handle(Accept(report_id), w.receiver)
    w.app.handle(Classify(report_id, "normal"), w.head)
    reads: list[tuple[UUID, ...]] = []
    read = Aggregates.read

    def counted(self: Aggregates, *ids: UUID) -> dict[UUID, Aggregate]:
        reads.append(ids)
        return read(self, *ids)

    monkeypatch.setattr(Aggregates, "read", counted)
    response = api.client.post(f"/reports/{report_id}/assignment", headers=api.token(w.head),
                               json={"department_id": str(w.division),
                                     "officer_id": str(w.officer_id)})
    assert response.status_code == 200, response.text
    assert reads == [(UUID(w.head.id),), (report_id,), (w.officer_id, w.division)]
