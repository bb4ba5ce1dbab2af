"""The unit directory and its officers, domain only (Điều 25, 28.1; DOMAIN.md "Who uses it").

Units are created, renamed, moved, merged and dissolved by events (the 2025 reorganisation);
an officer holds one unit and one role at a time and acts with that unit's rights only.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from domain.actors import SYSTEM, Actor, Role, UnitLevel
from domain.calendar import BUSINESS_TZ
from domain.errors import InvalidInput, InvalidState
from domain.units import Officer, Unit

T0 = datetime(2026, 3, 2, 9, tzinfo=BUSINESS_TZ)
ADMIN = Actor(id="admin-1", role=Role.ADMINISTRATOR)


def unit(name: str = "UBND quận Hoàn Kiếm", level: str = "district", parent: Unit | None = None,
         code: str = "HK") -> Unit:
    return Unit.create(name, level, parent, code, ADMIN, T0)


def events_of(aggregate: Unit | Officer) -> list:
    return aggregate.collect_events()


# --------------------------------------------------------------------------- units, Điều 28.1


def test_a_unit_is_created_active_under_its_parent_dieu_28_1() -> None:
    city = unit("UBND thành phố Hà Nội", "city", None, "HN")
    district = unit(" UBND quận Hoàn Kiếm ", "district", city, "HK")
    assert (district.name, district.level, district.parent_id, district.code) == (
        "UBND quận Hoàn Kiếm", UnitLevel.DISTRICT, city.id, "HK")
    assert district.active and district.merged_into is None and district.created_at == T0
    assert city.parent_id is None
    created = events_of(district)[0]
    assert type(created).__name__ == "Created"
    assert created.by == ADMIN.ref()


@pytest.mark.parametrize("name", ["", "  ", "x" * 301])
def test_a_unit_name_has_1_to_300_characters_dieu_28_1(name: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        unit(name)
    assert refused.value.rule == "Điều 28.1"
    assert unit("x" * 300).name == "x" * 300
    assert unit("x").name == "x"


def test_a_unit_has_a_known_level_dieu_28_1() -> None:
    with pytest.raises(InvalidInput) as refused:
        unit(level="province")
    assert refused.value.rule == "Điều 28.1"


def test_no_unit_is_created_under_a_unit_that_no_longer_exists_dieu_28_1() -> None:
    city = unit("UBND thành phố", "city")
    city.dissolve(ADMIN, T0)
    with pytest.raises(InvalidState) as refused:
        unit(parent=city)
    assert refused.value.rule == "Điều 28.1"


def test_a_unit_is_renamed_by_an_event_dieu_28_1() -> None:
    district = unit()
    district.rename("  UBND phường Hoàn Kiếm ", ADMIN, T0 + timedelta(days=1))
    assert district.name == "UBND phường Hoàn Kiếm"
    renamed = events_of(district)[-1]
    assert (type(renamed).__name__, renamed.name, renamed.by, renamed.at) == (
        "Renamed", "UBND phường Hoàn Kiếm", ADMIN.ref(), T0 + timedelta(days=1))
    with pytest.raises(InvalidInput):
        district.rename(" ", ADMIN, T0)


def test_a_unit_moves_under_another_parent_but_never_under_itself_dieu_28_1() -> None:
    city = unit("Thành phố", "city")
    district = unit("Quận", "district", city)
    ward = unit("Phường", "commune", district)
    other = unit("Quận khác", "district", city)
    ward.move(other, [city.id], ADMIN, T0)
    assert ward.parent_id == other.id
    moved = events_of(ward)[-1]
    assert (type(moved).__name__, moved.parent_id) == ("Moved", other.id)
    with pytest.raises(InvalidInput) as refused:
        district.move(district, [city.id], ADMIN, T0)
    assert refused.value.rule == "Điều 28.1"
    with pytest.raises(InvalidInput):
        other.move(ward, [other.id, city.id], ADMIN, T0)  # ward is now under ``other``
    assert other.parent_id == city.id


def test_a_unit_moves_only_between_existing_units_dieu_28_1() -> None:
    a, b = unit("A"), unit("B")
    b.dissolve(ADMIN, T0)
    with pytest.raises(InvalidState):
        a.move(b, [], ADMIN, T0)
    with pytest.raises(InvalidState):
        b.move(a, [], ADMIN, T0)


def test_a_merged_unit_passes_its_work_to_the_target_and_no_longer_exists_dieu_28_1() -> None:
    a, b = unit("A"), unit("B")
    a.merge_into(b, ADMIN, T0)
    assert (a.active, a.merged_into) == (False, b.id)
    assert b.active and b.merged_into is None
    merged = events_of(a)[-1]
    assert (type(merged).__name__, merged.into) == ("Merged", b.id)
    with pytest.raises(InvalidState) as refused:
        a.rename("A2", ADMIN, T0)
    assert refused.value.rule == "Điều 28.1"
    with pytest.raises(InvalidState):
        unit("C").merge_into(a, ADMIN, T0)


def test_a_unit_is_not_merged_into_itself_dieu_28_1() -> None:
    a = unit("A")
    with pytest.raises(InvalidInput) as refused:
        a.merge_into(a, ADMIN, T0)
    assert refused.value.rule == "Điều 28.1"
    assert a.active


def test_a_dissolved_unit_no_longer_exists_dieu_28_1() -> None:
    a = unit("A")
    a.dissolve(ADMIN, T0)
    assert not a.active and a.merged_into is None
    assert type(events_of(a)[-1]).__name__ == "Dissolved"
    with pytest.raises(InvalidState):
        a.dissolve(ADMIN, T0)


def test_every_change_to_a_unit_records_who_made_it_and_when_dieu_28_1() -> None:
    a, b, c = unit("A"), unit("B"), unit("C")
    steps = [T0 + timedelta(days=n) for n in range(1, 5)]
    a.rename("A2", ADMIN, steps[0])
    a.move(b, [], SYSTEM, steps[1])
    a.merge_into(c, ADMIN, steps[2])
    b.dissolve(SYSTEM, steps[3])
    assert [(type(e).__name__, e.by, e.at) for e in events_of(a)[1:]] == [
        ("Renamed", ADMIN.ref(), steps[0]), ("Moved", SYSTEM.ref(), steps[1]),
        ("Merged", ADMIN.ref(), steps[2])]
    assert [(type(e).__name__, e.by, e.at) for e in events_of(b)[1:]] == [
        ("Dissolved", SYSTEM.ref(), steps[3])]


# --------------------------------------------------------------------------- officers, Điều 25


def test_every_change_to_an_officer_records_who_made_it_and_when_dieu_25() -> None:
    district = unit()
    officer = Officer.appoint("Cán bộ", district, "handling_officer", ADMIN, T0)
    officer.transfer(district, "unit_head", SYSTEM, T0 + timedelta(days=1))
    officer.dismiss(ADMIN, T0 + timedelta(days=2))
    assert [(type(e).__name__, e.by, e.at) for e in events_of(officer)] == [
        ("Appointed", ADMIN.ref(), T0), ("Transferred", SYSTEM.ref(), T0 + timedelta(days=1)),
        ("Dismissed", ADMIN.ref(), T0 + timedelta(days=2))]


def test_an_officer_is_appointed_to_one_unit_with_one_role_dieu_25() -> None:
    district = unit()
    officer = Officer.appoint(" Lê Văn Cường ", district, "handling_officer", ADMIN, T0)
    assert (officer.name, officer.unit_id, officer.role, officer.active) == (
        "Lê Văn Cường", district.id, Role.HANDLING_OFFICER, True)
    appointed = events_of(officer)[0]
    assert (type(appointed).__name__, appointed.by) == ("Appointed", ADMIN.ref())


@pytest.mark.parametrize("role", ["receiving_officer", "handling_officer", "unit_head",
                                  "inspector", "administrator"])
def test_the_staff_roles_an_officer_may_hold_dieu_25(role: str) -> None:
    assert Officer.appoint("Cán bộ", unit(), role, ADMIN, T0).role == Role(role)


@pytest.mark.parametrize("role", ["citizen", "system", "mayor"])
def test_citizens_and_the_system_are_no_officers_dieu_25(role: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        Officer.appoint("Cán bộ", unit(), role, ADMIN, T0)
    assert refused.value.rule == "Điều 25"


def test_an_officer_needs_a_name_and_an_existing_unit_dieu_25_28_1() -> None:
    with pytest.raises(InvalidInput):
        Officer.appoint(" ", unit(), "unit_head", ADMIN, T0)
    gone = unit()
    gone.dissolve(ADMIN, T0)
    with pytest.raises(InvalidState):
        Officer.appoint("Cán bộ", gone, "unit_head", ADMIN, T0)


def test_a_transferred_officer_acts_with_his_new_units_rights_only_dieu_25() -> None:
    old, new = unit("Cũ", "district"), unit("Mới", "commune")
    officer = Officer.appoint("Cán bộ", old, "handling_officer", ADMIN, T0)
    officer.transfer(new, "unit_head", ADMIN, T0 + timedelta(days=1))
    assert (officer.unit_id, officer.role) == (new.id, Role.UNIT_HEAD)
    transferred = events_of(officer)[-1]
    assert (type(transferred).__name__, transferred.unit_id, transferred.role) == (
        "Transferred", new.id, "unit_head")
    actor = officer.as_actor(new)
    assert actor == Actor(id=str(officer.id), role=Role.UNIT_HEAD, unit_id=new.id,
                          unit_level=UnitLevel.COMMUNE)
    assert actor.is_staff_of(new.id, Role.UNIT_HEAD)
    assert not actor.is_staff_of(old.id, Role.UNIT_HEAD)


def test_an_officer_is_transferred_only_to_an_existing_unit_and_a_staff_role_dieu_25() -> None:
    officer = Officer.appoint("Cán bộ", unit(), "handling_officer", ADMIN, T0)
    gone = unit()
    gone.dissolve(ADMIN, T0)
    with pytest.raises(InvalidState):
        officer.transfer(gone, "unit_head", ADMIN, T0)
    with pytest.raises(InvalidInput):
        officer.transfer(unit(), "citizen", ADMIN, T0)


def test_a_dismissed_officer_no_longer_holds_office_dieu_25() -> None:
    district = unit()
    officer = Officer.appoint("Cán bộ", district, "unit_head", ADMIN, T0)
    officer.dismiss(SYSTEM, T0)
    assert not officer.active
    assert type(events_of(officer)[-1]).__name__ == "Dismissed"
    for act in (lambda: officer.as_actor(district), lambda: officer.dismiss(ADMIN, T0),
                lambda: officer.transfer(district, "unit_head", ADMIN, T0)):
        with pytest.raises(InvalidState) as refused:
            act()
        assert refused.value.rule == "Điều 25"


def test_an_officer_of_a_merged_unit_cannot_act_for_it_dieu_25_28_1() -> None:
    district, target = unit("A"), unit("B")
    officer = Officer.appoint("Cán bộ", district, "unit_head", ADMIN, T0)
    district.merge_into(target, ADMIN, T0)
    with pytest.raises(InvalidState) as refused:
        officer.as_actor(district)
    assert refused.value.rule == "Điều 28.1"
