"""Discovery over HTTP (issue 11 item 3): the unit tree to pick a receiving unit, a unit's
officers to assign work (Điều 8.1), the catalogue of categories per kind (Điều 1.2, 3.2, 3.7,
9, 10, 11), filters that refuse unknown values, and every list paged with a cursor."""

from __future__ import annotations

from typing import Any

import pytest

from application.commands import (
    Accept,
    AppointOfficer,
    Classify,
    CreateUnit,
    DissolveUnit,
    ProposeResult,
)
from domain.policy import DEFAULT_CATEGORIES
from tests.integration.conftest import ADMIN, Api, Clock
from tests.integration.test_api_paging import _walk

REPORT = {"kind": "field", "category": "traffic", "text": "Đèn tín hiệu hỏng ở ngã tư Tràng Thi",
          "latitude": 21.027, "longitude": 105.846, "address": "Ngã tư Tràng Thi"}


def _all(api: Api, path: str, limit: int, headers: dict[str, str] | None = None,
         **query: str) -> list[dict[str, Any]]:
    return [row for page in _walk(api, path, limit, headers, **query) for row in page]


# ----------------------------------------------------------------- the unit tree


def test_public_units_lists_the_tree_with_levels_depths_and_areas(api: Api) -> None:
    """A unit's area is the city, district or commune whose residents it serves (Điều 15–17):
    a district's division serves the district, a department the whole city."""
    w = api.world
    api.sync()
    units = {row["unit_id"]: row for row in _all(api, "/public/units", 200)}
    assert (units[str(w.city)]["depth"], units[str(w.city)]["level"]) == (0, "city")
    assert units[str(w.city)]["area_unit_id"] == str(w.city)
    assert (units[str(w.district)]["depth"], units[str(w.district)]["area_unit_id"]) == (
        1, str(w.district))
    assert units[str(w.division)]["parent_id"] == str(w.district)
    assert (units[str(w.division)]["depth"], units[str(w.division)]["area_unit_id"]) == (
        2, str(w.district))
    assert (units[str(w.ward)]["level"], units[str(w.ward)]["area_unit_id"]) == (
        "commune", str(w.ward))
    assert units[str(w.department)]["area_unit_id"] == str(w.city)
    assert units[str(w.centre)]["area_unit_id"] == str(w.city)
    whole = _all(api, "/public/units", 200)
    assert [(r["depth"], r["name"]) for r in whole] == sorted((r["depth"], r["name"])
                                                               for r in whole)
    for limit in (1, 2, 3):
        assert _all(api, "/public/units", limit) == whole


def test_public_units_filter_by_level_and_parent_and_hide_dissolved_units(api: Api) -> None:
    w = api.world
    closed = w.app.handle(CreateUnit("UBND phường Cũ", "commune", w.district), ADMIN)
    w.app.handle(DissolveUnit(closed.aggregate_id), ADMIN)
    api.sync()
    communes = _all(api, "/public/units", 10, level="commune", parent_id=str(w.district))
    assert [r["unit_id"] for r in communes] == [str(w.ward)]
    with_inactive = _all(api, "/public/units", 10, level="commune", include_inactive="true")
    assert {r["unit_id"]: r["active"] for r in with_inactive} == {
        str(w.ward): True, str(closed.aggregate_id): False}
    assert api.client.get("/public/units", params={"level": "province"}).status_code == 422


# ----------------------------------------------------------------- officers for assignment


def test_a_head_finds_his_divisions_officers_and_assigns_one_dieu_8_1(api: Api) -> None:
    """Điều 8.1.b–c: the head assigns a division of his unit and an officer there; the ids he
    needs come from the API, not from the database."""
    w = api.world
    second = w.app.handle(AppointOfficer("Bùi Thị Mai", w.division, "handling_officer"), ADMIN)
    report_id = w.submit()
    w.app.handle(Accept(report_id), w.receiver)
    w.app.handle(Classify(report_id, "normal"), w.head)
    api.sync()
    head = api.token(w.head)
    [division] = _all(api, "/public/units", 50, level="division", parent_id=str(w.district))
    officers = _all(api, f"/units/{division['unit_id']}/officers", 1, head)
    assert [(o["name"], o["role"]) for o in officers] == [
        ("Bùi Thị Mai", "handling_officer"), ("Lê Văn Minh", "handling_officer")]
    assert {o["officer_id"] for o in officers} == {str(second.aggregate_id), str(w.officer_id)}
    response = api.client.post(f"/reports/{report_id}/assignment", headers=head, json={
        "department_id": division["unit_id"], "officer_id": officers[0]["officer_id"]})
    assert response.status_code == 200, response.text
    assert response.json()["officer_id"] == str(second.aggregate_id)


def test_a_units_officers_are_filtered_by_role_and_hidden_from_other_units_dieu_25(
        api: Api) -> None:
    w = api.world
    api.sync()
    heads = _all(api, f"/units/{w.district}/officers", 10, api.token(w.head),
                 role="unit_head")
    assert [o["name"] for o in heads] == ["Nguyễn Văn Hùng"]
    other = api.client.get(f"/units/{w.district}/officers", headers=api.token(w.other_head))
    assert other.status_code == 404  # another district's staff do not exist for him
    unknown_role = api.client.get(f"/units/{w.district}/officers",
                                  headers=api.token(w.head), params={"role": "mayor"})
    assert unknown_role.status_code == 422


# ----------------------------------------------------------------- categories


def test_public_categories_are_the_policys_catalogue_per_kind_dieu_3_2(api: Api) -> None:
    everything = _all(api, "/public/categories", 200)
    assert {(r["kind"], r["code"]) for r in everything} == {
        (str(kind), code) for kind, table in DEFAULT_CATEGORIES.items() for code in table}
    for limit in (1, 4):
        assert _all(api, "/public/categories", limit) == everything
    field = _all(api, "/public/categories", 200, kind="field")
    assert {r["article"] for r in field} == {"Điều 3.2"}
    assert {r["code"]: r["name"] for r in field}["traffic"] == "An toàn giao thông"
    assert api.client.get("/public/categories", params={"kind": "complaint"}).status_code == 422


def test_open311_services_are_the_categories_of_the_catalogue(api: Api) -> None:
    """GeoReport v2 services are kind × category of the same catalogue, so no service leads
    to a submission the policy refuses."""
    services = api.client.get("/open311/v2/services.json").json()
    categories = _all(api, "/public/categories", 200)
    assert {(s["service_code"], s["service_name"]) for s in services} == {
        (f"{c['kind']}.{c['code']}", c["name"]) for c in categories}


@pytest.mark.parametrize(("kind", "category", "article"), [
    ("field", "lighting", "Điều 3.2"),
    ("administrative_regulation", "traffic", "Điều 3.7"),
    ("capital_initiative", "urban_order", "Điều 9"),
])
def test_a_submission_outside_its_kinds_catalogue_is_422_citing_the_article(
        api: Api, kind: str, category: str, article: str) -> None:
    w = api.world
    response = api.client.post("/reports", headers=api.token(w.citizen), json={
        **REPORT, "kind": kind, "category": category, "receiving_unit_id": str(w.district)})
    assert response.status_code == 422, response.text
    assert response.json()["rule"] == article


# ----------------------------------------------------------------- filters


def test_unknown_filter_values_are_422_not_an_empty_page(api: Api) -> None:
    w = api.world
    head = api.token(w.head)
    for path, query in [("/reports", {"kind": "complaint"}), ("/reports", {"status": "lost"}),
                        ("/reports", {"category": "lighting"}),
                        ("/reports", {"kind": "capital_initiative", "category": "traffic"}),
                        ("/public/results", {"kind": "complaint"}),
                        ("/public/results", {"category": "lighting"})]:
        response = api.client.get(path, params=query, headers=head)
        assert response.status_code == 422, (path, query, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
    assert api.client.get("/reports", params={"kind": "field", "status": "received",
                                              "category": "traffic"},
                          headers=head).status_code == 200


def test_the_category_filter_of_reports_selects_that_category(api: Api) -> None:
    w = api.world
    traffic = w.submit(category="traffic")
    environment = w.submit(category="environment")
    api.sync()
    head = api.token(w.head)
    found = _all(api, "/reports", 10, head, category="traffic")
    assert [r["report_id"] for r in found] == [str(traffic)]
    found = _all(api, "/reports", 10, head, category="environment", kind="field")
    assert [r["report_id"] for r in found] == [str(environment)]


# ----------------------------------------------------------------- paging


def test_the_work_queue_is_paged_with_a_cursor_soonest_due_first(api: Api, clock: Clock
                                                                  ) -> None:
    w = api.world
    reports = []
    for hour in (8, 8, 9, 10, 11):
        clock.set(2026, 3, 2, hour, 0)
        reports.append(w.submit())
    api.sync()
    head = api.token(w.head)
    [whole] = _walk(api, "/work-queue", 200, head)
    assert {r["report_id"] for r in whole} == {str(r) for r in reports}
    assert [r["due"] for r in whole] == sorted(r["due"] for r in whole)
    for limit in (1, 2, 3):
        assert _all(api, "/work-queue", limit, head) == whole
    officer = api.token(w.officer)
    for report_id in reports[:3]:
        w.to_handling(report_id)
    w.app.handle(ProposeResult(reports[0], "Đã sửa đèn tín hiệu", ["bien-ban.pdf"]),
                 w.officer)
    api.sync()
    mine = _all(api, "/work-queue", 1, officer, mine="true")
    assert {r["report_id"] for r in mine} == {str(r) for r in reports[1:3]}


def test_the_audit_trail_is_paged_with_a_cursor_in_event_order_dieu_22(api: Api) -> None:
    w = api.world
    for _ in range(3):
        w.to_published(w.submit())
    api.sync()
    inspector = api.token(w.staff("Trịnh Văn Quang", w.city, "inspector")[1])
    [whole] = _walk(api, "/audit", 5000, inspector)
    assert len(whole) > 20
    ids = [r["notification_id"] for r in whole]
    assert ids == sorted(ids)
    for limit in (7, 20):
        assert _all(api, "/audit", limit, inspector) == whole


@pytest.mark.parametrize("path", ["/work-queue", "/audit", "/public/units",
                                  "/public/categories", "/units/{district}/officers"])
def test_a_cursor_of_another_list_or_a_forged_one_is_422(api: Api, path: str) -> None:
    w = api.world
    for _ in range(2):
        w.submit()
    api.sync()
    head = api.token(w.head)
    path = path.replace("{district}", str(w.district))
    foreign = api.client.get("/reports", params={"limit": 1}, headers=head).json()["next_cursor"]
    for cursor in (foreign, "bm90IGEgY3Vyc29y", "WyJ3b3JrX3F1ZXVlcyBkdWUiLCAieCIsICJ5Il0="):
        response = api.client.get(path, params={"cursor": cursor}, headers=head)
        assert response.status_code == 422, (path, cursor, response.text)


def test_the_per_unit_lists_are_paged_with_a_cursor_too(api: Api, clock: Clock) -> None:
    """Rankings, statistics (Điều 18.4, seed 000 Điều 2.2.c), the alert cadence and the heads
    of units (seed 000 Điều 2.4): walked one page at a time, the same rows in the same order."""
    w = api.world
    for unit in (w.district, w.other_district, w.district):
        w.submit(receiving_unit_id=unit)
    clock.advance(days=4)  # and no alert sent: every unit is silent (seed 001 1.d)
    api.sync()
    inspector = api.token(w.staff("Trịnh Văn Quang", w.city, "inspector")[1])
    for path, query in [("/public/rankings", {"month": "2026-03"}),
                        ("/public/statistics", {"month": "2026-03"}),
                        ("/alerts/cadence", {}),
                        ("/periodic-reports/heads", {"month": "2026-03"})]:
        [whole] = _walk(api, path, 200, inspector, **query)
        assert len(whole) >= 2, path
        assert _all(api, path, 1, inspector, **query) == whole, path
    other_month = _walk(api, "/public/rankings", 1, month="2026-04")
    assert other_month == [[]]
    first = api.client.get("/public/rankings", params={"month": "2026-03", "limit": 1})
    cursor = first.json()["next_cursor"]
    response = api.client.get("/public/statistics", params={"month": "2026-03",
                                                            "cursor": cursor})
    assert response.status_code == 422  # a ranking's cursor is not the statistics'
