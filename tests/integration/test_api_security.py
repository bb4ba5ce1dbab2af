"""Hardening (issue 12 items 3–6): staff tokens against the directory, production settings,
rate limits and body sizes, security headers and what production exposes."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest

from application.commands import DismissOfficer, TransferOfficer
from application.services import IHanoi
from domain.actors import Actor, Role
from tests.integration.conftest import ADMIN, Api, Clock, generous_settings

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


def test_a_staff_read_sees_a_dismissal_or_transfer_recorded_elsewhere_at_once_dieu_25(
        api: Api, es_env: dict[str, str], clock: Clock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Điều 25, issue 16: with this process's directory cache warm (and stale), a staff read
    checks the token in the endpoint's own worker thread, against the store: a dismissal or
    transfer recorded by another process before the request refuses it."""
    from api import auth

    w = api.world
    inspector_id, inspector = w.staff("Trịnh Văn Quang", w.city, "inspector")
    report_id = w.submit()
    api.sync()
    inspector_token, receiver_token = api.token(inspector), api.token(w.receiver)
    assert api.client.get("/overdue", headers=inspector_token).status_code == 200
    assert api.client.get(f"/reports/{report_id}", headers=receiver_token).status_code == 200

    async def no_second_trip(*_: Any) -> Any:
        raise AssertionError("a warm staff read checks the directory in the endpoint's thread")

    monkeypatch.setattr(auth, "run_in_threadpool", no_second_trip)
    other = IHanoi(env=es_env, clock=clock)  # another process, with caches of its own
    try:
        other.handle(DismissOfficer(inspector_id), ADMIN)
        other.handle(TransferOfficer(UUID(w.receiver.id), w.other_district,
                                     "receiving_officer"), ADMIN)
    finally:
        other.close()
    assert w.app.cached_officer_actor(inspector_id) == inspector  # this process: stale
    assert w.app.cached_officer_actor(UUID(w.receiver.id)) == w.receiver
    dismissed = api.client.get("/overdue", headers=inspector_token)
    assert dismissed.status_code == 401
    assert dismissed.headers["content-type"] == "application/problem+json"
    assert api.client.get(f"/reports/{report_id}", headers=receiver_token).status_code == 401


def test_a_warm_staff_view_reads_the_store_once_for_the_directory_dieu_25_4_4(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """Điều 25: every staff read checks its token against the store; Điều 4.4: the reporter's
    identity, recorded once by the report's first event, comes from this process's snapshot
    of the report — so a warm staff view of a report reads the store once (issue 16)."""
    from application.aggregates import Aggregates

    w = api.world
    report_id = w.submit()
    api.sync()
    token = api.token(w.receiver)
    first = api.client.get(f"/reports/{report_id}", headers=token)
    assert first.status_code == 200
    reads: list[tuple[UUID, ...]] = []
    read = Aggregates.read

    def counted(self: Aggregates, *ids: UUID) -> Any:
        reads.append(ids)
        return read(self, *ids)

    monkeypatch.setattr(Aggregates, "read", counted)
    again = api.client.get(f"/reports/{report_id}", headers=token)
    assert again.status_code == 200
    assert again.json()["reporter"] == first.json()["reporter"] is not None
    assert reads == [(UUID(w.receiver.id),)]


def test_tests_overseers_are_officers_of_the_directory(api: Api) -> None:
    """The helper appoints an in-process administrator or inspector before minting."""
    token = api.token(Actor(id="inspector-1", role=Role.INSPECTOR))
    assert api.client.get("/reports", headers=token).status_code == 200


# ------------------------------------------------------------------ production settings


def _run_cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, args: list[str],
             **env: str) -> Any:
    """``ihanoi ARGS`` with ``env``; opening the runtime (a database) fails the test."""
    from typer.testing import CliRunner

    from application.settings import get_settings
    from ihanoi import cli

    def no_runtime(*_: Any, **__: Any) -> None:
        raise AssertionError("the runtime was opened")

    monkeypatch.setattr(cli, "open_runtime", no_runtime)
    monkeypatch.setenv("IHANOI_DATA_DIR", str(tmp_path))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(cli.app, args)
    finally:
        get_settings.cache_clear()


def test_production_refuses_a_jwt_secret_under_32_bytes(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from application.settings import ConfigurationError, Settings

    weak = "s3cret-of-31-bytes-" + "." * 12
    assert len(weak) == 31
    settings = Settings(IHANOI_ENV="production", IHANOI_JWT_SECRET=weak)
    with pytest.raises(ConfigurationError, match="32"):
        settings.resolve_jwt_secret()
    done = _run_cli(monkeypatch, tmp_path, ["serve"], IHANOI_ENV="production",
                    IHANOI_JWT_SECRET=weak)
    assert done.exit_code == 2 and "IHANOI_JWT_SECRET" in done.output
    strong = weak + "!"
    assert Settings(IHANOI_ENV="production", IHANOI_JWT_SECRET=strong
                    ).resolve_jwt_secret() == strong
    assert Settings(IHANOI_ENV="development", IHANOI_JWT_SECRET="dev").resolve_jwt_secret()


def test_production_refuses_to_create_the_api_with_a_weak_secret(
        monkeypatch: pytest.MonkeyPatch, api: Api) -> None:
    from api.app import create_app
    from application.settings import ConfigurationError, get_settings

    monkeypatch.setenv("IHANOI_ENV", "production")
    get_settings.cache_clear()
    try:
        with pytest.raises(ConfigurationError):
            create_app(api.client.app.state.runtime, "short", follow=False)
    finally:
        get_settings.cache_clear()


def test_production_refuses_the_demo(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    done = _run_cli(monkeypatch, tmp_path, ["demo", "--no-serve"], IHANOI_ENV="production",
                    IHANOI_JWT_SECRET="x" * 48)
    assert done.exit_code == 2
    assert "refused in production" in done.output
    assert not (tmp_path / "demo-tokens.json").exists()


# ------------------------------------------------------------------ rate limits, body size


@contextmanager
def edge(api: Api, **settings: Any) -> Iterator[Any]:
    """Another client on the test's runtime, with ``settings`` (field names) over the
    tests' generous ones."""
    from fastapi.testclient import TestClient

    from api.app import create_app

    app = create_app(api.client.app.state.runtime, api.secret, follow=False,
                     settings=generous_settings(**settings))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def _person(n: int) -> dict[str, str]:
    return {"name": f"Nguyễn Văn {n}", "phone": f"09123450{n:02d}",
            "email": f"nguoi{n}@example.vn", "national_id": f"0010990123{n:02d}"}


def _too_many(answer: Any) -> None:
    assert answer.status_code == 429, answer.text
    assert int(answer.headers["retry-after"]) >= 1
    if answer.request.url.path.endswith(".xml"):  # GeoReport v2's error form, in XML
        assert b"<errors><error><code>429</code>" in answer.content
        return
    if answer.request.url.path.startswith("/open311/"):  # GeoReport v2's error form
        [error] = answer.json()
        assert error["code"] == 429 and "retry after" in error["description"]
        return
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["type"].endswith("/too-many-requests")


def test_registrations_over_the_limit_get_429_with_retry_after(api: Api) -> None:
    with edge(api, rate_limit_registrations="2/minute") as client:
        for n in range(2):
            assert client.post("/reporters", json=_person(n)).status_code == 201
        _too_many(client.post("/reporters", json=_person(3)))


def test_anonymous_public_lists_over_the_limit_get_429(api: Api) -> None:
    with edge(api, rate_limit_anonymous="3/minute") as client:
        for _ in range(3):
            assert client.get("/public/units").status_code == 200
        _too_many(client.get("/public/results"))
        _too_many(client.get("/open311/v2/requests.json"))
        # a caller with a valid token is not anonymous
        assert client.get("/reports", headers=api.token(api.world.head)).status_code == 200
        assert client.get("/healthz").status_code == 200  # the probes are never limited


def test_open311_submissions_over_the_limit_get_429(api: Api) -> None:
    api.sync()
    citizen = api.token(api.world.citizen)
    with edge(api, rate_limit_submissions="1/minute") as client:
        form = {"service_code": "field.environment", "lat": "21.0288", "long": "105.8525",
                "description": "Rác thải đổ trộm bên bờ hồ Hoàn Kiếm",
                "address_string": "Đinh Tiên Hoàng, Hoàn Kiếm"}
        assert client.post("/open311/v2/requests.json", data=form,
                           headers=citizen).status_code == 201
        _too_many(client.post("/open311/v2/requests.json", data=form, headers=citizen))
        _too_many(client.post("/open311/v2/requests.xml", data=form, headers=citizen))


def test_failed_authentications_over_the_limit_get_429(api: Api) -> None:
    from api.auth import mint

    forged = {"Authorization": "Bearer " + mint("another-secret-of-32-bytes-or-more",
                                                str(api.world.head.id), "unit_head",
                                                api.world.district)}
    with edge(api, rate_limit_auth_failures="3/minute") as client:
        for _ in range(3):
            assert client.get("/reports", headers=forged).status_code == 401
        _too_many(client.get("/reports", headers=forged))
        # from that address, a token is not even looked at until the window moves on
        _too_many(client.get("/reports", headers=api.token(api.world.head)))


def test_a_body_over_the_limit_is_413_before_it_is_read(api: Api) -> None:
    with edge(api, max_body_bytes=4096) as client:
        big = {**_person(1), "name": "x" * 50_000}
        answer = client.post("/reporters", json=big)
        assert answer.status_code == 413, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        chunks = (b"x" * 1024 for _ in range(64))  # no Content-Length: counted as it comes
        streamed = client.post("/reporters", content=chunks,
                               headers={"Content-Type": "application/json"})
        assert streamed.status_code == 413, streamed.text
        assert client.post("/reporters", json=_person(2)).status_code == 201
        app = client.app

    # Over ASGI: of a 50 MB body announced by Content-Length, not one byte is read; of one
    # streamed without it, no more than the limit and the chunk that crosses it.
    assert _post_50_mb(app, declared=True) == (413, 0)
    status, read = _post_50_mb(app, declared=False)
    assert status == 413 and read <= 65536


def test_an_attachment_upload_keeps_its_own_larger_limit_dieu_12_2(api: Api) -> None:
    """The general body limit does not cut photos: an upload is held to the policy's
    ``attachment_max_bytes`` (api.attachments), past which it is a 413 there."""
    from tests.integration.conftest import photo

    picture = photo((1600, 1200))
    assert len(picture) > 8192
    with edge(api, max_body_bytes=4096) as client:
        answer = client.post("/attachments", files={"file": ("anh.jpg", picture, "image/jpeg")},
                             headers=api.token(api.world.citizen))
        assert answer.status_code == 201, answer.text
        assert client.post("/reporters", json={**_person(3), "name": "x" * 8192}
                           ).status_code == 413


def _post_50_mb(app: Any, declared: bool) -> tuple[int, int]:
    """POST /reporters a 50 MB body in 64 KiB chunks straight to the ASGI app: the status
    answered and the bytes the app asked for."""
    read: list[int] = []
    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        read.append(65536)
        return {"type": "http.request", "body": b"x" * 65536,
                "more_body": sum(read) < 50_000_000}

    async def send(message: Any) -> None:
        sent.append(message)

    headers = [(b"content-type", b"application/json")]
    if declared:
        headers.append((b"content-length", b"50000000"))
    scope = {"type": "http", "method": "POST", "path": "/reporters", "raw_path": b"/reporters",
             "query_string": b"", "headers": headers, "client": ("10.0.0.9", 5000),
             "server": ("testserver", 80), "scheme": "http", "http_version": "1.1",
             "root_path": "", "app": app, "state": {}}
    asyncio.run(app(scope, receive, send))
    return sent[0]["status"], sum(read)


# ------------------------------------------------------------------ headers, docs, metrics


def test_answers_carry_nosniff_and_personal_ones_no_store(api: Api) -> None:
    w = api.world
    w.submit()
    api.sync()
    staff = api.client.get("/reports", headers=api.token(w.head))
    citizen = api.client.get("/me/reports", headers=api.token(w.citizen))
    refused = api.client.get("/reports")
    for answer in (staff, citizen, refused):
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["cache-control"] == "no-store"
    public = api.client.get("/public/units")
    assert public.headers["x-content-type-options"] == "nosniff"
    assert "no-store" not in public.headers.get("cache-control", "")
    registered = api.client.post("/reporters", json=_person(7))
    assert registered.headers["cache-control"] == "no-store"


def test_cors_allows_only_the_configured_origins(api: Api) -> None:
    preflight = {"Origin": "https://evil.example", "Access-Control-Request-Method": "GET",
                 "Access-Control-Request-Headers": "authorization"}
    answer = api.client.options("/reports", headers=preflight)  # default: no origin allowed
    assert "access-control-allow-origin" not in answer.headers
    assert "access-control-allow-origin" not in api.client.get(
        "/public/units", headers={"Origin": "https://evil.example"}).headers
    with edge(api, cors_origins="https://ihanoi.hanoi.gov.vn, https://admin.ihanoi.vn") as c:
        allowed = c.options("/reports", headers={**preflight,
                                                 "Origin": "https://ihanoi.hanoi.gov.vn"})
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == "https://ihanoi.hanoi.gov.vn"
        assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
        other = c.options("/reports", headers=preflight)
        assert other.headers.get("access-control-allow-origin") != "https://evil.example"
        read = c.get("/public/units", headers={"Origin": "https://admin.ihanoi.vn"})
        assert read.headers["access-control-allow-origin"] == "https://admin.ihanoi.vn"


def test_docs_and_metrics_are_off_in_production_and_configurable(api: Api) -> None:
    paths = ("/docs", "/redoc", "/openapi.json", "/metrics")
    for path in paths:  # development (the tests' default): on
        assert api.client.get(path).status_code == 200, path
    with edge(api, environment="production") as client:
        for path in paths:
            assert client.get(path).status_code == 404, path
            assert client.get(path, headers=api.token(api.world.head)).status_code == 404
    with edge(api, environment="production", docs="staff", metrics="staff") as client:
        for path in paths:
            assert client.get(path).status_code == 401, path
            assert client.get(path, headers=api.token(api.world.citizen)).status_code == 404
            assert client.get(path, headers=api.token(api.world.head)).status_code == 200, path
        w = api.world
        officer_id, inspector = w.staff("Trịnh Văn Quang", w.city, "inspector")
        token = api.token(inspector)
        assert client.get("/metrics", headers=token).status_code == 200
        w.app.handle(DismissOfficer(officer_id), ADMIN)  # Điều 25: checked as any staff token
        assert client.get("/metrics", headers=token).status_code == 401
    with edge(api, environment="production", docs="on", metrics="off") as client:
        assert client.get("/openapi.json").status_code == 200
        assert client.get("/metrics").status_code == 404


def test_the_server_sends_no_banner(monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    from api import app as api_app
    from api import operations
    from application.settings import get_settings
    from ihanoi import cli

    given: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: given.update(kwargs))
    monkeypatch.setattr(operations, "configure_logging", lambda: None)
    monkeypatch.setattr(api_app, "create_app", lambda *args, **kwargs: "the app")
    monkeypatch.setenv("IHANOI_JWT_SECRET", "x" * 48)
    get_settings.cache_clear()
    try:
        cli._serve(None, "127.0.0.1", 8000)  # type: ignore[arg-type]
    finally:
        get_settings.cache_clear()
    assert given["server_header"] is False
    assert given.get("date_header", True) is True  # the Date header stays


def test_a_new_store_gets_its_first_administrator_from_the_command_line_dieu_25(
        monkeypatch: pytest.MonkeyPatch, api: Api) -> None:
    """``ihanoi appoint-administrator``: an officer at the city, whose token then works."""
    from typer.testing import CliRunner

    from api.auth import mint
    from ihanoi import cli

    runtime = api.client.app.state.runtime
    monkeypatch.setattr(runtime, "close", lambda: None)  # the test's app outlives the command
    monkeypatch.setattr(cli, "open_runtime", lambda **_: runtime)
    done = CliRunner().invoke(cli.app, ["appoint-administrator", "--name", "Lê Quản Trị"])
    assert done.exit_code == 0, done.output
    found = re.search(r"subject (\S+) unit (\S+)", done.output)
    assert found and found.group(2) == str(api.world.city)
    token = {"Authorization": "Bearer " + mint(api.secret, found.group(1), "administrator",
                                               api.world.city)}
    answer = api.client.get(f"/units/{api.world.city}/officers?role=administrator",
                            headers=token)
    assert answer.status_code == 200
    assert [o["name"] for o in answer.json()["items"]] == ["Lê Quản Trị"]
