"""Every timed stage a report opens or closes names its responsible unit, its officer, when it
started, when it is due and the policy in force; a closed one adds when it ended and whether
that was on time; the scheduler records each due instant passing once (Điều 7–9, 12, 13, 28.1).

Working calendar as in test_report_rules: Mon–Fri 08:00–12:00 and 13:00–17:00.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from uuid import UUID

from domain.actors import SYSTEM
from domain.policy import Stage
from domain.report import ClosedStage, Report, StageRecord, Status
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
    OFFICER,
    POLICY,
    RECEIVER,
    RESULT,
    SECOND_DIVISION,
    SECOND_DIVISION_OFFICER,
    SUCCESSOR_DISTRICT,
    at,
    handling,
    last,
    names,
    submit,
)

VERSION = POLICY.version


def stage(name: str, unit_id: UUID, started_at: datetime, due: datetime | None,
          officer_id: str | None = None) -> StageRecord:
    """A stage as it opens."""
    return StageRecord(stage=Stage(name), unit_id=unit_id, officer_id=officer_id,
                       started_at=started_at, due=due, policy_version=VERSION)


def ended(opened: StageRecord | None, at: datetime, on_time: bool) -> ClosedStage:
    """The same stage as it closes."""
    assert opened is not None
    return ClosedStage(**vars(opened), ended_at=at, on_time=on_time)


def opened_by(report: Report) -> list[StageRecord]:
    """The stages the last event opened (none, one or several)."""
    return list(last(report).opened)


def closed_by(report: Report) -> list[ClosedStage]:
    """The stages the last event closed (none, one or several)."""
    return list(last(report).closed)


def test_reception_verification_escalation_and_acceptance_stages_dieu_7_8_5() -> None:
    report = submit(at(2026, 3, 2, 9))
    reception = stage("reception", DISTRICT, at(2026, 3, 2, 9), at(2026, 3, 3, 9))
    assert opened_by(report) == [reception] and report.stage == reception
    report.start_verification(RECEIVER, at(2026, 3, 2, 10), POLICY)
    # Điều 6.2.d: 4 working hours from receipt (09:00), not from the verification's start.
    verification = stage("verification", DISTRICT, at(2026, 3, 2, 10), at(2026, 3, 2, 14))
    assert opened_by(report) == [verification] and report.verification == verification
    assert report.open_stages() == [reception, verification]
    report.complete_verification(RECEIVER, False, "Không nghe máy", at(2026, 3, 2, 13))
    assert closed_by(report) == [ended(verification, at(2026, 3, 2, 13), True)]
    assert report.open_stages() == [reception]
    report.escalate(RECEIVER, CITY, True, "Liên quan nhiều quận", at(2026, 3, 2, 14), POLICY)
    city_reception = stage("reception", CITY, at(2026, 3, 2, 14), at(2026, 3, 3, 14))
    assert closed_by(report) == [ended(reception, at(2026, 3, 2, 14), True)]
    assert opened_by(report) == [city_reception] and report.stage == city_reception
    assert report.open_stages() == [city_reception]
    report.start_verification(CITY_RECEIVER, at(2026, 3, 2, 15), POLICY)
    assert opened_by(report)[0].unit_id == CITY  # the unit now receiving verifies
    report.complete_verification(CITY_RECEIVER, True, "Đã xác minh", at(2026, 3, 3, 11))
    assert closed_by(report)[0].on_time is False  # due Mon 2/3 17:00, the city's receipt + 4 h
    report.accept(CITY_RECEIVER, DEPARTMENT, at(2026, 3, 3, 15), POLICY)
    assignment = stage("assignment", DEPARTMENT, at(2026, 3, 3, 15), at(2026, 3, 4, 10))
    assert closed_by(report) == [ended(city_reception, at(2026, 3, 3, 15), False)]
    assert opened_by(report) == [assignment] and report.stage == assignment
    assert report.open_stages() == [assignment]


def test_a_rejection_closes_reception_and_leaves_no_stage_open_dieu_7_2_a() -> None:
    report = submit(at(2026, 3, 2, 9))
    reception = report.stage
    report.reject(RECEIVER, "a", "Thiếu địa chỉ", at(2026, 3, 3, 9))  # at the due instant
    assert closed_by(report) == [ended(reception, at(2026, 3, 3, 9), True)]
    assert report.open_stages() == [] and report.verification is None


def test_handling_publication_rework_and_clarification_stages_dieu_8_5_12_13() -> None:
    report = submit(at(2026, 3, 2, 8))
    report.accept(RECEIVER, DISTRICT, at(2026, 3, 2, 9), POLICY)
    assignment = stage("assignment", DISTRICT, at(2026, 3, 2, 9), at(2026, 3, 2, 14))
    assert report.stage == assignment and report.open_stages() == [assignment]
    report.classify(HEAD, "normal", at(2026, 3, 2, 9), POLICY)
    report.assign(HEAD, DIVISION, DISTRICT, OFFICER, at(2026, 3, 2, 15), POLICY)
    handled = stage("handling", DISTRICT, at(2026, 3, 2, 15), at(2026, 3, 11, 15), OFFICER.id)
    assert closed_by(report) == [ended(assignment, at(2026, 3, 2, 15), False)]
    assert opened_by(report) == [handled] and report.stage == handled

    successor = SECOND_DIVISION_OFFICER  # another division's officer takes the report over
    report.reassign(HEAD, SECOND_DIVISION, DISTRICT, successor, "Chuyển công tác",
                    at(2026, 3, 3, 9))
    handed_on = replace(handled, officer_id=successor.id)  # Điều 8.1.b: deadlines kept
    assert last(report).stage == handed_on and report.stage == handed_on

    report.propose_result(successor, RESULT, EVIDENCE, at(2026, 3, 4, 9), POLICY)
    approval = stage("approval", DISTRICT, at(2026, 3, 4, 9), None)  # Điều 12.1: no period
    assert closed_by(report) == [ended(handed_on, at(2026, 3, 4, 9), True)]
    assert opened_by(report) == [approval] and report.stage == approval

    report.return_result(HEAD, "Thiếu ảnh", at(2026, 3, 4, 10), POLICY)
    rework = stage("rework", DISTRICT, at(2026, 3, 4, 10), at(2026, 3, 5, 10), successor.id)
    assert closed_by(report) == [ended(approval, at(2026, 3, 4, 10), True)]
    assert opened_by(report) == [rework] and report.stage == rework

    report.propose_result(successor, RESULT, EVIDENCE, at(2026, 3, 5, 10), POLICY)
    approval = stage("approval", DISTRICT, at(2026, 3, 5, 10), None)
    assert closed_by(report) == [ended(rework, at(2026, 3, 5, 10), True)]  # at its due instant
    report.approve_result(HEAD, at(2026, 3, 5, 11), POLICY)
    update = stage("result_update", DISTRICT, at(2026, 3, 5, 11), None, successor.id)
    assert closed_by(report) == [ended(approval, at(2026, 3, 5, 11), True)]
    assert report.stage == update and report.status == Status.APPROVED
    report.update_result(successor, None, EVIDENCE, at(2026, 3, 5, 10, 30), POLICY)
    publication = stage("publication", DISTRICT, at(2026, 3, 5, 10, 30), at(2026, 3, 6, 10, 30))
    assert closed_by(report) == [ended(update, at(2026, 3, 5, 10, 30), True)]
    assert opened_by(report) == [publication] and report.stage == publication
    report.publish(HEAD, at(2026, 3, 6, 11))
    assert closed_by(report) == [ended(publication, at(2026, 3, 6, 11), False)]
    assert report.stage is None and report.open_stages() == []

    report.request_clarification(CITIZEN, "Khi nào xong?", at(2026, 3, 6, 13), POLICY)
    clarification = stage("clarification", DISTRICT, at(2026, 3, 6, 13), at(2026, 3, 10, 12))
    assert opened_by(report) == [clarification] and report.clarification == clarification
    assert report.open_stages() == [clarification]
    report.answer_clarification(HEAD, "Đã xong", at(2026, 3, 10, 12))
    assert closed_by(report) == [ended(clarification, at(2026, 3, 10, 12), True)]
    assert report.open_stages() == []


def test_an_initiative_s_stages_belong_to_the_centre_then_the_answering_unit_dieu_9() -> None:
    report = submit(at(2026, 3, 2, 9), kind="capital_initiative", receiving_unit_id=CENTRE,
                    latitude=0.0, longitude=0.0, address="")
    distribution = stage("reception", CENTRE, at(2026, 3, 2, 9), None)
    assert opened_by(report) == [distribution]
    report.accept(CENTRE_RECEIVER, DEPARTMENT, at(2026, 6, 1, 9), POLICY)
    response = stage("response", DEPARTMENT, at(2026, 6, 1, 9), at(2026, 7, 13, 9))
    assert closed_by(report) == [ended(distribution, at(2026, 6, 1, 9), True)]  # no due: on time
    assert opened_by(report) == [response]
    report.respond_to_initiative(DEPARTMENT_HEAD, "Sáng kiến hay, sẽ triển khai", [],
                                 at(2026, 7, 13, 9))
    assert closed_by(report) == [ended(response, at(2026, 7, 13, 9), True)]


def test_an_extension_moves_the_handling_stage_s_due_instant_only_dieu_8_5() -> None:
    report = handling("complex", at(2026, 3, 2, 9))
    before = report.stage
    assert before is not None
    report.grant_extension(HEAD, 3, "Thủ tục thu hồi đất", at(2026, 3, 10), POLICY)
    assert report.stage == replace(before, due=at(2026, 3, 26))


def test_a_duplicate_closes_its_open_stages_and_reopens_them_as_they_were_dieu_6_2_c() -> None:
    report = submit(at(2026, 3, 2, 9))
    report.start_verification(RECEIVER, at(2026, 3, 2, 10), POLICY)
    reception, verification = report.stage, report.verification
    report.mark_duplicate(RECEIVER, submit(), at(2026, 3, 2, 16))
    assert closed_by(report) == [ended(reception, at(2026, 3, 2, 16), True),
                                 ended(verification, at(2026, 3, 2, 16), False)]
    report.unmark_duplicate(HEAD, "Khác vị trí", at(2026, 3, 3, 10))
    assert opened_by(report) == [reception, verification]
    assert report.open_stages() == [reception, verification]
    accepted = submit(at(2026, 3, 2, 9))
    accepted.accept(RECEIVER, DISTRICT, at(2026, 3, 2, 9), POLICY)
    accepted.mark_duplicate(HEAD, submit(), at(2026, 3, 2, 10))
    assert [s.stage for s in closed_by(accepted)] == ["assignment"]
    accepted.unmark_duplicate(HEAD, "Khác vị trí", at(2026, 3, 3, 10))
    assert [s.stage for s in opened_by(accepted)] == ["assignment"]


def test_re_routing_moves_every_open_stage_held_by_the_merged_unit_dieu_28_1() -> None:
    report = submit(at(2026, 3, 2, 9))
    report.start_verification(RECEIVER, at(2026, 3, 2, 10), POLICY)
    reception, verification = report.stage, report.verification
    assert reception is not None and verification is not None
    report.reroute(SYSTEM, DISTRICT, SUCCESSOR_DISTRICT, at(2026, 3, 2, 11))
    assert report.stage == replace(reception, unit_id=SUCCESSOR_DISTRICT)
    assert report.verification == replace(verification, unit_id=SUCCESSOR_DISTRICT)
    assert report.receiving_unit_id == SUCCESSOR_DISTRICT


# --------------------------------------------------------------------------- deadlines passing


def test_a_due_instant_passes_when_the_scheduler_reaches_it_not_before() -> None:
    report = submit(at(2026, 3, 2, 9))
    assert report.record_deadlines_passed(at(2026, 3, 3, 8, 59)) == 0
    assert names(report) == ["Submitted"]
    assert report.record_deadlines_passed(at(2026, 3, 3, 9)) == 1  # the due instant itself
    assert last(report).stage == report.stage and last(report).at == at(2026, 3, 3, 9)


def test_each_due_instant_passing_is_recorded_once() -> None:
    report = submit(at(2026, 3, 2, 9))
    assert report.record_deadlines_passed(at(2026, 3, 4, 9)) == 1
    assert report.record_deadlines_passed(at(2026, 3, 5, 9)) == 0
    assert names(report) == ["Submitted", "StageDeadlinePassed"]
    assert len(report.deadlines_recorded) == 1


def test_several_due_instants_passing_are_recorded_in_due_order() -> None:
    report = submit(at(2026, 3, 2, 9))
    report.start_verification(RECEIVER, at(2026, 3, 2, 10), POLICY)  # due Mon 14:00
    assert report.record_deadlines_passed(at(2026, 3, 4, 9)) == 2
    passed = report.pending_events[-2:]
    assert [e.stage.stage for e in passed] == ["verification", "reception"]
    assert [e.at for e in passed] == [at(2026, 3, 2, 14), at(2026, 3, 3, 9)]


def test_a_stage_without_a_due_instant_never_passes_it_dieu_9() -> None:
    report = submit(at(2026, 3, 2, 9), kind="capital_initiative", receiving_unit_id=CENTRE,
                    latitude=0.0, longitude=0.0, address="")
    assert report.record_deadlines_passed(at(2027, 3, 2, 9)) == 0


def test_an_extended_due_instant_passes_again_dieu_8_5() -> None:
    report = handling("complex", at(2026, 3, 2, 9))  # handling due Mon 23/3 09:00
    assert report.record_deadlines_passed(at(2026, 3, 23, 9)) == 1
    report.grant_extension(HEAD, 2, "Thủ tục thu hồi đất", at(2026, 3, 23, 10), POLICY)
    assert report.record_deadlines_passed(at(2026, 3, 24, 9)) == 0
    assert report.record_deadlines_passed(at(2026, 3, 25, 9)) == 1
    assert last(report).at == at(2026, 3, 25, 9)


def test_a_new_stage_s_due_instant_passes_on_its_own() -> None:
    report = submit(at(2026, 3, 2, 9))
    assert report.record_deadlines_passed(at(2026, 3, 3, 9)) == 1
    report.escalate(RECEIVER, CITY, True, "Vượt thẩm quyền", at(2026, 3, 3, 9), POLICY)
    assert report.record_deadlines_passed(at(2026, 3, 4, 9)) == 1
    assert last(report).stage.unit_id == CITY
