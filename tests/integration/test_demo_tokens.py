"""The demo's tokens are usable (issue 11 item 6): printed whole whatever the terminal's width
or a pipe, citizen ids in full, and written to a file in the data directory."""

from __future__ import annotations

import io
import json
import stat
from pathlib import Path
from uuid import UUID

import pytest
from rich.console import Console

from api.auth import decode
from application.settings import get_settings
from ihanoi import cli
from projections.deployment import Deployment
from projections.engine import Projector
from tests.integration.conftest import Api, World

SECRET = "demo-secret-of-32-bytes-or-more-for-tests"


@pytest.fixture
def runtime(world: World, projector: Projector, database_url: str, fresh_schema: str
            ) -> Deployment:
    world.submit()  # a citizen with a report, as in the demo
    for name, unit, role in (("Quản trị hệ thống", world.city, "administrator"),
                             ("Thanh tra Sở Nội vụ", world.city, "inspector")):
        world.staff(name, unit, role)  # as the demo's city_plan(overseers=True) has them
    projector.catch_up()
    return Deployment(url=database_url, schema=fresh_schema, app=world.app, projector=projector)


@pytest.mark.parametrize("width", [20, 40, 80])
def test_demo_tokens_are_printed_whole_on_a_narrow_or_piped_console(
        runtime: Deployment, world: World, tmp_path: Path, width: int) -> None:
    out = io.StringIO()  # not a terminal: what `ihanoi demo | tee` gets
    tokens = cli.demo_tokens(runtime, SECRET)
    cli.show_tokens(tokens, Console(file=out, width=width), tmp_path / cli.TOKENS_FILE)
    printed = out.getvalue()
    assert "…" not in printed
    roles = {t["role"] for t in tokens}
    assert {"citizen", "unit_head", "receiving_officer", "handling_officer", "inspector",
            "administrator"} <= roles
    for token in tokens:
        assert f"Authorization: {token['authorization']}" in printed.splitlines()
        principal = decode(SECRET, str(token["authorization"]).removeprefix("Bearer "))
        assert principal.subject == token["subject"] and principal.role == token["role"]
    citizen = next(t for t in tokens if t["role"] == "citizen")
    assert citizen["subject"] == str(world.reporter_id)
    assert str(world.reporter_id) in printed  # the citizen's id in full


def test_demo_tokens_are_written_to_the_data_directory(
        runtime: Deployment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IHANOI_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("IHANOI_JWT_SECRET", SECRET)
    get_settings.cache_clear()
    out = io.StringIO()
    monkeypatch.setattr(cli, "console", Console(file=out, width=30))
    try:
        cli._print_tokens(runtime)
    finally:
        get_settings.cache_clear()
    path = tmp_path / cli.TOKENS_FILE
    written = json.loads(path.read_text(encoding="utf-8"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # bearer tokens are secrets
    assert written and all(t["authorization"] in out.getvalue() for t in written)
    head = next(t for t in written if t["role"] == "unit_head")
    assert UUID(head["unit_id"]) == decode(SECRET, head["authorization"][7:]).unit_id
    assert str(path) in out.getvalue()


def test_demo_tokens_name_people_who_work_one_report_together_dieu_8_1(
        runtime: Deployment, world: World) -> None:
    """The district's receiving officer and head, and the handling officer of its division:
    with these tokens one report goes from reception to publication (Điều 7, 8.1, 12)."""
    tokens: dict[str, dict[str, str | None]] = {}
    for token in cli.demo_tokens(runtime, SECRET):
        tokens.setdefault(str(token["role"]), token)  # the first of each role
    assert tokens["receiving_officer"]["unit_id"] == str(world.district)
    assert tokens["unit_head"]["unit_id"] == str(world.district)
    assert tokens["handling_officer"]["unit_id"] == str(world.division)
    assert tokens["handling_officer"]["subject"] == str(world.officer_id)


def test_every_demo_token_names_an_officer_of_the_directory_dieu_25(
        runtime: Deployment, api: Api) -> None:
    """Staff tokens are checked against the directory (Điều 25): none of the demo's is
    refused, the inspector's and the administrator's included."""
    tokens = cli.demo_tokens(runtime, api.secret)
    assert {"inspector", "administrator"} <= {t["role"] for t in tokens}
    for token in tokens:
        headers = {"Authorization": str(token["authorization"])}
        path = "/me/reports" if token["role"] == "citizen" else "/reports"
        if token["role"] == "administrator":
            path = f"/units/{api.world.city}/officers"
        answer = api.client.get(path, headers=headers)
        assert answer.status_code == 200, (token["role"], answer.text)


def test_the_demos_plan_holds_its_overseers_in_the_directory_dieu_25() -> None:
    from ihanoi.simulation import city_plan

    plan = city_plan(["Hoàn Kiếm"], ["Sở Xây dựng"], overseers=True)
    roles = {role for unit in (plan, *plan.units) for _, role in unit.staff}
    assert {"administrator", "inspector", "city_inspector"} <= roles
    assert ("Quản trị hệ thống iHanoi", "administrator") in plan.staff  # at the city
