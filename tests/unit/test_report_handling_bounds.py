"""Reception, handling and the steps after the result, on both sides of each bound
(Điều 6.2.d, 7.2.c, 8.1, 8.2, 8.5, 9, 12, 13, 14.1)."""

from __future__ import annotations

from uuid import uuid4

import pytest

from domain.actors import Actor, Role, UnitLevel
from domain.errors import InvalidInput, InvalidState, NotPermitted
from domain.report import Report, Status
from tests.unit.test_report_rules import (
    CENTRE,
    CENTRE_RECEIVER,
    CITIZEN,
    CITY,
    CITY_RECEIVER,
    DEPARTMENT,
    DEPARTMENT_HEAD,
    DISTRICT,
    DIVISION,
    EVIDENCE,
    HEAD,
    MONDAY,
    OFFICER,
    OTHER_DISTRICT,
    OTHER_DIVISION,
    OTHER_HEAD,
    OTHER_OFFICER,
    POLICY,
    RECEIVER,
    RESULT,
    SECOND_DIVISION,
    SECOND_DIVISION_OFFICER,
    TRANSFERRED_OFFICER,
    WARD,
    accepted,
    at,
    handling,
    last,
    names,
    published,
    refused,
    submit,
)

OTHER_DISTRICT_RECEIVER = Actor(id=str(uuid4()), role=Role.RECEIVING_OFFICER,
                                unit_id=OTHER_DISTRICT, unit_level=UnitLevel.DISTRICT)
OTHER_DISTRICT_INSPECTOR = Actor(id=str(uuid4()), role=Role.INSPECTOR, unit_id=OTHER_DISTRICT,
                                 unit_level=UnitLevel.DISTRICT)
DIVISION_OFFICER_2 = Actor(id=str(uuid4()), role=Role.HANDLING_OFFICER, unit_id=DIVISION,
                           unit_level=UnitLevel.DIVISION)


def initiative() -> Report:
    report = submit(kind="capital_initiative", receiving_unit_id=CENTRE, latitude=0.0,
                    longitude=0.0, address="")
    report.accept(CENTRE_RECEIVER, DEPARTMENT, MONDAY, POLICY)
    return report


def fail_verification(report: Report, receiver: Actor) -> None:
    report.start_verification(receiver, MONDAY, POLICY)
    report.complete_verification(receiver, False, "Không nghe máy", MONDAY)


# --------------------------------------------------------------------------- reception (Điều 7)


def test_failed_verifications_count_from_the_new_unit_after_an_escalation_dieu_6_2_d_7_2_c(
        ) -> None:
    report = submit()
    fail_verification(report, RECEIVER)
    fail_verification(report, RECEIVER)
    assert report.failed_verifications == 2
    report.escalate(RECEIVER, CITY, True, "Vượt thẩm quyền", MONDAY, POLICY)
    assert report.failed_verifications == 0 and report.verification is None
    refused(InvalidState, "Điều 6.2.d", report, report.reject, CITY_RECEIVER, "d",
            "Không liên lạc được", MONDAY)
    fail_verification(report, CITY_RECEIVER)
    fail_verification(report, CITY_RECEIVER)
    report.reject(CITY_RECEIVER, "d", "Không liên lạc được", MONDAY)
    assert report.status == Status.REJECTED and report.verification is None


@pytest.mark.parametrize("actor", [OTHER_DISTRICT_RECEIVER, OFFICER, CITIZEN],
                         ids=["other_unit", "handling_officer", "citizen"])
def test_only_the_receiving_unit_completes_its_verification_dieu_7_1(actor: Actor) -> None:
    report = submit()
    report.start_verification(RECEIVER, MONDAY, POLICY)
    refused(NotPermitted, "Điều 7.1", report, report.complete_verification, actor, True,
            "Đã xác minh", MONDAY)
    assert report.verification is not None


def test_a_passed_verification_ends_it_without_counting_a_failure_dieu_7_1_b() -> None:
    report = submit()
    report.start_verification(RECEIVER, MONDAY, POLICY)
    assert report.verification is not None
    report.complete_verification(RECEIVER, True, "Đã xác minh", MONDAY)
    assert report.verification is None and report.failed_verifications == 0
    fail_verification(report, RECEIVER)
    assert report.failed_verifications == 1


def test_the_service_centre_passes_a_report_to_a_unit_that_is_not_higher_dieu_7_2_c_9(
        ) -> None:
    report = submit(receiving_unit_id=CENTRE)
    report.escalate(CENTRE_RECEIVER, WARD, False, "Thuộc địa bàn phường", MONDAY, POLICY)
    assert report.receiving_unit_id == WARD and report.status == Status.RECEIVED


def test_an_initiative_is_in_handling_at_once_a_report_waits_for_assignment_dieu_8_5_9() -> None:
    assert initiative().status == Status.IN_HANDLING
    report = accepted()
    assert report.status == Status.ACCEPTED and report.verification is None


# --------------------------------------------------------------------------- handling (Điều 8)


def test_classification_is_recorded_on_the_report_dieu_8_4() -> None:
    report = accepted()
    report.classify(HEAD, "urgent", MONDAY, POLICY)
    assert report.urgency == "urgent"


def test_assignment_records_division_officer_and_instant_dieu_8_1_b_c() -> None:
    report = handling(when=at(2026, 3, 2, 10))
    assert (report.department_id, report.officer_id) == (DIVISION, OFFICER.id)
    assert report.assigned_at == at(2026, 3, 2, 10) and report.status == Status.IN_HANDLING


def test_the_head_may_assign_the_handling_unit_itself_as_the_division_dieu_8_1_b() -> None:
    district_officer = Actor(id=str(uuid4()), role=Role.HANDLING_OFFICER, unit_id=DISTRICT,
                             unit_level=UnitLevel.DISTRICT)
    report = accepted()
    report.classify(HEAD, "normal", MONDAY, POLICY)
    report.assign(HEAD, DISTRICT, None, district_officer, MONDAY, POLICY)
    assert report.department_id == DISTRICT


def test_reassignment_gives_the_report_to_another_officer_who_then_answers_dieu_8_1_b_c(
        ) -> None:
    report = handling()
    report.reassign(HEAD, SECOND_DIVISION, DISTRICT, SECOND_DIVISION_OFFICER,
                    "Thuộc lĩnh vực phòng khác", MONDAY)
    assert (report.department_id, report.officer_id) == (SECOND_DIVISION,
                                                         SECOND_DIVISION_OFFICER.id)
    assert report.status == Status.IN_HANDLING
    refused(NotPermitted, "Điều 8.1.d", report, report.propose_result, OFFICER, RESULT,
            EVIDENCE, MONDAY, POLICY)
    report.propose_result(SECOND_DIVISION_OFFICER, RESULT, EVIDENCE, MONDAY, POLICY)
    assert report.status == Status.AWAITING_APPROVAL


def test_reassignment_within_the_same_division_to_another_officer_dieu_8_1_c() -> None:
    report = handling()
    report.reassign(HEAD, DIVISION, DISTRICT, DIVISION_OFFICER_2, "Cán bộ nghỉ ốm", MONDAY)
    assert (report.department_id, report.officer_id) == (DIVISION, DIVISION_OFFICER_2.id)


def test_the_transferred_officer_s_report_is_reassigned_during_rework_dieu_8_1_b() -> None:
    report = handling()
    report.propose_result(OFFICER, RESULT, EVIDENCE, MONDAY, POLICY)
    report.return_result(HEAD, "Thiếu ảnh", MONDAY, POLICY)
    refused(NotPermitted, "Điều 8.1.d", report, report.propose_result, TRANSFERRED_OFFICER,
            RESULT, EVIDENCE, MONDAY, POLICY)
    report.reassign(HEAD, DIVISION, DISTRICT, DIVISION_OFFICER_2, "Cán bộ chuyển công tác",
                    MONDAY)
    assert report.status == Status.IN_REWORK and report.officer_id == DIVISION_OFFICER_2.id


def test_reassignment_is_refused_outside_handling_or_without_an_officer_dieu_8_1_b() -> None:
    report = accepted()
    report.classify(HEAD, "normal", MONDAY, POLICY)
    refused(InvalidState, "Điều 8.1.b", report, report.reassign, HEAD, DIVISION, DISTRICT,
            DIVISION_OFFICER_2, "Lý do", MONDAY)
    answered = initiative()  # in handling, answered by the unit without an assigned officer
    refused(InvalidState, "Điều 8.1.b", answered, answered.reassign, DEPARTMENT_HEAD, DIVISION,
            DISTRICT, DIVISION_OFFICER_2, "Lý do", MONDAY)
    done = published()
    refused(InvalidState, "Điều 8.1.b", done, done.reassign, HEAD, DIVISION, DISTRICT,
            DIVISION_OFFICER_2, "Lý do", MONDAY)


@pytest.mark.parametrize(("by", "department", "parent", "officer", "reason", "error", "rule"), [
    (RECEIVER, DIVISION, DISTRICT, DIVISION_OFFICER_2, "Lý do", NotPermitted, "Điều 8.1.b"),
    (OTHER_HEAD, DIVISION, DISTRICT, DIVISION_OFFICER_2, "Lý do", NotPermitted, "Điều 8.1.b"),
    (HEAD, OTHER_DIVISION, OTHER_DISTRICT, OTHER_OFFICER, "Lý do", InvalidInput, "Điều 8.1.b"),
    (HEAD, SECOND_DIVISION, DISTRICT, OFFICER, "Lý do", InvalidInput, "Điều 8.1.c"),
    (HEAD, DIVISION, DISTRICT, HEAD, "Lý do", InvalidInput, "Điều 8.1.c"),
    (HEAD, DIVISION, DISTRICT, OFFICER, "Lý do", InvalidInput, "Điều 8.1.c"),
    (HEAD, DIVISION, DISTRICT, DIVISION_OFFICER_2, "", InvalidInput, "Điều 8.1.b"),
    (HEAD, DIVISION, DISTRICT, DIVISION_OFFICER_2, "  ", InvalidInput, "Điều 8.1.b"),
], ids=["receiving_officer", "other_head", "other_unit_s_division", "officer_of_another_division",
        "not_a_handling_officer", "same_officer", "no_reason", "blank_reason"])
def test_reassignment_by_the_head_to_another_officer_of_a_division_with_a_reason_dieu_8_1_b_c(
        by: Actor, department: object, parent: object, officer: Actor, reason: str,
        error: type[Exception], rule: str) -> None:
    report = handling()
    refused(error, rule, report, report.reassign, by, department, parent, officer,  # type: ignore[arg-type]
            reason, MONDAY)
    assert (report.department_id, report.officer_id) == (DIVISION, OFFICER.id)


def test_coordination_is_asked_only_while_the_lead_unit_handles_the_report_dieu_8_2_a() -> None:
    report = handling("complex")
    report.propose_result(OFFICER, RESULT, EVIDENCE, MONDAY, POLICY)
    report.return_result(HEAD, "Cần ý kiến quận bên", MONDAY, POLICY)
    refused(InvalidState, "Điều 8.2.a", report, report.request_coordination, HEAD,
            [OTHER_DISTRICT], MONDAY)


def test_any_officer_of_a_coordinating_unit_contributes_while_in_handling_dieu_8_2_b() -> None:
    report = handling("complex")
    report.request_coordination(HEAD, [OTHER_DISTRICT, OTHER_DIVISION], MONDAY)
    assert report.coordination == {str(OTHER_DISTRICT): False, str(OTHER_DIVISION): False}
    report.contribute(OTHER_DISTRICT_RECEIVER, "Quận bên đã kiểm tra", [], MONDAY)
    assert report.coordination == {str(OTHER_DISTRICT): True, str(OTHER_DIVISION): False}
    refused(NotPermitted, "Điều 8.2.b", report, report.contribute, OTHER_DISTRICT_INSPECTOR,
            "Ý kiến", [], MONDAY)
    refused(NotPermitted, "Điều 8.2.b", report, report.contribute, CITIZEN, "Ý kiến", [], MONDAY)
    refused(InvalidInput, "Điều 8.2.b", report, report.contribute, OTHER_OFFICER, " ", [],
            MONDAY)
    report.contribute(OTHER_OFFICER, "Phòng bên thống nhất", [], MONDAY)
    report.propose_result(OFFICER, RESULT, EVIDENCE, MONDAY, POLICY)
    assert report.status == Status.AWAITING_APPROVAL


def test_a_report_closed_as_a_duplicate_takes_no_more_contributions_dieu_6_2_c_8_2_b() -> None:
    original = submit()
    report = handling("complex")
    report.request_coordination(HEAD, [OTHER_DISTRICT], MONDAY)
    report.mark_duplicate(HEAD, original, MONDAY)
    error = refused(InvalidState, "Điều 8.2.b", report, report.contribute, OTHER_HEAD, "Ý kiến",
                    [], MONDAY)
    assert "duplicate" in error.detail
    assert report.coordination == {str(OTHER_DISTRICT): False}


def test_an_extension_of_one_working_day_is_granted_dieu_8_5() -> None:
    report = handling("complex")
    report.grant_extension(HEAD, 1, "Thủ tục thu hồi đất", MONDAY, POLICY)
    assert names(report)[-1] == "ExtensionGranted"
    refused(InvalidInput, "Điều 8.5", report, report.grant_extension, HEAD, -1,
            "Thủ tục thu hồi đất", MONDAY, POLICY)
    refused(InvalidInput, "Điều 8.5", report, report.grant_extension, HEAD, 5, "",
            MONDAY, POLICY)


def test_an_extension_is_granted_only_while_in_handling_dieu_8_5() -> None:
    report = handling("complex")
    report.propose_result(OFFICER, RESULT, EVIDENCE, MONDAY, POLICY)
    refused(InvalidState, "Điều 8.5", report, report.grant_extension, HEAD, 1, "Thủ tục",
            MONDAY, POLICY)


# --------------------------------------------------------------------------- results (Điều 9, 12)


@pytest.mark.parametrize("text", ["a" * 10, "   " + "a" * 10])
def test_a_written_answer_of_10_characters_is_enough_dieu_12_2(text: str) -> None:
    report = handling()
    report.propose_result(OFFICER, text, EVIDENCE, MONDAY, POLICY)
    assert last(report).text == "a" * 10


@pytest.mark.parametrize("text", ["", "a" * 9, "    " + "a" * 9 + "    "],
                         ids=["empty", "9", "9_padded"])
def test_a_written_answer_under_10_characters_is_refused_dieu_12_2(text: str) -> None:
    report = handling()
    refused(InvalidInput, "Điều 12.2", report, report.propose_result, OFFICER, text, EVIDENCE,
            MONDAY, POLICY)


def test_an_answer_to_an_initiative_is_10_characters_or_more_dieu_9() -> None:
    report = initiative()
    for text in ("", "a" * 9, "     " + "a" * 9):
        refused(InvalidInput, "Điều 9", report, report.respond_to_initiative, DEPARTMENT_HEAD,
                text, [], MONDAY)
    report.respond_to_initiative(DEPARTMENT_HEAD, "a" * 10, [], MONDAY)
    assert report.status == Status.PUBLISHED and report.published_at == MONDAY


def test_a_handling_officer_of_the_unit_answers_an_initiative_not_its_receiver_dieu_9() -> None:
    department_officer = Actor(id=str(uuid4()), role=Role.HANDLING_OFFICER, unit_id=DEPARTMENT,
                               unit_level=UnitLevel.DEPARTMENT)
    department_receiver = Actor(id=str(uuid4()), role=Role.RECEIVING_OFFICER,
                                unit_id=DEPARTMENT, unit_level=UnitLevel.DEPARTMENT)
    report = initiative()
    refused(NotPermitted, "Điều 9", report, report.respond_to_initiative, department_receiver,
            "Sáng kiến hay, sẽ triển khai", [], MONDAY)
    report.respond_to_initiative(department_officer, "Sáng kiến hay, sẽ triển khai", [], MONDAY)
    assert report.status == Status.PUBLISHED
    refused(InvalidState, "Điều 9", report, report.respond_to_initiative, department_officer,
            "Trả lời lần nữa", [], MONDAY)


def test_an_initiative_answer_is_not_a_report_s_result_dieu_9() -> None:
    report = handling()
    refused(InvalidState, "Điều 9", report, report.respond_to_initiative, HEAD,
            "Trả lời như sáng kiến", [], MONDAY)


# --------------------------------------------------------------------------- after the result (Điều 13)


@pytest.mark.parametrize("question", ["", "a" * 4, "     " + "a" * 4])
def test_a_clarification_request_under_5_characters_is_refused_dieu_13(question: str) -> None:
    report = published()
    refused(InvalidInput, "Điều 13", report, report.request_clarification, CITIZEN, question,
            MONDAY, POLICY)


def test_a_clarification_request_of_5_characters_is_received_dieu_13() -> None:
    report = published()
    report.request_clarification(CITIZEN, " Vì ai ", MONDAY, POLICY)  # 5 once trimmed
    assert last(report).question == "Vì ai" and report.clarification is not None


def test_an_answer_to_a_clarification_needs_content_dieu_13() -> None:
    report = published()
    report.request_clarification(CITIZEN, "Vì sao chậm?", MONDAY, POLICY)
    for answer in ("", "  "):
        refused(InvalidInput, "Điều 13", report, report.answer_clarification, HEAD, answer,
                MONDAY)
    refused(NotPermitted, "Điều 13", report, report.answer_clarification, RECEIVER, "Đã rõ",
            MONDAY)
    report.answer_clarification(HEAD, "Do mưa", MONDAY)
    assert report.clarification is None


@pytest.mark.parametrize("rating", ["satisfied", "acceptable", "unsatisfied"])
def test_a_comment_of_up_to_2000_characters_goes_with_any_rating_dieu_13(rating: str) -> None:
    report = published()
    report.rate(CITIZEN, rating, "c" * 2000, MONDAY)
    assert (report.rating, last(report).comment) == (rating, "c" * 2000)


def test_a_comment_over_2000_characters_is_refused_dieu_13() -> None:
    report = published()
    refused(InvalidInput, "Điều 13", report, report.rate, CITIZEN, "satisfied", "c" * 2001, MONDAY)
    assert report.rating is None


def test_the_reporter_rates_an_answered_initiative_dieu_9_13() -> None:
    report = initiative()
    report.respond_to_initiative(DEPARTMENT_HEAD, "Sáng kiến hay, sẽ triển khai", [], MONDAY)
    report.rate(CITIZEN, "satisfied", "", MONDAY)
    assert report.rating == "satisfied"


# --------------------------------------------------------------------------- violations (Điều 27.2)


def test_the_handling_unit_s_head_marks_a_violation_its_officer_does_not_dieu_27_2() -> None:
    report = submit()
    report.escalate(RECEIVER, CITY, True, "Vượt thẩm quyền", MONDAY, POLICY)
    report.accept(CITY_RECEIVER, DEPARTMENT, MONDAY, POLICY)
    department_officer = Actor(id=str(uuid4()), role=Role.HANDLING_OFFICER, unit_id=DEPARTMENT,
                               unit_level=UnitLevel.DEPARTMENT)
    refused(NotPermitted, "Điều 27.2", report, report.mark_violation, department_officer,
            "Sai sự thật", MONDAY)
    refused(NotPermitted, "Điều 27.2", report, report.mark_violation, RECEIVER, "Sai sự thật",
            MONDAY)
    report.mark_violation(DEPARTMENT_HEAD, "Sai sự thật", MONDAY)
    assert report.violation is True
    other = submit()
    other.escalate(RECEIVER, CITY, True, "Vượt thẩm quyền", MONDAY, POLICY)
    other.mark_violation(CITY_RECEIVER, "Sai sự thật", MONDAY)
    assert other.violation is True
