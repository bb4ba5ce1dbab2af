"""Who acts (Điều 25), how a refusal names its rule, and the monthly statistics' identity
(seed 000 Điều 2.2.c: statistics on the 25th of each month, published once)."""

from __future__ import annotations

from datetime import datetime
from uuid import NAMESPACE_URL, uuid4, uuid5

import pytest

from domain.actors import STAFF_ROLES, SYSTEM, Actor, Role, UnitLevel
from domain.calendar import BUSINESS_TZ
from domain.errors import (
    DomainError,
    InvalidInput,
    InvalidState,
    NotPermitted,
    OutOfScope,
    ReporterLocked,
)
from domain.statistics import MonthlyStatistics

UNIT = uuid4()

# --------------------------------------------------------------------------- actors, Điều 25


def test_an_actor_is_recorded_with_the_role_and_unit_he_held_then_dieu_25() -> None:
    officer = Actor(id="o-1", role=Role.UNIT_HEAD, unit_id=UNIT, unit_level=UnitLevel.COMMUNE)
    assert officer.ref() == {"id": "o-1", "role": "unit_head", "unit_id": UNIT,
                             "unit_level": "commune"}
    assert Actor(id="c-1", role=Role.CITIZEN).ref() == {"id": "c-1", "role": "citizen",
                                                         "unit_id": None, "unit_level": None}


def test_an_officer_acts_with_his_own_units_rights_only_dieu_25() -> None:
    officer = Actor(id="o-1", role=Role.HANDLING_OFFICER, unit_id=UNIT,
                    unit_level=UnitLevel.DIVISION)
    assert officer.is_staff_of(UNIT, Role.HANDLING_OFFICER, Role.UNIT_HEAD)
    assert not officer.is_staff_of(UNIT, Role.UNIT_HEAD)
    assert not officer.is_staff_of(uuid4(), Role.HANDLING_OFFICER)
    assert not officer.is_staff_of(None, Role.HANDLING_OFFICER)
    citizen = Actor(id="c-1", role=Role.CITIZEN)
    assert not citizen.is_staff_of(None, Role.CITIZEN)  # no unit, no unit's rights


def test_the_roles_and_unit_levels_of_who_uses_it() -> None:
    assert [str(r) for r in Role] == ["citizen", "receiving_officer", "handling_officer",
                                      "unit_head", "inspector", "city_inspector", "administrator",
                                      "system"]
    assert [str(u) for u in UnitLevel] == ["city", "service_centre", "department", "district",
                                           "commune", "division", "enterprise"]
    assert STAFF_ROLES == {Role.RECEIVING_OFFICER, Role.HANDLING_OFFICER, Role.UNIT_HEAD}
    assert SYSTEM == Actor(id="system", role=Role.SYSTEM)
    assert SYSTEM.ref() == {"id": "system", "role": "system", "unit_id": None, "unit_level": None}


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("error", [NotPermitted, InvalidState, InvalidInput, OutOfScope])
def test_a_refusal_names_the_article_it_applies(error: type[DomainError]) -> None:
    refused = error("Điều 12.2", "only the assigned unit may report the result")
    assert isinstance(refused, DomainError)
    assert (refused.rule, refused.detail) == ("Điều 12.2",
                                              "only the assigned unit may report the result")
    assert str(refused) == "only the assigned unit may report the result (Điều 12.2)"


def test_a_locked_reporter_is_told_until_when_dieu_27_3() -> None:
    until = datetime(2026, 4, 1, 10, tzinfo=BUSINESS_TZ)
    refused = ReporterLocked(until)
    assert isinstance(refused, DomainError)
    assert (refused.rule, refused.locked_until) == ("Điều 27.3", until)
    assert str(refused) == ("the account is locked after more than 3 consecutive violations "
                            "until 2026-04-01T10:00:00+07:00 (Điều 27.3)")


# --------------------------------------------------------------------------- statistics


def test_one_months_statistics_have_one_identity_so_a_second_publication_conflicts() -> None:
    assert MonthlyStatistics.create_id("2026-03") == uuid5(
        NAMESPACE_URL, "ihanoi:monthly-statistics:2026-03")
    assert MonthlyStatistics.create_id("2026-03") != MonthlyStatistics.create_id("2026-04")


def test_the_monthly_statistics_are_published_with_their_figures_and_policy_version() -> None:
    published = datetime(2026, 3, 25, 17, tzinfo=BUSINESS_TZ)
    figures = [{"unit_id": str(UNIT), "received": 10, "late": 4, "late_flag": True}]
    statistics = MonthlyStatistics(month="2026-03", figures=figures,
                                   policy_version="2024-default", published_at=published,
                                   at=published)
    assert (statistics.month, statistics.figures, statistics.policy_version,
            statistics.published_at) == ("2026-03", figures, "2024-default", published)
    event = statistics.collect_events()[0]
    assert type(event).__name__ == "MonthlyStatisticsPublished"
    assert (event.month, event.figures, event.published_at) == ("2026-03", figures, published)
