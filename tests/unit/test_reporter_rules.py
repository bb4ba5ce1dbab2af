"""The reporter's account, domain only: identity (Điều 5.5, 6.1.a) and the violation lock (Điều 27.2–3).

Seed 002 Điều 27.3: "Cá nhân, tổ chức vi phạm quá 03 lần liên tiếp sẽ bị khóa tài khoản tạm
thời trên iHanoi trong vòng 30 ngày" — more than 3 consecutive violations lock the account
for 30 days.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import uuid4

import pytest

from domain.calendar import BUSINESS_TZ
from domain.errors import InvalidInput, ReporterLocked
from domain.policy import DEFAULT_POLICY
from domain.reporter import Reporter

T0 = datetime(2026, 3, 2, 9, tzinfo=BUSINESS_TZ)


def reporter(**identity: str | None) -> Reporter:
    fields = {"name": "Nguyễn Văn An", "phone": "0912345678", "email": "an@example.vn",
              "national_id": "001099012345"} | identity
    return Reporter.register(at=T0, **fields)


def violations(account: Reporter, count: int, start: datetime = T0) -> datetime:
    """Record ``count`` violations an hour apart from ``start``; the instant of the last."""
    last = start
    for n in range(count):
        last = start + timedelta(hours=n)
        account.record_violation(uuid4(), last, DEFAULT_POLICY)
    return last


def event_names(account: Reporter) -> list[str]:
    return [type(e).__name__ for e in account.collect_events()]


# --------------------------------------------------------------------------- Điều 5.5


def test_a_registered_reporter_keeps_the_stripped_name_and_contacts_dieu_5_5() -> None:
    account = Reporter.register(name="  Trần Thị Bình ", phone=" 0912345678 ",
                                email="binh@example.vn", national_id="001234567890", at=T0)
    assert account.identity == {"name": "Trần Thị Bình", "phone": "0912345678",
                                "email": "binh@example.vn", "national_id": "001234567890"}
    assert account.registered_at == T0
    assert account.consecutive_violations == 0
    assert account.locked_until is None
    assert event_names(account) == ["Registered"]
    account.check_may_submit(T0)


@pytest.mark.parametrize("missing, named", [
    ({"name": ""}, ["name"]), ({"name": "   "}, ["name"]),
    ({"national_id": None}, ["citizen ID number (căn cước công dân)"]),
    ({"phone": None}, ["phone number"]), ({"email": "  "}, ["e-mail address"]),
    ({"phone": None, "email": None, "national_id": None},
     ["citizen ID number (căn cước công dân)", "phone number", "e-mail address"]),
])
def test_registration_needs_citizen_id_phone_and_email_and_names_what_is_missing_dieu_5_5(
        missing: dict[str, str | None], named: list[str]) -> None:
    """Điều 5.5: "Cung cấp đầy đủ thông tin về danh tính (căn cước công dân, số điện thoại,
    địa chỉ thư điện tử)" — all three, not one contact or another."""
    with pytest.raises(InvalidInput) as refused:
        reporter(**missing)
    assert refused.value.rule == "Điều 5.5"
    assert refused.value.detail == f"the reporter's identity is incomplete: missing " \
                                   f"{', '.join(named)}"


def legacy(**identity: str | None) -> Reporter:
    """An account registered before Điều 5.5 was enforced (its stored event replays as is)."""
    fields = {"name": "Nguyễn Văn An", "phone": "0912345678", "email": None,
              "national_id": None} | identity
    return Reporter(identity=fields, at=T0)


def test_a_report_is_acceptable_only_from_a_complete_identity_dieu_5_5_6_1_a() -> None:
    account = legacy()
    with pytest.raises(InvalidInput) as refused:
        account.check_may_submit(T0)
    assert refused.value.rule == "Điều 5.5, 6.1.a"
    assert "citizen ID number (căn cước công dân), e-mail address" in refused.value.detail


def test_an_existing_reporter_completes_his_identity_dieu_5_5() -> None:
    account = legacy()
    account.collect_events()
    with pytest.raises(InvalidInput) as refused:  # still no e-mail: nothing recorded
        account.update_identity(None, None, None, "001099012345", T0)
    assert refused.value.rule == "Điều 5.5" and "e-mail address" in refused.value.detail
    assert account.identity["national_id"] is None and event_names(account) == []
    account.update_identity(None, None, " an@example.vn ", "001099012345", T0)
    assert account.identity == {"name": "Nguyễn Văn An", "phone": "0912345678",
                                "email": "an@example.vn", "national_id": "001099012345"}
    assert event_names(account) == ["IdentityUpdated"]
    account.check_may_submit(T0)
    account.update_identity(None, "0987654321", None, None, T0)  # a correction
    assert account.identity["phone"] == "0987654321"
    account.update_identity(None, "0987654321", None, None, T0)  # the same: nothing recorded
    assert event_names(account) == ["IdentityUpdated"]


# --------------------------------------------------------------------------- Điều 27.3


def test_three_consecutive_violations_do_not_lock_the_account_dieu_27_3() -> None:
    account = reporter()
    last = violations(account, 3)
    assert account.consecutive_violations == 3
    assert account.locked_until is None
    assert not account.is_locked(last)
    account.check_may_submit(last)
    assert event_names(account) == ["Registered"] + ["ViolationRecorded"] * 3


def test_more_than_three_consecutive_violations_lock_the_account_for_30_days_dieu_27_3() -> None:
    account = reporter()
    fourth = violations(account, 4)
    assert account.locked_until == fourth + timedelta(days=30)
    assert account.consecutive_violations == 0  # the lock consumes the streak
    events = account.collect_events()
    assert [type(e).__name__ for e in events] == (
        ["Registered"] + ["ViolationRecorded"] * 4 + ["Locked"])
    assert [e.streak for e in events[1:5]] == [1, 2, 3, 4]
    assert [e.at for e in events[1:5]] == [T0 + timedelta(hours=n) for n in range(4)]
    locked = events[-1]
    assert (locked.at, locked.until, locked.policy_version) == (
        fourth, fourth + timedelta(days=30), DEFAULT_POLICY.version)


def test_a_locked_account_changes_nothing_not_even_its_identity_dieu_27_3() -> None:
    account = reporter()
    fourth = violations(account, 4)
    account.collect_events()
    with pytest.raises(ReporterLocked) as refused:
        account.update_identity(None, "0987654321", None, None, fourth)
    assert refused.value.locked_until == fourth + timedelta(days=30)
    assert fourth.isoformat() not in refused.value.detail
    assert (fourth + timedelta(days=30)).isoformat() in refused.value.detail
    with pytest.raises(ReporterLocked):
        account.check_not_locked(fourth + timedelta(days=30, microseconds=-1))
    account.check_not_locked(fourth + timedelta(days=30))
    assert event_names(account) == []


def test_the_lock_follows_the_policy_in_force_dieu_27_3() -> None:
    policy = DEFAULT_POLICY.with_changes(violations_before_lock=1, lock_length=timedelta(days=7),
                                         version="2027-strict")
    account = reporter()
    account.record_violation(uuid4(), T0, policy)
    assert account.locked_until is None
    second = T0 + timedelta(hours=1)
    account.record_violation(uuid4(), second, policy)
    assert account.locked_until == second + timedelta(days=7)
    assert account.collect_events()[-1].policy_version == "2027-strict"


def test_a_locked_account_cannot_submit_until_the_30_days_are_over_dieu_27_3() -> None:
    account = reporter()
    fourth = violations(account, 4)
    until = fourth + timedelta(days=30)
    for moment in (fourth, until - timedelta(microseconds=1)):
        assert account.is_locked(moment)
        with pytest.raises(ReporterLocked) as refused:
            account.check_may_submit(moment)
        assert refused.value.rule == "Điều 27.3"
        assert refused.value.locked_until == until
    assert not account.is_locked(until)
    account.check_may_submit(until)


def test_each_violation_and_accepted_report_names_its_report_dieu_27_3() -> None:
    account = reporter()
    untrue, genuine = uuid4(), uuid4()
    account.record_violation(untrue, T0, DEFAULT_POLICY)
    account.record_genuine_report(genuine, T0 + timedelta(days=1))
    recorded, broken = account.collect_events()[1:]
    assert (type(recorded).__name__, recorded.report_id, recorded.at) == (
        "ViolationRecorded", untrue, T0)
    assert (type(broken).__name__, broken.report_id, broken.at) == (
        "ViolationStreakBroken", genuine, T0 + timedelta(days=1))


def test_an_accepted_report_breaks_the_streak_of_violations_dieu_27_3() -> None:
    account = reporter()
    violations(account, 3)
    account.record_genuine_report(uuid4(), T0 + timedelta(days=1))
    assert account.consecutive_violations == 0
    violations(account, 3, start=T0 + timedelta(days=2))
    assert account.locked_until is None  # 3 + 3 violations, but never more than 3 in a row
    assert event_names(account) == (["Registered"] + ["ViolationRecorded"] * 3
                                    + ["ViolationStreakBroken"] + ["ViolationRecorded"] * 3)


def test_an_accepted_report_without_a_streak_records_nothing_dieu_27_3() -> None:
    account = reporter()
    account.record_genuine_report(uuid4(), T0)
    assert event_names(account) == ["Registered"]


def test_the_lock_lifts_once_its_30_days_are_over_dieu_27_3() -> None:
    account = reporter()
    fourth = violations(account, 4)
    until = fourth + timedelta(days=30)
    account.collect_events()
    assert account.lift_expired_lock(until - timedelta(microseconds=1)) is False
    assert account.locked_until == until
    assert account.lift_expired_lock(until) is True
    assert account.locked_until is None
    lifted = account.collect_events()
    assert [type(e).__name__ for e in lifted] == ["LockLifted"]
    assert (lifted[0].at, lifted[0].locked_until) == (until, until)
    assert account.lift_expired_lock(until + timedelta(days=1)) is False
    assert account.collect_events() == []


def test_a_new_streak_after_the_lock_counts_from_one_dieu_27_3() -> None:
    account = reporter()
    fourth = violations(account, 4)
    account.lift_expired_lock(fourth + timedelta(days=30))
    violations(account, 3, start=fourth + timedelta(days=31))
    assert account.locked_until is None
    assert account.consecutive_violations == 3
