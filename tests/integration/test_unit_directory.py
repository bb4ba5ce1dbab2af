"""unit_directory: the unit tree and officers follow the reorganisation events (Điều 25, 28.1)."""

from uuid import UUID

from application.commands import (
    DismissOfficer,
    DissolveUnit,
    MergeUnit,
    MoveUnit,
    RenameUnit,
    TransferOfficer,
)
from projections import unit_directory
from projections.engine import Projector
from tests.integration.conftest import ADMIN


def _snapshot(projector: Projector) -> dict[str, list[tuple]]:
    with projector.connect() as conn:
        conn.execute(f"SET search_path TO {projector.schema}")
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall()
                for t in unit_directory.model.tables}


def _reorganise(world) -> UUID:
    """Rename the ward, move it to the other district, merge a new ward into it, dissolve the
    department; returns the merged ward."""
    app = world.app
    app.handle(RenameUnit(world.ward, "UBND phường Hoàn Kiếm"), ADMIN)
    app.handle(MoveUnit(world.ward, world.other_district), ADMIN)
    merged = world.unit("UBND phường Hàng Trống", "commune", world.district)
    app.handle(MergeUnit(merged, world.ward), ADMIN)
    app.handle(DissolveUnit(world.department), ADMIN)
    return merged


def test_directory_follows_rename_move_merge_and_dissolution_dieu_28_1(
        world, projector: Projector) -> None:
    merged = _reorganise(world)
    projector.catch_up()
    with projector.connect() as conn:
        conn.execute(f"SET search_path TO {projector.schema}")
        ward = unit_directory.unit(conn, world.ward)
        assert (ward["name"], ward["parent_id"], ward["active"]) == (
            "UBND phường Hoàn Kiếm", world.other_district, True)
        assert [u["unit_id"] for u in unit_directory.children(conn, world.other_district)] == [
            world.ward]
        district_children = {u["unit_id"]: u for u in unit_directory.children(conn, world.district)}
        assert set(district_children) == {world.division, merged}
        assert district_children[merged]["active"] is False
        assert district_children[merged]["merged_into"] == world.ward
        department = unit_directory.unit(conn, world.department)
        assert department["active"] is False and department["merged_into"] is None
        tree = {u["unit_id"]: u["depth"] for u in unit_directory.descendants(conn, world.city)}
        assert tree == {world.centre: 1, world.district: 1, world.other_district: 1,
                        world.department: 1, world.division: 2, merged: 2, world.ward: 2}


def test_officer_shows_the_unit_and_role_held_now_dieu_25(world, projector: Projector) -> None:
    world.app.handle(TransferOfficer(world.officer_id, world.ward, "unit_head"), ADMIN)
    world.app.handle(DismissOfficer(world.ward_officer_id), ADMIN)
    projector.catch_up()
    with projector.connect() as conn:
        conn.execute(f"SET search_path TO {projector.schema}")
        moved = unit_directory.officer(conn, world.officer_id)
        dismissed = unit_directory.officer(conn, world.ward_officer_id)
    assert (moved["unit_id"], moved["unit_name"], moved["role"], moved["active"]) == (
        world.ward, "UBND phường Tràng Tiền", "unit_head", True)
    assert moved["name"] == "Lê Văn Minh" and moved["unit_level"] == "commune"
    assert dismissed["active"] is False and dismissed["unit_id"] == world.ward


def test_rebuild_equals_incremental_unit_directory(world, projector: Projector) -> None:
    _reorganise(world)
    world.app.handle(TransferOfficer(world.officer_id, world.ward, "handling_officer"), ADMIN)
    projector.batch_size = 2
    projector.catch_up()
    before = _snapshot(projector)
    projector.rebuild(["unit_directory"])
    assert _snapshot(projector) == before
    assert len(before["directory_units"]) == 8 and len(before["directory_officers"]) == 7


def test_names_of_several_units_in_one_lookup_follow_renames_dieu_28_1(
        world, projector: Projector) -> None:
    _reorganise(world)
    projector.catch_up()
    unknown = UUID(int=1)
    with projector.connect() as conn:
        conn.execute(f"SET search_path TO {projector.schema}")
        found = unit_directory.names(conn, [world.ward, world.city, world.ward, unknown])
        assert found == {world.ward: "UBND phường Hoàn Kiếm",
                         world.city: unit_directory.unit(conn, world.city)["name"]}
        assert unit_directory.names(conn, []) == {}
