"""The audit trail: every event of a report records who acted, as he stood then, when, and why
(DOMAIN.md "Audit trail"; Điều 7, 8, 9, 12, 13, 14.1, 18.4, 27.2, 28.1).

Each step below happens at its own instant, so an event that recorded another instant (or
none) than the one it was given is caught.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from domain.actors import SYSTEM, Actor
from domain.errors import InvalidInput
from domain.report import Report, Status
from tests.unit.test_report_rules import (
    ADMIN,
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
    OFFICER,
    OTHER_DISTRICT,
    OTHER_HEAD,
    POLICY,
    RECEIVER,
    REPORTER_ID,
    RESULT,
    SECOND_DIVISION,
    SECOND_DIVISION_OFFICER,
    SUCCESSOR_DISTRICT,
    accepted,
    at,
    handling,
    last,
    published,
    rejected,
    submit,
)


def recorded(report: Report, name: str, by: Actor, when: datetime, **fields: Any) -> Any:
    """The last event is ``name``, by ``by`` as he stands now, at ``when``, with ``fields``."""
    event = last(report)
    assert type(event).__name__ == name
    assert event.by == by.ref() and event.at == when
    assert {key: getattr(event, key) for key in fields} == fields
    return event


def test_reception_records_who_decided_when_and_why_dieu_7() -> None:
    report = submit(at(2026, 3, 2, 8))
    report.start_verification(RECEIVER, at(2026, 3, 2, 9), POLICY)
    recorded(report, "VerificationStarted", RECEIVER, at(2026, 3, 2, 9))
    report.complete_verification(HEAD, False, "Không nghe máy", at(2026, 3, 2, 10))
    recorded(report, "VerificationCompleted", HEAD, at(2026, 3, 2, 10), passed=False,
             note="Không nghe máy")
    report.start_verification(HEAD, at(2026, 3, 2, 11), POLICY)
    recorded(report, "VerificationStarted", HEAD, at(2026, 3, 2, 11))
    report.complete_verification(RECEIVER, True, "Đã xác minh", at(2026, 3, 2, 13))
    recorded(report, "VerificationCompleted", RECEIVER, at(2026, 3, 2, 13), passed=True,
             note="Đã xác minh")
    report.escalate(RECEIVER, CITY, True, " Liên quan nhiều quận ", at(2026, 3, 2, 14), POLICY)
    recorded(report, "Escalated", RECEIVER, at(2026, 3, 2, 14), to_unit_id=CITY,
             why="Liên quan nhiều quận")
    report.accept(CITY_RECEIVER, DEPARTMENT, at(2026, 3, 2, 15), POLICY)
    recorded(report, "Accepted", CITY_RECEIVER, at(2026, 3, 2, 15), handling_unit_id=DEPARTMENT)
    assert report.handling_unit_id == DEPARTMENT and report.receiving_unit_id == CITY


def test_a_rejection_records_its_reason_and_note_dieu_6_2_7_2_a() -> None:
    report = submit(at(2026, 3, 2, 8))
    report.reject(HEAD, "e", " Quảng cáo bất động sản ", at(2026, 3, 2, 9))
    recorded(report, "Rejected", HEAD, at(2026, 3, 2, 9), reason="e",
             note="Quảng cáo bất động sản")


def test_handling_records_who_classified_assigned_and_why_it_was_reassigned_dieu_8() -> None:
    report = accepted(at(2026, 3, 2, 8))
    report.classify(HEAD, "complex", at(2026, 3, 2, 9), POLICY)
    recorded(report, "Classified", HEAD, at(2026, 3, 2, 9), urgency="complex")
    report.assign(HEAD, DIVISION, DISTRICT, OFFICER, at(2026, 3, 2, 10), POLICY)
    recorded(report, "Assigned", HEAD, at(2026, 3, 2, 10), department_id=DIVISION,
             officer=OFFICER.ref())
    report.reassign(HEAD, SECOND_DIVISION, DISTRICT, SECOND_DIVISION_OFFICER,
                    " Cán bộ chuyển công tác ", at(2026, 3, 2, 11))
    recorded(report, "Reassigned", HEAD, at(2026, 3, 2, 11), department_id=SECOND_DIVISION,
             officer=SECOND_DIVISION_OFFICER.ref(), reason="Cán bộ chuyển công tác")
    report.request_coordination(HEAD, [OTHER_DISTRICT, CENTRE], at(2026, 3, 2, 13))
    recorded(report, "CoordinationRequested", HEAD, at(2026, 3, 2, 13),
             unit_ids=[OTHER_DISTRICT, CENTRE])
    evidence = ["bien-ban.pdf"]
    report.contribute(OTHER_HEAD, " Đã kiểm tra hiện trường ", evidence, at(2026, 3, 2, 14))
    event = recorded(report, "CoordinationContributed", OTHER_HEAD, at(2026, 3, 2, 14),
                     unit_id=OTHER_DISTRICT, text="Đã kiểm tra hiện trường",
                     evidence=evidence)
    assert event.evidence is not evidence
    report.grant_extension(HEAD, 2, " Thủ tục thu hồi đất ", at(2026, 3, 2, 15), POLICY)
    recorded(report, "ExtensionGranted", HEAD, at(2026, 3, 2, 15),
             reason="Thủ tục thu hồi đất", previous_due=at(2026, 3, 23, 10),
             due=at(2026, 3, 25, 10), policy_version=POLICY.version)


def test_results_record_their_answer_evidence_and_who_approved_them_dieu_12() -> None:
    report = handling(when=at(2026, 3, 2, 8))
    evidence = [*EVIDENCE, "anh-sau.jpg"]
    report.propose_result(OFFICER, f"  {RESULT} ", evidence, at(2026, 3, 2, 9), POLICY)
    event = recorded(report, "ResultProposed", OFFICER, at(2026, 3, 2, 9), text=RESULT,
                     evidence=evidence)
    assert event.evidence is not evidence
    assert report.result == {"text": RESULT, "evidence": evidence, "proposed_at": at(2026, 3, 2, 9)}
    report.return_result(HEAD, " Thiếu ảnh sau khi vá ", at(2026, 3, 2, 10), POLICY)
    recorded(report, "ResultReturned", HEAD, at(2026, 3, 2, 10), reason="Thiếu ảnh sau khi vá")
    report.propose_result(OFFICER, "Đã vá lại, có ảnh", ["anh.jpg"], at(2026, 3, 2, 11), POLICY)
    assert report.result == {"text": "Đã vá lại, có ảnh", "evidence": ["anh.jpg"],
                             "proposed_at": at(2026, 3, 2, 11)}
    report.approve_result(HEAD, at(2026, 3, 2, 13), POLICY)
    recorded(report, "ResultApproved", HEAD, at(2026, 3, 2, 13))
    report.update_result(OFFICER, " Đã vá lại, ảnh sau khi vá kèm theo ", ["anh-sau.jpg"],
                         at(2026, 3, 2, 13, 30), POLICY)
    recorded(report, "ResultUpdated", OFFICER, at(2026, 3, 2, 13, 30),
             text="Đã vá lại, ảnh sau khi vá kèm theo", evidence=["anh-sau.jpg"])
    assert report.result == {"text": "Đã vá lại, ảnh sau khi vá kèm theo",
                             "evidence": ["anh-sau.jpg"], "proposed_at": at(2026, 3, 2, 11),
                             "updated_at": at(2026, 3, 2, 13, 30)}
    report.publish(HEAD, at(2026, 3, 2, 14))
    recorded(report, "Published", HEAD, at(2026, 3, 2, 14))
    assert report.published_at == at(2026, 3, 2, 14)


def test_an_initiative_answer_records_its_text_and_evidence_dieu_9() -> None:
    report = submit(kind="capital_initiative", receiving_unit_id=CENTRE, latitude=0.0,
                    longitude=0.0, address="")
    report.accept(CENTRE_RECEIVER, DEPARTMENT, at(2026, 3, 2, 10), POLICY)
    evidence = ["ke-hoach.pdf"]
    report.respond_to_initiative(DEPARTMENT_HEAD, " Sáng kiến hay, sẽ triển khai ", evidence,
                                 at(2026, 3, 3, 10))
    event = recorded(report, "InitiativeAnswered", DEPARTMENT_HEAD, at(2026, 3, 3, 10),
                     text="Sáng kiến hay, sẽ triển khai", evidence=evidence)
    assert event.evidence is not evidence
    assert report.result == {"text": "Sáng kiến hay, sẽ triển khai", "evidence": evidence,
                             "proposed_at": at(2026, 3, 3, 10)}
    assert report.published_at == at(2026, 3, 3, 10) and report.stage is None


def test_after_the_result_the_trail_records_questions_answers_and_ratings_dieu_13() -> None:
    report = published(at(2026, 3, 2, 8))
    report.request_clarification(CITIZEN, " Khi nào sơn lại? ", at(2026, 3, 2, 9), POLICY)
    recorded(report, "ClarificationRequested", CITIZEN, at(2026, 3, 2, 9),
             question="Khi nào sơn lại?")
    report.answer_clarification(OFFICER, " Tuần sau ", at(2026, 3, 2, 10))
    recorded(report, "ClarificationAnswered", OFFICER, at(2026, 3, 2, 10), answer="Tuần sau",
             evidence=[])
    report.rate(CITIZEN, "acceptable", " Tạm được ", at(2026, 3, 2, 11))
    recorded(report, "Rated", CITIZEN, at(2026, 3, 2, 11), rating="acceptable",
             comment="Tạm được")
    assert report.rating == "acceptable"
    report.mark_violation(HEAD, " Ảnh lấy trên mạng ", at(2026, 3, 2, 13))
    recorded(report, "ViolationMarked", HEAD, at(2026, 3, 2, 13), note="Ảnh lấy trên mạng")


def test_a_rating_without_a_comment_records_an_empty_one_dieu_13() -> None:
    report = published()
    report.rate(CITIZEN, "satisfied", None, at(2026, 3, 2, 11))  # type: ignore[arg-type]
    recorded(report, "Rated", CITIZEN, at(2026, 3, 2, 11), rating="satisfied", comment="")


def test_a_violation_on_a_rejected_report_is_marked_by_the_receiving_officer_dieu_27_2() -> None:
    report = rejected()
    report.mark_violation(RECEIVER, " Nội dung sai sự thật ", at(2026, 3, 2, 11))
    recorded(report, "ViolationMarked", RECEIVER, at(2026, 3, 2, 11), note="Nội dung sai sự thật")
    assert report.violation is True


def test_matters_duplicates_and_moderation_record_who_and_why_dieu_6_2_c_14_1_18_4() -> None:
    original = submit(at(2026, 3, 2, 8), reporter_id=REPORTER_ID)
    report = submit(at(2026, 3, 2, 9))
    report.link_to_matter(RECEIVER, original, at(2026, 3, 2, 10))
    recorded(report, "LinkedToMatter", RECEIVER, at(2026, 3, 2, 10), matter_id=original.id,
             earlier_report_id=original.id)
    report.mark_duplicate(RECEIVER, original, at(2026, 3, 2, 11))
    recorded(report, "MarkedDuplicate", RECEIVER, at(2026, 3, 2, 11), original_id=original.id,
             original_reporter_id=REPORTER_ID)
    report.unmark_duplicate(HEAD, " Hai vị trí khác nhau ", at(2026, 3, 2, 13))
    recorded(report, "DuplicateUnmarked", HEAD, at(2026, 3, 2, 13),
             reason="Hai vị trí khác nhau")
    report.hide(HEAD, "report", " Lộ thông tin cá nhân ", at(2026, 3, 2, 14))
    recorded(report, "Hidden", HEAD, at(2026, 3, 2, 14), target="report",
             reason="Lộ thông tin cá nhân")
    report.redact(HEAD, "text", "Ổ gà ở [đã ẩn]", " Số điện thoại ", at(2026, 3, 2, 15))
    recorded(report, "Redacted", HEAD, at(2026, 3, 2, 15), field="text",
             redacted="Ổ gà ở [đã ẩn]", reason="Số điện thoại")


def test_re_routing_records_the_administrator_and_both_units_dieu_28_1() -> None:
    report = submit()
    report.reroute(ADMIN, DISTRICT, SUCCESSOR_DISTRICT, at(2026, 3, 2, 10))
    recorded(report, "Rerouted", ADMIN, at(2026, 3, 2, 10), from_unit_id=DISTRICT,
             to_unit_id=SUCCESSOR_DISTRICT, coordination=None)


def test_a_deadline_passing_is_recorded_by_the_system_at_the_due_instant() -> None:
    report = submit(at(2026, 3, 2, 9))
    assert report.record_deadlines_passed(at(2026, 3, 4, 9), now=at(2026, 3, 4, 9, 5)) == 1
    event = recorded(report, "StageDeadlinePassed", SYSTEM, at(2026, 3, 3, 9),
                     recorded_at=at(2026, 3, 4, 9, 5))
    assert event.stage == report.stage
    report.accept(RECEIVER, DISTRICT, at(2026, 3, 4, 10), POLICY)
    assert report.record_deadlines_passed(at(2026, 3, 5, 9)) == 1
    recorded(report, "StageDeadlinePassed", SYSTEM, at(2026, 3, 4, 15),
             recorded_at=at(2026, 3, 5, 9))  # recorded when asked unless told otherwise
    assert report.status == Status.ACCEPTED



def test_a_clarification_answer_records_its_attachments_dieu_13() -> None:
    """The answer may carry files (attachment references, like a result's); none blank."""
    report = published(at(2026, 3, 2, 8))
    report.request_clarification(CITIZEN, "Khi nào sơn lại?", at(2026, 3, 2, 9), POLICY)
    for evidence in ([""], ["  "], ["a.jpg"] * 51):
        with pytest.raises(InvalidInput) as refused:
            report.answer_clarification(OFFICER, "Tuần sau", at(2026, 3, 2, 10), evidence)
        assert refused.value.rule == "Điều 13"
    assert report.clarification is not None
    report.answer_clarification(OFFICER, "Tuần sau", at(2026, 3, 2, 10),
                                ["lich-son.pdf", "anh.jpg"])
    recorded(report, "ClarificationAnswered", OFFICER, at(2026, 3, 2, 10), answer="Tuần sau",
             evidence=["lich-son.pdf", "anh.jpg"])
    assert report.clarification is None
