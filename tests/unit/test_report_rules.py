"""Every lifecycle rule and every refusal of the Report aggregate, domain only (Điều 1–13, 27).

Expected due instants are computed by hand from Vietnam's working calendar: Mon–Fri
08:00–12:00 and 13:00–17:00 in Asia/Ho_Chi_Minh, one working day being 8 working hours.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.actors import SYSTEM, Actor, Role, UnitLevel
from domain.calendar import BUSINESS_TZ
from domain.errors import DomainError, InvalidInput, InvalidState, NotPermitted, OutOfScope
from domain.policy import DEFAULT_POLICY, SlaPolicy, WorkingDuration
from domain.report import Report, StageRecord, Status

POLICY = DEFAULT_POLICY


def at(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BUSINESS_TZ)


MONDAY = at(2026, 3, 2)  # an ordinary working Monday, 09:00

CITY, CENTRE, DISTRICT, DIVISION, WARD, OTHER_DISTRICT, OTHER_DIVISION, DEPARTMENT = (
    uuid4() for _ in range(8))
REPORTER_ID = uuid4()


def staff(role: Role, unit_id: UUID, level: UnitLevel) -> Actor:
    return Actor(id=str(uuid4()), role=role, unit_id=unit_id, unit_level=level)


RECEIVER = staff(Role.RECEIVING_OFFICER, DISTRICT, UnitLevel.DISTRICT)
HEAD = staff(Role.UNIT_HEAD, DISTRICT, UnitLevel.DISTRICT)
OFFICER = staff(Role.HANDLING_OFFICER, DIVISION, UnitLevel.DIVISION)
WARD_OFFICER = staff(Role.HANDLING_OFFICER, WARD, UnitLevel.COMMUNE)
OTHER_RECEIVER = staff(Role.RECEIVING_OFFICER, OTHER_DISTRICT, UnitLevel.DISTRICT)
OTHER_HEAD = staff(Role.UNIT_HEAD, OTHER_DISTRICT, UnitLevel.DISTRICT)
OTHER_OFFICER = staff(Role.HANDLING_OFFICER, OTHER_DIVISION, UnitLevel.DIVISION)
CITY_RECEIVER = staff(Role.RECEIVING_OFFICER, CITY, UnitLevel.CITY)
CENTRE_RECEIVER = staff(Role.RECEIVING_OFFICER, CENTRE, UnitLevel.SERVICE_CENTRE)
DEPARTMENT_HEAD = staff(Role.UNIT_HEAD, DEPARTMENT, UnitLevel.DEPARTMENT)
# The assigned officer after his transfer to another district's division: same person.
TRANSFERRED_OFFICER = Actor(id=OFFICER.id, role=Role.HANDLING_OFFICER, unit_id=OTHER_DIVISION,
                            unit_level=UnitLevel.DIVISION)
CITIZEN = Actor(id=str(REPORTER_ID), role=Role.CITIZEN)
# Another division of DISTRICT and one of its officers: where the head reassigns a report.
SECOND_DIVISION = uuid4()
SECOND_DIVISION_OFFICER = staff(Role.HANDLING_OFFICER, SECOND_DIVISION, UnitLevel.DIVISION)
OTHER_CITIZEN = Actor(id=str(uuid4()), role=Role.CITIZEN)

RESULT = "Đã vá xong ổ gà, mặt đường an toàn"
EVIDENCE = ["bien-ban-kiem-tra.pdf"]


# --------------------------------------------------------------------------- scenes


def submit(when: datetime = MONDAY, **overrides: Any) -> Report:
    fields: dict[str, Any] = {
        "kind": "field", "category": "urban_order",
        "text": "Ổ gà lớn giữa phố Hàng Bài, rất nguy hiểm", "latitude": 21.0245,
        "longitude": 105.8532, "address": "12 Hàng Bài, Hoàn Kiếm", "occurred_at": None,
        "media": ["photo-1.jpg"], "confidential": False, "reporter_id": REPORTER_ID,
        "reporter": {"name": "Phạm Thị Dung", "phone": "0912345678"},
        "receiving_unit_id": DISTRICT, "at": when, "policy": POLICY}
    fields.update(overrides)
    if "category" not in overrides and fields["kind"] != "field" \
            and fields["kind"] in POLICY.categories:
        fields["category"] = next(iter(POLICY.categories[fields["kind"]]))  # of its kind
    return Report.submit(**fields)


def accepted(when: datetime = MONDAY, **overrides: Any) -> Report:
    report = submit(when, **overrides)
    report.accept(RECEIVER, DISTRICT, when, POLICY)
    return report


def handling(urgency: str = "normal", when: datetime = MONDAY, **overrides: Any) -> Report:
    report = accepted(when, **overrides)
    report.classify(HEAD, urgency, when, POLICY)
    report.assign(HEAD, DIVISION, DISTRICT, OFFICER, when, POLICY)
    return report


def proposed(when: datetime = MONDAY) -> Report:
    report = handling(when=when)
    report.propose_result(OFFICER, RESULT, EVIDENCE, when, POLICY)
    return report


def approved(when: datetime = MONDAY) -> Report:
    report = proposed(when)
    report.approve_result(HEAD, when, POLICY)
    return report


def updated(when: datetime = MONDAY) -> Report:
    report = approved(when)
    report.update_result(OFFICER, None, EVIDENCE, when, POLICY)
    return report


def published(when: datetime = MONDAY) -> Report:
    report = updated(when)
    report.publish(HEAD, when)
    return report


def rejected() -> Report:
    report = submit()
    report.reject(RECEIVER, "a", "Thiếu địa chỉ cụ thể", MONDAY)
    return report


def last(report: Report) -> Any:
    return report.pending_events[-1]


def only(stages: list[StageRecord]) -> StageRecord:
    """The one stage an event opened or closed."""
    (stage,) = stages
    return stage


def names(report: Report) -> list[str]:
    return [type(e).__name__ for e in report.pending_events]


def refused(error: type[DomainError], rule: str, report: Report,
            command: Callable[..., object], *args: Any) -> DomainError:
    """``command`` raises ``error`` citing ``rule`` and records nothing."""
    before = (report.version, len(report.pending_events), report.status, report.stage)
    with pytest.raises(error) as caught:
        command(*args)
    assert caught.value.rule == rule
    assert (report.version, len(report.pending_events), report.status, report.stage) == before
    return caught.value


# --------------------------------------------------------------------------- submission


def test_submission_records_the_report_and_opens_reception_dieu_5_7_2_d() -> None:
    report = submit(occurred_at=at(2026, 3, 1, 20))
    event = last(report)
    assert names(report) == ["Submitted"] and report.status == Status.RECEIVED
    assert event.location == {"latitude": 21.0245, "longitude": 105.8532,
                              "address": "12 Hàng Bài, Hoàn Kiếm"}
    assert event.occurred_at == at(2026, 3, 1, 20) and event.reporter_id == REPORTER_ID
    (opened,) = event.opened
    assert event.closed == [] and opened.stage == "reception" and opened.unit_id == DISTRICT
    assert opened.due == at(2026, 3, 3, 9)  # 09–12, 13–17, then 08–09
    assert opened.policy_version == POLICY.version


@pytest.mark.parametrize("kind", ["complaint", "denunciation", "dispute", "state_secret"])
def test_out_of_scope_kinds_are_refused_at_the_door_dieu_1_3_3_2(kind: str) -> None:
    with pytest.raises(OutOfScope) as caught:
        submit(kind=kind)
    assert caught.value.rule == "Điều 1.3, 3.2" and "out of scope" in caught.value.detail


def test_unknown_kind_of_report_is_refused_dieu_1_2() -> None:
    with pytest.raises(InvalidInput) as caught:
        submit(kind="gossip")
    assert caught.value.rule == "Điều 1.2"


@pytest.mark.parametrize(("latitude", "longitude"),
                         [(10.7769, 106.7009), (16.0544, 108.2022), (0.0, 0.0)])
def test_a_place_outside_ha_noi_is_refused_dieu_6_1(latitude: float, longitude: float) -> None:
    with pytest.raises(InvalidInput) as caught:
        submit(latitude=latitude, longitude=longitude)
    assert caught.value.rule == "Điều 6.1"


def test_a_place_without_coordinates_or_an_address_is_refused_dieu_6_1() -> None:
    with pytest.raises(InvalidInput) as caught:
        submit(latitude=None, longitude=None, address="  ")
    assert caught.value.rule == "Điều 6.1"


@pytest.mark.parametrize(("overrides", "rule"), [
    ({"category": " "}, "Điều 6.1"),
    ({"text": "ngắn quá"}, "Điều 5.1"),
    ({"occurred_at": MONDAY + timedelta(hours=1)}, "Điều 6.1"),
    ({"media": [""]}, "Điều 5.4"),
])
def test_incomplete_or_inexact_content_is_refused_dieu_5_6_1(overrides: dict[str, Any],
                                                             rule: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        submit(**overrides)
    assert caught.value.rule == rule


# --------------------------------------------------------------------------- reception (Điều 7)


@pytest.mark.parametrize(("submitted", "due"), [
    (at(2026, 2, 13, 15), at(2026, 2, 23, 15)),  # Fri before Tết 2026; 16–20/2 off
    (at(2025, 4, 25, 15), at(2025, 4, 26, 15)),  # Sat 26/4/2025 worked in exchange for 2/5
    (at(2026, 8, 28, 15), at(2026, 9, 3, 15)),  # 2/9 2026: Mon 31/8, Tue 1/9, Wed 2/9 off
    (at(2026, 3, 6, 18), at(2026, 3, 9, 17)),  # after hours Friday: all of Monday
])
def test_reception_is_due_8_working_hours_after_submission_dieu_7_2_d(submitted: datetime,
                                                                     due: datetime) -> None:
    assert only(last(submit(submitted)).opened).due == due


@pytest.mark.parametrize("command", ["accept", "reject", "escalate", "start_verification"])
@pytest.mark.parametrize("actor", [OTHER_RECEIVER, OFFICER, CITIZEN, CENTRE_RECEIVER],
                         ids=["other_unit", "wrong_role", "citizen", "centre"])
def test_only_the_receiving_unit_decides_on_reception_dieu_7(command: str, actor: Actor) -> None:
    report = submit()
    calls = {
        "accept": (report.accept, actor, DISTRICT, MONDAY, POLICY),
        "reject": (report.reject, actor, "a", "Thiếu thông tin", MONDAY),
        "escalate": (report.escalate, actor, CITY, True, "Vượt thẩm quyền", MONDAY, POLICY),
        "start_verification": (report.start_verification, actor, MONDAY, POLICY),
    }
    rule = {"accept": "Điều 7.2.b", "reject": "Điều 7.2.a", "escalate": "Điều 7.2.c",
            "start_verification": "Điều 7.1"}[command]
    refused(NotPermitted, rule, report, *calls[command])


def test_the_head_of_the_receiving_unit_may_also_accept_dieu_7_2_b() -> None:
    report = submit()
    report.accept(HEAD, DISTRICT, MONDAY, POLICY)
    assert report.status == Status.ACCEPTED and last(report).by["role"] == "unit_head"


def test_verification_counts_from_receipt_dieu_6_2_d() -> None:
    """Submitted Mon 08:00, verification started 15:00: due Mon 12:00, 4 working hours after
    receipt ("kể từ khi nhận phản ánh"), not 4 hours after its own start (Tue 10:00)."""
    report = submit(at(2026, 3, 2, 8))
    report.start_verification(RECEIVER, at(2026, 3, 2, 15), POLICY)
    (opened,) = last(report).opened
    assert (opened.stage, opened.started_at, opened.due) == (
        "verification", at(2026, 3, 2, 15), at(2026, 3, 2, 12))


def test_a_repeated_verification_gets_no_fresh_4_hours_dieu_6_2_d() -> None:
    """Submitted Mon 09:00: every verification is due Mon 14:00, the first and the repeat."""
    report = submit(at(2026, 3, 2, 9))
    report.start_verification(RECEIVER, at(2026, 3, 2, 9, 30), POLICY)
    assert only(last(report).opened).due == at(2026, 3, 2, 14)
    report.complete_verification(RECEIVER, False, "Không nghe máy", at(2026, 3, 2, 11))
    assert only(last(report).closed).on_time is True
    report.start_verification(RECEIVER, at(2026, 3, 2, 13), POLICY)
    assert only(last(report).opened).due == at(2026, 3, 2, 14)
    report.complete_verification(RECEIVER, False, "Không nghe máy", at(2026, 3, 2, 15))
    assert only(last(report).closed).on_time is False


def test_after_an_escalation_verification_counts_from_the_new_units_receipt_dieu_6_2_d() -> None:
    """Receipt is the arrival at the unit now receiving the report: escalated Tue 10:00 to the
    city, the city's verification is due Tue 15:00 whatever the district spent."""
    report = submit(at(2026, 3, 2, 9))
    report.start_verification(RECEIVER, at(2026, 3, 2, 9), POLICY)
    report.complete_verification(RECEIVER, True, "", at(2026, 3, 2, 10))
    report.escalate(RECEIVER, CITY, True, "Vượt thẩm quyền", at(2026, 3, 3, 10), POLICY)
    report.start_verification(CITY_RECEIVER, at(2026, 3, 3, 13), POLICY)
    assert only(last(report).opened).due == at(2026, 3, 3, 15)


def test_verification_is_a_4_working_hour_stage_dieu_7_1_b() -> None:
    report = submit(at(2026, 3, 2, 15))
    report.start_verification(RECEIVER, at(2026, 3, 2, 15), POLICY)
    (opened,) = last(report).opened
    assert (opened.stage, opened.due) == ("verification", at(2026, 3, 3, 10))
    assert opened.policy_version == POLICY.version
    report.complete_verification(RECEIVER, True, "Đã gọi điện xác minh", at(2026, 3, 3, 11))
    (closed,) = last(report).closed
    assert closed.stage == "verification" and closed.on_time is False
    assert closed.ended_at == at(2026, 3, 3, 11)


def test_one_verification_at_a_time_dieu_7_1() -> None:
    report = submit()
    refused(InvalidState, "Điều 7.1", report, report.complete_verification, RECEIVER, True, "",
            MONDAY)
    report.start_verification(RECEIVER, MONDAY, POLICY)
    refused(InvalidState, "Điều 7.1", report, report.start_verification, RECEIVER, MONDAY, POLICY)


@pytest.mark.parametrize("decision", ["accept", "reject", "escalate"])
def test_reception_decision_waits_for_the_verification_under_way_dieu_7_2(decision: str) -> None:
    report = submit()
    report.start_verification(RECEIVER, MONDAY, POLICY)
    calls = {
        "accept": (report.accept, RECEIVER, DISTRICT, MONDAY, POLICY),
        "reject": (report.reject, RECEIVER, "a", "Thiếu thông tin", MONDAY),
        "escalate": (report.escalate, RECEIVER, CITY, True, "Vượt thẩm quyền", MONDAY, POLICY),
    }
    refused(InvalidState, "Điều 7.2", report, *calls[decision])
    report.complete_verification(RECEIVER, True, "", MONDAY)
    calls[decision][0](*calls[decision][1:])
    assert names(report)[-3:] == ["VerificationStarted", "VerificationCompleted",
                                  {"accept": "Accepted", "reject": "Rejected",
                                   "escalate": "Escalated"}[decision]]


@pytest.mark.parametrize("reason", ["a", "b", "c", "đ", "e"])
def test_rejection_states_one_of_the_reasons_a_to_e_dieu_6_2(reason: str) -> None:
    report = submit()
    report.reject(RECEIVER, reason, " Nội dung quảng cáo ", at(2026, 3, 2, 10))
    event = last(report)
    assert report.status == Status.REJECTED and report.stage is None
    assert (event.reason, event.note) == (reason, "Nội dung quảng cáo")
    assert only(event.closed).stage == "reception" and only(event.closed).on_time is True


def test_rejection_with_an_unknown_reason_or_no_note_is_refused_dieu_6_2_7_2_a() -> None:
    report = submit()
    refused(InvalidInput, "Điều 6.2", report, report.reject, RECEIVER, "g", "Lý do", MONDAY)
    refused(InvalidInput, "Điều 7.2.a", report, report.reject, RECEIVER, "a", " ", MONDAY)


def test_rejection_for_failed_verification_needs_repeated_failures_dieu_6_2_d() -> None:
    report = submit()
    refused(InvalidState, "Điều 6.2.d", report, report.reject, RECEIVER, "d", "Không liên lạc "
            "được", MONDAY)
    report.start_verification(RECEIVER, MONDAY, POLICY)
    report.complete_verification(RECEIVER, True, "", MONDAY)  # a passed one does not count
    report.start_verification(RECEIVER, MONDAY, POLICY)
    report.complete_verification(RECEIVER, False, "Không nghe máy", MONDAY)
    refused(InvalidState, "Điều 6.2.d", report, report.reject, RECEIVER, "d", "Không liên lạc "
            "được", MONDAY)
    report.start_verification(RECEIVER, MONDAY, POLICY)
    report.complete_verification(RECEIVER, False, "Không nghe máy", MONDAY)
    report.reject(RECEIVER, "d", "Không liên lạc được", MONDAY)
    assert report.status == Status.REJECTED and last(report).reason == "d"


def test_escalation_goes_to_a_higher_unit_dieu_7_2_c() -> None:
    report = submit()
    refused(InvalidInput, "Điều 7.2.c", report, report.escalate, RECEIVER, WARD, False,
            "Vượt thẩm quyền", MONDAY, POLICY)
    refused(InvalidInput, "Điều 7.2.c", report, report.escalate, RECEIVER, DISTRICT, True,
            "Vượt thẩm quyền", MONDAY, POLICY)
    refused(InvalidInput, "Điều 7.2.c", report, report.escalate, RECEIVER, CITY, True, " ",
            MONDAY, POLICY)
    report.escalate(RECEIVER, CITY, True, "Liên quan nhiều quận", at(2026, 3, 2, 14), POLICY)
    event = last(report)
    assert only(event.closed).unit_id == DISTRICT and only(event.opened).unit_id == CITY
    assert only(event.opened).due == at(2026, 3, 3, 14)  # the city's own 8 working hours
    assert report.status == Status.RECEIVED and report.receiving_unit_id == CITY
    refused(NotPermitted, "Điều 7.2.b", report, report.accept, RECEIVER, DISTRICT, MONDAY, POLICY)
    report.accept(CITY_RECEIVER, DEPARTMENT, at(2026, 3, 2, 15), POLICY)
    assert report.handling_unit_id == DEPARTMENT


def test_the_service_centre_passes_a_report_to_any_unit_dieu_7_2_c_9() -> None:
    report = submit(receiving_unit_id=CENTRE)
    report.escalate(CENTRE_RECEIVER, DISTRICT, False, "Thuộc địa bàn quận", MONDAY, POLICY)
    assert report.receiving_unit_id == DISTRICT and last(report).by["unit_level"] == "service_centre"


def test_acceptance_opens_assignment_due_in_4_working_hours_dieu_8_5() -> None:
    report = submit(at(2026, 2, 13, 14))
    report.accept(RECEIVER, DISTRICT, at(2026, 2, 13, 15), POLICY)
    event = last(report)
    assert report.status == Status.ACCEPTED and report.handling_unit_id == DISTRICT
    assert only(event.closed).stage == "reception" and only(event.closed).on_time is True
    (opened,) = event.opened
    assert (opened.stage, opened.due) == ("assignment", at(2026, 2, 23, 10))
    assert opened.policy_version == POLICY.version
    assert event.by == {"id": RECEIVER.id, "role": "receiving_officer", "unit_id": DISTRICT,
                        "unit_level": "district"}


def test_reception_after_its_due_instant_is_recorded_late_dieu_7_2_d() -> None:
    report = submit(at(2026, 3, 2, 9))
    report.accept(RECEIVER, DISTRICT, at(2026, 3, 3, 9), POLICY)
    assert only(last(report).closed).on_time is True  # due Tue 3/3 09:00, bound included
    late = submit(at(2026, 3, 2, 9))
    late.accept(RECEIVER, DISTRICT, at(2026, 3, 3, 9, 1), POLICY)
    assert only(last(late).closed).on_time is False


# --------------------------------------------------------------------------- handling (Điều 8)


def test_assignment_needs_a_classification_first_dieu_8_4() -> None:
    report = accepted()
    refused(InvalidState, "Điều 8.4", report, report.assign, HEAD, DIVISION, DISTRICT, OFFICER,
            MONDAY, POLICY)


def test_classification_is_urgent_normal_or_complex_dieu_8_4() -> None:
    report = accepted()
    refused(InvalidInput, "Điều 8.4", report, report.classify, HEAD, "low", MONDAY, POLICY)
    report.classify(HEAD, "complex", MONDAY, POLICY)
    assert last(report).urgency == "complex" and report.status == Status.ACCEPTED


@pytest.mark.parametrize(("kind", "rule"), [("waste_behaviour", "Điều 10.4"),
                                            ("investor_enterprise", "Điều 11.4")])
def test_complex_waste_and_investor_reports_are_coordinated_within_30_days_dieu_10_2_11_2(
        kind: str, rule: str) -> None:
    """Điều 10.2, 11.2: these may be complex, with same-level coordination; handling stays
    capped at 30 working days from assignment (10.4, 11.4), and nothing extends it."""
    report = accepted(kind=kind)
    report.classify(HEAD, "complex", MONDAY, POLICY)
    report.assign(HEAD, DIVISION, DISTRICT, OFFICER, MONDAY, POLICY)
    assert only(last(report).opened).due == at(2026, 4, 13)  # 30 working days
    report.request_coordination(HEAD, [OTHER_DISTRICT], MONDAY)
    refused(InvalidInput, rule, report, report.grant_extension, HEAD, 1, "Thủ tục đất đai",
            MONDAY, POLICY)
    report.contribute(OTHER_HEAD, "Quận Ba Đình đã kiểm tra hiện trường", [], MONDAY)
    report.propose_result(OFFICER, RESULT, EVIDENCE, MONDAY, POLICY)
    assert report.status == Status.AWAITING_APPROVAL


@pytest.mark.parametrize("actor", [RECEIVER, OFFICER, OTHER_HEAD],
                         ids=["receiving_officer", "handling_officer", "other_unit_head"])
def test_only_the_head_of_the_handling_unit_classifies_and_assigns_dieu_8_1_b_8_4(
        actor: Actor) -> None:
    report = accepted()
    refused(NotPermitted, "Điều 8.4", report, report.classify, actor, "normal", MONDAY, POLICY)
    report.classify(HEAD, "normal", MONDAY, POLICY)
    refused(NotPermitted, "Điều 8.1.b", report, report.assign, actor, DIVISION, DISTRICT, OFFICER,
            MONDAY, POLICY)


def test_assignment_goes_to_a_division_of_the_handling_unit_dieu_8_1_b_c() -> None:
    report = accepted()
    report.classify(HEAD, "normal", MONDAY, POLICY)
    refused(InvalidInput, "Điều 8.1.b", report, report.assign, HEAD, OTHER_DIVISION,
            OTHER_DISTRICT, OTHER_OFFICER, MONDAY, POLICY)
    refused(InvalidInput, "Điều 8.1.c", report, report.assign, HEAD, DIVISION, DISTRICT,
            RECEIVER, MONDAY, POLICY)
    report.assign(HEAD, DIVISION, DISTRICT, OFFICER, MONDAY, POLICY)
    event = last(report)
    assert report.status == Status.IN_HANDLING and event.department_id == DIVISION
    (opened,) = event.opened
    assert event.officer["id"] == OFFICER.id and opened.officer_id == OFFICER.id
    assert only(event.closed).stage == "assignment" and opened.unit_id == DISTRICT


@pytest.mark.parametrize(("kind", "urgency", "due"), [
    ("field", "urgent", at(2026, 3, 2, 14)),  # 09–12, 13–14
    ("field", "normal", at(2026, 3, 11)),  # 7 working days
    ("field", "complex", at(2026, 3, 23)),  # 15 working days
    ("administrative_regulation", "normal", at(2026, 3, 11)),  # Điều 5.3: as a field report
    ("waste_behaviour", "normal", at(2026, 4, 13)),  # Điều 10.4: 30 working days
    ("investor_enterprise", "normal", at(2026, 4, 13)),  # Điều 11.4: 30 working days
])
def test_handling_is_due_by_kind_and_classification_from_assignment_dieu_8_5(
        kind: str, urgency: str, due: datetime) -> None:
    (opened,) = last(handling(urgency, kind=kind)).opened
    assert (opened.stage, opened.due, opened.officer_id) == ("handling", due, OFFICER.id)
    assert opened.policy_version == POLICY.version


def test_seven_working_days_across_30_4_and_1_5_2026_dieu_8_5() -> None:
    """Assigned Fri 24/4 10:00; Mon 27/4 (Giỗ Tổ observed), Thu 30/4 and Fri 1/5 are off."""
    assert only(last(handling("normal", at(2026, 4, 24, 10))).opened).due == at(2026, 5, 8, 10)


def test_assignment_is_due_4_working_hours_across_the_swapped_saturday_dieu_8_5() -> None:
    report = submit(at(2025, 4, 25, 15))
    report.accept(RECEIVER, DISTRICT, at(2025, 4, 25, 16), POLICY)
    assert only(last(report).opened).due == at(2025, 4, 26, 11)  # Sat 26/4/2025 was worked


@pytest.mark.parametrize(("scene", "command", "rule"), [
    (accepted, lambda r: r.accept(RECEIVER, DISTRICT, MONDAY, POLICY), "Điều 7.2.b"),
    (accepted, lambda r: r.reject(RECEIVER, "a", "Thiếu", MONDAY), "Điều 7.2.a"),
    (accepted, lambda r: r.escalate(RECEIVER, CITY, True, "Vượt", MONDAY, POLICY), "Điều 7.2.c"),
    (accepted, lambda r: r.start_verification(RECEIVER, MONDAY, POLICY), "Điều 7.1"),
    (handling, lambda r: r.classify(HEAD, "urgent", MONDAY, POLICY), "Điều 8.4"),
    (handling, lambda r: r.assign(HEAD, DIVISION, DISTRICT, OFFICER, MONDAY, POLICY),
     "Điều 8.1.b"),
    (handling, lambda r: r.approve_result(HEAD, MONDAY), "Điều 12.1"),
    (handling, lambda r: r.return_result(HEAD, "Thiếu ảnh", MONDAY, POLICY), "Điều 12.1"),
    (handling, lambda r: r.publish(HEAD, MONDAY), "Điều 12.3"),
    (proposed, lambda r: r.publish(HEAD, MONDAY), "Điều 12.3"),
    (proposed, lambda r: r.update_result(OFFICER, None, EVIDENCE, MONDAY, POLICY), "Điều 12.2"),
    (approved, lambda r: r.publish(HEAD, MONDAY), "Điều 12.2"),
    (updated, lambda r: r.update_result(OFFICER, None, EVIDENCE, MONDAY, POLICY), "Điều 12.2"),
    (updated, lambda r: r.approve_result(HEAD, MONDAY), "Điều 12.1"),
    (updated, lambda r: r.return_result(HEAD, "Thiếu ảnh", MONDAY, POLICY), "Điều 12.1"),
    (proposed, lambda r: r.propose_result(OFFICER, RESULT, EVIDENCE, MONDAY, POLICY),
     "Điều 8.1.d"),
    (approved, lambda r: r.return_result(HEAD, "Thiếu ảnh", MONDAY, POLICY), "Điều 12.1"),
    (approved, lambda r: r.approve_result(HEAD, MONDAY), "Điều 12.1"),
    (published, lambda r: r.publish(HEAD, MONDAY), "Điều 12.3"),
    (published, lambda r: r.propose_result(OFFICER, RESULT, EVIDENCE, MONDAY, POLICY),
     "Điều 8.1.d"),
    (handling, lambda r: r.respond_to_initiative(HEAD, RESULT, [], MONDAY), "Điều 9"),
    (handling, lambda r: r.request_clarification(CITIZEN, "Vì sao chậm?", MONDAY, POLICY),
     "Điều 13"),
    (published, lambda r: r.answer_clarification(HEAD, "Đã rõ", MONDAY), "Điều 13"),
])
def test_a_step_out_of_its_order_is_refused_dieu_7_8_12_13(
        scene: Callable[[], Report], command: Callable[[Report], object], rule: str) -> None:
    report = scene()
    refused(InvalidState, rule, report, command, report)


# --------------------------------------------------------------------------- coordination (Điều 8.2)


def test_only_a_complex_report_involves_coordinating_units_dieu_8_2() -> None:
    report = handling("normal")
    refused(InvalidState, "Điều 8.2", report, report.request_coordination, HEAD,
            [OTHER_DISTRICT], MONDAY)


def test_coordination_names_other_units_not_yet_asked_dieu_8_2_a() -> None:
    report = handling("complex")
    refused(InvalidInput, "Điều 8.2.a", report, report.request_coordination, HEAD, [DISTRICT],
            MONDAY)
    refused(NotPermitted, "Điều 8.2.a", report, report.request_coordination, OFFICER,
            [OTHER_DISTRICT], MONDAY)
    report.request_coordination(HEAD, [OTHER_DISTRICT, OTHER_DISTRICT, DISTRICT], MONDAY)
    assert last(report).unit_ids == [OTHER_DISTRICT]
    refused(InvalidInput, "Điều 8.2.a", report, report.request_coordination, HEAD,
            [OTHER_DISTRICT], MONDAY)


def test_every_contribution_is_in_before_the_result_dieu_8_2_b_c() -> None:
    report = handling("complex")
    report.request_coordination(HEAD, [OTHER_DISTRICT, DEPARTMENT], MONDAY)
    refused(InvalidState, "Điều 8.2.c", report, report.propose_result, OFFICER, RESULT, EVIDENCE,
            MONDAY, POLICY)
    refused(NotPermitted, "Điều 8.2.b", report, report.contribute, HEAD, "Ý kiến", [], MONDAY)
    report.contribute(OTHER_HEAD, "Quận Ba Đình đã kiểm tra hiện trường", ["anh.jpg"], MONDAY)
    assert last(report).unit_id == OTHER_DISTRICT
    refused(InvalidState, "Điều 8.2.b", report, report.contribute, OTHER_HEAD, "Lần nữa", [],
            MONDAY)
    refused(InvalidState, "Điều 8.2.c", report, report.propose_result, OFFICER, RESULT, EVIDENCE,
            MONDAY, POLICY)
    report.contribute(DEPARTMENT_HEAD, "Sở Xây dựng thống nhất phương án", [], MONDAY)
    report.propose_result(OFFICER, RESULT, EVIDENCE, MONDAY, POLICY)
    assert report.status == Status.AWAITING_APPROVAL


# --------------------------------------------------------------------------- extension (Điều 8.5)


def test_only_a_complex_report_is_extended_dieu_8_5() -> None:
    report = handling("normal")
    refused(InvalidState, "Điều 8.5", report, report.grant_extension, HEAD, 2, "Thủ tục đất đai",
            MONDAY, POLICY)


def test_extension_never_goes_past_30_working_days_from_assignment_dieu_8_5() -> None:
    """Assigned Mon 2/3/2026 09:00: handling due Mon 23/3 (15 wd), cap Mon 13/4 (30 wd)."""
    report = handling("complex")
    refused(NotPermitted, "Điều 8.5", report, report.grant_extension, OFFICER, 5,
            "Thủ tục đất đai", MONDAY, POLICY)
    refused(InvalidInput, "Điều 8.5", report, report.grant_extension, HEAD, 5, " ", MONDAY, POLICY)
    refused(InvalidInput, "Điều 8.5", report, report.grant_extension, HEAD, 0, "Thủ tục",
            MONDAY, POLICY)
    error = refused(InvalidInput, "Điều 8.5", report, report.grant_extension, HEAD, 16,
                    "Thủ tục thu hồi đất", at(2026, 3, 20), POLICY)
    assert "2026-04-13T09:00:00+07:00" in error.detail
    report.grant_extension(HEAD, 10, "Thủ tục thu hồi đất", at(2026, 3, 20), POLICY)
    event = last(report)
    assert (event.previous_due, event.due) == (at(2026, 3, 23), at(2026, 4, 6))
    assert event.policy_version == POLICY.version and report.stage.due == at(2026, 4, 6)
    refused(InvalidInput, "Điều 8.5", report, report.grant_extension, HEAD, 6,
            "Thủ tục thu hồi đất", at(2026, 3, 20), POLICY)
    report.grant_extension(HEAD, 5, "Thủ tục thu hồi đất", at(2026, 3, 20), POLICY)
    assert report.stage is not None and report.stage.due == at(2026, 4, 13)  # exactly the cap


# --------------------------------------------------------------------------- results (Điều 12)


@pytest.mark.parametrize("evidence", [[], [" "], ["anh.jpg", ""]])
def test_result_without_evidence_is_refused_dieu_12_2(evidence: list[str]) -> None:
    """Điều 12.2: the updated result needs at least one attachment proving the handling."""
    report = approved()
    refused(InvalidInput, "Điều 12.2", report, report.update_result, OFFICER, None, evidence,
            MONDAY, POLICY)


def test_a_proposal_may_come_without_attachments_but_none_blank_dieu_8_1_d_12_2() -> None:
    """Attachments are required when the approved result is updated (Điều 12.2), not in the
    proposal the head approves (Điều 8.1.d, 12.1)."""
    report = handling()
    refused(InvalidInput, "Điều 12.2", report, report.propose_result, OFFICER, RESULT, [" "],
            MONDAY, POLICY)
    report.propose_result(OFFICER, RESULT, [], MONDAY, POLICY)
    assert report.status == Status.AWAITING_APPROVAL


@pytest.mark.parametrize("actor", [WARD_OFFICER, HEAD, TRANSFERRED_OFFICER, CITIZEN],
                         ids=["other_officer", "head", "transferred_officer", "citizen"])
def test_only_the_assigned_officer_updates_the_approved_result_dieu_12_2(actor: Actor) -> None:
    report = approved()
    refused(NotPermitted, "Điều 12.2", report, report.update_result, actor, None, EVIDENCE,
            MONDAY, POLICY)
    refused(InvalidInput, "Điều 12.2", report, report.update_result, OFFICER, "ngắn", EVIDENCE,
            MONDAY, POLICY)
    report.update_result(OFFICER, " Đã vá xong, ảnh hiện trường kèm theo ", EVIDENCE, MONDAY,
                         POLICY)
    assert report.status == Status.RESULT_UPDATED
    assert report.result is not None
    assert report.result["text"] == "Đã vá xong, ảnh hiện trường kèm theo"


@pytest.mark.parametrize("actor", [WARD_OFFICER, HEAD, TRANSFERRED_OFFICER, CITIZEN],
                         ids=["other_officer", "head", "transferred_officer", "citizen"])
def test_only_the_assigned_officer_in_his_division_proposes_the_result_dieu_8_1_d(
        actor: Actor) -> None:
    report = handling()
    refused(NotPermitted, "Điều 8.1.d", report, report.propose_result, actor, RESULT, EVIDENCE,
            MONDAY, POLICY)


def test_an_approved_result_awaiting_its_update_may_be_reassigned_dieu_8_1_b_12_2() -> None:
    """The officer who must update the result was transferred: the head gives the update to
    another officer of the unit, who then updates it."""
    report = approved()
    report.reassign(HEAD, SECOND_DIVISION, DISTRICT, SECOND_DIVISION_OFFICER, "Chuyển công tác",
                    MONDAY)
    assert report.stage is not None and report.stage.officer_id == SECOND_DIVISION_OFFICER.id
    refused(NotPermitted, "Điều 12.2", report, report.update_result, OFFICER, None, EVIDENCE,
            MONDAY, POLICY)
    report.update_result(SECOND_DIVISION_OFFICER, None, EVIDENCE, MONDAY, POLICY)
    refused(InvalidState, "Điều 8.1.b", report, report.reassign, HEAD, DIVISION, DISTRICT,
            OFFICER, "Trả lại", MONDAY)


def test_proposal_awaits_the_heads_approval_with_no_period_dieu_12_1() -> None:
    """Điều 12.1 sets no period for the head's approval of the content: the approval stage
    has no due instant unless the policy adds one."""
    report = handling(when=at(2026, 4, 27))
    report.propose_result(OFFICER, RESULT, EVIDENCE, at(2026, 4, 29, 14), POLICY)
    event = last(report)
    assert only(event.closed).stage == "handling" and only(event.closed).on_time is True
    (opened,) = event.opened
    assert (opened.stage, opened.unit_id, opened.due) == ("approval", DISTRICT, None)
    assert opened.policy_version == POLICY.version and event.evidence == EVIDENCE
    timed = POLICY.with_changes(deadlines={
        **POLICY.deadlines, "field": {**POLICY.deadlines["field"],
                                      "approval": WorkingDuration(1, "days")}})
    other = handling(when=at(2026, 4, 27))
    other.propose_result(OFFICER, RESULT, EVIDENCE, at(2026, 4, 29, 14), timed)
    assert only(last(other).opened).due == at(2026, 5, 4, 14)


def test_publication_is_due_1_working_day_from_the_updated_result_dieu_12_3() -> None:
    """Proposed Mon 27/4/2026 09:00, approved Wed 29/4 10:00, updated with evidence 14:00:
    publication due Mon 4/5 14:00 (3 h that day, 30/4 and 1/5 off, 5 h on Mon 4/5) — the
    approval's time does not eat into the head's 1 working day."""
    report = handling(when=at(2026, 4, 27))
    report.propose_result(OFFICER, RESULT, [], at(2026, 4, 27, 9), POLICY)
    report.approve_result(HEAD, at(2026, 4, 29, 10), POLICY)
    event = last(report)
    assert only(event.closed).stage == "approval" and only(event.closed).on_time is True
    (opened,) = event.opened
    assert (opened.stage, opened.officer_id, opened.due) == ("result_update", OFFICER.id, None)
    assert report.status == Status.APPROVED
    report.update_result(OFFICER, None, ["anh-sau-khi-va.jpg"], at(2026, 4, 29, 14), POLICY)
    event = last(report)
    assert (event.text, event.evidence) == (RESULT, ["anh-sau-khi-va.jpg"])
    assert only(event.closed).stage == "result_update"
    (opened,) = event.opened
    assert (opened.stage, opened.unit_id, opened.due) == (
        "publication", DISTRICT, at(2026, 5, 4, 14))
    assert report.status == Status.RESULT_UPDATED
    report.publish(HEAD, at(2026, 5, 4, 11))
    assert only(last(report).closed).on_time is True


def test_return_opens_rework_due_1_working_day_dieu_12_1() -> None:
    """Returned Fri 25/4/2025 10:00: 6 h that day, 2 h on the worked Saturday 26/4."""
    report = handling(when=at(2025, 4, 24))
    report.propose_result(OFFICER, RESULT, EVIDENCE, at(2025, 4, 24, 16), POLICY)
    refused(InvalidInput, "Điều 12.1", report, report.return_result, HEAD, " ", MONDAY, POLICY)
    report.return_result(HEAD, "Thiếu ảnh sau khi vá", at(2025, 4, 25, 10), POLICY)
    event = last(report)
    assert report.status == Status.IN_REWORK and only(event.closed).stage == "approval"
    (opened,) = event.opened
    assert (opened.stage, opened.due) == ("rework", at(2025, 4, 26, 10))
    assert opened.officer_id == OFFICER.id
    report.propose_result(OFFICER, RESULT, [*EVIDENCE, "anh-sau.jpg"], at(2025, 4, 28, 8),
                          POLICY)
    event = last(report)
    assert only(event.closed).stage == "rework" and only(event.closed).on_time is False
    assert report.status == Status.AWAITING_APPROVAL


@pytest.mark.parametrize("actor", [OFFICER, RECEIVER, OTHER_HEAD])
def test_only_the_head_of_the_handling_unit_approves_returns_and_publishes_dieu_12(
        actor: Actor) -> None:
    report = proposed()
    refused(NotPermitted, "Điều 12.1", report, report.approve_result, actor, MONDAY)
    refused(NotPermitted, "Điều 12.1", report, report.return_result, actor, "Thiếu", MONDAY,
            POLICY)
    report.approve_result(HEAD, MONDAY)
    report.update_result(OFFICER, None, EVIDENCE, MONDAY, POLICY)
    refused(NotPermitted, "Điều 12.3", report, report.publish, actor, MONDAY)


def test_publication_resolves_the_report_dieu_8_3_12_3() -> None:
    report = proposed(at(2026, 3, 2))
    report.approve_result(HEAD, at(2026, 3, 3, 8))
    report.update_result(OFFICER, None, EVIDENCE, at(2026, 3, 3, 8, 30), POLICY)
    report.publish(HEAD, at(2026, 3, 4, 9, 30))
    event = last(report)
    assert report.status == Status.PUBLISHED and report.stage is None
    assert report.published_at == at(2026, 3, 4, 9, 30)
    assert only(event.closed).stage == "publication" and only(event.closed).on_time is False


# --------------------------------------------------------------------------- after the result (Điều 13)


def test_rating_before_publication_is_refused_dieu_13() -> None:
    report = approved()
    refused(InvalidState, "Điều 13", report, report.rate, CITIZEN, "satisfied", "", MONDAY)


def test_rating_twice_is_refused_dieu_13() -> None:
    report = published()
    refused(InvalidInput, "Điều 13", report, report.rate, CITIZEN, "great", "", MONDAY)
    report.rate(CITIZEN, "unsatisfied", " Chưa vá kỹ ", MONDAY)
    assert (last(report).rating, last(report).comment) == ("unsatisfied", "Chưa vá kỹ")
    refused(InvalidState, "Điều 13", report, report.rate, CITIZEN, "satisfied", "", MONDAY)


@pytest.mark.parametrize("actor", [OTHER_CITIZEN, HEAD, OFFICER])
def test_only_the_reporter_rates_and_asks_for_clarification_dieu_13(actor: Actor) -> None:
    report = published()
    refused(NotPermitted, "Điều 13", report, report.rate, actor, "satisfied", "", MONDAY)
    refused(NotPermitted, "Điều 13", report, report.request_clarification, actor,
            "Vì sao chậm?", MONDAY, POLICY)


def test_clarification_is_asked_within_2_days_and_answered_in_2_working_days_dieu_13() -> None:
    """Published Fri 28/8/2026 10:00; asked at once; 31/8, 1/9 and 2/9 off: due Fri 4/9 10:00."""
    report = published(at(2026, 8, 28, 10))
    report.request_clarification(CITIZEN, "Khi nào sơn lại vạch kẻ đường?", at(2026, 8, 28, 10),
                                 POLICY)
    (opened,) = last(report).opened
    assert (opened.stage, opened.due) == ("clarification", at(2026, 9, 4, 10))
    assert opened.unit_id == DISTRICT and opened.policy_version == POLICY.version
    refused(InvalidState, "Điều 13", report, report.request_clarification, CITIZEN,
            "Còn câu hỏi nữa", at(2026, 8, 28, 11), POLICY)
    refused(NotPermitted, "Điều 13", report, report.answer_clarification, OTHER_HEAD, "Đã rõ",
            at(2026, 8, 28, 11))
    refused(NotPermitted, "Điều 13", report, report.answer_clarification, TRANSFERRED_OFFICER,
            "Đã rõ", at(2026, 8, 28, 11))
    report.answer_clarification(OFFICER, "Tuần sau sơn lại", at(2026, 9, 3, 9))
    assert only(last(report).closed).on_time is True and report.clarification is None
    report.request_clarification(CITIZEN, "Sơn màu gì?", at(2026, 8, 30, 10), POLICY)
    report.answer_clarification(HEAD, "Màu trắng", at(2026, 9, 7, 9))
    assert only(last(report).closed).on_time is False


def test_clarification_after_its_2_day_window_is_refused_dieu_13() -> None:
    """Published Mon 2/3/2026 09:00: the window closes at Wed 4/3 24:00 (Thu 00:00)."""
    report = published(at(2026, 3, 2, 9))
    refused(InvalidState, "Điều 13", report, report.request_clarification, CITIZEN,
            "Vì sao chậm?", at(2026, 3, 5, 0, 0), POLICY)
    report.request_clarification(CITIZEN, "Vì sao chậm?", at(2026, 3, 4, 23, 59), POLICY)
    assert names(report)[-1] == "ClarificationRequested"


def test_clarification_window_is_2_calendar_days_after_the_result_dieu_13() -> None:
    """"Trong vòng 02 ngày kể từ ngày nhận được kết quả": published Mon 16:00, asked Wed 20:00
    is within the window (not 48 hours from the instant), calendar days from the day after,
    to 24:00 of the second (Bộ luật Dân sự 2015, Điều 147–148)."""
    report = published(at(2026, 3, 2, 16))
    report.request_clarification(CITIZEN, "Vì sao chậm?", at(2026, 3, 4, 20), POLICY)
    assert names(report)[-1] == "ClarificationRequested"


# --------------------------------------------------------------------------- capital initiatives (Điều 9)


def test_capital_initiative_is_answered_within_30_working_days_dieu_9() -> None:
    report = submit(kind="capital_initiative", receiving_unit_id=CENTRE, latitude=0.0,
                    longitude=0.0, address="")
    assert only(last(report).opened).due is None  # Điều 9 sets no period for distribution
    report.accept(CENTRE_RECEIVER, DEPARTMENT, MONDAY, POLICY)
    (opened,) = last(report).opened
    assert (opened.stage, opened.unit_id, opened.due) == (
        "response", DEPARTMENT, at(2026, 4, 13))
    assert opened.policy_version == POLICY.version and report.status == Status.IN_HANDLING
    refused(InvalidState, "Điều 8.4", report, report.classify, DEPARTMENT_HEAD, "normal", MONDAY,
            POLICY)
    refused(NotPermitted, "Điều 9", report, report.respond_to_initiative, HEAD,
            "Sáng kiến rất hay, sẽ triển khai", [], MONDAY)
    refused(InvalidInput, "Điều 9", report, report.respond_to_initiative, DEPARTMENT_HEAD,
            "Hay", [], MONDAY)
    report.respond_to_initiative(DEPARTMENT_HEAD, "Sáng kiến rất hay, sẽ triển khai", [],
                                 at(2026, 4, 14))
    event = last(report)
    assert report.status == Status.PUBLISHED and report.published_at == at(2026, 4, 14)
    assert only(event.closed).stage == "response" and only(event.closed).on_time is False
    report.request_clarification(CITIZEN, "Khi nào triển khai?", at(2026, 4, 14), POLICY)
    report.rate(CITIZEN, "satisfied", "", at(2026, 4, 14))
    assert names(report)[-2:] == ["ClarificationRequested", "Rated"]


# --------------------------------------------------------------------------- rejected reports, violations


@pytest.mark.parametrize(("command", "error", "rule"), [
    pytest.param(lambda r: r.accept(RECEIVER, DISTRICT, MONDAY, POLICY), InvalidState,
                 "Điều 7.2.b", id="accept"),
    pytest.param(lambda r: r.reject(RECEIVER, "b", "Ảnh bị sửa", MONDAY), InvalidState,
                 "Điều 7.2.a", id="reject"),
    pytest.param(lambda r: r.escalate(RECEIVER, CITY, True, "Vượt thẩm quyền", MONDAY, POLICY),
                 InvalidState, "Điều 7.2.c", id="escalate"),
    pytest.param(lambda r: r.start_verification(RECEIVER, MONDAY, POLICY), InvalidState,
                 "Điều 7.1", id="verify"),
    pytest.param(lambda r: r.classify(HEAD, "normal", MONDAY, POLICY), NotPermitted, "Điều 8.4",
                 id="classify"),
    pytest.param(lambda r: r.rate(CITIZEN, "satisfied", "", MONDAY), InvalidState, "Điều 13",
                 id="rate"),
    pytest.param(lambda r: r.request_clarification(CITIZEN, "Vì sao từ chối?", MONDAY, POLICY),
                 InvalidState, "Điều 13", id="clarify"),
])
def test_a_rejected_report_takes_no_further_handling_dieu_7_2_a(
        command: Callable[[Report], object], error: type[DomainError], rule: str) -> None:
    report = rejected()
    refused(error, rule, report, command, report)


def test_a_violation_is_marked_once_by_the_receiving_or_handling_unit_dieu_27_2() -> None:
    report = rejected()
    refused(NotPermitted, "Điều 27.2", report, report.mark_violation, OTHER_HEAD,
            "Nội dung sai sự thật", MONDAY)
    refused(InvalidInput, "Điều 27.2", report, report.mark_violation, RECEIVER, " ", MONDAY)
    report.mark_violation(RECEIVER, "Nội dung sai sự thật", MONDAY)
    assert report.violation and names(report) == ["Submitted", "Rejected", "ViolationMarked"]
    refused(InvalidState, "Điều 27.2", report, report.mark_violation, RECEIVER, "Lần nữa", MONDAY)
    handled = published()
    handled.mark_violation(HEAD, "Ảnh lấy trên mạng", MONDAY)
    assert last(handled).by["role"] == "unit_head"


# --------------------------------------------------------------------------- policy as data


def test_every_opened_stage_records_its_due_instant_and_the_policy_version() -> None:
    """The event that starts a stage records the policy in force; another version, other dues."""
    policy = SlaPolicy(version="2026-city-2").with_changes(deadlines={
        **POLICY.deadlines,
        "field": {**POLICY.deadlines["field"], "assignment": WorkingDuration(2),
                  "handling.normal": WorkingDuration(3, "days")},
    })
    report = submit(at(2026, 3, 2, 9), policy=policy)
    report.accept(RECEIVER, DISTRICT, at(2026, 3, 2, 9), policy)
    report.classify(HEAD, "normal", at(2026, 3, 2, 9), policy)
    report.assign(HEAD, DIVISION, DISTRICT, OFFICER, at(2026, 3, 2, 10), policy)
    report.propose_result(OFFICER, RESULT, EVIDENCE, at(2026, 3, 2, 11), policy)
    report.return_result(HEAD, "Thiếu ảnh", at(2026, 3, 2, 11), policy)
    report.propose_result(OFFICER, RESULT, EVIDENCE, at(2026, 3, 2, 14), policy)
    report.approve_result(HEAD, at(2026, 3, 2, 14), policy)
    report.update_result(OFFICER, None, EVIDENCE, at(2026, 3, 2, 14), policy)
    report.publish(HEAD, at(2026, 3, 2, 15))
    report.request_clarification(CITIZEN, "Vì sao vậy?", at(2026, 3, 2, 15), policy)
    opened = {o.stage: o for e in report.pending_events for o in e.opened}
    assert set(opened) == {"reception", "assignment", "handling", "approval", "result_update",
                           "publication", "rework", "clarification"}
    untimed = {name: opened.pop(name) for name in ("approval", "result_update")}
    assert [o.due for o in untimed.values()] == [None, None]  # Điều 12.1–12.2: no period
    assert {o.policy_version for o in opened.values()} == {"2026-city-2"}
    assert opened["assignment"].due == at(2026, 3, 2, 11)  # 2 h instead of 4 h
    assert opened["handling"].due == at(2026, 3, 5, 10)  # 3 days instead of 7
    assert all(o.due is not None and policy.calendar.is_working_time(o.due)
               for o in opened.values())


# --------------------------------------------------------------------------- reorganisation

ADMIN = Actor(id=str(uuid4()), role=Role.ADMINISTRATOR)
SUCCESSOR_DIVISION, SUCCESSOR_DISTRICT = uuid4(), uuid4()


def test_a_merged_division_hands_its_open_handling_to_the_successor_deadlines_kept_dieu_28_1(
        ) -> None:
    report = handling()
    stage_before = report.stage
    report.reroute(SYSTEM, DIVISION, SUCCESSOR_DIVISION, at(2026, 3, 3))
    assert names(report)[-1] == "Rerouted"
    assert report.department_id == SUCCESSOR_DIVISION
    assert report.handling_unit_id == DISTRICT and report.officer_id == OFFICER.id
    assert stage_before is not None and stage_before.unit_id == DISTRICT  # the handling unit answers for the stage
    assert report.stage == stage_before
    assert report.status == Status.IN_HANDLING


def test_a_merged_district_hands_over_reception_and_coordination_dieu_28_1() -> None:
    report = submit()
    report.reroute(ADMIN, DISTRICT, SUCCESSOR_DISTRICT, MONDAY)
    assert report.receiving_unit_id == SUCCESSOR_DISTRICT
    assert report.stage is not None and report.stage.unit_id == SUCCESSOR_DISTRICT
    assert report.stage.due == submit().stage.due  # type: ignore[union-attr]
    complex_report = handling("complex")
    complex_report.request_coordination(HEAD, [OTHER_DISTRICT], MONDAY)
    complex_report.reroute(SYSTEM, OTHER_DISTRICT, SUCCESSOR_DISTRICT, MONDAY)
    assert complex_report.coordination == {str(SUCCESSOR_DISTRICT): False}


def test_re_routing_is_refused_to_staff_to_itself_or_where_no_open_work_is_left_dieu_28_1(
        ) -> None:
    report = handling()
    refused(NotPermitted, "Điều 28.1", report, report.reroute, HEAD, DIVISION,
            SUCCESSOR_DIVISION, MONDAY)
    refused(InvalidInput, "Điều 28.1", report, report.reroute, SYSTEM, DIVISION, DIVISION,
            MONDAY)
    refused(InvalidState, "Điều 28.1", report, report.reroute, SYSTEM, OTHER_DIVISION,
            SUCCESSOR_DIVISION, MONDAY)
    closed = published()
    refused(InvalidState, "Điều 28.1", closed, closed.reroute, SYSTEM, DIVISION,
            SUCCESSOR_DIVISION, MONDAY)
