"""Notifications for every step that concerns someone (issue 11.5), texts in Vietnamese from
``projections/notification_templates.toml``, delivered through the outbox to the log, e-mail
over SMTP (a real SMTP server, aiosmtpd, started here) and signed webhooks (a local HTTP
receiver started here), each recipient's channels chosen over HTTP."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as email_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from uuid import UUID

import pytest
from aiosmtpd.controller import Controller

from application.commands import (
    Accept,
    AnswerClarification,
    ApproveAlert,
    ApproveResult,
    Assign,
    AssignCommuneOfficer,
    Classify,
    Contribute,
    CoordinateToCommune,
    CreateUnit,
    DraftAlert,
    Escalate,
    GrantExtension,
    MarkViolation,
    MergeUnit,
    ProposeResult,
    Publish,
    RegisterReporter,
    RequestClarification,
    RequestCoordination,
    ReturnResult,
    SendAlert,
    UpdateResult,
)
from application.database import connect
from projections import notifications
from projections.deployment import Deployment
from scheduler import Scheduler
from scheduler.channels import Dispatcher, SmtpChannel, WebhookChannel
from scheduler.outbox import Backoff
from tests.integration.conftest import ADMIN, Api, World

SECRET = "whsec_" + base64.b64encode(b"a-webhook-key-of-32-bytes-length").decode()


# ----------------------------------------------------------------- a real SMTP server, a receiver

class Inbox:
    """aiosmtpd handler: keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=email_policy)
        self.messages.append((list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for rcpt, m in self.messages if address in rcpt]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, Controller]]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield inbox, controller
    controller.stop()


class Receiver:
    """A local HTTP endpoint recording each POST; answers ``failures`` times with 503 first."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.failures = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                if receiver.failures:
                    receiver.failures -= 1
                    self.send_response(503)
                else:
                    receiver.received.append(({k.lower(): v for k, v in self.headers.items()},
                                              body))
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/ihanoi"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()
    r.server.server_close()


@pytest.fixture
def runtime(world: World, projector: Any, database_url: str, fresh_schema: str) -> Deployment:
    return Deployment(url=database_url, schema=fresh_schema, app=world.app, projector=projector)


def dispatcher(runtime: Deployment, smtp_port: int | None = None,
               routes: dict[str, list[str]] | None = None) -> Dispatcher:
    return Dispatcher(lambda: connect(runtime.url, schema=runtime.schema),
                      email=SmtpChannel("127.0.0.1", smtp_port) if smtp_port else None,
                      webhook=WebhookChannel(SECRET), routes=routes)


def notices(conn: Any, report_id: UUID | None = None) -> set[tuple[str, str, str]]:
    """(step, recipient kind, recipient id) of the queued notices (of one report)."""
    return {(r["key"].split(":")[0], r["recipient_kind"], r["recipient_id"])
            for r in notifications.outbox(conn) if report_id is None or str(report_id) in r["key"]}


# ----------------------------------------------------------------- who is told of what

def test_rejection_notice_states_the_reason_dieu_7_2_a(api: Api, runtime: Deployment, clock: Any,
                                                       conn: Any) -> None:
    w = api.world
    report_id = w.submit()
    api.sync()
    response = api.client.post(f"/reports/{report_id}/rejection", headers=api.token(w.receiver),
                               json={"reason": "e", "note": "Nội dung quảng cáo dịch vụ sửa xe"})
    assert response.status_code == 200, response.text
    Scheduler(runtime, clock, dispatcher(runtime)).tick()
    [row] = [r for r in notifications.outbox(conn) if r["key"].startswith("Rejected:")]
    assert (row["recipient_kind"], row["recipient_id"]) == ("reporter", str(w.reporter_id))
    assert row["subject"] == "Phản ánh của bạn không được tiếp nhận"
    assert "Lý do: nội dung mang tính quảng cáo (Điều 6.2 điểm e)" in row["body"]
    assert "Nội dung quảng cáo dịch vụ sửa xe" in row["body"]
    assert row["sent_at"] is not None


def test_each_step_is_told_to_whom_it_concerns_dieu_7_8_12_13(world: World, runtime: Deployment,
                                                               clock: Any, conn: Any) -> None:
    w, app = world, world.app
    scheduler = Scheduler(runtime, clock, dispatcher(runtime))
    citizen, officer = ("reporter", str(w.reporter_id)), ("officer", str(w.officer_id))
    head, other_head = ("unit_head", str(w.district)), ("unit_head", str(w.other_district))

    escalated = w.submit(receiving_unit_id=w.ward)
    ward_receiver = w.staff("Cao Thị Yến", w.ward, "receiving_officer")[1]
    app.handle(Escalate(escalated, w.district, "Vượt thẩm quyền cấp phường"), ward_receiver)

    report_id = w.submit()
    app.handle(Accept(report_id), w.receiver)
    app.handle(Classify(report_id, "complex"), w.head)
    app.handle(Assign(report_id, w.division, w.officer_id), w.head)
    app.handle(GrantExtension(report_id, 3, "Cần lấy ý kiến thẩm định theo thủ tục"), w.head)
    app.handle(RequestCoordination(report_id, [w.other_district]), w.head)
    app.handle(Contribute(report_id, "Quận Ba Đình đã kiểm tra, không liên quan", []), w.other_head)
    app.handle(ProposeResult(report_id, "Đã vá xong ổ gà, mặt đường an toàn", ["anh.jpg"]),
               w.officer)
    app.handle(ReturnResult(report_id, "Thiếu biên bản nghiệm thu"), w.head)
    app.handle(ProposeResult(report_id, "Đã vá xong, có biên bản nghiệm thu", ["bb.pdf"]),
               w.officer)
    app.handle(ApproveResult(report_id), w.head)
    app.handle(UpdateResult(report_id, ["bien-ban-nghiem-thu.pdf"]), w.officer)
    app.handle(Publish(report_id), w.head)
    app.handle(RequestClarification(report_id, "Vì sao mất nhiều thời gian?"), w.citizen)
    app.handle(AnswerClarification(report_id, "Do phải chờ thẩm định."), w.head)
    scheduler.tick()

    assert notices(conn, escalated) == {("Escalated", *citizen), ("Escalated", *head)}
    assert notices(conn, report_id) == {
        ("Accepted", *citizen), ("Assigned", *citizen), ("Assigned", *officer),
        ("ExtensionGranted", *citizen), ("ExtensionGranted", *officer),
        ("CoordinationRequested", *other_head), ("CoordinationContributed", *head),
        ("ResultProposed", *head), ("ResultReturned", *officer), ("ResultApproved", *officer),
        ("ResultUpdated", *head), ("published", *citizen),
        ("ClarificationRequested", *head), ("ClarificationRequested", *officer),
        ("ClarificationAnswered", *citizen)}
    texts = {r["key"].split(":")[0]: r for r in notifications.outbox(conn, "")
             if str(report_id) in r["key"] and r["recipient_kind"] != "unit_head"}
    assert "Thiếu biên bản nghiệm thu" in texts["ResultReturned"]["body"]  # Điều 12.1
    assert "UBND quận Hoàn Kiếm" in texts["Accepted"]["body"]
    assert "Do phải chờ thẩm định." in texts["ClarificationAnswered"]["body"]
    assert "Cần lấy ý kiến thẩm định" in texts["ExtensionGranted"]["body"]
    assert all("{" not in r["body"] and "\\u" not in r["body"]
               for r in notifications.outbox(conn))


def test_a_report_coordinated_to_a_commune_is_told_to_its_leader_then_its_officer_dieu_8_1(
        world: World, runtime: Deployment, clock: Any, conn: Any) -> None:
    w, app = world, world.app
    ward_head = w.staff("Lương Thị Thu", w.ward, "unit_head")[1]
    report_id = w.submit()
    app.handle(Accept(report_id), w.receiver)
    app.handle(Classify(report_id, "normal"), w.head)
    app.handle(CoordinateToCommune(report_id, w.ward), w.head)
    app.handle(AssignCommuneOfficer(report_id, w.ward_officer_id), ward_head)
    Scheduler(runtime, clock, dispatcher(runtime)).tick()
    assert {n for n in notices(conn, report_id) if n[0] != "Accepted"} == {
        ("CoordinatedToCommune", "reporter", str(w.reporter_id)),
        ("CoordinatedToCommune", "unit_head", str(w.ward)),
        ("CommuneOfficerAssigned", "officer", str(w.ward_officer_id))}
    [row] = notifications.outbox(conn, f"CoordinatedToCommune:{report_id}:4:unit_head")
    assert "UBND phường Tràng Tiền" in row["body"] and "Điều 8.1.c" in row["body"]


def test_a_report_rerouted_after_a_merger_is_told_to_the_citizen_dieu_28_1(
        world: World, runtime: Deployment, clock: Any, conn: Any) -> None:
    """Transferred: the ward that received it merged into another; the citizen learns where
    his report went."""
    successor = world.unit("UBND phường Hoàn Kiếm", "commune", world.district)
    report_id = world.submit(receiving_unit_id=world.ward)
    world.app.handle(MergeUnit(world.ward, successor), ADMIN)
    scheduler = Scheduler(runtime, clock, dispatcher(runtime))
    assert scheduler.tick().rerouted == 1
    scheduler.tick()
    [row] = notifications.outbox(conn, f"Rerouted:{report_id}")
    assert (row["recipient_kind"], row["recipient_id"]) == ("reporter", str(world.reporter_id))
    assert "từ UBND phường Tràng Tiền sang UBND phường Hoàn Kiếm" in row["body"]


def test_account_lock_and_its_lifting_are_told_to_the_citizen_dieu_27_3(
        world: World, runtime: Deployment, clock: Any, conn: Any) -> None:
    scheduler = Scheduler(runtime, clock, dispatcher(runtime))
    for n in range(4):
        report_id = world.submit()
        world.app.handle(MarkViolation(report_id, f"Phản ánh sai sự thật lần {n + 1}"),
                         world.receiver)
    scheduler.tick()
    citizen = ("reporter", str(world.reporter_id))
    assert {n for n in notices(conn) if n[0] in ("Locked", "LockLifted")} == {("Locked", *citizen)}
    clock.advance(days=31)
    scheduler.tick()
    scheduler.tick()
    assert {n for n in notices(conn) if n[0] in ("Locked", "LockLifted")} == {
        ("Locked", *citizen), ("LockLifted", *citizen)}
    [locked] = [r for r in notifications.outbox(conn, "Locked:")]
    assert "Điều 27.3" in locked["body"]


def test_an_event_without_a_template_sends_nothing(world: World, runtime: Deployment,
                                                   clock: Any, conn: Any) -> None:
    """A step with no entry in the templates (here a violation below the lock) is silent; a
    new step's notice is one entry in the data file."""
    report_id = world.submit()
    world.app.handle(MarkViolation(report_id, "Sai sự thật"), world.receiver)
    Scheduler(runtime, clock, dispatcher(runtime)).tick()
    assert notices(conn) == set()
    assert ("Report", "ResultUpdated") in notifications.TEMPLATES  # ready for that event


# ----------------------------------------------------------------- home wards and area alerts

def test_an_area_alert_reaches_its_residents_by_their_channels_dieu_17(
        api: Api, runtime: Deployment, clock: Any, smtp: tuple[Inbox, Controller],
        receiver: Receiver) -> None:
    inbox, controller = smtp
    w = api.world
    other_ward = w.app.handle(CreateUnit("UBND phường Điện Biên", "commune", w.other_district),
                              ADMIN).aggregate_id
    # A resident registers with his home ward; another chooses hers later; a third lives
    # in another district.
    resident = api.client.post("/reporters", json={
        "name": "Đào Văn Bình", "email": "binh@example.vn", "phone": "0977111222",
        "national_id": "001088012345", "home_ward_id": str(w.ward)})
    assert resident.status_code == 201, resident.text
    resident_actor = w.app.citizen_actor(UUID(resident.json()["id"]))
    elsewhere = w.app.citizen_actor(w.app.handle(RegisterReporter(
        "Lê Thị Cúc", phone="0966333444", email="cuc@example.vn",
        national_id="001066012345")).aggregate_id)
    for actor, ward in ((w.citizen, w.ward), (elsewhere, other_ward)):
        assert api.client.put("/me/home-ward", headers=api.token(actor),
                              json={"ward_id": str(ward)}).status_code == 200
    for actor, body in ((resident_actor, {"channels": ["email"]}),
                        (w.citizen, {"channels": ["webhook"], "webhook_url": receiver.url}),
                        (elsewhere, {"channels": ["email"]})):
        response = api.client.put("/me/notification-preferences", headers=api.token(actor),
                                  json=body)
        assert response.status_code == 200, response.text
    assert response.json()["email"] == "cuc@example.vn"  # the registered address by default
    # A district is not a home ward (Điều 17).
    refused = api.client.put("/me/home-ward", headers=api.token(w.citizen),
                             json={"ward_id": str(w.district)})
    assert (refused.status_code, refused.json()["rule"]) == (422, "Điều 17")

    start = clock.now
    alert_id = w.app.handle(DraftAlert(
        category="warning", severity="high", title="Ngập úng", body="Mưa lớn, tránh phố Hàng Bài.",
        valid_from=start, valid_until=start + timedelta(days=1)), w.head).aggregate_id
    w.app.handle(ApproveAlert(alert_id), w.head)
    w.app.handle(SendAlert(alert_id), w.head)
    Scheduler(runtime, clock, dispatcher(runtime, controller.port)).tick()

    [mail] = inbox.to("binh@example.vn")
    assert mail["Subject"] == "[Cảnh báo, mức cao] Ngập úng"
    assert mail.get_content().strip() == "Mưa lớn, tránh phố Hàng Bài."
    assert inbox.to("cuc@example.vn") == []  # another district's resident
    [(_, body)] = [r for r in receiver.received
                   if json.loads(r[1])["data"]["key"] == f"alert:{alert_id}"]
    assert json.loads(body)["data"]["recipient"] == {"kind": "area", "id": str(w.district)}


# ----------------------------------------------------------------- the channels

def _verify(headers: dict[str, str], body: bytes) -> bool:
    key = base64.b64decode(SECRET.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return headers["webhook-signature"] == f"v1,{expected}"


def test_webhook_is_signed_per_standard_webhooks_and_retried_once_accepted(
        api: Api, runtime: Deployment, clock: Any, conn: Any, receiver: Receiver) -> None:
    w = api.world
    set_hook = api.client.put("/me/notification-preferences", headers=api.token(w.officer),
                              json={"channels": ["webhook"], "webhook_url": receiver.url})
    assert set_hook.status_code == 200, set_hook.text
    scheduler = Scheduler(runtime, clock, dispatcher(runtime), Backoff())
    report_id = w.submit()
    receiver.failures = 1
    w.to_handling(report_id)
    scheduler.tick()
    [row] = notifications.outbox(conn, "Assigned:" + str(report_id) + ":4:officer")
    assert (row["sent_at"], row["attempts"]) == (None, 1) and "503" in row["last_error"]

    clock.advance(minutes=1)
    scheduler.tick()
    clock.advance(hours=2)
    scheduler.tick()
    [(headers, body)] = receiver.received
    assert headers["webhook-id"] == str(row["id"])  # the outbox message id: idempotency key
    assert _verify(headers, body)
    payload = json.loads(body)
    assert payload["data"]["subject"] == "Bạn được giao xử lý phản ánh"
    assert "Bạn được giao xử lý phản ánh" in body.decode()  # UTF-8, not \\u escapes
    [row] = notifications.outbox(conn, "Assigned:" + str(report_id) + ":4:officer")
    assert (row["attempts"], row["last_error"]) == (2, None) and row["sent_at"] is not None


def test_email_over_smtp_has_a_stable_message_id_and_a_failed_channel_alone_is_retried(
        api: Api, runtime: Deployment, clock: Any, conn: Any, smtp: tuple[Inbox, Controller],
        receiver: Receiver, caplog: pytest.LogCaptureFixture) -> None:
    inbox, controller = smtp
    w = api.world
    assert api.client.put("/me/notification-preferences", headers=api.token(w.citizen), json={
        "channels": ["email", "webhook"], "webhook_url": receiver.url}).status_code == 200
    scheduler = Scheduler(runtime, clock, dispatcher(runtime, controller.port))
    report_id = w.submit()
    w.app.handle(Accept(report_id), w.receiver)
    receiver.failures = 1
    with caplog.at_level(logging.INFO, logger="ihanoi.notifications"):
        scheduler.tick()
        clock.advance(minutes=1)
        scheduler.tick()
    [mail] = inbox.to("dung@example.vn")  # the registered address; sent once
    [row] = notifications.outbox(conn, f"Accepted:{report_id}")
    assert mail["Subject"] == "Phản ánh của bạn đã được tiếp nhận"
    assert mail["Date"].datetime == row["created_at"]  # stable too: the step's instant
    assert mail["Message-ID"] == SmtpChannel("127.0.0.1").message_id(
        _as_notification(row), "dung@example.vn")
    assert len(receiver.received) == 1 and row["attempts"] == 2 and row["sent_at"] is not None
    lines = [r for r in caplog.records if r.name == "ihanoi.notifications"
             and getattr(r, "idempotency_key", None) == row["key"]]
    assert len(lines) == 1  # the log line is written once, not on the retry
    assert lines[0].getMessage() == (f"Thông báo tới reporter:{w.reporter_id} [app] "
                                     f"{row['subject']}: {row['body']}")


def _as_notification(row: dict[str, Any]) -> Any:
    from scheduler.outbox import Notification

    return Notification(id=row["id"], key=row["key"], recipient_kind=row["recipient_kind"],
                        recipient_id=row["recipient_id"], channel=row["channel"],
                        subject=row["subject"], body=row["body"], created_at=row["created_at"],
                        attempts=row["attempts"], payload=row.get("payload"))


def test_a_unit_heads_notices_reach_the_heads_email_dieu_12(
        api: Api, runtime: Deployment, clock: Any, smtp: tuple[Inbox, Controller]) -> None:
    inbox, controller = smtp
    w = api.world
    refused = api.client.put("/me/notification-preferences", headers=api.token(w.head),
                             json={"channels": ["email"]})
    assert refused.status_code == 422  # an officer names the address
    assert api.client.put("/me/notification-preferences", headers=api.token(w.head), json={
        "channels": ["email"], "email": "truong.phong@hoankiem.hanoi.gov.vn"}).status_code == 200
    report_id = w.submit()
    w.to_handling(report_id)
    w.app.handle(ProposeResult(report_id, "Đã vá xong ổ gà, mặt đường an toàn", ["bb.pdf"]),
                 w.officer)
    Scheduler(runtime, clock, dispatcher(runtime, controller.port)).tick()
    [mail] = inbox.to("truong.phong@hoankiem.hanoi.gov.vn")
    assert mail["Subject"] == "Có kết quả xử lý chờ phê duyệt"


def test_statistics_and_flags_reach_the_chairman_and_home_affairs_by_configured_routes(
        runtime: Deployment, clock: Any, conn: Any, smtp: tuple[Inbox, Controller],
        receiver: Receiver) -> None:
    """Seed 000 Điều 2.2.c, Điều 18.3–18.4: what another producer queues for the offices goes
    out on the addresses the deployment configures (IHANOI_NOTIFY_ROUTES)."""
    inbox, controller = smtp
    routes = {"authority:chairman_office": ["mailto:vanphong@hanoi.gov.vn"],
              "authority:home_affairs": ["mailto:snv@hanoi.gov.vn", receiver.url]}
    with conn.cursor() as cur:
        for office in ("chairman_office", "home_affairs"):
            notifications.enqueue(cur, f"statistics:2026-03:{office}", ("authority", office),
                                  "Thống kê tháng 3/2026", "Số liệu tiếp nhận, xử lý phản ánh.",
                                  clock.now, payload={"month": "2026-03", "units": []})
    Scheduler(runtime, clock, dispatcher(runtime, controller.port, routes)).tick()
    assert len(inbox.to("vanphong@hanoi.gov.vn")) == len(inbox.to("snv@hanoi.gov.vn")) == 1
    [(headers, body)] = receiver.received
    assert _verify(headers, body)
    assert json.loads(body)["data"]["recipient"] == {"kind": "authority", "id": "home_affairs"}
    assert json.loads(body)["data"]["payload"] == {"month": "2026-03", "units": []}
    [mail] = inbox.to("snv@hanoi.gov.vn")
    [attachment] = list(mail.iter_attachments())
    assert json.loads(attachment.get_content()) == {"month": "2026-03", "units": []}


def test_notification_log_lines_are_readable_vietnamese_json_fields() -> None:
    """A JSON log handler writes the notice's facts as fields, in UTF-8, never escaped."""
    from pythonjsonlogger.json import JsonFormatter

    from api.operations import configure_logging
    from scheduler.outbox import LogSender

    configure_logging()
    handler = logging.getLogger("ihanoi").handlers[0]
    formatter = handler.formatter
    assert isinstance(formatter, JsonFormatter)
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    keep = Keep()
    logging.getLogger("ihanoi.notifications").addHandler(keep)
    try:
        row = {"id": 7, "key": "k", "recipient_kind": "reporter", "recipient_id": "r",
               "channel": "app", "subject": "Phản ánh của bạn đã có kết quả",
               "body": "Kết quả xử lý đã được công khai.", "created_at": None, "attempts": 0,
               "payload": None}
        LogSender().send(_as_notification(row), "k")
    finally:
        logging.getLogger("ihanoi.notifications").removeHandler(keep)
    line = formatter.format(records[0])
    assert "\\u" not in line and "Phản ánh của bạn đã có kết quả" in line
    fields = json.loads(line)
    assert fields["subject"] == "Phản ánh của bạn đã có kết quả"
    assert fields["message"].startswith("Thông báo tới reporter:r [app]")


def test_the_schedulers_channels_come_from_the_environment(
        runtime: Deployment, clock: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """SMTP and webhook settings are environment variables (application/settings.py)."""
    from application.settings import get_settings

    monkeypatch.setenv("IHANOI_SMTP_HOST", "smtp.hanoi.gov.vn")
    monkeypatch.setenv("IHANOI_SMTP_PORT", "587")
    monkeypatch.setenv("IHANOI_SMTP_SECURITY", "starttls")
    monkeypatch.setenv("IHANOI_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("IHANOI_NOTIFY_ROUTES",
                       '{"authority:chairman_office": ["mailto:vp@hanoi.gov.vn"]}')
    get_settings.cache_clear()
    try:
        sender = Scheduler(runtime, clock).sender
    finally:
        get_settings.cache_clear()
    assert isinstance(sender, Dispatcher)
    assert sender.channels["email"] == SmtpChannel("smtp.hanoi.gov.vn", 587,
                                                   security="starttls")
    assert isinstance(sender.channels["webhook"], WebhookChannel)
    assert sender.routes == {"authority:chairman_office": [("email", "vp@hanoi.gov.vn")]}


def test_registration_with_a_home_ward_that_is_not_a_commune_is_refused_dieu_17(
        api: Api, conn: Any) -> None:
    identity = {"name": "Hà Văn Lâm", "phone": "0988777666", "email": "lam@example.vn",
                "national_id": "001077012345"}
    response = api.client.post("/reporters", json={**identity,
                                                   "home_ward_id": str(api.world.district)})
    assert (response.status_code, response.json()["rule"]) == (422, "Điều 17")
    ok = api.client.post("/reporters", json={**identity, "home_ward_id": str(api.world.ward)})
    assert ok.status_code == 201 and ok.json()["version"] == 2  # registered, ward chosen
