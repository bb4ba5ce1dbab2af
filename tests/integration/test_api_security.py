"""Hardening (issue 12 items 3–6): staff tokens against the directory, production settings,
rate limits and body sizes, security headers and what production exposes."""

from __future__ import annotations

from uuid import uuid4

from application.commands import DismissOfficer, TransferOfficer
from domain.actors import Actor, Role
from tests.integration.conftest import ADMIN, Api

# ------------------------------------------------------------------ tokens (Điều 25)


def test_a_dismissed_inspectors_token_reads_nothing_dieu_25(api: Api) -> None:
    w = api.world
    officer_id, inspector = w.staff("Trịnh Văn Quang", w.city, "inspector")
    token = api.token(inspector)
    w.submit()
    api.sync()
    assert api.client.get("/reports", headers=token).status_code == 200
    w.app.handle(DismissOfficer(officer_id), ADMIN)
    answer = api.client.get("/reports", headers=token)
    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"
    assert api.client.get("/overdue", headers=token).status_code == 401


def test_an_inspector_token_naming_no_officer_is_refused_dieu_25(api: Api) -> None:
    from api.auth import mint

    for subject in ("inspector-1", str(uuid4()), str(api.world.reporter_id)):
        forged = {"Authorization": "Bearer " + mint(api.secret, subject, "inspector")}
        assert api.client.get("/reports", headers=forged).status_code == 401, subject


def test_an_administrator_acts_only_while_in_the_directory_dieu_25(api: Api) -> None:
    from api.auth import mint

    w = api.world
    officer_id, admin = w.staff("Quản trị hệ thống", w.city, "administrator")
    body = {"name": "UBND phường Hàng Bạc", "level": "commune", "parent_id": str(w.district)}
    assert api.client.post("/units", json=body, headers=api.token(admin)).status_code == 201
    # a token naming the administrator's role but another unit than the directory's
    wrong_unit = {"Authorization": "Bearer " + mint(api.secret, admin.id, "administrator",
                                                    w.district)}
    assert api.client.post("/units", json=body, headers=wrong_unit).status_code == 401
    # an administrator's token without any directory entry
    nobody = {"Authorization": "Bearer " + mint(api.secret, "admin-1", "administrator")}
    assert api.client.post("/units", json=body, headers=nobody).status_code == 401
    # transferred to another role: the old token no longer works
    w.app.handle(TransferOfficer(officer_id, w.city, "inspector"), ADMIN)
    assert api.client.post("/units", json=body, headers=api.token(admin)).status_code == 401


def test_a_city_inspectors_token_is_checked_against_the_directory_dieu_25(api: Api) -> None:
    w = api.world
    officer_id, inspectorate = w.staff("Phan Văn Thanh", w.unit("Thanh tra Thành phố",
                                                                 "department", w.city),
                                       "city_inspector")
    token = api.token(inspectorate)
    assert api.client.get("/reports", headers=token).status_code == 200
    w.app.handle(DismissOfficer(officer_id), ADMIN)
    assert api.client.get("/reports", headers=token).status_code == 401


def test_tests_overseers_are_officers_of_the_directory(api: Api) -> None:
    """The helper appoints an in-process administrator or inspector before minting."""
    token = api.token(Actor(id="inspector-1", role=Role.INSPECTOR))
    assert api.client.get("/reports", headers=token).status_code == 200
