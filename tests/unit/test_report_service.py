"""The write side through the IHanoi application service, in memory (Điều 7–13, 25, 27, 28).

The clock fixture starts on Monday 2026-03-02 09:00; working time is Mon–Fri 08:00–12:00 and
13:00–17:00 in Asia/Ho_Chi_Minh, and every expected due instant below is computed by hand.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from application.commands import (
    Accept,
    AdoptPolicy,
    AnswerClarification,
    AppointOfficer,
    ApproveResult,
    Assign,
    Classify,
    CompleteVerification,
    Contribute,
    CreateUnit,
    DissolveUnit,
    Escalate,
    MarkViolation,
    MergeUnit,
    MoveUnit,
    ProposeResult,
    Publish,
    Rate,
    Reject,
    RenameUnit,
    RequestClarification,
    RequestCoordination,
    ReturnResult,
    StartVerification,
    TransferOfficer,
    UpdateIdentity,
    UpdateResult,
)
from application.services import CommandResult, ConflictError, IdempotencyKeyReused, IHanoi
from domain.calendar import BUSINESS_TZ
from domain.errors import InvalidInput, InvalidState, NotPermitted, ReporterLocked
from domain.policy import DEFAULT_POLICY, WorkingDuration
from domain.report import Report
from domain.reporter import Reporter
from domain.units import Unit
from tests.integration.conftest import ADMIN, Clock, World

RESULT = "Đã vá xong ổ gà, mặt đường an toàn"


def at(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BUSINESS_TZ)


def events(app: IHanoi, aggregate_id: UUID) -> list[Any]:
    return list(app.events.get(aggregate_id))


def names(app: IHanoi, aggregate_id: UUID) -> list[str]:
    return [type(e).__name__ for e in events(app, aggregate_id)]


# --------------------------------------------------------------------------- the lifecycle


def test_a_field_report_goes_through_return_and_re_proposal_to_its_rating_dieu_7_8_12_13(
        world: World, clock: Clock) -> None:
    app = world.app
    report_id = world.submit()
    clock.set(2026, 3, 2, 10)
    app.handle(StartVerification(report_id), world.receiver)
    clock.set(2026, 3, 2, 11)
    app.handle(CompleteVerification(report_id, True, "Đã gọi điện cho người phản ánh"),
               world.receiver)
    clock.set(2026, 3, 2, 14)
    app.handle(Accept(report_id), world.receiver)
    app.handle(Classify(report_id, "complex"), world.head)
    clock.set(2026, 3, 2, 15)
    app.handle(Assign(report_id, world.division, world.officer_id), world.head)
    app.handle(RequestCoordination(report_id, [world.other_district]), world.head)
    clock.set(2026, 3, 5, 9)
    with pytest.raises(InvalidState):  # Điều 8.2.c: Ba Đình has not answered yet
        app.handle(ProposeResult(report_id, RESULT, ["bien-ban.pdf"]), world.officer)
    app.handle(Contribute(report_id, "Đoạn thuộc quận Ba Đình đã kiểm tra", []), world.other_head)
    app.handle(ProposeResult(report_id, RESULT, ["bien-ban.pdf"]), world.officer)
    clock.set(2026, 3, 5, 10)
    app.handle(ReturnResult(report_id, "Thiếu ảnh sau khi vá"), world.head)
    clock.set(2026, 3, 5, 15)
    app.handle(ProposeResult(report_id, RESULT, ["bien-ban.pdf", "anh-sau.jpg"]), world.officer)
    app.handle(ApproveResult(report_id), world.head)
    app.handle(UpdateResult(report_id, ["anh-sau.jpg"]), world.officer)
    clock.set(2026, 3, 6, 9)
    app.handle(Publish(report_id), world.head)
    clock.set(2026, 3, 6, 10)
    app.handle(RequestClarification(report_id, "Khi nào sơn lại vạch kẻ đường?"), world.citizen)
    clock.set(2026, 3, 9, 9)
    app.handle(AnswerClarification(report_id, "Thứ Tư tuần này sẽ sơn lại"), world.officer)
    app.handle(Rate(report_id, "satisfied", "Cảm ơn quận"), world.citizen)

    recorded = {type(e).__name__: e for e in events(app, report_id)}
    assert names(app, report_id) == [
        "Submitted", "VerificationStarted", "VerificationCompleted", "Accepted", "Classified",
        "Assigned", "CoordinationRequested", "CoordinationContributed", "ResultProposed",
        "ResultReturned", "ResultProposed", "ResultApproved", "ResultUpdated", "Published",
        "ClarificationRequested", "ClarificationAnswered", "Rated"]
    due = {name: stage.due for name, e in recorded.items() for stage in e.opened}
    assert due == {
        "Submitted": at(2026, 3, 3, 9),  # 8 h: 09–12, 13–17, 08–09
        "VerificationStarted": at(2026, 3, 2, 14),  # 4 h from receipt: 09–12, 13–14
        "Accepted": at(2026, 3, 3, 9),  # 4 h: 14–17, 08–09
        "Assigned": at(2026, 3, 23, 15),  # complex: 15 working days
        "ResultReturned": at(2026, 3, 6, 10),  # rework: 1 working day
        "ResultProposed": None,  # approval: no period (Điều 12.1)
        "ResultApproved": None,  # result update: no period (Điều 12.2)
        "ResultUpdated": at(2026, 3, 6, 15),  # publication: 1 working day (Điều 12.3)
        "ClarificationRequested": at(2026, 3, 10, 10),  # 2 working days
    }
    assert [s.on_time for s in recorded["Published"].closed] == [True]
    assert recorded["CoordinationContributed"].by["unit_id"] == world.other_district
    assert recorded["Assigned"].officer["id"] == world.officer.id
    report = app.load(report_id, Report)
    assert (report.status, report.rating, report.version) == ("published", "satisfied", 17)
    assert report.result is not None and report.result["evidence"] == ["anh-sau.jpg"]


# --------------------------------------------------------------------------- reporter lock (Điều 27.3)


def violate(world: World, clock: Clock) -> UUID:
    """One untrue report, rejected (Điều 6.2.đ) and marked as a violation (Điều 27.2)."""
    clock.advance(hours=1)
    report_id = world.submit()
    world.app.handle(Reject(report_id, "đ", "Nội dung sai sự thật"), world.receiver)
    world.app.handle(MarkViolation(report_id, "Phản ánh sai sự thật"), world.receiver)
    return report_id


def test_three_violations_in_a_row_do_not_lock_the_account_dieu_27_3(world: World,
                                                                     clock: Clock) -> None:
    for _ in range(3):
        violate(world, clock)
    reporter = world.app.load(world.reporter_id, Reporter)
    assert reporter.consecutive_violations == 3 and not reporter.is_locked(clock.now)
    assert world.app.load(world.submit(), Report).status == "received"


def test_a_fourth_consecutive_violation_locks_submission_for_30_days_dieu_27_3(
        world: World, clock: Clock) -> None:
    for _ in range(4):
        violate(world, clock)
    locked_at = clock.now
    assert names(world.app, world.reporter_id)[-2:] == ["ViolationRecorded", "Locked"]
    stored = len(events(world.app, world.reporter_id))
    clock.set(2026, 3, 31, 12)
    with pytest.raises(ReporterLocked) as caught:
        world.submit()
    assert caught.value.locked_until == locked_at + timedelta(days=30)
    assert caught.value.rule == "Điều 27.3"
    assert len(events(world.app, world.reporter_id)) == stored
    clock.now = caught.value.locked_until - timedelta(minutes=1)
    with pytest.raises(ReporterLocked):
        world.submit()
    clock.now = caught.value.locked_until
    assert world.app.load(world.submit(), Report).status == "received"


def test_a_locked_account_cannot_re_report_ask_for_clarification_or_rate_dieu_27_3(
        world: World, clock: Clock) -> None:
    """Điều 27.3 "khóa tài khoản tạm thời": every command of the locked citizen is refused,
    naming the lock's end; the report is left as it was."""
    published = world.submit()
    world.to_published(published)
    for _ in range(4):
        violate(world, clock)
    until = world.app.load(world.reporter_id, Reporter).locked_until
    assert until is not None
    stored = len(events(world.app, published))
    for command in (RequestClarification(published, "Khi nào xong?"),
                    Rate(published, "unsatisfied", "Chưa sửa"),
                    UpdateIdentity(phone="0987654321")):
        with pytest.raises(ReporterLocked) as refused:
            world.app.handle(command, world.citizen)
        assert (refused.value.rule, refused.value.locked_until) == ("Điều 27.3", until)
        assert until.isoformat() in refused.value.detail
    with pytest.raises(ReporterLocked):
        world.submit(re_report_of=published)
    assert len(events(world.app, published)) == stored
    clock.now = until  # the lock is over
    world.app.handle(Rate(published, "unsatisfied", "Chưa sửa"), world.citizen)


def test_a_citizen_completes_his_identity_before_reporting_dieu_5_5_6_1_a(
        world: World) -> None:
    legacy = Reporter(identity={"name": "Lê Văn Cũ", "phone": "0912000111", "email": None,
                                "national_id": None}, at=world.app.now())
    world.app.save(legacy)
    with pytest.raises(InvalidInput) as refused:
        world.submit(reporter_id=legacy.id)
    assert refused.value.rule == "Điều 5.5, 6.1.a"
    citizen = world.app.citizen_actor(legacy.id)
    world.app.handle(UpdateIdentity(email="cu@example.vn", national_id="001088000111"), citizen)
    assert world.app.load(legacy.id, Reporter).identity == {
        "name": "Lê Văn Cũ", "phone": "0912000111", "email": "cu@example.vn",
        "national_id": "001088000111"}
    assert world.app.load(world.submit(reporter_id=legacy.id), Report).status == "received"
    with pytest.raises(NotPermitted) as refused_staff:
        world.app.handle(UpdateIdentity(email="x@example.vn"), world.receiver)
    assert refused_staff.value.rule == "Điều 5.5"


def test_an_accepted_report_breaks_the_streak_of_violations_dieu_27_3(world: World,
                                                                      clock: Clock) -> None:
    for _ in range(3):
        violate(world, clock)
    genuine = world.submit()
    world.app.handle(Accept(genuine), world.receiver)
    assert names(world.app, world.reporter_id)[-1] == "ViolationStreakBroken"
    for _ in range(3):
        violate(world, clock)
    assert not world.app.load(world.reporter_id, Reporter).is_locked(clock.now)
    world.submit()
    violate(world, clock)
    assert world.app.load(world.reporter_id, Reporter).is_locked(clock.now)


# --------------------------------------------------------------------------- idempotency, versions


def test_a_retried_command_is_applied_once(world: World) -> None:
    app = world.app
    report_id = world.submit()
    first = app.handle(Accept(report_id), world.receiver, command_id="accept-42")
    again = app.handle(Accept(report_id), world.receiver, command_id="accept-42")
    assert first == CommandResult(report_id, 2)
    assert again == CommandResult(report_id, 2, replayed=True)
    assert names(app, report_id) == ["Submitted", "Accepted"]
    submitted = world.submit(command_id="submit-7")
    assert world.submit(command_id="submit-7") == submitted


def test_a_command_id_reused_for_another_command_is_refused(world: World) -> None:
    app = world.app
    report_id, other_id = world.submit(), world.submit()
    app.handle(Accept(report_id), world.receiver, command_id="cmd-1")
    with pytest.raises(IdempotencyKeyReused):
        app.handle(Classify(report_id, "normal"), world.head, command_id="cmd-1")
    with pytest.raises(IdempotencyKeyReused):
        app.handle(Accept(other_id), world.receiver, command_id="cmd-1")
    assert app.load(report_id, Report).version == 2
    assert app.load(other_id, Report).version == 1


def test_a_stale_expected_version_is_a_conflict(world: World) -> None:
    app = world.app
    report_id = world.submit()
    with pytest.raises(ConflictError):
        app.handle(Accept(report_id), world.receiver, expected_version=2)
    assert names(app, report_id) == ["Submitted"]
    assert app.handle(Accept(report_id), world.receiver, expected_version=1).version == 2


# --------------------------------------------------------------------------- the unit directory (Điều 25, 28.1)


def test_units_are_renamed_moved_merged_and_dissolved_as_data_dieu_28_1(world: World) -> None:
    app = world.app
    app.handle(RenameUnit(world.district, "UBND phường Hoàn Kiếm"), ADMIN)
    merged_ward = world.unit("UBND phường Hoàn Kiếm mới", "commune", world.district)
    app.handle(MergeUnit(world.ward, merged_ward), ADMIN)
    app.handle(MoveUnit(merged_ward, world.other_district), ADMIN)
    app.handle(DissolveUnit(world.department), ADMIN)
    assert app.load(world.district, Unit).name == "UBND phường Hoàn Kiếm"
    assert app.load(world.ward, Unit).merged_into == merged_ward
    assert app.ancestors(merged_ward) == [world.other_district, world.city]
    assert names(app, world.ward) == ["Created", "Merged"]
    assert names(app, merged_ward) == ["Created", "Moved"]
    with pytest.raises(InvalidState):  # the merged ward's staff no longer act for it
        app.officer_actor(world.ward_officer_id)
    with pytest.raises(InvalidState):
        app.handle(AppointOfficer("Lý Văn Bình", world.department, "unit_head"), ADMIN)
    with pytest.raises(NotPermitted):
        app.handle(CreateUnit("UBND phường mới", "commune", world.district), world.head)


def test_a_unit_cannot_be_moved_under_itself_or_its_descendants_dieu_28_1(world: World) -> None:
    app = world.app
    for unit, new_parent in [(world.district, world.division), (world.city, world.ward),
                             (world.district, world.district)]:
        with pytest.raises(InvalidInput):
            app.handle(MoveUnit(unit, new_parent), ADMIN)
        assert names(app, unit) == ["Created"]


def test_a_dissolved_or_merged_unit_receives_no_reports_dieu_28_1(world: World) -> None:
    app = world.app
    pending = world.submit()
    app.handle(DissolveUnit(world.department), ADMIN)
    app.handle(MergeUnit(world.other_district, world.district), ADMIN)
    with pytest.raises(InvalidState):
        world.submit(receiving_unit_id=world.department)
    with pytest.raises(InvalidState):
        world.submit(receiving_unit_id=world.other_district)
    with pytest.raises(InvalidState):
        app.handle(Accept(pending, world.department), world.receiver)
    with pytest.raises(InvalidState):
        app.handle(Escalate(pending, world.department, "Thuộc thẩm quyền Sở"), world.receiver)
    assert names(app, pending) == ["Submitted"]


def test_an_officer_acts_with_the_unit_and_role_he_holds_at_the_time_dieu_25(
        world: World, clock: Clock) -> None:
    app = world.app
    first = world.submit()
    app.handle(Accept(first), world.receiver)
    receiver_id = UUID(world.receiver.id)
    clock.set(2026, 3, 3, 9)
    app.handle(TransferOfficer(receiver_id, world.other_district, "unit_head"), ADMIN)
    now_head = app.officer_actor(receiver_id)
    second = world.submit()
    with pytest.raises(NotPermitted):  # no longer acts for his old district
        app.handle(Accept(second), now_head)
    with pytest.raises(NotPermitted):
        app.handle(Classify(first, "normal"), now_head)
    elsewhere = world.submit(receiving_unit_id=world.other_district)
    app.handle(Accept(elsewhere), now_head)
    then, now = events(app, first)[-1].by, events(app, elsewhere)[-1].by
    assert (then["unit_id"], then["role"]) == (world.district, "receiving_officer")
    assert (now["unit_id"], now["role"], now["id"]) == (world.other_district, "unit_head",
                                                       world.receiver.id)
    assert names(app, receiver_id) == ["Appointed", "Transferred"]


def test_a_transferred_handling_officer_no_longer_works_his_old_reports_dieu_8_1_d_25(
        world: World) -> None:
    app = world.app
    report_id = world.submit()
    world.to_handling(report_id)
    app.handle(TransferOfficer(world.officer_id, world.other_district, "handling_officer"), ADMIN)
    moved = app.officer_actor(world.officer_id)
    with pytest.raises(NotPermitted):
        app.handle(ProposeResult(report_id, RESULT, ["bien-ban.pdf"]), moved)
    assert app.load(report_id, Report).status == "in_handling"


# --------------------------------------------------------------------------- policy as data


def test_a_new_policy_version_changes_only_stages_opened_afterwards(world: World,
                                                                   clock: Clock) -> None:
    """The event that opens a stage records its due instant and policy version (issue §5)."""
    app = world.app
    before = world.submit()
    app.handle(Accept(before), world.receiver)  # Mon 09:00 + 4 h = 14:00 under the default policy
    field = {**DEFAULT_POLICY.deadlines["field"], "assignment": WorkingDuration(2),
             "reception": WorkingDuration(4)}
    city_policy = DEFAULT_POLICY.with_changes(version="2026-03-city",
                                              deadlines={**DEFAULT_POLICY.deadlines,
                                                         "field": field})
    with pytest.raises(NotPermitted):
        app.handle(AdoptPolicy(city_policy), world.head)
    app.handle(AdoptPolicy(city_policy), ADMIN)
    clock.set(2026, 3, 2, 10)
    after = world.submit()
    app.handle(Accept(after), world.receiver)
    app.handle(Classify(before, "normal"), world.head)
    app.handle(Assign(before, world.division, world.officer_id), world.head)
    old, new = events(app, before), events(app, after)
    assert [(s.due, s.policy_version) for s in old[0].opened] == [(
        at(2026, 3, 3, 9), DEFAULT_POLICY.version)]  # reception 8 h from Mon 09:00
    assert [(s.due, s.policy_version) for s in old[1].opened] == [(
        at(2026, 3, 2, 14), DEFAULT_POLICY.version)]
    assert [(s.due, s.policy_version) for s in old[-1].closed] == [(
        at(2026, 3, 2, 14), DEFAULT_POLICY.version)]
    assert [s.policy_version for s in old[-1].opened] == ["2026-03-city"]
    assert [(s.due, s.policy_version) for s in new[0].opened] == [(
        at(2026, 3, 2, 15), "2026-03-city")]  # reception 4 h from 10:00: 10–12, 13–15
    assert [s.due for s in new[1].opened] == [at(2026, 3, 2, 12)]  # assignment 2 h from 10:00


def test_text_with_a_nul_character_is_refused_and_nothing_is_stored_dieu_5_1(world) -> None:
    from domain.errors import InvalidInput

    head = world.app.recorder.max_notification_id()
    with pytest.raises(InvalidInput) as refused:
        world.submit(text="Ổ gà lớn trên phố\x00 Hàng Bài")
    assert refused.value.rule == "Điều 5.1"
    assert world.app.recorder.max_notification_id() == head
