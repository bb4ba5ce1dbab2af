"""When the monthly statistics are frozen (seed 000 Điều 2.2.c "Định kỳ ngày 25 hằng tháng")."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from domain.policy import DEFAULT_POLICY
from scheduler.statistics import freeze_instant

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


def test_monthly_statistics_are_published_on_the_25th_itself_seed_000_dieu_2_2_c() -> None:
    # 25 April 2026 is a Saturday (26–27 April: Giỗ Tổ Hùng Vương off): still the 25th.
    assert freeze_instant(date(2026, 4, 1), DEFAULT_POLICY) == datetime(2026, 4, 25, 17,
                                                                        tzinfo=HANOI)
    # 25 January 2026 is a Sunday.
    assert freeze_instant(date(2026, 1, 1), DEFAULT_POLICY) == datetime(2026, 1, 25, 17,
                                                                        tzinfo=HANOI)
    # a working day: the 25th, as always.
    assert freeze_instant(date(2026, 3, 1), DEFAULT_POLICY) == datetime(2026, 3, 25, 17,
                                                                        tzinfo=HANOI)


def test_the_next_working_day_is_a_policy_option_seed_000_dieu_2_2_c() -> None:
    policy = DEFAULT_POLICY.with_changes(statistics_next_working_day=True)
    assert freeze_instant(date(2026, 4, 1), policy) == datetime(2026, 4, 28, 17, tzinfo=HANOI)
    assert freeze_instant(date(2026, 1, 1), policy) == datetime(2026, 1, 26, 17, tzinfo=HANOI)
    assert freeze_instant(date(2026, 3, 1), policy) == datetime(2026, 3, 25, 17, tzinfo=HANOI)
