"""The service-level policy's defaults, each pinned to the regulation that sets it, and the
policy's own rules: working durations, the deadline table, versions and the stored form.

Sources: seed 002 (the iHanoi regulation: Điều 7.2.d, 8.5, 10.4, 11.4, 9, 13, 18.4, 27.3),
seed 000 Điều 2.2.c (statistics on the 25th), seed 001 1.d (an alert every 3 days), seed 004
(repeat dissatisfaction "5 lần trở lên", "trên 30%"), DOMAIN.md "Service-level deadlines".
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest

from domain.calendar import BUSINESS_TZ, WorkingCalendar
from domain.errors import InvalidInput
from domain.policy import (
    ARTICLE_OF_KIND,
    DEFAULT_CATEGORIES,
    DEFAULT_DEADLINES,
    DEFAULT_POLICY,
    AdoptionPolicy,
    Kind,
    SlaPolicy,
    WorkingDuration,
)

MONDAY_9 = datetime(2026, 3, 2, 9, tzinfo=BUSINESS_TZ)  # an ordinary working Monday


def hours(n: int) -> WorkingDuration:
    return WorkingDuration(n, "hours")


def days(n: int) -> WorkingDuration:
    return WorkingDuration(n, "days")


# --------------------------------------------------------------------------- the deadline table

STAGES_OF_A_REPORT = {"reception": hours(8), "verification": hours(4), "assignment": hours(4),
                      "handling.urgent": hours(4)}
SHARED_STAGES = {"rework": days(1), "publication": days(1), "clarification": days(2)}


def test_a_field_report_has_8h_reception_4h_assignment_and_7_15_30_days_handling_dieu_8_5() -> None:
    assert DEFAULT_POLICY.deadlines[Kind.FIELD] == {
        **STAGES_OF_A_REPORT, "handling.normal": days(7), "handling.complex": days(15),
        "extension_cap": days(30), **SHARED_STAGES}


def test_an_administrative_report_follows_the_field_table_until_configured_dieu_5_3() -> None:
    assert DEFAULT_POLICY.deadlines[Kind.ADMINISTRATIVE] == DEFAULT_POLICY.deadlines[Kind.FIELD]


@pytest.mark.parametrize("kind", [Kind.WASTE, Kind.INVESTOR])
def test_waste_and_investor_reports_are_handled_within_30_days_dieu_10_4_11_4(kind: Kind) -> None:
    """Điều 10.2, 11.2: they may be complex (same-level coordination); handling stays capped at
    30 working days from assignment (10.4, 11.4), with no extension beyond."""
    assert DEFAULT_POLICY.deadlines[kind] == {
        **STAGES_OF_A_REPORT, "handling.normal": days(30), "handling.complex": days(30),
        **SHARED_STAGES}


def test_a_capital_initiative_is_answered_within_30_days_dieu_9() -> None:
    assert DEFAULT_POLICY.deadlines[Kind.INITIATIVE] == {"response": days(30), **SHARED_STAGES}


def test_the_table_covers_the_five_kinds_of_report_dieu_1_2() -> None:
    assert set(DEFAULT_DEADLINES) == set(Kind) == set(ARTICLE_OF_KIND)
    assert [str(k) for k in Kind] == ["field", "administrative_regulation", "waste_behaviour",
                                      "investor_enterprise", "capital_initiative"]


def test_each_policy_owns_a_copy_of_the_default_table() -> None:
    policy = SlaPolicy()
    policy.deadlines[Kind.FIELD]["reception"] = hours(1)
    assert SlaPolicy().deadlines[Kind.FIELD]["reception"] == hours(8)
    assert DEFAULT_DEADLINES[Kind.FIELD]["reception"] == hours(8)


# --------------------------------------------------------------------------- the other figures


def test_the_calendar_is_vietnams_working_time_8_to_12_and_13_to_17_dieu_7_2_d() -> None:
    calendar = DEFAULT_POLICY.calendar
    assert calendar == WorkingCalendar()
    assert calendar.periods == ((time(8), time(12)), (time(13), time(17)))
    assert calendar.timezone == "Asia/Ho_Chi_Minh"
    assert calendar.working_day == timedelta(hours=8)


def test_the_clarification_window_is_2_days_after_the_result_dieu_13() -> None:
    assert DEFAULT_POLICY.clarification_window_days == 2
    assert DEFAULT_POLICY.clarification_window_rolls_over_days_off is True


@pytest.mark.parametrize(("published", "ends"), [
    # Monday 16:00 → Tuesday, Wednesday: until Wednesday 24:00 (Bộ luật Dân sự Điều 147–148).
    (datetime(2026, 3, 2, 16, tzinfo=BUSINESS_TZ), datetime(2026, 3, 5, tzinfo=BUSINESS_TZ)),
    # Monday 00:30 local (Sunday in UTC): the local day counts.
    (datetime(2026, 3, 2, 0, 30, tzinfo=BUSINESS_TZ), datetime(2026, 3, 5, tzinfo=BUSINESS_TZ)),
    # Thursday → Friday, Saturday (a day off): carried to Monday 24:00 (Điều 148.5).
    (datetime(2026, 3, 5, 10, tzinfo=BUSINESS_TZ), datetime(2026, 3, 10, tzinfo=BUSINESS_TZ)),
    # Tuesday 28/4/2026 → 29/4, 30/4 (holiday), 1/5 (holiday), weekend: Monday 4/5 24:00.
    (datetime(2026, 4, 28, 9, tzinfo=BUSINESS_TZ), datetime(2026, 5, 5, tzinfo=BUSINESS_TZ)),
])
def test_the_clarification_window_ends_at_24h_of_the_second_day_after_dieu_13(
        published: datetime, ends: datetime) -> None:
    assert DEFAULT_POLICY.clarification_ends(published) == ends


def test_the_clarification_window_may_end_on_a_day_off_by_policy_dieu_13() -> None:
    strict = DEFAULT_POLICY.with_changes(clarification_window_rolls_over_days_off=False)
    thursday = datetime(2026, 3, 5, 10, tzinfo=BUSINESS_TZ)
    assert strict.clarification_ends(thursday) == datetime(2026, 3, 8, tzinfo=BUSINESS_TZ)
    assert DEFAULT_POLICY.with_changes(clarification_window_days=3).clarification_ends(
        datetime(2026, 3, 2, 16, tzinfo=BUSINESS_TZ)) == datetime(2026, 3, 6, tzinfo=BUSINESS_TZ)


def test_a_policy_stored_with_the_window_in_hours_reads_it_in_days_dieu_13() -> None:
    """Versions adopted before the window counted calendar days stored it in hours."""
    assert SlaPolicy.from_dict({"version": "old", "clarification_window_hours": 48.0}
                               ).clarification_window_days == 2
    assert SlaPolicy.from_dict({"version": "old", "clarification_window_hours": 60.0}
                               ).clarification_window_days == 3


def test_a_unit_is_flagged_above_30_percent_late_reports_dieu_18_4() -> None:
    assert DEFAULT_POLICY.late_share_threshold == Decimal("0.30")


def test_more_than_three_consecutive_violations_lock_for_30_days_dieu_27_3() -> None:
    assert DEFAULT_POLICY.violations_before_lock == 3
    assert DEFAULT_POLICY.lock_length == timedelta(days=30)


def test_five_unsatisfied_ratings_of_one_matter_flag_the_unit_dieu_18_4() -> None:
    assert DEFAULT_POLICY.repeat_dissatisfaction_threshold == 5


def test_a_deadline_warning_goes_out_one_working_hour_before_the_due_instant() -> None:
    """Not a figure of the regulation: the project's default (README "Scheduler")."""
    assert DEFAULT_POLICY.deadline_warning == timedelta(hours=1)


def test_monthly_statistics_are_taken_on_the_25th_at_17_00_seed_000_dieu_2_2_c() -> None:
    """The 25th is the seed's; 17:00 is the close of the working day (DOMAIN.md)."""
    assert DEFAULT_POLICY.statistics_day == 25
    assert DEFAULT_POLICY.statistics_time == time(17, 0)
    assert DEFAULT_POLICY.statistics_next_working_day is False  # the 25th itself


def test_units_publish_at_least_one_alert_every_3_days_seed_001_1_d() -> None:
    assert DEFAULT_POLICY.alert_cadence_days == 3


def test_the_default_policy_is_the_2024_version() -> None:
    assert DEFAULT_POLICY.version == "2024-default"
    assert DEFAULT_POLICY == SlaPolicy()


# --------------------------------------------------------------------------- working durations


@pytest.mark.parametrize("amount, unit", [(0, "hours"), (-1, "days"), (1, "weeks"), (1, "")])
def test_a_working_duration_is_a_positive_number_of_hours_or_days(amount: int, unit: str) -> None:
    with pytest.raises(ValueError):
        WorkingDuration(amount, unit)


def test_a_working_duration_counts_hours_by_default_and_reads_as_working_time() -> None:
    assert WorkingDuration(1) == hours(1)
    assert str(hours(8)) == "8 working hours"
    assert str(days(1)) == "1 working days"


def test_working_hours_and_days_run_on_the_calendar_dieu_7_2_d_8_5() -> None:
    calendar = WorkingCalendar()
    assert hours(1).after(calendar, MONDAY_9) == MONDAY_9 + timedelta(hours=1)
    assert hours(8).after(calendar, MONDAY_9) == datetime(2026, 3, 3, 9, tzinfo=BUSINESS_TZ)
    assert days(1).after(calendar, MONDAY_9) == datetime(2026, 3, 3, 9, tzinfo=BUSINESS_TZ)
    assert days(7).after(calendar, MONDAY_9) == datetime(2026, 3, 11, 9, tzinfo=BUSINESS_TZ)


def test_the_due_instant_of_a_stage_follows_the_table_dieu_7_2_d_8_5() -> None:
    assert DEFAULT_POLICY.duration(Kind.FIELD, "reception") == hours(8)
    assert DEFAULT_POLICY.due(Kind.FIELD, "reception", MONDAY_9) == datetime(
        2026, 3, 3, 9, tzinfo=BUSINESS_TZ)
    assert DEFAULT_POLICY.due(Kind.FIELD, "handling.complex", MONDAY_9) == datetime(
        2026, 3, 23, 9, tzinfo=BUSINESS_TZ)
    assert DEFAULT_POLICY.due("waste_behaviour", "handling.normal", MONDAY_9) == datetime(
        2026, 4, 13, 9, tzinfo=BUSINESS_TZ)  # 30 working days, Giỗ Tổ (26 April) after


def test_the_due_instant_uses_the_policys_own_calendar() -> None:
    half_days = SlaPolicy(calendar=WorkingCalendar(periods=((time(8), time(12)),)))
    assert half_days.due(Kind.FIELD, "reception", MONDAY_9) == datetime(
        2026, 3, 4, 9, tzinfo=BUSINESS_TZ)


@pytest.mark.parametrize("kind, article", [
    (Kind.FIELD, "Điều 8.5"), (Kind.ADMINISTRATIVE, "Điều 5.3"), (Kind.WASTE, "Điều 10.4"),
    (Kind.INVESTOR, "Điều 11.4"), (Kind.INITIATIVE, "Điều 9")])
def test_a_stage_the_table_lacks_is_refused_citing_the_kinds_article(kind: Kind,
                                                                      article: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        DEFAULT_POLICY.duration(kind, "handling.someday")
    assert refused.value.rule == article
    assert not DEFAULT_POLICY.has(kind, "handling.someday")


def test_a_stage_of_an_unknown_kind_is_refused_citing_the_kinds_of_report_dieu_3() -> None:
    with pytest.raises(InvalidInput) as refused:
        DEFAULT_POLICY.duration("complaint", "reception")
    assert refused.value.rule == "Điều 3"
    assert not DEFAULT_POLICY.has("complaint", "reception")


def test_a_kind_without_an_extension_cap_has_none_dieu_10_4() -> None:
    assert DEFAULT_POLICY.has(Kind.FIELD, "extension_cap")
    assert not DEFAULT_POLICY.has(Kind.WASTE, "extension_cap")
    assert DEFAULT_POLICY.has(Kind.INITIATIVE, "response")
    assert not DEFAULT_POLICY.has(Kind.INITIATIVE, "reception")


# --------------------------------------------------------------------------- versions


def test_a_new_version_changes_only_the_figures_it_names() -> None:
    stricter = DEFAULT_POLICY.with_changes(version="2027", violations_before_lock=2)
    assert stricter.version == "2027"
    assert stricter.violations_before_lock == 2
    assert stricter.lock_length == DEFAULT_POLICY.lock_length
    assert DEFAULT_POLICY.violations_before_lock == 3


def test_the_default_policy_is_stored_with_the_regulations_figures() -> None:
    stored = DEFAULT_POLICY.to_dict()
    assert stored == {
        "version": "2024-default",
        "calendar": WorkingCalendar().to_dict(),
        "deadlines": {
            "field": {"reception": [8, "hours"], "verification": [4, "hours"],
                      "assignment": [4, "hours"], "handling.urgent": [4, "hours"],
                      "handling.normal": [7, "days"], "handling.complex": [15, "days"],
                      "extension_cap": [30, "days"], "rework": [1, "days"],
                      "publication": [1, "days"], "clarification": [2, "days"]},
            "administrative_regulation": stored["deadlines"]["field"],
            "waste_behaviour": {"reception": [8, "hours"], "verification": [4, "hours"],
                                "assignment": [4, "hours"], "handling.urgent": [4, "hours"],
                                "handling.normal": [30, "days"],
                                "handling.complex": [30, "days"], "rework": [1, "days"],
                                "publication": [1, "days"], "clarification": [2, "days"]},
            "investor_enterprise": stored["deadlines"]["waste_behaviour"],
            "capital_initiative": {"response": [30, "days"], "rework": [1, "days"],
                                   "publication": [1, "days"], "clarification": [2, "days"]},
        },
        "clarification_window_days": 2,
        "clarification_window_rolls_over_days_off": True,
        "late_share_threshold": "0.30",
        "violations_before_lock": 3,
        "lock_length_days": 30.0,
        "repeat_dissatisfaction_threshold": 5,
        "deadline_warning_hours": 1.0,
        "statistics_day": 25,
        "statistics_time": "17:00",
        "statistics_next_working_day": False,
        "alert_cadence_days": 3,
        "equivalent_levels": [["department", "district"], ["commune"]],
        "categories": {str(kind): table for kind, table in DEFAULT_CATEGORIES.items()},
            "attachment_max_bytes": 20 * 1024 * 1024,  # Điều 5.2, 12.2: none set; 20 MiB
        # seed 003: the form's rounds "trước ngày …"; seed 001 1.a, 1.c, seed 003 1, 8: 100 %
        "adoption": {"rounds": ["2024-07-19", "2024-07-26", "2024-08-20", "2024-09-10"],
                     "staff_target": "1", "staff_target_day": "2024-07-25",
                     "residents_target": "1", "residents_target_day": "2024-08-31"},
    }


def test_every_figure_survives_the_stored_form() -> None:
    changed = SlaPolicy(
        version="2027-custom",
        calendar=WorkingCalendar(periods=((time(7, 30), time(11, 30)), (time(13), time(16, 30)))),
        deadlines={Kind.FIELD: {"reception": hours(6), "handling.normal": days(5)}},
        clarification_window_days=3,
        clarification_window_rolls_over_days_off=False,
        late_share_threshold=Decimal("0.25"),
        violations_before_lock=4,
        lock_length=timedelta(days=15),
        repeat_dissatisfaction_threshold=6,
        deadline_warning=timedelta(hours=2),
        statistics_day=24,
        statistics_time=time(16, 0),
        statistics_next_working_day=True,
        alert_cadence_days=4,
        adoption=AdoptionPolicy(rounds=(date(2025, 3, 1),), staff_target=Decimal("0.9"),
                                staff_target_day=date(2025, 3, 15),
                                residents_target=Decimal("0.7"),
                                residents_target_day=date(2025, 6, 30)),
    )
    assert SlaPolicy.from_dict(changed.to_dict()) == changed
    assert SlaPolicy.from_dict(DEFAULT_POLICY.to_dict()) == DEFAULT_POLICY


def test_a_stored_form_naming_only_the_version_takes_the_defaults_for_the_rest() -> None:
    assert SlaPolicy.from_dict({"version": "2024-default"}) == DEFAULT_POLICY
    partial = SlaPolicy.from_dict({"version": "v2", "lock_length_days": 10,
                                   "statistics_time": "16:30"})
    assert partial == DEFAULT_POLICY.with_changes(version="v2", lock_length=timedelta(days=10),
                                                  statistics_time=time(16, 30))
