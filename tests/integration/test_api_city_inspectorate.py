"""The city inspectorate (Thanh tra Thành phố, Điều 24) over HTTP: it reads waste-behaviour
reports city-wide, with their results, matters and audit trail, and changes nothing."""

from __future__ import annotations

import csv
import io
from typing import Any

from tests.integration.conftest import Api

WASTE = {"kind": "waste_behaviour", "category": "public_assets",
         "text": "Trụ sở phường bật điều hoà cả đêm khi không có người làm việc"}


def _problem(response: Any, status: int, rule: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["rule"] == rule


def test_the_city_inspectorate_reads_waste_reports_city_wide_and_changes_nothing_dieu_24(
        api: Api) -> None:
    w = api.world
    inspectorate = w.unit("Thanh tra Thành phố", "department", w.city)
    token = api.token(w.staff("Phan Văn Thanh", inspectorate, "city_inspector")[1])
    waste = w.submit(**WASTE)
    w.to_published(waste)
    other_district_waste = w.submit(receiving_unit_id=w.other_district, **WASTE)
    field = w.submit()
    w.to_published(field)
    api.sync()

    listed = api.client.get("/reports?limit=200", headers=token).json()["items"]
    assert {r["report_id"] for r in listed} == {str(waste), str(other_district_waste)}
    assert api.client.get("/reports?kind=field", headers=token).json()["items"] == []
    one = api.client.get(f"/reports/{waste}", headers=token)
    assert one.status_code == 200 and one.json()["status"] == "published"
    assert one.json()["result_text"]
    assert api.client.get(f"/reports/{field}", headers=token).status_code == 404
    matter = api.client.get(f"/reports/{waste}/matter", headers=token)
    assert [r["report_id"] for r in matter.json()["items"]] == [str(waste)]
    assert api.client.get(f"/reports/{field}/matter", headers=token).status_code == 404

    trail = api.client.get("/audit", headers=token).json()["items"]
    assert {r["report_id"] for r in trail} == {str(waste), str(other_district_waste)}
    assert [r["event_type"] for r in trail if r["report_id"] == str(waste)][-1] == "Published"
    assert api.client.get(f"/audit?report_id={field}", headers=token).json()["items"] == []
    exported = list(csv.DictReader(io.StringIO(api.client.get("/audit.csv",
                                                              headers=token).text)))
    assert {r["report_id"] for r in exported} == {str(waste), str(other_district_waste)}

    for path, body in ((f"/reports/{other_district_waste}/acceptance", {}),
                       (f"/reports/{field}/rejection", {"reason": "a", "note": "x"}),
                       (f"/reports/{waste}/hiding", {"target": "report", "reason": "x"}),
                       ("/reports", {**WASTE, "latitude": 21.0, "longitude": 105.8,
                                     "address": "Hà Nội", "receiving_unit_id": str(w.district)}),
                       ("/alerts", {"category": "warning", "severity": "low", "title": "t",
                                    "body": "b", "valid_from": "2026-03-02T09:00:00+07:00",
                                    "valid_until": "2026-03-04T17:00:00+07:00"}),
                       ("/units", {"name": "Phòng X", "level": "division",
                                   "parent_id": str(inspectorate)}),
                       ("/me/identity", {"email": "x@example.vn"})):
        _problem(api.client.post(path, json=body, headers=token), 403, "Điều 24")
    _problem(api.client.get("/overdue", headers=token), 403, "Điều 24")
    api.sync()
    assert len(api.client.get("/audit", headers=token).json()["items"]) == len(trail)  # no change
