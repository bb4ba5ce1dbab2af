"""Matters, duplicates, moderation and re-routing of a report (Điều 4.4, 6.2.c, 14.1, 18.4,
28.1)."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest

from domain.actors import SYSTEM, Actor, Role, UnitLevel
from domain.errors import InvalidInput, InvalidState, NotPermitted
from domain.report import Report, Status
from tests.unit.test_report_rules import (
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
    OTHER_HEAD,
    OTHER_RECEIVER,
    POLICY,
    RECEIVER,
    RESULT,
    SUCCESSOR_DISTRICT,
    SUCCESSOR_DIVISION,
    WARD,
    accepted,
    approved,
    handling,
    last,
    names,
    proposed,
    published,
    refused,
    rejected,
    submit,
)

CITY_HEAD = Actor(id=str(uuid4()), role=Role.UNIT_HEAD, unit_id=CITY, unit_level=UnitLevel.CITY)
ORIGINAL_REPORTER = uuid4()


def at_the_department() -> Report:
    """Received by the city (after the district escalated it), handled by a department."""
    report = submit()
    report.escalate(RECEIVER, CITY, True, "Vượt thẩm quyền", MONDAY, POLICY)
    report.accept(CITY_RECEIVER, DEPARTMENT, MONDAY, POLICY)
    return report


def in_rework() -> Report:
    report = proposed()
    report.return_result(HEAD, "Thiếu ảnh", MONDAY, POLICY)
    return report


# --------------------------------------------------------------------------- matters (Điều 18.4)


def test_a_report_is_linked_to_an_earlier_report_s_matter_dieu_18_4() -> None:
    first = published()
    again = submit(re_report_of=first)
    later = submit(MONDAY + timedelta(hours=1))
    later.link_to_matter(RECEIVER, again, MONDAY + timedelta(hours=2))
    event = last(later)
    assert (event.matter_id, event.earlier_report_id) == (first.id, again.id)
    assert (later.matter, later.matter_id, later.re_report_of) == (first.id, first.id, again.id)


def test_a_report_is_linked_to_one_submitted_at_the_same_instant_dieu_18_4() -> None:
    earlier, report = submit(), submit()
    report.link_to_matter(HEAD, earlier, MONDAY)
    assert report.matter == earlier.id


def test_a_report_is_not_linked_to_itself_its_own_matter_or_a_later_report_dieu_18_4() -> None:
    report = submit()
    refused(InvalidInput, "Điều 18.4", report, report.link_to_matter, RECEIVER, report, MONDAY)
    earlier = submit(MONDAY - timedelta(hours=1))
    report.link_to_matter(RECEIVER, earlier, MONDAY)
    refused(InvalidInput, "Điều 18.4", report, report.link_to_matter, RECEIVER, earlier, MONDAY)
    sibling = submit(MONDAY - timedelta(minutes=30))
    sibling.link_to_matter(RECEIVER, earlier, MONDAY)
    refused(InvalidInput, "Điều 18.4", report, report.link_to_matter, RECEIVER, sibling, MONDAY)
    later = submit(MONDAY + timedelta(seconds=1))
    fresh = submit()
    refused(InvalidInput, "Điều 18.4", fresh, fresh.link_to_matter, RECEIVER, later, MONDAY)


@pytest.mark.parametrize("actor", [OTHER_RECEIVER, OTHER_HEAD, OFFICER, CITIZEN, SYSTEM])
def test_only_the_receiving_unit_or_the_handling_head_links_a_matter_dieu_18_4(
        actor: Actor) -> None:
    report = submit()
    refused(NotPermitted, "Điều 18.4", report, report.link_to_matter, actor,
            submit(MONDAY - timedelta(hours=1)), MONDAY)


def test_the_handling_head_links_a_report_received_elsewhere_dieu_18_4() -> None:
    report = at_the_department()
    report.link_to_matter(DEPARTMENT_HEAD, submit(MONDAY - timedelta(hours=1)), MONDAY)
    other = at_the_department()
    other.link_to_matter(CITY_RECEIVER, submit(MONDAY - timedelta(hours=1)), MONDAY)
    assert names(report)[-1] == names(other)[-1] == "LinkedToMatter"
    department_officer = Actor(id=str(uuid4()), role=Role.HANDLING_OFFICER, unit_id=DEPARTMENT,
                               unit_level=UnitLevel.DEPARTMENT)
    third = at_the_department()
    refused(NotPermitted, "Điều 18.4", third, third.link_to_matter, department_officer,
            submit(MONDAY - timedelta(hours=1)), MONDAY)


# --------------------------------------------------------------------------- duplicates (Điều 6.2.c)


@pytest.mark.parametrize(("scene", "status"), [
    (submit, Status.RECEIVED), (accepted, Status.ACCEPTED), (handling, Status.IN_HANDLING),
    (proposed, Status.AWAITING_APPROVAL), (in_rework, Status.IN_REWORK)])
def test_an_open_report_is_closed_as_a_duplicate_and_restored_as_it_was_dieu_6_2_c(
        scene: object, status: Status) -> None:
    original = submit(MONDAY - timedelta(hours=1), reporter_id=ORIGINAL_REPORTER)
    report = scene()  # type: ignore[operator]
    stage = report.stage
    report.mark_duplicate(HEAD, original, MONDAY)
    event = last(report)
    assert (event.original_id, event.original_reporter_id) == (original.id, ORIGINAL_REPORTER)
    assert event.suspended == {"status": str(status), "stage": stage, "verification": None}
    assert (report.status, report.duplicate_of, report.stage) == (Status.DUPLICATE, original.id,
                                                                   None)
    assert report.suspended == event.suspended and report.open_stages() == []
    report.unmark_duplicate(HEAD, "Hai vị trí khác nhau", MONDAY)
    assert last(report).restored == event.suspended
    assert (report.status, report.stage, report.duplicate_of, report.suspended) == (
        status, stage, None, None)


def test_a_duplicate_marked_during_verification_gets_it_back_when_unmarked_dieu_6_2_c() -> None:
    original = submit(MONDAY - timedelta(hours=1))
    report = submit()
    report.start_verification(RECEIVER, MONDAY, POLICY)
    verification = report.verification
    report.mark_duplicate(RECEIVER, original, MONDAY)
    assert last(report).suspended["verification"] == verification
    assert report.verification is None
    report.unmark_duplicate(HEAD, "Khác nội dung", MONDAY)
    assert report.verification == verification and report.status == Status.RECEIVED
    report.complete_verification(RECEIVER, True, "Đã xác minh", MONDAY)
    assert report.verification is None


def test_a_report_follows_a_published_original_s_result_dieu_6_2_c() -> None:
    original = published()
    report = submit()
    report.mark_duplicate(RECEIVER, original, MONDAY)
    assert report.duplicate_of == original.id


@pytest.mark.parametrize("scene", [approved, published, rejected])
def test_a_report_no_longer_open_is_not_marked_a_duplicate_dieu_6_2_c(scene: object) -> None:
    report = scene()  # type: ignore[operator]
    refused(InvalidState, "Điều 6.2.c", report, report.mark_duplicate, HEAD, submit(), MONDAY)


def test_a_duplicate_is_not_marked_again_dieu_6_2_c() -> None:
    report = submit()
    report.mark_duplicate(HEAD, submit(), MONDAY)
    refused(InvalidState, "Điều 6.2.c", report, report.mark_duplicate, HEAD, submit(), MONDAY)


def test_the_original_is_another_report_still_followed_dieu_6_2_c() -> None:
    report = submit()
    refused(InvalidInput, "Điều 6.2.c", report, report.mark_duplicate, HEAD, report, MONDAY)
    copy = submit()
    copy.mark_duplicate(HEAD, submit(), MONDAY)
    refused(InvalidInput, "Điều 6.2.c", report, report.mark_duplicate, HEAD, copy, MONDAY)
    refused(InvalidInput, "Điều 6.2.c", report, report.mark_duplicate, HEAD, rejected(), MONDAY)


@pytest.mark.parametrize("actor", [OTHER_RECEIVER, OTHER_HEAD, OFFICER, CITIZEN])
def test_only_the_receiving_unit_or_the_handling_head_marks_a_duplicate_dieu_6_2_c(
        actor: Actor) -> None:
    report = submit()
    refused(NotPermitted, "Điều 6.2.c", report, report.mark_duplicate, actor, submit(), MONDAY)


def test_the_handling_head_marks_a_duplicate_received_elsewhere_dieu_6_2_c() -> None:
    report = at_the_department()
    report.mark_duplicate(DEPARTMENT_HEAD, submit(), MONDAY)
    assert report.status == Status.DUPLICATE


def test_only_a_unit_head_reverses_a_duplicate_marking_with_a_reason_dieu_6_2_c() -> None:
    report = submit()
    refused(InvalidState, "Điều 6.2.c", report, report.unmark_duplicate, HEAD, "Lý do", MONDAY)
    report.mark_duplicate(RECEIVER, submit(), MONDAY)
    for actor in (RECEIVER, OTHER_HEAD, OFFICER):
        refused(NotPermitted, "Điều 6.2.c", report, report.unmark_duplicate, actor, "Lý do",
                MONDAY)
    for reason in ("", "  "):
        refused(InvalidInput, "Điều 6.2.c", report, report.unmark_duplicate, HEAD, reason,
                MONDAY)


def test_the_head_of_either_the_receiving_or_the_handling_unit_reverses_it_dieu_6_2_c() -> None:
    report = at_the_department()
    report.mark_duplicate(CITY_RECEIVER, submit(), MONDAY)
    report.unmark_duplicate(DEPARTMENT_HEAD, "Khác vị trí", MONDAY)
    assert report.status == Status.ACCEPTED
    report.mark_duplicate(DEPARTMENT_HEAD, submit(), MONDAY)
    report.unmark_duplicate(CITY_HEAD, "Khác vị trí", MONDAY)
    assert report.status == Status.ACCEPTED


# --------------------------------------------------------------------------- moderation (Điều 4.4, 14.1)


def test_the_head_of_the_responsible_unit_hides_the_report_and_the_comment_dieu_14_1() -> None:
    report = published()
    refused(InvalidInput, "Điều 14.1", report, report.hide, HEAD, "reporter", "Lý do", MONDAY)
    for reason in ("", "  "):
        refused(InvalidInput, "Điều 14.1", report, report.hide, HEAD, "report", reason, MONDAY)
    report.hide(HEAD, "report", "Lộ thông tin cá nhân", MONDAY)
    assert report.hidden == {"report"}
    refused(InvalidState, "Điều 14.1", report, report.hide, HEAD, "report", "Lần nữa", MONDAY)
    report.hide(HEAD, "rating_comment", "Lời lẽ thô tục", MONDAY)
    assert report.hidden == {"report", "rating_comment"}


def test_the_handling_unit_s_head_moderates_once_it_holds_the_report_dieu_14_1() -> None:
    received = submit()
    for actor in (RECEIVER, OTHER_HEAD, OFFICER):
        refused(NotPermitted, "Điều 14.1", received, received.hide, actor, "report", "Lý do",
                MONDAY)
    received.hide(HEAD, "report", "Lộ thông tin cá nhân", MONDAY)
    report = at_the_department()
    refused(NotPermitted, "Điều 14.1", report, report.hide, CITY_HEAD, "report", "Lý do", MONDAY)
    refused(NotPermitted, "Điều 14.1", report, report.redact, CITY_HEAD, "text", "[đã ẩn]",
            "Lý do", MONDAY)
    report.hide(DEPARTMENT_HEAD, "report", "Lộ thông tin cá nhân", MONDAY)
    assert report.hidden == {"report"}


def test_redaction_replaces_the_public_text_not_the_record_dieu_4_4_14_1() -> None:
    report = submit()
    original = last(report).text
    report.redact(HEAD, "text", "Ổ gà ở [đã ẩn]", "Số điện thoại", MONDAY)
    assert report.text == "Ổ gà ở [đã ẩn]"
    assert report.pending_events[0].text == original  # the Submitted event is kept as sent
    report.redact(HEAD, "text", "t" * 5000, "Số điện thoại", MONDAY)
    assert report.text == "t" * 5000
    refused(InvalidInput, "Điều 14.1", report, report.redact, HEAD, "text", "t" * 5001,
            "Số điện thoại", MONDAY)
    for reason in ("", "  "):
        refused(InvalidInput, "Điều 14.1", report, report.redact, HEAD, "text", "[đã ẩn]",
                reason, MONDAY)
    refused(InvalidInput, "Điều 14.1", report, report.redact, HEAD, "address", "[đã ẩn]",
            "Địa chỉ nhà riêng", MONDAY)


def test_a_rating_comment_is_redacted_only_once_there_is_one_dieu_14_1() -> None:
    report = published()
    refused(InvalidState, "Điều 14.1", report, report.redact, HEAD, "rating_comment", "[đã ẩn]",
            "Số điện thoại", MONDAY)
    report.rate(CITIZEN, "unsatisfied", "Gọi tôi 0912345678", MONDAY)
    text = report.text
    report.redact(HEAD, "rating_comment", "Gọi tôi [đã ẩn]", "Số điện thoại", MONDAY)
    assert last(report).field == "rating_comment" and report.text == text


# --------------------------------------------------------------------------- reorganisation (Điều 28.1)


def test_a_report_concerns_every_unit_with_open_work_on_it_dieu_28_1() -> None:
    report = handling("complex")
    report.request_coordination(HEAD, [OTHER_DISTRICT], MONDAY)
    assert all(report.concerns(u) for u in (DISTRICT, DIVISION, OTHER_DISTRICT))
    assert not report.concerns(WARD) and not report.concerns(CITY)
    verifying = submit(receiving_unit_id=CITY)
    verifying.start_verification(CITY_RECEIVER, MONDAY, POLICY)
    assert verifying.concerns(CITY) and not verifying.concerns(DISTRICT)
    for closed in (published(), rejected()):
        assert not closed.concerns(DISTRICT)
    duplicate = submit()
    duplicate.mark_duplicate(HEAD, submit(), MONDAY)
    assert not duplicate.concerns(DISTRICT)


def test_a_published_report_is_settled_and_re_routed_no_more_even_while_asked_dieu_28_1(
        ) -> None:
    report = published()
    report.request_clarification(CITIZEN, "Vì sao chậm?", MONDAY, POLICY)
    assert not report.concerns(DISTRICT)


def test_a_merged_unit_that_contributed_passes_its_contribution_on_dieu_28_1() -> None:
    report = handling("complex")
    report.request_coordination(HEAD, [OTHER_DISTRICT, CITY], MONDAY)
    report.contribute(OTHER_HEAD, "Đã kiểm tra", [], MONDAY)
    report.reroute(SYSTEM, OTHER_DISTRICT, SUCCESSOR_DISTRICT, MONDAY)
    assert last(report).coordination is True
    assert report.coordination == {str(SUCCESSOR_DISTRICT): True, str(CITY): False}


def test_a_successor_that_already_contributed_keeps_its_contribution_dieu_28_1() -> None:
    report = handling("complex")
    report.request_coordination(HEAD, [OTHER_DISTRICT, CITY], MONDAY)
    report.contribute(CITY_HEAD, "Đã kiểm tra", [], MONDAY)
    report.reroute(SYSTEM, OTHER_DISTRICT, CITY, MONDAY)
    assert last(report).coordination is True and report.coordination == {str(CITY): True}
    pending = handling("complex")
    pending.request_coordination(HEAD, [OTHER_DISTRICT, CITY], MONDAY)
    pending.reroute(SYSTEM, OTHER_DISTRICT, CITY, MONDAY)
    assert last(pending).coordination is False and pending.coordination == {str(CITY): False}


def test_re_routing_a_unit_that_does_not_coordinate_leaves_coordination_alone_dieu_28_1(
        ) -> None:
    report = handling("complex")
    report.request_coordination(HEAD, [OTHER_DISTRICT], MONDAY)
    report.reroute(SYSTEM, DIVISION, SUCCESSOR_DIVISION, MONDAY)
    assert report.coordination == {str(OTHER_DISTRICT): False}
    assert last(report).coordination is None


def test_re_routing_the_receiving_and_handling_unit_moves_both_dieu_28_1() -> None:
    report = handling()
    report.reroute(SYSTEM, DISTRICT, SUCCESSOR_DISTRICT, MONDAY)
    assert (report.receiving_unit_id, report.handling_unit_id, report.department_id) == (
        SUCCESSOR_DISTRICT, SUCCESSOR_DISTRICT, DIVISION)
    successor_head = Actor(id=str(uuid4()), role=Role.UNIT_HEAD, unit_id=SUCCESSOR_DISTRICT,
                           unit_level=UnitLevel.DISTRICT)
    report.propose_result(OFFICER, RESULT, EVIDENCE, MONDAY, POLICY)
    report.approve_result(successor_head, MONDAY)
    assert report.status == Status.APPROVED
