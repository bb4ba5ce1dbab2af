"""The adoption-progress form of the roll-out orders, domain and write side in memory (seed 001
1.a, 1.c; seed 003 1, 8 and its annex "Biểu tổng hợp tiến độ cài đặt, sử dụng ứng dụng
iHanoi"): what a unit may enter for a round, who may enter it, the rounds' due instants and the
targets as policy data, and corrections that keep the earlier entry in history."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from application.commands import AdoptPolicy, EnterAdoptionFigures
from application.services import IHanoi, NotFound
from domain.actors import Actor, Role
from domain.adoption import FORM_RULE, MAX_COUNT, WHO_RULE, AdoptionFigures, AdoptionProgress
from domain.calendar import BUSINESS_TZ
from domain.errors import InvalidInput, InvalidState, NotPermitted
from domain.policy import ADOPTION_ROUNDS_RULE, DEFAULT_POLICY, AdoptionPolicy, SlaPolicy
from domain.units import Unit
from tests.integration.conftest import ADMIN, Clock, World

T0 = datetime(2024, 7, 15, 9, tzinfo=BUSINESS_TZ)
DUE_1 = datetime(2024, 7, 19, tzinfo=BUSINESS_TZ)
DISTRICT = Unit.create("UBND huyện Ba Vì", "district", None, "BV", ADMIN, T0)
WARD = Unit.create("UBND xã Tản Lĩnh", "commune", DISTRICT, "TL", ADMIN, T0)
CLERK = Actor(id="clerk-1", role=Role.RECEIVING_OFFICER, unit_id=WARD.id)


def figures(staff: tuple[int, int] = (25, 20),
            residents: tuple[int, int, int] = (9000, 6000, 4000)) -> AdoptionFigures:
    return AdoptionFigures(*staff, *residents)


def progress() -> AdoptionProgress:
    return AdoptionProgress.open(WARD)


# --------------------------------------------------------------------------- the policy


def test_the_four_rounds_are_due_before_19_7_26_7_20_8_and_10_9_2024_seed_003() -> None:
    adoption = DEFAULT_POLICY.adoption
    zone = DEFAULT_POLICY.calendar.timezone
    assert [adoption.due(n, zone) for n in (1, 2, 3, 4)] == [
        datetime(2024, 7, 19, tzinfo=BUSINESS_TZ), datetime(2024, 7, 26, tzinfo=BUSINESS_TZ),
        datetime(2024, 8, 20, tzinfo=BUSINESS_TZ), datetime(2024, 9, 10, tzinfo=BUSINESS_TZ)]


def test_the_staff_target_is_100_percent_before_25_7_2024_seed_001_1_a_seed_003_1() -> None:
    adoption = DEFAULT_POLICY.adoption
    assert (adoption.staff_target, adoption.staff_target_day) == (Decimal(1), date(2024, 7, 25))
    assert (adoption.residents_target, adoption.residents_target_day) == (
        Decimal(1), date(2024, 8, 31))


@pytest.mark.parametrize("round_number", [0, 5, -1])
def test_a_round_outside_the_forms_rounds_is_refused_seed_003(round_number: int) -> None:
    with pytest.raises(InvalidInput) as refused:
        DEFAULT_POLICY.adoption.due(round_number, "Asia/Ho_Chi_Minh")
    assert refused.value.rule == ADOPTION_ROUNDS_RULE


def test_the_rounds_and_targets_are_policy_data_kept_in_its_stored_form() -> None:
    adoption = AdoptionPolicy(rounds=(date(2025, 1, 10), date(2025, 2, 10)),
                              staff_target=Decimal("0.95"), staff_target_day=date(2025, 1, 31))
    policy = replace(DEFAULT_POLICY, version="2025-hanoi", adoption=adoption)
    assert SlaPolicy.from_dict(policy.to_dict()).adoption == adoption
    earlier = policy.to_dict()
    del earlier["adoption"]  # a version adopted before the form existed
    assert SlaPolicy.from_dict(earlier).adoption == AdoptionPolicy()


# --------------------------------------------------------------------------- the form's rows


def test_staff_installed_cannot_exceed_the_staff_seed_003_annex() -> None:
    with pytest.raises(InvalidInput, match="staff_installed") as refused:
        progress().enter(WARD, 1, figures(staff=(20, 21)), CLERK, T0, DUE_1)
    assert refused.value.rule == FORM_RULE


def test_residents_with_a_smartphone_cannot_exceed_the_residents_seed_003_annex() -> None:
    with pytest.raises(InvalidInput, match="residents_with_smartphone") as refused:
        progress().enter(WARD, 1, figures(residents=(100, 101, 50)), CLERK, T0, DUE_1)
    assert refused.value.rule == FORM_RULE


def test_residents_installed_cannot_exceed_those_with_a_smartphone_seed_003_8() -> None:
    with pytest.raises(InvalidInput, match="residents_installed") as refused:
        progress().enter(WARD, 1, figures(residents=(100, 60, 61)), CLERK, T0, DUE_1)
    assert refused.value.rule == FORM_RULE


@pytest.mark.parametrize("field", ["staff_total", "staff_installed", "residents_total",
                                   "residents_with_smartphone", "residents_installed"])
def test_a_count_is_a_whole_number_from_zero_to_a_countrys_people_seed_003_annex(
        field: str) -> None:
    for value in (-1, 2.5, True, MAX_COUNT + 1):
        with pytest.raises(InvalidInput, match=field):
            replace(AdoptionFigures(0, 0, 0, 0, 0), **{field: value}).check()


@given(st.tuples(*[st.integers(-3, 50)] * 5))
def test_figures_are_accepted_exactly_when_the_form_is_consistent_seed_003_annex(
        counts: tuple[int, int, int, int, int]) -> None:
    staff_total, staff_installed, residents, smartphones, installed = counts
    consistent = (min(counts) >= 0 and staff_installed <= staff_total
                  and installed <= smartphones <= residents)
    try:
        AdoptionFigures(*counts).check()
    except InvalidInput:
        assert not consistent
    else:
        assert consistent


def test_an_entry_records_the_figures_its_due_and_whether_it_was_on_time_seed_003() -> None:
    unit_progress = progress()
    unit_progress.enter(WARD, 1, figures(), CLERK, T0, DUE_1)
    unit_progress.enter(WARD, 2, figures(), CLERK, datetime(2024, 7, 27, 8, tzinfo=BUSINESS_TZ),
                        datetime(2024, 7, 26, tzinfo=BUSINESS_TZ))
    opened, first, second = unit_progress.collect_events()
    assert opened.unit_id == WARD.id and unit_progress.id == AdoptionProgress.create_id(WARD.id)
    assert (first.round, first.staff_total, first.staff_installed, first.residents_total,
            first.residents_with_smartphone, first.residents_installed) == (
        1, 25, 20, 9000, 6000, 4000)
    assert (first.due, first.on_time, first.entry, first.by) == (DUE_1, True, 1, CLERK.ref())
    assert (second.round, second.on_time) == (2, False)


def test_an_entry_exactly_at_the_due_instant_is_on_time_seed_003() -> None:
    unit_progress = progress()
    unit_progress.enter(WARD, 1, figures(), CLERK, DUE_1, DUE_1)
    assert unit_progress.collect_events()[-1].on_time


def test_a_later_entry_corrects_the_round_and_both_stay_in_history_seed_003() -> None:
    unit_progress = progress()
    unit_progress.enter(WARD, 1, figures(staff=(25, 20)), CLERK, T0, DUE_1)
    unit_progress.enter(WARD, 1, figures(staff=(25, 24)), CLERK, T0.replace(hour=10), DUE_1)
    assert [(e["entry"], e["staff_installed"]) for e in unit_progress.rounds[1]] == [
        (1, 20), (2, 24)]
    assert [getattr(e, "entry", None) for e in unit_progress.collect_events()] == [None, 1, 2]


# --------------------------------------------------------------------------- who enters


@pytest.mark.parametrize("role", [Role.RECEIVING_OFFICER, Role.HANDLING_OFFICER,
                                  Role.UNIT_HEAD])
def test_the_units_own_officers_and_head_enter_its_figures_seed_003_1(role: Role) -> None:
    progress().enter(WARD, 1, figures(), Actor(id="o", role=role, unit_id=WARD.id), T0, DUE_1)


def test_an_administrator_may_enter_a_units_figures_seed_003() -> None:
    progress().enter(WARD, 1, figures(), ADMIN, T0, DUE_1)


@pytest.mark.parametrize("actor", [
    Actor(id="o", role=Role.UNIT_HEAD, unit_id=DISTRICT.id),  # even the unit above
    Actor(id="o", role=Role.RECEIVING_OFFICER, unit_id=None),
    Actor(id="i", role=Role.INSPECTOR, unit_id=WARD.id),
    Actor(id="c", role=Role.CITIZEN)])
def test_no_one_else_enters_a_units_figures_seed_001_1_a_seed_003_1(actor: Actor) -> None:
    with pytest.raises(NotPermitted) as refused:
        progress().enter(WARD, 1, figures(), actor, T0, DUE_1)
    assert refused.value.rule == WHO_RULE


def test_a_merged_or_dissolved_unit_enters_nothing_dieu_28_1() -> None:
    ward = Unit.create("UBND xã Ba Trại", "commune", None, "BT", ADMIN, T0)
    unit_progress = AdoptionProgress.open(ward)
    ward.dissolve(ADMIN, T0)
    with pytest.raises(InvalidState):
        unit_progress.enter(ward, 1, figures(), ADMIN, T0, DUE_1)
    with pytest.raises(InvalidState):
        AdoptionProgress.open(ward)


# --------------------------------------------------------------------------- the write side


def test_the_service_records_the_due_of_the_policy_in_force_and_corrections_seed_003(
        app: IHanoi, world: World, clock: Clock) -> None:
    clock.now = T0
    first = app.handle(EnterAdoptionFigures(world.ward, 1, 12, 10, 8000, 5000, 3000),
                       world.app.officer_actor(world.ward_officer_id))
    again = app.handle(EnterAdoptionFigures(world.ward, 1, 12, 12, 8000, 5000, 3500), ADMIN)
    assert first.aggregate_id == again.aggregate_id == AdoptionProgress.create_id(world.ward)
    progress = app.load(first.aggregate_id, AdoptionProgress, to_change=False)
    assert [(e["entry"], e["staff_installed"], e["due"]) for e in progress.rounds[1]] == [
        (1, 10, DUE_1), (2, 12, DUE_1)]
    later = replace(DEFAULT_POLICY, version="2024-hanoi-2", adoption=AdoptionPolicy(
        rounds=(date(2024, 7, 22),)))
    app.handle(AdoptPolicy(later), ADMIN)
    app.handle(EnterAdoptionFigures(world.ward, 1, 12, 12, 8000, 5000, 3600), ADMIN)
    progress = app.load(first.aggregate_id, AdoptionProgress, to_change=False)
    assert [e["due"] for e in progress.rounds[1]] == [
        DUE_1, DUE_1, datetime(2024, 7, 22, tzinfo=BUSINESS_TZ)]
    with pytest.raises(InvalidInput) as refused:
        app.handle(EnterAdoptionFigures(world.ward, 2, 12, 12), ADMIN)
    assert refused.value.rule == ADOPTION_ROUNDS_RULE


def test_the_unit_must_exist_seed_003(app: IHanoi, world: World) -> None:
    with pytest.raises(NotFound):
        app.handle(EnterAdoptionFigures(world.reporter_id, 1, 1, 1), ADMIN)


def test_a_refused_entry_records_nothing_seed_003_annex(app: IHanoi, world: World) -> None:
    with pytest.raises(InvalidInput):
        app.handle(EnterAdoptionFigures(world.ward, 1, 10, 11), ADMIN)
    with pytest.raises(NotFound):
        app.load(AdoptionProgress.create_id(world.ward), AdoptionProgress)
