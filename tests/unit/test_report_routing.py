"""Where a report goes and who acts on it: the commune step (Điều 8.1.b–c), coordination with
the acceptance (Điều 8.2.a), a district passing a report to a department (Điều 5.9) and capital
initiatives through the service centre (Điều 9). Domain only."""

from __future__ import annotations

from dataclasses import replace
from uuid import uuid4

import pytest

from domain.actors import Actor, Role, UnitLevel
from domain.errors import InvalidInput, InvalidState, NotPermitted
from domain.report import Status
from tests.integration.conftest import World
from tests.unit.test_report_rules import (
    CENTRE,
    CENTRE_RECEIVER,
    CITY,
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
    POLICY,
    RECEIVER,
    RESULT,
    WARD,
    WARD_OFFICER,
    accepted,
    at,
    handling,
    last,
    only,
    refused,
    submit,
)

WARD_HEAD = Actor(id=str(uuid4()), role=Role.UNIT_HEAD, unit_id=WARD, unit_level=UnitLevel.COMMUNE)
OTHER_WARD = uuid4()
WARD_OFFICER_2 = Actor(id=str(uuid4()), role=Role.HANDLING_OFFICER, unit_id=WARD,
                       unit_level=UnitLevel.COMMUNE)
OTHER_WARD_OFFICER = Actor(id=str(uuid4()), role=Role.HANDLING_OFFICER, unit_id=OTHER_WARD,
                           unit_level=UnitLevel.COMMUNE)
DISTRICT_RECEIVER_IN_DEPARTMENT = Actor(id=str(uuid4()), role=Role.RECEIVING_OFFICER,
                                        unit_id=DEPARTMENT, unit_level=UnitLevel.DEPARTMENT)


# --------------------------------------------------------------------------- Điều 8.1.b–c


def test_the_district_head_coordinates_to_the_commune_and_its_leader_assigns_dieu_8_1_b_c(
) -> None:
    """Điều 8.1.b: the head does not pick the commune officer; he coordinates the report to the
    commune (the 4-hour assignment stage ends, the handling period starts: "kể từ khi tiếp nhận
    giao xử lý", and stays the district's); Điều 8.1.c: the commune's leader assigns."""
    report = accepted(at(2026, 3, 2, 9))
    report.classify(HEAD, "normal", at(2026, 3, 2, 9), POLICY)
    refused(InvalidInput, "Điều 8.1.b", report, report.assign, HEAD, WARD, DISTRICT,
            WARD_OFFICER, MONDAY, POLICY)
    report.coordinate_to_commune(HEAD, WARD, DISTRICT, "commune", at(2026, 3, 2, 11), POLICY)
    event = last(report)
    assert type(event).__name__ == "CoordinatedToCommune" and event.commune_id == WARD
    closed, opened = only(event.closed), only(event.opened)
    assert closed.stage == "assignment" and closed.on_time
    assert (opened.stage, opened.unit_id, opened.officer_id) == ("handling", DISTRICT, None)
    assert opened.due == at(2026, 3, 11, 11)  # 7 working days from the coordination
    assert (report.status, report.department_id, report.officer_id) == (
        Status.IN_HANDLING, WARD, None)
    # Nobody proposes a result before the commune's leader assigns an officer.
    refused(NotPermitted, "Điều 8.1.d", report, report.propose_result, WARD_OFFICER, RESULT,
            EVIDENCE, MONDAY, POLICY)
    for actor in (HEAD, RECEIVER, WARD_OFFICER):
        refused(NotPermitted, "Điều 8.1.c", report, report.assign_commune_officer, actor,
                WARD_OFFICER, at(2026, 3, 2, 14))
    refused(InvalidInput, "Điều 8.1.c", report, report.assign_commune_officer, WARD_HEAD,
            OFFICER, at(2026, 3, 2, 14))
    refused(InvalidInput, "Điều 8.1.c", report, report.assign_commune_officer, WARD_HEAD,
            OTHER_WARD_OFFICER, at(2026, 3, 2, 14))
    report.assign_commune_officer(WARD_HEAD, WARD_OFFICER, at(2026, 3, 2, 14))
    event = last(report)
    assert type(event).__name__ == "CommuneOfficerAssigned"
    assert event.stage == replace(opened, officer_id=WARD_OFFICER.id)
    assert event.closed == [] and event.opened == []
    assert report.officer_id == WARD_OFFICER.id and report.stage == event.stage
    refused(InvalidInput, "Điều 8.1.c", report, report.assign_commune_officer, WARD_HEAD,
            WARD_OFFICER, at(2026, 3, 2, 15))
    report.propose_result(WARD_OFFICER, RESULT, EVIDENCE, at(2026, 3, 3, 9), POLICY)
    assert report.status == Status.AWAITING_APPROVAL


def test_the_head_does_not_reassign_to_a_commune_officer_either_dieu_8_1_b_c() -> None:
    """Điều 8.1.b–c: a reassignment is no way around the commune's leader. The head hands a
    report in handling only to an officer of a division; a commune officer is assigned, and
    replaced, by the leader of the commune the report was coordinated to."""
    report = handling()
    error = refused(InvalidInput, "Điều 8.1.b", report, report.reassign, HEAD, WARD, DISTRICT,
                    WARD_OFFICER, "Thuộc địa bàn phường", MONDAY)
    assert "Điều 8.1.c" in str(error)  # names the commune leader's step
    coordinated = accepted()
    coordinated.classify(HEAD, "normal", MONDAY, POLICY)
    coordinated.coordinate_to_commune(HEAD, WARD, DISTRICT, "commune", MONDAY, POLICY)
    coordinated.assign_commune_officer(WARD_HEAD, WARD_OFFICER, MONDAY)
    refused(InvalidInput, "Điều 8.1.b", coordinated, coordinated.reassign, HEAD, WARD, DISTRICT,
            WARD_OFFICER_2, "Cán bộ chuyển công tác", MONDAY)
    coordinated.assign_commune_officer(WARD_HEAD, WARD_OFFICER_2, MONDAY)
    assert (coordinated.department_id, coordinated.officer_id) == (WARD, WARD_OFFICER_2.id)


def test_a_report_is_coordinated_only_to_a_commune_under_the_handling_unit_dieu_8_1_b() -> None:
    report = accepted()
    refused(InvalidState, "Điều 8.4", report, report.coordinate_to_commune, HEAD, WARD, DISTRICT,
            "commune", MONDAY, POLICY)
    report.classify(HEAD, "urgent", MONDAY, POLICY)
    refused(NotPermitted, "Điều 8.1.b", report, report.coordinate_to_commune, RECEIVER, WARD,
            DISTRICT, "commune", MONDAY, POLICY)
    refused(NotPermitted, "Điều 8.1.b", report, report.coordinate_to_commune, OTHER_HEAD, WARD,
            DISTRICT, "commune", MONDAY, POLICY)
    refused(InvalidInput, "Điều 8.1.b", report, report.coordinate_to_commune, HEAD, DIVISION,
            DISTRICT, "division", MONDAY, POLICY)
    refused(InvalidInput, "Điều 8.1.b", report, report.coordinate_to_commune, HEAD, OTHER_WARD,
            OTHER_DISTRICT, "commune", MONDAY, POLICY)
    report.coordinate_to_commune(HEAD, WARD, DISTRICT, "commune", MONDAY, POLICY)
    assert only(last(report).opened).due == at(2026, 3, 2, 14)  # urgent: 4 working hours
    refused(InvalidState, "Điều 8.1.b", report, report.coordinate_to_commune, HEAD, WARD,
            DISTRICT, "commune", MONDAY, POLICY)


# --------------------------------------------------------------------------- Điều 8.2.a


def test_coordinating_units_are_asked_with_the_acceptance_at_step_1_dieu_8_2_a() -> None:
    """The head of the lead unit accepts and, at the same time, asks units of the same or
    equivalent level; the report is then complex, and their contributions come back before
    the lead unit's result (Điều 8.2.b–c)."""
    report = submit()
    report.accept(HEAD, DISTRICT, MONDAY, POLICY, coordinating_unit_ids=[OTHER_DISTRICT,
                                                                         DEPARTMENT, DISTRICT])
    accepted_event, requested = report.pending_events[-2:]
    assert type(accepted_event).__name__ == "Accepted"
    assert type(requested).__name__ == "CoordinationRequested"
    assert requested.unit_ids == [OTHER_DISTRICT, DEPARTMENT] and requested.at == MONDAY
    assert report.coordination == {str(OTHER_DISTRICT): False, str(DEPARTMENT): False}
    # A coordinating unit may send its part before the assignment.
    report.contribute(OTHER_HEAD, "Quận Ba Đình đã kiểm tra hiện trường", ["anh.jpg"], MONDAY)
    refused(InvalidInput, "Điều 8.4", report, report.classify, HEAD, "normal", MONDAY, POLICY)
    report.classify(HEAD, "complex", MONDAY, POLICY)
    report.assign(HEAD, DIVISION, DISTRICT, OFFICER, MONDAY, POLICY)
    refused(InvalidState, "Điều 8.2.c", report, report.propose_result, OFFICER, RESULT, EVIDENCE,
            MONDAY, POLICY)
    report.contribute(DEPARTMENT_HEAD, "Sở Xây dựng thống nhất phương án", [], MONDAY)
    report.propose_result(OFFICER, RESULT, EVIDENCE, MONDAY, POLICY)


def test_coordination_with_the_acceptance_is_the_lead_heads_with_units_of_its_level_dieu_8_2_a(
) -> None:
    report = submit()
    refused(NotPermitted, "Điều 8.2.a", report, report.accept, RECEIVER, DISTRICT, MONDAY, POLICY,
            [OTHER_DISTRICT])
    refused(InvalidInput, "Điều 8.2.a", report, report.accept, HEAD, DISTRICT, MONDAY, POLICY,
            [OTHER_DISTRICT, WARD], [WARD])
    refused(InvalidInput, "Điều 8.2.a", report, report.accept, HEAD, DISTRICT, MONDAY, POLICY,
            [DISTRICT])
    waste = submit(kind="waste_behaviour")  # no complex handling in the policy for this kind
    if not POLICY.has("waste_behaviour", "handling.complex"):
        refused(InvalidInput, "Điều 10.4", waste, waste.accept, HEAD, DISTRICT, MONDAY, POLICY,
                [OTHER_DISTRICT])
    passed_on = submit(receiving_unit_id=CENTRE)  # the centre cannot ask for the district
    refused(NotPermitted, "Điều 8.2.a", passed_on, passed_on.accept, CENTRE_RECEIVER, DISTRICT,
            MONDAY, POLICY, [OTHER_DISTRICT])


def test_a_lead_unit_that_did_not_receive_the_report_asks_at_its_step_1_dieu_8_2_a() -> None:
    """Passed on by the service centre, the report reaches the district accepted: its head
    classifies it complex and asks before the assignment; not units of another level."""
    report = submit(receiving_unit_id=CENTRE)
    report.accept(CENTRE_RECEIVER, DISTRICT, MONDAY, POLICY)
    report.classify(HEAD, "complex", MONDAY, POLICY)
    refused(InvalidInput, "Điều 8.2.a", report, report.request_coordination, HEAD,
            [OTHER_DISTRICT, CITY], MONDAY, [CITY])
    report.request_coordination(HEAD, [OTHER_DISTRICT], MONDAY, [])
    assert report.status == Status.ACCEPTED
    assert report.coordination == {str(OTHER_DISTRICT): False}


def test_same_or_equivalent_level_is_policy_data_dieu_8_2_a() -> None:
    assert POLICY.same_or_equivalent_level("district", "district")
    assert POLICY.same_or_equivalent_level("district", "department")
    assert POLICY.same_or_equivalent_level("commune", "commune")
    assert not POLICY.same_or_equivalent_level("district", "commune")
    assert not POLICY.same_or_equivalent_level("district", "city")
    assert not POLICY.same_or_equivalent_level("department", "division")
    strict = POLICY.with_changes(equivalent_levels=())
    assert not strict.same_or_equivalent_level("district", "department")
    assert type(POLICY).from_dict(strict.to_dict()) == strict


# --------------------------------------------------------------------------- Điều 5.9


def test_a_district_passes_a_report_in_a_departments_field_to_it_dieu_5_9() -> None:
    report = submit()
    refused(InvalidInput, "Điều 7.2.c", report, report.escalate, RECEIVER, OTHER_DISTRICT, False,
            "Thuộc quận khác", MONDAY, POLICY, "district")
    refused(InvalidInput, "Điều 7.2.c", report, report.escalate, RECEIVER, DEPARTMENT, False, "",
            MONDAY, POLICY, "department")
    report.escalate(RECEIVER, DEPARTMENT, False, " Thuộc lĩnh vực xây dựng của Sở ", MONDAY,
                    POLICY, "department")
    event = last(report)
    assert type(event).__name__ == "Escalated"
    assert (event.to_unit_id, event.why) == (DEPARTMENT, "Thuộc lĩnh vực xây dựng của Sở")
    assert report.receiving_unit_id == DEPARTMENT and only(event.opened).unit_id == DEPARTMENT
    # Not the other way round: a department passes on only upwards.
    refused(InvalidInput, "Điều 7.2.c", report, report.escalate, DISTRICT_RECEIVER_IN_DEPARTMENT,
            DISTRICT, False, "Thuộc quận", MONDAY, POLICY, "district")


# --------------------------------------------------------------------------- Điều 9


def test_a_capital_initiative_goes_to_the_service_centre_only_dieu_9() -> None:
    fields = {"kind": "capital_initiative", "latitude": 0.0, "longitude": 0.0, "address": ""}
    with pytest.raises(InvalidInput) as refusal:
        submit(receiving_unit_id=DISTRICT, receiving_unit_level="district", **fields)
    assert refusal.value.rule == "Điều 9"
    initiative = submit(receiving_unit_id=CENTRE, receiving_unit_level="service_centre", **fields)
    field_report = submit(receiving_unit_id=DISTRICT, receiving_unit_level="district")
    assert field_report.receiving_unit_id == DISTRICT
    # The centre distributes it by accepting it for a unit under the city, not by passing on.
    refused(InvalidState, "Điều 9", initiative, initiative.escalate, CENTRE_RECEIVER, DISTRICT,
            False, "Thuộc quận", MONDAY, POLICY, "district")
    refused(InvalidInput, "Điều 9", initiative, initiative.accept, CENTRE_RECEIVER, CENTRE,
            MONDAY, POLICY)
    initiative.accept(CENTRE_RECEIVER, DEPARTMENT, MONDAY, POLICY)
    assert initiative.handling_unit_id == DEPARTMENT and initiative.status == Status.IN_HANDLING
    initiative.respond_to_initiative(DEPARTMENT_HEAD, "Sở sẽ nghiên cứu áp dụng sáng kiến",
                                     [], MONDAY)


# --------------------------------------------------------------------------- the service


def test_the_service_reads_the_levels_from_the_unit_directory_dieu_5_9_8_2_a(
        world: World) -> None:
    """Through the application service: a commune is not of a district's level (Điều 8.2.a);
    a department is the target a district may pass a report to (Điều 5.9)."""
    from application.commands import Accept as AcceptCommand
    from application.commands import Classify, Escalate, RequestCoordination
    from domain.report import Report

    app = world.app
    report_id = world.submit(receiving_unit_id=world.centre)
    app.handle(AcceptCommand(report_id, world.district), world.centre_receiver)
    app.handle(Classify(report_id, "complex"), world.head)
    with pytest.raises(InvalidInput) as refusal:
        app.handle(RequestCoordination(report_id, [world.other_district, world.ward]),
                   world.head)
    assert refusal.value.rule == "Điều 8.2.a"
    app.handle(RequestCoordination(report_id, [world.other_district, world.department]),
               world.head)
    coordinated = app.load(report_id, Report, to_change=False)
    assert set(coordinated.coordination) == {str(world.other_district), str(world.department)}
    passed_on = world.submit()
    app.handle(Escalate(passed_on, world.department, "Thuộc lĩnh vực xây dựng"), world.receiver)
    assert app.load(passed_on, Report, to_change=False).receiving_unit_id == world.department
