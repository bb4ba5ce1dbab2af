"""Open311 GeoReport v2 (JSON) over the reports (issue 5; Điều 5, 6, 7, 12).

Every answer is checked against the GeoReport v2 field lists: each field present with its
type; our states map to ``open`` / ``closed`` (published, rejected and duplicate reports are
closed), ``expected_datetime`` is the due instant of the report's current stage.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from application.commands import Reject
from domain.report import Report
from tests.integration.conftest import Api, Clock

BASE = "/open311/v2"
NULLABLE_TEXT = (str, type(None))
#: GeoReport v2 "GET Service Requests" fields and their JSON types.
REQUEST_FIELDS: dict[str, tuple[type, ...]] = {
    "service_request_id": (str,), "status": (str,), "status_notes": NULLABLE_TEXT,
    "service_name": NULLABLE_TEXT, "service_code": (str,), "description": NULLABLE_TEXT,
    "agency_responsible": NULLABLE_TEXT, "service_notice": NULLABLE_TEXT,
    "requested_datetime": (str,), "updated_datetime": NULLABLE_TEXT,
    "expected_datetime": NULLABLE_TEXT, "address": NULLABLE_TEXT, "address_id": NULLABLE_TEXT,
    "zipcode": NULLABLE_TEXT, "lat": (float,), "long": (float,), "media_url": NULLABLE_TEXT}
SERVICE_FIELDS: dict[str, tuple[type, ...]] = {
    "service_code": (str,), "service_name": (str,), "description": NULLABLE_TEXT,
    "metadata": (bool,), "type": (str,), "keywords": NULLABLE_TEXT, "group": NULLABLE_TEXT}
FORM = {"service_code": "field.environment", "lat": "21.0288", "long": "105.8525",
        "description": "Rác thải đổ trộm bên bờ hồ Hoàn Kiếm",
        "address_string": "Đinh Tiên Hoàng, Hoàn Kiếm"}


def _conforms(item: dict[str, Any], fields: dict[str, tuple[type, ...]]) -> None:
    missing = set(fields) - set(item)
    assert not missing, f"missing GeoReport fields {missing}"
    for name, types in fields.items():
        assert isinstance(item[name], types), (name, item[name])


def _request(item: dict[str, Any]) -> dict[str, Any]:
    """A GeoReport service request, validated: fields, status values, W3C datetimes."""
    _conforms(item, REQUEST_FIELDS)
    assert item["status"] in ("open", "closed")
    for name in ("requested_datetime", "updated_datetime", "expected_datetime"):
        if item[name] is not None:
            assert datetime.fromisoformat(item[name]).tzinfo is not None, name
    return item


def _requests(api: Api, **params: str) -> dict[str, dict[str, Any]]:
    response = api.client.get(f"{BASE}/requests.json", params=params)
    assert response.status_code == 200, response.text
    return {r["service_request_id"]: _request(r) for r in response.json()}


def test_service_list_and_definitions_follow_georeport_v2(api: Api) -> None:
    """Services are the kinds and categories of report (Điều 1.2); none asks extra
    attributes; an unknown service is a 404 problem."""
    services = api.client.get(f"{BASE}/services.json").json()
    assert len(services) >= 5
    for service in services:
        _conforms(service, SERVICE_FIELDS)
        assert service["type"] in ("realtime", "batch", "blackbox")
        definition = api.client.get(f"{BASE}/services/{service['service_code']}.json")
        assert definition.json() == {"service_code": service["service_code"], "attributes": []}
    kinds = {s["service_code"].split(".")[0] for s in services}
    assert kinds == {"field", "administrative_regulation", "waste_behaviour",
                     "investor_enterprise", "capital_initiative"}
    unknown = api.client.get(f"{BASE}/services/complaint.json")
    assert unknown.status_code == 404
    assert unknown.headers["content-type"].startswith("application/problem+json")


def test_a_posted_request_goes_to_the_service_centre_dieu_5_6(api: Api) -> None:
    """POST requests.json (form-encoded, a citizen's token): the city service centre receives
    it; the answer gives its id, a notice of the 8-hour reception period and the account."""
    w = api.world
    api.sync()
    response = api.client.post(f"{BASE}/requests.json", data=FORM, headers=api.token(w.citizen))
    assert response.status_code == 201, response.text
    [created] = response.json()
    assert set(created) == {"service_request_id", "service_notice", "account_id"}
    assert created["account_id"] == str(w.reporter_id)
    report = w.app.load(UUID(created["service_request_id"]), Report)
    assert report.receiving_unit_id == w.centre
    assert (report.kind, report.category) == ("field", "environment")
    api.sync()
    [listed] = api.client.get(f"{BASE}/requests/{created['service_request_id']}.json").json()
    assert _request(listed)["status"] == "open"
    assert listed["agency_responsible"] == "Trung tâm Phục vụ hành chính công"
    assert listed["service_code"] == "field.environment"


def test_a_posted_request_is_refused_as_georeport_clients_expect(api: Api) -> None:
    """No token → 401; an unknown service → 404; a missing coordinate → 422 naming it."""
    w = api.world
    api.sync()
    assert api.client.post(f"{BASE}/requests.json", data=FORM).status_code == 401
    unknown = api.client.post(f"{BASE}/requests.json", data={**FORM, "service_code": "x.y"},
                              headers=api.token(w.citizen))
    assert unknown.status_code == 404
    missing = {k: v for k, v in FORM.items() if k != "lat"}
    invalid = api.client.post(f"{BASE}/requests.json", data=missing,
                              headers=api.token(w.citizen))
    assert invalid.status_code == 422
    assert ["body", "lat"] in [e["loc"] for e in invalid.json()["errors"]]


def test_states_map_to_open_and_closed_with_the_current_stage_due_dieu_7_8_12(
        api: Api, clock: Clock) -> None:
    """Published and rejected reports are closed; the others open, with status notes,
    the responsible unit and ``expected_datetime`` = the current stage's due instant. The
    report's text is public only with its published result (Điều 12.3)."""
    w = api.world
    received, in_handling, published, rejected = (w.submit() for _ in range(4))
    w.to_handling(in_handling)
    w.to_published(published)
    w.app.handle(Reject(rejected, "e", "Nội dung quảng cáo"), w.receiver)
    api.sync()
    requests = _requests(api)
    assert {str(r) for r in (received, in_handling, published, rejected)} <= set(requests)
    statuses = {r: requests[str(r)]["status"] for r in (received, in_handling, published,
                                                          rejected)}
    assert statuses == {received: "open", in_handling: "open", published: "closed",
                        rejected: "closed"}
    for report_id in (received, in_handling):
        item, report = requests[str(report_id)], w.app.load(report_id, Report)
        assert datetime.fromisoformat(item["expected_datetime"]) == report.stage.due
        assert item["description"] is None
    assert requests[str(in_handling)]["status_notes"] == "Đang xử lý"
    assert requests[str(in_handling)]["agency_responsible"] == "UBND quận Hoàn Kiếm"
    assert requests[str(published)]["expected_datetime"] is None
    assert requests[str(published)]["description"] == "Ổ gà lớn giữa phố Hàng Bài, rất nguy hiểm"
    assert requests[str(rejected)]["status_notes"] == "Từ chối tiếp nhận"
    assert requests[str(received)]["service_code"] == "field.urban_order"
    assert requests[str(received)]["lat"] == 21.0245


def test_request_list_filters_by_date_status_and_id(api: Api, clock: Clock) -> None:
    """GET requests.json: start_date/end_date bound the submission instant, status takes
    open, closed or both, service_request_id (comma-separated) overrides the other filters;
    GET requests/{id}.json answers a list of one, or 404."""
    w = api.world
    early = w.submit()
    clock.advance(days=2)
    boundary = clock.now
    late_open, late_closed = w.submit(), w.submit()
    w.to_published(late_closed)
    api.sync()
    ids = {r: str(r) for r in (early, late_open, late_closed)}
    assert set(_requests(api, start_date=boundary.isoformat())) == {ids[late_open],
                                                                    ids[late_closed]}
    assert set(_requests(api, end_date=(boundary - timedelta(hours=1)).isoformat())) == {
        ids[early]}
    assert set(_requests(api, status="open")) == {ids[early], ids[late_open]}
    assert set(_requests(api, status="closed")) == {ids[late_closed]}
    assert len(_requests(api, status="open,closed")) == 3
    assert set(_requests(api, service_request_id=f"{early},{late_closed}",
                         status="open")) == {ids[early], ids[late_closed]}
    assert set(_requests(api, service_code="field.traffic")) == set()
    assert api.client.get(f"{BASE}/requests.json", params={"status": "pending"}).status_code \
        == 422
    [one] = api.client.get(f"{BASE}/requests/{late_open}.json").json()
    assert _request(one)["service_request_id"] == ids[late_open]
    for unknown in (UUID(int=7), "not-an-id"):
        missing = api.client.get(f"{BASE}/requests/{unknown}.json")
        assert missing.status_code == 404
        assert missing.headers["content-type"].startswith("application/problem+json")
