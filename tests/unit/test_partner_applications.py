"""Open311 partner applications (Điều 28.1) and their submissions for citizens (Điều 5.5):
the write side in memory."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from application.commands import IssuePartnerKey, RevokePartnerKey, SubmitPartnerReport
from application.services import IHanoi
from domain.actors import Actor, Role
from domain.errors import InvalidInput, InvalidState, NotPermitted
from domain.report import Report
from domain.reporter import Reporter
from tests.integration.conftest import World

ADMIN = Actor(id="admin", role=Role.ADMINISTRATOR)
KEY = hashlib.sha256(b"secret").hexdigest()
CITIZEN = {"name": "Nguyễn Thị Lan", "phone": "0912345678", "email": "lan@example.vn",
           "national_id": "001190012345"}


def _submission(world: World, partner_id: Any, key_hash: str = KEY,
                **identity: Any) -> SubmitPartnerReport:
    return SubmitPartnerReport(
        partner_id, key_hash, **{**CITIZEN, **identity}, kind="field", category="environment",
        text="Rác thải đổ trộm bên bờ hồ Hoàn Kiếm", latitude=21.0288, longitude=105.8525,
        address="Đinh Tiên Hoàng, Hoàn Kiếm", receiving_unit_id=world.centre)


def test_only_an_administrator_issues_and_revokes_partner_keys_dieu_28_1(
        app: IHanoi, world: World) -> None:
    with pytest.raises(NotPermitted, match="Điều 28.1"):
        app.handle(IssuePartnerKey("Ứng dụng", KEY), world.head)
    partner = app.handle(IssuePartnerKey("Ứng dụng", KEY), ADMIN).aggregate_id
    with pytest.raises(NotPermitted, match="Điều 28.1"):
        app.handle(RevokePartnerKey(partner), world.citizen)
    app.handle(RevokePartnerKey(partner), ADMIN)
    with pytest.raises(InvalidState, match="already revoked"):
        app.handle(RevokePartnerKey(partner), ADMIN)


def test_a_partner_submission_registers_then_matches_the_citizen_by_citizen_id_dieu_5_5(
        app: IHanoi, world: World) -> None:
    partner = app.handle(IssuePartnerKey("Ứng dụng", KEY), ADMIN).aggregate_id
    first = app.handle(_submission(world, partner)).aggregate_id
    second = app.handle(_submission(world, partner, email="khac@example.vn")).aggregate_id
    one, two = app.load(first, Report), app.load(second, Report)
    assert one.reporter_id == two.reporter_id == app.partner_reporter_id("001190012345")
    assert app.load(one.reporter_id, Reporter).identity == CITIZEN  # matched, not changed
    other = app.handle(_submission(world, partner, national_id="001190099999")).aggregate_id
    assert app.load(other, Report).reporter_id != one.reporter_id


def test_a_partner_submission_needs_the_full_identity_and_a_valid_key_dieu_5_5(
        app: IHanoi, world: World) -> None:
    partner = app.handle(IssuePartnerKey("Ứng dụng", KEY), ADMIN).aggregate_id
    with pytest.raises(InvalidInput, match="citizen ID.*Điều 5.5"):
        app.handle(_submission(world, partner, national_id=None))
    with pytest.raises(InvalidInput, match="phone.*Điều 5.5"):
        app.handle(_submission(world, partner, phone=""))
    with pytest.raises(NotPermitted, match="api_key"):
        app.handle(_submission(world, partner, key_hash="0" * 64))
    app.handle(RevokePartnerKey(partner), ADMIN)
    with pytest.raises(NotPermitted, match="api_key"):
        app.handle(_submission(world, partner))
