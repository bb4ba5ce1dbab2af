"""Open311 GeoReport v2 over the reports (issues 5 and 14; Điều 5, 6, 7, 12, 28.1), tests
named after the spec's sections (wiki.open311.org/GeoReport_v2).

Every answer is checked against the GeoReport v2 field lists: each field present with its
type; our states map to ``open`` / ``closed`` (published, rejected and duplicate reports are
closed), ``expected_datetime`` is the due instant of the report's current stage. XML answers
are parsed with the standard library against the spec's element names, and an independent
client from PyPI (``georeport``) reads both formats.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID
from xml.etree import ElementTree

import georeport.georeport
import pytest

from application.commands import Reject
from domain.report import Report
from domain.reporter import Reporter
from tests.integration.conftest import ADMIN, Api, Clock

BASE = "/open311/v2"
NULLABLE_TEXT = (str, type(None))
#: GeoReport v2 "GET Service Requests" fields and their JSON types.
REQUEST_FIELDS: dict[str, tuple[type, ...]] = {
    "service_request_id": (str,), "status": (str,), "status_notes": NULLABLE_TEXT,
    "service_name": NULLABLE_TEXT, "service_code": (str,), "description": NULLABLE_TEXT,
    "agency_responsible": NULLABLE_TEXT, "service_notice": NULLABLE_TEXT,
    "requested_datetime": (str,), "updated_datetime": NULLABLE_TEXT,
    "expected_datetime": NULLABLE_TEXT, "address": NULLABLE_TEXT, "address_id": NULLABLE_TEXT,
    "zipcode": NULLABLE_TEXT, "lat": (float, type(None)), "long": (float, type(None)),
    "media_url": NULLABLE_TEXT}
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


def test_get_service_list_and_service_definition(api: Api) -> None:
    """GET Service List / GET Service Definition: services are the kinds and categories of
    report (Điều 1.2); each asks the citizen ID (Điều 5.5, required from partners), the
    instant of the event and confidentiality; an unknown service is a GeoReport 404."""
    services = api.client.get(f"{BASE}/services.json").json()
    assert len(services) >= 5
    for service in services:
        _conforms(service, SERVICE_FIELDS)
        assert service["type"] in ("realtime", "batch", "blackbox")
        assert service["metadata"] is True
        definition = api.client.get(f"{BASE}/services/{service['service_code']}.json").json()
        assert definition["service_code"] == service["service_code"]
        codes = {a["code"]: a for a in definition["attributes"]}
        assert set(codes) == {"citizen_id", "occurred_at", "confidential"}
        assert codes["citizen_id"]["required"] is True
        assert codes["confidential"]["values"] == [{"key": "false", "name": "Không"},
                                                   {"key": "true", "name": "Có"}]
    kinds = {s["service_code"].split(".")[0] for s in services}
    assert kinds == {"field", "administrative_regulation", "waste_behaviour",
                     "investor_enterprise", "capital_initiative"}
    unknown = api.client.get(f"{BASE}/services/complaint.json")
    assert unknown.status_code == 404
    _georeport_error(unknown, 404)


def test_post_service_request_with_a_citizens_token_goes_to_the_service_centre_dieu_5_6(
        api: Api) -> None:
    """POST Service Request (form-encoded, a citizen's own token): the city service centre
    receives it; while the read models do not show it yet (nothing follows the store here)
    the answer is a ``token``, which GET tokens/{token} resolves once they do; the notice of
    the 8-hour reception period and the account."""
    w = api.world
    api.sync()
    response = api.client.post(f"{BASE}/requests.json", data=FORM, headers=api.token(w.citizen))
    assert response.status_code == 201, response.text
    [created] = response.json()
    assert set(created) == {"service_request_id", "token", "service_notice", "account_id"}
    assert created["service_request_id"] is None and created["token"]
    assert created["account_id"] == str(w.reporter_id)
    report = w.app.load(UUID(created["token"]), Report)
    assert report.receiving_unit_id == w.centre
    assert (report.kind, report.category) == ("field", "environment")
    api.sync()
    [resolved] = api.client.get(f"{BASE}/tokens/{created['token']}.json").json()
    assert resolved == {"service_request_id": str(report.id), "token": created["token"]}
    [listed] = api.client.get(f"{BASE}/requests/{resolved['service_request_id']}.json").json()
    assert _request(listed)["status"] == "open"
    assert listed["agency_responsible"] == "Trung tâm Phục vụ hành chính công"
    assert listed["service_code"] == "field.environment"


def _posted(api: Api, form: dict[str, str]) -> dict[str, Any]:
    """POST a request with the citizen's token; the GET of it once the read models follow."""
    api.sync()
    response = api.client.post(f"{BASE}/requests.json", data=form,
                               headers=api.token(api.world.citizen))
    assert response.status_code == 201, response.text
    [created] = response.json()
    api.sync()
    report_id = created["service_request_id"] or created["token"]
    [listed] = api.client.get(f"{BASE}/requests/{report_id}.json").json()
    return _request(listed)


def test_an_address_alone_suffices_open311_georeport_v2(api: Api) -> None:
    """POST Service Request: "lat/long or address_string" — an address alone is a place
    (Điều 6.1); the request answers empty lat/long, in JSON and XML."""
    form = {k: v for k, v in FORM.items() if k not in ("lat", "long")}
    listed = _posted(api, form)
    assert (listed["lat"], listed["long"]) == (None, None)
    assert listed["address"] == "Đinh Tiên Hoàng, Hoàn Kiếm"
    xml = api.client.get(f"{BASE}/requests/{listed['service_request_id']}.xml")
    assert xml.status_code == 200, xml.text
    element = ElementTree.fromstring(xml.content).find("request")
    assert element is not None and not (element.findtext("lat") or "").strip()


def test_coordinates_alone_suffice_open311_georeport_v2(api: Api) -> None:
    """POST Service Request: lat and long in Hà Nội without address_string are a place."""
    listed = _posted(api, {k: v for k, v in FORM.items() if k != "address_string"})
    assert (listed["lat"], listed["long"]) == (21.0288, 105.8525)
    assert listed["address"] is None


def test_neither_coordinates_nor_an_address_is_a_400_naming_dieu_6_1(api: Api) -> None:
    """POST Service Request: no place (address_id is not supported), or half a pair of
    coordinates, is a GeoReport 400 naming Điều 6.1."""
    api.sync()
    bare = {k: v for k, v in FORM.items() if k not in ("lat", "long", "address_string")}
    for form in (bare, {**bare, "address_id": "12345"}, {**bare, "lat": "21.0288"},
                 {**bare, "address_string": "   "}):
        [error] = _georeport_error(api.client.post(
            f"{BASE}/requests.json", data=form, headers=api.token(api.world.citizen)), 400)
        assert "Điều 6.1" in error["description"], error


def _georeport_error(response: Any, status: int) -> list[dict[str, Any]]:
    """Errors: GeoReport's form, a list of {code, description} (not problem+json)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    errors = response.json()
    assert isinstance(errors, list) and errors
    assert all(set(e) == {"code", "description"} and e["code"] == status for e in errors)
    return errors


def test_errors_are_georeport_lists_with_400_for_missing_or_invalid_fields(api: Api) -> None:
    """Errors: no api_key nor token → 403; an unknown service → 404; a missing coordinate or
    an invalid status → 400 naming it; the XML twin answers <errors><error>."""
    w = api.world
    api.sync()
    _georeport_error(api.client.post(f"{BASE}/requests.json", data=FORM), 403)
    _georeport_error(api.client.post(f"{BASE}/requests.json", data={**FORM, "service_code": "x.y"},
                                     headers=api.token(w.citizen)), 404)
    missing = {k: v for k, v in FORM.items() if k != "lat"}
    [error] = _georeport_error(api.client.post(f"{BASE}/requests.json", data=missing,
                                               headers=api.token(w.citizen)), 400)
    assert "lat" in error["description"]
    [error] = _georeport_error(api.client.get(f"{BASE}/requests.json",
                                              params={"status": "pending"}), 400)
    assert error["description"].startswith("status:")
    xml = api.client.get(f"{BASE}/requests.xml", params={"status": "pending"})
    assert xml.status_code == 400 and xml.headers["content-type"].startswith("text/xml")
    root = ElementTree.fromstring(xml.content)
    assert root.tag == "errors" and [e.tag for e in root] == ["error"]
    assert root.find("error/code").text == "400" and root.find("error/description").text


def test_jurisdiction_id_is_the_citys_or_404(api: Api) -> None:
    """Every resource takes jurisdiction_id: the city's (or none) answers, another is 404."""
    assert api.client.get(f"{BASE}/services.json",
                          params={"jurisdiction_id": "hanoi.gov.vn"}).status_code == 200
    for path in ("services.json", "requests.json", "discovery.json",
                 "services/field.traffic.json"):
        _georeport_error(api.client.get(f"{BASE}/{path}", params={"jurisdiction_id": "hcm"}),
                         404)
    xml = api.client.get(f"{BASE}/services.xml", params={"jurisdiction_id": "hcm"})
    assert xml.status_code == 404 and ElementTree.fromstring(xml.content).tag == "errors"
    refused = api.client.post(f"{BASE}/requests.json", data={**FORM, "jurisdiction_id": "hcm"},
                              headers=api.token(api.world.citizen))
    _georeport_error(refused, 404)


def test_service_discovery_in_json_and_xml(api: Api) -> None:
    """Service Discovery: the GeoReport v2 endpoint, its formats, where keys are issued."""
    discovery = api.client.get(f"{BASE}/discovery.json").json()
    [endpoint] = discovery["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2")
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    xml = api.client.get(f"{BASE}/discovery.xml")
    assert xml.headers["content-type"] == "text/xml; charset=utf-8"
    assert xml.content.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    root = ElementTree.fromstring(xml.content)
    assert root.tag == "discovery"
    assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == [
        "text/xml", "application/json"]


def _issue_key(api: Api, name: str = "Ứng dụng đối tác") -> dict[str, Any]:
    issued = api.client.post("/partner-applications", json={"name": name},
                             headers=api.token(ADMIN))
    assert issued.status_code == 201, issued.text
    return issued.json()


CONTACT = {"email": "lan.nguyen@example.vn", "first_name": "Lan", "last_name": "Nguyễn Thị",
           "phone": "0912345678", "device_id": "device-1", "attribute[citizen_id]": "001190012345"}


def test_post_service_request_with_an_api_key_creates_or_matches_the_reporter_dieu_5_5_28_1(
        api: Api) -> None:
    """POST Service Request with api_key: an administrator issues the key (shown once, only
    its SHA-256 recorded); the contact fields and attribute[citizen_id] register the
    reporter with the full identity of Điều 5.5 on first use and match him afterwards; a
    request without the citizen ID is a 400 naming it and Điều 5.5; a revoked or made-up key
    is a 403; the administrator's list shows the application revoked, never its key."""
    w = api.world
    api.sync()
    key = _issue_key(api)
    assert key["api_key"].startswith(f"{key['id']}.")
    form = {**FORM, **CONTACT, "api_key": key["api_key"]}
    first = api.client.post(f"{BASE}/requests.json", data=form)
    assert first.status_code == 201, first.text
    [one] = first.json()
    report = w.app.load(UUID(one["token"] or one["service_request_id"]), Report)
    reporter = w.app.load(report.reporter_id, Reporter)
    assert reporter.identity == {"name": "Nguyễn Thị Lan", "phone": "0912345678",
                                 "email": "lan.nguyen@example.vn", "national_id": "001190012345"}
    assert one["account_id"] == str(reporter.id)
    second = api.client.post(f"{BASE}/requests.xml", data=form)
    assert second.status_code == 201 and second.headers["content-type"].startswith("text/xml")
    answer = ElementTree.fromstring(second.content)
    assert answer.tag == "service_requests"
    assert answer.find("request/account_id").text == str(reporter.id)
    no_id = {k: v for k, v in form.items() if k != "attribute[citizen_id]"}
    [error] = _georeport_error(api.client.post(f"{BASE}/requests.json", data=no_id), 400)
    assert "attribute[citizen_id]" in error["description"] and "Điều 5.5" in error["description"]
    no_email = {k: v for k, v in form.items() if k != "email"}
    no_email["attribute[citizen_id]"] = "001190099999"
    [error] = _georeport_error(api.client.post(f"{BASE}/requests.json", data=no_email), 400)
    assert "e-mail" in error["description"] and "Điều 5.5" in error["description"]
    made_up = f"{key['id']}.not-the-secret"
    _georeport_error(api.client.post(f"{BASE}/requests.json",
                                     data={**form, "api_key": made_up}), 403)
    _georeport_error(api.client.post(f"{BASE}/requests.json",
                                     data={**form, "api_key": "nonsense"}), 403)
    revoked = api.client.post(f"/partner-applications/{key['id']}/revocation",
                              headers=api.token(ADMIN))
    assert revoked.status_code == 200, revoked.text
    _georeport_error(api.client.post(f"{BASE}/requests.json", data=form), 403)
    again = api.client.post(f"/partner-applications/{key['id']}/revocation",
                            headers=api.token(ADMIN))
    assert again.status_code == 409
    api.sync()
    listed = api.client.get("/partner-applications", headers=api.token(ADMIN))
    assert listed.status_code == 200, listed.text
    [partner] = listed.json()["items"]
    assert (partner["partner_id"], partner["name"]) == (key["id"], "Ứng dụng đối tác")
    assert partner["revoked_at"] is not None and "api_key" not in listed.text
    assert key["api_key"].split(".")[1] not in listed.text


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


def test_get_service_requests_filters_by_date_status_service_and_id(
        api: Api, clock: Clock) -> None:
    """GET Service Requests: start_date/end_date bound the submission instant (at most 90
    days apart), status takes open, closed or both, service_code a list, service_request_id
    (comma-separated) overrides the other filters; GET Service Request answers a list of one,
    or 404."""
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
    assert set(_requests(api, service_code="field.traffic,field.urban_order")) == set(ids.values())
    _georeport_error(api.client.get(f"{BASE}/requests.json", params={"status": "pending"}), 400)
    _georeport_error(api.client.get(f"{BASE}/requests.json", params={
        "start_date": (boundary - timedelta(days=91)).isoformat(),
        "end_date": boundary.isoformat()}), 400)
    [one] = api.client.get(f"{BASE}/requests/{late_open}.json").json()
    assert _request(one)["service_request_id"] == ids[late_open]
    for unknown in (UUID(int=7), "not-an-id"):
        _georeport_error(api.client.get(f"{BASE}/requests/{unknown}.json"), 404)


def _xml_requests(api: Api, path: str, **params: str) -> list[dict[str, str | None]]:
    """GET Service Request(s) in XML, read with the standard library by the spec's names."""
    response = api.client.get(f"{BASE}/{path}", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    root = ElementTree.fromstring(response.content)
    assert root.tag == "service_requests"
    assert {r.tag for r in root} <= {"request"}
    items = [{child.tag: child.text for child in request} for request in root]
    for item in items:
        assert set(item) == set(REQUEST_FIELDS)
        assert item["status"] in ("open", "closed")
    return items


def test_every_resource_answers_xml_as_well_as_json(api: Api) -> None:
    """Formats: XML (the spec's required format) holds what JSON holds, element per field;
    a published report's media_url is the public copy of its uploaded photo (without EXIF,
    served), or its media URL; the others have none (Điều 12.3: nothing of a report is
    public before its result)."""
    w = api.world
    photo = w.attachment(w.citizen)
    with_photo = w.submit(media=["note.pdf", photo])
    w.to_published(with_photo)
    published = w.submit(media=["https://media.ihanoi.vn/a/1.jpg", "note.pdf"])
    w.to_published(published)
    received = w.submit(media=["https://media.ihanoi.vn/a/2.jpg"])
    api.sync()
    as_json = _requests(api)
    as_xml = {r["service_request_id"]: r for r in _xml_requests(api, "requests.xml")}
    assert set(as_xml) == set(as_json)
    assert as_xml[str(published)]["media_url"] == "https://media.ihanoi.vn/a/1.jpg"
    assert as_json[str(published)]["media_url"] == "https://media.ihanoi.vn/a/1.jpg"
    public_copy = f"http://testserver/public/attachments/{photo}"
    assert as_json[str(with_photo)]["media_url"] == as_xml[str(with_photo)]["media_url"] \
        == public_copy
    served = api.client.get(public_copy)
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    assert as_json[str(received)]["media_url"] is None
    assert as_xml[str(received)]["media_url"] is None
    assert float(as_xml[str(received)]["lat"]) == as_json[str(received)]["lat"]
    [one] = _xml_requests(api, f"requests/{received}.xml")
    assert one["service_request_id"] == str(received) and one["status"] == "open"
    services = ElementTree.fromstring(api.client.get(f"{BASE}/services.xml").content)
    assert services.tag == "services"
    first = services.find("service")
    assert first is not None and first.find("metadata").text == "true"
    code = first.find("service_code").text
    definition = ElementTree.fromstring(api.client.get(f"{BASE}/services/{code}.xml").content)
    assert definition.tag == "service_definition"
    assert [a.find("code").text for a in definition.findall("attributes/attribute")] == [
        "citizen_id", "occurred_at", "confidential"]
    assert [v.find("key").text for v in definition.findall(
        "attributes/attribute/values/value")] == ["false", "true"]


@pytest.mark.parametrize("output_format", ["json", "xml"])
def test_an_independent_georeport_client_reads_both_formats(
        api: Api, monkeypatch: pytest.MonkeyPatch, output_format: str) -> None:
    """The ``georeport`` package from PyPI (a GeoReport v2 client we did not write) lists
    the services, reads a definition, the requests and one request, in JSON and in XML."""
    w = api.world
    report_id = w.submit()
    api.sync()
    monkeypatch.setattr(georeport.georeport, "requests", api.client)
    client = georeport.georeport.GeoReport("http://testserver/open311/v2",
                                           jurisdiction="hanoi.gov.vn",
                                           output_format=output_format)
    services = client.get_service_list()
    codes = [s["service_code"] for s in services]
    assert "field.urban_order" in codes
    definition = client.get_service_definition("field.urban_order")
    assert definition["service_code"] == "field.urban_order"
    listed = client.get_service_requests(status="open")
    listed = listed if isinstance(listed, list) else [listed]  # xmltodict: one is a dict
    assert str(report_id) in {r["service_request_id"] for r in listed}
    one = client.get_service_request(str(report_id))
    assert one["service_request_id"] == str(report_id) and one["status"] == "open"
    assert one["service_code"] == "field.urban_order"
