"""Personal data at rest (Điều 4.4, 14.1; issue 12.1): a reporter's identity — name, phone,
e-mail, citizen ID — is kept only in the encrypted event store, never in plaintext in any
table of the database, and shown over HTTP only to those who may see it, minimised to what
their role needs."""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
from psycopg import sql

from application.database import connect
from domain.actors import Actor, Role
from ihanoi.simulation import Clock
from scheduler import Scheduler
from scheduler.channels import Dispatcher
from tests.integration.conftest import Api


def _identity() -> dict[str, str]:
    """An identity found nowhere else (random digits, so no other row holds it by chance)."""
    digits = str(uuid.uuid4().int)
    tag = uuid.uuid4().hex[:10]
    return {"name": f"Hoàng Thị Bí Mật {tag}", "phone": "09" + digits[:8],
            "email": f"bimat.{tag}@example.vn", "national_id": "0" + digits[8:19]}


def _plaintext_hits(conninfo: str, values: dict[str, str]) -> list[tuple[str, str, str]]:
    """(schema.table, field, value) for every row of every table of every schema of the
    database whose text (bytea columns shown as hex) contains one of ``values``."""
    hits = []
    with psycopg.connect(conninfo, autocommit=True) as conn:
        tables = conn.execute(
            "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n"
            " ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p', 'm')"
            " AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
            " AND n.nspname NOT LIKE 'pg_toast%%' ORDER BY 1, 2").fetchall()
        assert len(tables) > 20  # the read models and the event store are all there
        for schema, table in tables:
            for field, value in values.items():
                as_hex = value.encode().hex()
                found = conn.execute(sql.SQL(
                    "SELECT count(*) FROM {} t WHERE strpos(t::text, %s) > 0"
                    " OR strpos(lower(t::text), %s) > 0").format(
                        sql.Identifier(schema, table)), (value, as_hex)).fetchone()
                if found and found[0]:
                    hits.append((f"{schema}.{table}", field, value))
    return hits


def test_no_identity_in_plaintext_in_any_table_dieu_4_4_14_1(
        api: Api, clock: Clock, database_url: str) -> None:
    """A whole life over HTTP — registration with the full identity, a confidential and a
    public report, handling, publication, rating with a comment, the notifications queued
    and delivered by e-mail to the registered address, the audit trail read — leaves no
    identity value in plaintext anywhere in the database: events are encrypted, read models
    hold the reporter's id only, and the notification channels' e-mail address is sealed with
    the application's cipher (``application.sealing``)."""
    w, c = api.world, api.client
    identity = _identity()
    r = c.post("/reporters", json=identity)
    assert r.status_code == 201, r.text
    citizen = api.token(Actor(id=r.json()["id"], role=Role.CITIZEN))
    receiver, head, officer = (api.token(a) for a in (w.receiver, w.head, w.officer))
    r = c.put("/me/notification-preferences", json={"channels": ["email"]}, headers=citizen)
    assert r.status_code == 200, r.text
    reports = []
    for confidential in (True, False):
        body = {"kind": "field", "category": "infrastructure", "confidential": confidential,
                "text": "Ổ gà lớn trước số 12 Hàng Bài, nguy hiểm cho xe máy",
                "latitude": 21.0245, "longitude": 105.8532, "address": "12 Hàng Bài",
                "receiving_unit_id": str(w.district)}
        r = c.post("/reports", json=body, headers=citizen)
        assert r.status_code == 201, r.text
        reports.append(r.json()["id"])

    def step(report_id: str, path: str, who: dict[str, str], json: Any = None) -> None:
        response = c.post(f"/reports/{report_id}/{path}", json=json or {}, headers=who)
        assert response.status_code == 200, (path, response.text)

    def upload() -> str:
        response = c.post("/attachments", headers=officer, files={
            "file": ("bien-ban.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")})
        assert response.status_code == 201, response.text
        attachment: str = response.json()["id"]
        return attachment

    for report_id in reports:
        step(report_id, "acceptance", receiver)
        step(report_id, "classification", head, {"urgency": "normal"})
        step(report_id, "assignment", head, {"department_id": str(w.division),
                                             "officer_id": str(w.officer_id)})
        step(report_id, "result", officer, {"text": "Đã vá ổ gà", "evidence": [upload()]})
        step(report_id, "result/approval", head)
        step(report_id, "result/update", officer, {"evidence": [upload()]})
        step(report_id, "publication", head)
        step(report_id, "rating", citizen, {"rating": "satisfied",
                                            "comment": "Cảm ơn quận đã xử lý nhanh"})
    api.sync()
    for report_id in reports:
        # Those who may see the reporter still do (from the event store), so the identity
        # was not lost on the way.
        seen = c.get(f"/reports/{report_id}", headers=head).json()["reporter"]
        assert seen["name"] == identity["name"] and seen["phone"] == identity["phone"]
        assert c.get(f"/audit?report_id={report_id}", headers=head).status_code == 200
        assert c.get(f"/public/results/{report_id}").status_code == 200
    assert c.get("/me/reports", headers=citizen).status_code == 200
    assert c.get("/audit.csv", headers=head).status_code == 200
    mailed: list[str] = []
    mailbox = type("Mailbox", (), {"send": lambda self, n, address: mailed.append(address)})()
    runtime = api.client.app.state.runtime
    ticked = Scheduler(runtime, clock, Dispatcher(
        lambda: connect(database_url, schema=runtime.schema), email=mailbox)).tick()
    assert ticked.sent >= 2 and ticked.failed == 0  # the reporter was told of both results
    assert identity["email"] in mailed  # on the e-mail he chose, his registered address
    assert _plaintext_hits(database_url, identity) == []


def test_staff_beyond_the_report_s_units_get_name_and_phone_only_dieu_4_4_5_7(
        api: Api) -> None:
    """Data minimisation (Điều 4.4, 5.7): the reporter and the staff of the units his report
    is with (receiving, handling, division) read his whole identity — they verify and answer
    him (Điều 6.2.đ, 7.1, 13); the other staff who may see a non-confidential reporter (the
    service centre, Home Affairs inspectors) read his name and phone, never his e-mail or
    citizen ID, in the report and in the list."""
    w = api.world
    report_id = w.submit()
    w.to_published(report_id)
    inspector = w.staff("Trịnh Văn Quang", w.city, "inspector")[1]
    api.sync()

    def reporter(actor: Any) -> dict[str, Any] | None:
        response = api.client.get(f"/reports/{report_id}", headers=api.token(actor))
        assert response.status_code == 200, response.text
        if actor is not w.citizen:
            listed = api.client.get("/reports", headers=api.token(actor)).json()["items"]
            assert [r["reporter"] for r in listed if r["report_id"] == str(report_id)] == [
                response.json()["reporter"]]
        seen: dict[str, Any] | None = response.json()["reporter"]
        return seen

    full = {"name": "Phạm Thị Dung", "phone": "0912345678", "email": "dung@example.vn",
            "national_id": "001099012345"}
    contact = {**full, "email": None, "national_id": None}
    for actor in (w.citizen, w.receiver, w.head, w.officer):
        assert reporter(actor) == full, actor.role
    for actor in (w.centre_receiver, inspector):
        assert reporter(actor) == contact, actor.role


def test_addresses_stored_before_sealing_are_sealed_when_the_scheduler_starts_dieu_4_4(
        api: Api, clock: Clock, database_url: str) -> None:
    """Rows of the notification tables written in plaintext before addresses were sealed
    are sealed (preferences) or digested (deliveries) in place: the outbox is never rebuilt."""
    runtime = api.client.app.state.runtime
    with connect(database_url, schema=runtime.schema) as conn:
        conn.execute("INSERT INTO notification_preferences (preferences_id, recipient_kind,"
                     " recipient_id, channels, email, updated_at)"
                     " VALUES (gen_random_uuid(), 'reporter', 'r-1', '{email}',"
                     " 'cu.truoc@example.vn', now())")
        conn.execute("INSERT INTO notification_deliveries (outbox_id, channel, address,"
                     " delivered_at) VALUES (1, 'email', 'cu.truoc@example.vn', now())")
        conn.commit()
    dispatcher = Dispatcher(lambda: connect(database_url, schema=runtime.schema))
    Scheduler(runtime, clock, dispatcher)
    assert _plaintext_hits(database_url, {"email": "cu.truoc@example.vn"}) == []
    with connect(database_url, schema=runtime.schema) as conn:
        (sealed,) = conn.execute("SELECT email FROM notification_preferences").fetchone()
    assert dispatcher.sealer is not None and dispatcher.sealer.open(sealed) == (
        "cu.truoc@example.vn")
