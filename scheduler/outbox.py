"""Delivery of the notification outbox through a pluggable sender.

Each due row is taken in a transaction of its own with ``FOR UPDATE SKIP LOCKED`` (so two
deliverers never take the same row), handed to the sender with its key as the idempotency key,
and marked sent in that transaction. A failing send counts an attempt, keeps the error and
waits (exponential backoff) before the next try. A row marked sent is never sent again; a
crash between the send and the commit may send it twice, which the idempotency key lets the
channel recognise.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import psycopg
from psycopg.rows import class_row

log = logging.getLogger("ihanoi.notifications")


@dataclass(frozen=True)
class Notification:
    """One row of ``notification_outbox`` as handed to a sender."""

    id: int
    key: str
    recipient_kind: str  # officer, unit_head, reporter, area, authority
    recipient_id: str
    channel: str  # app, broadcast
    subject: str
    body: str
    created_at: datetime
    attempts: int
    payload: dict[str, Any] | None = None  # structured content (reports to authorities)


class Sender(Protocol):
    """A channel (push, SMS, e-mail...): raises when the notification was not accepted."""

    def send(self, notification: Notification, idempotency_key: str) -> None: ...


class LogSender:
    """The default channel: one readable line per notification on the
    ``ihanoi.notifications`` logger — ``Thông báo tới reporter:<id> [app] <subject>: <body>``
    — with the same facts as separate fields of the record (``extra``), so a JSON log handler
    writes them as fields of its one JSON object, never as JSON inside a string."""

    def send(self, notification: Notification, idempotency_key: str) -> None:
        recipient = f"{notification.recipient_kind}:{notification.recipient_id}"
        log.info("Thông báo tới %s [%s] %s: %s", recipient, notification.channel,
                 notification.subject, notification.body,
                 extra={"idempotency_key": idempotency_key, "recipient": recipient,
                        "channel": notification.channel, "subject": notification.subject,
                        "body": notification.body, "payload": notification.payload})


@dataclass(frozen=True)
class Backoff:
    """The wait before the n-th retry: ``first`` doubled each time, at most ``longest``."""

    first: timedelta = timedelta(minutes=1)
    longest: timedelta = timedelta(hours=1)

    def after(self, attempts: int) -> timedelta:
        return min(self.first * 2 ** min(attempts - 1, 30), self.longest)


def deliver(connect: Callable[[], psycopg.Connection[Any]], sender: Sender, now: datetime,
            backoff: Backoff = Backoff(), limit: int = 500) -> tuple[int, int]:
    """Send up to ``limit`` rows due at ``now``; return (sent, failed)."""
    sent = failed = 0
    with connect() as conn:
        for _ in range(limit):
            with conn.transaction(), conn.cursor(row_factory=class_row(Notification)) as cur:
                # The oldest unsent row whose time has come, not taken by another deliverer
                # (partial index notification_outbox_pending).
                row = cur.execute(
                    "SELECT id, key, recipient_kind, recipient_id, channel, subject, body,"
                    " created_at, attempts, payload FROM notification_outbox"
                    " WHERE sent_at IS NULL AND not_before <= %s ORDER BY not_before, id"
                    " LIMIT 1 FOR UPDATE SKIP LOCKED", (now,)).fetchone()
                if row is None:
                    break
                try:
                    sender.send(row, row.key)
                except Exception as error:  # noqa: BLE001 — any channel failure is retried
                    failed += 1
                    log.warning("notification %s not sent (attempt %s): %r", row.key,
                                row.attempts + 1, error)
                    cur.execute("UPDATE notification_outbox SET attempts = attempts + 1,"
                                " last_error = %s, not_before = %s WHERE id = %s",
                                (repr(error)[:2000], now + backoff.after(row.attempts + 1),
                                 row.id))
                else:
                    sent += 1
                    cur.execute("UPDATE notification_outbox SET attempts = attempts + 1,"
                                " sent_at = %s, last_error = NULL WHERE id = %s", (now, row.id))
    return sent, failed
