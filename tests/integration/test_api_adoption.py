"""The adoption-progress form over HTTP (issue 13 item 4; seed 001 1.a, 1.c; seed 003 annex
"BIỂU TỔNG HỢP TIẾN ĐỘ CÀI ĐẶT, SỬ DỤNG ỨNG DỤNG iHANOI"): units enter their figures per round,
a later entry corrects the earlier, the form rolls the totals up the unit tree with the
round's due, the staff target and the late flags, and its workbook keeps the form's layout."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date
from typing import Any
from uuid import UUID

from openpyxl import load_workbook

from api.adoption import FIGURES, TOTAL
from api.exports import XLSX
from application.commands import AdoptPolicy
from domain.actors import Actor, Role
from domain.adoption import FORM_RULE, WHO_RULE
from domain.policy import ADOPTION_ROUNDS_RULE, DEFAULT_POLICY, AdoptionPolicy
from tests.integration.conftest import ADMIN, Api


def _figures(staff: tuple[int, int], residents: tuple[int, int, int] = (0, 0, 0)
             ) -> dict[str, int]:
    return dict(zip(FIGURES, (*staff, *residents), strict=True))


def _enter(api: Api, who: Actor, unit: UUID, round_number: int, figures: dict[str, int],
           status: int = 201) -> dict[str, Any]:
    answer = api.client.post(f"/units/{unit}/adoption-progress", headers=api.token(who),
                             json={"round": round_number, **figures})
    assert answer.status_code == status, answer.text
    return answer.json()


def _form(api: Api, who: Actor, query: str = "round=1") -> dict[str, Any]:
    answer = api.client.get(f"/adoption-progress?{query}", headers=api.token(who))
    assert answer.status_code == 200, answer.text
    return answer.json()


def _sum(*rows: dict[str, int]) -> dict[str, int]:
    return {f: sum(row[f] for row in rows) for f in FIGURES}


def _scene(api: Api) -> dict[str, Any]:
    """Round 1 of 2024: the ward, the district and its division enter on time, the ward
    corrects its entry, the other district enters late, the department not at all."""
    w, clock = api.world, api.world.app.clock
    ward_officer = w.app.officer_actor(w.ward_officer_id)
    entries = {"ward": _figures((20, 15), (9000, 6000, 3000)),
               "district": _figures((120, 118)), "division": _figures((15, 12)),
               "other_district": _figures((100, 90), (50000, 30000, 10000)),
               "ward corrected": _figures((20, 20), (9000, 6000, 3500))}
    clock.set(2024, 7, 16, 9)
    first = _enter(api, ward_officer, w.ward, 1, entries["ward"])
    assert (first["entry"], first["on_time"], first["due"]) == (
        1, True, "2024-07-19T00:00:00+07:00")
    _enter(api, w.head, w.district, 1, entries["district"])
    _enter(api, w.officer, w.division, 1, entries["division"])
    clock.set(2024, 7, 19, 8)  # "trước ngày 19/7": the morning of the 19th is late
    late = _enter(api, w.other_head, w.other_district, 1, entries["other_district"])
    assert (late["entry"], late["on_time"]) == (1, False)
    corrected = _enter(api, ward_officer, w.ward, 1, entries["ward corrected"], status=200)
    assert (corrected["entry"], corrected["on_time"]) == (2, False)
    assert corrected["id"] == first["id"] and corrected["version"] == first["version"] + 1
    clock.set(2024, 7, 20, 9)
    api.sync()
    return entries


def test_the_form_rolls_each_units_figures_up_the_unit_tree_seed_003_annex(api: Api) -> None:
    w = api.world
    entries = _scene(api)
    form = _form(api, ADMIN)
    assert (form["round"], form["due"], form["unit_id"]) == (
        1, "2024-07-19T00:00:00+07:00", None)
    assert [r["due"][:10] for r in form["rounds"]] == [
        "2024-07-19", "2024-07-26", "2024-08-20", "2024-09-10"]
    assert (float(form["staff_target"]), form["staff_target_due"]) == (
        1.0, "2024-07-25T00:00:00+07:00")
    assert form["residents_target_due"] == "2024-08-31T00:00:00+07:00"
    rows = {UUID(r["unit_id"]): r for r in form["units"]}
    assert [r["stt"] for r in form["units"]] == list(range(1, len(rows) + 1))
    assert form["units"][0]["unit_id"] == str(w.city) and form["units"][0]["depth"] == 0
    ward, district, city = rows[w.ward], rows[w.district], rows[w.city]
    # The ward's own row is its correction; the earlier entry no longer counts.
    assert ward["own"] == entries["ward corrected"] and ward["entries"] == 2
    assert (ward["late"], ward["on_time"]) == (False, True)  # its first entry was on time
    district_total = _sum(entries["district"], entries["division"], entries["ward corrected"])
    assert {f: district["total"][f] for f in FIGURES} == district_total
    assert (district["total"]["units"], district["total"]["units_entered"]) == (3, 3)
    assert district["total"]["staff_installed_share"] == str(
        round(150 / 155, 4)) and district["total"]["staff_target_met"] is False
    assert district["total"]["residents_installed_share"] == "0.3889"
    assert district["total"]["smartphone_owners_installed_share"] == "0.5833"
    assert rows[w.division]["total"]["residents_installed_share"] is None  # no residents
    every = _sum(*(entries[k] for k in ("district", "division", "ward corrected",
                                        "other_district")))
    assert {f: city["total"][f] for f in FIGURES} == every
    assert {f: form["totals"][f] for f in FIGURES} == every
    assert rows[w.other_district]["late"] and rows[w.other_district]["on_time"] is False
    department = rows[w.department]
    assert (department["entered"], department["own"], department["late"]) == (
        False, None, True)  # not entered, and the due has passed
    assert form["totals"]["units_late"] == sum(r["late"] for r in form["units"])
    assert form["totals"]["units_entered"] == 4 == sum(r["entered"] for r in form["units"])


def test_a_units_staff_read_their_part_of_the_tree_only_seed_003(api: Api) -> None:
    w = api.world
    _scene(api)
    own = _form(api, w.head)
    assert own["unit_id"] == str(w.district)
    assert {UUID(r["unit_id"]) for r in own["units"]} == {w.district, w.division, w.ward}
    assert own["units"][0]["depth"] == 0 and own["totals"] == own["units"][0]["total"]
    below = _form(api, w.head, f"round=1&unit_id={w.ward}")
    assert [UUID(r["unit_id"]) for r in below["units"]] == [w.ward]
    other = api.client.get(f"/adoption-progress?round=1&unit_id={w.other_district}",
                           headers=api.token(w.head))
    assert other.status_code == 404
    assert other.headers["content-type"].startswith("application/problem+json")
    round_two = _form(api, w.head, "round=2")
    assert round_two["totals"]["units_entered"] == 0
    assert not any(r["late"] for r in round_two["units"])  # 26/7 has not come yet


def test_the_workbook_keeps_the_forms_layout_and_totals_seed_003_annex(api: Api) -> None:
    entries = _scene(api)
    answer = api.client.get("/adoption-progress.xlsx?round=1", headers=api.token(ADMIN))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == XLSX
    sheet = load_workbook(io.BytesIO(answer.content)).active
    assert sheet["A1"].value == ("BIỂU TỔNG HỢP TIẾN ĐỘ CÀI ĐẶT, SỬ DỤNG ỨNG DỤNG iHANOI "
                                 "(LẦN 1)")
    assert "trước ngày 19/07/2024" in sheet["A2"].value
    assert "100% cán bộ" in sheet["A2"].value and "25/07/2024" in sheet["A2"].value
    assert {str(r) for r in sheet.merged_cells.ranges} >= {"A3:A4", "B3:B4", "C3:D3",
                                                           "E3:G3", "H3:H4"}
    assert [sheet.cell(3, c).value for c in (1, 2, 3, 5, 8)] == [
        "STT", "Tên đơn vị", "Cài đặt cho cán bộ công chức, viên chức của cơ quan",
        "Cài đặt cho người dân", "Ghi chú"]
    assert [sheet.cell(4, c).value for c in range(3, 8)] == [
        "Tổng số", "Đã cài đặt iHanoi", "Tổng số người dân trên địa bàn",
        "Số người dân có điện thoại thông minh", "Số người dân đã cài đặt iHanoi"]
    assert sheet.freeze_panes == "C5"
    rows = list(sheet.iter_rows(min_row=5, values_only=True))
    form = _form(api, ADMIN)
    *units, totals = rows
    assert [r[0] for r in units] == list(range(1, len(form["units"]) + 1))
    assert [r[1] for r in units] == [u["unit_name"] for u in form["units"]]
    by_name = {r[1]: r for r in units}
    district = by_name["UBND quận Hoàn Kiếm"]
    assert list(district[2:7]) == list(_sum(entries["district"], entries["division"],
                                            entries["ward corrected"]).values())
    assert "3/3 đơn vị đã báo cáo" in district[7]
    assert by_name["UBND phường Tràng Tiền"][7].startswith("Đúng hạn; đã đính chính 1 lần")
    assert by_name["UBND quận Ba Đình"][7].startswith("Báo cáo muộn")
    assert by_name["Sở Xây dựng"][2:8] == (None, None, None, None, None, "Chưa báo cáo")
    assert totals[1] == TOTAL
    assert list(totals[2:7]) == list(_sum(*(entries[k] for k in (
        "district", "division", "ward corrected", "other_district"))).values())
    assert all(isinstance(v, int) for v in totals[2:7])
    assert units[0][:2] == (1, "Thành phố Hà Nội")  # the city first, numbered 1


def test_inconsistent_figures_are_refused_naming_the_form_seed_003_annex(api: Api) -> None:
    w = api.world
    for figures in (_figures((10, 11)), _figures((10, 5), (100, 101, 0)),
                    _figures((10, 5), (100, 50, 51)), _figures((-1, 0))):
        refused = api.client.post(f"/units/{w.district}/adoption-progress",
                                  headers=api.token(w.head), json={"round": 1, **figures})
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["rule"] == FORM_RULE


def test_a_round_outside_the_forms_rounds_is_refused_seed_003(api: Api) -> None:
    w = api.world
    refused = api.client.post(f"/units/{w.district}/adoption-progress",
                              headers=api.token(w.head), json={"round": 5, **_figures((1, 1))})
    assert refused.status_code == 422 and refused.json()["rule"] == ADOPTION_ROUNDS_RULE
    asked = api.client.get("/adoption-progress?round=5", headers=api.token(w.head))
    assert asked.status_code == 422 and asked.json()["rule"] == ADOPTION_ROUNDS_RULE


def test_only_the_units_own_officers_or_an_administrator_enter_its_figures_seed_003_1(
        api: Api) -> None:
    w = api.world
    for who in (w.other_head, w.head):  # another unit, even the one above
        refused = api.client.post(f"/units/{w.ward}/adoption-progress", headers=api.token(who),
                                  json={"round": 1, **_figures((1, 1))})
        assert refused.status_code == 403, refused.text
        assert refused.json()["rule"] == WHO_RULE
    unknown = api.client.post(f"/units/{w.reporter_id}/adoption-progress",
                              headers=api.token(ADMIN), json={"round": 1, **_figures((1, 1))})
    assert unknown.status_code == 404
    _enter(api, ADMIN, w.ward, 1, _figures((3, 3)))


def test_a_correction_keeps_the_earlier_entry_in_the_audit_trail_seed_003(api: Api) -> None:
    w = api.world
    _scene(api)
    inspector = api.overseer(Role.INSPECTOR)
    trail = api.client.get(f"/audit?unit_id={w.ward}", headers=api.token(inspector)).json()
    entered = [r for r in trail["items"] if r["aggregate_type"] == "AdoptionProgress"]
    assert [(r["event_type"], r["details"]["entry"], r["details"]["staff_installed"])
            for r in entered] == [("Entered", 1, 15), ("Entered", 2, 20)]
    assert entered[0]["actor_id"] == str(w.ward_officer_id)


def test_the_form_as_of_an_instant_shows_the_entries_and_flags_of_then_seed_003(
        api: Api) -> None:
    """The rounds are policy data: a city that adopts its own reads its form against them,
    and as of a past instant sees the entries recorded by then, late flags read then."""
    w, clock = api.world, api.world.app.clock
    rounds = AdoptionPolicy(rounds=(date(2026, 3, 6), date(2026, 3, 13)))
    w.app.handle(AdoptPolicy(replace(DEFAULT_POLICY, version="2026-hanoi", adoption=rounds)),
                 ADMIN)
    clock.set(2026, 3, 2, 10)
    _enter(api, w.app.officer_actor(w.ward_officer_id), w.ward, 1, _figures((8, 5)))
    clock.set(2026, 3, 9, 10)
    _enter(api, w.app.officer_actor(w.ward_officer_id), w.ward, 1, _figures((8, 8)), 200)
    late = _enter(api, w.head, w.district, 1, _figures((50, 50)))
    assert (late["due"], late["on_time"]) == ("2026-03-06T00:00:00+07:00", False)
    api.sync()
    then = _form(api, ADMIN, "round=1&as_of=2026-03-03T00:00:00%2B07:00")
    now = _form(api, ADMIN)
    assert then["at"] == "2026-03-03T00:00:00+07:00" and [r["due"][:10] for r in then[
        "rounds"]] == ["2026-03-06", "2026-03-13"]
    then_rows = {UUID(r["unit_id"]): r for r in then["units"]}
    now_rows = {UUID(r["unit_id"]): r for r in now["units"]}
    assert (then_rows[w.ward]["own"]["staff_installed"], then_rows[w.ward]["entries"]) == (5, 1)
    assert (now_rows[w.ward]["own"]["staff_installed"], now_rows[w.ward]["entries"]) == (8, 2)
    assert (then_rows[w.district]["entered"], then_rows[w.district]["late"]) == (False, False)
    assert (now_rows[w.district]["entered"], now_rows[w.district]["late"]) == (True, True)
    assert then["totals"]["units_late"] == 0 < now["totals"]["units_late"]


def test_an_entry_is_applied_once_per_idempotency_key_and_if_match_guards_corrections(
        api: Api) -> None:
    """IETF Idempotency-Key: a retried entry is not a correction; RFC 9110 §13.1.1: a
    correction sent on a stale version records nothing (412)."""
    w = api.world
    headers = {**api.token(w.head), "Idempotency-Key": "lan-1-quan-hoan-kiem"}
    body = {"round": 1, **_figures((120, 100))}
    first = api.client.post(f"/units/{w.district}/adoption-progress", headers=headers, json=body)
    again = api.client.post(f"/units/{w.district}/adoption-progress", headers=headers, json=body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["replayed"] and again.json()["version"] == first.json()["version"] == 2
    stale = api.client.post(f"/units/{w.district}/adoption-progress",
                            headers={**api.token(w.head), "If-Match": '"1"'},
                            json={"round": 1, **_figures((120, 110))})
    assert stale.status_code == 412
    fresh = api.client.post(f"/units/{w.district}/adoption-progress",
                            headers={**api.token(w.head), "If-Match": first.headers["ETag"]},
                            json={"round": 1, **_figures((120, 110))})
    assert (fresh.status_code, fresh.json()["entry"], fresh.json()["version"]) == (200, 2, 3)
    api.sync()
    (district,) = [r for r in _form(api, w.head)["units"] if r["unit_id"] == str(w.district)]
    assert (district["entries"], district["own"]["staff_installed"]) == (2, 110)
