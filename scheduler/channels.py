"""The channels that deliver the outbox: the log (always), e-mail over SMTP and signed webhooks.

:class:`Dispatcher` is the scheduler's :class:`~scheduler.outbox.Sender`. For each outbox row
it writes the notification to the log (the in-app notice's record) and sends it to every
address its recipient chose (``notification_preferences``):

- ``reporter`` / ``officer``: his own preferences;
- ``unit_head`` of a unit: the preferences of the unit's heads (``directory_officers``);
- ``area`` (an alert, Chương III): the residents whose home ward is in the alert unit's subtree
  (``notification_home_wards``, ``directory_units``);
- any recipient, by configuration (``IHANOI_NOTIFY_ROUTES``): fixed addresses for a recipient
  (``"authority:chairman_office"``, ``"authority:home_affairs"``: the monthly report of
  :mod:`projections.authority_reports`) or a kind (``"area"``).

Each (row, channel, address) delivered is recorded (``notification_deliveries``) as soon as
it is accepted, so a retry after a partial failure sends only what failed. Personal data at
rest (Điều 4.4, 14.1): e-mail addresses are stored sealed with the application's cipher and
opened here only; a delivery records a keyed digest of the address, never the address.
Idempotency: a webhook's ``webhook-id`` is the outbox row's id and an e-mail's ``Message-ID`` derives from
it, so a receiver recognises a message sent twice (after a crash between the send and the
commit).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import smtplib
import threading
import time
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr
from typing import Any, Protocol

import psycopg

from application.sealing import Sealer
from application.settings import Settings
from domain.personal_data import scrub
from scheduler.outbox import LogSender, Notification

log = logging.getLogger("ihanoi.notifications")


class DeliveryError(Exception):
    """Some channels of a notification failed; the row is retried for those only."""


class Channel(Protocol):
    """One kind of address (e-mail, webhook): raises when the message was not accepted."""

    def send(self, notification: Notification, address: str) -> None: ...


@dataclass(frozen=True)
class SmtpChannel:
    """E-mail over SMTP (plain, STARTTLS or implicit TLS), UTF-8 text, one message per
    address; ``Message-ID`` stable per row and address."""

    host: str
    port: int = 25
    sender: str = "iHanoi <no-reply@ihanoi.hanoi.gov.vn>"
    username: str | None = None
    password: str | None = None
    security: str = "none"  # none, starttls, tls
    timeout: float = 10.0

    def message_id(self, notification: Notification, address: str) -> str:
        domain = parseaddr(self.sender)[1].rpartition("@")[2] or "ihanoi.local"
        digest = hashlib.sha256(f"{notification.key}|{address}".encode()).hexdigest()[:16]
        return f"<notification-{notification.id}.{digest}@{domain}>"

    def send(self, notification: Notification, address: str) -> None:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = formataddr(("", address))
        message["Subject"] = notification.subject
        message["Message-ID"] = self.message_id(notification, address)
        message["Date"] = format_datetime(notification.created_at)
        message["X-iHanoi-Notification"] = notification.key
        message.set_content(notification.body, charset="utf-8")
        if notification.payload is not None:  # the structured content, e.g. a monthly report
            message.add_attachment(json.dumps(notification.payload, ensure_ascii=False,
                                              indent=2).encode(), maintype="application",
                                   subtype="json", filename="noi-dung.json")
        smtp_class = smtplib.SMTP_SSL if self.security == "tls" else smtplib.SMTP
        with smtp_class(self.host, self.port, timeout=self.timeout) as smtp:
            if self.security == "starttls":
                smtp.starttls()
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(message)


@dataclass(frozen=True)
class WebhookChannel:
    """A JSON POST signed per Standard Webhooks: ``webhook-id`` (the outbox row's id),
    ``webhook-timestamp`` (Unix seconds) and ``webhook-signature: v1,<base64 HMAC-SHA256 of
    id.timestamp.body>``; the secret is ``whsec_<base64 key>`` (or the raw key)."""

    secret: str
    timeout: float = 10.0
    clock: Callable[[], float] = time.time

    @property
    def key(self) -> bytes:
        return base64.b64decode(self.secret.removeprefix("whsec_"))

    def sign(self, message_id: str, timestamp: int, body: bytes) -> str:
        signed = f"{message_id}.{timestamp}.".encode() + body
        digest = hmac.new(self.key, signed, hashlib.sha256).digest()
        return "v1," + base64.b64encode(digest).decode()

    @staticmethod
    def payload(notification: Notification) -> bytes:
        return json.dumps({
            "type": "notification",
            "timestamp": notification.created_at.isoformat(),
            "data": {"id": notification.id, "key": notification.key,
                     "recipient": {"kind": notification.recipient_kind,
                                   "id": notification.recipient_id},
                     "channel": notification.channel, "subject": notification.subject,
                     "body": notification.body, "payload": notification.payload}},
            ensure_ascii=False).encode()

    def send(self, notification: Notification, address: str) -> None:
        body = self.payload(notification)
        message_id, timestamp = str(notification.id), int(self.clock())
        request = urllib.request.Request(address, data=body, method="POST", headers={
            "content-type": "application/json; charset=utf-8", "webhook-id": message_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": self.sign(message_id, timestamp, body)})
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            if not 200 <= response.status < 300:
                raise DeliveryError(f"webhook {address} answered {response.status}")


def _route(address: str) -> tuple[str, str]:
    """A configured address: ``mailto:x@y`` (or a bare e-mail address) or an http(s) URL."""
    if address.startswith(("http://", "https://")):
        return "webhook", address
    return "email", address.removeprefix("mailto:")


class Dispatcher:
    """The scheduler's sender: the log always, then each address the recipient chose."""

    def __init__(self, connect: Callable[[], psycopg.Connection[Any]], *,
                 email: Channel | None = None, webhook: Channel | None = None,
                 routes: Mapping[str, Sequence[str]] | None = None,
                 journal: LogSender | None = None, sealer: Sealer | None = None) -> None:
        self._connect = connect
        #: Opens the sealed e-mail addresses of ``notification_preferences`` and digests the
        #: addresses recorded as delivered (Điều 4.4, 14.1); the scheduler gives its
        #: application's when none is given.
        self.sealer = sealer
        self.channels: dict[str, Channel] = {
            name: channel for name, channel in (("email", email), ("webhook", webhook))
            if channel is not None}
        self.routes = {recipient: [_route(a) for a in addresses]
                       for recipient, addresses in (routes or {}).items()}
        self.journal = journal or LogSender()
        self._conn: psycopg.Connection[Any] | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, connect: Callable[[], psycopg.Connection[Any]],
                      settings: Settings, sealer: Sealer | None = None) -> Dispatcher:
        email = SmtpChannel(settings.smtp_host, settings.smtp_port, settings.smtp_sender,
                            settings.smtp_username, settings.smtp_password,
                            settings.smtp_security) if settings.smtp_host else None
        webhook = WebhookChannel(settings.webhook_secret) if settings.webhook_secret else None
        return cls(connect, email=email, webhook=webhook, routes=settings.notify_routes,
                   sealer=sealer)

    def send(self, notification: Notification, idempotency_key: str) -> None:
        with self._lock:
            conn = self._connection()
            sealer = self.sealer or Sealer(None)
            done = {(channel, address) for channel, address in conn.execute(
                "SELECT channel, address FROM notification_deliveries WHERE outbox_id = %s",
                (notification.id,)).fetchall()}
            if ("log", "") not in done:
                self.journal.send(notification, idempotency_key)
                self._record(conn, notification, "log", "")
            errors = []
            for channel, address in self.targets(conn, notification):
                if (channel, sealer.digest(address)) in done or (channel, address) in done:
                    continue
                sender = self.channels.get(channel)
                if sender is None:
                    log.warning("notification %s: no %s channel configured, %s skipped",
                                notification.key, channel, scrub(address))
                    continue
                try:
                    sender.send(notification, address)
                except Exception as error:  # noqa: BLE001 — retried with the row
                    # Kept in the outbox row (last_error): the address masked.
                    errors.append(scrub(f"{channel} {address}: {error!r}"))
                else:
                    self._record(conn, notification, channel, sealer.digest(address))
            if errors:
                raise DeliveryError("; ".join(errors))

    def targets(self, conn: psycopg.Connection[Any], n: Notification) -> list[tuple[str, str]]:
        """Every (channel, address) the notification goes to, besides the log."""
        if n.recipient_kind in ("reporter", "officer"):
            rows = conn.execute(
                "SELECT channels, email, webhook_url FROM notification_preferences"
                " WHERE recipient_kind = %s AND recipient_id = %s",
                (n.recipient_kind, n.recipient_id)).fetchall()
        elif n.recipient_kind == "unit_head":
            rows = conn.execute(
                "SELECT p.channels, p.email, p.webhook_url FROM directory_officers o"
                " JOIN notification_preferences p ON p.recipient_kind = 'officer'"
                " AND p.recipient_id = o.officer_id::text"
                " WHERE o.unit_id = %s::uuid AND o.role = 'unit_head' AND o.active"
                " ORDER BY o.officer_id", (n.recipient_id,)).fetchall()
        elif n.recipient_kind == "area":
            # Chương III: the residents of the alert unit's subtree.
            rows = conn.execute("""
                WITH RECURSIVE area AS (
                    SELECT unit_id FROM directory_units WHERE unit_id = %s::uuid
                    UNION SELECT u.unit_id FROM directory_units u JOIN area a
                    ON u.parent_id = a.unit_id)
                SELECT p.channels, p.email, p.webhook_url FROM notification_home_wards h
                JOIN area a ON a.unit_id = h.ward_id
                JOIN notification_preferences p ON p.recipient_kind = 'reporter'
                 AND p.recipient_id = h.reporter_id::text
                ORDER BY h.reporter_id""", (n.recipient_id,)).fetchall()
        else:
            rows = []
        opened = (self.sealer or Sealer(None)).open
        targets = [(channel, address) for channels, email, webhook_url in rows
                   for channel, address in (("email", opened(email)), ("webhook", webhook_url))
                   if channel in channels and address]
        targets += self.routes.get(f"{n.recipient_kind}:{n.recipient_id}", [])
        targets += self.routes.get(n.recipient_kind, [])
        return list(dict.fromkeys(targets))

    def _record(self, conn: psycopg.Connection[Any], n: Notification, channel: str,
                address: str) -> None:
        conn.execute("INSERT INTO notification_deliveries (outbox_id, channel, address,"
                     " delivered_at) VALUES (%s, %s, %s, now()) ON CONFLICT DO NOTHING",
                     (n.id, channel, address))

    def _connection(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._conn = self._connect()
            self._conn.autocommit = True
        return self._conn

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
